/**
 * Every effect of moderation, each written once: what it writes, what stops first, and who hears
 * of it. handlers/enactment.ts takes every one down the same path; handlers/policy/moderation-kinds.ts
 * says what each kind is. Callers authorize first (handlers/moderation.ts for moderators,
 * handlers/reports.ts for the automatic hide, handlers/appeals.ts for appeals).
 */
import type { ActionType, AppealOutcome, ReportReason } from '../models/vocabulary';
import { decidedLevel, isAtLeast } from './policy/access';
import { isMuted } from './policy/standing';
import * as appeals from './store/appeals';
import { cacheKeys, type SharedChat, type SharedMembership } from './store/authorization-cache';
import * as chats from './store/chats';
import { objectId, type Id } from './store/db';
import * as memberships from './store/memberships';
import * as jobs from './store/jobs';
import * as messages from './store/messages';
import * as users from './store/users';
import type { Services } from './context';
import { rooms } from './contract/protocol';
import { toAppealView } from './views';
import { enact, type Decision } from './enactment';
import { sealChat, sealMessages } from './evidence';
import { StoaError } from './contract/errors';
import { toJobView, toMessageView } from './views';
import { newLease, runJob } from './purge-jobs';
import type { JobView } from './contract/protocol';

type Action = Awaited<ReturnType<typeof enact>> & object;

const untilFrom = (durationSec: number | undefined, now = Date.now()): Date | null =>
  durationSec ? new Date(now + durationSec * 1000) : null;
const isoOrNull = (date: Date | null): string | null => date?.toISOString() ?? null;

/** Channels keep their subscribers out of each other's business: there only the chat's admins hear of a ban or mute. */
async function memberNewsRooms(chat: SharedChat): Promise<string | string[]> {
  if (chat.type === 'group') return rooms.chat(chat.id);
  return (await memberships.chatAdmins(chat._id)).map(rooms.user);
}

/**
 * Hides a message: members stop seeing it, its author is told why. A moderator's hide closes
 * its case; an automatic one (`automatic`) happens once however many reports race, leaves the
 * case open for review, and a caller that lost the race gets null.
 */
export function hideMessage(
  services: Services,
  message: messages.MessageDocument,
  decision: Decision,
  automatic?: { onceKey: string },
): Promise<Action | null> {
  const authorId = message.senderId.toString();
  const chatId = message.chatId.toString();
  return enact(services, decision, {
    entry: { type: 'hide_message', targetType: 'message', targetId: message.id as string, chatId: message.chatId },
    concerns: [authorId],
    ...(automatic ? { onceKey: automatic.onceKey } : { closes: 'actioned' as const }),
    contentDate: message.createdAt,
    seal: (claim) => sealMessages(claim.id, claim.at, [message]),
    async write(action) {
      // Confirming a hide (e.g. an automatic one) never lowers the level needed to undo it.
      const current = message.hidden;
      if (current && !isAtLeast(decision.actorRole, decidedLevel(current.byRole))) return;
      await messages.hide(message._id, {
        at: action.createdAt,
        by: decision.actorId,
        byRole: decision.actorRole,
        reason: decision.reason,
        actionId: action._id,
      });
    },
    noticeTo: authorId,
    async publish() {
      services.realtime.emit(rooms.chat(chatId), 'message:hidden', {
        chatId,
        messageId: message.id as string,
        seq: message.seq,
      });
    },
  });
}

/**
 * An automatic filter held a message as it was sent (stored hidden, handlers/filters.ts): the hold is
 * audited with its statement of reasons and the author's notice; its case stays open for review.
 * Members never saw it and hear only the tombstone, so their seqs stay gap-free.
 */
export function holdMessage(services: Services, message: messages.Message, decision: Decision): Promise<Action | null> {
  const authorId = message.senderId.toString();
  const chatId = message.chatId.toString();
  const messageId = message._id.toString();
  return enact(services, decision, {
    entry: { type: 'hold_message', targetType: 'message', targetId: messageId, chatId: message.chatId },
    concerns: [authorId],
    onceKey: `hold_message:${messageId}`,
    contentDate: message.createdAt,
    seal: (claim) => sealMessages(claim.id, claim.at, [message as messages.MessageDocument]),
    async write(action) {
      await messages.hide(message._id, {
        at: action.createdAt,
        by: decision.actorId,
        byRole: decision.actorRole,
        reason: decision.reason,
        actionId: action._id,
      });
    },
    noticeTo: authorId,
    async publish() {
      services.realtime.emit(rooms.chat(chatId), 'message:hidden', { chatId, messageId, seq: message.seq });
    },
  });
}

