/**
 * Statements of reasons, kept: every `moderation:notice` is stored for the person it concerns,
 * listed on request and delivered unread on the next connection, so that someone offline when
 * an action was taken still learns what was done, why, and until when they may appeal.
 */
import { trusted, Types } from 'mongoose';

import { NoticeModel, type ActionType, type ModerationActionDocument, type ModerationCaseDocument, type ReportReason } from '../models';
import type { Context, Services } from './context';
import { toNoticeView } from './due-process-views';
import { isDuplicateKeyError } from './contract/errors';
import type { NoticeView } from './contract/protocol';
import { gravestReason } from './policy/severity';

/** What can be contested: what restricted someone. Lifting an action, dismissing a case or deciding an appeal cannot. */
const APPEALABLE: ReadonlySet<ActionType> = new Set<ActionType>(['hide_message', 'ban_member', 'mute_member', 'suspend_account', 'warn_reporter', 'restrict_reporter']);
export const isAppealable = (type: ActionType): boolean => APPEALABLE.has(type);

/** How many unread notices a new connection receives at most. */
const UNREAD_ON_CONNECT = 100;

/** Stores the statement of reasons for `userId` (once per action) and returns it as the wire shows it. */
export async function storeNotice(services: Services, userId: string, action: ModerationActionDocument, moderationCase: ModerationCaseDocument | null): Promise<NoticeView> {
  const appealable = isAppealable(action.type);
  const reasons = moderationCase?.reasons ? ([...moderationCase.reasons.keys()] as ReportReason[]) : [];
  const fields = {
    userId: new Types.ObjectId(userId),
    actionId: action._id,
    actionType: action.type,
    actorRole: action.actorRole,
    targetType: action.targetType,
    targetId: action.targetId,
    chatId: action.chatId ?? null,
    reason: action.reason,
    reasonCategory: gravestReason(reasons),
    automatic: action.actorRole === 'system',
    until: action.until ?? null,
    appealable,
    appealDeadline: appealable ? new Date(action.createdAt.getTime() + services.appealWindowSec * 1000) : null,
    createdAt: action.createdAt,
  };
  try {
    return toNoticeView(await NoticeModel.create(fields));
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const stored = await NoticeModel.findOne({ userId: fields.userId, actionId: action._id });
    return toNoticeView(stored!);
  }
}

export async function listNotices(
  { caller }: Context,
  input: { unreadOnly?: boolean | undefined; before?: string | undefined; limit?: number | undefined },
): Promise<{ notices: NoticeView[]; hasMore: boolean }> {
  const limit = input.limit ?? 50;
  const filter: Record<string, unknown> = { userId: caller.user._id };
  if (input.unreadOnly) filter.readAt = null;
  if (input.before) filter._id = trusted({ $lt: new Types.ObjectId(input.before) });
  const page = await NoticeModel.find(filter).sort({ _id: -1 }).limit(limit + 1);
  return { notices: page.slice(0, limit).map(toNoticeView), hasMore: page.length > limit };
}

export async function markNoticesRead({ caller }: Context, input: { ids: string[] }): Promise<{ read: number }> {
  const { modifiedCount } = await NoticeModel.updateMany(
    { _id: trusted({ $in: input.ids.map((id) => new Types.ObjectId(id)) }), userId: caller.user._id, readAt: null },
    { $set: { readAt: new Date() } },
  );
  return { read: modifiedCount };
}

/** A new connection's unread notices, oldest first; they stay unread until `notices:read`. */
export async function unreadNotices(userId: string): Promise<NoticeView[]> {
  const unread = await NoticeModel.find({ userId: new Types.ObjectId(userId), readAt: null }).sort({ _id: -1 }).limit(UNREAD_ON_CONNECT);
  return unread.reverse().map(toNoticeView);
}
