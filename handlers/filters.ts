/**
 * Automatic filters and raid protection (README "Automatic filters", "Raid protection"). Rules
 * belong to the platform (platform moderators) or to one chat (its owner and admins); each scope's
 * rules are compiled once into one matcher (handlers/filter-matcher.ts) and kept on this node until
 * a rule of that scope changes, which forgets it on every node through `realtime.invalidate`. A send
 * that no rule applies to costs no database read. A rule in `shadow` only records what it would have
 * done; an enforced one blocks, holds, alerts or mutes, every decision through `enact`.
 */
import { Types } from 'mongoose';

import type { FilterAction, FilterExemptRole, ReportReason } from '../models/vocabulary';
import { actorRoleOf, authorize, isChatAdmin, isPlatformModerator } from './policy/access';
import { cacheKeys, onForget, type SharedChat, type SharedMembership } from './store/authorization-cache';
import * as chats from './store/chats';
import * as filterRules from './store/filter-rules';
import { LruMap } from './store/lru';
import type { Message } from './store/messages';
import type { Caller, Context, RaidSettings, Services } from './context';
import { StoaError } from './contract/errors';
import type { ActionView } from './contract/protocol';
import type { ruleHitView, ruleView } from './contract/wire-schemas';
import { actorOf, chatAccess, chatFacts } from './facts';
import { audienceOf, enact } from './enactment';
import {
  FILTER_LIMITS,
  ScopeMatcher,
  domainsIn,
  parseKeyword,
  patternProblem,
  type RuleSpec,
  type Trigger,
} from './filter-matcher';
import { autoMuteMember, holdMessage } from './moderation-effects';
import { fileRuleReport } from './case-counts';
import { toActionView } from './views';
import type { z } from 'zod';

type RuleView = z.output<typeof ruleView>;
type RuleHitView = z.output<typeof ruleHitView>;
type Hidden = NonNullable<Message['hidden']>;

export const DEFAULT_RAID: RaidSettings = { joins: 50, windowSec: 60, cooldownSec: 600 };
const raidDefaults = (services: Services): RaidSettings => services.raid ?? DEFAULT_RAID;

// ---------------------------------------------------------------------------------------------
// The compiled rules of each scope, on this node.

const PLATFORM = 'platform';
/** A safety net only: invalidation is what keeps a scope's rules true. */
const MAX_AGE_MS = 60_000;
const compiled = new LruMap<string, { matcher: ScopeMatcher; at: number; fingerprint: string }>(50_000);
const loading = new Map<string, Promise<ScopeMatcher>>();
let generation = 0;

onForget((keys) => {
  for (const key of keys) {
    if (!key.startsWith('rules:')) continue;
    generation += 1;
    compiled.delete(key.slice('rules:'.length));
    loading.delete(key.slice('rules:'.length));
  }
});

/**
 * The scope's compiled rules: from this node's cache, else read and compiled once however many
 * sends ask at the same time. Past MAX_AGE_MS the cached matcher is still used while the rules are
 * read again in the background, and compiled again only if they changed: a send never waits for that.
 */
function matcherOf(scope: string): ScopeMatcher | Promise<ScopeMatcher> {
  const hit = compiled.get(scope);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.matcher;
  const pending = loading.get(scope) ?? load(scope, hit?.fingerprint === undefined ? null : hit);
  return hit ? hit.matcher : pending;
}

function load(scope: string, stale: { matcher: ScopeMatcher; fingerprint: string } | null): Promise<ScopeMatcher> {
  const before = generation;
  const pending = filterRules.ofScope(scope === PLATFORM ? null : scope).then((rules) => {
    const fingerprint = rules.map((r) => `${r._id.toString()}@${r.updatedAt.getTime()}`).join(',');
    const matcher = stale?.fingerprint === fingerprint ? stale.matcher : new ScopeMatcher(rules.map(toSpec));
    if (generation === before) compiled.set(scope, { matcher, at: Date.now(), fingerprint });
    loading.delete(scope);
    return matcher;
  });
  pending.catch(() => loading.delete(scope));
  loading.set(scope, pending);
  return pending;
}

