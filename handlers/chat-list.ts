/** Finding chats: mine, with what a client needs to catch up on each, and public ones by title. */
import { isPlatformModerator } from './policy/access';
import { isMuted } from './policy/standing';
import * as chats from './store/chats';
import * as memberships from './store/memberships';
import * as messages from './store/messages';
import type { Context } from './context';
import type { ChatListEntry, ChatView } from './contract/protocol';
import { toChatView, toHistoryEntry } from './views';

export const CHAT_PAGE_MAX = 100;

/**
 * My chats, newest chat first (by id, which never changes, so pages never shift), each with its
 * latest message and my read position. Costs one indexed read of the latest message per chat on
 * the page, never a scan of a chat's messages; clients order the list by activity themselves.
 */
export async function listChats(
  { caller }: Context,
  input: { before?: string | undefined; limit?: number | undefined },
): Promise<{ chats: ChatListEntry[]; hasMore: boolean }> {
  const limit = input.limit ?? CHAT_PAGE_MAX;
  const found = await memberships.activePage(caller.user._id, input.before, limit + 1);
  const mine = found.slice(0, limit);
  const chatIds = mine.map((m) => m.chatId);

  const [listed, latest] = await Promise.all([
    chats.byIds(chatIds),
    Promise.all(chatIds.map((chatId) => messages.latest(chatId))),
  ]);
  const chatById = new Map(listed.map((chat) => [chat.id as string, chat]));
  const moderator = isPlatformModerator(caller.user);
  const entries = mine.flatMap((m, i): ChatListEntry[] => {
    const chat = chatById.get(m.chatId.toString());
    if (!chat) return [];
    const last = latest[i] ?? null;
    const lastSeq = last?.seq ?? 0;
    const readSeq = m.readSeq ?? 0;
    const muted = isMuted(m);
    return [
      {
        ...toChatView(chat, m.role),
        role: m.role,
        lastSeq,
        // A closed chat's history is closed to its members, its last message with it.
        lastMessage: last && (!chat.closed || moderator) ? toHistoryEntry(last, moderator) : null,
        readSeq,
        unreadCount: Math.max(0, lastSeq - readSeq),
        muted,
        mutedUntil: muted && m.mutedUntil ? m.mutedUntil.toISOString() : null,
      },
    ];
  });
  return { chats: entries, hasMore: found.length > limit };
}

/** Public chats whose title has, for each word of `q`, a word starting with it (any case), newest first, with member counts. */
export async function searchChats(
  _ctx: Context,
  input: { q: string; limit?: number | undefined; before?: string | undefined },
): Promise<{ chats: ChatView[]; hasMore: boolean }> {
  const limit = input.limit ?? 20;
  const found = await chats.searchPublic(input.q, input.before, limit + 1);
  const page = found.slice(0, limit);
  return { chats: page.map((chat) => toChatView(chat)), hasMore: found.length > limit };
}
