/** A person's own data: taking it all, and deleting the account while the chats keep their history. */
import { MessageModel, UserModel } from '../models';
import { disconnected, emit, useTestServer } from './support/harness';
import { createChat, ok, person, post, report, type Person } from './support/world';

const server = useTestServer({ RATE_JOINS: '1000/60s', RATE_REPORTS: '1000/60s' });
let moderator: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
});

test('the export holds my account, memberships, messages, reports, notices and appeals, and nothing of other reporters', async () => {
  const owner = await person(server, 'owner');
  const me = await person(server, 'me');
  const other = await person(server, 'other');
  const chat = await createChat(owner, 'group', [me, other]);
  const mine = await post(me, chat.id, 'my own words');
  const theirs = await post(owner, chat.id, 'the owner speaks');
  await report(me, 'message', theirs.id, 'spam');
  ok(
    await emit(other.socket, 'report:create', {
      targetType: 'message',
      targetId: theirs.id,
      reason: 'hate',
      comment: 'their comment',
    }),
  );
  const hide = ok(await emit(moderator.socket, 'mod:hide', { messageId: mine.id, reason: 'off topic' })).action;
  const appeal = ok(await emit(me.socket, 'appeal:create', { actionId: hide.id, text: 'it was on topic' })).appeal;

  const exported = await server.http('GET', '/api/me/export', { token: me.token });
  expect(exported.status).toBe(200);
  const data = exported.body;
  expect(data.account).toMatchObject({ id: me.id, username: me.username, role: 'user', suspended: null });
  expect(data.memberships).toEqual([expect.objectContaining({ chatId: chat.id, userId: me.id, status: 'active' })]);
  expect(data.messages).toEqual([
    expect.objectContaining({ id: mine.id, text: 'my own words', hidden: true, deletedAt: null }),
  ]);
  expect(data.reports).toEqual([expect.objectContaining({ targetId: theirs.id, reason: 'spam' })]);
  expect(data.notices).toEqual([expect.objectContaining({ actionId: hide.id, actionType: 'hide_message' })]);
  expect(data.appeals).toEqual([expect.objectContaining({ id: appeal.id, text: 'it was on topic' })]);
  const text = JSON.stringify(data);
  for (const secret of ['passwordHash', '$2b$', other.id, 'their comment', 'tokenVersion'])
    expect(text).not.toContain(secret);
});

test('an owner must hand the chat over before deleting the account', async () => {
  const owner = await person(server, 'owner');
  await createChat(owner, 'group');
  expect(await server.http('DELETE', '/api/me', { token: owner.token })).toMatchObject({
    status: 409,
    body: { error: { code: 'conflict' } },
  });
  expect(await server.http('GET', '/api/me', { token: owner.token })).toMatchObject({ status: 200 });
});

test('a deleted account leaves its chats, its tokens die, its sockets close, and its messages stay by "Deleted account"', async () => {
  const owner = await person(server, 'owner');
  const leaving = await person(server, 'leaving');
  const secondTab = await server.connect(leaving.token);
  const chat = await createChat(owner, 'group', [leaving]);
  const said = await post(leaving, chat.id, 'goodbye, all');
  const left = new Promise((resolve) => owner.socket.once('member:left', resolve));
  const closed = [disconnected(leaving.socket), disconnected(secondTab)];

  expect((await server.http('DELETE', '/api/me', { token: leaving.token })).status).toBe(204);
  await Promise.all(closed);
  expect(await left).toEqual({ chatId: chat.id, userId: leaving.id });
  expect(await server.http('GET', '/api/me', { token: leaving.token })).toMatchObject({ status: 401 });
  await expect(server.connect(leaving.token)).rejects.toThrow('unauthorized');
  expect(
    await server.http('POST', '/api/auth/login', { body: { username: leaving.username, password: 'correct horse' } }),
  ).toMatchObject({ status: 401 });

  const history = ok(await emit(owner.socket, 'message:history', { chatId: chat.id }));
  expect(history.messages).toEqual([
    expect.objectContaining({ id: said.id, senderId: leaving.id, text: 'goodbye, all' }),
  ]);
  const profile = ok(await emit(moderator.socket, 'users:get', { ids: [leaving.id] }));
  expect(profile.users).toEqual([
    expect.objectContaining({ id: leaving.id, username: `deleted-${leaving.id}`, displayName: 'Deleted account' }),
  ]);
  const stored = await UserModel.findById(leaving.id).lean();
  expect(stored).toMatchObject({
    username: `deleted-${leaving.id}`,
    displayName: 'Deleted account',
    deletedAt: expect.any(Date),
  });
  expect(await MessageModel.countDocuments({ senderId: leaving.id })).toBe(1);
});
