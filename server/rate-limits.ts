import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

import type { LimiterName, LimiterView, Limits } from '../handlers/context';
import { StoaError } from '../handlers/contract/errors';
import type { Config } from './config';
import type { Metrics } from './metrics';

/** Budgets kept in this process for what it alone sees: one socket's packets, one address's HTTP requests. */
export type BudgetName = 'socket_events' | 'http_requests';

/** Every limiter, as named in metrics and in the ops view. */
export type RateLimiterName =
  LimiterName | BudgetName | 'slow_mode' | 'login_consecutive' | 'login_daily' | 'flood_blocks';

/** One limiter in the ops view, named as in metrics. */
export interface LimiterSnapshot extends LimiterView {
  name: RateLimiterName;
}

/** What operators see of the limits (`GET /api/ops/rate-limits`), and the transports' flood defences. */
export interface LimitsOps extends Limits {
  snapshot(): Promise<LimiterSnapshot[]>;
  /** Counts one refusal by a budget of this process (server/event-budget.ts, the HTTP request budget). */
  budgetRefused(name: BudgetName, key: string, msLeft: number): void;
  /** Time left on a flood block of `key` (an address or an account); 0 when not blocked. */
  floodBlockedFor(key: string): Promise<number>;
  /** Blocks the keys of a connection closed for flooding, longer at each repeat; resolves with the block in ms. */
  blockFlooder(keys: string[]): Promise<number>;
}

/** The first flood block; each repeat within FLOOD_MEMORY_SEC doubles it, up to FLOOD_BLOCK_MAX_SEC. */
const FLOOD_BLOCK_SEC = 10;
const FLOOD_BLOCK_MAX_SEC = 15 * 60;
const FLOOD_MEMORY_SEC = 3600;

/** RateLimiterMemory expires keys with setTimeout, which fires at once past 2^31-1 ms (~24.8 days). */
const MEMORY_MAX_SEC = 2_147_483;
/** Consecutive login failures count until a success; the library's example uses 90 days, too long for memory timers. */
const CONSECUTIVE_FAILURE_WINDOW_SEC = 24 * 86_400;
/** Bound on the keys remembered per limiter for the ops view, so a flood cannot grow memory. */
const MAX_TRACKED_KEYS = 1000;
/** A store outage would otherwise log a line per event; metrics still count every failure. */
const STORE_WARNING_INTERVAL_MS = 10_000;

const capped = (seconds: number): number => Math.min(Math.ceil(seconds), MEMORY_MAX_SEC);

/** A limiter with a store: every one of the ops view but the budgets, and the flood offense count. */
type StoredLimiterName = Exclude<RateLimiterName, BudgetName> | 'flood_offenses';

interface Limiter {
  name: StoredLimiterName;
  store: RateLimiterAbstract;
  /** The memory limiter a Redis limiter falls back to; unset on the memory store and on budgets. */
  insurance?: RateLimiterMemory;
  points: number;
  durationSec: number;
  blockDurationSec?: number;
  refusals: number;
  /** Recently refused or blocked keys -> when that ends (epoch ms), oldest first; snapshot re-checks them. */
  blockedUntil: Map<string, number>;
}

/** A Redis limiter's memory insurance: the library calls it only when the store failed, so each call is one store failure. */
class InsuranceLimiter extends RateLimiterMemory {
  constructor(
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly onStoreFailure: () => void,
  ) {
    super(options);
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>): Promise<RateLimiterRes> {
    this.onStoreFailure();
    return super.consume(...args);
  }

  override get(...args: Parameters<RateLimiterMemory['get']>): Promise<RateLimiterRes | null> {
    this.onStoreFailure();
    return super.get(...args);
  }

  override block(...args: Parameters<RateLimiterMemory['block']>): Promise<RateLimiterRes> {
    this.onStoreFailure();
    return super.block(...args);
  }

  override delete(...args: Parameters<RateLimiterMemory['delete']>): Promise<boolean> {
    this.onStoreFailure();
    return super.delete(...args);
  }
}

const loginPairKey = (username: string, ip: string): string => `${username.toLowerCase()}_${ip}`;

/**
 * The rate limits of docs/ARCHITECTURE.md §8. In memory on one node; with `redis` (an ioredis
 * client) shared through Redis, each limiter insured by a memory limiter of the same settings.
 */
