import type { Server as HttpServer } from 'node:http';

import { Server, type Socket } from 'socket.io';

import { assertNotSuspended, authenticate } from '../handlers/auth';
import type { Realtime, Services } from '../handlers/context';
import { StoaError, toStoaError } from '../handlers/errors';
import { rooms, type ClientToServerEvents, type ServerToClientEvents, type SocketData } from '../handlers/protocol';
import { MembershipModel, UserModel } from '../models';
import type { Config } from './config';
import type { Logger } from './logger';
import { socketRoutes, type SocketRoute } from './socket-routes';
import { parseInput } from './transport';

export type StoaServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type StoaSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const MAX_FRAME_BYTES = 64 * 1024;
// setTimeout cannot wait longer than this.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SocketCounters {
  droppedEvents: number;
}

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

/** Realtime effects through the adapter, so that they reach the sockets of every node. */
export function socketRealtime(io: StoaServer): Realtime {
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
  };
}

/** Authenticates every connection, puts it in its rooms and wires the client events. */
export function attachSocketHandlers(io: StoaServer, services: Services, counters: SocketCounters): void {
  const log = services.log;
  const routes = new Map(socketRoutes.map((r) => [r.event as string, r]));

  io.use(async (socket, next) => {
    try {
      const token: unknown = socket.handshake.auth?.token;
      const { user, exp } = await authenticate(services, token);
      socket.data = { userId: user.id, role: user.role, tokenExp: exp };
      // Joined before the connection completes, so that no room message can slip past a new socket.
      const joined = [rooms.user(user.id), ...(await activeChatRooms(user.id))];
      if (user.role === 'moderator' || user.role === 'admin') joined.push(rooms.moderators);
      socket.join(joined);
      next();
    } catch (err) {
      const code = toStoaError(err).code;
      next(new Error(code === 'suspended' ? 'suspended' : code === 'internal' ? 'internal' : 'unauthorized'));
    }
  });

  io.on('connection', (socket) => {
    const { userId, tokenExp } = socket.data;
    const expiry = setTimeout(() => socket.disconnect(true), Math.min(MAX_TIMER_MS, Math.max(0, tokenExp * 1000 - Date.now())));
    socket.on('disconnect', (reason) => {
      clearTimeout(expiry);
      log.info({ socketId: socket.id, userId, reason }, 'socket disconnected');
    });

    socket.onAny((event: string, ...args: unknown[]) => {
      const route = routes.get(event);
      const ack = args[args.length - 1];
      if (!route || typeof ack !== 'function') {
        counters.droppedEvents += 1;
        log.warn({ socketId: socket.id, userId, event: String(event).slice(0, 64), reason: route ? 'no_ack' : 'unknown_event' }, 'event dropped');
        return;
      }
      void dispatch(services, socket, route, args.length > 1 ? args[0] : undefined, ack as (response: unknown) => void);
    });

    log.info({ socketId: socket.id, userId, ip: socket.handshake.address }, 'socket connected');
  });
}

async function activeChatRooms(userId: string): Promise<string[]> {
  const memberships = await MembershipModel.find({ userId, status: 'active' }, { chatId: 1 }).lean();
  return memberships.map((m) => rooms.chat(m.chatId.toString()));
}

async function dispatch(
  services: Services,
  socket: StoaSocket,
  route: SocketRoute,
  rawInput: unknown,
  ack: (response: unknown) => void,
): Promise<void> {
  try {
    const input = parseInput(route.schema, rawInput ?? {});
    // Every event re-reads the account, so a role change or suspension counts at once.
    const user = await UserModel.findById(socket.data.userId);
    if (!user) throw new StoaError('unauthorized');
    assertNotSuspended(user);
    const result = await route.handle(services, { user, ip: socket.handshake.address }, input);
    ack({ ok: true, ...result });
  } catch (err) {
    const error = toStoaError(err);
    if (error.code === 'internal') services.log.error({ err, event: route.event, userId: socket.data.userId }, 'event failed');
    else services.log.info({ event: route.event, userId: socket.data.userId, code: error.code }, 'event refused');
    ack({ ok: false, error: error.toWire() });
  }
}
