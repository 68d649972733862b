/** Statements of reasons and appeals as the wire shows them. */
import type { ReportReason } from '../models/vocabulary';
import type { Appeal } from './store/appeals';
import type { Notice } from './store/notices';
import type { ActionView, AppealView, NoticeView } from './contract/protocol';

type WithId<T> = T & { _id: { toString(): string } };

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

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
