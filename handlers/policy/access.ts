/**
 * Who may do what (docs/ARCHITECTURE.md §6): one pure `can(actor, action, target)`
 * decides every permission from facts the handlers read from the database
 * (handlers/facts.ts). It reads nothing itself, so every rule is unit-tested.
 */
import { isBanned, isMuted } from './standing';
import { StoaError, type ErrorCode } from '../contract/errors';
import type { ActorRole, ChatRole, ChatType, ChatVisibility, PlatformRole, TargetType } from '../contract/protocol';

/** Levels for undoing a decision: it is undone only at or above the level of whoever made it. */
const LEVEL: Record<ActorRole, number> = { system: 0, chat_admin: 1, platform_moderator: 2, platform_admin: 3 };
/** Platform rank: nobody acts against someone of a higher platform role. */
/** A trusted flagger is a user in everything but the weight of their reports. */
const RANK: Record<PlatformRole, number> = { user: 0, trusted_flagger: 0, moderator: 1, admin: 2 };

/** Someone's row in the chat concerned, as stored. */
export interface Standing {
  role: ChatRole;
  status: 'active' | 'left' | 'banned';
  bannedUntil?: Date | null;
  mutedUntil?: Date | null;
  mutedByRole?: ActorRole | null;
}

export interface ChatFacts {
  id: string;
  type: ChatType;
  visibility: ChatVisibility;
  /** Set while the chat is closed: by whom, and whether on a ground of illegal content (451). */
  closed?: { byRole: ActorRole; legalGround: boolean } | null;
}

/** The one asking; `membership` is their row in the chat concerned (null if none, or no chat). */
export interface Actor {
  id: string;
  role: PlatformRole;
  membership: Standing | null;
}

/** The person acted against (or whose message is), with their row in the chat concerned. */
export interface Person {
  id: string;
  role: PlatformRole;
  membership: Standing | null;
}

export interface CaseFacts {
  targetType: TargetType;
  targetId: string;
  /** A reported message's chat; the actor's `membership` is their row there. */
  chatId: string | null;
  /** A reported message's author. */
  authorId: string | null;
  /** The people the case is about: the author, the reported user, or the reported chat's owner and admins. */
  concerns: string[];
}

type CaseLink = { case: CaseFacts | null };

/** What each action needs to know about its target. */
export interface Targets {
  /** Seeing a chat itself (`chat:get`): anyone a public one; a private one its members, banned members and platform staff. */
  'chat.view': { chat: ChatFacts };
  'chat.read': { chat: ChatFacts };
  'chat.join': { chat: ChatFacts; viaInvite: boolean };
  'chat.send': { chat: ChatFacts };
  'chat.leave': { chat: ChatFacts };
  /** Invite codes and settings: the chat's admins. */
  'chat.manage': { chat: ChatFacts };
  'chat.promote': { chat: ChatFacts };
  /** The gate of every moderation request on a chat, before its target is read. */
  'chat.moderate': { chat: ChatFacts };
  'report.message': { chat: ChatFacts; authorId: string; hidden: boolean };
  'report.user': { userId: string; sharesChat: boolean };
  'report.chat': { chat: ChatFacts };
  /** `mod:cases`, `mod:log`: `chat` when the caller names one. */
  'queue.read': { chat: ChatFacts | null; administersAnyChat: boolean };
  'log.read': { administersAnyChat: boolean; actorFilter: string | null };
  'case.read': { case: CaseFacts };
  /** The messages around a reported one (`mod:context`): whoever reads the case; a chat admin only while the chat is open. */
  'case.context': { case: CaseFacts; chat: ChatFacts };
  'case.dismiss': { case: CaseFacts };
  'message.hide': { chat: ChatFacts; messageId: string; author: Person } & CaseLink;
  'message.unhide': { chat: ChatFacts; messageId: string; author: Person; hiddenBy: ActorRole | null } & CaseLink;
  /** `bannedBy`, `mutedBy`, `suspendedBy`: the level of the one in force, if any (changing it needs that level). */
  'member.ban': { chat: ChatFacts; person: Person; bannedBy: ActorRole | null } & CaseLink;
  'member.unban': { chat: ChatFacts; person: Person; bannedBy: ActorRole | null };
  'member.mute': { chat: ChatFacts; person: Person; mutedBy: ActorRole | null } & CaseLink;
  'member.unmute': { chat: ChatFacts; person: Person; mutedBy: ActorRole | null };
  /** The gate of every request about an account, before the account is read. */
  'account.moderate': Record<string, never>;
  'account.suspend': { person: Person; suspendedBy: ActorRole | null } & CaseLink;
  'account.unsuspend': { person: Person; suspendedBy: ActorRole | null };
  'role.change': { person: Person };
  /** Taking a whole chat down, and undoing it: platform moderators. */
  'chat.close': { chat: ChatFacts } & CaseLink;
  'chat.reopen': { chat: ChatFacts; closedBy: ActorRole };
  /** Hiding every message of a person (in one chat, or with no chat, everywhere: platform moderators). */
  'messages.purge': { chat: ChatFacts | null; person: Person };
  /** Automatic filters and raid protection: a chat's (its owner and admins, platform moderators), or the platform's (`chat` null: platform moderators). */
  'rules.manage': { chat: ChatFacts | null };
}
export type Action = keyof Targets;

