import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { HandlerMetrics } from '../handlers/context';

/** Every Prometheus metric Stoa exports, served as text at `GET /metrics`. */
export interface Metrics extends HandlerMetrics {
  /** Each server gets its own registry: tests start several servers in one process. */
  registry: Registry;
  contentType: string;
  connectedSockets: Gauge;
  /** outcome is `ok` or an error code of handlers/errors.ts. */
  events: Counter<'event' | 'outcome'>;
  eventDuration: Histogram<'event'>;
  messagesStored: Counter;
  reportsCreated: Counter<'reason'>;
  moderationActions: Counter<'type'>;
  appealsFiled: Counter;
  appealsDecided: Counter<'outcome'>;
  rateLimitRefusals: Counter<'limiter'>;
  /** The shared store (Redis) failed and this node's memory limiter decided instead. */
  rateLimitStoreErrors: Counter<'limiter'>;
  databaseErrors: Counter;
  /** reason is `unknown_event` or `no_ack`. */
  droppedEvents: Counter<'reason'>;
  /** Redis client errors (connection lost, publish refused), by client: pub, sub or limits. */
  redisErrors: Counter<'client'>;
  /** The whole registry in the Prometheus text format. */
  text(): Promise<string>;
}

/** Socket events take from half a millisecond (a cached read) to seconds (a moderation fan-out). */
const EVENT_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  return {
    registry,
    contentType: registry.contentType,
    connectedSockets: new Gauge({
      name: 'stoa_connected_sockets',
      help: 'Socket.IO connections open on this node',
      registers,
    }),
    events: new Counter({
      name: 'stoa_events_total',
      help: 'Client events handled, by event and outcome (ok or error code)',
      labelNames: ['event', 'outcome'] as const,
      registers,
    }),
    eventDuration: new Histogram({
      name: 'stoa_event_duration_seconds',
      help: 'Time from receiving a client event to its ack',
      labelNames: ['event'] as const,
      buckets: EVENT_DURATION_BUCKETS,
      registers,
    }),
    messagesStored: new Counter({
      name: 'stoa_messages_stored_total',
      help: 'Messages written to the database',
      registers,
    }),
    reportsCreated: new Counter({
      name: 'stoa_reports_created_total',
      help: 'Reports filed by users, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    moderationActions: new Counter({
      name: 'stoa_moderation_actions_total',
      help: 'Moderation actions taken, by type',
      labelNames: ['type'] as const,
      registers,
    }),
    appealsFiled: new Counter({
      name: 'stoa_appeals_filed_total',
      help: 'Appeals filed against moderation actions',
      registers,
    }),
    appealsDecided: new Counter({
      name: 'stoa_appeals_decided_total',
      help: 'Appeals decided, by outcome (upheld or reversed)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    rateLimitRefusals: new Counter({
      name: 'stoa_rate_limit_refusals_total',
      help: 'Requests refused by a rate limiter, by limiter',
      labelNames: ['limiter'] as const,
      registers,
    }),
    rateLimitStoreErrors: new Counter({
      name: 'stoa_rate_limit_store_errors_total',
      help: 'Rate-limit store failures answered by the in-memory insurance limiter, by limiter',
      labelNames: ['limiter'] as const,
      registers,
    }),
    databaseErrors: new Counter({
      name: 'stoa_database_errors_total',
      help: 'Database operations that failed',
      registers,
    }),
    droppedEvents: new Counter({
      name: 'stoa_dropped_events_total',
      help: 'Client events dropped unanswered, by reason (unknown_event or no_ack)',
      labelNames: ['reason'] as const,
      registers,
    }),
    redisErrors: new Counter({
      name: 'stoa_redis_errors_total',
      help: 'Redis client errors, by client (pub, sub, limits)',
      labelNames: ['client'] as const,
      registers,
    }),
    text: () => registry.metrics(),
  };
}
