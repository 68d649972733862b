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
  const publish = pub.publish.bind(pub) as (channel: string | Buffer, message: string | Buffer) => Promise<number>;
  (pub as unknown as { publish: typeof publish }).publish = (channel, message) =>
    publish(channel, message).catch((err: Error) => {
      pub.emit('error', err);
      return 0;
    });
  // The subscriber queues its SUBSCRIBE commands until Redis first answers.
  const sub = client('sub', true);
  const limits = client('limits', false);

  return {
    pub,
    sub,
    limits,
    close: async () => {
      await Promise.allSettled([pub.quit(), sub.quit(), limits.quit()]);
      for (const redis of [pub, sub, limits]) redis.disconnect();
    },
  };
}