export interface Refusal {
  code: ErrorCode;
  message: string;
  /** With `muted`: when the mute ends (null: until lifted). */
  until?: Date | null;
  /** With `chat_closed`: closed on a ground of illegal content (HTTP 451). */
  legalReasons?: boolean;
}
export type Verdict = { allowed: true } | ({ allowed: false } & Refusal);

const ALLOWED: Verdict = { allowed: true };
const refuse = (
  code: ErrorCode,
  message: string,
  extra: { until?: Date | null; legalReasons?: boolean } = {},
): Verdict => ({
  allowed: false,
  code,
  message,
  ...extra,
});

/** Platform staff: moderators, and admins (moderators who also change roles). */
export const isPlatformModerator = (who: { role: string }): boolean => who.role === 'moderator' || who.role === 'admin';

export const isChatAdmin = (m: Pick<Standing, 'status' | 'role'> | null | undefined): boolean =>
  m?.status === 'active' && (m.role === 'owner' || m.role === 'admin');

const isMember = (m: Standing | null): boolean => m?.status === 'active';
const isBannedFrom = (m: Standing | null, now: Date): boolean =>
  m !== null && isBanned({ status: m.status, bannedUntil: m.bannedUntil ?? null }, now);

/** The level the actor acts at in the chat concerned; null if they moderate nothing there. */
export function actorRoleOf(actor: Actor): ActorRole | null {
  if (actor.role === 'admin') return 'platform_admin';
  if (actor.role === 'moderator') return 'platform_moderator';
  return isChatAdmin(actor.membership) ? 'chat_admin' : null;
}

