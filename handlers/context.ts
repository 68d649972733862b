import type { Logger } from 'pino';

import type { UserDocument } from '../models';
import type { ServerEventName, ServerEventPayload } from './protocol';

/**
 * What handlers may do to connected clients. The Socket.IO server implements it
 * through its adapter, so every call reaches the sockets of every node.
 */
export interface Realtime {
  emit<E extends ServerEventName>(room: string | string[], event: E, payload: ServerEventPayload<E>): void;
  /** Every socket in `fromRoom` (on any node) joins `room`. */
  join(fromRoom: string, room: string): Promise<void>;
  /** Every socket in `fromRoom` (on any node) leaves `room`. */
  leave(fromRoom: string, room: string): Promise<void>;
  /** Disconnects every socket in `room`, on every node. */
  disconnect(room: string): Promise<void>;
}

export interface Services {
  log: Logger;
  realtime: Realtime;
  jwtSecret: string;
  jwtTtlSec: number;
  bcryptRounds: number;
  autoHideReports: number;
}

/** One caller's request, on either transport. */
export interface Caller {
  /** The authenticated user, re-read from the database for this request. */
  user: UserDocument;
  /** Client IP, for rate limits and logs. */
  ip: string;
}