function toSpec(rule: filterRules.FilterRule): RuleSpec {
  const action = rule.action!;
  return {
    id: rule._id.toString(),
    chatId: rule.chatId ? rule.chatId.toString() : null,
    name: rule.name,
    trigger: triggerOf(rule.trigger!),
    action: {
      type: action.type,
      durationSec: action.durationSec ?? null,
      note: action.note ?? null,
      reason: (action.reason ?? 'spam') as ReportReason,
    },
    mode: rule.mode,
    exemptRoles: (rule.exemptRoles ?? []) as FilterExemptRole[],
  };
}

/** The stored trigger with only its own type's fields. */
function triggerOf(stored: NonNullable<filterRules.FilterRule['trigger']>): Trigger {
  switch (stored.type) {
    case 'keyword':
      return { type: 'keyword', words: [...(stored.words ?? [])] };
    case 'regex':
      return { type: 'regex', patterns: [...(stored.patterns ?? [])] };
    case 'links':
      return {
        type: 'links',
        ...(stored.allow?.length ? { allow: [...stored.allow] } : {}),
        ...(stored.deny?.length ? { deny: [...stored.deny] } : {}),
      };
    case 'mentions':
      return { type: 'mentions', max: stored.max ?? 0 };
    default:
      return { type: 'new_account', minAgeSec: stored.minAgeSec ?? 0, links: false };
  }
}

// ---------------------------------------------------------------------------------------------
// The send path.

const SEVERITY: Record<FilterAction, number> = { alert: 1, hold: 2, mute: 3, block: 4 };
const EXCERPT_CHARS = 200;

function exempt(rule: RuleSpec, caller: Caller, membership: SharedMembership | null): boolean {
  return rule.exemptRoles.some((role) => {
    switch (role) {
      case 'chat_owner':
        return membership?.status === 'active' && membership.role === 'owner';
      case 'chat_admin':
        return membership?.status === 'active' && membership.role === 'admin';
      case 'trusted_flagger':
        return caller.user.role === 'trusted_flagger';
      default:
        return isPlatformModerator(caller.user);
    }
  });
}

/** What the send path does with a message the filters caught: store it hidden, then follow up once it is stored. */
export interface Screening {
  hidden: Hidden | null;
  stored(message: Message): void;
}

/**
 * Screens one send against the platform's and the chat's rules, and raid mode. Throws `filtered`
 * for a block, a mute or a link from a new member in raid mode; returns what to do with a held or
 * alerted message, or null when nothing applies (most sends: no database read, one pass per scope).
 */
export async function screenSend(
  services: Services,
  caller: Caller,
  chat: SharedChat,
  membership: SharedMembership | null,
  text: string,
): Promise<Screening | null> {
  refuseRaidLinks(services, caller, chat, membership, text);
  const platform = matcherOf(PLATFORM);
  const own = matcherOf(chat.id as string);
  const scopes = [
    platform instanceof ScopeMatcher ? platform : await platform,
    own instanceof ScopeMatcher ? own : await own,
  ];
  if (scopes[0]!.empty && scopes[1]!.empty) return null;

  const sending = { text, accountAgeSec: (Date.now() - caller.user.createdAt.getTime()) / 1000 };
  const enforced: RuleSpec[] = [];
  for (const scope of scopes) {
    for (const i of scope.match(sending)) {
      const rule = scope.rules[i]!;
      if (exempt(rule, caller, membership)) continue;
      if (rule.mode === 'enforce') enforced.push(rule);
      else recordHit(services, rule, chat, caller, text, {});
    }
  }
  if (enforced.length === 0) return null;
  const decisive = enforced.reduce((a, b) => (SEVERITY[b.action.type] > SEVERITY[a.action.type] ? b : a));
  const { type } = decisive.action;
  if (type === 'block' || type === 'mute') {
    for (const rule of enforced) if (rule !== decisive) recordHit(services, rule, chat, caller, text, {});
    if (type === 'mute') setImmediate(() => void muteAuthor(services, decisive, chat, caller, membership, text));
    else recordHit(services, decisive, chat, caller, text, {});
    throw new StoaError('filtered', decisive.action.note ?? `Refused by the filter "${decisive.name}".`);
  }
  const hold = type === 'hold' ? decisive : null;
  return {
    hidden: hold ? { at: new Date(), by: 'system', byRole: 'system', reason: reasonOf(hold), actionId: null } : null,
    stored(message) {
      setImmediate(() => void followUp(services, enforced, hold, chat, caller, message));
    },
  };
}

