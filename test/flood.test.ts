/**
 * Flood isolation: a socket that sends past its event budget is refused without its events being
 * read, then closed and blocked; an address that floods HTTP is refused before its body is read.
 * Clients that keep to the documented limits never meet the budget.
 */
import { MessageModel } from '../models';
import {
  collect,
  disconnected,
  dropTestDatabase,
  emit,
  nextEvent,
  sleep,
  startTestServer,
  type TestServer,
} from './support/harness';
import { createChat, person, post } from './support/world';

afterAll(dropTestDatabase);

/** Fires `count` sends without waiting for their acks, then collects every ack that comes back. */
async function burst(
  socket: Awaited<ReturnType<TestServer['connect']>>,
  chatId: string,
  count: number,
  prefix: string,
) {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      socket.connected
        ? socket
            .timeout(3000)
            .emitWithAck('message:send', { chatId, text: `${prefix} ${i}`, clientMsgId: `${prefix}-${i}` })
            .catch(() => null)
        : null,
    ),
  );
}

describe('a socket that floods', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ RATE_SOCKET_EVENTS: '10/10s', RATE_MESSAGES: '100000/10s' });
  });
  afterAll(() => server.close());

  test('is refused rate_limited past its budget, told why, disconnected, and blocked from reconnecting; the others are served', async () => {
    // The flooder connects from an address of its own, so that blocking it spares the other scenarios.
    const [flooder, bystander] = [
      await person(server, 'flooder', 'user', { ip: '198.51.100.1' }),
      await person(server, 'bystander'),
    ];
    const chatId = (await createChat(bystander, 'group', [flooder])).id;
    const closed = nextEvent(flooder.socket, 'connection:closed');
    const gone = disconnected(flooder.socket, 5000);

    const acks = await burst(flooder.socket, chatId, 200, 'flood');
    const refused = acks.filter((ack) => ack && !ack.ok);
    expect(refused.length).toBeGreaterThan(0);
    for (const ack of refused)
      expect(ack).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
    expect(await closed).toMatchObject({ code: 'rate_limited', retryAfterMs: expect.any(Number) });
    expect(await gone).toBe('io server disconnect');

    // Only what fit in the budget can have been stored; everything acked was, nothing refused was.
    const stored = new Set(
      (await MessageModel.find({ chatId, text: /^flood/ }, { clientMsgId: 1 }).lean()).map((m) => m.clientMsgId),
    );
    expect(stored.size).toBeLessThanOrEqual(10);
    acks.forEach((ack, i) => {
      if (ack?.ok) expect(stored.has(`flood-${i}`)).toBe(true);
      if (ack && !ack.ok) expect(stored.has(`flood-${i}`)).toBe(false);
    });

    // Blocked by address (refused before any session exists) and by account (from any address).
    await expect(
      server.connect(flooder.token, { extraHeaders: { 'x-forwarded-for': '198.51.100.1' } }),
    ).rejects.toThrow();
    await expect(
      server.connect(flooder.token, { extraHeaders: { 'x-forwarded-for': '203.0.113.77' } }),
    ).rejects.toThrow('rate_limited');

    expect((await post(bystander, chatId, 'still here')).text).toBe('still here');
    const limits = await server.http('GET', '/api/ops/rate-limits', { token: await adminToken(server) });
    const byName = Object.fromEntries(limits.body.limiters.map((l: { name: string }) => [l.name, l]));
    expect(byName.socket_events.refusals).toBeGreaterThan(0);
    expect(byName.flood_blocks.blocked.map((b: { key: string }) => b.key)).toEqual(
      expect.arrayContaining([`user:${flooder.id}`]),
    );
  });

  test('unknown events and events without an ack spend the budget too', async () => {
    const noisy = await person(server, 'noisy', 'user', { ip: '198.51.100.2' });
    const gone = disconnected(noisy.socket, 5000);
    const send = noisy.socket.emit as (event: string, payload: unknown) => void;
    for (let i = 0; i < 100 && noisy.socket.connected; i++) send.call(noisy.socket, 'no:such:event', { i });
    expect(await gone).toBe('io server disconnect');
  });
});

describe('a client at the documented limits', () => {
  test('pages history and sends at the message limit for 12 s with the default budget, and is never refused or disconnected', async () => {
    const server = await startTestServer({
      RATE_SOCKET_EVENTS: '200/10s',
      RATE_MESSAGES: '20/10s',
      RATE_HISTORY: '120/60s',
    });
    try {
      const [talker, friend] = [await person(server, 'talker'), await person(server, 'friend')];
      const chatId = (await createChat(talker, 'group', [friend])).id;
      const closed = collect(talker.socket, 'connection:closed');
      const refusals: unknown[] = [];
      const started = Date.now();
      // 20 sends per 10 s (one every 500 ms) and a history page every 500 ms, for longer than a window.
      for (let i = 0; Date.now() - started < 12_000; i++) {
        const [sent, page] = await Promise.all([
          emit(talker.socket, 'message:send', { chatId, text: `steady ${i}`, clientMsgId: `steady-${i}` }),
          emit(talker.socket, 'message:history', { chatId, limit: 20 }),
          emit(talker.socket, 'chat:list', {}),
          sleep(500),
        ]);
        if (!sent.ok) refusals.push(sent.error);
        if (!page.ok) refusals.push(page.error);
      }
      expect(refusals).toEqual([]);
      expect(closed).toEqual([]);
      expect(talker.socket.connected).toBe(true);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('an address that floods HTTP', () => {
  test('is refused 429 before the body is read; another address is served', async () => {
    const server = await startTestServer({ RATE_HTTP_REQUESTS: '5/10s' });
    try {
      const from = (ip: string) => ({ 'x-forwarded-for': ip });
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          server.http('POST', '/api/auth/login', { rawBody: '{not even json', headers: from('198.51.100.20') }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 400)).toHaveLength(5);
      const refused = answers.filter((a) => a.status === 429);
      expect(refused).toHaveLength(15);
      expect(refused[0]!.body.error.code).toBe('rate_limited');
      expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await server.http('GET', '/healthz', { headers: from('198.51.100.21') })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

async function adminToken(server: TestServer): Promise<string> {
  const admin = await person(server, 'opsadmin', 'admin');
  admin.socket.close();
  return admin.token;
}