/** Decides one action. `now` decides whether bans and mutes still count. */
export function can<A extends Action>(actor: Actor, action: A, target: Targets[A], now = new Date()): Verdict {
  const t = target as Targets[Action];
  switch (action) {
    case 'chat.read':
      return canRead(actor, (t as Targets['chat.read']).chat, now);
    case 'chat.join':
      return canJoin(actor, t as Targets['chat.join'], now);
    case 'chat.send':
      return canSend(actor, (t as Targets['chat.send']).chat, now);
    case 'chat.leave': {
      const entry = requireMember(actor, (t as Targets['chat.leave']).chat, now);
      if (entry) return entry;
      if (actor.membership?.role === 'owner')
        return refuse('forbidden', 'Hand ownership to another member (chat:promote) before leaving.');
      return ALLOWED;
    }
    case 'chat.manage':
      return requireChatAdmin(actor, (t as Targets['chat.manage']).chat, now) ?? ALLOWED;
    case 'chat.promote': {
      const { chat } = t as Targets['chat.promote'];
      const entry = requireMember(actor, chat, now) ?? requireOpen(chat);
      if (entry) return entry;
      return actor.membership?.role === 'owner' ? ALLOWED : refuse('forbidden', 'Only the chat’s owner changes roles.');
    }
    case 'chat.moderate':
      return requireModerator(actor, (t as Targets['chat.moderate']).chat, now, true) ?? ALLOWED;
    case 'report.message':
      return canReportMessage(actor, t as Targets['report.message'], now);
    case 'report.user': {
      const { userId, sharesChat } = t as Targets['report.user'];
      if (userId === actor.id) return refuse('invalid_input', 'You cannot report yourself.');
      // Someone you share no chat with does not exist for you, exactly like an unknown id.
      return sharesChat || isPlatformModerator(actor) ? ALLOWED : refuse('not_found', 'No such user.');
    }
    // Reporting a chat takes no more than seeing it.
    case 'chat.view':
    case 'report.chat': {
      const { chat } = t as Targets['chat.view'];
      return isHiddenFrom(actor, chat, now) ? refuse('not_found', 'No such chat.') : ALLOWED;
    }
    case 'queue.read': {
      const { chat, administersAnyChat } = t as Targets['queue.read'];
      if (chat) return requireModerator(actor, chat, now) ?? ALLOWED;
      return isPlatformModerator(actor) || administersAnyChat
        ? ALLOWED
        : refuse('forbidden', 'Only moderators and chat admins see reports.');
    }
    case 'log.read': {
      const { administersAnyChat, actorFilter } = t as Targets['log.read'];
      if (isPlatformModerator(actor)) return ALLOWED;
      if (!administersAnyChat) return refuse('forbidden', 'Only moderators and chat admins read the moderation log.');
      // Chat admins never learn which platform moderator acted, so they cannot search by one.
      if (actorFilter !== null && actorFilter !== actor.id && actorFilter !== 'system')
        return refuse('forbidden', 'Chat admins filter the log by their own actions only.');
      return ALLOWED;
    }
    case 'case.read':
    case 'case.dismiss':
      return canDecideCase(actor, (t as Targets['case.read']).case);
    case 'case.context': {
      const { case: moderationCase, chat } = t as Targets['case.context'];
      const decide = canDecideCase(actor, moderationCase);
      if (!decide.allowed) return decide;
      if (moderationCase.targetType !== 'message')
        return refuse('invalid_input', 'caseId: only a case about a message has a context.');
      // A closed chat's history is for platform moderators only, its context too.
      return (isPlatformModerator(actor) ? null : requireOpen(chat)) ?? ALLOWED;
    }
    case 'message.hide':
    case 'message.unhide':
      return canModerateMessage(actor, action, t as Targets['message.hide'] & { hiddenBy?: ActorRole | null }, now);
    case 'member.ban':
    case 'member.mute':
      return canRestrictMember(actor, action, t as Targets['member.ban'] & Targets['member.mute'], now);
    case 'member.unban':
    case 'member.unmute':
      return canLiftMember(actor, action, t as Targets['member.unban'] & Targets['member.unmute'], now);
    case 'account.moderate':
      return isPlatformModerator(actor) ? ALLOWED : refuse('forbidden', 'Only platform moderators suspend accounts.');
    case 'account.suspend':
    case 'account.unsuspend':
      return canSuspend(actor, action, t as Targets['account.suspend'] | Targets['account.unsuspend']);
    case 'chat.close': {
      const { chat, case: moderationCase } = t as Targets['chat.close'];
      if (!isPlatformModerator(actor))
        return requireSeen(actor, chat, now) ?? refuse('forbidden', 'Only platform moderators close a chat.');
      if (!moderationCase) return ALLOWED;
      if (moderationCase.targetType !== 'chat' || moderationCase.targetId !== chat.id)
        return refuse('invalid_input', 'caseId: that case is not about this chat.');
      const decide = canDecideCase(actor, moderationCase);
      return decide.allowed ? ALLOWED : decide;
    }
    case 'chat.reopen': {
      if (!isPlatformModerator(actor))
        return (
          requireSeen(actor, (t as Targets['chat.reopen']).chat, now) ??
          refuse('forbidden', 'Only platform moderators reopen a chat.')
        );
      return requireLevel(actor, (t as Targets['chat.reopen']).closedBy) ?? ALLOWED;
    }
    case 'messages.purge': {
      const { chat, person } = t as Targets['messages.purge'];
      const verb = 'purge the messages of';
      if (chat === null)
        return isPlatformModerator(actor)
          ? (requireOutranked(actor, person, verb) ?? ALLOWED)
          : refuse('forbidden', 'Only platform moderators purge across chats: name your chat.');
      return (
        requireModerator(actor, chat, now, true) ??
        requireOutranked(actor, person, verb) ??
        (person.membership?.role === 'owner' && !isPlatformModerator(actor)
          ? refuse('forbidden', 'Only platform moderators purge the messages of a chat’s owner.')
          : null) ??
        requireChatRank(actor, person, verb) ??
        ALLOWED
      );
    }
    case 'rules.manage': {
      const { chat } = t as Targets['rules.manage'];
      if (chat === null)
        return isPlatformModerator(actor)
          ? ALLOWED
          : refuse('forbidden', 'Only platform moderators manage platform rules.');
      return requireModerator(actor, chat, now, true) ?? ALLOWED;
    }
    case 'role.change':
      return actor.role === 'admin' ? ALLOWED : refuse('forbidden', 'Only a platform admin changes roles.');
    default:
      return refuse('forbidden', 'You are not allowed to do that.');
  }
}

