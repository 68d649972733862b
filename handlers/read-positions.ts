/** Read positions: how far each member has read a chat, stored on their membership. */
import { trusted, Types } from 'mongoose';

import { MembershipModel } from '../models';
import { authorize } from './policy/access';
import type { Context } from './context';
import { StoaError } from './contract/errors';
import { actorOf, chatAccess, chatFacts } from './facts';
import { latestSeq } from './store/message-store';
import { rooms } from './contract/protocol';

/** Moves my read position to `seq`; a lower one changes nothing and answers the stored position. */
export async function markRead({ services, caller }: Context, input: { chatId: string; seq: number }): Promise<{ chatId: string; seq: number }> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'chat.read', { chat: chatFacts(chat) });
  if (membership?.status !== 'active') throw new StoaError('forbidden', 'Join the chat to keep a read position in it.');
  if (input.seq > (await latestSeq(chat._id))) throw new StoaError('invalid_input', 'seq: beyond the latest message of this chat');

  const { seq, moved } = await advanceReadSeq(membership._id, input.seq);
  if (moved) services.realtime.emit(rooms.user(caller.user.id), 'chat:read', { chatId: chat.id, seq });
  return { chatId: chat.id, seq };
}

/**
 * A conditional update that only ever raises the position. On MongoDB it is atomic. On the embedded
 * database an update is read-modify-write, so a smaller mark racing a larger one from the same person
 * could land last: the larger one is written again if its re-read sees less. What remains is a
 * position briefly too low (messages shown unread again), never one beyond what the person read.
 */
async function advanceReadSeq(membershipId: Types.ObjectId, seq: number): Promise<{ seq: number; moved: boolean }> {
  // `$not: {$gte}` also matches memberships stored before read positions existed.
  const below = { _id: membershipId, readSeq: trusted({ $not: { $gte: seq } }) };
  const { modifiedCount } = await MembershipModel.updateOne(below, { $set: { readSeq: seq } });
  let stored = await storedReadSeq(membershipId);
  if (modifiedCount > 0 && stored < seq) {
    await MembershipModel.updateOne(below, { $set: { readSeq: seq } });
    stored = await storedReadSeq(membershipId);
  }
  return { seq: Math.max(stored, modifiedCount > 0 ? seq : 0), moved: modifiedCount > 0 };
}

async function storedReadSeq(membershipId: Types.ObjectId): Promise<number> {
  return (await MembershipModel.findById(membershipId, { readSeq: 1 }).lean())?.readSeq ?? 0;
}

/** In a group, how many members have read up to `seq` or beyond; channels tell nobody who read what. */
export async function readCount({ caller }: Context, input: { chatId: string; seq: number }): Promise<{ count: number }> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'chat.read', { chat: chatFacts(chat) });
  if (chat.type !== 'group') throw new StoaError('forbidden', 'Channels do not show who read what.');
  const count = await MembershipModel.countDocuments({ chatId: chat._id, status: 'active', readSeq: trusted({ $gte: input.seq }) });
  return { count };
}
