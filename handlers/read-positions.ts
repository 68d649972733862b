/** Read positions: how far each member has read a chat, stored on their membership. */
import { authorize } from './policy/access';
import type { Context } from './context';
import { StoaError } from './contract/errors';
import { actorOf, chatAccess, chatFacts } from './facts';
import { isLargeGroup } from './member-news';
import * as memberships from './store/memberships';
import { latestSeq } from './store/messages';
import { rooms } from './contract/protocol';

/** Moves my read position to `seq`; a lower one changes nothing and answers the stored position. */
export async function markRead(
  { services, caller }: Context,
  input: { chatId: string; seq: number },
): Promise<{ chatId: string; seq: number }> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'chat.read', { chat: chatFacts(chat) });
  if (membership?.status !== 'active') throw new StoaError('forbidden', 'Join the chat to keep a read position in it.');
  if (input.seq > (await latestSeq(chat._id)))
    throw new StoaError('invalid_input', 'seq: beyond the latest message of this chat');

  const { seq, moved } = await memberships.advanceReadSeq(membership._id, input.seq);
  if (moved) services.realtime.emit(rooms.user(caller.user.id), 'chat:read', { chatId: chat.id, seq });
  return { chatId: chat.id, seq };
}

/** In a group, how many members have read up to `seq` or beyond; channels tell nobody who read what. */
export async function readCount(
  { services, caller }: Context,
  input: { chatId: string; seq: number },
): Promise<{ count: number }> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'chat.read', { chat: chatFacts(chat) });
  if (chat.type !== 'group') throw new StoaError('forbidden', 'Channels do not show who read what.');
  // As in Telegram, "seen by" is for small groups: counting readers would cost a read of every member.
  if (isLargeGroup(services, chat, chat.memberCount ?? 0))
    throw new StoaError('forbidden', 'Large groups do not show who read what.');
  return { count: await memberships.readersAtLeast(chat._id, input.seq) };
}
