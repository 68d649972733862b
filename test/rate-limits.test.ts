import pino from 'pino';

import type { LimiterName } from '../handlers/context';
import { StoaError } from '../handlers/contract/errors';
import type { Config } from '../server/config';
import { createMetrics, type Metrics } from '../server/metrics';
import { createLimits, type LimiterSnapshot, type RateLimiterName } from '../server/rate-limits';

const log = pino({ level: 'silent' });

/** One-second windows, so a test waits for a window to pass in about a second. */
const SETTINGS: Config['rateLimits'] = {
  messages: { points: 3, durationSec: 1 },
  reports: { points: 2, durationSec: 1 },
  reports_restricted: { points: 1, durationSec: 1 },
  typing: { points: 2, durationSec: 1 },
  connections: { points: 4, durationSec: 1 },
  joins: { points: 2, durationSec: 1 },
  registrations: { points: 2, durationSec: 1 },
  chat_creations: { points: 2, durationSec: 1 },
  history: { points: 2, durationSec: 1 },
  moderation_reads: { points: 2, durationSec: 1 },
  socket_events: { points: 5, durationSec: 1 },
  http_requests: { points: 5, durationSec: 1 },
  login_consecutive: { points: 5, durationSec: 1 },
  login_daily: { points: 10, durationSec: 1 },
};
const WINDOW_PASSED_MS = 1100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(redis?: unknown) {
  const metrics = createMetrics();
  return { metrics, limits: createLimits({ settings: SETTINGS, log, metrics, redis }) };
}

async function refusalOf(attempt: Promise<unknown>): Promise<StoaError> {
  const outcome = await attempt.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(StoaError);
  return outcome as StoaError;
}

async function counter(metrics: Metrics, name: string, limiter: RateLimiterName): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((value) => value.labels.limiter === limiter)?.value ?? 0;
}

const entryOf = (snapshot: LimiterSnapshot[], name: RateLimiterName): LimiterSnapshot => {
  const entry = snapshot.find((limiter) => limiter.name === name);
  if (entry === undefined) throw new Error(`no ${name} in the snapshot`);
  return entry;
};

/** A Redis client whose every command fails, as ioredis does while the server is down: a failing dependency. */
function unreachableRedis(status: 'ready' | 'reconnecting', failure: 'rejects' | 'throws') {
  const attempts: string[] = [];
  const fail = (command: string) => () => {
    attempts.push(command);
    const error = new Error('Connection is closed.');
    if (failure === 'throws') throw error;
    return Promise.reject(error);
  };
  const client: Record<string, unknown> = {
    status,
    defineCommand: (name: string) => {
      client[name] = fail(name);
    },
    del: fail('del'),
    multi: () => {
      const chain: Record<string, unknown> = { exec: fail('multi') };
      for (const command of ['set', 'get', 'pttl', 'incrby']) chain[command] = () => chain;
      return chain;
    },
  };
  return { client, attempts };
}

describe('per-user and per-IP limits', () => {
  test.each<[LimiterName, number]>([
    ['messages', 3],
    ['reports', 2],
    ['connections', 4],
    ['joins', 2],
    ['registrations', 2],
  ])(
    '%s: %i pass, the next is refused with retryAfterMs, others are unaffected, and the window frees it',
    async (name, points) => {
      const { limits, metrics } = setup();
      for (let i = 0; i < points; i++) await limits.consume(name, 'user-1');

      const refused = await refusalOf(limits.consume(name, 'user-1'));
      expect(refused.code).toBe('rate_limited');
      expect(refused.status).toBe(429);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
      expect(await counter(metrics, 'stoa_rate_limit_refusals_total', name)).toBe(1);
      await expect(limits.consume(name, 'user-2')).resolves.toBeUndefined();

      await sleep(WINDOW_PASSED_MS);
      await expect(limits.consume(name, 'user-1')).resolves.toBeUndefined();
    },
  );

  test('each limiter keeps its own count for the same key', async () => {
    const { limits } = setup();
    for (let i = 0; i < 3; i++) await limits.consume('messages', 'user-1');
    await expect(limits.consume('reports', 'user-1')).resolves.toBeUndefined();
    await expect(limits.consume('joins', 'user-1')).resolves.toBeUndefined();
  });
});

