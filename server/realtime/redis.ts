import { Redis } from 'ioredis';

import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/** Same-kind warnings are logged at most this often; metrics count every error. */
const WARNING_INTERVAL_MS = 10_000;

export interface RedisConnections {
  /** Publishes the Socket.IO adapter's packets. */
  pub: Redis;
  /** Subscribes to the adapter's channels (ioredis re-subscribes after a reconnect). */
  sub: Redis;
  /** Resolves once every subscription asked for so far has been answered (or failed). */
  subscribed(): Promise<void>;
  /** The rate limiters' store. */
  limits: Redis;
  close(): Promise<void>;
}

/**
 * The Redis clients of one node. None of them can take the node down: errors are
 * logged and counted, commands fail fast while Redis is away (no unbounded
 * offline queue), and the clients reconnect by themselves.
 */
export function connectRedis(url: string, log: Logger, metrics: Metrics): RedisConnections {
  const lastWarning = new Map<string, number>();
  const client = (name: 'pub' | 'sub' | 'limits', offlineQueue: boolean): Redis => {
    const redis = new Redis(url, {
      enableOfflineQueue: offlineQueue,
      // Only the subscriber queues (its few SUBSCRIBE commands), and those must never be dropped.
      maxRetriesPerRequest: offlineQueue ? null : 1,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    redis.on('error', (err: Error) => {
      metrics.redisErrors.inc({ client: name });
      const now = Date.now();
      if (now - (lastWarning.get(name) ?? 0) < WARNING_INTERVAL_MS) return;
      lastWarning.set(name, now);
      log.warn({ client: name, err: err.message }, 'redis error; this node keeps serving its own sockets');
    });
    redis.on('ready', () => log.info({ client: name }, 'redis ready'));
    return redis;
  };

  const pub = client('pub', false);
  // The adapter publishes without handling failures; while Redis is away a publish is dropped
  // (counted) instead of becoming an unhandled rejection. Local sockets were already served.
  for (const command of ['publish', 'spublish'] as const) {
    const send = pub[command].bind(pub) as (channel: string | Buffer, message: string | Buffer) => Promise<number>;
    (pub as unknown as Record<typeof command, typeof send>)[command] = (channel, message) =>
      send(channel, message).catch((err: Error) => {
        pub.emit('error', err);
        return 0;
      });
  }
  // The subscriber queues its SUBSCRIBE commands until Redis first answers.
  const sub = client('sub', true);
  // The sharded adapter subscribes to a room's channel when a node's first socket joins it, without
  // waiting; a new socket's connection waits for those answers, so nothing sent to it right after is missed.
  const pending = new Set<Promise<unknown>>();
  const ssubscribe = sub.ssubscribe.bind(sub) as (...channels: string[]) => Promise<unknown>;
  (sub as unknown as { ssubscribe: typeof ssubscribe }).ssubscribe = (...channels) => {
    const answered = ssubscribe(...channels).catch((err: Error) => {
      sub.emit('error', err);
    });
    pending.add(answered);
    void answered.finally(() => pending.delete(answered));
    return answered;
  };
  const limits = client('limits', false);

  return {
    pub,
    sub,
    limits,
    subscribed: async () => {
      await Promise.allSettled([...pending]);
    },
    close: async () => {
      await Promise.allSettled([pub.quit(), sub.quit(), limits.quit()]);
      for (const redis of [pub, sub, limits]) redis.disconnect();
    },
  };
}
