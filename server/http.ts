import express, { type NextFunction, type Request, type Response } from 'express';

import * as auth from '../handlers/auth';
import * as messages from '../handlers/messages';
import * as moderation from '../handlers/moderation';
import * as reports from '../handlers/reports';
import type { Caller, LimiterName, Services } from '../handlers/context';
import { StoaError, toStoaError } from '../handlers/errors';
import { databaseAnswers } from './database';
import type { Metrics } from './metrics';
import type { LimitsOps } from './rate-limits';
import { caseIdInput, caseListQuery, loginInput, logQuery, messageHistoryQuery, moderationActionInput, objectId, registerInput, setRoleInput } from './schemas';
import { moderationActions } from './socket-routes';
import { parseInput } from './transport';
import type { TrustProxy } from './client-address';
import type { RateSetting } from './durations';
import { TokenBucket } from './event-budget';

const MAX_BODY = '64kb';

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

export interface HttpOps {
  metrics: Metrics;
  /** TRUST_PROXY: the same rule the socket handshake uses (server/client-address.ts). */
  trustProxy: TrustProxy;
  /** Requests one address may make per window, counted before the body is read. */
  requestBudget: RateSetting;
  limits: LimitsOps;
  /** Called with every unexpected failure (status 500); app.ts counts the database's among them. */
  onFailure(err: unknown): void;
}

/** The HTTP API (DESIGN.md section 5). Routes validate, call one handler, and map the outcome. */
export function createHttpApp(services: Services, ops: HttpOps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ops.trustProxy);
  app.use(requestBudget(ops));
  app.use(express.json({ limit: MAX_BODY }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await databaseAnswers();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'database unreachable' });
  });
  // No token: Prometheus scrapes without one. Operators keep /metrics off the public internet at the proxy.
  app.get('/metrics', async (_req, res) => {
    res.type(ops.metrics.contentType).send(await ops.metrics.text());
  });

  app.post('/api/auth/register', async (req, res) => {
    const input = parseInput(registerInput, req.body);
    await services.limits.consume('registrations', req.ip ?? '');
    res.status(201).json(await auth.register(services, input));
  });
  app.post('/api/auth/login', async (req, res) => {
    const input = parseInput(loginInput, req.body);
    res.json(await auth.login(services, input, req.ip ?? ''));
  });

  const requireUser = authenticated(services);
  app.get('/api/me', requireUser, (req, res) => {
    res.json(auth.me(caller(req)));
  });
  app.post('/api/auth/refresh', requireUser, (req, res) => {
    res.json(auth.refresh(services, caller(req)));
  });
  app.post('/api/auth/logout', requireUser, async (req, res) => {
    await auth.logout(services, caller(req));
    res.status(204).end();
  });
  app.put('/api/users/:id/role', requireUser, async (req, res) => {
    const input = parseInput(setRoleInput, { ...req.body, userId: req.params.id });
    res.json(await auth.setRole(services, caller(req), input));
  });

  app.get('/api/chats/:id/messages', requireUser, limitedBy(services, 'history'), async (req, res) => {
    const query = parseInput(messageHistoryQuery, req.query);
    const chatId = parseInput(objectId, req.params.id);
    res.json(await messages.messageHistory(caller(req), { ...query, chatId }));
  });

  app.get('/api/moderation/cases', requireUser, limitedBy(services, 'moderation_reads'), async (req, res) => {
    res.json(await reports.listCases(caller(req), parseInput(caseListQuery, req.query)));
  });
  app.get('/api/moderation/cases/:id', requireUser, limitedBy(services, 'moderation_reads'), async (req, res) => {
    res.json(await reports.getCase(caller(req), parseInput(caseIdInput, { caseId: req.params.id })));
  });
  app.post('/api/moderation/actions', requireUser, async (req, res) => {
    const { type, ...input } = parseInput(moderationActionInput, req.body);
    const handle = moderationActions[type] as (services: Services, caller: Caller, input: unknown) => Promise<unknown>;
    res.status(201).json(await handle(services, caller(req), input));
  });
  app.get('/api/moderation/log', requireUser, limitedBy(services, 'moderation_reads'), async (req, res) => {
    res.json(await moderation.moderationLog(caller(req), parseInput(logQuery, req.query)));
  });

  app.get('/api/ops/rate-limits', requireUser, platformAdminOnly, async (_req, res) => {
    res.json({ limiters: await ops.limits.snapshot() });
  });

  app.use((_req, _res, next) => next(new StoaError('not_found', 'No such endpoint.')));
  app.use(errorHandler(services, ops));
  return app;
}

