/** Whether a suspension, a ban or a mute is in force now: pure, compared at use time, so one that runs out needs no write. */
import type { ActorRole } from '../../models/vocabulary';

interface Suspension {
  until?: Date | null;
  reason: string;
  by: string;
  byRole?: ActorRole | null;
}

/** A suspension is in force while it has no end or its end lies ahead. */
export function activeSuspension<S extends Suspension>(user: { suspended?: S | null }, now = new Date()): S | null {
  const s = user.suspended;
  if (!s) return null;
  return s.until === null || s.until === undefined || s.until > now ? s : null;
}

export function isBanned(m: { status: string; bannedUntil?: Date | null }, now = new Date()): boolean {
  return m.status === 'banned' && (m.bannedUntil === null || m.bannedUntil === undefined || m.bannedUntil > now);
}

export function isMuted(m: { mutedUntil?: Date | null; mutedByRole?: string | null }, now = new Date()): boolean {
  if (m.mutedByRole === null || m.mutedByRole === undefined) return false;
  return m.mutedUntil === null || m.mutedUntil === undefined || m.mutedUntil > now;
}
