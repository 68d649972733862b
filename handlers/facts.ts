/** Reads from the database that more than one capability needs: the facts `can` (handlers/access.ts) decides on, member counts. */
import { trusted, Types } from 'mongoose';

import {
  activeSuspension,
  ChatModel,
  MembershipModel,
  MessageModel,
  ModerationCaseModel,
  UserModel,
  type ChatDocument,
  type ChatRole,
  type MembershipDocument,
  type MessageDocument,
  type ModerationCase,
  type ModerationCaseDocument,
  type TargetType,
  type UserDocument,
} from '../models';
import type { Actor, CaseFacts, ChatFacts, Person, Standing } from './policy/access';
import { cachedChat, cachedMembership, type SharedAccount, type SharedChat, type SharedMembership } from './store/authorization-cache';
import type { Caller } from './context';
import { StoaError } from './contract/errors';
import type { CaseTarget, ChatView } from './contract/protocol';
import { toChatView, toMessageView, toUserView } from './views';

export interface ChatAccess {
  chat: SharedChat;
  /** The caller's membership row, whatever its status; null if they never joined. */
  membership: SharedMembership | null;
}

const notFound = (what: string) => new StoaError('not_found', `No such ${what}.`);

export async function findChat(chatId: string): Promise<ChatDocument> {
  const chat = Types.ObjectId.isValid(chatId) ? await ChatModel.findById(chatId) : null;
  if (!chat) throw notFound('chat');
  return chat;
}

export async function findMessage(messageId: string): Promise<MessageDocument> {
  const message = Types.ObjectId.isValid(messageId) ? await MessageModel.findById(messageId) : null;
  if (!message) throw notFound('message');
  return message;
}

export async function findUser(userId: string): Promise<UserDocument> {
  const user = Types.ObjectId.isValid(userId) ? await UserModel.findById(userId) : null;
  if (!user) throw notFound('user');
  return user;
}

/** Runs `check`; a chat the caller may not see makes its message not exist either, in the same words as an unknown id. */
export function asMessageNotFound<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof StoaError && err.code === 'not_found') throw notFound('message');
    throw err;
  }
}

export async function findCase(caseId: string): Promise<ModerationCaseDocument> {
  const found = Types.ObjectId.isValid(caseId) ? await ModerationCaseModel.findById(caseId) : null;
  if (!found) throw notFound('case');
  return found;
}

/**
 * The chat and the caller's membership (every event on a chat starts here), from this node's
 * authorization cache: every write to either invalidates it on every node before its ack.
 */
export async function chatAccess(chatId: string, userId: Types.ObjectId | string): Promise<ChatAccess> {
  if (!Types.ObjectId.isValid(chatId)) throw notFound('chat');
  const [chat, membership] = await Promise.all([cachedChat(chatId), cachedMembership(chatId, userId.toString())]);
  if (!chat) throw notFound('chat');
  return { chat, membership };
}

export async function membershipOf(chatId: Types.ObjectId | string, userId: Types.ObjectId | string): Promise<MembershipDocument | null> {
  return MembershipModel.findOne({ chatId, userId });
}

export const chatFacts = (chat: SharedChat): ChatFacts => ({ id: chat.id, type: chat.type, visibility: chat.visibility });

export function standing(m: SharedMembership | null): Standing | null {
  if (!m) return null;
  return { role: m.role, status: m.status, bannedUntil: m.bannedUntil ?? null, mutedUntil: m.mutedUntil ?? null, mutedByRole: m.mutedByRole ?? null };
}

export const actorOf = (caller: Caller, membership: SharedMembership | null): Actor => ({ id: caller.user.id, role: caller.user.role, membership: standing(membership) });

export const personOf = (user: SharedAccount, membership: SharedMembership | null): Person => ({ id: user.id, role: user.role, membership: standing(membership) });

