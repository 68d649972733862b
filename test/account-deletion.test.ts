/**
 * Deleting an account cannot be blocked by anyone else, and a failure after the deleting write
 * leaves an account that is deleted, never half of one: what is left is finished by the sweep.
 */
import { MembershipModel, NoticeModel, UserModel } from '../models';
import { finishPendingDeletions } from '../handlers/account-data';
import { disconnected, emit, nextEvent, useTestServer } from './support/harness';
import { createChat, ok, person } from './support/world';

const server = useTestServer();

const login = (username: string) =>
  server.http('POST', '/api/auth/login', { body: { username, password: 'correct horse' } });

test('someone who registered the name a deleted account used to take cannot block the deletion', async () => {
  const owner = await person(server, 'owner');
  const victim = await person(server, 'victim');
  const chat = await createChat(owner, 'group', [victim]);
  const squatter = await server.http('POST', '/api/auth/register', {
    body: { username: `deleted_${victim.id}`, password: 'correct horse' },
  });
  expect(squatter.status).toBe(201);

  const left = nextEvent(owner.socket, 'member:left');
  expect((await server.http('DELETE', '/api/me', { token: victim.token })).status).toBe(204);
  expect(await left).toEqual({ chatId: chat.id, userId: victim.id });
  expect(await login(victim.username)).toMatchObject({ status: 401 });
  expect(await MembershipModel.findOne({ chatId: chat.id, userId: victim.id }).lean()).toMatchObject({
    status: 'left',
  });
  // The squatter's account is untouched and still signs in.
  expect(await login(`deleted_${victim.id}`)).toMatchObject({ status: 200 });
  const stored = await UserModel.findById(victim.id).lean();
  expect(stored).toMatchObject({ displayName: 'Deleted account', deletionPending: false, deletedAt: expect.any(Date) });
  // The name a deleted account keeps is outside the username grammar: nobody can register it.
  expect(
    await server.http('POST', '/api/auth/register', {
      body: { username: stored!.username, password: 'correct horse' },
    }),
  ).toMatchObject({
    status: 400,
    body: { error: { code: 'invalid_input' } },
  });
});

test('when leaving the chats fails after the deleting write, the account is deleted all the same and the sweep finishes the rest', async () => {
  const owner = await person(server, 'owner');
  const leaving = await person(server, 'leaving');
  const chat = await createChat(owner, 'group', [leaving]);
  ok(
    await emit(owner.socket, 'mod:mute', { userId: leaving.id, chatId: chat.id, durationSec: 60, reason: 'cool down' }),
  );
  expect(await NoticeModel.countDocuments({ userId: leaving.id })).toBe(1);

  const failure = jest.spyOn(MembershipModel, 'updateOne').mockRejectedValueOnce(new Error('the database went away'));
  const gone = disconnected(leaving.socket);
  try {
    expect((await server.http('DELETE', '/api/me', { token: leaving.token })).status).toBe(204);
  } finally {
    failure.mockRestore();
  }
  await gone;
  // Deleted: no token, no password works; the steps after the deleting write are pending.
  expect(await server.http('GET', '/api/me', { token: leaving.token })).toMatchObject({ status: 401 });
  expect(await login(leaving.username)).toMatchObject({ status: 401 });
  expect(await UserModel.findById(leaving.id).lean()).toMatchObject({ deletionPending: true });

  const left = nextEvent(owner.socket, 'member:left');
  expect(await finishPendingDeletions(server.stoa.services)).toBeGreaterThanOrEqual(1);
  expect(await left).toEqual({ chatId: chat.id, userId: leaving.id });
  expect(await MembershipModel.findOne({ chatId: chat.id, userId: leaving.id }).lean()).toMatchObject({
    status: 'left',
  });
  expect(await NoticeModel.countDocuments({ userId: leaving.id })).toBe(0);
  expect(await UserModel.findById(leaving.id).lean()).toMatchObject({ deletionPending: false });
  expect(await finishPendingDeletions(server.stoa.services)).toBe(0);
});
