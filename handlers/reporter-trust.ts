/**
 * Reporter trust: what one report weighs toward automatic hiding, in "established reporter"
 * units, from the reporter's standing when they report (README "Reporter trust"). Throwaway
 * accounts and reporters proven wrong still reach the queue, but cannot hide anything.
 */
import type { ReportReason } from '../models/vocabulary';
import { isBanned, isMuted } from './policy/standing';
import * as actions from './store/actions';
import type { Id } from './store/db';
import * as memberships from './store/memberships';
import * as reports from './store/reports';
import type { User } from './store/users';
import type { ReporterTrustConfig } from './context';
import type { SharedAccount } from './store/authorization-cache';

/** A restriction for unfounded reports is in force while its end lies ahead. */
export function reportingRestricted(user: Pick<User, 'reportingRestricted'>, now = new Date()): boolean {
  const until = user.reportingRestricted?.until;
  return until !== undefined && until !== null && until > now;
}

/** Upheld and dismissed reports of a reporter, over every report they filed that was decided (since `since`, if given). */
export function reportRecord(reporterId: Id, since?: Date): Promise<{ upheld: number; dismissed: number }> {
  return reports.recordOf(reporterId, since);
}

/**
 * The weight of a report by `user` from `chatId` (null for a report on a user): the first rule
 * that applies, in this order: restricted or inaccurate 0; sanctioned; trusted flagger; new; established 1.
 */
export async function reporterWeight(
  trust: ReporterTrustConfig,
  user: SharedAccount,
  chatId: Id | null,
  now = new Date(),
): Promise<number> {
  if (reportingRestricted(user, now)) return 0;
  const record = await reportRecord(user._id);
  const decided = record.upheld + record.dismissed;
  if (decided >= trust.accuracyMinReports && record.upheld / decided < trust.accuracyMin) return 0;
  if (await sanctioned(user, chatId, now)) return trust.sanctionedWeight;
  if (user.role === 'trusted_flagger') return trust.trustedWeight;
  if (now.getTime() - user.createdAt.getTime() < trust.minAgeSec * 1000) return trust.newWeight;
  return 1;
}

/** Suspended at any time before, or banned or muted in the chat the report comes from. */
async function sanctioned(user: SharedAccount, chatId: Id | null, now: Date): Promise<boolean> {
  if (await actions.everSuspended(user.id as string)) return true;
  if (!chatId) return false;
  const membership = await memberships.of(chatId, user._id);
  return membership !== null && (isBanned(membership, now) || isMuted(membership, now));
}

/** Distinct-reporter weights needed to hide a message automatically; fewer when child abuse is reported. */
export function autoHideThreshold(reasons: Iterable<ReportReason>, configured: number): number {
  for (const reason of reasons) if (reason === 'child_abuse') return Math.min(2, configured);
  return configured;
}

/**
 * Whether reports of these weights hide automatically: their sum reaches the threshold, and at
 * least one reporter is of full standing, so no number of new accounts hides anything alone.
 */
export function autoHideDue(weights: number[], threshold: number): boolean {
  const sum = weightSum(weights);
  return sum >= threshold && weights.some((w) => w >= 1);
}

/** Rounded to hundredths, so that ten reports of 0.1 make exactly 1. */
export function weightSum(weights: number[]): number {
  return Math.round(weights.reduce((sum, w) => sum + w, 0) * 100) / 100;
}
