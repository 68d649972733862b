/** `chat:get`: one chat as the caller may see it; a private chat does not exist for outsiders (docs/ARCHITECTURE.md §6). */
import { emit, useTestServer } from './support/harness';
import { ok, person } from './support/world';

const server = useTestServer();

/** An id no chat has. */
const UNKNOWN_ID = '5f0000000000000000000001';

test('anyone reads a public chat, with its member count; only a member sees a role', async () => {
  const owner = await person(server, 'owner');
  const reader = await person(server, 'reader');
  const created = ok(
    await emit(owner.socket, 'chat:create', { type: 'group', title: 'Open house', description: 'All welcome' }),
  ).chat;

  const seen = ok(await emit(reader.socket, 'chat:get', { chatId: created.id })).chat;
  expect(seen).toMatchObject({
    id: created.id,
    type: 'group',
    title: 'Open house',
    description: 'All welcome',
    visibility: 'public',
    ownerId: owner.id,
    memberCount: 1,
  });
  expect(seen).not.toHaveProperty('role');
  expect(ok(await emit(owner.socket, 'chat:get', { chatId: created.id })).chat).toEqual(created);
});

describe('a private chat', () => {
  test('its members read it with their role; a banned member still sees it, without one', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = ok(
      await emit(owner.socket, 'chat:create', { type: 'group', title: 'Back room', visibility: 'private' }),
    ).chat;
    const { inviteCode } = ok(await emit(owner.socket, 'chat:invite', { chatId: chat.id }));
    ok(await emit(member.socket, 'chat:join', { inviteCode }));

    expect(ok(await emit(member.socket, 'chat:get', { chatId: chat.id })).chat).toMatchObject({
      id: chat.id,
      visibility: 'private',
      memberCount: 2,
      role: 'member',
    });

    ok(await emit(owner.socket, 'mod:ban', { userId: member.id, chatId: chat.id, reason: 'spam' }));
    const asBanned = ok(await emit(member.socket, 'chat:get', { chatId: chat.id })).chat;
    expect(asBanned).toMatchObject({ id: chat.id, memberCount: 1 });
    expect(asBanned).not.toHaveProperty('role');
  });

  test('an outsider is told not_found, word for word as for an id no chat has', async () => {
    const owner = await person(server, 'owner');
    const outsider = await person(server, 'outsider');
    const chat = ok(
      await emit(owner.socket, 'chat:create', { type: 'channel', title: 'Hidden', visibility: 'private' }),
    ).chat;

    const hidden = await emit(outsider.socket, 'chat:get', { chatId: chat.id });
    expect(hidden).toEqual({ ok: false, error: { code: 'not_found', message: 'No such chat.' } });
    expect(await emit(outsider.socket, 'chat:get', { chatId: UNKNOWN_ID })).toEqual(hidden);
  });

  test('a platform moderator who is no member reads it, without a role', async () => {
    const owner = await person(server, 'owner');
    const moderator = await person(server, 'moderator', 'moderator');
    const chat = ok(
      await emit(owner.socket, 'chat:create', { type: 'group', title: 'Staff only', visibility: 'private' }),
    ).chat;

    const seen = ok(await emit(moderator.socket, 'chat:get', { chatId: chat.id })).chat;
    expect(seen).toMatchObject({ id: chat.id, title: 'Staff only', visibility: 'private', memberCount: 1 });
    expect(seen).not.toHaveProperty('role');
  });
});

test('an id that is not one is invalid_input', async () => {
  const reader = await person(server, 'reader');
  expect(await emit(reader.socket, 'chat:get', { chatId: 'nope' })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
});
