/**
 * Moderators' actions: each finds its target, decides with `can` (handlers/access.ts), and
 * takes the one effect of handlers/moderation-effects.ts; the ack waits until every node has it.
 */
import { trusted, type Types } from 'mongoose';

import { activeSuspension, isBanned, isMuted, ModerationActionModel, ModerationCaseModel, type ModerationActionDocument, type ModerationCaseDocument, type TargetType } from '../models';
import type { SharedChat } from './store/authorization-cache';
import { actorRoleOf, authorize, can, decidedLevel, isPlatformModerator, type Actor } from './policy/access';
import type { Caller, Context } from './context';
import { StoaError } from './contract/errors';
import { actorOf, adminChatIds, asMessageNotFound, caseFacts, chatAccess, chatFacts, findCase, findMessage, findUser, membershipOf, moderatingChatOf, namedCase, personOf } from './facts';
import type { Decision } from './enactment';
import * as effects from './moderation-effects';
import { holdReportersToAccount } from './reporter-accountability';
import type { ActionView } from './contract/protocol';
import type { ModerationActionInput } from './contract/schemas';
import { toActionView } from './views';

/** The level the caller acts at, once `authorize` has let them act. */
const levelOfActor = (actor: Actor): Decision['actorRole'] => actorRoleOf(actor) ?? 'chat_admin';

const decisionOf = (caller: Caller, actor: Actor, reason: string, moderationCase: Decision['case'] = null): Decision => ({
  actorId: caller.user.id,
  actorRole: levelOfActor(actor),
  reason,
  case: moderationCase,
});

/** The ack, once the action's effects have reached the sockets of every node; platform staff see who acted. */
async function published({ services, caller }: Context, action: ModerationActionDocument): Promise<{ action: ActionView }> {
  await services.realtime.flush();
  return { action: toActionView(action, { withActorId: isPlatformModerator(caller.user) }) };
}

/** The chat of a moderation request, and the caller as an actor there; refused before the target is read. */
async function moderatedChat(caller: Caller, chatId: string | Types.ObjectId): Promise<{ chat: SharedChat; actor: Actor }> {
  const { chat, membership } = await chatAccess(chatId.toString(), caller.user._id);
  const actor = actorOf(caller, membership);
  authorize(actor, 'chat.moderate', { chat: chatFacts(chat) });
  return { chat, actor };
}

/** A member to act on in a chat the caller moderates. */
async function moderatedMember(caller: Caller, chatId: string, userId: string) {
  const { chat, actor } = await moderatedChat(caller, chatId);
  const target = await findUser(userId);
  const membership = await membershipOf(chat._id, target._id);
  return { chat, actor, target, membership, member: { chat, userId: target.id, membership } };
}

/** A message to moderate: its chat, the caller there, and its author there. */
async function moderatedMessage(caller: Caller, messageId: string) {
  const message = await findMessage(messageId);
  const { chat, membership } = await chatAccess(message.chatId.toString(), caller.user._id);
  const actor = actorOf(caller, membership);
  asMessageNotFound(() => authorize(actor, 'chat.moderate', { chat: chatFacts(chat) }));
  const [author, authorMembership] = await Promise.all([findUser(message.senderId.toString()), membershipOf(chat._id, message.senderId)]);
  return { message, chat, actor, author: personOf(author, authorMembership) };
}

/**
 * The case an action decides when it names none: the open case about its very target, if the
 * caller may decide it. Acting from the chat closes the case, and tells its reporters, exactly
 * as acting on it from the queue would.
 */
async function openCaseAbout(actor: Actor, targetType: TargetType, targetId: string): Promise<ModerationCaseDocument | null> {
  const found = await ModerationCaseModel.findOne({ targetType, targetId });
  if (!found || found.status !== 'open') return null;
  return can(actor, 'case.dismiss', { case: await caseFacts(found) }).allowed ? found : null;
}

type HideInput = { messageId: string; reason: string; caseId?: string | undefined };

