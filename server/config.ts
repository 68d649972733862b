import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { LargeChatSettings, RaidSettings, ReporterTrustConfig } from '../handlers/context';
import { parseTrustProxy, type TrustProxy } from './transport/client-address';
import { parseDuration, parseRate, RATE_LIMIT_DEFAULTS, type RateLimitName, type RateSetting } from './durations';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  nodeEnv: string;
  port: number;
  /** Unset: start the embedded database. */
  mongodbUri?: string;
  dataDir: string;
  dbPort: number;
  jwtSecret: string;
  jwtTtlSec: number;
  bcryptRounds: number;
  redisUrl?: string;
  /** `'*'` allows every browser origin; a list allows those only. Clients that send no Origin are always accepted. */
  corsOrigin: '*' | string[];
  logLevel: LogLevel;
  autoHideReports: number;
  /** How much a report weighs toward automatic hiding, by the reporter's standing (handlers/reporter-trust.ts). */
  reporterTrust: ReporterTrustConfig;
  /** How long after sending an author may edit a message. */
  editWindowSec: number;
  /** How long after an action the person it concerns may appeal it (APPEAL_WINDOW). */
  appealWindowSec: number;
  /** Evidence snapshots of closed cases are emptied this many days after the case closed. */
  retentionEvidenceDays: number;
  /** Access-log entries are deleted, and audit reasons and appeal texts redacted, after this many days. */
  retentionAuditDays: number;
  bootstrapAdmin?: { username: string; password: string };
  /** Which proxies may name the client (TRUST_PROXY); the same rule for HTTP and sockets. */
  trustProxy: TrustProxy;
  /** Open sockets one account may hold on one node. */
  maxSocketsPerUser: number;
  /** Large chats (LARGE_GROUP_MEMBERS, MEMBER_COUNT_INTERVAL, TYPING_INTERVAL). */
  largeChats: LargeChatSettings;
  /** Named accounts above which a legal request is bulk and needs a third approval (LEGAL_BULK_TARGETS). */
  legalBulkTargets: number;
  /** Raid protection (RAID_JOINS, RAID_WINDOW, RAID_COOLDOWN). */
  raid: RaidSettings;
  rateLimits: Record<RateLimitName, RateSetting>;
}

