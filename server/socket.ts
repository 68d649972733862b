import type { IncomingMessage, Server as HttpServer } from 'node:http';

import { Server, type Socket } from 'socket.io';

import { assertNotSuspended, authenticate } from '../handlers/auth';
import type { Realtime, Services } from '../handlers/context';
import { StoaError, toStoaError, type ErrorCode } from '../handlers/errors';
import { rooms, type ClientToServerEvents, type ServerToClientEvents, type SocketData } from '../handlers/protocol';
import { MembershipModel, UserModel } from '../models';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { socketRoutes, type SocketRoute } from './socket-routes';
import { parseInput } from './transport';

export type StoaServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type StoaSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const MAX_FRAME_BYTES = 64 * 1024;
// setTimeout cannot wait longer than this.
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The connect_error messages a client may see (DESIGN.md section 5); any other refusal reads `unauthorized`. */
const HANDSHAKE_CODES: readonly ErrorCode[] = ['unauthorized', 'suspended', 'rate_limited', 'internal'];
const SHUTTING_DOWN = 'The server is shutting down; reconnect shortly.';

export function createSocketServer(httpServer: HttpServer, config: Config): StoaServer {
  const allowed = config.corsOrigin;
  return new Server(httpServer, {
    maxHttpBufferSize: MAX_FRAME_BYTES,
    // Off on purpose: recovery would put a banned member back into a room without passing the middleware.
    connectionStateRecovery: undefined,
    cors: { origin: allowed === '*' ? true : allowed, credentials: true },
    // Browsers send Origin; clients that send none (native apps, servers) are not browsers and are let in.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      callback(null, origin === undefined || allowed === '*' || allowed.includes(origin));
    },
  });
}

/** A room no socket is in: asking every node for its sockets there is a cheap round trip. */
const FLUSH_ROOM = 'stoa:flush';

/** Realtime effects through the adapter, so that they reach the sockets of every node. */
export function socketRealtime(io: StoaServer, log: Logger): Realtime {
  return {
    emit(room, event, payload) {
      (io.to(room).emit as (event: string, payload: unknown) => boolean)(event, payload);
    },
    async join(fromRoom, room) {
      io.in(fromRoom).socketsJoin(room);
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
        await io.in(FLUSH_ROOM).fetchSockets();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'other nodes did not confirm in time; their sockets may lag');
      }
    },
  };
}

export interface SocketOps {
  metrics: Metrics;
  /** Called with every unexpected failure (outcome `internal`); app.ts counts the database's among them. */
  onFailure(err: unknown): void;
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
  const routes = new Map(socketRoutes.map((r) => [r.event as string, r]));
  const inFlight = new Set<Promise<void>>();
  let accepting = true;

  const track = (work: Promise<void>): void => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  io.use((socket, next) => {
    track(
      admit(services, socket, accepting).then(
        () => next(),
        (err: unknown) => next(handshakeRefusal(services, ops, socket, err)),
      ),
    );
  });

