/**
 * Every effect of moderation, each written once: hide, unhide, ban, unban, mute,
 * unmute, suspend, unsuspend, dismiss, the steps against unfounded reporting, and an
 * appeal's decision. Each says what it writes and who hears of it; handlers/enactment.ts
 * takes every one down the same path (audit, write, invalidate, tell, publish, close
 * the case). Callers authorize first (handlers/moderation.ts for moderators;
 * handlers/reports.ts for the automatic hide; handlers/appeals.ts for appeals).
 */
import { trusted, Types } from 'mongoose';

import {
  MembershipModel,
  MessageModel,
  AppealModel,
  UserModel,
  type AppealDocument,
  type AppealOutcome,
  type MessageDocument,
  type ModerationActionDocument,
  type ModerationCaseDocument,
} from '../models';
import { decidedLevel, isAtLeast } from './policy/access';
import { cacheKeys, type SharedChat, type SharedMembership } from './store/authorization-cache';
import type { Services } from './context';
import { toAppealView } from './due-process-views';
import { enact, type Decision } from './enactment';
import { isDuplicateKeyError } from './contract/errors';
import { rooms } from './contract/protocol';
import { toMessageView } from './views';

const untilFrom = (durationSec: number | undefined, now = Date.now()): Date | null => (durationSec ? new Date(now + durationSec * 1000) : null);
const isoOrNull = (date: Date | null): string | null => date?.toISOString() ?? null;

