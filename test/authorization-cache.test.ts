/**
 * Each node keeps what authorizes an event (account, chat, membership) in memory; every change
 * must count on the very next event all the same. Each scenario warms the cache first.
 */
import { emit, useTestServer } from './support/harness';
import { cachedChat } from '../handlers/store/authorization-cache';
import { createChat, ok, person, post } from './support/world';

const server = useTestServer({ RATE_MESSAGES: '1000/10s', RATE_JOINS: '1000/60s' });

const setRole = (adminToken: string, userId: string, role: 'user' | 'moderator') =>
  server.http('PUT', `/api/users/${userId}/role`, { token: adminToken, body: { role } });

test('a platform role change counts on the very next event, both ways', async () => {
  const admin = await person(server, 'admin', 'admin');
  const someone = await person(server, 'someone');
  expect(await emit(someone.socket, 'mod:cases', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });

  expect((await setRole(admin.token, someone.id, 'moderator')).status).toBe(200);
  expect((await emit(someone.socket, 'mod:cases', {})).ok).toBe(true);

  expect((await setRole(admin.token, someone.id, 'user')).status).toBe(200);
  expect(await emit(someone.socket, 'mod:cases', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
});

test('a mute, its lifting and a ban count on the member’s very next send', async () => {
  const owner = await person(server, 'owner');
  const member = await person(server, 'member');
  const chat = await createChat(owner, 'group', [member]);
  await post(member, chat.id);

  ok(await emit(owner.socket, 'mod:mute', { userId: member.id, chatId: chat.id, reason: 'spam' }));
  expect(
    await emit(member.socket, 'message:send', { chatId: chat.id, text: 'muted?', clientMsgId: 'm1' }),
  ).toMatchObject({ ok: false, error: { code: 'muted' } });
  ok(await emit(owner.socket, 'mod:unmute', { userId: member.id, chatId: chat.id, reason: 'served' }));
  await post(member, chat.id, 'back');
  ok(await emit(owner.socket, 'mod:ban', { userId: member.id, chatId: chat.id, reason: 'spam' }));
  expect(
    await emit(member.socket, 'message:send', { chatId: chat.id, text: 'banned?', clientMsgId: 'm2' }),
  ).toMatchObject({ ok: false, error: { code: 'banned' } });
});

test('leaving, joining again and a promotion count at once', async () => {
  const owner = await person(server, 'owner');
  const member = await person(server, 'member');
  const chat = await createChat(owner, 'channel', [member]);
  expect(
    await emit(member.socket, 'message:send', { chatId: chat.id, text: 'may I?', clientMsgId: 'p1' }),
  ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  ok(await emit(owner.socket, 'chat:promote', { chatId: chat.id, userId: member.id, role: 'admin' }));
  await post(member, chat.id, 'now I may');

  ok(await emit(member.socket, 'chat:leave', { chatId: chat.id }));
  expect(await emit(member.socket, 'message:send', { chatId: chat.id, text: 'gone', clientMsgId: 'p2' })).toMatchObject(
    { ok: false, error: { code: 'forbidden' } },
  );
  ok(await emit(member.socket, 'chat:join', { chatId: chat.id }));
  expect(
    await emit(member.socket, 'message:send', { chatId: chat.id, text: 'a plain subscriber again', clientMsgId: 'p3' }),
  ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
});

test('a suspension lifted counts at once: a new socket sends again; logout leaves the account usable with a new login', async () => {
  const moderator = await person(server, 'moderator', 'moderator');
  const member = await person(server, 'member');
  const chat = await createChat(member, 'group');
  await post(member, chat.id);

  ok(await emit(moderator.socket, 'mod:ban', { userId: member.id, reason: 'fraud' }));
  await expect(server.connect(member.token)).rejects.toThrow('suspended');
  ok(await emit(moderator.socket, 'mod:unban', { userId: member.id, reason: 'appeal upheld' }));
  const again = await server.connect(member.token);
  expect((await emit(again, 'message:send', { chatId: chat.id, text: 'back', clientMsgId: 's1' })).ok).toBe(true);

  expect((await server.http('POST', '/api/auth/logout', { token: member.token })).status).toBe(204);
  await expect(server.connect(member.token)).rejects.toThrow('unauthorized');
  const login = await server.http('POST', '/api/auth/login', {
    body: { username: member.username, password: 'correct horse' },
  });
  const fresh = await server.connect(login.body.token);
  expect((await emit(fresh, 'message:send', { chatId: chat.id, text: 'after logout', clientMsgId: 's2' })).ok).toBe(
    true,
  );
});

test('slow mode switched on counts on the next send', async () => {
  const owner = await person(server, 'owner');
  const member = await person(server, 'member');
  const chat = await createChat(owner, 'group', [member]);
  await post(member, chat.id);
  ok(await emit(owner.socket, 'chat:update', { chatId: chat.id, slowModeSec: 60 }));
  await post(member, chat.id, 'first in slow mode');
  expect(
    await emit(member.socket, 'message:send', { chatId: chat.id, text: 'too soon', clientMsgId: 'sm' }),
  ).toMatchObject({ ok: false, error: { code: 'slow_mode' } });
});

test('every reader shares one frozen record: what a handler reads cannot be changed under the next event', async () => {
  const owner = await person(server, 'owner');
  const chat = await createChat(owner, 'group', []);
  await post(owner, chat.id);

  const [first, second] = [await cachedChat(chat.id), await cachedChat(chat.id)];
  expect(second).toBe(first);
  expect(Object.isFrozen(first)).toBe(true);
  expect(first).toMatchObject({ id: chat.id, title: chat.title, slowModeSec: 0 });
  expect(() => {
    (first as { title: string }).title = 'changed in place';
  }).toThrow(TypeError);

  // A change goes through the database and an invalidation, and the next read has it.
  ok(await emit(owner.socket, 'chat:update', { chatId: chat.id, title: 'Renamed' }));
  expect(await cachedChat(chat.id)).toMatchObject({ title: 'Renamed' });
  expect(first).toMatchObject({ title: chat.title });
});
