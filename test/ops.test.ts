/** What operators see: Prometheus metrics moving with real traffic, and the admin-only rate-limit view. */
import pino from 'pino';

import { emit, emitRaw, sleep, startTestServer, useTestServer } from './support/harness';
import { ok, person } from './support/world';

const server = useTestServer({ RATE_MESSAGES: '2/30s' });

async function metrics(): Promise<string> {
  const res = await server.http('GET', '/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.body as string;
}

/** The value of one series in Prometheus text, e.g. `stoa_events_total{event="chat:list",outcome="ok"}`; 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function until(condition: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('GET /metrics', () => {
  test('needs no token and counts events by outcome, their time, stored messages, refusals by limiter and dropped events', async () => {
    const author = await person(server, 'author');
    const created = ok(await emit(author.socket, 'chat:create', { type: 'group', title: 'Metrics' }));
    const chatId = created.chat.id;
    const before = await metrics();

    const sends = [];
    for (let i = 0; i < 3; i++)
      sends.push(await emit(author.socket, 'message:send', { chatId, text: `m${i}`, clientMsgId: `m${i}` }));
    expect(sends.map((ack) => ack.ok)).toEqual([true, true, false]);
    await emitRaw(author.socket, 'chat:list', 'not an object');
    (author.socket.emit as (...args: unknown[]) => void)('no:such:event', {});
    await emit(author.socket, 'chat:list', {});

    const after = await metrics();
    const delta = (series: string) => value(after, series) - value(before, series);
    expect(delta('stoa_events_total{event="message:send",outcome="ok"}')).toBe(2);
    expect(delta('stoa_events_total{event="message:send",outcome="rate_limited"}')).toBe(1);
    expect(delta('stoa_events_total{event="chat:list",outcome="invalid_input"}')).toBe(1);
    expect(delta('stoa_event_duration_seconds_count{event="message:send"}')).toBe(3);
    expect(delta('stoa_messages_stored_total')).toBe(2);
    expect(delta('stoa_rate_limit_refusals_total{limiter="messages"}')).toBe(1);
    expect(delta('stoa_dropped_events_total{reason="unknown_event"}')).toBe(1);
    expect(after).toContain('process_cpu_seconds_total');
  });

  test('the connected sockets gauge follows sockets opening and closing', async () => {
    const start = value(await metrics(), 'stoa_connected_sockets');
    const first = await person(server, 'gauge');
    await person(server, 'gauge');
    expect(value(await metrics(), 'stoa_connected_sockets')).toBe(start + 2);

    first.socket.close();
    await until(async () => value(await metrics(), 'stoa_connected_sockets') === start + 1);
  });

  test('an HTTP refusal counts against its limiter too', async () => {
    const before = value(await metrics(), 'stoa_rate_limit_refusals_total{limiter="login_consecutive"}');
    const { username } = await server.register('bruteforced');
    const attempt = () =>
      server.http('POST', '/api/auth/login', {
        body: { username, password: 'wrong password' },
        headers: { 'x-forwarded-for': '10.9.9.9' },
      });
    for (let i = 0; i < 5; i++) expect((await attempt()).status).toBe(401);
    expect((await attempt()).status).toBe(429);
    expect(value(await metrics(), 'stoa_rate_limit_refusals_total{limiter="login_consecutive"}')).toBe(before + 1);
  });
});

describe('GET /api/ops/rate-limits', () => {
  const opsView = (token?: string) => server.http('GET', '/api/ops/rate-limits', token === undefined ? {} : { token });

  test('is 401 without a token and 403 for a user and for a moderator', async () => {
    expect((await opsView()).status).toBe(401);
    for (const role of ['user', 'moderator'] as const) {
      const res = await opsView((await person(server, role, role)).token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
  });

  test('shows a platform admin every limiter’s settings and refusals, and the key blocked by a refusal with its time left', async () => {
    const admin = await person(server, 'admin', 'admin');
    const flooder = await person(server, 'flooder');
    const created = ok(await emit(flooder.socket, 'chat:create', { type: 'group', title: 'Flood' }));
    for (let i = 0; i < 3; i++)
      await emit(flooder.socket, 'message:send', { chatId: created.chat.id, text: `f${i}`, clientMsgId: `f${i}` });

    const res = await opsView(admin.token);
    expect(res.status).toBe(200);
    const names = res.body.limiters.map((l: { name: string }) => l.name);
    expect(names).toEqual([
      'messages',
      'reports',
      'reports_restricted',
      'connections',
      'joins',
      'registrations',
      'chat_creations',
      'history',
      'moderation_reads',
      'typing',
      'slow_mode',
      'login_consecutive',
      'login_daily',
      'flood_blocks',
      'socket_events',
      'http_requests',
    ]);
    const messages = res.body.limiters.find((l: { name: string }) => l.name === 'messages');
    expect(messages).toMatchObject({ points: 2, durationSec: 30 });
    expect(messages.refusals).toBeGreaterThanOrEqual(1);
    const blocked = messages.blocked.find((b: { key: string }) => b.key === flooder.id);
    expect(blocked.msLeft).toBeGreaterThan(0);
    expect(blocked.msLeft).toBeLessThanOrEqual(30_000);
  });
});

describe('logs', () => {
  test('one line per connect, refused event, refused request and disconnect; never a password, a message text or a token', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const logged = await startTestServer({ RATE_MESSAGES: '1/30s' }, { log });
    try {
      const { username, token } = await logged.register('logged', 'correct horse');
      expect(
        (await logged.http('POST', '/api/auth/login', { body: { username, password: 'wrong horse battery' } })).status,
      ).toBe(401);
      const socket = await logged.connect(token);
      const created = ok(await emit(socket, 'chat:create', { type: 'group', title: 'Logged' }));
      const chatId = created.chat.id;
      expect((await emit(socket, 'message:send', { chatId, text: 'first private words', clientMsgId: 'a' })).ok).toBe(
        true,
      );
      expect((await emit(socket, 'message:send', { chatId, text: 'second private words', clientMsgId: 'b' })).ok).toBe(
        false,
      );
      socket.close();
      await until(async () => lines.some((l) => l.msg === 'socket disconnected'));

      const messages = lines.map((l) => l.msg);
      expect(messages).toEqual(
        expect.arrayContaining(['request refused', 'socket connected', 'event refused', 'socket disconnected']),
      );
      expect(lines.filter((l) => l.msg === 'event refused')).toEqual([
        expect.objectContaining({ event: 'message:send', code: 'rate_limited' }),
      ]);
      expect(lines.find((l) => l.msg === 'request refused')).toMatchObject({
        path: '/api/auth/login',
        code: 'unauthorized',
      });
      const everything = JSON.stringify(lines);
      for (const secret of ['correct horse', 'wrong horse battery', 'private words', token])
        expect(everything).not.toContain(secret);
    } finally {
      await logged.close();
    }
  });
});
