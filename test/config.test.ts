import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ConfigError, loadConfig } from '../server/config';
import { parseDuration, parseRate } from '../server/durations';

const SECRET = 'a-secret-that-is-at-least-32-bytes-long';
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'stoa-config-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('configuration', () => {
  test('defaults follow docs/ARCHITECTURE.md §11', () => {
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      port: 3000,
      dbPort: 27017,
      jwtTtlSec: 3600,
      bcryptRounds: 12,
      corsOrigin: '*',
      logLevel: 'info',
      autoHideReports: 5,
      reporterTrust: {
        minAgeSec: 7 * 86_400,
        newWeight: 0.1,
        trustedWeight: 2.5,
        sanctionedWeight: 0,
        accuracyMin: 0.3,
        accuracyMinReports: 10,
        warnAfter: 5,
        restrictAfter: 10,
        lookbackSec: 90 * 86_400,
        restrictSec: 30 * 86_400,
      },
      appealWindowSec: 14 * 86_400,
      retentionEvidenceDays: 180,
      retentionAuditDays: 730,
      rateLimits: {
        messages: { points: 20, durationSec: 10 },
        reports: { points: 10, durationSec: 60 },
        login_consecutive: { points: 5, durationSec: 900 },
        login_daily: { points: 100, durationSec: 86_400 },
        connections: { points: 20, durationSec: 60 },
        joins: { points: 30, durationSec: 60 },
      },
    });
    expect(config.mongodbUri).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  test('outside production the JWT secret is generated once into DATA_DIR, private to its owner', () => {
    const first = loadConfig({ DATA_DIR: dataDir }).jwtSecret;
    const second = loadConfig({ DATA_DIR: dataDir }).jwtSecret;
    expect(first).toBe(second);
    expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(32);
    const file = path.join(dataDir, 'jwt-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  test('overrides are read and checked', () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      PORT: '8080',
      JWT_TTL: '15m',
      APPEAL_WINDOW: '7d',
      RETENTION_EVIDENCE_DAYS: '90',
      RETENTION_AUDIT_DAYS: '365',
      CORS_ORIGIN: 'https://chat.example.com, https://admin.example.com',
      RATE_MESSAGES: '5/2s',
      RATE_LOGIN_DAILY: '50/1d',
      BOOTSTRAP_ADMIN: 'Root:a long password',
      MONGODB_URI: 'mongodb://db:27017/stoa',
      REDIS_URL: 'redis://cache:6379',
    });
    expect(config).toMatchObject({
      port: 8080,
      jwtTtlSec: 900,
      appealWindowSec: 7 * 86_400,
      retentionEvidenceDays: 90,
      retentionAuditDays: 365,
      corsOrigin: ['https://chat.example.com', 'https://admin.example.com'],
      bootstrapAdmin: { username: 'root', password: 'a long password' },
      mongodbUri: 'mongodb://db:27017/stoa',
      redisUrl: 'redis://cache:6379',
    });
    expect(config.rateLimits.messages).toEqual({ points: 5, durationSec: 2 });
    expect(config.rateLimits.login_daily).toEqual({ points: 50, durationSec: 86_400 });
    expect(loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET: SECRET }).corsOrigin).toEqual([]);
  });

  test.each([
    [{ NODE_ENV: 'production', JWT_SECRET: '' }, 'JWT_SECRET is required when NODE_ENV=production'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 bytes'],
    [{ PORT: 'eighty' }, 'PORT must be a whole number'],
    [{ PORT: '70000' }, 'PORT must be a whole number from 0 to 65535'],
    [{ BCRYPT_ROUNDS: '3' }, 'BCRYPT_ROUNDS'],
    [{ JWT_TTL: 'forever' }, 'JWT_TTL must be a duration'],
    [{ APPEAL_WINDOW: 'a fortnight' }, 'APPEAL_WINDOW must be a duration'],
    [{ RETENTION_EVIDENCE_DAYS: '0' }, 'RETENTION_EVIDENCE_DAYS must be a whole number'],
    [{ RETENTION_AUDIT_DAYS: 'forever' }, 'RETENTION_AUDIT_DAYS must be a whole number'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
    [{ CORS_ORIGIN: 'chat.example.com' }, 'CORS_ORIGIN'],
    [{ CORS_ORIGIN: 'https://chat.example.com/path' }, 'must be a bare origin'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI must start with mongodb://'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL must start with redis://'],
    [{ BOOTSTRAP_ADMIN: 'nopassword' }, 'BOOTSTRAP_ADMIN must be name:password'],
    [{ BOOTSTRAP_ADMIN: 'root:short' }, 'BOOTSTRAP_ADMIN must be name:password'],
    [{ RATE_MESSAGES: 'lots' }, 'RATE_MESSAGES must look like 20/10s'],
    [{ RATE_JOINS: '0/1m' }, 'RATE_JOINS must look like 20/10s'],
    [{ AUTO_HIDE_REPORTS: '0' }, 'AUTO_HIDE_REPORTS'],
    [{ REPORT_WEIGHT_NEW: '1.5' }, 'REPORT_WEIGHT_NEW must be a number from 0 to 1'],
    [{ REPORT_WEIGHT_NEW: '-0.1' }, 'REPORT_WEIGHT_NEW'],
    [{ REPORT_WEIGHT_TRUSTED: '0.5' }, 'REPORT_WEIGHT_TRUSTED must be at least 1'],
    [{ REPORT_WEIGHT_TRUSTED: 'lots' }, 'REPORT_WEIGHT_TRUSTED'],
    [{ REPORT_ACCURACY_MIN: '2' }, 'REPORT_ACCURACY_MIN must be a number from 0 to 1'],
    [{ REPORT_TRUST_MIN_AGE: 'a week' }, 'REPORT_TRUST_MIN_AGE must be a duration'],
    [
      { REPORT_WARN_AFTER: '10', REPORT_RESTRICT_AFTER: '5' },
      'REPORT_RESTRICT_AFTER (5) must be greater than REPORT_WARN_AFTER (10)',
    ],
    [{ RATE_REPORTS_RESTRICTED: 'few' }, 'RATE_REPORTS_RESTRICTED must look like 20/10s'],
  ])('%j is refused with one clear line', (env, message) => {
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, ...env });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('durations and rates', () => {
  test.each([
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['2d', 172_800],
    ['1w', undefined],
    ['-5', undefined],
    ['', undefined],
  ])('duration %j -> %j seconds', (raw, seconds) => {
    expect(parseDuration(raw)).toBe(seconds);
  });

  test.each([
    ['20/10s', { points: 20, durationSec: 10 }],
    ['100/1d', { points: 100, durationSec: 86_400 }],
    ['5/15m', { points: 5, durationSec: 900 }],
    ['20', undefined],
    ['20/10s/1', undefined],
    ['x/10s', undefined],
    ['0/10s', undefined],
    ['5/0s', undefined],
  ])('rate %j -> %j', (raw, rate) => {
    expect(parseRate(raw)).toEqual(rate);
  });
});