/** Bearer-token authentication; re-reads the user on every request. */
function authenticated(services: Services) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    const { user } = await auth.authenticate(services, token);
    req.caller = { user, ip: req.ip ?? '' };
    next();
  };
}

/** Addresses whose budget is remembered at once; beyond it the longest-idle are forgotten. */
const MAX_BUDGET_KEYS = 50_000;

/**
 * Flood isolation for HTTP: each address has a request budget, spent before the body is read,
 * the token checked or the database touched, so that a flood from one address costs little.
 */
function requestBudget(ops: HttpOps) {
  const { points, durationSec } = ops.requestBudget;
  const buckets = new Map<string, TokenBucket>();
  return (req: Request, res: Response, next: NextFunction) => {
    const ip = req.ip ?? '';
    let bucket = buckets.get(ip);
    if (!bucket) {
      if (buckets.size >= MAX_BUDGET_KEYS) forgetIdle(buckets);
      bucket = new TokenBucket(points, durationSec * 1000);
      buckets.set(ip, bucket);
    }
    if (bucket.take()) return next();
    const retryAfterMs = bucket.msUntilNext();
    ops.limits.budgetRefused('http_requests', `ip:${ip}`, retryAfterMs);
    // The body is never read: the connection is closed after the answer rather than drained.
    res.set('Connection', 'close');
    next(new StoaError('rate_limited', 'Too many requests from this address; slow down.', { retryAfterMs }));
  };
}

/** Drops the buckets that are full again (nothing to remember), or else the oldest tenth. */
function forgetIdle(buckets: Map<string, TokenBucket>): void {
  for (const [key, bucket] of buckets) if (bucket.full()) buckets.delete(key);
  if (buckets.size < MAX_BUDGET_KEYS) return;
  let excess = Math.ceil(buckets.size / 10);
  for (const key of buckets.keys()) {
    if (excess-- <= 0) break;
    buckets.delete(key);
  }
}

/** A per-user limit on an authenticated route, as the matching socket event has. */
function limitedBy(services: Services, name: LimiterName) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    await services.limits.consume(name, caller(req).user.id);
    next();
  };
}

/** Operations views: blocked keys name users and IPs, so only platform admins see them. */
function platformAdminOnly(req: Request, _res: Response, next: NextFunction): void {
  if (caller(req).user.role !== 'admin') throw new StoaError('forbidden', 'Only a platform admin sees this.');
  next();
}

function caller(req: Request): Caller {
  if (!req.caller) throw new StoaError('unauthorized');
  return req.caller;
}

function errorHandler(services: Services, ops: HttpOps) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const error = bodyParserError(err) ?? toStoaError(err);
    if (error.code === 'internal') {
      ops.onFailure(err);
      services.log.error({ err, method: req.method, path: req.path }, 'request failed');
    } else {
      services.log.info({ method: req.method, path: req.path, ip: req.ip, code: error.code }, 'request refused');
    }
    if (error.retryAfterMs !== undefined) setRetryHeaders(res, error.retryAfterMs);
    res.status(error.status).json({ error: error.toWire() });
  };
}

/**
 * A refusal's wait, in whole seconds rounded up. X-RateLimit-Reset is the seconds until the
 * limit resets (a delta, as in the IETF RateLimit headers draft), not an epoch time: a
 * client with a wrong clock still waits the right time.
 */
function setRetryHeaders(res: Response, retryAfterMs: number): void {
  const seconds = String(Math.ceil(retryAfterMs / 1000));
  res.set({ 'Retry-After': seconds, 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': seconds });
}

/** express.json() failures: a body too large, or one that is not JSON. */
function bodyParserError(err: unknown): StoaError | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return new StoaError('payload_too_large');
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new StoaError('invalid_input', 'The body is not valid JSON.');
  }
  return undefined;
}
