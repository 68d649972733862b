/**
 * The one catalogue of errors Stoa reports, on both transports. Handlers throw
 * `StoaError`; the socket layer turns it into a failed ack and the HTTP layer
 * into `{error}` with the status below.
 */
import { z } from 'zod';

export const ERROR_STATUS = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  suspended: 403,
  banned: 403,
  muted: 403,
  /** A chat taken down; 451 (RFC 7725) instead when it was taken down on a ground of illegal content. */
  chat_closed: 403,
  /** An automatic filter refused the send; the message carries the rule's public note. Nothing was stored. */
  filtered: 422,
  slow_mode: 429,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The status of `chat_closed` when a chat was closed on a ground of illegal content (RFC 7725). */
export const UNAVAILABLE_FOR_LEGAL_REASONS = 451;

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  invalid_input: 'The request is not valid.',
  unauthorized: 'Sign in again: the token is missing, invalid or expired.',
  forbidden: 'You are not allowed to do that.',
  suspended: 'This account is suspended.',
  banned: 'You are banned from this chat.',
  muted: 'You are muted in this chat.',
  chat_closed: 'This chat was closed by the moderators.',
  filtered: 'An automatic filter refused this message.',
  slow_mode: 'Slow mode is on in this chat; wait before sending again.',
  not_found: 'Not found.',
  conflict: 'That already exists.',
  payload_too_large: 'The request is too large.',
  rate_limited: 'Too many requests; try again later.',
  internal: 'Something went wrong on our side.',
};

/** Every code, in the catalogue's order. */
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** An error as the wire carries it: `{error}` over HTTP, `{ok: false, error}` in an ack. */
export const wireError = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  retryAfterMs: z
    .number()
    .optional()
    .describe('With `rate_limited`, `slow_mode` and a timed `muted`: milliseconds to wait before trying again.'),
  until: z
    .string()
    .nullable()
    .optional()
    .describe('With `muted`: when the mute ends (ISO 8601), or null for a mute until lifted.'),
});
export type WireError = z.output<typeof wireError>;

export class StoaError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs?: number;
  readonly until?: Date | null;
  /** Set only for `chat_closed` on a ground of illegal content: 451 instead of the catalogue's status. */
  private readonly legalReasons: boolean;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { retryAfterMs?: number | undefined; until?: Date | null | undefined; legalReasons?: boolean } = {},
  ) {
    super(message ?? DEFAULT_MESSAGE[code]);
    this.name = 'StoaError';
    this.code = code;
    this.legalReasons = code === 'chat_closed' && options.legalReasons === true;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = Math.max(1, Math.ceil(options.retryAfterMs));
    if (options.until !== undefined) this.until = options.until;
  }

  get status(): number {
    return this.legalReasons ? UNAVAILABLE_FOR_LEGAL_REASONS : ERROR_STATUS[this.code];
  }

  toWire(): WireError {
    const wire: WireError = { code: this.code, message: this.message };
    if (this.retryAfterMs !== undefined) wire.retryAfterMs = this.retryAfterMs;
    if (this.until !== undefined) wire.until = this.until?.toISOString() ?? null;
    return wire;
  }
}

/** Any thrown value as a StoaError; unknown failures become `internal` with no details. */
export function toStoaError(err: unknown): StoaError {
  if (err instanceof StoaError) return err;
  return new StoaError('internal');
}

export const isDuplicateKeyError = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
