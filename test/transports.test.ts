/**
 * Clients with Socket.IO's default settings start with HTTP long-polling and upgrade to
 * websocket; browsers and python-socketio do the same. Socket.IO owns /socket.io/, Express the rest.
 */
import { emit, nextEvent, useTestServer, type ConnectOptions, type TestServer } from './support/harness';
import { asMessages, ok } from './support/world';

const server = useTestServer();

describe('Socket.IO owns /socket.io/', () => {
  test('a long-polling handshake is answered with an engine.io open packet, not a 404', async () => {
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body.startsWith('0{')).toBe(true);
    expect(JSON.parse(body.slice(1))).toMatchObject({ sid: expect.any(String), upgrades: ['websocket'] });
  });

  test('the client bundle is served', async () => {
    const res = await fetch(`${server.url}/socket.io/socket.io.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect((await res.text()).length).toBeGreaterThan(10_000);
  });

  test('every other path is still the HTTP API', async () => {
    expect((await server.http('GET', '/healthz')).status).toBe(200);
    const missing = await server.http('GET', '/api/no-such-endpoint');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});

const TRANSPORTS: Array<[string, ConnectOptions['transports'], string]> = [
  ['the client defaults (polling, then the upgrade)', 'default', 'websocket'],
  ['long-polling only', ['polling'], 'polling'],
  ['websocket only', ['websocket'], 'websocket'],
];

describe.each(TRANSPORTS)('the whole chat flow over %s', (_name, transports, finalTransport) => {
  test('connect, create, join, send, receive, read history and report', async () => {
    const [alice, bob] = [await server.register('alice'), await server.register('bob')];
    const aliceSocket = await server.connect(alice.token, { transports });
    const bobSocket = await server.connect(bob.token, { transports });

    const { chat } = ok(await emit(aliceSocket, 'chat:create', { type: 'group', title: 'Transports' }));
    ok(await emit(bobSocket, 'chat:join', { chatId: chat.id }));
    const heard = nextEvent(bobSocket, 'message:new');
    const { message } = ok(
      await emit(aliceSocket, 'message:send', { chatId: chat.id, text: 'over any transport', clientMsgId: 'm1' }),
    );
    expect((await heard).message).toEqual(message);

    const history = ok(await emit(bobSocket, 'message:history', { chatId: chat.id }));
    expect(asMessages(history.messages).map((m) => m.text)).toEqual(['over any transport']);
    const { report } = ok(
      await emit(bobSocket, 'report:create', { targetType: 'message', targetId: message.id, reason: 'spam' }),
    );
    expect(report.status).toBe('open');

    if (transports === 'default') await upgraded(bobSocket);
    expect(bobSocket.io.engine.transport.name).toBe(finalTransport);
  });

  test('a bad token is refused with connect_error `unauthorized`', async () => {
    await expect(server.connect('not-a-token', { transports })).rejects.toThrow('unauthorized');
  });
});

/** Resolves once the engine has moved from long-polling to websocket. */
function upgraded(socket: Awaited<ReturnType<TestServer['connect']>>): Promise<void> {
  const engine = socket.io.engine;
  if (engine.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no upgrade to websocket within 5 s')), 5000);
    engine.once('upgrade', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