const reasonOf = (rule: RuleSpec): string => rule.action.note ?? `caught by the automatic filter "${rule.name}"`;

/** After the store: the held message's case and hold, each alert's case, and every enforced hit. */
async function followUp(
  services: Services,
  enforced: RuleSpec[],
  hold: RuleSpec | null,
  chat: SharedChat,
  caller: Caller,
  message: Message,
): Promise<void> {
  try {
    for (const rule of enforced) {
      const moderationCase = await fileRuleReport(
        services,
        { id: rule.id, name: rule.name, reason: rule.action.reason },
        message,
      );
      let actionId: Types.ObjectId | null = null;
      if (rule === hold) {
        const action = await holdMessage(services, message, {
          actorId: 'system',
          actorRole: 'system',
          reason: reasonOf(rule),
          case: moderationCase,
        });
        actionId = action?._id ?? null;
      }
      recordHit(services, rule, chat, caller, message.text, {
        messageId: message._id,
        caseId: moderationCase._id,
        actionId,
      });
    }
  } catch (err) {
    services.log.error({ err, messageId: message._id.toString() }, 'automatic filter follow-up failed');
  }
}

async function muteAuthor(
  services: Services,
  rule: RuleSpec,
  chat: SharedChat,
  caller: Caller,
  membership: SharedMembership | null,
  text: string,
): Promise<void> {
  try {
    const action = await autoMuteMember(
      services,
      { actorId: 'system', actorRole: 'system', reason: reasonOf(rule), case: null },
      { chat, userId: caller.user.id as string, membership },
      rule.action.durationSec ?? 600,
    );
    recordHit(services, rule, chat, caller, text, { actionId: action._id });
  } catch (err) {
    services.log.error({ err, ruleId: rule.id }, 'automatic mute failed');
  }
}

function recordHit(
  services: Services,
  rule: RuleSpec,
  chat: SharedChat,
  caller: Caller,
  text: string,
  outcome: { messageId?: Types.ObjectId; caseId?: Types.ObjectId; actionId?: Types.ObjectId | null },
): void {
  filterRules
    .recordHit({
      ruleId: new Types.ObjectId(rule.id),
      chatId: chat._id,
      senderId: caller.user._id,
      messageId: outcome.messageId ?? null,
      excerpt: text.slice(0, EXCERPT_CHARS),
      action: rule.action.type,
      mode: rule.mode,
      caseId: outcome.caseId ?? null,
      actionId: outcome.actionId ?? null,
    })
    .catch((err: unknown) => services.log.error({ err, ruleId: rule.id }, 'filter hit not recorded'));
}

// ---------------------------------------------------------------------------------------------
// Raid protection.

const inRaid = (chat: SharedChat, now = Date.now()): boolean => !!chat.raid && chat.raid.until.getTime() > now;

function raidSettingsOf(services: Services, chat: SharedChat): RaidSettings {
  const defaults = raidDefaults(services);
  return {
    joins: chat.raidJoins ?? defaults.joins,
    windowSec: chat.raidWindowSec ?? defaults.windowSec,
    cooldownSec: defaults.cooldownSec,
  };
}

/** In raid mode, members who joined within the window before it or since cannot post links. */
function refuseRaidLinks(
  services: Services,
  caller: Caller,
  chat: SharedChat,
  membership: SharedMembership | null,
  text: string,
): void {
  if (!inRaid(chat) || isChatAdmin(membership) || isPlatformModerator(caller.user) || !membership) return;
  const newSince = chat.raid!.since.getTime() - raidSettingsOf(services, chat).windowSec * 1000;
  if (membership.joinedAt.getTime() < newSince) return;
  if (domainsIn(text).length > 0)
    throw new StoaError('filtered', 'This chat is in raid mode: new members cannot post links for now.');
}

