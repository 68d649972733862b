import type { ReportReason, TargetType } from '../models/vocabulary';
import { authorize, isPlatformModerator } from './policy/access';
import * as cases from './store/cases';
import * as chats from './store/chats';
import { objectId, type Id } from './store/db';
import * as messages from './store/messages';
import * as reports from './store/reports';
import * as users from './store/users';
import type { Caller, Context, Services } from './context';
import { StoaError } from './contract/errors';
import {
  actorOf,
  adminChatIds,
  caseFacts,
  chatAccess,
  chatFacts,
  currentTarget,
  findCase,
  membershipOf,
  moderatingChatOf,
  shareAChat,
} from './facts';
import { audienceOf } from './enactment';
import { recountCase } from './case-counts';
import { hideMessage } from './moderation-effects';
import type { CaseTarget, CaseView, HistoryEntry, ReportView, UserNoteView } from './contract/protocol';
import { notesOn } from './user-notes';
import { recordAccess } from './access-log';
import { inCaseQueue } from './serial';
import { autoHideDue, autoHideThreshold, reporterWeight, reportingRestricted } from './reporter-trust';
import { toCaseView, toHistoryEntry, toReportView } from './views';

export { casePriority, TRUSTED_FLAGGER_WEIGHT } from './case-counts';
export { autoHideThreshold } from './reporter-trust';

interface Target {
  chatId: Id | null;
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
  if (targetType === 'message') {
    const message = await messages.byId(targetId);
    if (!message || message.deletedAt) throw notFound;
    const { chat, membership } = await chatAccess(message.chatId.toString(), caller.user._id);
    authorize(actorOf(caller, membership), 'report.message', {
      chat: chatFacts(chat),
      authorId: message.senderId.toString(),
      hidden: message.hidden !== null,
    });
    return {
      chatId: message.chatId,
      reportedUserId: message.senderId.toString(),
      evidence: {
        text: message.text,
        senderId: message.senderId.toString(),
        seq: message.seq,
        chatId: message.chatId.toString(),
        createdAt: message.createdAt,
      },
    };
  }
  if (targetType === 'user') {
    const user = await users.byId(targetId);
    if (!user) throw notFound;
    const sharesChat = await shareAChat(caller.user._id, targetId);
    authorize(actorOf(caller, null), 'report.user', { userId: user.id, sharesChat });
    return {
      chatId: null,
      reportedUserId: user.id,
      evidence: { username: user.username, displayName: user.displayName, createdAt: user.createdAt },
    };
  }
  const chat = await chats.byId(targetId);
  if (!chat) throw notFound;
  authorize(actorOf(caller, await membershipOf(chat._id, caller.user._id)), 'report.chat', { chat: chatFacts(chat) });
  return {
    chatId: chat._id,
    reportedUserId: null,
    evidence: { title: chat.title, chatId: chat.id, createdAt: chat.createdAt },
  };
}

