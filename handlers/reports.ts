import { trusted, Types } from 'mongoose';

import {
  ChatModel,
  MessageModel,
  ModerationCaseModel,
  ReportModel,
  UserModel,
  type ModerationCaseDocument,
  type ReportReason,
  type TargetType,
} from '../models';
import { authorize, isPlatformModerator } from './policy/access';
import type { Caller, Context, Services } from './context';
import { isDuplicateKeyError, StoaError } from './contract/errors';
import { actorOf, adminChatIds, caseFacts, chatAccess, chatFacts, currentTarget, findCase, membershipOf, moderatingChatOf, shareAChat } from './facts';
import { audienceOf } from './enactment';
import { hideMessage } from './moderation-effects';
import type { CaseTarget, CaseView, ReportView, UserNoteView } from './contract/protocol';
import { notesOn } from './user-notes';
import { recordAccess } from './access-log';
import { inCaseQueue } from './serial';
import { autoHideDue, autoHideThreshold, reporterWeight, reportingRestricted, weightSum } from './reporter-trust';
import { REASON_SEVERITY } from './policy/severity';
import { toCaseView, toReportView } from './views';


/** A trusted flagger's report counts as this many reporters within its severity (DSA Art. 22: prioritised). */
export const TRUSTED_FLAGGER_WEIGHT = 10;

/** Severity of the worst reason, then the number of distinct reporters, trusted flaggers weighing more. */
export function casePriority(reasons: Iterable<ReportReason>, reportCount: number, trustedReports = 0): number {
  let worst = 0;
  for (const reason of reasons) worst = Math.max(worst, REASON_SEVERITY[reason]);
  return worst * 1000 + Math.min(reportCount + trustedReports * (TRUSTED_FLAGGER_WEIGHT - 1), 999);
}

export { autoHideThreshold } from './reporter-trust';

interface Target {
  chatId: Types.ObjectId | null;
  /** The person the report is about: the message's author or the reported user. */
  reportedUserId: string | null;
  evidence: Record<string, unknown>;
}

/**
 * The target as the reporter sees it now. What they may not see answers exactly
 * as an id that does not exist.
 */
async function visibleTarget(caller: Caller, targetType: TargetType, targetId: string): Promise<Target> {
  const notFound = new StoaError('not_found', `No such ${targetType}.`);
  if (!Types.ObjectId.isValid(targetId)) throw notFound;

  if (targetType === 'message') {
    const message = await MessageModel.findById(targetId);
    if (!message || message.deletedAt) throw notFound;
    const { chat, membership } = await chatAccess(message.chatId.toString(), caller.user._id);
    authorize(actorOf(caller, membership), 'report.message', { chat: chatFacts(chat), authorId: message.senderId.toString(), hidden: message.hidden !== null });
    return {
      chatId: message.chatId,
      reportedUserId: message.senderId.toString(),
      evidence: { text: message.text, senderId: message.senderId.toString(), seq: message.seq, chatId: message.chatId.toString(), createdAt: message.createdAt },
    };
  }
  if (targetType === 'user') {
    const user = await UserModel.findById(targetId);
    if (!user) throw notFound;
    const sharesChat = await shareAChat(caller.user._id, targetId);
    authorize(actorOf(caller, null), 'report.user', { userId: user.id, sharesChat });
    return { chatId: null, reportedUserId: user.id, evidence: { username: user.username, displayName: user.displayName, createdAt: user.createdAt } };
  }
  const chat = await ChatModel.findById(targetId);
  if (!chat) throw notFound;
  authorize(actorOf(caller, await membershipOf(chat._id, caller.user._id)), 'report.chat', { chat: chatFacts(chat) });
  return { chatId: chat._id, reportedUserId: null, evidence: { title: chat.title, chatId: chat.id, createdAt: chat.createdAt } };
}

