/** Documents as the wire shows them (docs/ARCHITECTURE.md §11): string ids, ISO dates, nothing private. */
import type { ChatRole, ReportReason } from '../models/vocabulary';
import { isMuted } from './policy/standing';
import type { ModerationAction } from './store/actions';
import type { Appeal } from './store/appeals';
import type { ModerationCase } from './store/cases';
import type { Chat } from './store/chats';
import type { Job } from './store/jobs';
import type { Membership } from './store/memberships';
import type { Message } from './store/messages';
import type { Notice } from './store/notices';
import type { Report } from './store/reports';
import type { User } from './store/users';
import type {
  ActionView,
  AppealView,
  CaseView,
  ChatView,
  HistoryEntry,
  JobView,
  MembershipView,
  MessageView,
  NoticeView,
  PublicUserView,
  ReportView,
  UserView,
} from './contract/protocol';

type WithId<T> = T & { _id: { toString(): string } };

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

export function toUserView(user: WithId<User>): UserView {
  return {
    id: user._id.toString(),
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
  };
}

/** Someone else as others see them: no role, no suspension. */
export function toPublicUserView(user: WithId<Pick<User, 'username' | 'displayName' | 'createdAt'>>): PublicUserView {
  return {
    id: user._id.toString(),
    username: user.username,
    displayName: user.displayName,
    createdAt: user.createdAt.toISOString(),
  };
}

/** `memberCount`: the chat's kept count, unless the caller has a fresher one (a join's own). */
export function toChatView(chat: WithId<Chat>, role?: ChatRole, memberCount = chat.memberCount ?? 0): ChatView {
  const view: ChatView = {
    id: chat._id.toString(),
    type: chat.type,
    title: chat.title,
    description: chat.description ?? '',
    visibility: chat.visibility,
    ownerId: chat.ownerId.toString(),
    slowModeSec: chat.slowModeSec,
    memberCount,
    createdAt: chat.createdAt.toISOString(),
  };
  if (role) view.role = role;
  if (chat.closed) {
    const { category, reason, at } = chat.closed;
    view.closed = { category, reason, at: at.toISOString(), appealable: true };
  }
  return view;
}

export function toMembershipView(m: WithId<Membership>): MembershipView {
  return {
    chatId: m.chatId.toString(),
    userId: m.userId.toString(),
    role: m.role,
    status: m.status,
    bannedUntil: iso(m.bannedUntil),
    muted: isMuted(m),
    mutedUntil: iso(m.mutedUntil),
    joinedAt: m.joinedAt.toISOString(),
  };
}

/**
 * `withHidden` is for platform moderators, who also see why a message was hidden;
 * `withEdits` for those reviewing a case, who see its earlier texts.
 */
export function toMessageView(message: WithId<Message>, withHidden = false, withEdits = false): MessageView {
  const view: MessageView = {
    id: message._id.toString(),
    chatId: message.chatId.toString(),
    seq: message.seq,
    senderId: message.senderId.toString(),
    text: message.text,
    createdAt: message.createdAt.toISOString(),
  };
  if (message.editedAt) view.editedAt = message.editedAt.toISOString();
  if (withHidden && message.hidden) {
    view.hidden = { at: message.hidden.at.toISOString(), by: message.hidden.by, reason: message.hidden.reason };
  }
  if (withEdits && message.edits?.length)
    view.edits = message.edits.map((e) => ({ text: e.text, editedAt: e.editedAt.toISOString() }));
  return view;
}

/** A message as history shows it: members get a tombstone for a deleted or hidden one, moderators still see hidden ones. */
export function toHistoryEntry(message: WithId<Message>, moderator: boolean): HistoryEntry {
  const place = { id: message._id.toString(), chatId: message.chatId.toString(), seq: message.seq };
  if (message.deletedAt) return { ...place, deleted: true };
  if (message.hidden && !moderator) return { ...place, hidden: true };
  return toMessageView(message, moderator);
}

/**
 * `withReporter` only for platform moderators: chat admins never learn who reported.
 * `withEvidence` for those reviewing the case, not for the reporter's own copy.
 */
