import express, { type NextFunction, type Request, type Response } from 'express';

import * as auth from '../../handlers/auth';
import type { Services } from '../../handlers/context';
import { StoaError } from '../../handlers/contract/errors';
import { consoleRouter } from '../console';
import { webRouter } from '../web';
import { API_VERSION, asyncApiDocument, openApiDocument, REFERENCE_PAGE_CSP, referencePage } from './api-docs';
import { databaseAnswers } from '../../handlers/store/connection';
import type { Metrics } from '../metrics';
import type { LimitsOps } from '../rate-limits';
import { operations, type HttpRoute, type Operation } from './operations';
import { invoke, settleFailure, type Sender } from './invoke';
import type { TrustProxy } from './client-address';
import type { RateSetting } from '../durations';
import { TokenBucket } from './event-budget';

const MAX_BODY = '64kb';

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

/** The HTTP API (docs/ARCHITECTURE.md §11): probes, then every operation of the table with an HTTP route. */
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

  // Generated once from the table: what is served is what is mounted.
  const openApi = openApiDocument(operations, API_VERSION);
  const asyncApi = asyncApiDocument(operations, API_VERSION);
  const reference = referencePage(operations);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.get('/api/asyncapi.json', (_req, res) => {
    res.json(asyncApi);
  });
  app.get('/api/docs', (_req, res) => {
    res.set('Content-Security-Policy', REFERENCE_PAGE_CSP).type('html').send(reference);
  });

  for (const operation of operations) if (operation.http) mount(app, services, operation, operation.http);

  app.use('/console', consoleRouter());
  app.use('/', webRouter());
  app.use((_req, _res, next) => next(new StoaError('not_found', 'No such endpoint.')));
  app.use(errorHandler(services, ops));
  return app;
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

/** One operation's route: its input from the path and the body or query, then the shared invoke. */
function mount(app: express.Express, services: Services, operation: Operation, route: HttpRoute): void {
  app[route.method](route.path, async (req: Request, res: Response) => {
    const source: unknown = route.from === 'body' ? req.body : route.from === 'query' ? req.query : {};
    const input = Object.keys(req.params).length > 0 ? { ...(source as object), ...req.params } : source;
    const result = await invoke(services, operation, input, senderOf(services, req, operation), route.input);
    if (route.status === 204) res.status(204).end();
    else if (route.produces === 'text/csv') {
      const { csv, filename } = result as { csv: string; filename: string };
      res.status(route.status).type('text/csv').attachment(filename).send(csv);
    } else res.status(route.status).json(result);
  });
}

/**
 * A bearer token's signature and expiry are checked at once (a bad one is `unauthorized` before
 * anything else); the account behind it is read only after validation and the per-user limiter.
 */
function senderOf(services: Services, req: Request, operation: Operation): Sender {
  const ip = req.ip ?? '';
  if (operation.access === 'guest')
    return { ip, userId: null, account: () => Promise.reject(new StoaError('unauthorized')) };
  const header = req.get('authorization') ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  const claims = auth.verifyToken(services, token);
  return {
    ip,
    userId: claims.sub,
    account: () => auth.accountOf(claims, { allowSuspended: operation.allowSuspended === true }),
  };
}

function errorHandler(services: Services, ops: HttpOps) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { error, status } = settleFailure({ log: services.log, onFailure: ops.onFailure }, err, 'request', {
      method: req.method,
      path: req.path,
      ip: req.ip,
    });
    if (error.retryAfterMs !== undefined) setRetryHeaders(res, error.retryAfterMs);
    res.status(status).json({ error: error.toWire() });
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