export async function createReport(
  { services, caller }: Context,
  input: { targetType: TargetType; targetId: string; reason: ReportReason; comment?: string | undefined },
): Promise<{ report: ReportView }> {
  // A reporter restricted for unfounded reports still reaches the queue, a few times a day.
  if (reportingRestricted(caller.user)) await services.limits.consume('reports_restricted', caller.user.id);
  const target = await visibleTarget(caller, input.targetType, input.targetId);
  const weight = await reporterWeight(services.reporterTrust, caller.user, target.chatId);
  const moderationCase = await findOrOpenCase(input.targetType, input.targetId, target);

  let report;
  try {
    report = await ReportModel.create({
      reporterId: caller.user._id,
      targetType: input.targetType,
      targetId: input.targetId,
      chatId: target.chatId,
      reason: input.reason,
      comment: input.comment ?? null,
      trustedFlagger: caller.user.role === 'trusted_flagger',
      weight,
      evidence: target.evidence,
      caseId: moderationCase._id,
    });
  } catch (err) {
    if (isDuplicateKeyError(err)) throw new StoaError('conflict', 'You have already reported this.');
    throw err;
  }
  services.metrics.reportsCreated.inc({ reason: input.reason });

  const updated = await inCaseQueue(moderationCase.id, () => recountCase(moderationCase));
  // Never to the people the case is about: the author, the reported user, the reported chat's admins.
  const audience = await audienceOf(moderatingChatOf(updated), (await caseFacts(updated)).concerns);
  services.realtime.emit([...audience.staff, ...audience.chatAdmins], 'report:new', { case: toCaseView(updated) });
  // The report stands whatever becomes of the hide it may earn: a failed hide claimed nothing, and the next report tries again.
  if (input.targetType === 'message') {
    await autoHideIfDue(services, updated).catch((err: unknown) => services.log.error({ err, caseId: updated.id }, 'automatic hide failed'));
  }
  // The reporter's copy leaves out the evidence snapshot: it is for those who review the case.
  return { report: toReportView(report, { withReporter: isPlatformModerator(caller.user), withEvidence: false }) };
}

/** The one case of a target, created by a unique insert so that concurrent first reports share it. */
async function findOrOpenCase(targetType: TargetType, targetId: string, target: Target): Promise<ModerationCaseDocument> {
  const existing = await ModerationCaseModel.findOne({ targetType, targetId });
  if (existing) return existing;
  const now = new Date();
  try {
    return await ModerationCaseModel.create({ targetType, targetId, chatId: target.chatId, reportedUserId: target.reportedUserId, firstReportedAt: now, lastReportedAt: now });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const winner = await ModerationCaseModel.findOne({ targetType, targetId });
    if (!winner) throw err;
    return winner;
  }
}


/**
 * Recomputes count, reasons and priority from the case's unique reports (never
 * an $inc: FerretDB updates are not atomic), and reopens a closed case that has an open report.
 * Runs in the case's queue, one after another with its other recounts and its closing.
 */
async function recountCase(moderationCase: ModerationCaseDocument): Promise<ModerationCaseDocument> {
  const reports = await ReportModel.find({ caseId: moderationCase._id }, { reason: 1, trustedFlagger: 1, weight: 1, status: 1 }).lean();
  const reasons: Partial<Record<ReportReason, number>> = {};
  for (const report of reports) reasons[report.reason] = (reasons[report.reason] ?? 0) + 1;
  const trustedReports = reports.filter((r) => r.trustedFlagger).length;
  const priority = casePriority(Object.keys(reasons) as ReportReason[], reports.length, trustedReports);
  // A report still open reopens a closed case; one that the case's closing already resolved does not.
  const status = reports.some((r) => r.status === 'open') ? 'open' : ((await ModerationCaseModel.findById(moderationCase._id, { status: 1 }).lean())?.status ?? moderationCase.status);
  const counts = { reasons, reportCount: reports.length, weight: weightSum(reports.map((r) => r.weight ?? 1)), priority, status, lastReportedAt: new Date() };
  await ModerationCaseModel.updateOne({ _id: moderationCase._id }, { $set: counts });
  return moderationCase.set(counts);
}

