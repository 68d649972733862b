/**
 * Moderators' actions: each finds its target, decides with `can` (handlers/policy/access.ts), and
 * takes the one effect of handlers/moderation-effects.ts; the ack waits until every node has it.
 */
import type { z } from 'zod';

import type { ReportReason, TargetType } from '../models/vocabulary';
import { activeSuspension, isBanned, isMuted } from './policy/standing';
import * as actions from './store/actions';
import type { SharedChat } from './store/authorization-cache';
import * as cases from './store/cases';
import * as jobs from './store/jobs';
import { chatAdmins } from './store/memberships';
import type { Id } from './store/db';
import { actorRoleOf, authorize, can, decidedLevel, isPlatformModerator, type Actor } from './policy/access';
import type { Caller, Context } from './context';
import { StoaError } from './contract/errors';
import {
  actorOf,
  adminChatIds,
  asMessageNotFound,
  caseFacts,
  chatAccess,
  chatFacts,
  findCase,
  findMessage,
  findUser,
  membershipOf,
  moderatingChatOf,
  namedCase,
  personOf,
} from './facts';
import type { Decision } from './enactment';
import * as effects from './moderation-effects';
import { holdReportersToAccount } from './reporter-accountability';
import type { ActionView, JobView } from './contract/protocol';
import type { ModerationActionInput, purgeInput } from './contract/schemas';
import { countShown } from './store/messages';
import { toActionView, toJobView } from './views';

/** The level the caller acts at, once `authorize` has let them act. */
const levelOfActor = (actor: Actor): Decision['actorRole'] => actorRoleOf(actor) ?? 'chat_admin';

const decisionOf = (
  caller: Caller,
  actor: Actor,
  reason: string,
  moderationCase: Decision['case'] = null,
): Decision => ({
  actorId: caller.user.id,
  actorRole: levelOfActor(actor),
  reason,
  case: moderationCase,
});

/** The ack, once the action's effects have reached the sockets of every node; platform staff see who acted. */
async function published(
  { services, caller }: Context,
  action: actions.ModerationActionDocument,
): Promise<{ action: ActionView }> {
  await services.realtime.flush();
  return { action: toActionView(action, { withActorId: isPlatformModerator(caller.user) }) };
}

/** The chat of a moderation request, and the caller as an actor there; refused before the target is read. */
async function moderatedChat(caller: Caller, chatId: Id): Promise<{ chat: SharedChat; actor: Actor }> {
  const { chat, membership } = await chatAccess(chatId.toString(), caller.user._id);
  const actor = actorOf(caller, membership);
  authorize(actor, 'chat.moderate', { chat: chatFacts(chat) });
  return { chat, actor };
}

/** The case an action names, or else the open case about its very target: read together with the target. */
interface CaseInReach {
  named: Awaited<ReturnType<typeof namedCase>>;
  open: cases.ModerationCaseDocument | null;
}

async function caseInReach(caseId: string | undefined, targetType: TargetType, targetId: string): Promise<CaseInReach> {
  if (caseId !== undefined) return { named: await namedCase(caseId), open: null };
  const found = await cases.about(targetType, targetId);
  return { named: null, open: found?.status === 'open' ? found : null };
}

/**
 * The case an action decides: the one it names; when it names none, the open case about its
 * very target if the caller may decide it. Acting from the chat closes the case, and tells its
 * reporters, exactly as acting on it from the queue would.
 */
async function decidedCase(actor: Actor, { named, open }: CaseInReach): Promise<Decision['case']> {
  if (named) return named.doc;
  if (!open) return null;
  return can(actor, 'case.dismiss', { case: await caseFacts(open) }).allowed ? open : null;
}

const NO_CASE: CaseInReach = { named: null, open: null };

/** A member to act on in a chat the caller moderates; with `decides`, read together with the case in reach. */
async function moderatedMember(
  caller: Caller,
  chatId: string,
  userId: string,
  decides?: { caseId: string | undefined },
) {
  const { chat, actor } = await moderatedChat(caller, chatId);
  const [target, membership, reach] = await Promise.all([
    findUser(userId),
    membershipOf(chat._id, userId),
    decides ? caseInReach(decides.caseId, 'user', userId) : NO_CASE,
  ]);
  return { chat, actor, target, membership, reach, member: { chat, userId: target.id as string, membership } };
}

