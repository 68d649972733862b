/**
 * Who hears that someone joined, left or is typing, so that it costs the same in a group of
 * 200,000 as in a group of 20. Up to LARGE_GROUP_MEMBERS, a group hears each `member:joined`,
 * `member:left` and `typing` as it happens. Above it, joins and leaves go to the owner and admins
 * only and members get the count, `chat:members`, at most once per MEMBER_COUNT_INTERVAL and only
 * when it changed (one node announces: the chat records the count announced last); typing is
 * gathered per chat and sent once per TYPING_INTERVAL, naming up to a few typists. Channels tell
 * nobody who joins or leaves.
 */
import { cachedChatAdmins, type SharedChat } from './store/authorization-cache';
import * as chats from './store/chats';
import type { Services } from './context';
import { rooms } from './contract/protocol';

/** Typists named in one coalesced `typing` of a large group. */
export const TYPISTS_NAMED = 3;

/** A chat as the cache shares it, or just its id and type. */
type ChatRef = Pick<SharedChat, 'type' | 'id'>;

export const isLargeGroup = (services: Services, chat: { type: string }, memberCount: number): boolean =>
  chat.type === 'group' && memberCount > services.largeChats.groupMembers;

/** Tells a group that `userId` joined or left; `memberCount` is the chat's count after. */
export async function memberNews(
  services: Services,
  chat: ChatRef,
  event: 'member:joined' | 'member:left',
  userId: string,
  memberCount: number,
): Promise<void> {
  if (chat.type !== 'group') return;
  const chatId = String(chat.id);
  const payload = { chatId, userId };
  if (!isLargeGroup(services, chat, memberCount)) {
    services.realtime.emit(rooms.chat(chatId), event, payload);
    return;
  }
  services.realtime.emit((await cachedChatAdmins(chatId)).map(rooms.user), event, payload);
  countChanged(services, chatId);
}

/** Chats of this node with a `chat:members` due. */
const countsDue = new Map<string, NodeJS.Timeout>();

/** Schedules the announcement of a large group's count, once per interval however many joins and leaves come meanwhile. */
function countChanged(services: Services, chatId: string): void {
  if (countsDue.has(chatId)) return;
  const interval = services.largeChats.memberCountIntervalMs;
  const timer = setTimeout(() => {
    countsDue.delete(chatId);
    void announceCount(services, chatId, interval).catch((err: unknown) =>
      services.log.error({ err, chatId }, 'could not announce a member count'),
    );
  }, interval);
  timer.unref();
  countsDue.set(chatId, timer);
}

async function announceCount(services: Services, chatId: string, intervalMs: number): Promise<void> {
  const memberCount = await chats.memberCount(chatId);
  // Every node with joins to tell schedules one; the first to claim the count announces it.
  if (await chats.claimAnnouncement(chatId, memberCount, intervalMs))
    services.realtime.emit(rooms.chat(chatId), 'chat:members', { chatId, memberCount });
}

/** Typists of large groups gathered on this node since the last `typing` each was sent. */
const typists = new Map<string, Set<string>>();

/** Tells a group that `userId` is typing: at once in a group up to the threshold, gathered per interval above it. */
export function typingNews(services: Services, chat: ChatRef & { memberCount?: number | null }, userId: string): void {
  const chatId = String(chat.id);
  if (!isLargeGroup(services, chat, chat.memberCount ?? 0)) {
    services.realtime.emit(rooms.chat(chatId), 'typing', { chatId, userId });
    return;
  }
  const gathered = typists.get(chatId);
  if (gathered) {
    if (gathered.size < TYPISTS_NAMED) gathered.add(userId);
    return;
  }
  typists.set(chatId, new Set([userId]));
  const timer = setTimeout(() => {
    const userIds = [...(typists.get(chatId) ?? [])];
    typists.delete(chatId);
    if (userIds.length > 0)
      services.realtime.emit(rooms.chat(chatId), 'typing', { chatId, userId: userIds[0]!, userIds });
  }, services.largeChats.typingIntervalMs);
  timer.unref();
}