  io.on('connection', (socket) => {
    const { userId, tokenExp } = socket.data;
    const ip = clientIp(socket.request);
    const expiry = setTimeout(() => socket.disconnect(true), Math.min(MAX_TIMER_MS, Math.max(0, tokenExp * 1000 - Date.now())));
    ops.metrics.connectedSockets.inc();
    socket.on('disconnect', (reason) => {
      clearTimeout(expiry);
      ops.metrics.connectedSockets.dec();
      log.info({ socketId: socket.id, userId, reason }, 'socket disconnected');
    });

    socket.onAny((event: string, ...args: unknown[]) => {
      const route = routes.get(event);
      const ack = args[args.length - 1];
      if (!route || typeof ack !== 'function') {
        const reason = route ? 'no_ack' : 'unknown_event';
        ops.metrics.droppedEvents.inc({ reason });
        log.warn({ socketId: socket.id, userId, event: String(event).slice(0, 64), reason }, 'event dropped');
        return;
      }
      const input = args.length > 1 ? args[0] : undefined;
      track(dispatch(services, ops, { socket, ip, route, input, ack: ack as (response: unknown) => void, accepting }));
    });

    log.info({ socketId: socket.id, userId, ip }, 'socket connected');
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
 * The handshake: the per-IP connection limit first, so that a flood of bad tokens costs no
 * token check and no database read; then the token, the account, and the rooms.
 */
async function admit(services: Services, socket: StoaSocket, accepting: boolean): Promise<void> {
  if (!accepting) throw new StoaError('internal', SHUTTING_DOWN);
  await services.limits.consume('connections', clientIp(socket.request));
  const { user, exp } = await authenticate(services, socket.handshake.auth?.token);
  socket.data = { userId: user.id, role: user.role, tokenExp: exp };
  // Joined before the connection completes, so that no room message can slip past a new socket.
  const joined = [rooms.user(user.id), ...(await activeChatRooms(user.id))];
  if (user.role === 'moderator' || user.role === 'admin') joined.push(rooms.moderators);
  socket.join(joined);
}

/** The connect_error a refused handshake gets; its `message` is the error code. */
function handshakeRefusal(services: Services, ops: SocketOps, socket: StoaSocket, err: unknown): Error {
  const error = toStoaError(err);
  const code = HANDSHAKE_CODES.includes(error.code) ? error.code : 'unauthorized';
  const ip = clientIp(socket.request);
  if (code === 'internal' && !(err instanceof StoaError)) {
    ops.onFailure(err);
    services.log.error({ err, ip }, 'connection failed');
  } else {
    services.log.info({ ip, code }, 'connection refused');
  }
  const refusal = new Error(code) as Error & { data?: unknown };
  if (error.retryAfterMs !== undefined) refusal.data = { retryAfterMs: error.retryAfterMs };
  return refusal;
}

async function activeChatRooms(userId: string): Promise<string[]> {
  const memberships = await MembershipModel.find({ userId, status: 'active' }, { chatId: 1 }).lean();
  return memberships.map((m) => rooms.chat(m.chatId.toString()));
}

/** One client event as it arrived. */
interface Arrival {
  socket: StoaSocket;
  /** The client's address, read once per connection. */
  ip: string;
  route: SocketRoute;
  input: unknown;
  ack: (response: unknown) => void;
  /** False once a shutdown has begun: the event is refused. */
  accepting: boolean;
}

/** Handles one client event and acks it; never throws. Every outcome is counted and timed. */
async function dispatch(services: Services, ops: SocketOps, arrival: Arrival): Promise<void> {
  const { socket, route, ack } = arrival;
  const event = route.event;
  const endTimer = ops.metrics.eventDuration.startTimer({ event });
  let response: unknown;
  let outcome: string;
  try {
    if (!arrival.accepting) throw new StoaError('internal', SHUTTING_DOWN);
    response = { ok: true, ...(await handleEvent(services, arrival)) };
    outcome = 'ok';
  } catch (err) {
    const error = toStoaError(err);
    const userId = socket.data.userId;
    if (error.code === 'internal' && !(err instanceof StoaError)) {
      ops.onFailure(err);
      services.log.error({ err, event, userId }, 'event failed');
    } else {
      services.log.info({ event, userId, code: error.code }, 'event refused');
    }
    response = { ok: false, error: error.toWire() };
    outcome = error.code;
  }
  ops.metrics.events.inc({ event, outcome });
  endTimer();
  ack(response);
}

async function handleEvent(services: Services, { socket, ip, route, input: rawInput }: Arrival): Promise<object> {
  const input = parseInput(route.schema, rawInput ?? {});
  if (route.limiter) await services.limits.consume(route.limiter, socket.data.userId);
  // Every event re-reads the account, so a role change or suspension counts at once.
  const user = await UserModel.findById(socket.data.userId);
  if (!user) throw new StoaError('unauthorized');
  assertNotSuspended(user);
  return route.handle(services, { user, ip }, input);
}

const LOOPBACK = /^(127\.|::ffff:127\.)|^::1$/;

/**
 * The client's address by the rule of express's `trust proxy: 'loopback'` (server/http.ts): a
 * proxy on this machine is trusted to forward it in X-Forwarded-For, so that limits key on the
 * client and not on the proxy, and HTTP and sockets see the same address.
 */
export function clientIp(request: IncomingMessage): string {
  const remote = request.socket.remoteAddress ?? '';
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((hop) => hop.trim()).filter(Boolean);
  const hops = [remote, ...forwarded.reverse()];
  return hops.find((hop) => !LOOPBACK.test(hop)) ?? hops[hops.length - 1] ?? remote;
}
