/** Finding chats: mine, with what a client needs to catch up on each, and public ones by title. */
import { trusted, Types } from 'mongoose';

import { ChatModel, isMuted, MembershipModel, MessageModel } from '../models';
import { isPlatformModerator } from './policy/access';
import type { Context } from './context';
import { memberCounts } from './facts';
import type { ChatListEntry, ChatView } from './contract/protocol';
import { toChatView, toHistoryEntry } from './views';

export const CHAT_PAGE_MAX = 100;
/** More words than this in a search add nothing but cost. */
const MAX_SEARCH_WORDS = 8;

/**
 * My chats, newest chat first (by id, which never changes, so pages never shift), each with its
 * latest message and my read position. Costs one indexed read of the latest message per chat on
 * the page, never a scan of a chat's messages; clients order the list by activity themselves.
 */
export async function listChats({ caller }: Context, input: { before?: string | undefined; limit?: number | undefined }): Promise<{ chats: ChatListEntry[]; hasMore: boolean }> {
  const limit = input.limit ?? CHAT_PAGE_MAX;
  const filter: Record<string, unknown> = { userId: caller.user._id, status: 'active' };
  if (input.before !== undefined) filter.chatId = trusted({ $lt: new Types.ObjectId(input.before) });
  const found = await MembershipModel.find(filter).sort({ chatId: -1 }).limit(limit + 1).lean();
  const memberships = found.slice(0, limit);
  const chatIds = memberships.map((m) => m.chatId);

  const [chats, counts, latest] = await Promise.all([
    ChatModel.find({ _id: trusted({ $in: chatIds }) }),
    memberCounts(chatIds),
    Promise.all(chatIds.map((chatId) => MessageModel.findOne({ chatId }).sort({ seq: -1 }))),
  ]);
  const chatById = new Map(chats.map((chat) => [chat.id as string, chat]));
  const moderator = isPlatformModerator(caller.user);
  const entries = memberships.flatMap((m, i): ChatListEntry[] => {
    const chat = chatById.get(m.chatId.toString());
    if (!chat) return [];
    const last = latest[i] ?? null;
    const lastSeq = last?.seq ?? 0;
    const readSeq = m.readSeq ?? 0;
    const muted = isMuted(m);
    return [
      {
        ...toChatView(chat, counts.get(chat.id) ?? 0, m.role),
        role: m.role,
        lastSeq,
        lastMessage: last && toHistoryEntry(last, moderator),
        readSeq,
        unreadCount: Math.max(0, lastSeq - readSeq),
        muted,
        mutedUntil: muted && m.mutedUntil ? m.mutedUntil.toISOString() : null,
      },
    ];
  });
  return { chats: entries, hasMore: found.length > limit };
}

/**
 * Public chats whose title has, for each word of `q`, a word starting with it (any case), newest
 * first. The embedded database has no text index: this reads every chat, fine for thousands.
 */
export async function searchChats(_ctx: Context, input: { q: string; limit?: number | undefined; before?: string | undefined }): Promise<{ chats: ChatView[]; hasMore: boolean }> {
  const limit = input.limit ?? 20;
  const words = input.q.split(/\s+/).filter(Boolean).slice(0, MAX_SEARCH_WORDS);
  const filter: Record<string, unknown> = {
    visibility: 'public',
    $and: words.map((word) => ({ title: trusted({ $regex: `(^|\\s)${escapeRegExp(word)}`, $options: 'i' }) })),
  };
  if (input.before !== undefined) filter._id = trusted({ $lt: new Types.ObjectId(input.before) });
  const found = await ChatModel.find(filter).sort({ _id: -1 }).limit(limit + 1);
  const chats = found.slice(0, limit);
  const counts = await memberCounts(chats.map((chat) => chat._id));
  return { chats: chats.map((chat) => toChatView(chat, counts.get(chat.id) ?? 0)), hasMore: found.length > limit };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
