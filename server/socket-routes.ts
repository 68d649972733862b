/** Every client event: its input schema and the handler it calls. */
import type { z } from 'zod';

import type { Caller, Services } from '../handlers/context';
import type { ClientEventName, ClientToServerEvents } from '../handlers/protocol';
import type { RateLimitName } from './durations';

type AckArgument<E extends ClientEventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
export type AckResult<E extends ClientEventName> = Omit<Extract<AckArgument<E>, { ok: true }>, 'ok'>;

export interface SocketRoute<E extends ClientEventName = ClientEventName, S extends z.ZodType = z.ZodType> {
  event: E;
  schema: S;
  /** Counted per user before the handler runs; a refusal stores and relays nothing. */
  limiter?: RateLimitName;
  handle(services: Services, caller: Caller, input: z.output<S>): Promise<AckResult<E>> | AckResult<E>;
}

/** Declares one route, with its input type inferred from the schema. */
export function route<E extends ClientEventName, S extends z.ZodType>(
  event: E,
  definition: Omit<SocketRoute<E, S>, 'event'>,
): SocketRoute {
  return { event, ...definition } as unknown as SocketRoute;
}

export const socketRoutes: SocketRoute[] = [];
