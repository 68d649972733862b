import type { IncomingMessage, Server as HttpServer } from 'node:http';

import { Server, type Socket } from 'socket.io';

import { authenticate, connectionRooms, currentUser } from '../../handlers/auth';
import { unreadNotices } from '../../handlers/notices';
import { forgetAuthorization } from '../../handlers/store/authorization-cache';
import { gathered, type Outcome } from '../../handlers/store/batches';
import type { Limits, Realtime, Services } from '../../handlers/context';
import { StoaError, toStoaError, type ErrorCode } from '../../handlers/contract/errors';
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from '../protocol';
import { clientAddress, type TrustProxy } from './client-address';
import type { Config } from '../config';
import { budgetedParser, OVER_BUDGET_EVENT, type OverBudget } from './event-budget';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { LimitsOps } from '../rate-limits';
import { socketOperations, type Operation } from './operations';
import { invoke, settleFailure } from './invoke';

/** What nodes tell each other through the adapter. */
interface NodeEvents {
  /** Forget these cached authorization facts; answer once the sends authorized on them are stored. */
  'stoa:invalidate': (keys: string[], done: (err: null, ok: true) => void) => void;
}

export type StoaServer = Server<ClientToServerEvents, ServerToClientEvents, NodeEvents, SocketData>;
export type StoaSocket = Socket<ClientToServerEvents, ServerToClientEvents, NodeEvents, SocketData>;

const MAX_FRAME_BYTES = 64 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;
/** Refusals of the event budget a socket may receive per window before it is closed and blocked. */
const TOLERATED_REFUSALS = 20;
/** One warning line per socket per interval for dropped events; metrics count every one. */
const DROP_LOG_INTERVAL_MS = 10_000;
// setTimeout cannot wait longer than this.
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The connect_error messages a client may see (docs/ARCHITECTURE.md §11); any other refusal reads `unauthorized`. */
const HANDSHAKE_CODES: readonly ErrorCode[] = ['unauthorized', 'suspended', 'rate_limited', 'internal'];
const SHUTTING_DOWN = 'The server is shutting down; reconnect shortly.';

/** A handshake refused by the connection limit; the CONNECT that follows is answered `rate_limited`. */
const REFUSED_HANDSHAKE = Symbol('stoa.refusedHandshake');
/** Set once a session has sent its first CONNECT, which its handshake paid for. */
const CONNECTED_ONCE = Symbol('stoa.connectedOnce');
type CountedRequest = IncomingMessage & { [REFUSED_HANDSHAKE]?: number; [CONNECTED_ONCE]?: true };

/**
 * Socket.IO on `httpServer`, which must already have its HTTP listener: Socket.IO then answers
 * `/socket.io/` (long-polling, the websocket upgrade and the client bundle) and hands every other
 * request to that listener.
 */
export function createSocketServer(httpServer: HttpServer, config: Config, limits: Limits & LimitsOps): StoaServer {
  const allowed = config.corsOrigin;
  return new Server(httpServer, {
    maxHttpBufferSize: MAX_FRAME_BYTES,
    parser: budgetedParser({ ...config.rateLimits.socket_events, refusals: TOLERATED_REFUSALS }),
    // Off on purpose: recovery would put a banned member back into a room without passing the middleware.
    connectionStateRecovery: undefined,
    // A session that never sends CONNECT holds memory for nothing.
    connectTimeout: CONNECT_TIMEOUT_MS,
    cors: { origin: allowed === '*' ? true : allowed, credentials: true },
    allowRequest: (req, callback) => {
      // Browsers send Origin; clients that send none (native apps, servers) are not browsers and are let in.
      const origin = req.headers.origin;
      if (origin !== undefined && allowed !== '*' && !allowed.includes(origin))
        return callback('origin not allowed', false);
      const ip = clientAddress(req, config.trustProxy);
      // A blocked flooder's reconnects are refused here, before any session exists (HTTP 403).
      limits
        .floodBlockedFor(floodKeys.address(ip))
        .then(async (blockedMs) => {
          if (blockedMs > 0) return callback('rate_limited', false);
          // Every engine.io handshake counts against the per-IP limit, whether or not a CONNECT follows.
          await limits.consume('connections', ip);
          callback(null, true);
        })
        .catch((err: unknown) => {
          // Let the session open so that its CONNECT can be told `rate_limited` (server/socket.ts admit).
          (req as CountedRequest)[REFUSED_HANDSHAKE] = toStoaError(err).retryAfterMs ?? 1000;
          callback(null, true);
        });
    },
  });
}

