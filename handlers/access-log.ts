/**
 * Audited access: a platform moderator reading what members cannot (hidden messages, a private
 * chat's history from outside it, a case's evidence) leaves an entry; platform admins list them.
 */
import type { AccessKind } from '../models/vocabulary';
import * as accessLog from './store/access-log';
import type { Id } from './store/db';
import { isPlatformModerator } from './policy/access';
import type { Caller, Context } from './context';
import { chatAccess } from './facts';
import * as messages from './messages';
import type { HistoryEntry } from './contract/protocol';

export interface AccessEntryView {
  id: string;
  actorId: string;
  what: AccessKind;
  targetId: string;
  chatId: string | null;
  at: string;
}

export function recordAccess(caller: Caller, what: AccessKind, targetId: string, chatId: Id | null): Promise<void> {
  return accessLog.record(caller.user._id, what, targetId, chatId);
}

type HistoryInput = Parameters<typeof messages.messageHistory>[1];

/** `message:history`, plus an access entry when a platform moderator read hidden messages, a private chat they are not in, or a closed chat. */
export async function auditedHistory(
  ctx: Context,
  input: HistoryInput,
): Promise<{ messages: HistoryEntry[]; hasMore: boolean }> {
  const page = await messages.messageHistory(ctx, input);
  if (!isPlatformModerator(ctx.caller.user)) return page;
  if (page.messages.some((m) => 'hidden' in m && typeof m.hidden === 'object'))
    await recordAccess(ctx.caller, 'hidden_messages', input.chatId, input.chatId);
  // The chat and membership the page was authorized on, from this node's cache: no second read.
  const { chat, membership } = await chatAccess(input.chatId, ctx.caller.user._id);
  if (chat.visibility === 'private' && membership?.status !== 'active')
    await recordAccess(ctx.caller, 'private_history', input.chatId, input.chatId);
  // A closed chat is read by nobody else.
  if (chat.closed) await recordAccess(ctx.caller, 'closed_chat', input.chatId, input.chatId);
  return page;
}

/** Who read what, newest first (platform admins). */
export async function listAccessLog(
  _ctx: Context,
  input: { actorId?: string | undefined; before?: string | undefined; limit?: number | undefined },
): Promise<{ entries: AccessEntryView[] }> {
  const entries = await accessLog.page({ ...input, limit: input.limit ?? 50 });
  return {
    entries: entries.map((e) => ({
      id: e.id,
      actorId: e.actorId.toString(),
      what: e.what,
      targetId: e.targetId,
      chatId: e.chatId?.toString() ?? null,
      at: e.at.toISOString(),
    })),
  };
}
