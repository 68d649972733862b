import { createSecretKey } from 'node:crypto';
import { createServer, type RequestListener, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createShardedAdapter } from '@socket.io/redis-adapter';
import mongoose from 'mongoose';

import { finishPendingDeletions } from '../handlers/account-data';
import { bootstrapAdmin } from '../handlers/auth';
import { countUncountedChats } from '../handlers/chats';
import { startJobRunner } from '../handlers/purge-jobs';
import { sendNoticesDue } from '../handlers/legal-requests';
import type { Services } from '../handlers/context';
import type { Config } from './config';
import { createHttpApp } from './transport/http';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createLimits, type LimitsOps } from './rate-limits';
import { connectRedis } from './realtime/redis';
import { startRetentionSweeper } from './retention';
import { attachSocketHandlers, createSocketServer, socketRealtime, type StoaServer } from './transport/socket';

export interface Stoa {
  httpServer: HttpServer;
  io: StoaServer;
  services: Services;
  metrics: Metrics;
  limits: LimitsOps;
  /** Listens on `port` (0 picks a free one) and resolves with the port taken. */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Graceful stop: refuses new connections and events, sends `server:shutdown` to every socket,
   * lets the events in flight finish (up to `drainMs`), then closes every socket and the listener.
   * The database stays connected: its owner (server/shutdown.ts, or a test) closes it afterwards.
   */
  close(options?: { reason?: string; drainMs?: number }): Promise<void>;
}

/** Long enough for a moderation fan-out; short enough to leave room in the 10 s shutdown budget. */
const DEFAULT_DRAIN_MS = 5_000;
/** Requests still open once the sockets are gone (a slow login) get this long before their connection is cut. */
const HTTP_DRAIN_MS = 1_000;

/** How long a node waits for the others to confirm a cross-node request (e.g. a moderation effect). */
const CROSS_NODE_TIMEOUT_MS = 2_000;

/** Wires HTTP and Socket.IO on one server, over a database that is already connected. */
export async function createStoa(config: Config, log: Logger): Promise<Stoa> {
  // The HTTP listener must exist before Socket.IO attaches, so that Socket.IO answers /socket.io/
  // and hands it everything else; the Express app needs the services, which need the Socket.IO server.
  let httpApp: RequestListener | undefined;
  const httpServer = createServer((req, res) => httpApp!(req, res));
  const metrics = createMetrics();
  // With Redis, rooms and limits are shared by every node (docs/ARCHITECTURE.md §7).
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log, metrics) : undefined;
  const limits = createLimits({ settings: config.rateLimits, log, metrics, ...(redis ? { redis: redis.limits } : {}) });
  const io = createSocketServer(httpServer, config, limits);
  // Sharded pub/sub (Redis 7), subscribed per room: a node receives only the traffic of the rooms its sockets are in.
  if (redis) io.adapter(createShardedAdapter(redis.pub, redis.sub, { subscriptionMode: 'dynamic' }));
  const services: Services = {
    log,
    realtime: socketRealtime(io, log, { clustered: redis !== undefined, timeoutMs: CROSS_NODE_TIMEOUT_MS }),
    limits,
    metrics,
    jwtKey: createSecretKey(Buffer.from(config.jwtSecret)),
    jwtTtlSec: config.jwtTtlSec,
    bcryptRounds: config.bcryptRounds,
    autoHideReports: config.autoHideReports,
    reporterTrust: config.reporterTrust,
    editWindowSec: config.editWindowSec,
    appealWindowSec: config.appealWindowSec,
    largeChats: config.largeChats,
    legal: { bulkTargets: config.legalBulkTargets },
    raid: config.raid,
  };
  const onFailure = (err: unknown) => {
    if (isDatabaseError(err)) metrics.databaseErrors.inc();
  };
  httpApp = createHttpApp(services, {
    metrics,
    limits,
    onFailure,
    trustProxy: config.trustProxy,
    requestBudget: config.rateLimits.http_requests,
  });
  const sockets = attachSocketHandlers(io, services, {
    metrics,
    limits,
    onFailure,
    trustProxy: config.trustProxy,
    maxSocketsPerUser: config.maxSocketsPerUser,
    ...(redis ? { subscribed: redis.subscribed } : {}),
  });
  if (config.bootstrapAdmin) await bootstrapAdmin(services, config.bootstrapAdmin);
  const counted = await countUncountedChats();
  if (counted > 0) log.info({ chats: counted }, 'member counts of older chats counted');
  // Purges left running by a node that stopped resume here (at once when it shut down cleanly).
  const jobRunner = startJobRunner(services);
  const retention = startRetentionSweeper(
    { evidenceDays: config.retentionEvidenceDays, auditDays: config.retentionAuditDays },
    log,
    // Chores: deletions a failure left half done; notices of disclosures whose gag has lapsed.
    [() => finishPendingDeletions(services), () => sendNoticesDue()],
  );

  let closing: Promise<void> | undefined;
  const close = async ({ reason = 'server shutting down', drainMs = DEFAULT_DRAIN_MS } = {}): Promise<void> => {
    sockets.stopAccepting();
    retention.stop();
    const jobsStopped = jobRunner.stop();
    // Stops new TCP connections now; resolves once every open one has ended.
    const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    // `local`: with several nodes, only this node's sockets are going away.
    io.local.emit('server:shutdown', { reason });
    const drained = await within(drainMs, sockets.idle());
    if (!drained) log.warn({ drainMs }, 'events still in flight at shutdown; closing anyway');
    io.local.disconnectSockets(true);
    await within(HTTP_DRAIN_MS, Promise.all([httpClosed, jobsStopped]));
    httpServer.closeAllConnections();
    await io.close();
    await redis?.close();
  };

  return {
    httpServer,
    io,
    services,
    metrics,
    limits,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    close: (options) => (closing ??= close(options)),
  };
}

/** True when `work` settles within `ms`. */
async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = await Promise.race([work.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

/** Failures of the database itself (network, server, no server to select), not of a handler's logic. */
function isDatabaseError(err: unknown): boolean {
  return err instanceof mongoose.mongo.MongoError || err instanceof mongoose.Error.MongooseServerSelectionError;
}
