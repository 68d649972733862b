/**
 * A case's counts, recomputed from its reports (shared by user reports, handlers/reports.ts, and
 * automatic filters' reports, handlers/filters.ts), and the report an automatic filter files.
 */
import type { ReportReason } from '../models/vocabulary';
import * as cases from './store/cases';
import type { Id } from './store/db';
import * as reports from './store/reports';
import type { Services } from './context';
import { caseFacts, moderatingChatOf } from './facts';
import { audienceOf } from './enactment';
import { inCaseQueue } from './serial';
import { weightSum } from './reporter-trust';
import { REASON_SEVERITY } from './policy/moderation-kinds';
import { toCaseView } from './views';

/** A trusted flagger's report counts as this many reporters within its severity (DSA Art. 22: prioritised). */
export const TRUSTED_FLAGGER_WEIGHT = 10;

/** Severity of the worst reason, then the number of distinct reporters, trusted flaggers weighing more. */
export function casePriority(reasons: Iterable<ReportReason>, reportCount: number, trustedReports = 0): number {
  let worst = 0;
  for (const reason of reasons) worst = Math.max(worst, REASON_SEVERITY[reason]);
  return worst * 1000 + Math.min(reportCount + trustedReports * (TRUSTED_FLAGGER_WEIGHT - 1), 999);
}

/**
 * Recomputes count, reasons and priority from the case's unique reports (never
 * an $inc: FerretDB updates are not atomic), and reopens a closed case that has an open report.
 * Runs in the case's queue, one after another with its other recounts and its closing.
 */
export async function recountCase(moderationCase: cases.ModerationCaseDocument): Promise<cases.ModerationCaseDocument> {
  const tally = await reports.tallyOf(moderationCase._id);
  const reasons: Partial<Record<ReportReason, number>> = {};
  for (const report of tally) reasons[report.reason] = (reasons[report.reason] ?? 0) + 1;
  const trustedReports = tally.filter((r) => r.trustedFlagger).length;
  const priority = casePriority(Object.keys(reasons) as ReportReason[], tally.length, trustedReports);
  // A report still open reopens a closed case; one that the case's closing already resolved does not.
  const status = tally.some((r) => r.status === 'open')
    ? 'open'
    : ((await cases.statusOf(moderationCase._id)) ?? moderationCase.status);
  const counts = {
    reasons,
    reportCount: tally.length,
    trustedReports,
    weight: weightSum(tally.map((r) => r.weight ?? 1)),
    priority,
    status,
    lastReportedAt: new Date(),
  };
  await cases.saveCounts(moderationCase._id, counts);
  return moderationCase.set(counts);
}

/**
 * An automatic filter reports a message it caught (`hold`, `alert`): a report with the rule as its
 * reporter and no weight, in the message's case, heard by moderators and the chat's admins as any
 * report is. Returns the case.
 */
export async function fileRuleReport(
  services: Services,
  rule: { id: string; name: string; reason: ReportReason },
  message: { _id: { toString(): string }; chatId: Id; senderId: Id; seq: number; text: string; createdAt: Date },
): Promise<cases.ModerationCaseDocument> {
  const messageId = message._id.toString();
  const authorId = message.senderId.toString();
  const moderationCase = await cases.openFor({
    targetType: 'message',
    targetId: messageId,
    chatId: message.chatId,
    reportedUserId: authorId,
  });
  await reports.create({
    reporterId: rule.id,
    targetType: 'message',
    targetId: messageId,
    chatId: message.chatId,
    reason: rule.reason,
    comment: `automatic filter: ${rule.name}`,
    trustedFlagger: false,
    weight: 0,
    evidence: {
      text: message.text,
      senderId: authorId,
      seq: message.seq,
      chatId: message.chatId.toString(),
      createdAt: message.createdAt,
    },
    caseId: moderationCase._id,
  });
  services.metrics.reportsCreated.inc({ reason: rule.reason });
  const updated = await inCaseQueue(moderationCase.id, () => recountCase(moderationCase));
  const audience = await audienceOf(moderatingChatOf(updated), (await caseFacts(updated)).concerns);
  services.realtime.emit([...audience.staff, ...audience.chatAdmins], 'report:new', { case: toCaseView(updated) });
  return updated;
}