/** Configuration that cannot be used; start-up prints its message as one line and exits non-zero. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Record<string, string | undefined>;

/** Reads and validates the whole configuration from the environment (docs/ARCHITECTURE.md §11). */
export function loadConfig(env: Env = process.env): Config {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const nodeEnv = read('NODE_ENV') ?? 'development';
  const dataDir = path.resolve(read('DATA_DIR') ?? './data');

  const config: Config = {
    nodeEnv,
    port: integer('PORT', read('PORT'), 3000, 0, 65535),
    dataDir,
    dbPort: integer('DB_PORT', read('DB_PORT'), 27017, 0, 65535),
    jwtSecret: jwtSecret(read('JWT_SECRET'), nodeEnv, dataDir),
    jwtTtlSec: duration('JWT_TTL', read('JWT_TTL') ?? '1h'),
    bcryptRounds: integer('BCRYPT_ROUNDS', read('BCRYPT_ROUNDS'), 12, 4, 15),
    corsOrigin: corsOrigin(read('CORS_ORIGIN'), nodeEnv),
    logLevel: logLevel(read('LOG_LEVEL')),
    autoHideReports: integer('AUTO_HIDE_REPORTS', read('AUTO_HIDE_REPORTS'), 5, 1, 1000),
    reporterTrust: reporterTrust(read),
    editWindowSec: duration('EDIT_WINDOW', read('EDIT_WINDOW') ?? '48h'),
    appealWindowSec: duration('APPEAL_WINDOW', read('APPEAL_WINDOW') ?? '14d'),
    retentionEvidenceDays: integer('RETENTION_EVIDENCE_DAYS', read('RETENTION_EVIDENCE_DAYS'), 180, 1, 36_500),
    retentionAuditDays: integer('RETENTION_AUDIT_DAYS', read('RETENTION_AUDIT_DAYS'), 730, 1, 36_500),
    trustProxy: trustProxy(read('TRUST_PROXY')),
    maxSocketsPerUser: integer('MAX_SOCKETS_PER_USER', read('MAX_SOCKETS_PER_USER'), 20, 1, 10_000),
    largeChats: {
      groupMembers: integer('LARGE_GROUP_MEMBERS', read('LARGE_GROUP_MEMBERS'), 1000, 2, 10_000_000),
      memberCountIntervalMs: intervalMs('MEMBER_COUNT_INTERVAL', read('MEMBER_COUNT_INTERVAL') ?? '5s'),
      typingIntervalMs: intervalMs('TYPING_INTERVAL', read('TYPING_INTERVAL') ?? '3s'),
    },
    legalBulkTargets: integer('LEGAL_BULK_TARGETS', read('LEGAL_BULK_TARGETS'), 10, 1, 100_000),
    raid: {
      joins: integer('RAID_JOINS', read('RAID_JOINS'), 50, 2, 1_000_000),
      windowSec: duration('RAID_WINDOW', read('RAID_WINDOW') ?? '60s'),
      cooldownSec: duration('RAID_COOLDOWN', read('RAID_COOLDOWN') ?? '10m'),
    },
    rateLimits: rateLimits(read),
  };

  const mongodbUri = read('MONGODB_URI');
  if (mongodbUri !== undefined) {
    if (!/^mongodb(\+srv)?:\/\//.test(mongodbUri))
      throw new ConfigError('MONGODB_URI must start with mongodb:// or mongodb+srv://');
    config.mongodbUri = mongodbUri;
  }
  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined) {
    if (!/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
    config.redisUrl = redisUrl;
  }
  const bootstrapAdmin = read('BOOTSTRAP_ADMIN');
  if (bootstrapAdmin !== undefined) config.bootstrapAdmin = parseBootstrapAdmin(bootstrapAdmin);
  return config;
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

function weight(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value > max)
    throw new ConfigError(`${name} must be a number from 0 to ${max}, not "${raw}"`);
  return value;
}

function reporterTrust(read: (name: string) => string | undefined): ReporterTrustConfig {
  const trust: ReporterTrustConfig = {
    minAgeSec: duration('REPORT_TRUST_MIN_AGE', read('REPORT_TRUST_MIN_AGE') ?? '7d'),
    newWeight: weight('REPORT_WEIGHT_NEW', read('REPORT_WEIGHT_NEW'), 0.1, 1),
    trustedWeight: weight('REPORT_WEIGHT_TRUSTED', read('REPORT_WEIGHT_TRUSTED'), 2.5, 100),
    sanctionedWeight: weight('REPORT_WEIGHT_SANCTIONED', read('REPORT_WEIGHT_SANCTIONED'), 0, 1),
    accuracyMin: weight('REPORT_ACCURACY_MIN', read('REPORT_ACCURACY_MIN'), 0.3, 1),
    accuracyMinReports: integer('REPORT_ACCURACY_MIN_REPORTS', read('REPORT_ACCURACY_MIN_REPORTS'), 10, 1, 10_000),
    warnAfter: integer('REPORT_WARN_AFTER', read('REPORT_WARN_AFTER'), 5, 1, 10_000),
    restrictAfter: integer('REPORT_RESTRICT_AFTER', read('REPORT_RESTRICT_AFTER'), 10, 1, 10_000),
    lookbackSec: duration('REPORT_DISMISSED_LOOKBACK', read('REPORT_DISMISSED_LOOKBACK') ?? '90d'),
    restrictSec: duration('REPORT_RESTRICT_PERIOD', read('REPORT_RESTRICT_PERIOD') ?? '30d'),
  };
  if (trust.trustedWeight < 1)
    throw new ConfigError(
      `REPORT_WEIGHT_TRUSTED must be at least 1 (an established reporter), not "${trust.trustedWeight}"`,
    );
  if (trust.restrictAfter <= trust.warnAfter)
    throw new ConfigError(
      `REPORT_RESTRICT_AFTER (${trust.restrictAfter}) must be greater than REPORT_WARN_AFTER (${trust.warnAfter}): a warning comes first`,
    );
  return trust;
}

/** A short interval: a duration, or milliseconds (`250ms`). */
function intervalMs(name: string, raw: string): number {
  const ms = /^(\d+)ms$/.exec(raw.trim());
  if (ms && Number(ms[1]) > 0) return Number(ms[1]);
  return duration(name, raw) * 1000;
}

function duration(name: string, raw: string): number {
  const seconds = parseDuration(raw);
  if (seconds === undefined || seconds <= 0)
    throw new ConfigError(`${name} must be a duration such as 3600, 15m, 1h or 2d, not "${raw}"`);
  return seconds;
}

function jwtSecret(raw: string | undefined, nodeEnv: string, dataDir: string): string {
  if (raw !== undefined) {
    if (Buffer.byteLength(raw) < 32) throw new ConfigError('JWT_SECRET must be at least 32 bytes long');
    return raw;
  }
  if (nodeEnv === 'production') throw new ConfigError('JWT_SECRET is required when NODE_ENV=production');
  return generatedSecret(dataDir);
}

/** Outside production a secret is generated once and kept in DATA_DIR, so tokens survive restarts. */
function generatedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const secret = randomBytes(48).toString('base64url');
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process may have written it first; theirs wins.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw new ConfigError(`cannot write ${file}: ${(err as Error).message}`);
  }
  return secret;
}