/**
 * Before a join: in raid mode, newcomers wait for an admin's approval (`chat:raid-approve`) or the
 * end of the cooldown, refused `rate_limited` with the time left. Members already in pass.
 */
export function raidGate(chat: SharedChat, caller: Caller, existing: SharedMembership | null): void {
  if (!inRaid(chat) || existing?.status === 'active' || isPlatformModerator(caller.user)) return;
  if (chat.raid!.approved?.includes(caller.user.id as string)) return;
  const until = chat.raid!.until;
  throw new StoaError(
    'rate_limited',
    `This chat is in raid mode: joins wait for an admin's approval or until ${until.toISOString()}.`,
    { retryAfterMs: until.getTime() - Date.now() },
  );
}

/**
 * Recent joins per chat on this node, oldest first from `head` (a chat's raid state itself is
 * stored, so every node sees it): each join costs the same however many came in the window.
 */
const recentJoins = new LruMap<string, { times: number[]; head: number }>(10_000);

/** After a join that added a member: more than the chat's threshold within its window enters raid mode. */
export async function countJoin(services: Services, chat: SharedChat): Promise<void> {
  const settings = raidSettingsOf(services, chat);
  const now = Date.now();
  const window = recentJoins.get(chat.id as string) ?? { times: [], head: 0 };
  window.times.push(now);
  const { times } = window;
  // Only the latest `joins + 1` within the window matter.
  while (
    window.head < times.length &&
    (times[window.head]! <= now - settings.windowSec * 1000 || times.length - window.head > settings.joins + 1)
  )
    window.head += 1;
  if (window.head > times.length / 2) {
    times.splice(0, window.head);
    window.head = 0;
  }
  recentJoins.set(chat.id as string, window);
  const joins = times.length - window.head;
  if (joins <= settings.joins || inRaid(chat, now)) return;
  const raid = { since: new Date(now), until: new Date(now + settings.cooldownSec * 1000), joins };
  // Counting starts afresh: the joins that set it off do not set it off again once it ends.
  recentJoins.set(chat.id as string, { times: [], head: 0 });
  if (!(await chats.enterRaid(chat._id, raid))) return;
  await services.realtime.invalidate([cacheKeys.chat(chat.id as string)]);
  const audience = await audienceOf(chat._id);
  services.log.warn({ chatId: chat.id, joins }, 'raid mode');
  services.realtime.emit([...audience.staff, ...audience.chatAdmins], 'chat:raid', {
    chatId: chat.id as string,
    joins,
    until: raid.until.toISOString(),
  });
}

export async function raidSettings(
  { services, caller }: Context,
  input: { chatId: string; joins?: number | null | undefined; windowSec?: number | null | undefined },
): Promise<{ joins: number; windowSec: number; cooldownSec: number; until: string | null }> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'rules.manage', { chat: chatFacts(chat) });
  const changes: { raidJoins?: number | null; raidWindowSec?: number | null } = {};
  if (input.joins !== undefined) changes.raidJoins = input.joins;
  if (input.windowSec !== undefined) changes.raidWindowSec = input.windowSec;
  if (Object.keys(changes).length > 0) {
    await chats.setRaidSettings(chat._id, changes);
    await services.realtime.invalidate([cacheKeys.chat(chat.id as string)]);
  }
  const settings = raidSettingsOf(services, { ...chat, ...changes } as SharedChat);
  return { ...settings, until: inRaid(chat) ? chat.raid!.until.toISOString() : null };
}

export async function approveRaidJoin(
  { services, caller }: Context,
  input: { chatId: string; userId: string },
): Promise<Record<string, never>> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'rules.manage', { chat: chatFacts(chat) });
  if (!inRaid(chat)) throw new StoaError('conflict', 'This chat is not in raid mode.');
  await chats.approveRaidJoin(chat._id, input.userId);
  await services.realtime.invalidate([cacheKeys.chat(chat.id as string)]);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Managing rules.

type RuleInput = {
  name: string;
  trigger: Trigger;
  action: {
    type: FilterAction;
    durationSec?: number | undefined;
    note?: string | undefined;
    reason?: ReportReason | undefined;
  };
  mode?: 'shadow' | 'enforce' | undefined;
  exemptRoles?: FilterExemptRole[] | undefined;
};