/** The keys a flooder is blocked under: its address and its account. */
const floodKeys = {
  address: (ip: string) => `ip:${ip}`,
  account: (userId: string) => `user:${userId}`,
};

/** A room no socket is in: asking every node for its sockets there is a cheap round trip. */
const FLUSH_ROOM = 'stoa:flush';

const DONE: Outcome<void> = { ok: true, value: undefined };

/**
 * Realtime effects through the adapter, so that they reach the sockets of every node.
 * `clustered`: other nodes may exist (the Redis adapter), and hear of invalidations.
 */
export function socketRealtime(
  io: StoaServer,
  log: Logger,
  { clustered, timeoutMs = 2_000 }: { clustered: boolean; timeoutMs?: number },
): Realtime {
  /** Each other node answers once it has handled what was published before the question. */
  const allNodesCaughtUp = () => io.in(FLUSH_ROOM).timeout(timeoutMs).fetchSockets();
  if (clustered) {
    io.on('stoa:invalidate', (keys, done) => {
      void forgetAuthorization(keys).then(() => done(null, true));
    });
  }
  // A storm of joins on one node asks the others one question per batch, not one per join: a
  // join waits for the first question published after its own change (gathered() sends those
  // that arrive during one question in the next).
  const joinsConfirmed = gathered(async (rooms: string[]) => {
    try {
      await allNodesCaughtUp();
    } catch (err) {
      log.warn({ err: (err as Error).message, rooms: rooms.length }, 'other nodes did not confirm a join in time');
    }
    return rooms.map(() => DONE);
  });
  const othersForgot = gathered(async (keySets: string[][]) => {
    const keys = [...new Set(keySets.flat())];
    try {
      await io.serverSideEmitWithAck('stoa:invalidate', keys);
    } catch (err) {
      log.warn(
        { err: (err as Error).message, keys },
        'other nodes did not confirm an invalidation in time; they may act on old facts for a while',
      );
    }
    return keySets.map(() => DONE);
  });
  return {
    emit(room, event, payload) {
      // Socket.IO reads no room at all as every socket: an audience that came out empty hears nothing.
      if (Array.isArray(room) && room.length === 0) return;
      (io.to(room).emit as (event: string, payload: unknown) => boolean)(event, payload);
    },
    async join(fromRoom, room) {
      io.in(fromRoom).socketsJoin(room);
      // A node whose socket just joined subscribes to the room's channel before it answers: once
      // every node has, what is sent to the room next reaches them all.
      if (clustered) await joinsConfirmed(room);
    },
    async leave(fromRoom, room) {
      io.in(fromRoom).socketsLeave(room);
    },
    async disconnect(room) {
      io.in(room).disconnectSockets(true);
    },
    async flush() {
      // Each node answers after handling what was published before the question (Redis keeps the order).
      try {
        await allNodesCaughtUp();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'other nodes did not confirm in time; their sockets may lag');
      }
    },
    async invalidate(keys) {
      await forgetAuthorization(keys);
      if (clustered) await othersForgot(keys);
    },
  };
}

export interface SocketOps {
  metrics: Metrics;
  limits: LimitsOps;
  trustProxy: TrustProxy;
  /** Open sockets one account may hold on this node. */
  maxSocketsPerUser: number;
  /** Called with every unexpected failure (outcome `internal`); app.ts counts the database's among them. */
  onFailure(err: unknown): void;
  /** With several nodes: resolves once this node's room subscriptions asked for so far are in place. */
  subscribed?(): Promise<void>;
}

/** What a graceful shutdown needs from the socket side. */
export interface SocketLifecycle {
  /** From now on new connections and new events are refused. */
  stopAccepting(): void;
  /** Resolves once no handshake or event is being handled. */
  idle(): Promise<void>;
}

