import { dropTestDatabase, emit, nextEvent, startTestServer, type TestServer } from './support/harness';
import { createChat, ok, person } from './support/world';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
  await dropTestDatabase();
});

test('a group member who starts typing is announced to the group, and nothing is stored', async () => {
  const [ana, bo] = [await person(server, 'ana'), await person(server, 'bo')];
  const group = await createChat(ana, 'group', [bo]);
  const heard = nextEvent(bo.socket, 'typing');
  ok(await emit(ana.socket, 'typing:start', { chatId: group.id }));
  expect(await heard).toEqual({ chatId: group.id, userId: ana.id });
  expect(ok(await emit(bo.socket, 'message:history', { chatId: group.id })).messages).toEqual([]);
});

test('channels show no typing, and outsiders of a private chat learn nothing', async () => {
  const [owner, subscriber, outsider] = [await person(server, 'owner'), await person(server, 'sub'), await person(server, 'out')];
  const channel = await createChat(owner, 'channel', [subscriber]);
  expect(await emit(owner.socket, 'typing:start', { chatId: channel.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect(await emit(subscriber.socket, 'typing:start', { chatId: channel.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  const secret = ok(await emit(owner.socket, 'chat:create', { type: 'group', title: 'secret', visibility: 'private' })).chat;
  expect(await emit(outsider.socket, 'typing:start', { chatId: secret.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
});
