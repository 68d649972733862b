import type { KeyObject } from 'node:crypto';

import type { Logger } from 'pino';

import type { SharedAccount } from './store/authorization-cache';
import type { ServerEventName, ServerEventPayload } from './contract/protocol';

/**
 * What handlers may do to connected clients. The Socket.IO server implements it
 * through its adapter, so every call reaches the sockets of every node.
 */
export interface Realtime {
  /** To every socket in `room`, or in any of the rooms; an empty list reaches nobody. */
  emit<E extends ServerEventName>(room: string | string[], event: E, payload: ServerEventPayload<E>): void;
  /** Every socket in `fromRoom` (on any node) joins `room`. */
  join(fromRoom: string, room: string): Promise<void>;
  /** Every socket in `fromRoom` (on any node) leaves `room` (or each of them). */
  leave(fromRoom: string, room: string | string[]): Promise<void>;
  /** Disconnects every socket in `room`, on every node. */
  disconnect(room: string): Promise<void>;
  /** Resolves once every node has handled the effects sent so far (one round trip through the adapter). */
  flush(): Promise<void>;
  /**
   * After a write to accounts, chats or memberships: every node forgets those cached facts
   * (handlers/store/authorization-cache.ts `cacheKeys`) and finishes the sends authorized on them; resolves after.
   */
  invalidate(keys: string[]): Promise<void>;
}

/** The counters handlers move; server/metrics.ts provides them with prom-client. */
export interface HandlerMetrics {
  messagesStored: { inc(): void };
  reportsCreated: { inc(labels: { reason: string }): void };
  moderationActions: { inc(labels: { type: string }): void };
  appealsFiled: { inc(): void };
  appealsDecided: { inc(labels: { outcome: string }): void };
}

/** Reporter standing: weights in "established reporter" units, and the steps against unfounded reports (REPORT_* settings). */
export interface ReporterTrustConfig {
  /** Accounts younger than this weigh `newWeight` (REPORT_TRUST_MIN_AGE). */
  minAgeSec: number;
  newWeight: number;
  trustedWeight: number;
  /** Reporters suspended before, banned in or muted in the chat they report from. */
  sanctionedWeight: number;
  /** Upheld share of decided reports below which a reporter weighs 0, once `accuracyMinReports` are decided. */
  accuracyMin: number;
  accuracyMinReports: number;
  /** Dismissed reports (within the last `lookbackSec`) that earn a warning, then a restriction. */
  warnAfter: number;
  restrictAfter: number;
  lookbackSec: number;
  /** How long a restriction lasts: weight 0 and at most `restrictedRate` reports. */
  restrictSec: number;
}

/** What changes when a group grows large: member events to its admins only, counts and typing coalesced. */
export interface LargeChatSettings {
  /** Above this many members a group is large (LARGE_GROUP_MEMBERS). */
  groupMembers: number;
  /** At most one `chat:members` per large group per interval (MEMBER_COUNT_INTERVAL). */
  memberCountIntervalMs: number;
  /** At most one `typing` per large group per interval, naming its typists (TYPING_INTERVAL). */
  typingIntervalMs: number;
}

/** Raid protection: more than `joins` joins within `windowSec` put a chat in raid mode for `cooldownSec` (RAID_*). */
export interface RaidSettings {
  joins: number;
  windowSec: number;
  cooldownSec: number;
}

export interface Services {
  log: Logger;
  realtime: Realtime;
  limits: Limits;
  metrics: HandlerMetrics;
  /**
   * The JWT secret as a key object, made once: given the string, jsonwebtoken first tries to
   * parse it as a public or private key and fails, some 0.4 ms per token signed or verified.
   */
  jwtKey: KeyObject;
  jwtTtlSec: number;
  bcryptRounds: number;
  autoHideReports: number;
  /** Report weights and the steps against unfounded reports (REPORT_* settings). */
  reporterTrust: ReporterTrustConfig;
  /** How long after sending an author may still edit a message (EDIT_WINDOW). */
  editWindowSec: number;
  /** How long after an action the person it concerns may appeal it (APPEAL_WINDOW). */
  appealWindowSec: number;
  largeChats: LargeChatSettings;
  /** Requests from authorities: more named accounts than `bulkTargets` (LEGAL_BULK_TARGETS) need a third approval. */
  legal: { bulkTargets: number };
  /** Raid protection's defaults (RAID_JOINS, RAID_WINDOW, RAID_COOLDOWN); unset: 50 joins in 60 s, 10 minutes. */
  raid?: RaidSettings;
}

/** Someone not signed in (registering, logging in), on either transport. */
export interface Guest {
  /** Client IP, for rate limits and logs. */
  ip: string;
}

/** One signed-in caller's request, on either transport. */
export interface Caller extends Guest {
  /** The authenticated user, re-read from the database for this request. */
  user: SharedAccount;
}

/** What every handler is called with, `(ctx, input)`: the services, and who is asking. */
export interface Context<C extends Guest = Caller> {
  services: Services;
  caller: C;
}

/** Limiter names, each with its own key prefix and RATE_<NAME> override (docs/ARCHITECTURE.md §8). */
export type LimiterName =
  | 'messages'
  | 'reports'
  | 'reports_restricted'
  | 'connections'
  | 'joins'
  | 'registrations'
  | 'chat_creations'
  | 'history'
  | 'moderation_reads'
  | 'typing';

/** One limiter as operators see it (`GET /api/ops/rate-limits`). */
export interface LimiterView {
  name: string;
  points: number;
  /** Counting window; 0 for slow_mode, whose window each chat sets. */
  durationSec: number;
  blockDurationSec?: number;
  /** Refusals since this process started. */
  refusals: number;
  /** Keys that would be refused right now, longest wait first. */
  blocked: Array<{ key: string; msLeft: number }>;
}

/**
 * Rate limits (rate-limiter-flexible). Each refusal throws StoaError
 * `rate_limited` (or `slow_mode`) carrying `retryAfterMs`, and is counted.
 */
export interface Limits {
  /** Takes one point for `key`; refuses when the limiter is exhausted. */
  consume(name: LimiterName, key: string): Promise<void>;
  /** Per-chat slow mode: one message per `seconds` for this member. */
  slowMode(chatId: string, userId: string, seconds: number): Promise<void>;
  /** Refuses a login attempt while the username+IP pair or the IP is blocked. */
  checkLogin(username: string, ip: string): Promise<void>;
  /** Counts a failed login against the pair and the IP. */
  loginFailed(username: string, ip: string): Promise<void>;
  /** Clears the consecutive-failure count of the pair. */
  loginSucceeded(username: string, ip: string): Promise<void>;
  /** Every limiter's settings, refusals and blocked keys. */
  snapshot(): Promise<LimiterView[]>;
}