export async function createReport(
  { services, caller }: Context,
  input: { targetType: TargetType; targetId: string; reason: ReportReason; comment?: string | undefined },
): Promise<{ report: ReportView }> {
  // A reporter restricted for unfounded reports still reaches the queue, a few times a day.
  if (reportingRestricted(caller.user)) await services.limits.consume('reports_restricted', caller.user.id);
  const target = await visibleTarget(caller, input.targetType, input.targetId);
  const weight = await reporterWeight(services.reporterTrust, caller.user, target.chatId);
  const moderationCase = await cases.openFor({
    targetType: input.targetType,
    targetId: input.targetId,
    chatId: target.chatId,
    reportedUserId: target.reportedUserId,
  });
  const report = await reports.create({
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
  if (!report) throw new StoaError('conflict', 'You have already reported this.');
  services.metrics.reportsCreated.inc({ reason: input.reason });

  const updated = await inCaseQueue(moderationCase.id, () => recountCase(moderationCase));
  // Never to the people the case is about: the author, the reported user, the reported chat's admins.
  const audience = await audienceOf(moderatingChatOf(updated), (await caseFacts(updated)).concerns);
  services.realtime.emit([...audience.staff, ...audience.chatAdmins], 'report:new', { case: toCaseView(updated) });
  // The report stands whatever becomes of the hide it may earn: a failed hide claimed nothing, and the next report tries again.
  if (input.targetType === 'message') {
    await autoHideIfDue(services, updated).catch((err: unknown) =>
      services.log.error({ err, caseId: updated.id }, 'automatic hide failed'),
    );
  }
  // The reporter's copy leaves out the evidence snapshot: it is for those who review the case.
  return { report: toReportView(report, { withReporter: isPlatformModerator(caller.user), withEvidence: false }) };
}

/**
 * Hides a reported message once the weights of its distinct reporters reach the threshold
 * (handlers/reporter-trust.ts). The audit entry's unique dedupKey makes it happen exactly once
 * under concurrent reports.
 */
async function autoHideIfDue(services: Services, moderationCase: cases.ModerationCaseDocument): Promise<void> {
  const reasons = [...(moderationCase.reasons?.keys() ?? [])] as ReportReason[];
  // Read again rather than trusting the recount: a concurrent report may have landed since.
  const weights = (await reports.tallyOf(moderationCase._id)).map((r) => r.weight ?? 1);
  if (!autoHideDue(weights, autoHideThreshold(reasons, services.autoHideReports))) return;
  const message = await messages.byId(moderationCase.targetId);
  if (!message || message.hidden) return;
  const reason = `automatically hidden after ${moderationCase.reportCount} reports`;
  // The same hide as a moderator's, pending review: the case stays open.
  await hideMessage(
    services,
    message,
    { actorId: 'system', actorRole: 'system', reason, case: moderationCase },
    { onceKey: `auto_hide:${message.id}` },
  );
}

export async function listCases(
  { caller }: Context,
  input: { status?: CaseView['status'] | undefined; chatId?: string | undefined; limit?: number | undefined },
): Promise<{ cases: CaseView[] }> {
  const adminOf = await adminChatIds(caller);
  if (input.chatId) {
    const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
    authorize(actorOf(caller, membership), 'queue.read', {
      chat: chatFacts(chat),
      administersAnyChat: adminOf.length > 0,
    });
  } else {
    authorize(actorOf(caller, null), 'queue.read', { chat: null, administersAnyChat: adminOf.length > 0 });
  }
  const named = input.chatId ? [objectId(input.chatId)] : undefined;
  const staff = isPlatformModerator(caller.user);
  // Nobody sees a case about themselves: their own messages or account, or a chat they run.
  // Reports about a user or a chat are for platform moderators only (see moderatingChatOf).
  const queue = await cases.queue({
    viewerId: caller.user.id as string,
    status: input.status,
    chatIds: staff ? named : (named ?? adminOf),
    messagesOnly: !staff,
    excludeChats: staff ? adminOf : undefined,
    limit: input.limit ?? 50,
  });
  return { cases: queue.map(toCaseView) };
}

export async function getCase(
  { caller }: Context,
  input: { caseId: string },
): Promise<{ case: CaseView; reports: ReportView[]; target: CaseTarget; notes?: UserNoteView[] }> {
  const moderationCase = await findCase(input.caseId);
  const chatId = moderatingChatOf(moderationCase);
  const actor = actorOf(caller, chatId ? await membershipOf(chatId, caller.user._id) : null);
  authorize(actor, 'case.read', { case: await caseFacts(moderationCase) });
  const moderator = isPlatformModerator(caller.user);
  // A platform moderator reading a message case reads its evidence, hidden or deleted text included: audited.
  if (moderator && moderationCase.targetType === 'message')
    await recordAccess(caller, 'case_evidence', moderationCase.id, moderationCase.chatId ?? null);
  const filed = await reports.ofCase(moderationCase._id);
  return {
    case: toCaseView(moderationCase),
    reports: filed.map((r) => toReportView(r, { withReporter: moderator, withEvidence: true })),
    target: await currentTarget(moderationCase.targetType, moderationCase.targetId),
    // Notes on the account the case is about are for platform moderators, never for chat admins.
    ...(moderator && moderationCase.reportedUserId
      ? { notes: await notesOn(caller, moderationCase.reportedUserId) }
      : {}),
  };
}

/** Messages shown on each side of a reported one in `mod:context`. */
export const CONTEXT_SIZE = 5;

/**
 * `mod:context`: the reported message with the `CONTEXT_SIZE` messages before and after it in its chat, as
 * history shows them to the caller (tombstones for deleted ones; hidden ones in full for platform moderators
 * only). Whoever may read the case may read its context; every read is in the access log.
 */
export async function getCaseContext(
  { caller }: Context,
  input: { caseId: string },
): Promise<{ chatId: string; seq: number; messages: HistoryEntry[] }> {
  const moderationCase = await findCase(input.caseId);
  const facts = await caseFacts(moderationCase);
  const chatId = moderatingChatOf(moderationCase);
  const access = chatId ? await chatAccess(chatId.toString(), caller.user._id) : null;
  const actor = actorOf(caller, access?.membership ?? null);
  // Who may not read the case learns nothing more; a case about a user or a chat has no context.
  authorize(actor, 'case.read', { case: facts });
  if (!access) throw new StoaError('invalid_input', 'caseId: only a case about a message has a context.');
  authorize(actor, 'case.context', { case: facts, chat: chatFacts(access.chat) });
  const message = await messages.byId(moderationCase.targetId);
  if (!message) throw new StoaError('not_found', 'No such message.');
  // In the access log as its own kind of read: it shows what members may no longer see.
  await recordAccess(caller, 'case_context', moderationCase.id, message.chatId);
  const moderator = isPlatformModerator(caller.user);
  const around = await messages.around(message.chatId, message.seq, CONTEXT_SIZE, CONTEXT_SIZE);
  return {
    chatId: message.chatId.toString(),
    seq: message.seq,
    messages: around.map((m) => toHistoryEntry(m, moderator)),
  };
}