/** A private chat does not exist for outsiders: neither members (active or banned) nor platform staff. */
function isHiddenFrom(actor: Actor, chat: ChatFacts, now: Date): boolean {
  if (chat.visibility === 'public' || isPlatformModerator(actor)) return false;
  return !isMember(actor.membership) && !isBannedFrom(actor.membership, now);
}

/** An active member; a banned one is told so, an outsider of a private chat that it does not exist. */
function requireMember(actor: Actor, chat: ChatFacts, now: Date): Verdict | null {
  if (isHiddenFrom(actor, chat, now)) return refuse('not_found', 'No such chat.');
  if (isBannedFrom(actor.membership, now)) return refuse('banned', 'You are banned from this chat.');
  if (!isMember(actor.membership)) return refuse('forbidden', 'You are not a member of this chat.');
  return null;
}

function requireChatAdmin(actor: Actor, chat: ChatFacts, now: Date): Verdict | null {
  const entry = requireMember(actor, chat, now) ?? requireOpen(chat);
  if (entry) return entry;
  return isChatAdmin(actor.membership) ? null : refuse('forbidden', 'Only the chat’s admins may do that.');
}

/** Platform staff anywhere; the chat's owner and admins in their chat (while it is open, to act). */
function requireModerator(actor: Actor, chat: ChatFacts, now: Date, acting = false): Verdict | null {
  if (isPlatformModerator(actor)) return null;
  if (isHiddenFrom(actor, chat, now)) return refuse('not_found', 'No such chat.');
  if (!isChatAdmin(actor.membership)) return refuse('forbidden', 'Only moderators and this chat’s admins may do that.');
  return acting ? requireOpen(chat) : null;
}

/** A private chat the actor may not see answers as an unknown id would. */
function requireSeen(actor: Actor, chat: ChatFacts, now: Date): Verdict | null {
  return isHiddenFrom(actor, chat, now) ? refuse('not_found', 'No such chat.') : null;
}

/** A closed chat is read-only and unlisted: refused `chat_closed` to all but platform moderators' reads. */
function requireOpen(chat: ChatFacts): Verdict | null {
  if (!chat.closed) return null;
  return refuse('chat_closed', 'This chat was closed by the moderators.', { legalReasons: chat.closed.legalGround });
}

function canRead(actor: Actor, chat: ChatFacts, now: Date): Verdict {
  if (isPlatformModerator(actor)) return ALLOWED;
  return requireMember(actor, chat, now) ?? requireOpen(chat) ?? ALLOWED;
}

function canJoin(actor: Actor, { chat, viaInvite }: Targets['chat.join'], now: Date): Verdict {
  if (isBannedFrom(actor.membership, now)) return refuse('banned', 'You are banned from this chat.');
  if (chat.visibility === 'public' || viaInvite || isMember(actor.membership)) return requireOpen(chat) ?? ALLOWED;
  if (isHiddenFrom(actor, chat, now)) return refuse('not_found', 'No such chat.');
  return refuse('forbidden', 'This chat is private: join it with an invite code.');
}

