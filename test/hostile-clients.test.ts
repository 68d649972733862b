/**
 * Clients that speak the wire protocol by hand to abuse the server's own machinery: a forged
 * internal signal, handshakes abandoned half-way. Each costs the attacker, never anyone else.
 */
import WebSocket from 'ws';

import { settle, sleep, useTestServer } from './support/harness';
import { person } from './support/world';

const server = useTestServer({ MAX_SOCKETS_PER_USER: '5' });

const droppedUnknown = async (): Promise<number> => {
  const text: string = (await server.http('GET', '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith('stoa_dropped_events_total{reason="unknown_event"}'));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('a client that sends the name of the server’s flood verdict as an event', () => {
  test('is an unknown event, dropped and counted: nobody is closed or blocked, the same address still connects', async () => {
    const address = { 'x-forwarded-for': '198.51.100.60' };
    const forger = await server.register('forger');
    const socket = await server.connect(forger.token, { extraHeaders: address });
    const before = await droppedUnknown();
    let answered = false;
    (socket.emit as (event: string, ...args: unknown[]) => void)(
      'stoa:over-budget',
      { retryAfterMs: 900_000, exhausted: true },
      () => (answered = true),
    );
    await settle(socket);

    expect(socket.connected).toBe(true);
    expect(answered).toBe(false);
    expect(await droppedUnknown()).toBeGreaterThanOrEqual(before + 1);
    // Someone else behind the same address (a school, a carrier's NAT) is let in, and so is the forger.
    const neighbour = await server.register('neighbour');
    await expect(server.connect(neighbour.token, { extraHeaders: address })).resolves.toBeTruthy();
    await expect(server.connect(forger.token, { extraHeaders: address })).resolves.toBeTruthy();
  });
});

/** Opens an engine.io websocket, sends a Socket.IO CONNECT with `token` and closes at once, without waiting for the answer. */
function abandonedHandshake(url: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    ws.once('error', reject);
    ws.once('message', () => {
      ws.send(`40${JSON.stringify({ token })}`);
      ws.terminate();
    });
    ws.once('close', () => resolve());
  });
}

describe('handshakes abandoned between CONNECT and its answer', () => {
  test('give back their share of the account’s socket allowance: the account still connects', async () => {
    const account = await server.register('flaky');
    for (let i = 0; i < 30; i++) await abandonedHandshake(server.url, account.token);
    // The server finishes each abandoned handshake (token, account, rooms) after its client left.
    await sleep(300);
    const sockets = [];
    for (let i = 0; i < 5; i++) sockets.push(await server.connect(account.token));
    expect(sockets.every((s) => s.connected)).toBe(true);
    await expect(server.connect(account.token)).rejects.toThrow('rate_limited');
  });

  test('a socket that disconnects gives its place back too', async () => {
    const someone = await person(server, 'someone');
    const others = [];
    for (let i = 0; i < 4; i++) others.push(await server.connect(someone.token));
    await expect(server.connect(someone.token)).rejects.toThrow('rate_limited');
    others[0]!.close();
    await sleep(100);
    await expect(server.connect(someone.token)).resolves.toBeTruthy();
  });
});
