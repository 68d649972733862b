import { trusted, type Types } from 'mongoose';

import { activeSuspension, isBanned, isMuted, MembershipModel, MessageModel, ModerationActionModel, UserModel, type ActorRole, type ChatDocument } from '../models';
import { actorRoleOf, authorize, decidedLevel, isPlatformModerator, type Actor } from './access';
import { cacheKeys } from './authorization-cache';
import type { Caller, Services } from './context';
import { isDuplicateKeyError, StoaError } from './errors';
import { actorOf, adminChatIds, asMessageNotFound, caseFacts, chatAccess, chatFacts, findCase, findMessage, findUser, membershipOf, moderatingChatOf, namedCase, personOf } from './facts';
import { hideMessage as hide, notify, published, recordAction, resolveCase, type Decision } from './moderation-effects';
import { rooms, type ActionView } from './protocol';
import { toActionView, toMessageView } from './views';

const untilFrom = (durationSec: number | undefined, now = Date.now()): Date | null => (durationSec ? new Date(now + durationSec * 1000) : null);

/** The level the caller acts at, once `authorize` has let them act. */
const levelOfActor = (actor: Actor): ActorRole => actorRoleOf(actor) ?? 'chat_admin';

/** The chat of a moderation request, and the caller as an actor there; refused before the target is read. */
async function moderatedChat(caller: Caller, chatId: string | Types.ObjectId): Promise<{ chat: ChatDocument; actor: Actor }> {
  const { chat, membership } = await chatAccess(chatId.toString(), caller.user._id);
  const actor = actorOf(caller, membership);
  authorize(actor, 'chat.moderate', { chat: chatFacts(chat) });
  return { chat, actor };
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

/** Channels keep their subscribers out of each other's business: there only the chat's admins hear of a ban or mute. */
async function memberNewsRooms(chat: ChatDocument): Promise<string | string[]> {
  if (chat.type === 'group') return rooms.chat(chat.id);
  const admins = await MembershipModel.find({ chatId: chat._id, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { userId: 1 }).lean();
  return admins.map((m) => rooms.user(m.userId.toString()));
}

export async function hideMessage(services: Services, caller: Caller, input: { messageId: string; reason: string; caseId?: string | undefined }): Promise<{ action: ActionView }> {
  const { message, chat, actor, author } = await moderatedMessage(caller, input.messageId);
  const named = await namedCase(input.caseId);
  authorize(actor, 'message.hide', { chat: chatFacts(chat), messageId: message.id, author, case: named?.facts ?? null });
  const decision: Decision = { actorId: caller.user.id, actorRole: levelOfActor(actor), reason: input.reason, caseId: named?.doc._id ?? null };
  const action = (await hide(services, message, decision))!;
  await resolveCase(services, caller.user.id, named?.doc ?? null, 'actioned');
  return published(services, action, isPlatformModerator(caller.user));
}

export async function unhideMessage(services: Services, caller: Caller, input: { messageId: string; reason: string; caseId?: string | undefined }): Promise<{ action: ActionView }> {
  const { message, chat, actor, author } = await moderatedMessage(caller, input.messageId);
  const named = await namedCase(input.caseId);
  const hiddenBy = message.hidden ? decidedLevel(message.hidden.byRole) : null;
  authorize(actor, 'message.unhide', { chat: chatFacts(chat), messageId: message.id, author, hiddenBy, case: named?.facts ?? null });
  if (!message.hidden) throw new StoaError('conflict', 'That message is not hidden.');
  const action = await recordAction(
    services,
    {
      type: 'unhide_message',
      actorId: caller.user.id,
      actorRole: levelOfActor(actor),
      targetType: 'message',
      targetId: message.id,
      chatId: message.chatId,
      reason: input.reason,
      caseId: named?.doc._id ?? null,
    },
    [author.id],
  );
  await MessageModel.updateOne({ _id: message._id }, { $set: { hidden: null } });
  message.hidden = null;
  if (!message.deletedAt) services.realtime.emit(rooms.chat(chat.id), 'message:unhidden', { message: toMessageView(message) });
  await resolveCase(services, caller.user.id, named?.doc ?? null, 'dismissed');
  notify(services, author.id, action);
  return published(services, action, isPlatformModerator(caller.user));
}

export async function banMember(
  services: Services,
  caller: Caller,
  input: { userId: string; chatId?: string | undefined; durationSec?: number | undefined; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  if (input.chatId === undefined) return suspendAccount(services, caller, input);
  const { chat, actor } = await moderatedChat(caller, input.chatId);
  const target = await findUser(input.userId);
  const membership = await membershipOf(chat._id, target._id);
  const named = await namedCase(input.caseId);
  const bannedBy = membership && isBanned(membership) ? decidedLevel(membership.bannedByRole) : null;
  authorize(actor, 'member.ban', { chat: chatFacts(chat), person: personOf(target, membership), bannedBy, case: named?.facts ?? null });

  const until = untilFrom(input.durationSec);
  const actorRole = levelOfActor(actor);
  const banned = { status: 'banned', bannedUntil: until, bannedByRole: actorRole, role: 'member' };
  if (membership) await MembershipModel.updateOne({ _id: membership._id }, { $set: banned });
  else await createBannedMembership(chat._id, target._id, banned);
  await services.realtime.invalidate([cacheKeys.membership(chat.id, target.id)]);

  const action = await recordAction(
    services,
    {
      type: 'ban_member',
      actorId: caller.user.id,
      actorRole,
      targetType: 'user',
      targetId: target.id,
      chatId: chat._id,
      reason: input.reason,
      caseId: named?.doc._id ?? null,
      durationSec: input.durationSec ?? null,
      until,
    },
    [target.id],
  );
  // Out of the room on every node first, so that nothing said after the ban reaches them.
  await services.realtime.leave(rooms.user(target.id), rooms.chat(chat.id));
  services.realtime.emit(rooms.user(target.id), 'chat:removed', { chatId: chat.id, reason: input.reason });
  services.realtime.emit(await memberNewsRooms(chat), 'member:banned', { chatId: chat.id, userId: target.id, until: until?.toISOString() ?? null });
  await resolveCase(services, caller.user.id, named?.doc ?? null, 'actioned');
  notify(services, target.id, action);
  return published(services, action, isPlatformModerator(caller.user));
}

/** A ban can come before someone ever joined: it keeps them out. */
async function createBannedMembership(chatId: Types.ObjectId, userId: Types.ObjectId, banned: Record<string, unknown>): Promise<void> {
  try {
    await MembershipModel.create({ chatId, userId, ...banned });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await MembershipModel.updateOne({ chatId, userId }, { $set: banned });
  }
}

export async function unbanMember(services: Services, caller: Caller, input: { userId: string; chatId?: string | undefined; reason: string }): Promise<{ action: ActionView }> {
  if (input.chatId === undefined) return unsuspendAccount(services, caller, input);
  const { chat, actor } = await moderatedChat(caller, input.chatId);
  const target = await findUser(input.userId);
  const membership = await membershipOf(chat._id, target._id);
  const isBannedNow = membership?.status === 'banned';
  authorize(actor, 'member.unban', { chat: chatFacts(chat), person: personOf(target, membership), bannedBy: isBannedNow ? decidedLevel(membership.bannedByRole) : null });
  if (!membership || !isBannedNow) throw new StoaError('conflict', 'That user is not banned from this chat.');
  await MembershipModel.updateOne({ _id: membership._id }, { $set: { status: 'left', bannedUntil: null, bannedByRole: null } });
  await services.realtime.invalidate([cacheKeys.membership(chat.id, target.id)]);
  const action = await recordAction(
    services,
    { type: 'unban_member', actorId: caller.user.id, actorRole: levelOfActor(actor), targetType: 'user', targetId: target.id, chatId: chat._id, reason: input.reason },
    [target.id],
  );
  notify(services, target.id, action);
  return published(services, action, isPlatformModerator(caller.user));
}

export async function muteMember(
  services: Services,
  caller: Caller,
  input: { userId: string; chatId: string; durationSec?: number | undefined; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  const { chat, actor } = await moderatedChat(caller, input.chatId);
  const target = await findUser(input.userId);
  const membership = await membershipOf(chat._id, target._id);
  const named = await namedCase(input.caseId);
  const mutedBy = membership && isMuted(membership) ? decidedLevel(membership.mutedByRole) : null;
  authorize(actor, 'member.mute', { chat: chatFacts(chat), person: personOf(target, membership), mutedBy, case: named?.facts ?? null });
  if (membership?.status !== 'active') throw new StoaError('not_found', 'That user is not a member of this chat.');

  const until = untilFrom(input.durationSec);
  const actorRole = levelOfActor(actor);
  await MembershipModel.updateOne({ _id: membership._id }, { $set: { mutedUntil: until, mutedByRole: actorRole } });
  await services.realtime.invalidate([cacheKeys.membership(chat.id, target.id)]);
  const action = await recordAction(
    services,
    {
      type: 'mute_member',
      actorId: caller.user.id,
      actorRole,
      targetType: 'user',
      targetId: target.id,
      chatId: chat._id,
      reason: input.reason,
      caseId: named?.doc._id ?? null,
      durationSec: input.durationSec ?? null,
      until,
    },
    [target.id],
  );
  services.realtime.emit(await memberNewsRooms(chat), 'member:muted', { chatId: chat.id, userId: target.id, until: until?.toISOString() ?? null });
  await resolveCase(services, caller.user.id, named?.doc ?? null, 'actioned');
  notify(services, target.id, action);
  return published(services, action, isPlatformModerator(caller.user));
}

export async function unmuteMember(services: Services, caller: Caller, input: { userId: string; chatId: string; reason: string }): Promise<{ action: ActionView }> {
  const { chat, actor } = await moderatedChat(caller, input.chatId);
  const target = await findUser(input.userId);
  const membership = await membershipOf(chat._id, target._id);
  const mutedNow = membership !== null && isMuted(membership);
  authorize(actor, 'member.unmute', { chat: chatFacts(chat), person: personOf(target, membership), mutedBy: mutedNow ? decidedLevel(membership.mutedByRole) : null });
  if (!membership || !mutedNow) throw new StoaError('conflict', 'That user is not muted in this chat.');
  await MembershipModel.updateOne({ _id: membership._id }, { $set: { mutedUntil: null, mutedByRole: null } });
  await services.realtime.invalidate([cacheKeys.membership(chat.id, target.id)]);
  const action = await recordAction(
    services,
    { type: 'unmute_member', actorId: caller.user.id, actorRole: levelOfActor(actor), targetType: 'user', targetId: target.id, chatId: chat._id, reason: input.reason },
    [target.id],
  );
  notify(services, target.id, action);
  return published(services, action, isPlatformModerator(caller.user));
}

async function suspendAccount(
  services: Services,
  caller: Caller,
  input: { userId: string; durationSec?: number | undefined; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  const actor = actorOf(caller, null);
  authorize(actor, 'account.moderate', {});
  const target = await findUser(input.userId);
  const named = await namedCase(input.caseId);
  const suspension = activeSuspension(target);
  authorize(actor, 'account.suspend', { person: personOf(target, null), suspendedBy: suspension ? decidedLevel(suspension.byRole) : null, case: named?.facts ?? null });

  const until = untilFrom(input.durationSec);
  const actorRole = levelOfActor(actor);
  await UserModel.updateOne({ _id: target._id }, { $set: { suspended: { until, reason: input.reason, by: caller.user.id, byRole: actorRole } } });
  await services.realtime.invalidate([cacheKeys.account(target.id)]);
  const action = await recordAction(
    services,
    {
      type: 'suspend_account',
      actorId: caller.user.id,
      actorRole,
      targetType: 'user',
      targetId: target.id,
      reason: input.reason,
      caseId: named?.doc._id ?? null,
      durationSec: input.durationSec ?? null,
      until,
    },
    [target.id],
  );
  await resolveCase(services, caller.user.id, named?.doc ?? null, 'actioned');
  notify(services, target.id, action);
  services.realtime.emit(rooms.user(target.id), 'account:suspended', { reason: input.reason, until: until?.toISOString() ?? null });
  await services.realtime.disconnect(rooms.user(target.id));
  return published(services, action, true);
}

async function unsuspendAccount(services: Services, caller: Caller, input: { userId: string; reason: string }): Promise<{ action: ActionView }> {
  const actor = actorOf(caller, null);
  authorize(actor, 'account.moderate', {});
  const target = await findUser(input.userId);
  const suspendedBy = target.suspended ? decidedLevel(target.suspended.byRole) : null;
  authorize(actor, 'account.unsuspend', { person: personOf(target, null), suspendedBy });
  if (!target.suspended) throw new StoaError('conflict', 'That account is not suspended.');
  await UserModel.updateOne({ _id: target._id }, { $set: { suspended: null } });
  await services.realtime.invalidate([cacheKeys.account(target.id)]);
  const action = await recordAction(
    services,
    { type: 'unsuspend_account', actorId: caller.user.id, actorRole: levelOfActor(actor), targetType: 'user', targetId: target.id, reason: input.reason },
    [target.id],
  );
  notify(services, target.id, action);
  return published(services, action, true);
}

export async function dismissCase(services: Services, caller: Caller, input: { caseId: string; reason: string }): Promise<{ action: ActionView }> {
  const moderationCase = await findCase(input.caseId);
  const facts = await caseFacts(moderationCase);
  const chatId = moderatingChatOf(moderationCase);
  const actor = actorOf(caller, chatId ? await membershipOf(chatId, caller.user._id) : null);
  authorize(actor, 'case.dismiss', { case: facts });
  const action = await recordAction(
    services,
    { type: 'dismiss_case', actorId: caller.user.id, actorRole: levelOfActor(actor), targetType: 'case', targetId: moderationCase.id, chatId, reason: input.reason, caseId: moderationCase._id },
    facts.concerns,
  );
  await resolveCase(services, caller.user.id, moderationCase, 'dismissed');
  return published(services, action, isPlatformModerator(caller.user));
}

/**
 * The audit log, newest first: moderators see all of it with who acted; chat
 * admins the entries of their chats, with the level that acted.
 */
export async function moderationLog(
  caller: Caller,
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