function canSend(actor: Actor, chat: ChatFacts, now: Date): Verdict {
  const entry = requireMember(actor, chat, now) ?? requireOpen(chat);
  if (entry) return entry;
  const membership = actor.membership!;
  if (chat.type === 'channel' && !isChatAdmin(membership))
    return refuse('forbidden', 'Only the channel’s admins post here.');
  if (isMuted({ mutedUntil: membership.mutedUntil ?? null, mutedByRole: membership.mutedByRole ?? null }, now)) {
    const until = membership.mutedUntil ?? null;
    return refuse(
      'muted',
      until
        ? `You are muted in this chat until ${until.toISOString()}.`
        : 'You are muted in this chat until a moderator lifts it.',
      { until },
    );
  }
  return ALLOWED;
}

function canReportMessage(actor: Actor, { chat, authorId, hidden }: Targets['report.message'], now: Date): Verdict {
  // What the reporter cannot read does not exist for them.
  if (!isPlatformModerator(actor) && (hidden || !isMember(actor.membership)))
    return refuse('not_found', 'No such message.');
  if (isHiddenFrom(actor, chat, now)) return refuse('not_found', 'No such message.');
  if (authorId === actor.id) return refuse('invalid_input', 'You cannot report your own message.');
  return ALLOWED;
}

/**
 * Reading or deciding a case: never one about yourself; platform staff any other;
 * a chat's admins the cases about messages in their chat.
 */
function canDecideCase(actor: Actor, moderationCase: CaseFacts): Verdict {
  if (moderationCase.concerns.includes(actor.id))
    return refuse('forbidden', 'Nobody sees or decides a case about themselves.');
  if (isPlatformModerator(actor)) return ALLOWED;
  if (moderationCase.targetType === 'message' && isChatAdmin(actor.membership)) return ALLOWED;
  return refuse('forbidden', 'Only moderators and this chat’s admins see this case.');
}

/** Undoing needs the level of whoever decided, or above. */
function requireLevel(actor: Actor, decidedBy: ActorRole | null): Verdict | null {
  const level = actorRoleOf(actor);
  if (decidedBy === null || (level !== null && LEVEL[level] >= LEVEL[decidedBy])) return null;
  return refuse('forbidden', `Only a ${decidedBy.replace('_', ' ')} or above can change or undo this.`);
}

/** The level a stored decision was made at; one stored before levels were recorded counts as the highest, so nobody below undoes it. */
export const decidedLevel = (byRole: ActorRole | null | undefined): ActorRole => byRole ?? 'platform_admin';

/** Whether a decision at `level` may replace or undo one made at `decidedBy`. */
export const isAtLeast = (level: ActorRole, decidedBy: ActorRole): boolean => LEVEL[level] >= LEVEL[decidedBy];

/**
 * Rank between people: nobody restricts the chat's owner, nor someone of a higher
 * platform role than their own; restricting yourself is not a request that makes sense.
 */
function requireOutranked(actor: Actor, person: Person, verb: string): Verdict | null {
  if (person.id === actor.id) return refuse('invalid_input', `You cannot ${verb} yourself.`);
  if (RANK[person.role] > RANK[actor.role])
    return refuse('forbidden', `You cannot ${verb} someone of a higher platform role.`);
  return null;
}

/**
 * An action's case must be the case about its target: the message for a hide; the
 * person, or a message of theirs in that chat, for a ban or mute; the person, or
 * any message of theirs, for a suspension. Then the actor must be allowed to decide it.
 */
function requireBoundCase(
  actor: Actor,
  moderationCase: CaseFacts | null,
  about: { messageId?: string; userId?: string; chatId?: string },
): Verdict | null {
  if (!moderationCase) return null;
  const c = moderationCase;
  const bound =
    about.messageId !== undefined
      ? c.targetType === 'message' && c.targetId === about.messageId
      : (c.targetType === 'user' && c.targetId === about.userId) ||
        (c.targetType === 'message' &&
          c.authorId === about.userId &&
          (about.chatId === undefined || c.chatId === about.chatId));
  if (!bound) return refuse('invalid_input', 'caseId: that case is not about this target.');
  const decide = canDecideCase(actor, c);
  return decide.allowed ? null : decide;
}

