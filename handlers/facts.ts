/** Reads that more than one capability needs: the facts `can` (handlers/policy/access.ts) decides on, member counts, a target as it is now. */
import type { ChatRole, TargetType } from '../models/vocabulary';
import type { Actor, CaseFacts, ChatFacts, Person, Standing } from './policy/access';
import { ILLEGAL_GROUND } from './policy/moderation-kinds';
import { activeSuspension } from './policy/standing';
import {
  cachedChat,
  cachedMembership,
  type SharedAccount,
  type SharedChat,
  type SharedMembership,
} from './store/authorization-cache';
import * as cases from './store/cases';
import * as chats from './store/chats';
import type { Id } from './store/db';
import * as memberships from './store/memberships';
import * as messages from './store/messages';
import * as users from './store/users';
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

export async function findMessage(messageId: string): Promise<messages.MessageDocument> {
  const message = await messages.byId(messageId);
  if (!message) throw notFound('message');
  return message;
}

export async function findUser(userId: string): Promise<users.UserDocument> {
  const user = await users.byId(userId);
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

export async function findCase(caseId: string): Promise<cases.ModerationCaseDocument> {
  const found = await cases.byId(caseId);
  if (!found) throw notFound('case');
  return found;
}

/**
 * The chat and the caller's membership (every event on a chat starts here), from this node's
 * authorization cache: every write to either invalidates it on every node before its ack.
 */
export async function chatAccess(chatId: string, userId: Id): Promise<ChatAccess> {
  const [chat, membership] = await Promise.all([findChat(chatId), cachedMembership(chatId, userId.toString())]);
  return { chat, membership };
}

/** A chat as the authorization cache shares it. */
export async function findChat(chatId: string): Promise<SharedChat> {
  const chat = await cachedChat(chatId);
  if (!chat) throw notFound('chat');
  return chat;
}

/** Someone's row in a chat as stored now (not from the cache: a moderation action acts on it). */
export function membershipOf(chatId: Id, userId: Id): Promise<memberships.MembershipDocument | null> {
  return memberships.of(chatId, userId);
}

export const chatFacts = (chat: SharedChat): ChatFacts => ({
  id: chat.id,
  type: chat.type,
  visibility: chat.visibility,
  closed: chat.closed
    ? { byRole: chat.closed.byRole, legalGround: ILLEGAL_GROUND[chat.closed.category] !== undefined }
    : null,
});

export function standing(m: SharedMembership | null): Standing | null {
  if (!m) return null;
  return {
    role: m.role,
    status: m.status,
    bannedUntil: m.bannedUntil ?? null,
    mutedUntil: m.mutedUntil ?? null,
    mutedByRole: m.mutedByRole ?? null,
  };
}

export const actorOf = (caller: Caller, membership: SharedMembership | null): Actor => ({
  id: caller.user.id,
  role: caller.user.role,
  membership: standing(membership),
});

export const personOf = (user: SharedAccount, membership: SharedMembership | null): Person => ({
  id: user.id,
  role: user.role,
  membership: standing(membership),
});

/** The chats where the caller is owner or admin. */
export function adminChatIds(caller: Caller): ReturnType<typeof memberships.administeredChatIds> {
  return memberships.administeredChatIds(caller.user._id);
}

/** Whether two people are both active members of at least one chat. */
export async function shareAChat(userId: Id, otherId: string): Promise<boolean> {
  return (await memberships.sharingAChatWith(userId, [otherId])).length > 0;
}

/**
 * The chat whose admins handle a case alongside platform moderators: the chat a
 * reported message lives in. None for a reported user, and none for a reported
 * chat, whose admins are the very people reported.
 */
export function moderatingChatOf<C extends Pick<cases.ModerationCase, 'targetType' | 'chatId'>>(
  moderationCase: C,
): NonNullable<C['chatId']> | null {
  return moderationCase.targetType === 'chat' ? null : (moderationCase.chatId ?? null);
}

/** A case as `can` sees it: who it is about, and where. */
export async function caseFacts(moderationCase: cases.ModerationCaseDocument): Promise<CaseFacts> {
  const chatId = moderatingChatOf(moderationCase);
  // A reported chat concerns the people who run it; anything else, the person reported.
  const concerns =
    moderationCase.targetType === 'chat'
      ? await memberships.chatAdmins(moderationCase.targetId)
      : moderationCase.reportedUserId
        ? [moderationCase.reportedUserId]
        : [];
  return {
    targetType: moderationCase.targetType,
    targetId: moderationCase.targetId,
    chatId: chatId?.toString() ?? null,
    authorId: moderationCase.targetType === 'message' ? (moderationCase.reportedUserId ?? null) : null,
    concerns,
  };
}

/** The case an action names, with its facts and the caller's row in the case's chat; null without a caseId. */
export async function namedCase(
  caseId: string | undefined,
): Promise<{ doc: cases.ModerationCaseDocument; facts: CaseFacts } | null> {
  if (caseId === undefined) return null;
  const doc = await findCase(caseId);
  return { doc, facts: await caseFacts(doc) };
}

/** A chat as the wire shows it, with its member count as kept now (the cached record's may be older). */
export async function chatView(chat: SharedChat, role?: ChatRole): Promise<ChatView> {
  return toChatView(chat, role, await chats.memberCount(chat._id));
}

/**
 * The target as it is now (it may have been edited, hidden or deleted since the
 * reports); null once it no longer exists. Moderators and chat admins reviewing a
 * case, and moderators deciding an appeal, see a hidden or deleted message's text: it
 * is the evidence.
 */
export async function currentTarget(targetType: TargetType, targetId: string): Promise<CaseTarget> {
  if (targetType === 'message') {
    const message = await messages.byId(targetId);
    return (
      message && {
        type: 'message',
        message: toMessageView(message, true, true),
        deletedAt: message.deletedAt?.toISOString() ?? null,
      }
    );
  }
  if (targetType === 'user') {
    const user = await users.byId(targetId);
    const suspension = user && activeSuspension(user);
    return (
      user && {
        type: 'user',
        user: toUserView(user),
        suspended: suspension ? { until: suspension.until?.toISOString() ?? null, reason: suspension.reason } : null,
      }
    );
  }
  const chat = await chats.byId(targetId);
  return chat && { type: 'chat', chat: await chatView(chat) };
}
