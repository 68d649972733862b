import { authorize, isChatAdmin, isPlatformModerator } from './policy/access';
import { asAuthorizedWork } from './store/authorization-cache';
import * as cases from './store/cases';
import * as messages from './store/messages';
import type { Caller, Context, Services } from './context';
import { StoaError } from './contract/errors';
import { HISTORY_DEFAULT_LIMIT } from './contract/schemas';
import { actorOf, asMessageNotFound, chatAccess, chatFacts } from './facts';
import { rooms, type HistoryEntry, type MessageView } from './contract/protocol';
import { resolveCase } from './enactment';
import { screenSend } from './filters';
import { storeMessage } from './store/group-commit';
import { toHistoryEntry, toMessageView } from './views';

export { seqClaimStats } from './store/group-commit';

export function sendMessage(
  { services, caller }: Context,
  input: { chatId: string; text: string; clientMsgId: string },
): Promise<{ message: MessageView }> {
  // Counted as authorized work, so that a ban or mute waits for it before its ack.
  return asAuthorizedWork(authorizeAndStore(services, caller, input));
}

async function authorizeAndStore(
  services: Services,
  caller: Caller,
  input: { chatId: string; text: string; clientMsgId: string },
): Promise<{ message: MessageView }> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'chat.send', { chat: chatFacts(chat) });
  if (chat.slowModeSec > 0 && !isChatAdmin(membership) && !isPlatformModerator(caller.user)) {
    await services.limits.slowMode(chat.id, caller.user.id, chat.slowModeSec);
  }

  // Automatic filters (handlers/filters.ts): a block or mute throws `filtered`; a hold stores it hidden.
  const screening = await screenSend(services, caller, chat, membership, input.text);
  const { message, replay } = await storeMessage({
    chatId: chat._id,
    senderId: caller.user._id,
    text: input.text,
    clientMsgId: input.clientMsgId,
    ...(screening?.hidden ? { hidden: screening.hidden } : {}),
  });
  const view = toMessageView(message);
  if (!replay) {
    services.metrics.messagesStored.inc();
    screening?.stored(message);
    // The ack goes out first (the transport sends it as soon as this returns); then the room hears of it.
    if (!message.hidden)
      setImmediate(() => services.realtime.emit(rooms.chat(chat.id), 'message:new', { message: view }));
  }
  // A held message is the sender's alone, pending review.
  return { message: message.hidden ? { ...view, pending: true } : view };
}

export async function messageHistory(
  { caller }: Context,
  input: { chatId: string; before?: number | undefined; after?: number | undefined; limit?: number | undefined },
): Promise<{ messages: HistoryEntry[]; hasMore: boolean }> {
  const access = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, access.membership), 'chat.read', { chat: chatFacts(access.chat) });
  const moderator = isPlatformModerator(caller.user);
  const limit = input.limit ?? HISTORY_DEFAULT_LIMIT;
  // Deleted and hidden messages stay in the page as tombstones, so seq is gap-free and the index serves the range exactly.
  const page = await messages.historyPage(access.chat._id, input, limit);
  const hasMore = page.length > limit;
  const shown = page.slice(0, limit);
  if (input.after === undefined) shown.reverse();
  return { messages: shown.map((m) => toHistoryEntry(m, moderator)), hasMore };
}

export async function deleteMessage(
  { services, caller }: Context,
  input: { messageId: string },
): Promise<Record<string, never>> {
  const message = await messages.byId(input.messageId);
  if (!message || message.deletedAt) throw new StoaError('not_found', 'No such message.');
  if (!message.senderId.equals(caller.user._id)) {
    // A message in a private chat does not exist for outsiders.
    const { chat, membership } = await chatAccess(message.chatId.toString(), caller.user._id);
    asMessageNotFound(() => authorize(actorOf(caller, membership), 'chat.read', { chat: chatFacts(chat) }));
    throw new StoaError('forbidden', 'Only its author deletes a message.');
  }
  await messages.markDeleted(message._id);
  const chatId = message.chatId.toString();
  services.realtime.emit(rooms.chat(chatId), 'message:deleted', { chatId, messageId: message.id, seq: message.seq });
  // The message is gone from the chat: its open case closes as actioned and its reporters hear so (their reports keep the evidence).
  const reported = await cases.about('message', message.id);
  if (reported?.status === 'open') await resolveCase(services, caller.user.id, reported, 'actioned');
  return {};
}

/** The author rewrites their message within the edit window; the earlier text is kept for those who review reports. */
export async function editMessage(
  { services, caller }: Context,
  input: { messageId: string; text: string },
): Promise<{ message: MessageView }> {
  const message = await messages.byId(input.messageId);
  // What members no longer see cannot be changed, by its author either.
  if (!message || message.deletedAt || message.hidden) throw new StoaError('not_found', 'No such message.');
  const { chat, membership } = await chatAccess(message.chatId.toString(), caller.user._id);
  asMessageNotFound(() => authorize(actorOf(caller, membership), 'chat.read', { chat: chatFacts(chat) }));
  if (!message.senderId.equals(caller.user._id)) throw new StoaError('forbidden', 'Only its author edits a message.');
  // A muted or banned author cannot change what the chat reads either.
  authorize(actorOf(caller, membership), 'chat.send', { chat: chatFacts(chat) });
  if (Date.now() - message.createdAt.getTime() > services.editWindowSec * 1000) {
    throw new StoaError('forbidden', 'This message is too old to edit.');
  }
  if (message.text === input.text) return { message: toMessageView(message) };

  const editedAt = new Date();
  const edits = [
    ...(message.edits ?? []).map((e) => ({ text: e.text, editedAt: e.editedAt })),
    { text: message.text, editedAt },
  ];
  if (!(await messages.rewrite(message._id, input.text, editedAt, edits)))
    throw new StoaError('not_found', 'No such message.');
  message.set({ text: input.text, editedAt, edits });
  const view = toMessageView(message);
  services.realtime.emit(rooms.chat(chat.id), 'message:edited', { message: view });
  return { message: view };
}