export async function hideMessage(ctx: Context, input: HideInput): Promise<{ action: ActionView }> {
  const { message, chat, actor, author } = await moderatedMessage(ctx.caller, input.messageId);
  const named = await namedCase(input.caseId);
  authorize(actor, 'message.hide', { chat: chatFacts(chat), messageId: message.id, author, case: named?.facts ?? null });
  const decided = named?.doc ?? (await openCaseAbout(actor, 'message', message.id));
  const action = await effects.hideMessage(ctx.services, message, decisionOf(ctx.caller, actor, input.reason, decided));
  return published(ctx, action!);
}

export async function unhideMessage(ctx: Context, input: HideInput): Promise<{ action: ActionView }> {
  const { message, chat, actor, author } = await moderatedMessage(ctx.caller, input.messageId);
  const named = await namedCase(input.caseId);
  const hiddenBy = message.hidden ? decidedLevel(message.hidden.byRole) : null;
  authorize(actor, 'message.unhide', { chat: chatFacts(chat), messageId: message.id, author, hiddenBy, case: named?.facts ?? null });
  if (!message.hidden) throw new StoaError('conflict', 'That message is not hidden.');
  const action = await effects.unhideMessage(ctx.services, message, decisionOf(ctx.caller, actor, input.reason, named?.doc));
  // Showing it again dismisses the case it names, and so its reports.
  if (named) await holdReportersToAccount(ctx.services, named.doc);
  return published(ctx, action);
}

