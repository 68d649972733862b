/**
 * Input schemas (zod) for every client request, on both transports. Whatever
 * fails here is answered with `invalid_input` before any handler runs.
 */
import { z } from 'zod';

import { PLATFORM_ROLES } from '../models';

const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

/** Any case is accepted; names are stored and compared in lower case. */
export const username = z.string().regex(/^[A-Za-z0-9_]{3,32}$/, 'username: 3-32 letters, digits or _');
export const password = z
  .string()
  .refine((value) => byteLength(value) >= 8 && byteLength(value) <= 72, 'password: 8-72 bytes');
export const objectId = z.string().regex(/^[0-9a-f]{24}$/i, 'an id');
const displayName = z.string().trim().min(1).max(64);

export const registerInput = z.object({ username, password, displayName: displayName.optional() });
export const loginInput = z.object({ username, password });
export const setRoleInput = z.object({ userId: objectId, role: z.enum(PLATFORM_ROLES) });

/** `{}` for events that take no fields; a missing payload counts as `{}`. */
export const emptyInput = z.object({}).optional().transform(() => ({}));