export function toReportView(
  report: WithId<Report>,
  { withReporter, withEvidence }: { withReporter: boolean; withEvidence: boolean },
): ReportView {
  const view: ReportView = {
    id: report._id.toString(),
    targetType: report.targetType,
    targetId: report.targetId,
    reason: report.reason,
    status: report.status,
    createdAt: report.createdAt.toISOString(),
  };
  if (report.chatId) view.chatId = report.chatId.toString();
  if (report.comment) view.comment = report.comment;
  if (withReporter) view.reporterId = report.reporterId.toString();
  const e = report.evidence;
  if (withEvidence && e) {
    const evidence: NonNullable<ReportView['evidence']> = {};
    if (e.text != null) evidence.text = e.text;
    if (e.senderId != null) evidence.senderId = e.senderId;
    if (e.seq != null) evidence.seq = e.seq;
    if (e.chatId != null) evidence.chatId = e.chatId;
    if (e.username != null) evidence.username = e.username;
    if (e.title != null) evidence.title = e.title;
    view.evidence = evidence;
  }
  return view;
}

export function toCaseView(c: WithId<ModerationCase>): CaseView {
  const reasons: CaseView['reasons'] = {};
  const source =
    c.reasons instanceof Map ? Object.fromEntries(c.reasons) : ((c.reasons ?? {}) as Record<string, number>);
  for (const [reason, count] of Object.entries(source)) reasons[reason as keyof CaseView['reasons']] = count;
  const view: CaseView = {
    id: c._id.toString(),
    targetType: c.targetType,
    targetId: c.targetId,
    reportCount: c.reportCount,
    weight: c.weight ?? 0,
    reasons,
    priority: c.priority,
    status: c.status,
    firstReportedAt: c.firstReportedAt.toISOString(),
    lastReportedAt: c.lastReportedAt.toISOString(),
  };
  if (c.chatId) view.chatId = c.chatId.toString();
  return view;
}

/**
 * `withActorId` for platform moderators only; everyone else (the person acted
 * against, chat admins) learns the level that acted, never a moderator's id.
 */
export function toActionView(a: WithId<ModerationAction>, { withActorId }: { withActorId: boolean }): ActionView {
  const view: ActionView = {
    id: a._id.toString(),
    type: a.type,
    actorRole: a.actorRole,
    targetType: a.targetType as ActionView['targetType'],
    targetId: a.targetId,
    reason: a.reason,
    createdAt: a.createdAt.toISOString(),
  };
  if (withActorId) view.actorId = a.actorId;
  if (a.chatId) view.chatId = a.chatId.toString();
  if (a.caseId) view.caseId = a.caseId.toString();
  if (a.durationSec != null) view.durationSec = a.durationSec;
  if (a.until) view.until = a.until.toISOString();
  if (a.count != null) view.count = a.count;
  return view;
}

export function toJobView(j: WithId<Job>): JobView {
  return {
    id: j._id.toString(),
    kind: j.kind,
    actionId: j.actionId.toString(),
    status: j.status,
    total: j.total,
    done: j.done,
    failures: j.failures.map((f) => ({ at: f.at.toISOString(), error: f.error, count: f.count })),
    startedAt: j.startedAt.toISOString(),
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}

// Due process: statements of reasons and appeals.
export function toNoticeView(n: WithId<Notice>): NoticeView {
  const view: NoticeView = {
    id: n._id.toString(),
    actionId: n.actionId.toString(),
    actionType: n.actionType,
    actorRole: n.actorRole,
    targetType: n.targetType,
    targetId: n.targetId,
    reason: n.reason,
    reasonCategory: (n.reasonCategory ?? null) as ReportReason | null,
    automatic: n.automatic,
    until: iso(n.until),
    appeal: { appealable: n.appealable, deadline: iso(n.appealDeadline) },
    createdAt: n.createdAt.toISOString(),
    readAt: iso(n.readAt),
  };
  if (n.chatId) view.chatId = n.chatId.toString();
  return view;
}

/** `forStaff` adds who appealed and, when given, the action appealed (with who took it). */
export function toAppealView(a: WithId<Appeal>, forStaff?: { action?: ActionView | undefined }): AppealView {
  const view: AppealView = {
    id: a._id.toString(),
    actionId: a.actionId.toString(),
    actionType: a.actionType,
    text: a.text,
    status: a.status,
    createdAt: a.createdAt.toISOString(),
    decidedAt: iso(a.decidedAt),
    decisionReason: a.decisionReason ?? null,
  };
  if (a.chatId) view.chatId = a.chatId.toString();
  if (forStaff) {
    view.appellantId = a.appellantId.toString();
    if (forStaff.action) view.action = forStaff.action;
  }
  return view;
}
