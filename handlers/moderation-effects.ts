/**
 * The effects of moderation that more than one caller produces: the audit entry
 * and who hears of it, the statement of reasons, closing a case, and hiding a
 * message (by a moderator, or automatically after enough reports).
 */
import { trusted, Types } from 'mongoose';

import {
  MembershipModel,
  MessageModel,
  ModerationActionModel,
  ModerationCaseModel,
  ReportModel,
  UserModel,
  type ActorRole,
  type MessageDocument,
  type ModerationAction,
  type ModerationActionDocument,
  type ModerationCaseDocument,
} from '../models';
import { decidedLevel, isAtLeast } from './access';
import type { Services } from './context';
import { isDuplicateKeyError } from './errors';
import { rooms, type ActionView } from './protocol';
import { toActionView } from './views';

export type NewAction = Pick<ModerationAction, 'type' | 'actorId' | 'actorRole' | 'targetType' | 'targetId' | 'reason'> & {
  chatId?: Types.ObjectId | null;
  caseId?: Types.ObjectId | null;
  durationSec?: number | null;
  until?: Date | null;
};

/** Who acted and why; the case it decides, if any. */
export interface Decision {
  actorId: string;
  actorRole: ActorRole;
  reason: string;
  caseId: Types.ObjectId | null;
}

export interface Audience {
  /** Rooms of platform moderators: they see who acted. */
  staff: string[];
  /** Rooms of the chat's owner and admins who are not platform staff: they see the level that acted. */
  chatAdmins: string[];
}

/**
 * Who hears of a case or an action in `chatId`: platform moderators, and that
 * chat's owner and admins; never the people it is about (`except`), who get the
 * statement of reasons instead.
 */
export async function audienceOf(chatId: Types.ObjectId | null | undefined, except: string[] = []): Promise<Audience> {
  const excluded = except.filter((id) => Types.ObjectId.isValid(id));
  const staffExcluded = excluded.length > 0 && (await UserModel.exists({ _id: trusted({ $in: excluded }), role: trusted({ $in: ['moderator', 'admin'] }) })) !== null;
  // The moderators room holds every staff socket; when one of them is concerned, each other one is addressed instead.
  const staff = staffExcluded ? await staffRoomsExcept(excluded) : [rooms.moderators];
  if (!chatId) return { staff, chatAdmins: [] };
  const admins = await MembershipModel.find({ chatId, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { userId: 1 }).lean();
  const adminIds = admins.map((m) => m.userId.toString()).filter((id) => !excluded.includes(id));
  // Chat admins who are platform staff are in the moderators room already, and see the full view there.
  const plain = adminIds.length === 0 ? [] : await UserModel.find({ _id: trusted({ $in: adminIds }), role: 'user' }, { _id: 1 }).lean();
  return { staff, chatAdmins: plain.map((u) => rooms.user(u._id.toString())) };
}

async function staffRoomsExcept(excluded: string[]): Promise<string[]> {
  const staff = await UserModel.find({ role: trusted({ $in: ['moderator', 'admin'] }) }, { _id: 1 }).lean();
  return staff.map((u) => u._id.toString()).filter((id) => !excluded.includes(id)).map(rooms.user);
}

/** Appends one entry to the audit log and tells moderators and the chat's admins, each in their view. */
export async function recordAction(services: Services, entry: NewAction, concerns: string[]): Promise<ModerationActionDocument> {
  return announce(services, await ModerationActionModel.create(entry), concerns);
}

/**
 * Like recordAction, for an action that must happen once however many requests
 * race to take it: the unique `dedupKey` admits one entry; the others get null.
 */
export async function recordActionOnce(services: Services, entry: NewAction, concerns: string[], dedupKey: string): Promise<ModerationActionDocument | null> {
  try {
    return announce(services, await ModerationActionModel.create({ ...entry, dedupKey }), concerns);
  } catch (err) {
    if (isDuplicateKeyError(err)) return null;
    throw err;
  }
}

async function announce(services: Services, action: ModerationActionDocument, concerns: string[]): Promise<ModerationActionDocument> {
  services.metrics.moderationActions.inc({ type: action.type });
  services.log.info({ actionId: action.id, type: action.type, actorId: action.actorId, targetId: action.targetId, chatId: action.chatId?.toString() }, 'moderation action');
  const audience = await audienceOf(action.chatId, concerns);
  services.realtime.emit(audience.staff, 'mod:action', { action: toActionView(action, { withActorId: true }) });
  if (audience.chatAdmins.length > 0) services.realtime.emit(audience.chatAdmins, 'mod:action', { action: toActionView(action, { withActorId: false }) });
  return action;
}

/** The statement of reasons to the person acted against: what, why, until when, and at what level. */
export function notify(services: Services, userId: string, action: ModerationActionDocument): void {
  services.realtime.emit(rooms.user(userId), 'moderation:notice', { action: toActionView(action, { withActorId: false }) });
}

/** Closes a case and its open reports, and tells each of those reporters the outcome. */
export async function resolveCase(services: Services, resolvedBy: string, moderationCase: ModerationCaseDocument | null, outcome: 'actioned' | 'dismissed'): Promise<void> {
  if (!moderationCase) return;
  const open = await ReportModel.find({ caseId: moderationCase._id, status: 'open' }, { reporterId: 1 }).lean();
  await ModerationCaseModel.updateOne({ _id: moderationCase._id }, { $set: { status: outcome } });
  await ReportModel.updateMany({ _id: trusted({ $in: open.map((r) => r._id) }) }, { $set: { status: outcome, resolvedAt: new Date(), resolvedBy } });
  for (const report of open) {
    services.realtime.emit(rooms.user(report.reporterId.toString()), 'report:resolved', {
      reportId: report._id.toString(),
      caseId: moderationCase.id,
      outcome,
    });
  }
}

/** The action's ack, once its effects have reached the sockets of every node; staff see who acted. */
export async function published(services: Services, action: ModerationActionDocument, forStaff: boolean): Promise<{ action: ActionView }> {
  await services.realtime.flush();
  return { action: toActionView(action, { withActorId: forStaff }) };
}

/**
 * Hides a message: one audit entry, members stop seeing it, its author is told
 * why. With `dedupKey` it happens once however many callers race (the automatic
 * hide); a caller that lost the race gets null and changes nothing.
 */
export async function hideMessage(services: Services, message: MessageDocument, decision: Decision, dedupKey?: string): Promise<ModerationActionDocument | null> {
  const authorId = message.senderId.toString();
  const entry: NewAction = {
    type: 'hide_message',
    actorId: decision.actorId,
    actorRole: decision.actorRole,
    targetType: 'message',
    targetId: message.id,
    chatId: message.chatId,
    reason: decision.reason,
    caseId: decision.caseId,
  };
  const action = dedupKey === undefined ? await recordAction(services, entry, [authorId]) : await recordActionOnce(services, entry, [authorId], dedupKey);
  if (!action) return null;
  // Confirming a hide (e.g. an automatic one) never lowers the level needed to undo it.
  const current = message.hidden;
  if (!current || isAtLeast(decision.actorRole, decidedLevel(current.byRole))) {
    const hidden = { at: action.createdAt, by: decision.actorId, byRole: decision.actorRole, reason: decision.reason, actionId: action._id };
    await MessageModel.updateOne({ _id: message._id }, { $set: { hidden } });
  }
  const chatId = message.chatId.toString();
  services.realtime.emit(rooms.chat(chatId), 'message:hidden', { chatId, messageId: message.id, seq: message.seq });
  notify(services, authorId, action);
  return action;
}