/** Authenticates every connection, puts it in its rooms and wires the client events. */
export function attachSocketHandlers(io: StoaServer, services: Services, ops: SocketOps): SocketLifecycle {
  const log = services.log;
  const inFlight = new Set<Promise<void>>();
  const socketsPerUser = new Map<string, number>();
  let accepting = true;

  const track = (work: Promise<void>): void => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  /**
   * Takes one of the account's places for `socket`; gives it back exactly once, whichever way the
   * socket ends: a disconnect, or its client leaving before the connection completed (then
   * Socket.IO drops the socket without `connection` or `disconnect`, but the transport closes).
   */
  const holdPlace = (socket: StoaSocket, userId: string): void => {
    socketsPerUser.set(userId, (socketsPerUser.get(userId) ?? 0) + 1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      socket.conn.off('close', release);
      const open = (socketsPerUser.get(userId) ?? 1) - 1;
      if (open > 0) socketsPerUser.set(userId, open);
      else socketsPerUser.delete(userId);
    };
    socket.conn.once('close', release);
    socket.once('disconnect', release);
  };

  io.use((socket, next) => {
    track(
      admit(services, ops, socket, accepting).then(
        () => {
          // Its client left while it was being admitted: there is nothing to hold a place for.
          if (socket.conn.readyState !== 'open') return next(new Error('closed'));
          const userId = socket.data.userId;
          if ((socketsPerUser.get(userId) ?? 0) >= ops.maxSocketsPerUser) {
            next(
              handshakeRefusal(
                services,
                ops,
                socket,
                new StoaError('rate_limited', 'Too many open connections for this account.'),
              ),
            );
            return;
          }
          holdPlace(socket, userId);
          next();
        },
        (err: unknown) => next(handshakeRefusal(services, ops, socket, err)),
      ),
    );
  });

  io.on('connection', (socket) => {
    const { userId, tokenExp } = socket.data;
    const ip = clientAddress(socket.request, ops.trustProxy);
    // Its address read, the handshake request (headers, socket, parser state) is not kept for the socket's life.
    (socket.conn as unknown as { request: unknown }).request = null;
    const expiry = setTimeout(
      () => socket.disconnect(true),
      Math.min(MAX_TIMER_MS, Math.max(0, tokenExp * 1000 - Date.now())),
    );
    const drops = droppedEventLog(log, socket.id, userId);
    ops.metrics.connectedSockets.inc();
    socket.on('disconnect', (reason) => {
      clearTimeout(expiry);
      drops.flush();
      ops.metrics.connectedSockets.dec();
      log.info({ socketId: socket.id, userId, reason }, 'socket disconnected');
    });

    socket.onAny((event: string | symbol, ...args: unknown[]) => {
      if (event === OVER_BUDGET_EVENT) {
        refuseOverBudget(services, ops, socket, ip, args);
        return;
      }
      const operation = typeof event === 'string' ? socketOperations.get(event) : undefined;
      const ack = args[args.length - 1];
      if (!operation || typeof ack !== 'function') {
        const reason = operation ? 'no_ack' : 'unknown_event';
        ops.metrics.droppedEvents.inc({ reason });
        drops.record(String(event).slice(0, 64), reason);
        return;
      }
      const input = args.length > 1 ? args[0] : undefined;
      track(
        dispatch(services, ops, { socket, ip, operation, input, ack: ack as (response: unknown) => void, accepting }),
      );
    });

    log.info({ socketId: socket.id, userId, ip }, 'socket connected');
    track(sendUnreadNotices(services, socket));
  });

  return {
    stopAccepting: () => {
      accepting = false;
    },
    idle: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * An event over the connection's budget (server/event-budget.ts): refused without being read.
 * When the socket keeps sending after its refusals, it is told why, closed, and its address
 * and account are blocked from reconnecting for a while.
 */
function refuseOverBudget(services: Services, ops: SocketOps, socket: StoaSocket, ip: string, args: unknown[]): void {
  const verdict = args[0] as OverBudget;
  const ack = args[args.length - 1];
  ops.limits.budgetRefused('socket_events', floodKeys.account(socket.data.userId), verdict.retryAfterMs);
  const refusal = new StoaError('rate_limited', 'Too many events on this connection; slow down.', {
    retryAfterMs: verdict.retryAfterMs,
  });
  if (typeof ack === 'function') ack({ ok: false, error: refusal.toWire() });
  if (!verdict.exhausted) return;
  const keys = [floodKeys.address(ip), floodKeys.account(socket.data.userId)];
  void ops.limits.blockFlooder(keys).then(
    (blockedMs) => {
      socket.emit('connection:closed', {
        code: 'rate_limited',
        message: 'Closed for sending too many events.',
        retryAfterMs: blockedMs,
      });
      socket.disconnect(true);
    },
    (err: unknown) => {
      services.log.error({ err, keys }, 'could not block a flooding connection');
      socket.disconnect(true);
    },
  );
}

/**
 * The handshake: the per-IP connection limit first, so that a flood of bad tokens costs no
 * token check and no database read; then the token, the account, and the rooms.
 */
async function admit(services: Services, ops: SocketOps, socket: StoaSocket, accepting: boolean): Promise<void> {
  if (!accepting) throw new StoaError('internal', SHUTTING_DOWN);
  const request = socket.request as CountedRequest;
  const refusedFor = request[REFUSED_HANDSHAKE];
  if (refusedFor !== undefined) throw new StoaError('rate_limited', undefined, { retryAfterMs: refusedFor });
  // Any CONNECT after the first on one session costs a point of its own.
  if (request[CONNECTED_ONCE]) await services.limits.consume('connections', clientAddress(request, ops.trustProxy));
  request[CONNECTED_ONCE] = true;
  const { user, exp } = await authenticate(services, socket.handshake.auth?.token);
  const blockedMs = await ops.limits.floodBlockedFor(floodKeys.account(user.id));
  if (blockedMs > 0)
    throw new StoaError('rate_limited', 'This account was disconnected for flooding; wait before reconnecting.', {
      retryAfterMs: blockedMs,
    });
  socket.data = { userId: user.id, tokenExp: exp };
  // Joined, and subscribed to on this node, before the connection completes, so that no room message can slip past a new socket.
  void socket.join(await connectionRooms(user));
  await ops.subscribed?.();
}

/** Statements of reasons not read yet, so that an action taken while the person was away reaches them on connection. */
async function sendUnreadNotices(services: Services, socket: StoaSocket): Promise<void> {
  try {
    const notices = await unreadNotices(socket.data.userId);
    if (notices.length > 0) socket.emit('notices:unread', { notices });
  } catch (err) {
    services.log.error({ err, userId: socket.data.userId }, 'could not send unread notices');
  }
}

/** The connect_error a refused handshake gets; its `message` is the error code. */
function handshakeRefusal(services: Services, ops: SocketOps, socket: StoaSocket, err: unknown): Error {
  const { error } = settleFailure({ log: services.log, onFailure: ops.onFailure }, err, 'connection', {
    ip: clientAddress(socket.request, ops.trustProxy),
  });
  const code = HANDSHAKE_CODES.includes(error.code) ? error.code : 'unauthorized';
  const refusal = new Error(code) as Error & { data?: unknown };
  if (error.retryAfterMs !== undefined) refusal.data = { retryAfterMs: error.retryAfterMs };
  return refusal;
}

/** One client event as it arrived. */
interface Arrival {
  socket: StoaSocket;
  /** The client's address, read once per connection. */
  ip: string;
  operation: Operation;
  input: unknown;
  ack: (response: unknown) => void;
  /** False once a shutdown has begun: the event is refused. */
  accepting: boolean;
}

/** Handles one client event and acks it; never throws. Every outcome is counted and timed. */
async function dispatch(services: Services, ops: SocketOps, arrival: Arrival): Promise<void> {
  const { socket, operation, ack } = arrival;
  const event = operation.event!;
  const endTimer = ops.metrics.eventDuration.startTimer({ event });
  let response: unknown;
  let outcome: string;
  try {
    if (!arrival.accepting) throw new StoaError('internal', SHUTTING_DOWN);
    const { userId } = socket.data;
    // The account as of now (cached, invalidated on every change), so a role change or suspension counts at once.
    const sender = { ip: arrival.ip, userId, account: () => currentUser(userId) };
    response = { ok: true, ...(await invoke(services, operation, arrival.input ?? {}, sender)) };
    outcome = 'ok';
  } catch (err) {
    const { error } = settleFailure({ log: services.log, onFailure: ops.onFailure }, err, 'event', {
      event,
      userId: socket.data.userId,
    });
    response = { ok: false, error: error.toWire() };
    outcome = error.code;
  }
  ops.metrics.events.inc({ event, outcome });
  endTimer();
  ack(response);
}

/**
 * Warnings about dropped events (no ack, unknown name), at most one line per socket per
 * interval, with the count of those left out, so one socket cannot flood the logs.
 */
function droppedEventLog(log: Logger, socketId: string, userId: string) {
  let lastLine = 0;
  let suppressed = 0;
  const flush = () => {
    if (suppressed > 0) log.warn({ socketId, userId, suppressed }, 'events dropped');
    suppressed = 0;
  };
  return {
    record(event: string, reason: string): void {
      const now = Date.now();
      if (now - lastLine < DROP_LOG_INTERVAL_MS) {
        suppressed += 1;
        return;
      }
      flush();
      lastLine = now;
      log.warn({ socketId, userId, event, reason }, 'event dropped');
    },
    flush,
  };
}