export function createLimits(options: {
  settings: Config['rateLimits'];
  log: Logger;
  metrics: Metrics;
  redis?: unknown;
}): LimitsOps {
  const { settings, log, metrics, redis } = options;
  const lastStoreWarning = new Map<StoredLimiterName, number>();

  function storeFailed(name: StoredLimiterName): void {
    metrics.rateLimitStoreErrors.inc({ limiter: name });
    const now = Date.now();
    if (now - (lastStoreWarning.get(name) ?? 0) < STORE_WARNING_INTERVAL_MS) return;
    lastStoreWarning.set(name, now);
    log.warn({ limiter: name }, 'rate-limit store failed; this node limits from memory until it answers');
  }

  function limiter(
    name: StoredLimiterName,
    setting: { points: number; durationSec: number; blockDurationSec?: number },
  ): Limiter {
    const durationSec = capped(setting.durationSec);
    const blockDurationSec = setting.blockDurationSec === undefined ? undefined : capped(setting.blockDurationSec);
    const limiterOptions = {
      keyPrefix: `stoa_${name}`,
      points: setting.points,
      duration: durationSec,
      blockDuration: blockDurationSec,
    };
    const shared = {
      name,
      points: setting.points,
      durationSec,
      blockDurationSec,
      refusals: 0,
      blockedUntil: new Map<string, number>(),
    };
    if (redis === undefined) return { ...shared, store: new RateLimiterMemory(limiterOptions) };

    const insurance = new InsuranceLimiter(limiterOptions, () => storeFailed(name));
    // Not ready (connecting, reconnecting): answer from memory at once instead of queueing the event.
    const store = new RateLimiterRedis({
      ...limiterOptions,
      storeClient: redis,
      insuranceLimiter: insurance,
      rejectIfRedisNotReady: true,
    });
    return { ...shared, store, insurance };
  }

  const limiters: Record<Exclude<RateLimiterName, BudgetName>, Limiter> = {
    messages: limiter('messages', settings.messages),
    reports: limiter('reports', settings.reports),
    reports_restricted: limiter('reports_restricted', settings.reports_restricted),
    connections: limiter('connections', settings.connections),
    joins: limiter('joins', settings.joins),
    registrations: limiter('registrations', settings.registrations),
    chat_creations: limiter('chat_creations', settings.chat_creations),
    history: limiter('history', settings.history),
    moderation_reads: limiter('moderation_reads', settings.moderation_reads),
    typing: limiter('typing', settings.typing),
    // One point; each call passes its chat's window as customDuration.
    slow_mode: limiter('slow_mode', { points: 1, durationSec: 0 }),
    login_consecutive: limiter('login_consecutive', {
      points: settings.login_consecutive.points,
      durationSec: CONSECUTIVE_FAILURE_WINDOW_SEC,
      blockDurationSec: settings.login_consecutive.durationSec,
    }),
    login_daily: limiter('login_daily', settings.login_daily),
    // One point; a flooder's keys are blocked with block(), for a duration that grows per offense.
    flood_blocks: limiter('flood_blocks', { points: 1, durationSec: 1 }),
  };
  /** Offenses per key in the last FLOOD_MEMORY_SEC, which set the length of the next flood block. */
  const floodOffenses = limiter('flood_offenses', { points: 1_000_000, durationSec: FLOOD_MEMORY_SEC });
  /** Budgets have no store: their buckets live with the socket or the request; here they are counted and shown. */
  const budgets: Record<
    BudgetName,
    { name: BudgetName; points: number; durationSec: number; refusals: number; blockedUntil: Map<string, number> }
  > = {
    socket_events: { name: 'socket_events', ...settings.socket_events, refusals: 0, blockedUntil: new Map() },
    http_requests: { name: 'http_requests', ...settings.http_requests, refusals: 0, blockedUntil: new Map() },
  };

  /**
   * Runs one operation on the limiter's store. The library hands store errors to the insurance itself,
   * except a client that throws synchronously in delete (RateLimiterRedis._delete is not async): that goes there too.
   */
  async function run<T>(limiter: Limiter, operation: (store: RateLimiterAbstract) => Promise<T>): Promise<T> {
    try {
      return await operation(limiter.store);
    } catch (err) {
      if (err instanceof RateLimiterRes || limiter.insurance === undefined) throw err;
      return operation(limiter.insurance);
    }
  }

  function track(limiter: Pick<Limiter, 'blockedUntil'>, key: string, msLeft: number): void {
    if (!(msLeft > 0)) return;
    const { blockedUntil } = limiter;
    blockedUntil.delete(key); // re-inserted last, keeping the Map oldest first
    blockedUntil.set(key, Date.now() + msLeft);
    if (blockedUntil.size <= MAX_TRACKED_KEYS) return;
    pruneExpired(blockedUntil);
    for (const oldest of blockedUntil.keys()) {
      if (blockedUntil.size <= MAX_TRACKED_KEYS) break;
      blockedUntil.delete(oldest);
    }
  }

  function countRefusal(limiter: Limiter, key: string, msLeft: number): void {
    limiter.refusals += 1;
    metrics.rateLimitRefusals.inc({ limiter: limiter.name });
    track(limiter, key, msLeft);
  }

  /** A rejected consume as the StoaError the caller sees; anything else is not a refusal and is rethrown as is. */
  function refusal(limiter: Limiter, key: string, err: unknown, code: 'rate_limited' | 'slow_mode'): unknown {
    if (!(err instanceof RateLimiterRes)) return err;
    countRefusal(limiter, key, err.msBeforeNext);
    return new StoaError(code, undefined, { retryAfterMs: err.msBeforeNext });
  }

  /** Time until `key` may act again; 0 while it still has points. */
  async function msUntilAllowed(limiter: Limiter, key: string): Promise<number> {
    const res = await run(limiter, (store) => store.get(key));
    return res !== null && res.consumedPoints >= limiter.points && res.msBeforeNext > 0 ? res.msBeforeNext : 0;
  }

  /** Counts one failed login; the failure that reaches the limit blocks the key, so the next checkLogin refuses. */
  async function recordLoginFailure(limiter: Limiter, key: string): Promise<void> {
    let res: RateLimiterRes;
    try {
      res = await run(limiter, (store) => store.consume(key));
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res = err; // already over the limit (concurrent attempts); the library blocked it when it crossed
    }
    if (res.consumedPoints < limiter.points) return;
    const blockSec = limiter.blockDurationSec;
    if (blockSec !== undefined && res.consumedPoints === limiter.points)
      res = await run(limiter, (store) => store.block(key, blockSec));
    track(limiter, key, res.msBeforeNext);
  }

  return {
    async consume(name, key) {
      const limiter = limiters[name];
      try {
        await run(limiter, (store) => store.consume(key));
      } catch (err) {
        throw refusal(limiter, key, err, 'rate_limited');
      }
    },

    async slowMode(chatId, userId, seconds) {
      if (!(seconds > 0)) return; // slow mode is off
      const limiter = limiters.slow_mode;
      const key = `${chatId}:${userId}`;
      try {
        await run(limiter, (store) => store.consume(key, 1, { customDuration: capped(seconds) }));
      } catch (err) {
        throw refusal(limiter, key, err, 'slow_mode');
      }
    },

    async checkLogin(username, ip) {
      const { login_consecutive: consecutive, login_daily: daily } = limiters;
      const pairKey = loginPairKey(username, ip);
      const [pairWait, ipWait] = await Promise.all([msUntilAllowed(consecutive, pairKey), msUntilAllowed(daily, ip)]);
      if (pairWait === 0 && ipWait === 0) return;
      // One refusal, counted against the limiter that keeps the caller out longest.
      const [limiter, key, msLeft] = pairWait >= ipWait ? [consecutive, pairKey, pairWait] : [daily, ip, ipWait];
      countRefusal(limiter, key, msLeft);
      throw new StoaError('rate_limited', undefined, { retryAfterMs: msLeft });
    },

    async loginFailed(username, ip) {
      await Promise.all([
        recordLoginFailure(limiters.login_consecutive, loginPairKey(username, ip)),
        recordLoginFailure(limiters.login_daily, ip),
      ]);
    },

    async loginSucceeded(username, ip) {
      const key = loginPairKey(username, ip);
      await run(limiters.login_consecutive, (store) => store.delete(key));
      limiters.login_consecutive.blockedUntil.delete(key);
    },

    budgetRefused(name, key, msLeft) {
      const budget = budgets[name];
      budget.refusals += 1;
      metrics.rateLimitRefusals.inc({ limiter: name });
      track(budget, key, msLeft);
    },

    async floodBlockedFor(key) {
      return msUntilAllowed(limiters.flood_blocks, key);
    },

    async blockFlooder(keys) {
      const offenses = await Promise.all(keys.map((key) => run(floodOffenses, (store) => store.penalty(key, 1))));
      const repeat = Math.max(...offenses.map((res) => res.consumedPoints));
      const seconds = Math.min(FLOOD_BLOCK_MAX_SEC, FLOOD_BLOCK_SEC * 2 ** Math.min(repeat - 1, 20));
      const flood = limiters.flood_blocks;
      await Promise.all(keys.map((key) => run(flood, (store) => store.block(key, seconds))));
      for (const key of keys) countRefusal(flood, key, seconds * 1000);
      log.warn(
        { keys, blockSec: seconds, offense: repeat },
        'flooding connection closed; its address and account are blocked',
      );
      return seconds * 1000;
    },

    async snapshot() {
      const local: LimiterSnapshot[] = Object.values(budgets).map(
        ({ name, points, durationSec, refusals, blockedUntil }) => {
          pruneExpired(blockedUntil);
          const now = Date.now();
          const blocked = [...blockedUntil]
            .map(([key, until]) => ({ key, msLeft: until - now }))
            .sort((a, b) => b.msLeft - a.msLeft);
          return { name, points, durationSec, refusals, blocked };
        },
      );
      const stored = await Promise.all(
        Object.values(limiters).map(async (limiter) => {
          pruneExpired(limiter.blockedUntil);
          const blocked: LimiterSnapshot['blocked'] = [];
          await Promise.all(
            [...limiter.blockedUntil.keys()].map(async (key) => {
              const msLeft = await msUntilAllowed(limiter, key);
              if (msLeft > 0) blocked.push({ key, msLeft });
              else limiter.blockedUntil.delete(key);
            }),
          );
          blocked.sort((a, b) => b.msLeft - a.msLeft);
          const { name, points, durationSec, blockDurationSec, refusals } = limiter;
          const entry: LimiterSnapshot = { name: name as RateLimiterName, points, durationSec, refusals, blocked };
          if (blockDurationSec !== undefined) entry.blockDurationSec = blockDurationSec;
          return entry;
        }),
      );
      return [...stored, ...local];
    },
  };
}

function pruneExpired(blockedUntil: Map<string, number>): void {
  const now = Date.now();
  for (const [key, until] of blockedUntil) if (until <= now) blockedUntil.delete(key);
}