describe('slow mode', () => {
  test('a second message within the window is refused with slow_mode; other chats and members are free; the window frees it', async () => {
    const { limits, metrics } = setup();
    await limits.slowMode('chat-1', 'user-1', 1);

    const refused = await refusalOf(limits.slowMode('chat-1', 'user-1', 1));
    expect(refused.code).toBe('slow_mode');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(await counter(metrics, 'stoa_rate_limit_refusals_total', 'slow_mode')).toBe(1);
    await expect(limits.slowMode('chat-2', 'user-1', 1)).resolves.toBeUndefined();
    await expect(limits.slowMode('chat-1', 'user-2', 1)).resolves.toBeUndefined();

    await sleep(WINDOW_PASSED_MS);
    await expect(limits.slowMode('chat-1', 'user-1', 1)).resolves.toBeUndefined();
  });

  test('a chat with slow mode off (0 s) never refuses', async () => {
    const { limits, metrics } = setup();
    for (let i = 0; i < 5; i++) await expect(limits.slowMode('chat-1', 'user-1', 0)).resolves.toBeUndefined();
    expect(await counter(metrics, 'stoa_rate_limit_refusals_total', 'slow_mode')).toBe(0);
  });
});

describe('login protection', () => {
  test('five failures block the username+IP pair: the sixth attempt is refused until the block ends', async () => {
    const { limits, metrics } = setup();
    for (let i = 0; i < 4; i++) {
      await limits.checkLogin('Ada', '10.0.0.1');
      await limits.loginFailed('Ada', '10.0.0.1');
    }
    await limits.checkLogin('ada', '10.0.0.1');
    await limits.loginFailed('ada', '10.0.0.1');

    const refused = await refusalOf(limits.checkLogin('ADA', '10.0.0.1'));
    expect(refused.code).toBe('rate_limited');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(await counter(metrics, 'stoa_rate_limit_refusals_total', 'login_consecutive')).toBe(1);
    await expect(limits.checkLogin('ada', '10.0.0.2')).resolves.toBeUndefined();
    await expect(limits.checkLogin('grace', '10.0.0.1')).resolves.toBeUndefined();

    await sleep(WINDOW_PASSED_MS);
    await expect(limits.checkLogin('ada', '10.0.0.1')).resolves.toBeUndefined();
  });

  test('a successful login before the fifth failure starts the consecutive count again', async () => {
    const { limits } = setup();
    for (let i = 0; i < 4; i++) await limits.loginFailed('ada', '10.0.0.1');
    await limits.loginSucceeded('ada', '10.0.0.1');
    for (let i = 0; i < 4; i++) await limits.loginFailed('ada', '10.0.0.1');
    await expect(limits.checkLogin('ada', '10.0.0.1')).resolves.toBeUndefined();

    await limits.loginFailed('ada', '10.0.0.1');
    expect((await refusalOf(limits.checkLogin('ada', '10.0.0.1'))).code).toBe('rate_limited');
  });

  test('the daily limit blocks an IP that fails across many usernames, and only that IP', async () => {
    const { limits, metrics } = setup();
    for (let i = 0; i < 10; i++) await limits.loginFailed(`user${i % 4}`, '10.0.0.9');

    const refused = await refusalOf(limits.checkLogin('someone_new', '10.0.0.9'));
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(await counter(metrics, 'stoa_rate_limit_refusals_total', 'login_daily')).toBe(1);
    await expect(limits.checkLogin('someone_new', '10.0.0.10')).resolves.toBeUndefined();
  });
});

describe('flood blocks', () => {
  test('a flooder is blocked 10 s, then 20 s at the next offense; its keys show under flood_blocks', async () => {
    const { limits } = setup();
    expect(await limits.floodBlockedFor('ip:10.0.0.9')).toBe(0);
    expect(await limits.blockFlooder(['ip:10.0.0.9', 'user:u9'])).toBe(10_000);
    const first = await limits.floodBlockedFor('user:u9');
    expect(first).toBeGreaterThan(9_000);
    expect(first).toBeLessThanOrEqual(10_000);
    expect(await limits.blockFlooder(['ip:10.0.0.9', 'user:u9'])).toBe(20_000);
    expect(await limits.floodBlockedFor('ip:10.0.0.9')).toBeGreaterThan(19_000);
    const keys = entryOf(await limits.snapshot(), 'flood_blocks').blocked.map((b) => b.key);
    expect(keys.sort()).toEqual(['ip:10.0.0.9', 'user:u9']);
  });
});