/** A message to moderate: its chat, the caller there, its author there, and the case in reach. */
async function moderatedMessage(caller: Caller, messageId: string, caseId?: string) {
  const message = await findMessage(messageId);
  const { chat, membership } = await chatAccess(message.chatId.toString(), caller.user._id);
  const actor = actorOf(caller, membership);
  asMessageNotFound(() => authorize(actor, 'chat.moderate', { chat: chatFacts(chat) }));
  const [author, authorMembership, reach] = await Promise.all([
    findUser(message.senderId.toString()),
    membershipOf(chat._id, message.senderId),
    caseInReach(caseId, 'message', message.id as string),
  ]);
  return { message, chat, actor, author: personOf(author, authorMembership), reach };
}

type HideInput = { messageId: string; reason: string; caseId?: string | undefined };

export async function hideMessage(ctx: Context, input: HideInput): Promise<{ action: ActionView }> {
  const { message, chat, actor, author, reach } = await moderatedMessage(ctx.caller, input.messageId, input.caseId);
  authorize(actor, 'message.hide', {
    chat: chatFacts(chat),
    messageId: message.id,
    author,
    case: reach.named?.facts ?? null,
  });
  const action = await effects.hideMessage(
    ctx.services,
    message,
    decisionOf(ctx.caller, actor, input.reason, await decidedCase(actor, reach)),
  );
  return published(ctx, action!);
}

export async function unhideMessage(ctx: Context, input: HideInput): Promise<{ action: ActionView }> {
  const { message, chat, actor, author, reach } = await moderatedMessage(ctx.caller, input.messageId, input.caseId);
  const named = reach.named;
  const hiddenBy = message.hidden ? decidedLevel(message.hidden.byRole) : null;
  authorize(actor, 'message.unhide', {
    chat: chatFacts(chat),
    messageId: message.id,
    author,
    hiddenBy,
    case: named?.facts ?? null,
  });
  if (!message.hidden) throw new StoaError('conflict', 'That message is not hidden.');
  const action = await effects.unhideMessage(
    ctx.services,
    message,
    decisionOf(ctx.caller, actor, input.reason, named?.doc),
  );
  // Showing it again dismisses the case it names, and so its reports.
  if (named) await holdReportersToAccount(ctx.services, named.doc);
  return published(ctx, action);
}

/** Without `chatId`, a ban is a suspension of the account. */
export async function banMember(
  ctx: Context,
  input: {
    userId: string;
    chatId?: string | undefined;
    durationSec?: number | undefined;
    reason: string;
    caseId?: string | undefined;
  },
): Promise<{ action: ActionView }> {
  if (input.chatId === undefined) return suspendAccount(ctx, input);
  const { chat, actor, target, membership, member, reach } = await moderatedMember(
    ctx.caller,
    input.chatId,
    input.userId,
    { caseId: input.caseId },
  );
  const bannedBy = membership && isBanned(membership) ? decidedLevel(membership.bannedByRole) : null;
  authorize(actor, 'member.ban', {
    chat: chatFacts(chat),
    person: personOf(target, membership),
    bannedBy,
    case: reach.named?.facts ?? null,
  });
  const decision = decisionOf(ctx.caller, actor, input.reason, await decidedCase(actor, reach));
  return published(ctx, await effects.banMember(ctx.services, decision, member, input.durationSec));
}

export async function unbanMember(
  ctx: Context,
  input: { userId: string; chatId?: string | undefined; reason: string },
): Promise<{ action: ActionView }> {
  if (input.chatId === undefined) return unsuspendAccount(ctx, input);
  const { chat, actor, target, membership, member } = await moderatedMember(ctx.caller, input.chatId, input.userId);
  const isBannedNow = membership?.status === 'banned';
  authorize(actor, 'member.unban', {
    chat: chatFacts(chat),
    person: personOf(target, membership),
    bannedBy: isBannedNow ? decidedLevel(membership.bannedByRole) : null,
  });
  if (!isBannedNow) throw new StoaError('conflict', 'That user is not banned from this chat.');
  return published(ctx, await effects.unbanMember(ctx.services, decisionOf(ctx.caller, actor, input.reason), member));
}

export async function muteMember(
  ctx: Context,
  input: {
    userId: string;
    chatId: string;
    durationSec?: number | undefined;
    reason: string;
    caseId?: string | undefined;
  },
): Promise<{ action: ActionView }> {
  // A mute closes only a case it names.
  const { chat, actor, target, membership, member } = await moderatedMember(ctx.caller, input.chatId, input.userId);
  const named = await namedCase(input.caseId);
  const mutedBy = membership && isMuted(membership) ? decidedLevel(membership.mutedByRole) : null;
  authorize(actor, 'member.mute', {
    chat: chatFacts(chat),
    person: personOf(target, membership),
    mutedBy,
    case: named?.facts ?? null,
  });
  if (membership?.status !== 'active') throw new StoaError('not_found', 'That user is not a member of this chat.');
  return published(
    ctx,
    await effects.muteMember(
      ctx.services,
      decisionOf(ctx.caller, actor, input.reason, named?.doc),
      member,
      input.durationSec,
    ),
  );
}

