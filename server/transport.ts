/** What both transports share: turning input into a handler call and a handler's outcome into the wire shape. */
import type { z } from 'zod';

import { StoaError } from '../handlers/errors';

/** Parses client input or throws `invalid_input` naming the first offending field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new StoaError('invalid_input', `${where}${issue?.message ?? 'invalid input'}`);
}