function canModerateMessage(
  actor: Actor,
  action: 'message.hide' | 'message.unhide',
  target: Targets['message.hide'] & { hiddenBy?: ActorRole | null },
  now: Date,
): Verdict {
  const refusal =
    requireModerator(actor, target.chat, now) ??
    (target.author.id === actor.id ? refuse('forbidden', 'Nobody moderates their own message.') : null) ??
    (action === 'message.unhide' ? requireLevel(actor, target.hiddenBy ?? null) : null) ??
    requireBoundCase(actor, target.case, { messageId: target.messageId });
  return refusal ?? ALLOWED;
}

/**
 * Strict rank inside a chat: only the owner acts on the chat's admins; an admin acts on members
 * only. Platform moderators act by the platform rules instead.
 */
function requireChatRank(actor: Actor, person: Person, verb: string): Verdict | null {
  if (isPlatformModerator(actor) || actor.membership?.role === 'owner') return null;
  if (person.membership?.status === 'active' && person.membership.role === 'admin')
    return refuse('forbidden', `Only the chat’s owner may ${verb} one of its admins.`);
  return null;
}

function canRestrictMember(
  actor: Actor,
  action: 'member.ban' | 'member.mute',
  target: Targets['member.ban'] & Targets['member.mute'],
  now: Date,
): Verdict {
  const { chat, person, case: moderationCase } = target;
  const verb = action === 'member.ban' ? 'ban' : 'mute';
  const refusal =
    requireModerator(actor, chat, now) ??
    requireOutranked(actor, person, verb) ??
    (person.membership?.role === 'owner'
      ? refuse('forbidden', `The owner of a chat cannot be ${verb === 'ban' ? 'banned from' : 'muted in'} it.`)
      : null) ??
    requireChatRank(actor, person, verb) ??
    // A new ban or mute replaces the one in force (its end, its level): that is undoing it.
    requireLevel(actor, action === 'member.ban' ? target.bannedBy : target.mutedBy) ??
    requireBoundCase(actor, moderationCase, { userId: person.id, chatId: chat.id });
  return refusal ?? ALLOWED;
}

function canLiftMember(
  actor: Actor,
  action: 'member.unban' | 'member.unmute',
  target: Targets['member.unban'] & Targets['member.unmute'],
  now: Date,
): Verdict {
  const verb = action === 'member.unban' ? 'unban' : 'unmute';
  const refusal =
    requireModerator(actor, target.chat, now) ??
    (target.person.id === actor.id
      ? refuse('forbidden', `Nobody lifts their own ${action === 'member.unban' ? 'ban' : 'mute'}.`)
      : null) ??
    requireOutranked(actor, target.person, verb) ??
    requireChatRank(actor, target.person, verb) ??
    requireLevel(actor, action === 'member.unban' ? target.bannedBy : target.mutedBy);
  return refusal ?? ALLOWED;
}

function canSuspend(
  actor: Actor,
  action: 'account.suspend' | 'account.unsuspend',
  target: Targets['account.suspend'] | Targets['account.unsuspend'],
): Verdict {
  if (!isPlatformModerator(actor)) return refuse('forbidden', 'Only platform moderators suspend accounts.');
  const lifting = action === 'account.unsuspend';
  if (lifting && target.person.id === actor.id) return refuse('forbidden', 'Nobody lifts their own suspension.');
  const refusal =
    requireOutranked(actor, target.person, lifting ? 'unsuspend' : 'suspend') ??
    requireLevel(actor, target.suspendedBy) ??
    ('case' in target ? requireBoundCase(actor, target.case, { userId: target.person.id }) : null);
  return refusal ?? ALLOWED;
}

/** Throws the refusal, if any, as the catalogue's error. */
export function authorize<A extends Action>(actor: Actor, action: A, target: Targets[A]): void {
  const verdict = can(actor, action, target);
  if (verdict.allowed) return;
  const retryAfterMs = verdict.until ? verdict.until.getTime() - Date.now() : undefined;
  throw new StoaError(verdict.code, verdict.message, {
    ...(verdict.until === undefined ? {} : { until: verdict.until, retryAfterMs }),
    ...(verdict.legalReasons ? { legalReasons: true } : {}),
  });
}