/** The chats where the caller is owner or admin. */
export async function adminChatIds(caller: Caller): Promise<Types.ObjectId[]> {
  const memberships = await MembershipModel.find({ userId: caller.user._id, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { chatId: 1 }).lean();
  return memberships.map((m) => m.chatId);
}

/** Whether two people are both active members of at least one chat. */
export async function shareAChat(userId: Types.ObjectId, otherId: string): Promise<boolean> {
  if (!Types.ObjectId.isValid(otherId)) return false;
  const mine = await MembershipModel.find({ userId, status: 'active' }, { chatId: 1 }).lean();
  if (mine.length === 0) return false;
  const common = await MembershipModel.findOne({ userId: otherId, status: 'active', chatId: trusted({ $in: mine.map((m) => m.chatId) }) }, { _id: 1 }).lean();
  return common !== null;
}

/**
 * The chat whose admins handle a case alongside platform moderators: the chat a
 * reported message lives in. None for a reported user, and none for a reported
 * chat, whose admins are the very people reported.
 */
export function moderatingChatOf(moderationCase: Pick<ModerationCase, 'targetType' | 'chatId'>): Types.ObjectId | null {
  return moderationCase.targetType === 'chat' ? null : (moderationCase.chatId ?? null);
}

/** A case as `can` sees it: who it is about, and where. */
export async function caseFacts(moderationCase: ModerationCaseDocument): Promise<CaseFacts> {
  const chatId = moderatingChatOf(moderationCase);
  let concerns: string[];
  if (moderationCase.targetType === 'chat') {
    const admins = await MembershipModel.find({ chatId: moderationCase.targetId, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { userId: 1 }).lean();
    concerns = admins.map((m) => m.userId.toString());
  } else {
    concerns = moderationCase.reportedUserId ? [moderationCase.reportedUserId] : [];
  }
  return {
    targetType: moderationCase.targetType,
    targetId: moderationCase.targetId,
    chatId: chatId?.toString() ?? null,
    authorId: moderationCase.targetType === 'message' ? (moderationCase.reportedUserId ?? null) : null,
    concerns,
  };
}

/** The case an action names, with its facts and the caller's row in the case's chat; null without a caseId. */
export async function namedCase(caseId: string | undefined): Promise<{ doc: ModerationCaseDocument; facts: CaseFacts } | null> {
  if (caseId === undefined) return null;
  const doc = await findCase(caseId);
  return { doc, facts: await caseFacts(doc) };
}

/** Active members per chat, counted from memberships (never a stored counter). */
export async function memberCounts(chatIds: Types.ObjectId[]): Promise<Map<string, number>> {
  const rows = await MembershipModel.aggregate<{ _id: Types.ObjectId; n: number }>([
    { $match: { chatId: { $in: chatIds }, status: 'active' } },
    { $group: { _id: '$chatId', n: { $sum: 1 } } },
  ]);
  return new Map(rows.map((row) => [row._id.toString(), row.n]));
}

export async function chatView(chat: SharedChat, role?: ChatRole): Promise<ChatView> {
  const counts = await memberCounts([chat._id]);
  return toChatView(chat, counts.get(chat.id) ?? 0, role);
}

/**
 * The target as it is now (it may have been edited, hidden or deleted since the
 * reports); null once it no longer exists. Moderators and chat admins reviewing a
 * case, and moderators deciding an appeal, see a hidden or deleted message's text: it
 * is the evidence.
 */
export async function currentTarget(targetType: TargetType, targetId: string): Promise<CaseTarget> {
  if (targetType === 'message') {
    const message = await MessageModel.findById(targetId);
    return message && { type: 'message', message: toMessageView(message, true, true), deletedAt: message.deletedAt?.toISOString() ?? null };
  }
  if (targetType === 'user') {
    const user = await UserModel.findById(targetId);
    const suspension = user && activeSuspension(user);
    return user && { type: 'user', user: toUserView(user), suspended: suspension ? { until: suspension.until?.toISOString() ?? null, reason: suspension.reason } : null };
  }
  const chat = await ChatModel.findById(targetId);
  return chat && { type: 'chat', chat: await chatView(chat) };
}
