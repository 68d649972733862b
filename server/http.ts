import express, { type NextFunction, type Request, type Response } from 'express';

import * as auth from '../handlers/auth';
import * as messages from '../handlers/messages';
import * as moderation from '../handlers/moderation';
import * as reports from '../handlers/reports';
import type { Caller, Services } from '../handlers/context';
import { StoaError, toStoaError } from '../handlers/errors';
import { databaseAnswers } from './database';
import type { Metrics } from './metrics';
import type { LimitsOps } from './rate-limits';
import { caseIdInput, caseListQuery, loginInput, logQuery, messageHistoryQuery, moderationActionInput, objectId, registerInput, setRoleInput } from './schemas';
import { moderationActions } from './socket-routes';
import { parseInput } from './transport';

const MAX_BODY = '64kb';

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

export interface HttpOps {
  metrics: Metrics;
  limits: LimitsOps;
  /** Called with every unexpected failure (status 500); app.ts counts the database's among them. */
  onFailure(err: unknown): void;
}

/** The HTTP API (DESIGN.md section 5). Routes validate, call one handler, and map the outcome. */
export function createHttpApp(services: Services, ops: HttpOps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
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

  app.get('/api/chats/:id/messages', requireUser, async (req, res) => {
    const query = parseInput(messageHistoryQuery, req.query);
    const chatId = parseInput(objectId, req.params.id);
    res.json(await messages.messageHistory(caller(req), { ...query, chatId }));
  });

  app.get('/api/moderation/cases', requireUser, async (req, res) => {
    res.json(await reports.listCases(caller(req), parseInput(caseListQuery, req.query)));
  });
  app.get('/api/moderation/cases/:id', requireUser, async (req, res) => {
    res.json(await reports.getCase(caller(req), parseInput(caseIdInput, { caseId: req.params.id })));
  });
  app.post('/api/moderation/actions', requireUser, async (req, res) => {
    const { type, ...input } = parseInput(moderationActionInput, req.body);
    const handle = moderationActions[type] as (services: Services, caller: Caller, input: unknown) => Promise<unknown>;
    res.status(201).json(await handle(services, caller(req), input));
  });
  app.get('/api/moderation/log', requireUser, async (req, res) => {
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
