/**
 * Stoa's wire contract as TypeScript types (docs/ARCHITECTURE.md §11): what a TypeScript client
 * imports. `ClientToServerEvents` is derived from the operation table, so every event's input and
 * ack are exactly what its record validates and answers; the rest comes from
 * handlers/contract/protocol.ts (views, server events, SocketData, rooms).
 *
 *   import { io, type Socket } from 'socket.io-client';
 *   import type { ClientToServerEvents, ServerToClientEvents } from 'stoa/server/protocol';
 *   const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { auth: { token } });
 */
import type { z } from 'zod';

import type { Ack } from '../handlers/contract/protocol';
import type { operations } from './transport/operations';

export * from '../handlers/contract/protocol';

/** The records of the table that have a socket event. */
type SocketRecord = Extract<(typeof operations)[number], { event: string }>;

/** Every client event: it takes what its record's `input` accepts and acks what its `result` describes. */
export type ClientToServerEvents = {
  [O in SocketRecord as O['event']]: (input: z.input<O['input']>, ack: Ack<z.output<O['result']>>) => void;
};

export type ClientEventName = keyof ClientToServerEvents;
/** What an event takes. */
export type EventInput<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];
/** What an event's ack carries besides `ok: true`. */
export type AckResult<E extends ClientEventName> = Omit<
  Extract<Parameters<Parameters<ClientToServerEvents[E]>[1]>[0], { ok: true }>,
  'ok'
>;
