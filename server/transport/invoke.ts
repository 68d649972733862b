/**
 * What both transports share: one `invoke` that turns a request into a handler call,
 * and one `outcomeOf` that decides what a failure means on the wire, in the logs and in metrics.
 */
import type { z } from 'zod';

import type { Caller, Services } from '../../handlers/context';
import { StoaError, toStoaError } from '../../handlers/contract/errors';
import { isPlatformModerator } from '../../handlers/policy/access';
import type { Logger } from '../logger';
import { errorsOf, type Access, type Operation } from './operations';

/** Parses client input or throws `invalid_input` naming the first offending field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new StoaError('invalid_input', `${where}${issue?.message ?? 'invalid input'}`);
}

/** Who sent a request, as far as the transport knows without reading the database. */
export interface Sender {
  ip: string;
  /** The signed-in account (the socket's handshake, the bearer token's subject); null for a guest. */
  userId: string | null;
  /** The account as of now, read once the request is known to be valid and within its limits. */
  account(): Promise<Caller['user']>;
}

/**
 * One request on either transport: validate, then the per-user (or, for guests, per-address)
 * limiter before any database read, then the account as of now and the record's access, then
 * the handler. A refusal its record does not list is logged as a warning: the documents miss it.
 */
export async function invoke(
  services: Services,
  operation: Operation,
  rawInput: unknown,
  sender: Sender,
  schema: z.ZodType = operation.input,
): Promise<object> {
  try {
    return await run(services, operation, rawInput, sender, schema);
  } catch (err) {
    if (err instanceof StoaError && !errorsOf(operation).includes(err.code)) {
      services.log.warn(
        { operation: operation.name, code: err.code },
        'an operation answered an error its record does not list',
      );
    }
    throw err;
  }
}

async function run(
  services: Services,
  operation: Operation,
  rawInput: unknown,
  sender: Sender,
  schema: z.ZodType,
): Promise<object> {
  const input = parseInput(schema, rawInput);
  if (operation.access === 'guest') {
    if (operation.limiter) await services.limits.consume(operation.limiter, sender.ip);
    return operation.handle({ services, caller: { ip: sender.ip } }, input);
  }
  if (sender.userId === null) throw new StoaError('unauthorized');
  if (operation.limiter) await services.limits.consume(operation.limiter, sender.userId);
  const user = await sender.account();
  admit(operation, user);
  return operation.handle({ services, caller: { user, ip: sender.ip } }, input);
}

interface Gate {
  admits(user: { role: string }): boolean;
  /** What everyone else is told. */
  refusal: string;
}

/** The platform roles each gated access admits (docs/ARCHITECTURE.md §6); `user` admits every account. */
const GATES: Partial<Record<Access, Gate>> = {
  staff: { admits: isPlatformModerator, refusal: 'Only platform moderators and admins may do that.' },
  admin: { admits: (user) => user.role === 'admin', refusal: 'Only platform admins may do that.' },
};

function admit(operation: Operation, user: Caller['user']): void {
  const gate = GATES[operation.access];
  if (gate && !gate.admits(user)) throw new StoaError('forbidden', gate.refusal);
}

export interface Outcome {
  /** What the client is told. */
  error: StoaError;
  /** The HTTP status of that error. */
  status: number;
  /** `error` for a fault of ours (logged with its stack and counted as a failure), `info` for a refusal. */
  level: 'info' | 'error';
}

/** Classifies any failure, once for every transport. */
export function outcomeOf(err: unknown): Outcome {
  const parsing = bodyParserError(err);
  const error = parsing ?? toStoaError(err);
  const fault = parsing === undefined && !(err instanceof StoaError);
  return { error, status: error.status, level: fault ? 'error' : 'info' };
}

/** Where failures are logged and counted. */
export interface FailureSink {
  log: Logger;
  /** Called with every fault of ours; app.ts counts the database's among them. */
  onFailure(err: unknown): void;
}

/** Logs and counts one failed request, event or connection as outcomeOf classifies it; returns what the client is told. */
export function settleFailure(
  sink: FailureSink,
  err: unknown,
  subject: 'request' | 'event' | 'connection',
  fields: Record<string, unknown>,
): Outcome {
  const outcome = outcomeOf(err);
  if (outcome.level === 'error') {
    sink.onFailure(err);
    sink.log.error({ err, ...fields }, `${subject} failed`);
  } else {
    sink.log.info({ ...fields, code: outcome.error.code }, `${subject} refused`);
  }
  return outcome;
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