describe('ops snapshot', () => {
  test('lists each limiter with its settings, refusals since start and the keys blocked right now', async () => {
    const { limits } = setup();
    for (let i = 0; i < 4; i++) await limits.consume('messages', 'user-1').catch(() => undefined);
    await limits.slowMode('chat-1', 'user-2', 1);
    await limits.slowMode('chat-1', 'user-2', 1).catch(() => undefined);
    for (let i = 0; i < 5; i++) await limits.loginFailed('ada', '10.0.0.1');

    const snapshot = await limits.snapshot();
    expect(snapshot.map((limiter) => limiter.name)).toEqual([
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
    const messages = entryOf(snapshot, 'messages');
    expect(messages).toMatchObject({ points: 3, durationSec: 1, refusals: 1, blocked: [{ key: 'user-1' }] });
    expect(messages.blocked[0]?.msLeft).toBeGreaterThan(0);
    expect(entryOf(snapshot, 'slow_mode')).toMatchObject({
      points: 1,
      refusals: 1,
      blocked: [{ key: 'chat-1:user-2' }],
    });
    // Blocked by its fifth failure, before any attempt was refused.
    const pair = entryOf(snapshot, 'login_consecutive');
    expect(pair).toMatchObject({ points: 5, blockDurationSec: 1, refusals: 0, blocked: [{ key: 'ada_10.0.0.1' }] });
    expect(pair.blocked[0]?.msLeft).toBeGreaterThan(0);
    expect(pair.durationSec).toBeGreaterThan(86_400);
    expect(entryOf(snapshot, 'reports')).toMatchObject({ refusals: 0, blocked: [] });
    expect(entryOf(snapshot, 'login_daily').blocked).toEqual([]);

    await sleep(WINDOW_PASSED_MS);
    const later = await limits.snapshot();
    for (const limiter of later) expect(limiter.blocked).toEqual([]);
    expect(entryOf(later, 'messages').refusals).toBe(1);
  });

  test('a key freed by a successful login leaves the list', async () => {
    const { limits } = setup();
    for (let i = 0; i < 5; i++) await limits.loginFailed('ada', '10.0.0.1');
    await limits.loginSucceeded('ada', '10.0.0.1');
    expect(entryOf(await limits.snapshot(), 'login_consecutive').blocked).toEqual([]);
    await expect(limits.checkLogin('ada', '10.0.0.1')).resolves.toBeUndefined();
  });
});

describe('when the Redis store fails', () => {
  test.each([
    ['ready', 'rejects'],
    ['ready', 'throws'],
    ['reconnecting', 'rejects'],
  ] as const)(
    'with the client %s and every command that %s, limits hold from memory and each store failure is counted',
    async (status, failure) => {
      const redis = unreachableRedis(status, failure);
      const { limits, metrics } = setup(redis.client);

      for (let i = 0; i < 3; i++) await limits.consume('messages', 'user-1');
      expect((await refusalOf(limits.consume('messages', 'user-1'))).code).toBe('rate_limited');
      expect(await counter(metrics, 'stoa_rate_limit_store_errors_total', 'messages')).toBe(4);
      expect(await counter(metrics, 'stoa_rate_limit_refusals_total', 'messages')).toBe(1);

      await limits.slowMode('chat-1', 'user-1', 1);
      expect((await refusalOf(limits.slowMode('chat-1', 'user-1', 1))).code).toBe('slow_mode');

      for (let i = 0; i < 5; i++) await limits.loginFailed('ada', '10.0.0.1');
      expect((await refusalOf(limits.checkLogin('ada', '10.0.0.1'))).code).toBe('rate_limited');
      expect(await counter(metrics, 'stoa_rate_limit_store_errors_total', 'login_consecutive')).toBeGreaterThan(0);

      const snapshot = await limits.snapshot();
      expect(entryOf(snapshot, 'messages').blocked).toMatchObject([{ key: 'user-1' }]);
      expect(entryOf(snapshot, 'login_consecutive').blocked).toMatchObject([{ key: 'ada_10.0.0.1' }]);

      await limits.loginSucceeded('ada', '10.0.0.1');
      await expect(limits.checkLogin('ada', '10.0.0.1')).resolves.toBeUndefined();

      // A ready client is asked first; one that is not ready is skipped for counting.
      if (status === 'ready') expect(redis.attempts).toEqual(expect.arrayContaining(['rlflxIncr', 'multi', 'del']));
      else expect(redis.attempts).not.toContain('rlflxIncr');
    },
  );
});