function corsOrigin(raw: string | undefined, nodeEnv: string): '*' | string[] {
  if (raw === undefined) return nodeEnv === 'production' ? [] : '*';
  if (raw === '*') return '*';
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(
        `CORS_ORIGIN must be * or a comma-separated list of origins such as https://chat.example.com, not "${origin}"`,
      );
    }
    if (url.origin !== origin)
      throw new ConfigError(`CORS_ORIGIN entry "${origin}" must be a bare origin such as ${url.origin}`);
  }
  return origins;
}

function trustProxy(raw: string | undefined): TrustProxy {
  try {
    return parseTrustProxy(raw);
  } catch {
    throw new ConfigError(
      `TRUST_PROXY must be false, true, a hop count, or a comma-separated list of addresses, CIDRs, loopback, linklocal or uniquelocal, not "${raw}"`,
    );
  }
}

function logLevel(raw: string | undefined): LogLevel {
  if (raw === undefined) return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${raw}"`);
  return raw as LogLevel;
}

function parseBootstrapAdmin(raw: string): { username: string; password: string } {
  const colon = raw.indexOf(':');
  const username = raw.slice(0, colon).toLowerCase();
  const password = raw.slice(colon + 1);
  const passwordBytes = Buffer.byteLength(password);
  if (colon < 0 || !/^[a-z0-9_]{3,32}$/.test(username) || passwordBytes < 8 || passwordBytes > 72) {
    throw new ConfigError('BOOTSTRAP_ADMIN must be name:password (name 3-32 of a-z, 0-9, _; password 8-72 bytes)');
  }
  return { username, password };
}

function rateLimits(read: (name: string) => string | undefined): Record<RateLimitName, RateSetting> {
  const limits = {} as Record<RateLimitName, RateSetting>;
  for (const [name, fallback] of Object.entries(RATE_LIMIT_DEFAULTS) as [RateLimitName, RateSetting][]) {
    const variable = `RATE_${name.toUpperCase()}`;
    const raw = read(variable);
    if (raw === undefined) {
      limits[name] = fallback;
      continue;
    }
    const setting = parseRate(raw);
    if (setting === undefined)
      throw new ConfigError(`${variable} must look like 20/10s (points per duration), not "${raw}"`);
    limits[name] = setting;
  }
  return limits;
}
