import { emit, useTestServer } from './support/harness';
import { ok, person } from './support/world';

const server = useTestServer();

test('chat:search finds public chats by a title word or its start, in any case, with member counts; private chats never appear', async () => {
  const [owner, seeker] = [await person(server, 'owner'), await person(server, 'seeker')];
  const create = async (title: string, visibility: 'public' | 'private' = 'public') =>
    ok(await emit(owner.socket, 'chat:create', { type: 'group', title, visibility })).chat;
  const hikers = await create('Alpine Hikers Club');
  const trails = await create('hiking trails');
  await create('Hikers secret', 'private');
  await create('Chikens'); // "hik" inside a word is not a match

  const found = ok(await emit(seeker.socket, 'chat:search', { q: 'HIK' }));
  expect(found.chats.map((chat) => chat.id)).toEqual([trails.id, hikers.id]);
  expect(found.chats[1]).toMatchObject({ title: 'Alpine Hikers Club', memberCount: 1, visibility: 'public' });
  expect(found.hasMore).toBe(false);
  expect(ok(await emit(seeker.socket, 'chat:search', { q: 'club alp' })).chats.map((chat) => chat.id)).toEqual([
    hikers.id,
  ]);
  expect(ok(await emit(seeker.socket, 'chat:search', { q: 'secret' })).chats).toEqual([]);
  expect(ok(await emit(seeker.socket, 'chat:search', { q: '.*' })).chats).toEqual([]);

  const first = ok(await emit(seeker.socket, 'chat:search', { q: 'hik', limit: 1 }));
  expect(first).toMatchObject({ chats: [{ id: trails.id }], hasMore: true });
  const next = ok(await emit(seeker.socket, 'chat:search', { q: 'hik', limit: 1, before: trails.id }));
  expect(next).toMatchObject({ chats: [{ id: hikers.id }], hasMore: false });
  expect(await emit(seeker.socket, 'chat:search', { q: '   ' })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
});
