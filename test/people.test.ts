import { UserModel } from '../models';
import { collect, emit, nextEvent, settle, useTestServer } from './support/harness';
import { createChat, ok, person } from './support/world';

const server = useTestServer();

const UNKNOWN_ID = '0123456789abcdef01234567';

test('users:get turns the ids in a chat into names, over the default transports; strangers and unknown ids are left out', async () => {
  const [ana, bo, stranger] = [
    await person(server, 'ana'),
    await person(server, 'bo'),
    await person(server, 'stranger'),
  ];
  await createChat(ana, 'group', [bo]);
  const anaDefault = await server.connect(ana.token, { transports: 'default' });

  const { users } = ok(await emit(anaDefault, 'users:get', { ids: [bo.id, stranger.id, UNKNOWN_ID, ana.id, bo.id] }));
  expect(users).toEqual([
    { id: bo.id, username: bo.username, displayName: bo.username, createdAt: expect.any(String) },
    { id: ana.id, username: ana.username, displayName: ana.username, createdAt: expect.any(String) },
  ]);
});

test('platform staff see anyone’s public profile; nobody sees a role or a suspension', async () => {
  const [moderator, loner] = [await person(server, 'mod', 'moderator'), await person(server, 'loner')];
  const { users } = ok(await emit(moderator.socket, 'users:get', { ids: [loner.id] }));
  expect(users).toEqual([
    { id: loner.id, username: loner.username, displayName: loner.username, createdAt: expect.any(String) },
  ]);
});

test('GET /api/users/:userId answers a co-member’s public profile and not_found for anyone else', async () => {
  const [ana, bo, stranger] = [
    await person(server, 'ana'),
    await person(server, 'bo'),
    await person(server, 'stranger'),
  ];
  await createChat(ana, 'channel', [bo]);

  const shared = await server.http('GET', `/api/users/${bo.id}`, { token: ana.token });
  expect(shared.status).toBe(200);
  expect(shared.body).toEqual({
    user: { id: bo.id, username: bo.username, displayName: bo.username, createdAt: expect.any(String) },
  });
  const unknown = await server.http('GET', `/api/users/${UNKNOWN_ID}`, { token: ana.token });
  const notShared = await server.http('GET', `/api/users/${stranger.id}`, { token: ana.token });
  expect(notShared.status).toBe(404);
  expect(notShared.body).toEqual(unknown.body);
  expect((await server.http('GET', '/api/users/not-an-id', { token: ana.token })).status).toBe(400);
});

test('PATCH /api/me renames me; my groups and my other sockets hear user:updated, strangers do not', async () => {
  const [ana, bo, stranger] = [
    await person(server, 'ana'),
    await person(server, 'bo'),
    await person(server, 'stranger'),
  ];
  await createChat(ana, 'group', [bo]);
  const strangerHeard = collect(stranger.socket, 'user:updated');
  const boHears = nextEvent(bo.socket, 'user:updated');
  const anaHears = nextEvent(ana.socket, 'user:updated');

  const res = await server.http('PATCH', '/api/me', { token: ana.token, body: { displayName: '  Ana Lovelace ' } });
  expect(res.status).toBe(200);
  expect(res.body.user).toMatchObject({ id: ana.id, displayName: 'Ana Lovelace', role: 'user' });
  const expected = {
    user: { id: ana.id, username: ana.username, displayName: 'Ana Lovelace', createdAt: expect.any(String) },
  };
  expect(await boHears).toEqual(expected);
  expect(await anaHears).toEqual(expected);
  expect(ok(await emit(bo.socket, 'users:get', { ids: [ana.id] })).users[0]?.displayName).toBe('Ana Lovelace');
  await settle(stranger.socket);
  expect(strangerHeard).toEqual([]);
});

test('a display name that breaks the registration rules is refused, nothing stored, nothing relayed', async () => {
  const [ana, bo] = [await person(server, 'ana'), await person(server, 'bo')];
  await createChat(ana, 'group', [bo]);
  const heard = collect(bo.socket, 'user:updated');
  for (const displayName of ['', '   ', 'x'.repeat(65), 'evil\u202Eeman']) {
    const res = await server.http('PATCH', '/api/me', { token: ana.token, body: { displayName } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
  }
  expect((await UserModel.findById(ana.id))?.displayName).toBe(ana.username);
  await settle(bo.socket);
  expect(heard).toEqual([]);
});

test('users:get refuses ids that are not ids, and more than 100 ids', async () => {
  const ana = await person(server, 'ana');
  expect(await emit(ana.socket, 'users:get', { ids: ['not-an-id'] })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
  expect(await emit(ana.socket, 'users:get', { ids: [] })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
  const tooMany = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(24, '0'));
  expect(await emit(ana.socket, 'users:get', { ids: tooMany })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
});