/** Channels keep their subscribers out of each other's business: there only the chat's admins hear of a ban or mute. */
async function memberNewsRooms(chat: SharedChat): Promise<string | string[]> {
  if (chat.type === 'group') return rooms.chat(chat.id);
  const admins = await MembershipModel.find({ chatId: chat._id, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { userId: 1 }).lean();
  return admins.map((m) => rooms.user(m.userId.toString()));
}

/**
 * Hides a message: members stop seeing it, its author is told why. A moderator's hide closes
 * its case; an automatic one (`automatic`) happens once however many reports race, leaves the
 * case open for review, and a caller that lost the race gets null.
 */
export async function hideMessage(services: Services, message: MessageDocument, decision: Decision, automatic?: { onceKey: string }): Promise<ModerationActionDocument | null> {
  const authorId = message.senderId.toString();
  const chatId = message.chatId.toString();
  return enact(services, decision, {
    entry: { type: 'hide_message', targetType: 'message', targetId: message.id, chatId: message.chatId },
    concerns: [authorId],
    ...(automatic ? { onceKey: automatic.onceKey } : { closes: 'actioned' as const }),
    async write(action) {
      // Confirming a hide (e.g. an automatic one) never lowers the level needed to undo it.
      const current = message.hidden;
      if (current && !isAtLeast(decision.actorRole, decidedLevel(current.byRole))) return;
      const hidden = { at: action.createdAt, by: decision.actorId, byRole: decision.actorRole, reason: decision.reason, actionId: action._id };
      await MessageModel.updateOne({ _id: message._id }, { $set: { hidden } });
    },
    noticeTo: authorId,
    async publish() {
      services.realtime.emit(rooms.chat(chatId), 'message:hidden', { chatId, messageId: message.id, seq: message.seq });
    },
  });
}

/** Shows a hidden message again; the case it names closes as dismissed. */
export async function unhideMessage(services: Services, message: MessageDocument, decision: Decision): Promise<ModerationActionDocument> {
  const authorId = message.senderId.toString();
  const action = await enact(services, decision, {
    entry: { type: 'unhide_message', targetType: 'message', targetId: message.id, chatId: message.chatId },
    concerns: [authorId],
    async write() {
      await MessageModel.updateOne({ _id: message._id }, { $set: { hidden: null } });
      message.hidden = null;
    },
    noticeTo: authorId,
    async publish() {
      if (!message.deletedAt) services.realtime.emit(rooms.chat(message.chatId.toString()), 'message:unhidden', { message: toMessageView(message) });
    },
    closes: 'dismissed',
  });
  return action!;
}

/** Who a chat-level action is about: the chat, the user, and their membership there if any. */
export interface MemberTarget {
  chat: SharedChat;
  userId: string;
  membership: SharedMembership | null;
}

/**
 * Bans from a chat: out of its room on every node before anything else, so that nothing said
 * while the ban is enacted reaches them; back in it if the ban cannot be written.
 */
export async function banMember(services: Services, decision: Decision, { chat, userId, membership }: MemberTarget, durationSec: number | undefined): Promise<ModerationActionDocument> {
  const until = untilFrom(durationSec);
  const banned = { status: 'banned', bannedUntil: until, bannedByRole: decision.actorRole, role: 'member' };
  const wasMember = membership?.status === 'active';
  const action = await enact(services, decision, {
    entry: { type: 'ban_member', targetType: 'user', targetId: userId, chatId: chat._id, durationSec: durationSec ?? null, until },
    concerns: [userId],
    first: {
      run: () => services.realtime.leave(rooms.user(userId), rooms.chat(chat.id)),
      undo: async () => {
        if (wasMember) await services.realtime.join(rooms.user(userId), rooms.chat(chat.id));
      },
    },
    async write() {
      if (membership) await MembershipModel.updateOne({ _id: membership._id }, { $set: banned });
      else await createBannedMembership(chat._id, new Types.ObjectId(userId), banned);
    },
    invalidates: [cacheKeys.membership(chat.id, userId)],
    noticeTo: userId,
    async publish() {
      services.realtime.emit(rooms.user(userId), 'chat:removed', { chatId: chat.id, reason: decision.reason });
      services.realtime.emit(await memberNewsRooms(chat), 'member:banned', { chatId: chat.id, userId, until: isoOrNull(until) });
    },
    closes: 'actioned',
  });
  return action!;
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

/** Lifts a ban: the member may join again. */
export async function unbanMember(services: Services, decision: Decision, { chat, userId, membership }: MemberTarget): Promise<ModerationActionDocument> {
  const action = await enact(services, decision, {
    entry: { type: 'unban_member', targetType: 'user', targetId: userId, chatId: chat._id },
    concerns: [userId],
    async write() {
      await MembershipModel.updateOne({ _id: membership!._id }, { $set: { status: 'left', bannedUntil: null, bannedByRole: null } });
    },
    invalidates: [cacheKeys.membership(chat.id, userId)],
    noticeTo: userId,
  });
  return action!;
}

/** Mutes a member; without `durationSec`, until lifted. */
export async function muteMember(services: Services, decision: Decision, { chat, userId, membership }: MemberTarget, durationSec: number | undefined): Promise<ModerationActionDocument> {
  const until = untilFrom(durationSec);
  const action = await enact(services, decision, {
    entry: { type: 'mute_member', targetType: 'user', targetId: userId, chatId: chat._id, durationSec: durationSec ?? null, until },
    concerns: [userId],
    async write() {
      await MembershipModel.updateOne({ _id: membership!._id }, { $set: { mutedUntil: until, mutedByRole: decision.actorRole } });
    },
    invalidates: [cacheKeys.membership(chat.id, userId)],
    noticeTo: userId,
    async publish() {
      services.realtime.emit(await memberNewsRooms(chat), 'member:muted', { chatId: chat.id, userId, until: isoOrNull(until) });
    },
    closes: 'actioned',
  });
  return action!;
}

/** Lifts a mute. */
export async function unmuteMember(services: Services, decision: Decision, { chat, userId, membership }: MemberTarget): Promise<ModerationActionDocument> {
  const action = await enact(services, decision, {
    entry: { type: 'unmute_member', targetType: 'user', targetId: userId, chatId: chat._id },
    concerns: [userId],
    async write() {
      await MembershipModel.updateOne({ _id: membership!._id }, { $set: { mutedUntil: null, mutedByRole: null } });
    },
    invalidates: [cacheKeys.membership(chat.id, userId)],
    noticeTo: userId,
  });
  return action!;
}

/** Suspends an account everywhere: told why, then every socket of it is disconnected. */
export async function suspendAccount(services: Services, decision: Decision, userId: string, durationSec: number | undefined): Promise<ModerationActionDocument> {
  const until = untilFrom(durationSec);
  const action = await enact(services, decision, {
    entry: { type: 'suspend_account', targetType: 'user', targetId: userId, durationSec: durationSec ?? null, until },
    concerns: [userId],
    async write() {
      const suspended = { until, reason: decision.reason, by: decision.actorId, byRole: decision.actorRole };
      await UserModel.updateOne({ _id: userId }, { $set: { suspended } });
    },
    invalidates: [cacheKeys.account(userId)],
    noticeTo: userId,
    async publish() {
      services.realtime.emit(rooms.user(userId), 'account:suspended', { reason: decision.reason, until: isoOrNull(until) });
      await services.realtime.disconnect(rooms.user(userId));
    },
    closes: 'actioned',
  });
  return action!;
}

/** Lifts a suspension. */
export async function unsuspendAccount(services: Services, decision: Decision, userId: string): Promise<ModerationActionDocument> {
  const action = await enact(services, decision, {
    entry: { type: 'unsuspend_account', targetType: 'user', targetId: userId },
    concerns: [userId],
    async write() {
      await UserModel.updateOne({ _id: userId }, { $set: { suspended: null } });
    },
    invalidates: [cacheKeys.account(userId)],
    noticeTo: userId,
  });
  return action!;
}

/**
 * Closes a case with no action; the people it concerns hear nothing but the outcome reaches its
 * reporters. A message the system hid on the strength of those reports is shown again, and its
 * author told why: review disagreed with the automatic decision.
 */
export async function dismissCase(services: Services, decision: Decision & { case: ModerationCaseDocument }, chatId: Types.ObjectId | null, concerns: string[]): Promise<ModerationActionDocument> {
  const action = await enact(services, decision, {
    entry: { type: 'dismiss_case', targetType: 'case', targetId: decision.case.id, chatId },
    concerns,
    async write() {},
    closes: 'dismissed',
  });
  if (decision.case.targetType === 'message') {
    const message = await MessageModel.findById(decision.case.targetId);
    if (message?.hidden?.byRole === 'system') {
      await unhideMessage(services, message, { ...decision, reason: `restored: on review the reports were dismissed (${decision.reason})` });
    }
  }
  return action!;
}

/** Tells a reporter that their reports keep being dismissed (the first step, DSA Art. 23); once per `step`. */
export async function warnReporter(services: Services, userId: string, step: string, reason: string): Promise<ModerationActionDocument | null> {
  return enact(services, { actorId: 'system', actorRole: 'system', reason, case: null }, {
    entry: { type: 'warn_reporter', targetType: 'user', targetId: userId },
    concerns: [userId],
    onceKey: `warn_reporter:${userId}:${step}`,
    async write() {},
    noticeTo: userId,
  });
}

/** Takes away a reporter's power to trigger automatic actions, and limits their reports harder, until `until`. */
export async function restrictReporter(services: Services, userId: string, step: string, reason: string, until: Date): Promise<ModerationActionDocument | null> {
  return enact(services, { actorId: 'system', actorRole: 'system', reason, case: null }, {
    entry: { type: 'restrict_reporter', targetType: 'user', targetId: userId, until, durationSec: Math.round((until.getTime() - Date.now()) / 1000) },
    concerns: [userId],
    onceKey: `restrict_reporter:${userId}:${step}`,
    async write(action) {
      await UserModel.updateOne({ _id: userId }, { $set: { reportingRestricted: { until, actionId: action._id } } });
    },
    invalidates: [cacheKeys.account(userId)],
    noticeTo: userId,
  });
}

/** Lifts a reporting restriction (an appeal reversed it). */
export async function unrestrictReporter(services: Services, decision: Decision, userId: string): Promise<ModerationActionDocument> {
  const action = await enact(services, decision, {
    entry: { type: 'unrestrict_reporter', targetType: 'user', targetId: userId },
    concerns: [userId],
    async write() {
      await UserModel.updateOne({ _id: userId }, { $set: { reportingRestricted: null } });
    },
    invalidates: [cacheKeys.account(userId)],
    noticeTo: userId,
  });
  return action!;
}

/**
 * Decides an appeal once however many moderators race (its audit entry is the guard; null for
 * the losers). A reversal's lifting action (`reverse`) is taken first, through the same effects
 * as a manual one; then the appellant is told, by a stored notice and `appeal:decided`.
 */
export async function decideAppeal(
  services: Services,
  decision: Decision,
  appeal: AppealDocument,
  outcome: AppealOutcome,
  reverse: () => Promise<ModerationActionDocument | null>,
): Promise<ModerationActionDocument | null> {
  const appellantId = appeal.appellantId.toString();
  return enact(services, { ...decision, appealId: appeal._id }, {
    entry: { type: 'decide_appeal', targetType: 'appeal', targetId: appeal.id, chatId: appeal.chatId },
    concerns: [appellantId],
    onceKey: `decide_appeal:${appeal.id}`,
    async write(action) {
      const reversal = outcome === 'reversed' ? await reverse() : null;
      const decided = { status: outcome, decidedBy: decision.actorId, decisionReason: decision.reason, decidedAt: action.createdAt, decisionActionId: action._id, reversalActionId: reversal?._id ?? null };
      await AppealModel.updateOne({ _id: appeal._id }, { $set: decided });
      appeal.set(decided);
    },
    noticeTo: appellantId,
    async publish() {
      services.realtime.emit(rooms.user(appellantId), 'appeal:decided', { appeal: toAppealView(appeal) });
    },
  });
}