/** What the schema cannot check: keywords' wildcards and RE2's syntax; `invalid_input`, nothing stored. */
function checkTrigger(trigger: Trigger): void {
  const problems: string[] = [];
  if (trigger.type === 'keyword') {
    for (const word of trigger.words) {
      const parsed = parseKeyword(word);
      if (typeof parsed === 'string') problems.push(parsed);
    }
  } else if (trigger.type === 'regex') {
    for (const pattern of trigger.patterns) {
      const problem = patternProblem(pattern);
      if (problem) problems.push(problem);
    }
  } else if (trigger.type === 'links') {
    if ((trigger.allow?.length ?? 0) + (trigger.deny?.length ?? 0) > FILTER_LIMITS.domains)
      problems.push(`at most ${FILTER_LIMITS.domains} domains`);
  }
  if (problems.length > 0) throw new StoaError('invalid_input', `trigger: ${problems.slice(0, 3).join('; ')}`);
}

/** The scope a rule belongs to, authorized for the caller: the platform, or a chat they administer. */
async function authorizeScope(
  caller: Caller,
  chatId: string | null,
): Promise<{ chat: SharedChat | null; actor: ReturnType<typeof actorOf> }> {
  if (chatId === null) {
    const actor = actorOf(caller, null);
    authorize(actor, 'rules.manage', { chat: null });
    return { chat: null, actor };
  }
  const { chat, membership } = await chatAccess(chatId, caller.user._id);
  const actor = actorOf(caller, membership);
  authorize(actor, 'rules.manage', { chat: chatFacts(chat) });
  return { chat, actor };
}

async function auditRule(
  services: Services,
  caller: Caller,
  actor: ReturnType<typeof actorOf>,
  type: 'create_rule' | 'update_rule' | 'delete_rule',
  ruleId: string,
  chat: SharedChat | null,
  reason: string,
  write: () => Promise<void>,
): Promise<ActionView> {
  const action = await enact(
    services,
    { actorId: caller.user.id as string, actorRole: actorRoleOf(actor)!, reason, case: null },
    { entry: { type, targetType: 'rule', targetId: ruleId, chatId: chat?._id ?? null }, concerns: [], write },
  );
  await services.realtime.invalidate([cacheKeys.rules(chat ? (chat.id as string) : PLATFORM)]);
  return toActionView(action!, { withActorId: isPlatformModerator(caller.user) });
}

const storedAction = (action: RuleInput['action']) => ({
  type: action.type,
  durationSec: action.durationSec ?? null,
  note: action.note ?? null,
  reason: action.reason ?? 'spam',
});

export async function createRule(
  { services, caller }: Context,
  input: RuleInput & { chatId?: string | undefined },
): Promise<{ rule: RuleView; action: ActionView }> {
  const { chat, actor } = await authorizeScope(caller, input.chatId ?? null);
  checkTrigger(input.trigger);
  const id = new Types.ObjectId();
  const mode = input.mode ?? 'shadow';
  let created: filterRules.FilterRuleDocument | null = null;
  const action = await auditRule(
    services,
    caller,
    actor,
    'create_rule',
    id.toString(),
    chat,
    `rule "${input.name}" created (${input.trigger.type}, ${input.action.type}, ${mode})`,
    async () => {
      created = await filterRules.create({
        _id: id,
        chatId: chat?._id ?? null,
        name: input.name,
        trigger: input.trigger,
        action: storedAction(input.action),
        mode,
        exemptRoles: input.exemptRoles ?? [],
        createdBy: caller.user.id as string,
      } as filterRules.NewRule);
    },
  );
  return { rule: toRuleView(created!), action };
}

async function ruleInScope(caller: Caller, ruleId: string) {
  const rule = await filterRules.byId(ruleId);
  if (!rule) throw new StoaError('not_found', 'No such rule.');
  const scope = await authorizeScope(caller, rule.chatId ? rule.chatId.toString() : null);
  return { rule, ...scope };
}

