import { trusted, Types } from 'mongoose';

import {
  MembershipModel,
  MessageModel,
  ModerationActionModel,
  ModerationCaseModel,
  ReportModel,
  UserModel,
  type ModerationAction,
  type ModerationActionDocument,
  type ModerationCaseDocument,
} from '../models';
import { adminChatIds, findCase, findChat, isChatAdmin, isPlatformModerator, moderatingChatOf, requireCaseReader } from './access';
import type { Caller, Services } from './context';
import { isDuplicateKeyError, StoaError } from './errors';
import { rooms, type ActionView } from './protocol';
import { toActionView, toMessageView } from './views';

type NewAction = Pick<ModerationAction, 'type' | 'actorId' | 'targetType' | 'targetId' | 'reason'> & {
  chatId?: Types.ObjectId | null;
  caseId?: Types.ObjectId | null;
  durationSec?: number | null;
  until?: Date | null;
};

/** Platform moderators, and the owner and admins of `chatId`: the rooms that hear of its reports and actions. */
export async function audienceOf(chatId: Types.ObjectId | null | undefined): Promise<string[]> {
  if (!chatId) return [rooms.moderators];
  const admins = await MembershipModel.find({ chatId, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { userId: 1 }).lean();
  return [rooms.moderators, ...admins.map((m) => rooms.user(m.userId.toString()))];
}

/** Appends one entry to the audit log and tells moderators and the chat's admins. */
export async function recordAction(services: Services, entry: NewAction): Promise<ModerationActionDocument> {
  return announce(services, await ModerationActionModel.create(entry));
}

/**
 * Like recordAction, for an action that must happen once however many requests
 * race to take it: the unique `dedupKey` admits one entry; the others get null.
 */
export async function recordActionOnce(services: Services, entry: NewAction, dedupKey: string): Promise<ModerationActionDocument | null> {
  try {
    return announce(services, await ModerationActionModel.create({ ...entry, dedupKey }));
  } catch (err) {
    if (isDuplicateKeyError(err)) return null;
    throw err;
  }
}

async function announce(services: Services, action: ModerationActionDocument): Promise<ModerationActionDocument> {
  services.metrics.moderationActions.inc({ type: action.type });
  services.log.info({ actionId: action.id, type: action.type, actorId: action.actorId, targetId: action.targetId, chatId: action.chatId?.toString() }, 'moderation action');
  services.realtime.emit(await audienceOf(action.chatId), 'mod:action', { action: toActionView(action) });
  return action;
}

/** Platform moderators act anywhere; a chat's owner and admins act in that chat only. */
async function requireModeratorOf(caller: Caller, chatId: Types.ObjectId | null): Promise<void> {
  if (isPlatformModerator(caller.user)) return;
  const membership = chatId ? await MembershipModel.findOne({ chatId, userId: caller.user._id }) : null;
  if (!isChatAdmin(membership)) throw new StoaError('forbidden', 'Only moderators and this chat’s admins may do that.');
}

function requirePlatformModerator(caller: Caller): void {
  if (!isPlatformModerator(caller.user)) throw new StoaError('forbidden', 'Only platform moderators suspend accounts.');
}

/** A case named by an action must concern the same chat the actor moderates. */
async function caseToResolve(caller: Caller, caseId: string | undefined): Promise<ModerationCaseDocument | null> {
  if (caseId === undefined) return null;
  const moderationCase = await findCase(caseId);
  await requireCaseReader(caller, moderationCase);
  return moderationCase;
}

/** Closes a case and its open reports, and tells each of those reporters the outcome. */
async function resolveCase(services: Services, caller: Caller, moderationCase: ModerationCaseDocument | null, outcome: 'actioned' | 'dismissed'): Promise<void> {
  if (!moderationCase) return;
  const open = await ReportModel.find({ caseId: moderationCase._id, status: 'open' }, { reporterId: 1 }).lean();
  await ModerationCaseModel.updateOne({ _id: moderationCase._id }, { $set: { status: outcome } });
  await ReportModel.updateMany(
    { _id: trusted({ $in: open.map((r) => r._id) }) },
    { $set: { status: outcome, resolvedAt: new Date(), resolvedBy: caller.user.id } },
  );
  for (const report of open) {
    services.realtime.emit(rooms.user(report.reporterId.toString()), 'report:resolved', {
      reportId: report._id.toString(),
      caseId: moderationCase.id,
      outcome,
    });
  }
}

/** The action's ack, once its effects have reached the sockets of every node. */
async function published(services: Services, action: ModerationActionDocument): Promise<{ action: ActionView }> {
  await services.realtime.flush();
  return { action: toActionView(action) };
}

/** The statement of reasons to the person acted against. */
function notify(services: Services, userId: string, action: ModerationActionDocument): void {
  services.realtime.emit(rooms.user(userId), 'moderation:notice', { action: toActionView(action) });
}

const untilFrom = (durationSec: number | undefined, now = Date.now()): Date | null => (durationSec ? new Date(now + durationSec * 1000) : null);

async function findMessage(messageId: string) {
  const message = Types.ObjectId.isValid(messageId) ? await MessageModel.findById(messageId) : null;
  if (!message) throw new StoaError('not_found', 'No such message.');
  return message;
}

async function findUser(userId: string) {
  const user = Types.ObjectId.isValid(userId) ? await UserModel.findById(userId) : null;
  if (!user) throw new StoaError('not_found', 'No such user.');
  return user;
}

export async function hideMessage(services: Services, caller: Caller, input: { messageId: string; reason: string; caseId?: string | undefined }): Promise<{ action: ActionView }> {
  const message = await findMessage(input.messageId);
  await requireModeratorOf(caller, message.chatId);
  const moderationCase = await caseToResolve(caller, input.caseId);
  const action = await recordAction(services, {
    type: 'hide_message',
    actorId: caller.user.id,
    targetType: 'message',
    targetId: message.id,
    chatId: message.chatId,
    reason: input.reason,
    caseId: moderationCase?._id ?? null,
  });
  await MessageModel.updateOne({ _id: message._id }, { $set: { hidden: { at: action.createdAt, by: caller.user.id, reason: input.reason, actionId: action._id } } });
  const chatId = message.chatId.toString();
  services.realtime.emit(rooms.chat(chatId), 'message:hidden', { chatId, messageId: message.id, seq: message.seq });
  await resolveCase(services, caller, moderationCase, 'actioned');
  notify(services, message.senderId.toString(), action);
  return published(services, action);
}

export async function unhideMessage(services: Services, caller: Caller, input: { messageId: string; reason: string; caseId?: string | undefined }): Promise<{ action: ActionView }> {
  const message = await findMessage(input.messageId);
  await requireModeratorOf(caller, message.chatId);
  if (!message.hidden) throw new StoaError('conflict', 'That message is not hidden.');
  const moderationCase = await caseToResolve(caller, input.caseId);
  const action = await recordAction(services, {
    type: 'unhide_message',
    actorId: caller.user.id,
    targetType: 'message',
    targetId: message.id,
    chatId: message.chatId,
    reason: input.reason,
    caseId: moderationCase?._id ?? null,
  });
  await MessageModel.updateOne({ _id: message._id }, { $set: { hidden: null } });
  message.hidden = null;
  if (!message.deletedAt) services.realtime.emit(rooms.chat(message.chatId.toString()), 'message:unhidden', { message: toMessageView(message) });
  await resolveCase(services, caller, moderationCase, 'dismissed');
  notify(services, message.senderId.toString(), action);
  return published(services, action);
}

export async function banMember(
  services: Services,
  caller: Caller,
  input: { userId: string; chatId?: string | undefined; durationSec?: number | undefined; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  if (input.chatId === undefined) return suspendAccount(services, caller, input);
  const chat = await findChat(input.chatId);
  await requireModeratorOf(caller, chat._id);
  const target = await findUser(input.userId);
  if (target.id === caller.user.id) throw new StoaError('invalid_input', 'You cannot ban yourself.');
  const membership = await MembershipModel.findOne({ chatId: chat._id, userId: target._id });
  if (membership?.role === 'owner') throw new StoaError('forbidden', 'The owner of a chat cannot be banned from it.');
  const moderationCase = await caseToResolve(caller, input.caseId);

  const until = untilFrom(input.durationSec);
  if (membership) await MembershipModel.updateOne({ _id: membership._id }, { $set: { status: 'banned', bannedUntil: until, role: 'member' } });
  else await createBannedMembership(chat._id, target._id, until);

  const action = await recordAction(services, {
    type: 'ban_member',
    actorId: caller.user.id,
    targetType: 'user',
    targetId: target.id,
    chatId: chat._id,
    reason: input.reason,
    caseId: moderationCase?._id ?? null,
    durationSec: input.durationSec ?? null,
    until,
  });
  // Out of the room on every node first, so that nothing said after the ban reaches them.
  await services.realtime.leave(rooms.user(target.id), rooms.chat(chat.id));
  services.realtime.emit(rooms.user(target.id), 'chat:removed', { chatId: chat.id, reason: input.reason });
  services.realtime.emit(rooms.chat(chat.id), 'member:banned', { chatId: chat.id, userId: target.id, until: until?.toISOString() ?? null });
  await resolveCase(services, caller, moderationCase, 'actioned');
  notify(services, target.id, action);
  return published(services, action);
}

/** A ban can come before someone ever joined: it keeps them out. */
async function createBannedMembership(chatId: Types.ObjectId, userId: Types.ObjectId, until: Date | null): Promise<void> {
  try {
    await MembershipModel.create({ chatId, userId, status: 'banned', bannedUntil: until });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await MembershipModel.updateOne({ chatId, userId }, { $set: { status: 'banned', bannedUntil: until, role: 'member' } });
  }
}

export async function unbanMember(services: Services, caller: Caller, input: { userId: string; chatId?: string | undefined; reason: string }): Promise<{ action: ActionView }> {
  if (input.chatId === undefined) return unsuspendAccount(services, caller, input);
  const chat = await findChat(input.chatId);
  await requireModeratorOf(caller, chat._id);
  const target = await findUser(input.userId);
  const membership = await MembershipModel.findOne({ chatId: chat._id, userId: target._id, status: 'banned' });
  if (!membership) throw new StoaError('conflict', 'That user is not banned from this chat.');
  await MembershipModel.updateOne({ _id: membership._id }, { $set: { status: 'left', bannedUntil: null } });
  const action = await recordAction(services, {
    type: 'unban_member',
    actorId: caller.user.id,
    targetType: 'user',
    targetId: target.id,
    chatId: chat._id,
    reason: input.reason,
  });
  notify(services, target.id, action);
  return published(services, action);
}

export async function muteMember(
  services: Services,
  caller: Caller,
  input: { userId: string; chatId: string; durationSec: number; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  const chat = await findChat(input.chatId);
  await requireModeratorOf(caller, chat._id);
  const target = await findUser(input.userId);
  const membership = await MembershipModel.findOne({ chatId: chat._id, userId: target._id, status: 'active' });
  if (!membership) throw new StoaError('not_found', 'That user is not a member of this chat.');
  if (membership.role === 'owner') throw new StoaError('forbidden', 'The owner of a chat cannot be muted in it.');
  const moderationCase = await caseToResolve(caller, input.caseId);

  const until = untilFrom(input.durationSec)!;
  await MembershipModel.updateOne({ _id: membership._id }, { $set: { mutedUntil: until } });
  const action = await recordAction(services, {
    type: 'mute_member',
    actorId: caller.user.id,
    targetType: 'user',
    targetId: target.id,
    chatId: chat._id,
    reason: input.reason,
    caseId: moderationCase?._id ?? null,
    durationSec: input.durationSec,
    until,
  });
  services.realtime.emit(rooms.chat(chat.id), 'member:muted', { chatId: chat.id, userId: target.id, until: until.toISOString() });
  await resolveCase(services, caller, moderationCase, 'actioned');
  notify(services, target.id, action);
  return published(services, action);
}

async function suspendAccount(
  services: Services,
  caller: Caller,
  input: { userId: string; durationSec?: number | undefined; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  requirePlatformModerator(caller);
  const target = await findUser(input.userId);
  if (target.id === caller.user.id) throw new StoaError('invalid_input', 'You cannot suspend yourself.');
  if (target.role === 'admin' && caller.user.role !== 'admin') throw new StoaError('forbidden', 'Only an admin suspends an admin.');
  const moderationCase = await caseToResolve(caller, input.caseId);

  const until = untilFrom(input.durationSec);
  await UserModel.updateOne({ _id: target._id }, { $set: { suspended: { until, reason: input.reason, by: caller.user.id } } });
  const action = await recordAction(services, {
    type: 'suspend_account',
    actorId: caller.user.id,
    targetType: 'user',
    targetId: target.id,
    reason: input.reason,
    caseId: moderationCase?._id ?? null,
    durationSec: input.durationSec ?? null,
    until,
  });
  await resolveCase(services, caller, moderationCase, 'actioned');
  notify(services, target.id, action);
  services.realtime.emit(rooms.user(target.id), 'account:suspended', { reason: input.reason, until: until?.toISOString() ?? null });
  await services.realtime.disconnect(rooms.user(target.id));
  return published(services, action);
}

async function unsuspendAccount(services: Services, caller: Caller, input: { userId: string; reason: string }): Promise<{ action: ActionView }> {
  requirePlatformModerator(caller);
  const target = await findUser(input.userId);
  if (!target.suspended) throw new StoaError('conflict', 'That account is not suspended.');
  await UserModel.updateOne({ _id: target._id }, { $set: { suspended: null } });
  const action = await recordAction(services, {
    type: 'unsuspend_account',
    actorId: caller.user.id,
    targetType: 'user',
    targetId: target.id,
    reason: input.reason,
  });
  return published(services, action);
}

export async function dismissCase(services: Services, caller: Caller, input: { caseId: string; reason: string }): Promise<{ action: ActionView }> {
  const moderationCase = await findCase(input.caseId);
  await requireCaseReader(caller, moderationCase);
  const action = await recordAction(services, {
    type: 'dismiss_case',
    actorId: caller.user.id,
    targetType: 'case',
    targetId: moderationCase.id,
    chatId: moderatingChatOf(moderationCase),
    reason: input.reason,
    caseId: moderationCase._id,
  });
  await resolveCase(services, caller, moderationCase, 'dismissed');
  return published(services, action);
}

/** The audit log, newest first: moderators see all of it, chat admins the entries of their chats. */
export async function moderationLog(
  caller: Caller,
  input: { targetId?: string | undefined; actorId?: string | undefined; before?: string | undefined; limit?: number | undefined },
): Promise<{ actions: ActionView[] }> {
  const filter: Record<string, unknown> = {};
  if (input.targetId) filter.targetId = input.targetId;
  if (input.actorId) filter.actorId = input.actorId;
  if (input.before) filter.createdAt = trusted({ $lt: new Date(input.before) });
  if (!isPlatformModerator(caller.user)) {
    const chats = await adminChatIds(caller);
    if (chats.length === 0) throw new StoaError('forbidden', 'Only moderators and chat admins read the moderation log.');
    filter.chatId = trusted({ $in: chats });
  }
  const actions = await ModerationActionModel.find(filter)
    .sort({ createdAt: -1 })
    .limit(input.limit ?? 50);
  return { actions: actions.map(toActionView) };
}