export async function unmuteMember(
  ctx: Context,
  input: { userId: string; chatId: string; reason: string },
): Promise<{ action: ActionView }> {
  const { chat, actor, target, membership, member } = await moderatedMember(ctx.caller, input.chatId, input.userId);
  const mutedNow = membership !== null && isMuted(membership);
  authorize(actor, 'member.unmute', {
    chat: chatFacts(chat),
    person: personOf(target, membership),
    mutedBy: mutedNow ? decidedLevel(membership.mutedByRole) : null,
  });
  if (!mutedNow) throw new StoaError('conflict', 'That user is not muted in this chat.');
  return published(ctx, await effects.unmuteMember(ctx.services, decisionOf(ctx.caller, actor, input.reason), member));
}

async function suspendAccount(
  ctx: Context,
  input: { userId: string; durationSec?: number | undefined; reason: string; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  const actor = actorOf(ctx.caller, null);
  authorize(actor, 'account.moderate', {});
  const [target, reach] = await Promise.all([findUser(input.userId), caseInReach(input.caseId, 'user', input.userId)]);
  const suspension = activeSuspension(target);
  authorize(actor, 'account.suspend', {
    person: personOf(target, null),
    suspendedBy: suspension ? decidedLevel(suspension.byRole) : null,
    case: reach.named?.facts ?? null,
  });
  const decision = decisionOf(ctx.caller, actor, input.reason, await decidedCase(actor, reach));
  return published(ctx, await effects.suspendAccount(ctx.services, decision, target.id as string, input.durationSec));
}

async function unsuspendAccount(
  ctx: Context,
  input: { userId: string; reason: string },
): Promise<{ action: ActionView }> {
  const actor = actorOf(ctx.caller, null);
  authorize(actor, 'account.moderate', {});
  const target = await findUser(input.userId);
  const suspendedBy = target.suspended ? decidedLevel(target.suspended.byRole) : null;
  authorize(actor, 'account.unsuspend', { person: personOf(target, null), suspendedBy });
  if (!target.suspended) throw new StoaError('conflict', 'That account is not suspended.');
  return published(
    ctx,
    await effects.unsuspendAccount(ctx.services, decisionOf(ctx.caller, actor, input.reason), target.id),
  );
}

/**
 * Takes a whole chat down (platform moderators): read-only and unlisted, its content sealed, its
 * owner and admins told why. With no `caseId`, the open case about the chat closes with it.
 */
export async function closeChat(
  ctx: Context,
  input: { chatId: string; reason: string; category: ReportReason; caseId?: string | undefined },
): Promise<{ action: ActionView }> {
  const { chat, membership } = await chatAccess(input.chatId, ctx.caller.user._id);
  const actor = actorOf(ctx.caller, membership);
  const [reach, admins] = await Promise.all([
    caseInReach(input.caseId, 'chat', chat.id as string),
    chatAdmins(chat._id),
  ]);
  authorize(actor, 'chat.close', { chat: chatFacts(chat), case: reach.named?.facts ?? null });
  if (chat.closed) throw new StoaError('conflict', 'That chat is closed already.');
  const decision = decisionOf(ctx.caller, actor, input.reason, await decidedCase(actor, reach));
  return published(ctx, await effects.closeChat(ctx.services, decision, chat, input.category, admins));
}

/** Reopens a closed chat: a platform moderator, at or above the level that closed it. */
export async function reopenChat(
  ctx: Context,
  input: { chatId: string; reason: string },
): Promise<{ action: ActionView }> {
  const { chat, membership } = await chatAccess(input.chatId, ctx.caller.user._id);
  const actor = actorOf(ctx.caller, membership);
  // An open chat is no one's to reopen: any platform moderator hears that it is not closed.
  const closedBy = chat.closed ? decidedLevel(chat.closed.byRole) : 'platform_moderator';
  authorize(actor, 'chat.reopen', { chat: chatFacts(chat), closedBy });
  if (!chat.closed) throw new StoaError('conflict', 'That chat is not closed.');
  const admins = await chatAdmins(chat._id);
  return published(
    ctx,
    await effects.reopenChat(ctx.services, decisionOf(ctx.caller, actor, input.reason), chat, admins),
  );
}

type PurgeRequest = z.output<typeof purgeInput>;
export type PurgeResult =
  { action: ActionView; job: JobView } | { count: number; chats: Array<{ chatId: string; count: number }> };

/**
 * Purges someone's messages (platform moderators anywhere; a chat's admins in their chat). A dry
 * run counts what it would hide, per chat, and changes nothing; otherwise the ack carries the
 * action and its job, which hides the messages in the background.
 */
export async function purgeMessages(ctx: Context, input: PurgeRequest): Promise<PurgeResult> {
  const { caller } = ctx;
  const inChat = input.chatId === undefined ? null : await moderatedChat(caller, input.chatId);
  const [target, membership, reach] = await Promise.all([
    findUser(input.userId),
    inChat ? membershipOf(inChat.chat._id, input.userId) : null,
    input.dryRun ? NO_CASE : caseInReach(input.caseId, 'user', input.userId),
  ]);
  const actor = inChat?.actor ?? actorOf(caller, null);
  authorize(actor, 'messages.purge', {
    chat: inChat ? chatFacts(inChat.chat) : null,
    person: personOf(target, membership),
  });
  const now = new Date();
  const until = input.until === undefined || new Date(input.until) > now ? now : new Date(input.until);
  const scope = {
    userId: target.id as string,
    chatId: inChat?.chat._id ?? null,
    since: input.since === undefined ? null : new Date(input.since),
    until,
  };
  const perChat = await countShown({ ...scope, senderId: scope.userId });
  const count = [...perChat.values()].reduce((sum, n) => sum + n, 0);
  if (input.dryRun) {
    const chats = [...perChat].map(([chatId, n]) => ({ chatId, count: n })).sort((a, b) => b.count - a.count);
    return { count, chats };
  }
  const decision = decisionOf(caller, actor, input.reason, await decidedCase(actor, reach));
  const asked = input.until === undefined ? 'now' : new Date(input.until).toISOString();
  const key = ['purge', scope.userId, input.chatId ?? '*', scope.since?.toISOString() ?? '', asked].join(' ');
  const { action, job } = await effects.purgeMessages(ctx.services, decision, { ...scope, count, key });
  return { ...(await published(ctx, action)), job };
}

/** A job's progress: for platform moderators and for whoever started it; anyone else hears of no such job. */
export async function moderationJob({ caller }: Context, input: { jobId: string }): Promise<{ job: JobView }> {
  const job = await jobs.byId(input.jobId);
  if (!job || (!isPlatformModerator(caller.user) && job.actorId !== caller.user.id))
    throw new StoaError('not_found', 'No such job.');
  return { job: toJobView(job) };
}

export async function dismissCase(
  ctx: Context,
  input: { caseId: string; reason: string },
): Promise<{ action: ActionView }> {
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

type Request<T extends ModerationActionInput['type']> = Extract<ModerationActionInput, { type: T }>;

/** Each `type` of `POST /api/moderation/actions` and the socket event's action it is. */
const BY_TYPE: {
  [T in ModerationActionInput['type']]: (
    ctx: Context,
    input: Request<T>,
  ) => Promise<{ action: ActionView } | PurgeResult>;
} = {
  hide: hideMessage,
  unhide: unhideMessage,
  ban: banMember,
  unban: unbanMember,
  mute: muteMember,
  unmute: unmuteMember,
  dismiss: dismissCase,
  close_chat: closeChat,
  reopen_chat: reopenChat,
  purge_messages: purgeMessages,
};

/** `POST /api/moderation/actions {type, ...}`: the socket event's action under its type. */
export function takeAction(ctx: Context, input: ModerationActionInput): Promise<{ action: ActionView } | PurgeResult> {
  return (
    BY_TYPE[input.type] as (ctx: Context, input: ModerationActionInput) => Promise<{ action: ActionView } | PurgeResult>
  )(ctx, input);
}

/**
 * The audit log, newest first: moderators see all of it with who acted; chat
 * admins the entries of their chats, with the level that acted.
 */
export async function moderationLog(
  { caller }: Context,
  input: {
    targetId?: string | undefined;
    actorId?: string | undefined;
    before?: string | undefined;
    limit?: number | undefined;
  },
): Promise<{ actions: ActionView[] }> {
  const staff = isPlatformModerator(caller.user);
  const chats = staff ? [] : await adminChatIds(caller);
  authorize(actorOf(caller, null), 'log.read', {
    administersAnyChat: chats.length > 0,
    actorFilter: input.actorId ?? null,
  });
  const entries = await actions.page({ ...input, chatIds: staff ? undefined : chats, limit: input.limit ?? 50 });
  return { actions: entries.map((a) => toActionView(a, { withActorId: staff })) };
}