export async function updateRule(
  { services, caller }: Context,
  input: Partial<RuleInput> & { ruleId: string },
): Promise<{ rule: RuleView; action: ActionView }> {
  const { rule, chat, actor } = await ruleInScope(caller, input.ruleId);
  if (input.trigger) checkTrigger(input.trigger);
  const changes: Partial<filterRules.FilterRule> = {};
  const said: string[] = [];
  if (input.name !== undefined) changes.name = input.name;
  if (input.trigger !== undefined) (changes as Record<string, unknown>).trigger = input.trigger;
  if (input.action !== undefined) changes.action = storedAction(input.action) as filterRules.FilterRule['action'];
  if (input.exemptRoles !== undefined) changes.exemptRoles = input.exemptRoles;
  if (input.mode !== undefined && input.mode !== rule.mode) {
    changes.mode = input.mode;
    said.push(`mode ${rule.mode} → ${input.mode}`);
  }
  for (const field of ['name', 'trigger', 'action', 'exemptRoles'] as const)
    if (input[field] !== undefined) said.push(field);
  const action = await auditRule(
    services,
    caller,
    actor,
    'update_rule',
    rule.id as string,
    chat,
    `rule "${input.name ?? rule.name}" changed: ${said.join(', ') || 'nothing'}`,
    () => filterRules.update(rule._id, changes),
  );
  rule.set(changes);
  return { rule: toRuleView(rule), action };
}

export async function deleteRule(
  { services, caller }: Context,
  input: { ruleId: string },
): Promise<{ action: ActionView }> {
  const { rule, chat, actor } = await ruleInScope(caller, input.ruleId);
  const action = await auditRule(
    services,
    caller,
    actor,
    'delete_rule',
    rule.id as string,
    chat,
    `rule "${rule.name}" deleted`,
    () => filterRules.remove(rule._id),
  );
  return { action };
}

export async function listRules(
  { caller }: Context,
  input: { chatId?: string | undefined },
): Promise<{ rules: RuleView[] }> {
  const { chat } = await authorizeScope(caller, input.chatId ?? null);
  const rules = await filterRules.ofScope(chat?._id ?? null);
  return { rules: await Promise.all(rules.map(async (rule) => toRuleView(rule, await statsOf(rule._id)))) };
}

export async function ruleHits(
  { caller }: Context,
  input: { ruleId: string; limit?: number | undefined },
): Promise<{ rule: RuleView; hits: RuleHitView[] }> {
  const { rule } = await ruleInScope(caller, input.ruleId);
  const [stats, hits] = await Promise.all([statsOf(rule._id), filterRules.latestHits(rule._id, input.limit ?? 50)]);
  return {
    rule: toRuleView(rule, stats),
    hits: hits.map((hit) => ({
      id: hit._id.toString(),
      ruleId: hit.ruleId.toString(),
      chatId: hit.chatId.toString(),
      senderId: hit.senderId.toString(),
      messageId: hit.messageId?.toString() ?? null,
      excerpt: hit.excerpt,
      action: hit.action,
      mode: hit.mode,
      caseId: hit.caseId?.toString() ?? null,
      actionId: hit.actionId?.toString() ?? null,
      at: hit.at.toISOString(),
    })),
  };
}

/** A rule's hits, and its precision from moderators' decisions on its cases and from appeals of its actions. */
async function statsOf(ruleId: Types.ObjectId): Promise<NonNullable<RuleView['stats']>> {
  const [counts, decisions] = await Promise.all([filterRules.hitCounts(ruleId), filterRules.decisionsOn(ruleId)]);
  const decided = decisions.actioned + decisions.dismissed + decisions.upheld + decisions.reversed;
  return {
    hits: counts.total,
    shadowHits: counts.shadow,
    ...decisions,
    precision: decided === 0 ? null : (decisions.actioned + decisions.upheld) / decided,
  };
}

function toRuleView(rule: filterRules.FilterRule, stats?: RuleView['stats']): RuleView {
  const spec = toSpec(rule);
  return {
    id: spec.id,
    chatId: spec.chatId,
    name: spec.name,
    trigger: spec.trigger,
    action: spec.action,
    mode: spec.mode,
    exemptRoles: spec.exemptRoles,
    createdAt: rule.createdAt.toISOString(),
    updatedAt: rule.updatedAt.toISOString(),
    ...(stats ? { stats } : {}),
  };
}