/** Without `chatId`, a ban is a suspension of the account. */
export async function banMember(
  ctx: Context,
  input: { userId: string; chatId?: string | undefined; durationSec?: number | undefined; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  if (input.chatId === undefined) return suspendAccount(ctx, input);
  const { chat, actor, target, membership, member } = await moderatedMember(ctx.caller, input.chatId, input.userId);
  const named = await namedCase(input.caseId);
  const bannedBy = membership && isBanned(membership) ? decidedLevel(membership.bannedByRole) : null;
  authorize(actor, 'member.ban', { chat: chatFacts(chat), person: personOf(target, membership), bannedBy, case: named?.facts ?? null });
  const decided = named?.doc ?? (await openCaseAbout(actor, 'user', target.id));
  return published(ctx, await effects.banMember(ctx.services, decisionOf(ctx.caller, actor, input.reason, decided), member, input.durationSec));
}

export async function unbanMember(ctx: Context, input: { userId: string; chatId?: string | undefined; reason: string }): Promise<{ action: ActionView }> {
  if (input.chatId === undefined) return unsuspendAccount(ctx, input);
  const { chat, actor, target, membership, member } = await moderatedMember(ctx.caller, input.chatId, input.userId);
  const isBannedNow = membership?.status === 'banned';
  authorize(actor, 'member.unban', { chat: chatFacts(chat), person: personOf(target, membership), bannedBy: isBannedNow ? decidedLevel(membership.bannedByRole) : null });
  if (!isBannedNow) throw new StoaError('conflict', 'That user is not banned from this chat.');
  return published(ctx, await effects.unbanMember(ctx.services, decisionOf(ctx.caller, actor, input.reason), member));
}

export async function muteMember(
  ctx: Context,
  input: { userId: string; chatId: string; durationSec?: number | undefined; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  const { chat, actor, target, membership, member } = await moderatedMember(ctx.caller, input.chatId, input.userId);
  const named = await namedCase(input.caseId);
  const mutedBy = membership && isMuted(membership) ? decidedLevel(membership.mutedByRole) : null;
  authorize(actor, 'member.mute', { chat: chatFacts(chat), person: personOf(target, membership), mutedBy, case: named?.facts ?? null });
  if (membership?.status !== 'active') throw new StoaError('not_found', 'That user is not a member of this chat.');
  return published(ctx, await effects.muteMember(ctx.services, decisionOf(ctx.caller, actor, input.reason, named?.doc), member, input.durationSec));
}

export async function unmuteMember(ctx: Context, input: { userId: string; chatId: string; reason: string }): Promise<{ action: ActionView }> {
  const { chat, actor, target, membership, member } = await moderatedMember(ctx.caller, input.chatId, input.userId);
  const mutedNow = membership !== null && isMuted(membership);
  authorize(actor, 'member.unmute', { chat: chatFacts(chat), person: personOf(target, membership), mutedBy: mutedNow ? decidedLevel(membership.mutedByRole) : null });
  if (!mutedNow) throw new StoaError('conflict', 'That user is not muted in this chat.');
  return published(ctx, await effects.unmuteMember(ctx.services, decisionOf(ctx.caller, actor, input.reason), member));
}

async function suspendAccount(ctx: Context, input: { userId: string; durationSec?: number | undefined; reason: string; caseId?: string | undefined }): Promise<{ action: ActionView }> {
  const actor = actorOf(ctx.caller, null);
  authorize(actor, 'account.moderate', {});
  const target = await findUser(input.userId);
  const named = await namedCase(input.caseId);
  const suspension = activeSuspension(target);
  authorize(actor, 'account.suspend', { person: personOf(target, null), suspendedBy: suspension ? decidedLevel(suspension.byRole) : null, case: named?.facts ?? null });
  const decided = named?.doc ?? (await openCaseAbout(actor, 'user', target.id));
  return published(ctx, await effects.suspendAccount(ctx.services, decisionOf(ctx.caller, actor, input.reason, decided), target.id, input.durationSec));
}

async function unsuspendAccount(ctx: Context, input: { userId: string; reason: string }): Promise<{ action: ActionView }> {
  const actor = actorOf(ctx.caller, null);
  authorize(actor, 'account.moderate', {});
  const target = await findUser(input.userId);
  const suspendedBy = target.suspended ? decidedLevel(target.suspended.byRole) : null;
  authorize(actor, 'account.unsuspend', { person: personOf(target, null), suspendedBy });
  if (!target.suspended) throw new StoaError('conflict', 'That account is not suspended.');
  return published(ctx, await effects.unsuspendAccount(ctx.services, decisionOf(ctx.caller, actor, input.reason), target.id));
}

export async function dismissCase(ctx: Context, input: { caseId: string; reason: string }): Promise<{ action: ActionView }> {
  const moderationCase = await findCase(input.caseId);
  const facts = await caseFacts(moderationCase);
  const chatId = moderatingChatOf(moderationCase);
  const actor = actorOf(ctx.caller, chatId ? await membershipOf(chatId, ctx.caller.user._id) : null);
  authorize(actor, 'case.dismiss', { case: facts });
  const decision = { ...decisionOf(ctx.caller, actor, input.reason), case: moderationCase };
  const action = await effects.dismissCase(ctx.services, decision, chatId, facts.concerns);
  await holdReportersToAccount(ctx.services, moderationCase);
  return published(ctx, action);
}

/** `POST /api/moderation/actions {type, ...}`: the socket event's action under its type. */
export function takeAction(ctx: Context, input: ModerationActionInput): Promise<{ action: ActionView }> {
  switch (input.type) {
    case 'hide':
      return hideMessage(ctx, input);
    case 'unhide':
      return unhideMessage(ctx, input);
    case 'ban':
      return banMember(ctx, input);
    case 'unban':
      return unbanMember(ctx, input);
    case 'mute':
      return muteMember(ctx, input);
    case 'unmute':
      return unmuteMember(ctx, input);
    case 'dismiss':
      return dismissCase(ctx, input);
  }
}

/**
 * The audit log, newest first: moderators see all of it with who acted; chat
 * admins the entries of their chats, with the level that acted.
 */
export async function moderationLog(
  { caller }: Context,
  input: { targetId?: string | undefined; actorId?: string | undefined; before?: string | undefined; limit?: number | undefined },
): Promise<{ actions: ActionView[] }> {
  const staff = isPlatformModerator(caller.user);
  const chats = staff ? [] : await adminChatIds(caller);
  authorize(actorOf(caller, null), 'log.read', { administersAnyChat: chats.length > 0, actorFilter: input.actorId ?? null });
  const filter: Record<string, unknown> = {};
  if (input.targetId) filter.targetId = input.targetId;
  if (input.actorId) filter.actorId = input.actorId;
  if (input.before) filter.createdAt = trusted({ $lt: new Date(input.before) });
  if (!staff) filter.chatId = trusted({ $in: chats });
  const actions = await ModerationActionModel.find(filter)
    .sort({ createdAt: -1 })
    .limit(input.limit ?? 50);
  return { actions: actions.map((a) => toActionView(a, { withActorId: staff })) };
}
