import { trusted, Types } from 'mongoose';

import { MessageModel, type ChatDocument, type MessageDocument } from '../models';
import { authorize, isChatAdmin, isPlatformModerator } from './access';
import type { Caller, Services } from './context';
import { isDuplicateKeyError, StoaError } from './errors';
import { actorOf, asMessageNotFound, chatAccess, chatFacts } from './facts';
import { rooms, type MessageView } from './protocol';
import { keyedQueue } from './serial';
import { toMessageView } from './views';

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;
const MAX_SEQ_CLAIMS = 100;

/** The last seq this node stored or saw per chat: a hint for the next claim, never an authority. */
const lastSeqHint = new Map<string, number>();
/** Sends on one node claim their chat's seq one after another, so they never race each other. */
const inChatQueue = keyedQueue();

/** How often a seq claim lost a race and had to retry, since start (for metrics and benchmarks). */
export const seqClaimStats = { retries: 0 };

export async function sendMessage(
  services: Services,
  caller: Caller,
  input: { chatId: string; text: string; clientMsgId: string },
): Promise<{ message: MessageView }> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'chat.send', { chat: chatFacts(chat) });
  if (chat.slowModeSec > 0 && !isChatAdmin(membership) && !isPlatformModerator(caller.user)) {
    await services.limits.slowMode(chat.id, caller.user.id, chat.slowModeSec);
  }

  const { message, replay } = await storeMessage(chat, caller.user._id, input);
  const view = toMessageView(message);
  if (!replay) {
    services.metrics.messagesStored.inc();
    // The ack goes out first (the transport sends it as soon as this returns); then the room hears of it.
    setImmediate(() => services.realtime.emit(rooms.chat(chat.id), 'message:new', { message: view }));
  }
  return { message: view };
}

/**
 * Claims the next seq by inserting under the unique (chatId, seq) index and
 * retrying on a duplicate: FerretDB has no atomic $inc. A duplicate on the
 * (senderId, chatId, clientMsgId) index instead means this is a retried send.
 */
function storeMessage(
  chat: ChatDocument,
  senderId: Types.ObjectId,
  input: { text: string; clientMsgId: string },
): Promise<{ message: MessageDocument; replay: boolean }> {
  return inChatQueue(chat.id, () => claimSeqAndInsert(chat, senderId, input));
}

async function claimSeqAndInsert(
  chat: ChatDocument,
  senderId: Types.ObjectId,
  input: { text: string; clientMsgId: string },
): Promise<{ message: MessageDocument; replay: boolean }> {
  const chatKey = chat.id;
  let seq = (lastSeqHint.get(chatKey) ?? (await latestSeq(chat._id))) + 1;
  for (let attempt = 0; attempt < MAX_SEQ_CLAIMS; attempt += 1) {
    try {
      const message = await MessageModel.create({ chatId: chat._id, seq, senderId, text: input.text, clientMsgId: input.clientMsgId });
      lastSeqHint.set(chatKey, Math.max(seq, lastSeqHint.get(chatKey) ?? 0));
      return { message, replay: false };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const earlier = await MessageModel.findOne({ senderId, chatId: chat._id, clientMsgId: input.clientMsgId });
    if (earlier) return { message: earlier, replay: true };
    seqClaimStats.retries += 1;
    const latest = await latestSeq(chat._id);
    lastSeqHint.set(chatKey, latest);
    seq = Math.max(latest, seq) + 1;
  }
  throw new Error(`could not claim a seq in chat ${chatKey} after ${MAX_SEQ_CLAIMS} attempts`);
}

async function latestSeq(chatId: Types.ObjectId): Promise<number> {
  const last = await MessageModel.findOne({ chatId }, { seq: 1 }).sort({ seq: -1 }).lean();
  return last?.seq ?? 0;
}

export async function messageHistory(
  caller: Caller,
  input: { chatId: string; before?: number | undefined; after?: number | undefined; limit?: number | undefined },
): Promise<{ messages: MessageView[]; hasMore: boolean }> {
  const access = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, access.membership), 'chat.read', { chat: chatFacts(access.chat) });
  const moderator = isPlatformModerator(caller.user);
  const limit = input.limit ?? HISTORY_DEFAULT_LIMIT;

  const filter: Record<string, unknown> = { chatId: access.chat._id, deletedAt: null };
  if (!moderator) filter.hidden = null;
  const forward = input.after !== undefined;
  if (input.after !== undefined) filter.seq = trusted({ $gt: input.after });
  else if (input.before !== undefined) filter.seq = trusted({ $lt: input.before });

  const page = await MessageModel.find(filter)
    .sort({ seq: forward ? 1 : -1 })
    .limit(limit + 1);
  const hasMore = page.length > limit;
  const messages = page.slice(0, limit);
  if (!forward) messages.reverse();
  return { messages: messages.map((m) => toMessageView(m, moderator)), hasMore };
}

export async function deleteMessage(services: Services, caller: Caller, input: { messageId: string }): Promise<Record<string, never>> {
  const message = Types.ObjectId.isValid(input.messageId) ? await MessageModel.findById(input.messageId) : null;
  if (!message || message.deletedAt) throw new StoaError('not_found', 'No such message.');
  if (!message.senderId.equals(caller.user._id)) {
    // A message in a private chat does not exist for outsiders.
    const { chat, membership } = await chatAccess(message.chatId.toString(), caller.user._id);
    asMessageNotFound(() => authorize(actorOf(caller, membership), 'chat.read', { chat: chatFacts(chat) }));
    throw new StoaError('forbidden', 'Only its author deletes a message.');
  }
  await MessageModel.updateOne({ _id: message._id }, { $set: { deletedAt: new Date() } });
  const chatId = message.chatId.toString();
  services.realtime.emit(rooms.chat(chatId), 'message:deleted', { chatId, messageId: message.id, seq: message.seq });
  return {};
}