/** An automatic filter mutes the author of what it caught, for `durationSec`; its case stays open for review. */
export function autoMuteMember(
  services: Services,
  decision: Decision,
  target: MemberTarget,
  durationSec: number,
): Promise<Action> {
  return mute(services, decision, target, durationSec, 'auto_mute_member');
}

/** Shows a hidden message again; the case it names closes as dismissed. */
export async function unhideMessage(
  services: Services,
  message: messages.MessageDocument,
  decision: Decision,
): Promise<Action> {
  const authorId = message.senderId.toString();
  const action = await enact(services, decision, {
    entry: { type: 'unhide_message', targetType: 'message', targetId: message.id as string, chatId: message.chatId },
    concerns: [authorId],
    async write() {
      await messages.hide(message._id, null);
      message.hidden = null;
    },
    noticeTo: authorId,
    async publish() {
      if (!message.deletedAt)
        services.realtime.emit(rooms.chat(message.chatId.toString()), 'message:unhidden', {
          message: toMessageView(message),
        });
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
export async function banMember(
  services: Services,
  decision: Decision,
  { chat, userId, membership }: MemberTarget,
  durationSec: number | undefined,
): Promise<Action> {
  const until = untilFrom(durationSec);
  const wasMember = membership?.status === 'active';
  const action = await enact(services, decision, {
    entry: {
      type: 'ban_member',
      targetType: 'user',
      targetId: userId,
      chatId: chat._id,
      durationSec: durationSec ?? null,
      until,
    },
    concerns: [userId],
    first: {
      run: () => services.realtime.leave(rooms.user(userId), [rooms.chat(chat.id), rooms.closedChat(chat.id)]),
      undo: async () => {
        if (wasMember) await services.realtime.join(rooms.user(userId), rooms.chat(chat.id));
      },
    },
    write: () => memberships.ban(chat._id, userId, until, decision.actorRole),
    // A banned admin is no longer one.
    invalidates: [cacheKeys.membership(chat.id, userId), cacheKeys.chatAdmins(chat.id)],
    noticeTo: userId,
    async publish() {
      services.realtime.emit(rooms.user(userId), 'chat:removed', { chatId: chat.id, reason: decision.reason });
      services.realtime.emit(await memberNewsRooms(chat), 'member:banned', {
        chatId: chat.id,
        userId,
        until: isoOrNull(until),
      });
    },
    closes: 'actioned',
  });
  return action!;
}

/** Lifts a ban: the member may join again. */
export async function unbanMember(
  services: Services,
  decision: Decision,
  { chat, userId, membership }: MemberTarget,
): Promise<Action> {
  const action = await enact(services, decision, {
    entry: { type: 'unban_member', targetType: 'user', targetId: userId, chatId: chat._id },
    concerns: [userId],
    write: () => memberships.unban(membership!._id),
    invalidates: [cacheKeys.membership(chat.id, userId)],
    noticeTo: userId,
  });
  return action!;
}

/** Mutes a member; without `durationSec`, until lifted. */
export function muteMember(
  services: Services,
  decision: Decision,
  target: MemberTarget,
  durationSec: number | undefined,
): Promise<Action> {
  return mute(services, decision, target, durationSec, 'mute_member');
}

/** A mute by a moderator (closing the case it decides) or by a filter (leaving it open). */
async function mute(
  services: Services,
  decision: Decision,
  { chat, userId, membership }: MemberTarget,
  durationSec: number | undefined,
  type: 'mute_member' | 'auto_mute_member',
): Promise<Action> {
  const until = untilFrom(durationSec);
  const action = await enact(services, decision, {
    entry: { type, targetType: 'user', targetId: userId, chatId: chat._id, durationSec: durationSec ?? null, until },
    concerns: [userId],
    write: () => memberships.mute(membership!._id, until, decision.actorRole),
    invalidates: [cacheKeys.membership(chat.id, userId)],
    noticeTo: userId,
    async publish() {
      services.realtime.emit(await memberNewsRooms(chat), 'member:muted', {
        chatId: chat.id,
        userId,
        until: isoOrNull(until),
      });
    },
    ...(type === 'mute_member' ? { closes: 'actioned' as const } : {}),
  });
  return action!;
}

/** Lifts a mute. */
export async function unmuteMember(
  services: Services,
  decision: Decision,
  { chat, userId, membership }: MemberTarget,
): Promise<Action> {
  const action = await enact(services, decision, {
    entry: { type: 'unmute_member', targetType: 'user', targetId: userId, chatId: chat._id },
    concerns: [userId],
    write: () => memberships.mute(membership!._id, null, null),
    invalidates: [cacheKeys.membership(chat.id, userId)],
    noticeTo: userId,
  });
  return action!;
}

/** Suspends an account everywhere: told why, then every socket of it is disconnected. */
export async function suspendAccount(
  services: Services,
  decision: Decision,
  userId: string,
  durationSec: number | undefined,
): Promise<Action> {
  const until = untilFrom(durationSec);
  const action = await enact(services, decision, {
    entry: { type: 'suspend_account', targetType: 'user', targetId: userId, durationSec: durationSec ?? null, until },
    concerns: [userId],
    write: () =>
      users.suspend(userId, { until, reason: decision.reason, by: decision.actorId, byRole: decision.actorRole }),
    invalidates: [cacheKeys.account(userId)],
    noticeTo: userId,
    async publish() {
      services.realtime.emit(rooms.user(userId), 'account:suspended', {
        reason: decision.reason,
        until: isoOrNull(until),
      });
      await services.realtime.disconnect(rooms.user(userId));
    },
    closes: 'actioned',
  });
  return action!;
}

/** Lifts a suspension. */
export async function unsuspendAccount(services: Services, decision: Decision, userId: string): Promise<Action> {
  const action = await enact(services, decision, {
    entry: { type: 'unsuspend_account', targetType: 'user', targetId: userId },
    concerns: [userId],
    write: () => users.suspend(userId, null),
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
export async function dismissCase(
  services: Services,
  decision: Decision & { case: NonNullable<Decision['case']> },
  chatId: Id | null,
  concerns: string[],
): Promise<Action> {
  const action = await enact(services, decision, {
    entry: {
      type: 'dismiss_case',
      targetType: 'case',
      targetId: decision.case.id as string,
      chatId: chatId === null ? null : objectId(chatId),
    },
    concerns,
    async write() {},
    closes: 'dismissed',
  });
  if (decision.case.targetType === 'message') {
    const message = await messages.byId(decision.case.targetId);
    if (message?.hidden?.byRole === 'system') {
      await unhideMessage(services, message, {
        ...decision,
        reason: `restored: on review the reports were dismissed (${decision.reason})`,
      });
    }
  }
  return action!;
}

/**
 * Takes a whole chat down: read-only and unlisted. Its content is sealed first; its owner and
 * admins get a statement of reasons and may appeal; every connected member hears `chat:closed`
 * and leaves its room for a silent one. A constant number of writes and one broadcast, however
 * many members it has.
 */
export async function closeChat(
  services: Services,
  decision: Decision,
  chat: SharedChat,
  category: ReportReason,
  admins: string[],
): Promise<Action> {
  const chatId = chat.id as string;
  const action = await enact(services, decision, {
    entry: { type: 'close_chat', targetType: 'chat', targetId: chatId, chatId: chat._id },
    concerns: admins,
    grounds: [category],
    seal: async (claim) => sealChat(claim.id, claim.at, chat, await chats.memberCount(chat._id)),
    async write(action) {
      const closed = {
        at: action.createdAt,
        byRole: decision.actorRole,
        category,
        reason: decision.reason,
        actionId: action._id,
      };
      if (!(await chats.close(chat._id, closed))) throw new StoaError('conflict', 'That chat is closed already.');
    },
    invalidates: [cacheKeys.chat(chatId)],
    noticeTo: admins,
    async publish(action) {
      const notice = { category, reason: decision.reason, at: action.createdAt.toISOString(), appealable: true };
      services.realtime.emit(rooms.chat(chatId), 'chat:closed', { chatId, notice });
      await services.realtime.join(rooms.chat(chatId), rooms.closedChat(chatId));
      await services.realtime.leave(rooms.closedChat(chatId), rooms.chat(chatId));
    },
    closes: 'actioned',
  });
  return action!;
}

/** Reopens a closed chat: its members' sockets are back in its room and hear `chat:reopened`. */
export async function reopenChat(
  services: Services,
  decision: Decision,
  chat: SharedChat,
  admins: string[],
): Promise<Action> {
  const chatId = chat.id as string;
  const action = await enact(services, decision, {
    entry: { type: 'reopen_chat', targetType: 'chat', targetId: chatId, chatId: chat._id },
    concerns: admins,
    async write() {
      if (!(await chats.reopen(chat._id))) throw new StoaError('conflict', 'That chat is not closed.');
    },
    invalidates: [cacheKeys.chat(chatId)],
    noticeTo: admins,
    async publish() {
      await services.realtime.join(rooms.closedChat(chatId), rooms.chat(chatId));
      await services.realtime.leave(rooms.chat(chatId), rooms.closedChat(chatId));
      services.realtime.emit(rooms.chat(chatId), 'chat:reopened', { chatId });
    },
  });
  return action!;
}

/** What a purge covers: someone's shown messages, in one chat or all, sent in [since, until). */
export interface PurgeScope {
  userId: string;
  chatId: Id | null;
  since: Date | null;
  until: Date;
  /** How many messages it held when the purge was decided. */
  count: number;
  /** The scope as asked (an open end as such): a second purge of it while the first runs is a conflict. */
  key: string;
}

/**
 * Purges someone's messages: one audited action with the count and one statement of reasons to
 * them; the hiding itself is a job that runs after the ack, a batch at a time (handlers/purge-jobs.ts).
 */
export async function purgeMessages(
  services: Services,
  decision: Decision,
  scope: PurgeScope,
): Promise<{ action: Action; job: JobView }> {
  let job: jobs.JobDocument | null = null;
  const action = await enact(services, decision, {
    entry: {
      type: 'purge_messages',
      targetType: 'user',
      targetId: scope.userId,
      chatId: scope.chatId === null ? null : objectId(scope.chatId),
      count: scope.count,
    },
    concerns: [scope.userId],
    async write(action) {
      job = await jobs.start(
        {
          kind: 'purge',
          actionId: action._id,
          actorId: decision.actorId,
          userId: scope.userId,
          chatId: scope.chatId,
          since: scope.since,
          until: scope.until,
          total: scope.count,
          scopeKey: scope.key,
        },
        newLease(services),
      );
      if (!job) throw new StoaError('conflict', 'A purge of these messages is running already.');
    },
    noticeTo: scope.userId,
    async publish() {
      runJob(services, job!);
    },
    closes: 'actioned',
  });
  return { action: action!, job: toJobView(job!) };
}

/** Undoes a purge: every message it hid is shown again, in the background, a batch at a time. */
export async function restoreMessages(
  services: Services,
  decision: Decision,
  purge: Action,
): Promise<{ action: Action; job: JobView }> {
  const purging = await jobs.ofAction(purge._id);
  if (purging?.status === 'running')
    throw new StoaError('conflict', 'That purge is still running: undo it once it has finished.');
  let job: jobs.JobDocument | null = null;
  const action = await enact(services, decision, {
    entry: { type: 'restore_messages', targetType: 'user', targetId: purge.targetId, chatId: purge.chatId ?? null },
    concerns: [purge.targetId],
    async write(action) {
      job = await jobs.start(
        {
          kind: 'restore',
          actionId: action._id,
          actorId: decision.actorId,
          userId: purge.targetId,
          chatId: purge.chatId ?? null,
          since: null,
          until: action.createdAt,
          purgeActionId: purge._id,
          total: purging?.done ?? purge.count ?? 0,
          scopeKey: `restore:${purge.id as string}`,
        },
        newLease(services),
      );
      if (!job) throw new StoaError('conflict', 'That purge is being undone already.');
    },
    noticeTo: purge.targetId,
    async publish() {
      runJob(services, job!);
    },
  });
  return { action: action!, job: toJobView(job!) };
}

const SYSTEM = { actorId: 'system', actorRole: 'system' as const, case: null };

/** Tells a reporter that their reports keep being dismissed (the first step, DSA Art. 23); once per `step`. */
export function warnReporter(services: Services, userId: string, step: string, reason: string): Promise<Action | null> {
  return enact(
    services,
    { ...SYSTEM, reason },
    {
      entry: { type: 'warn_reporter', targetType: 'user', targetId: userId },
      concerns: [userId],
      onceKey: `warn_reporter:${userId}:${step}`,
      async write() {},
      noticeTo: userId,
    },
  );
}

/** Takes away a reporter's power to trigger automatic actions, and limits their reports harder, until `until`. */
export function restrictReporter(
  services: Services,
  userId: string,
  step: string,
  reason: string,
  until: Date,
): Promise<Action | null> {
  return enact(
    services,
    { ...SYSTEM, reason },
    {
      entry: {
        type: 'restrict_reporter',
        targetType: 'user',
        targetId: userId,
        until,
        durationSec: Math.round((until.getTime() - Date.now()) / 1000),
      },
      concerns: [userId],
      onceKey: `restrict_reporter:${userId}:${step}`,
      write: (action) => users.restrictReporting(userId, { until, actionId: action._id }),
      invalidates: [cacheKeys.account(userId)],
      noticeTo: userId,
    },
  );
}

/** Lifts a reporting restriction (an appeal reversed it). */
export async function unrestrictReporter(services: Services, decision: Decision, userId: string): Promise<Action> {
  const action = await enact(services, decision, {
    entry: { type: 'unrestrict_reporter', targetType: 'user', targetId: userId },
    concerns: [userId],
    write: () => users.restrictReporting(userId, null),
    invalidates: [cacheKeys.account(userId)],
    noticeTo: userId,
  });
  return action!;
}

/**
 * How each kind that restricts is lifted when an appeal reverses it, if it is still in force:
 * through the same effect as a manual lifting. The table of handlers/policy/moderation-kinds.ts
 * names the lifting action; this is its effect. Null when nothing is left to lift.
 */
export const LIFTS: Partial<
  Record<ActionType, (services: Services, action: Action, decision: Decision) => Promise<Action | null>>
> = {
  async hide_message(services, action, decision) {
    const message = await messages.byId(action.targetId);
    return message?.hidden ? unhideMessage(services, message, decision) : null;
  },
  async hold_message(services, action, decision) {
    const message = await messages.byId(action.targetId);
    return message?.hidden ? unhideMessage(services, message, decision) : null;
  },
  async auto_mute_member(services, action, decision) {
    const member = await memberOf(action);
    return member?.membership && isMuted(member.membership) ? unmuteMember(services, decision, member) : null;
  },
  async ban_member(services, action, decision) {
    const member = await memberOf(action);
    return member?.membership?.status === 'banned' ? unbanMember(services, decision, member) : null;
  },
  async mute_member(services, action, decision) {
    const member = await memberOf(action);
    return member?.membership && isMuted(member.membership) ? unmuteMember(services, decision, member) : null;
  },
  async suspend_account(services, action, decision) {
    const user = await users.byId(action.targetId);
    return user?.suspended ? unsuspendAccount(services, decision, user.id as string) : null;
  },
  async close_chat(services, action, decision) {
    const chat = await chats.byId(action.targetId);
    return chat?.closed ? reopenChat(services, decision, chat, await memberships.chatAdmins(chat._id)) : null;
  },
  async purge_messages(services, action, decision) {
    return (await restoreMessages(services, decision, action)).action;
  },
  async restrict_reporter(services, action, decision) {
    const user = await users.byId(action.targetId);
    return user?.reportingRestricted ? unrestrictReporter(services, decision, user.id as string) : null;
  },
};

/** The chat and membership a ban or mute acted on, as they are now. */
async function memberOf(action: Action): Promise<MemberTarget | null> {
  if (!action.chatId) return null;
  const [chat, membership] = await Promise.all([
    chats.byId(action.chatId.toString()),
    memberships.of(action.chatId, action.targetId),
  ]);
  return chat && membership ? { chat, userId: action.targetId, membership } : null;
}

/**
 * Decides an appeal once however many moderators race (its audit entry is the guard; null for
 * the losers). A reversal's lifting action (`reverse`) is taken first, through the same effects
 * as a manual one; then the appellant is told, by a stored notice and `appeal:decided`.
 */
export function decideAppeal(
  services: Services,
  decision: Decision,
  appeal: appeals.AppealDocument,
  outcome: AppealOutcome,
  reverse: () => Promise<Action | null>,
): Promise<Action | null> {
  const appellantId = appeal.appellantId.toString();
  return enact(
    services,
    { ...decision, appealId: appeal._id },
    {
      entry: { type: 'decide_appeal', targetType: 'appeal', targetId: appeal.id as string, chatId: appeal.chatId },
      concerns: [appellantId],
      onceKey: `decide_appeal:${appeal.id as string}`,
      async write(action) {
        const reversal = outcome === 'reversed' ? await reverse() : null;
        const decided = {
          status: outcome,
          decidedBy: decision.actorId,
          decisionReason: decision.reason,
          decidedAt: action.createdAt,
          decisionActionId: action._id,
          reversalActionId: reversal?._id ?? null,
        };
        await appeals.decide(appeal._id, decided);
        appeal.set(decided);
      },
      noticeTo: appellantId,
      async publish() {
        services.realtime.emit(rooms.user(appellantId), 'appeal:decided', { appeal: toAppealView(appeal) });
      },
    },
  );
}