/** The weights of a case's reports, one per distinct reporter. */
async function reportWeights(caseId: Types.ObjectId): Promise<number[]> {
  const reports = await ReportModel.find({ caseId }, { weight: 1 }).lean();
  return reports.map((r) => r.weight ?? 1);
}

/**
 * Hides a reported message once the weights of its distinct reporters reach the threshold
 * (handlers/reporter-trust.ts). The audit entry's unique dedupKey makes it happen exactly once
 * under concurrent reports.
 */
async function autoHideIfDue(services: Services, moderationCase: ModerationCaseDocument): Promise<void> {
  const reasons = [...(moderationCase.reasons?.keys() ?? [])] as ReportReason[];
  // Read again rather than trusting the recount: a concurrent report may have landed since.
  if (!autoHideDue(await reportWeights(moderationCase._id), autoHideThreshold(reasons, services.autoHideReports))) return;
  const message = await MessageModel.findById(moderationCase.targetId);
  if (!message || message.hidden) return;
  const reason = `automatically hidden after ${moderationCase.reportCount} reports`;
  // The same hide as a moderator's, pending review: the case stays open.
  await hideMessage(services, message, { actorId: 'system', actorRole: 'system', reason, case: moderationCase }, { onceKey: `auto_hide:${message.id}` });
}

export async function listCases(
  { caller }: Context,
  input: { status?: CaseView['status'] | undefined; chatId?: string | undefined; limit?: number | undefined },
): Promise<{ cases: CaseView[] }> {
  const adminOf = await adminChatIds(caller);
  if (input.chatId) {
    const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
    authorize(actorOf(caller, membership), 'queue.read', { chat: chatFacts(chat), administersAnyChat: adminOf.length > 0 });
  } else {
    authorize(actorOf(caller, null), 'queue.read', { chat: null, administersAnyChat: adminOf.length > 0 });
  }
  // Nobody sees a case about themselves: their own messages or account, or a chat they run.
  const filter: Record<string, unknown> = { reportedUserId: trusted({ $ne: caller.user.id }) };
  if (input.status) filter.status = input.status;
  if (isPlatformModerator(caller.user)) {
    if (input.chatId) filter.chatId = new Types.ObjectId(input.chatId);
    if (adminOf.length > 0) filter.$nor = trusted([{ targetType: 'chat', targetId: { $in: adminOf.map((id) => id.toString()) } }]);
  } else {
    filter.chatId = input.chatId ? new Types.ObjectId(input.chatId) : trusted({ $in: adminOf });
    // Reports about a user or a chat are for platform moderators only (see moderatingChatOf).
    filter.targetType = 'message';
  }
  const cases = await ModerationCaseModel.find(filter)
    .sort({ priority: -1, lastReportedAt: -1 })
    .limit(input.limit ?? 50);
  return { cases: cases.map(toCaseView) };
}

export async function getCase({ caller }: Context, input: { caseId: string }): Promise<{ case: CaseView; reports: ReportView[]; target: CaseTarget; notes?: UserNoteView[] }> {
  const moderationCase = await findCase(input.caseId);
  const chatId = moderatingChatOf(moderationCase);
  const actor = actorOf(caller, chatId ? await membershipOf(chatId, caller.user._id) : null);
  authorize(actor, 'case.read', { case: await caseFacts(moderationCase) });
  const moderator = isPlatformModerator(caller.user);
  // A platform moderator reading a message case reads its evidence, hidden or deleted text included: audited.
  if (moderator && moderationCase.targetType === 'message') await recordAccess(caller, 'case_evidence', moderationCase.id, moderationCase.chatId ?? null);
  const reports = await ReportModel.find({ caseId: moderationCase._id }).sort({ createdAt: 1 });
  return {
    case: toCaseView(moderationCase),
    reports: reports.map((r) => toReportView(r, { withReporter: moderator, withEvidence: true })),
    target: await currentTarget(moderationCase.targetType, moderationCase.targetId),
    // Notes on the account the case is about are for platform moderators, never for chat admins.
    ...(moderator && moderationCase.reportedUserId ? { notes: await notesOn(caller, moderationCase.reportedUserId) } : {}),
  };
}

