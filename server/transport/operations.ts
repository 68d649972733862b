/**
 * Every operation of the API, once, with its whole contract: its socket event and/or HTTP route,
 * what it takes and answers, the errors it may answer, its limiter, who may call it, and its
 * handler. Both transports mount from this table, `invoke` checks who may call, the API documents
 * are generated from it and server/protocol.ts derives the client's event types from it: a new
 * event or endpoint is one record here, its handler and its test.
 */
import { z } from 'zod';

import * as accessLog from '../../handlers/access-log';
import * as accountData from '../../handlers/account-data';
import * as appeals from '../../handlers/appeals';
import * as auth from '../../handlers/auth';
import * as chatList from '../../handlers/chat-list';
import * as chats from '../../handlers/chats';
import * as evidence from '../../handlers/evidence';
import * as filters from '../../handlers/filters';
import * as inventory from '../../handlers/data-inventory';
import * as legal from '../../handlers/legal-requests';
import type { Caller, Context, Guest, LimiterName } from '../../handlers/context';
import { ERROR_CODES, type ErrorCode } from '../../handlers/contract/errors';
import * as schemas from '../../handlers/contract/schemas';
import * as wire from '../../handlers/contract/wire-schemas';
import * as messages from '../../handlers/messages';
import * as moderation from '../../handlers/moderation';
import * as notices from '../../handlers/notices';
import * as ops from '../../handlers/ops';
import * as people from '../../handlers/people';
import * as readPositions from '../../handlers/read-positions';
import * as reports from '../../handlers/reports';
import * as statements from '../../handlers/statements';
import * as transparency from '../../handlers/transparency';
import * as userNotes from '../../handlers/user-notes';

/**
 * Who may call an operation: `guest` anyone, with no token (registering, logging in); `user` a
 * signed-in account; `staff` platform moderators and admins; `admin` platform admins.
 */
export type Access = 'guest' | 'user' | 'staff' | 'admin';

export interface HttpRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax; each `:name` is the input field of that name. */
  path: string;
  /** The status of a success; 204 sends no body. */
  status: 200 | 201 | 204;
  /** Where the other fields come from. */
  from: 'body' | 'query' | 'none';
  /** When the route reads its input differently (query strings carry numbers as text); same output as the record's `input`. */
  input?: z.ZodType;
  /** A CSV answer instead of JSON: the handler returns `{csv, filename}`. */
  produces?: 'text/csv';
}

/** One record, as the transports and the API documents read it. */
export interface Operation {
  /** Stable name, used as the OpenAPI operationId. */
  name: string;
  summary: string;
  event?: string;
  http?: HttpRoute;
  /** What the client sends; what fails it is `invalid_input` before anything else runs. */
  input: z.ZodType;
  /** The ack's fields besides `ok: true`, and the HTTP body (an empty object for a 204). */
  result: z.ZodType;
  /** The codes it may answer beyond those every operation like it may (`errorsOf`). */
  errors: readonly ErrorCode[];
  /**
   * Counted right after validation, before any database read, per user (per address for
   * guests), so that a flood is refused at almost no cost and stores and relays nothing.
   */
  limiter?: LimiterName;
  /** Checked by `invoke` once the account is read, before the handler runs. */
  access: Access;
  /** Over HTTP, a suspended account may still call it: to read why, appeal and take its data (due process). */
  allowSuspended?: true;
  /** Called for a guest or a signed-in caller, as `access` says; `operation()` has tied each handler to its own schemas. */
  handle(ctx: Context<Guest | Caller>, input: unknown): Promise<object> | object;
}

/** Who a handler is called for: nobody signed in, or a signed-in account. */
type CallerOf<A extends Access> = A extends 'guest' ? Guest : Caller;

/** A record as written in the table: the compiler ties its handler to its schemas and its access. */
interface Definition<I extends z.ZodType, R extends z.ZodType, A extends Access, E extends string> extends Omit<
  Operation,
  'event' | 'http' | 'input' | 'result' | 'access' | 'handle'
> {
  event?: E;
  http?: HttpRoute & { input?: z.ZodType<z.output<I>> };
  input: I;
  result: R;
  access: A;
  /** Takes what `input` gives, answers what `result` describes. */
  handle: (ctx: Context<CallerOf<A>>, input: z.output<I>) => Promise<z.output<R>> | z.output<R>;
}

/** A record with its schemas' and event's own types kept, for server/protocol.ts to derive the client's types from. */
export type Declared<I extends z.ZodType, R extends z.ZodType, E extends string> = Operation & {
  input: I;
  result: R;
} & ([E] extends [never] ? { event?: undefined } : { event: E });

function operation<I extends z.ZodType, R extends z.ZodType, A extends Access, E extends string = never>(
  definition: Definition<I, R, A, E>,
): Declared<I, R, E> {
  // Checked above; the transports call every handler through the same untyped door.
  return definition as unknown as Declared<I, R, E>;
}

/** Every code an operation may answer, in the catalogue's order: its own, and those that come with its access and limiter. */
export function errorsOf(operation: Operation): ErrorCode[] {
  const signedIn = operation.access !== 'guest';
  const answers = new Set<ErrorCode>(['invalid_input', 'internal', ...operation.errors]);
  if (signedIn) answers.add('unauthorized');
  if (signedIn && !operation.allowSuspended) answers.add('suspended');
  if (operation.access === 'staff' || operation.access === 'admin') answers.add('forbidden');
  if (operation.limiter) answers.add('rate_limited');
  return ERROR_CODES.filter((code) => answers.has(code));
}

/** An ack with nothing but `ok: true`; over HTTP, a 204. */
const nothing = z.object({});
const anAction = z.object({ action: wire.actionView });
/** A purge's ack: the action and its background job; with `dryRun`, what it would hide and where. */
const purgeStarted = z.object({ action: wire.actionView, job: wire.jobView });
const purgeCounted = z.object({
  count: z.number(),
  chats: z.array(z.object({ chatId: z.string(), count: z.number() })).describe('most first'),
});
const aChat = z.object({ chat: wire.chatView });
const aMessage = z.object({ message: wire.messageView });
const anAppeal = z.object({ appeal: wire.appealView });

export const operations = [
  operation({
    name: 'register',
    summary: 'Create an account and sign in',
    http: { method: 'post', path: '/api/auth/register', status: 201, from: 'body' },
    input: schemas.registerInput,
    result: wire.session,
    errors: ['conflict'],
    limiter: 'registrations',
    access: 'guest',
    handle: auth.register,
  }),
  operation({
    name: 'login',
    summary: 'Sign in with a username and password',
    http: { method: 'post', path: '/api/auth/login', status: 200, from: 'body' },
    input: schemas.loginInput,
    result: wire.session,
    // Logins have limits of their own: failures per username and address, and per address.
    errors: ['unauthorized', 'suspended', 'rate_limited'],
    access: 'guest',
    handle: auth.login,
  }),
  operation({
    name: 'me',
    summary: 'The signed-in account',
    http: { method: 'get', path: '/api/me', status: 200, from: 'none' },
    input: schemas.emptyInput,
    result: z.object({ user: wire.userView }),
    errors: [],
    access: 'user',
    handle: auth.me,
  }),
  operation({
    name: 'refresh',
    summary: 'A fresh token for the signed-in account',
    http: { method: 'post', path: '/api/auth/refresh', status: 200, from: 'none' },
    input: schemas.emptyInput,
    result: z.object({ token: z.string() }),
    errors: [],
    access: 'user',
    handle: auth.refresh,
  }),
  operation({
    name: 'logout',
    summary: 'Revoke every token of the account and close its sockets',
    http: { method: 'post', path: '/api/auth/logout', status: 204, from: 'none' },
    input: schemas.emptyInput,
    result: nothing,
    errors: [],
    access: 'user',
    handle: auth.logout,
  }),
  operation({
    name: 'updateProfile',
    summary: 'Change my display name; the people I share a chat with hear user:updated',
    http: { method: 'patch', path: '/api/me', status: 200, from: 'body' },
    input: schemas.profileUpdateInput,
    result: z.object({ user: wire.userView }),
    errors: [],
    access: 'user',
    handle: people.updateProfile,
  }),
  operation({
    name: 'getUsers',
    summary:
      'Public profiles of people I share a chat with (staff: anyone), in the order asked; other ids are left out',
    event: 'users:get',
    input: schemas.usersGetInput,
    result: z.object({ users: z.array(wire.publicUserView) }),
    errors: [],
    access: 'user',
    handle: people.getUsers,
  }),
  operation({
    name: 'getUser',
    summary: 'A public profile of someone I share a chat with (staff: anyone)',
    http: { method: 'get', path: '/api/users/:userId', status: 200, from: 'none' },
    input: schemas.userIdInput,
    result: z.object({ user: wire.publicUserView }),
    errors: ['not_found'],
    access: 'user',
    handle: people.getUser,
  }),
  operation({
    name: 'setRole',
    summary: "Change a user's platform role",
    http: { method: 'put', path: '/api/users/:userId/role', status: 200, from: 'body' },
    input: schemas.setRoleInput,
    result: z.object({ user: wire.userView }),
    errors: ['not_found'],
    access: 'admin',
    handle: auth.setRole,
  }),

  operation({
    name: 'createChat',
    summary: 'Create a group or channel; the caller owns it',
    event: 'chat:create',
    input: schemas.chatCreateInput,
    result: aChat,
    errors: [],
    limiter: 'chat_creations',
    access: 'user',
    handle: chats.createChat,
  }),
  operation({
    name: 'getChat',
    summary:
      'A chat I may see (a private one: its members, banned members and staff), with its member count and my role',
    event: 'chat:get',
    input: schemas.chatIdInput,
    result: aChat,
    errors: ['not_found'],
    limiter: 'history',
    access: 'user',
    handle: chats.getChat,
  }),
  operation({
    name: 'joinChat',
    summary: 'Join a public chat, or a private one by invite code',
    event: 'chat:join',
    input: schemas.chatJoinInput,
    result: z.object({ chat: wire.chatView, membership: wire.membershipView }),
    errors: ['not_found', 'forbidden', 'banned', 'chat_closed', 'rate_limited'],
    limiter: 'joins',
    access: 'user',
    handle: chats.joinChat,
  }),
  operation({
    name: 'leaveChat',
    summary: 'Leave a chat (an owner hands ownership over first)',
    event: 'chat:leave',
    input: schemas.chatIdInput,
    result: nothing,
    errors: ['not_found', 'forbidden', 'banned'],
    access: 'user',
    handle: chats.leaveChat,
  }),
  operation({
    name: 'listChats',
    summary:
      'My chats, newest first (at most 100 a page), each with its latest message, my read position and my standing',
    event: 'chat:list',
    input: schemas.chatListInput,
    result: z.object({ chats: z.array(wire.chatListEntry), hasMore: z.boolean() }),
    errors: [],
    access: 'user',
    handle: chatList.listChats,
  }),
  operation({
    name: 'searchChats',
    summary: 'Public chats with a title word starting with each word of q, newest first, with member counts',
    event: 'chat:search',
    input: schemas.chatSearchInput,
    result: z.object({ chats: z.array(wire.chatView), hasMore: z.boolean() }),
    errors: [],
    limiter: 'history',
    access: 'user',
    handle: chatList.searchChats,
  }),
  operation({
    name: 'markRead',
    summary: 'Move my read position in a chat forward; a lower seq changes nothing and acks the stored one',
    event: 'chat:read',
    input: schemas.chatReadInput,
    result: z.object({ chatId: z.string(), seq: z.number() }),
    errors: ['not_found', 'forbidden', 'banned', 'chat_closed'],
    access: 'user',
    handle: readPositions.markRead,
  }),
  operation({
    name: 'inviteToChat',
    summary: "A chat's invite code (chat admins)",
    event: 'chat:invite',
    input: schemas.chatIdInput,
    result: z.object({ inviteCode: z.string() }),
    errors: ['not_found', 'forbidden', 'banned', 'chat_closed'],
    access: 'user',
    handle: chats.inviteToChat,
  }),
  operation({
    name: 'updateChat',
    summary: "Change a chat's title, description or slow mode (chat admins)",
    event: 'chat:update',
    input: schemas.chatUpdateInput,
    result: aChat,
    errors: ['not_found', 'forbidden', 'banned', 'chat_closed'],
    access: 'user',
    handle: chats.updateChat,
  }),
  operation({
    name: 'promoteMember',
    summary: "Change a member's chat role, or hand ownership over (owner)",
    event: 'chat:promote',
    input: schemas.chatPromoteInput,
    result: z.object({ membership: wire.membershipView }),
    errors: ['not_found', 'forbidden', 'banned', 'chat_closed'],
    access: 'user',
    handle: chats.promoteMember,
  }),

  operation({
    name: 'startTyping',
    summary: 'Tell a group that I am typing',
    event: 'typing:start',
    input: schemas.chatIdInput,
    result: nothing,
    errors: ['not_found', 'forbidden', 'banned', 'muted', 'chat_closed'],
    limiter: 'typing',
    access: 'user',
    handle: chats.startTyping,
  }),
  operation({
    name: 'sendMessage',
    summary: 'Send a message (idempotent on clientMsgId)',
    event: 'message:send',
    input: schemas.messageSendInput,
    result: aMessage,
    errors: ['not_found', 'forbidden', 'banned', 'muted', 'slow_mode', 'chat_closed', 'filtered'],
    limiter: 'messages',
    access: 'user',
    handle: messages.sendMessage,
  }),
  operation({
    name: 'messageHistory',
    summary:
      "A page of a chat's messages, in ascending seq; deleted and hidden ones as tombstones, so pages are gap-free",
    event: 'message:history',
    http: {
      method: 'get',
      path: '/api/chats/:chatId/messages',
      status: 200,
      from: 'query',
      input: schemas.messageHistoryQuery,
    },
    input: schemas.messageHistoryInput,
    result: z.object({ messages: z.array(wire.historyEntry), hasMore: z.boolean() }),
    errors: ['not_found', 'forbidden', 'banned', 'chat_closed'],
    limiter: 'history',
    access: 'user',
    // Platform moderators' reads of hidden messages and of private chats they are not in are audited.
    handle: accessLog.auditedHistory,
  }),
  operation({
    name: 'editMessage',
    summary: 'Edit my own message within the edit window',
    event: 'message:edit',
    input: schemas.messageEditInput,
    result: aMessage,
    errors: ['not_found', 'forbidden', 'banned', 'muted', 'chat_closed'],
    limiter: 'messages',
    access: 'user',
    handle: messages.editMessage,
  }),
  operation({
    name: 'readCount',
    summary: 'In a group, how many members have read up to a seq',
    event: 'message:reads',
    input: schemas.messageReadsInput,
    result: z.object({ count: z.number() }),
    errors: ['not_found', 'forbidden', 'banned', 'chat_closed'],
    access: 'user',
    handle: readPositions.readCount,
  }),
  operation({
    name: 'deleteMessage',
    summary: 'Delete my own message',
    event: 'message:delete',
    input: schemas.messageIdInput,
    result: nothing,
    errors: ['not_found', 'forbidden', 'banned', 'chat_closed'],
    access: 'user',
    handle: messages.deleteMessage,
  }),

  operation({
    name: 'createReport',
    summary: 'Report a message, a user or a chat',
    event: 'report:create',
    input: schemas.reportCreateInput,
    result: z.object({ report: wire.reportView }),
    errors: ['not_found', 'conflict'],
    limiter: 'reports',
    access: 'user',
    handle: reports.createReport,
  }),
  operation({
    name: 'listCases',
    summary: 'The moderation queue, as the caller may see it (chat admins: the cases of their chats)',
    event: 'mod:cases',
    http: { method: 'get', path: '/api/moderation/cases', status: 200, from: 'query', input: schemas.caseListQuery },
    input: schemas.caseListInput,
    result: z.object({ cases: z.array(wire.caseView) }),
    errors: ['not_found', 'forbidden'],
    limiter: 'moderation_reads',
    access: 'user',
    handle: reports.listCases,
  }),
  operation({
    name: 'getCase',
    summary: 'One case with its reports and its target as it is now',
    event: 'mod:case',
    http: { method: 'get', path: '/api/moderation/cases/:caseId', status: 200, from: 'none' },
    input: schemas.caseIdInput,
    result: z.object({
      case: wire.caseView,
      reports: z.array(wire.reportView),
      target: wire.caseTarget,
      notes: z
        .array(wire.userNoteView)
        .optional()
        .describe('Platform moderators only: the notes on the account the case is about.'),
    }),
    errors: ['not_found', 'forbidden'],
    limiter: 'moderation_reads',
    access: 'user',
    handle: reports.getCase,
  }),
  operation({
    name: 'getCaseContext',
    summary: 'Read the messages around the one a case is about',
    event: 'mod:context',
    http: { method: 'get', path: '/api/moderation/cases/:caseId/context', status: 200, from: 'none' },
    input: schemas.caseContextInput,
    result: z.object({
      chatId: z.string(),
      seq: z.number().describe('The reported message’s seq.'),
      messages: z
        .array(wire.historyEntry)
        .describe(
          'The reported message and up to 5 before and 5 after it, ascending seq, as history shows them to the caller: tombstones for deleted ones, and for hidden ones but to platform moderators. Each read is in the access log (`case_evidence`).',
        ),
    }),
    errors: ['not_found', 'forbidden', 'chat_closed'],
    limiter: 'moderation_reads',
    access: 'user',
    handle: reports.getCaseContext,
  }),

  // Moderation: chat admins in their chats and platform staff; `can` decides on the target (docs/ARCHITECTURE.md §6).
  operation({
    name: 'hideMessage',
    summary: 'Hide a message from members',
    event: 'mod:hide',
    input: schemas.hideInput,
    result: anAction,
    errors: ['not_found', 'forbidden', 'chat_closed'],
    access: 'user',
    handle: moderation.hideMessage,
  }),
  operation({
    name: 'unhideMessage',
    summary: 'Show a hidden message again',
    event: 'mod:unhide',
    input: schemas.hideInput,
    result: anAction,
    errors: ['not_found', 'forbidden', 'conflict', 'chat_closed'],
    access: 'user',
    handle: moderation.unhideMessage,
  }),
  operation({
    name: 'banMember',
    summary: 'Ban a member from a chat; without chatId, suspend the account (platform staff)',
    event: 'mod:ban',
    input: schemas.banInput,
    result: anAction,
    errors: ['not_found', 'forbidden', 'chat_closed'],
    access: 'user',
    handle: moderation.banMember,
  }),
  operation({
    name: 'unbanMember',
    summary: 'Lift a ban; without chatId, lift a suspension (platform staff)',
    event: 'mod:unban',
    input: schemas.unbanInput,
    result: anAction,
    errors: ['not_found', 'forbidden', 'conflict', 'chat_closed'],
    access: 'user',
    handle: moderation.unbanMember,
  }),
  operation({
    name: 'muteMember',
    summary: 'Mute a member in a chat (until mod:unmute without durationSec)',
    event: 'mod:mute',
    input: schemas.muteInput,
    result: anAction,
    errors: ['not_found', 'forbidden', 'chat_closed'],
    access: 'user',
    handle: moderation.muteMember,
  }),
  operation({
    name: 'unmuteMember',
    summary: 'Lift a mute',
    event: 'mod:unmute',
    input: schemas.unmuteInput,
    result: anAction,
    errors: ['not_found', 'forbidden', 'conflict', 'chat_closed'],
    access: 'user',
    handle: moderation.unmuteMember,
  }),
  operation({
    name: 'dismissCase',
    summary: 'Close a case with no action',
    event: 'mod:dismiss',
    input: schemas.dismissInput,
    result: anAction,
    errors: ['not_found', 'forbidden'],
    access: 'user',
    handle: moderation.dismissCase,
  }),
  operation({
    name: 'closeChat',
    summary: 'Take a whole chat down (platform moderators): read-only and unlisted, its owner and admins told why',
    event: 'mod:chat-close',
    input: schemas.chatCloseInput,
    result: anAction,
    errors: ['not_found', 'forbidden', 'conflict'],
    access: 'user',
    handle: moderation.closeChat,
  }),
  operation({
    name: 'reopenChat',
    summary: 'Reopen a closed chat (a platform moderator at or above the level that closed it)',
    event: 'mod:chat-reopen',
    input: schemas.chatReopenInput,
    result: anAction,
    errors: ['not_found', 'forbidden', 'conflict'],
    access: 'user',
    handle: moderation.reopenChat,
  }),
  operation({
    name: 'purgeMessages',
    summary:
      'Hide every message of a person (in one chat: its admins; everywhere: platform moderators), in the background after the ack; dryRun counts them',
    event: 'mod:purge',
    input: schemas.purgeInput,
    result: z.union([purgeStarted, purgeCounted]),
    errors: ['not_found', 'forbidden', 'conflict', 'chat_closed'],
    access: 'user',
    handle: moderation.purgeMessages,
  }),
  operation({
    name: 'moderationJob',
    summary: "A purge's progress: its status, how many done of how many, and any failures",
    event: 'mod:job',
    http: { method: 'get', path: '/api/moderation/jobs/:jobId', status: 200, from: 'none' },
    input: schemas.jobIdInput,
    result: z.object({ job: wire.jobView }),
    errors: ['not_found'],
    access: 'user',
    handle: moderation.moderationJob,
  }),
  operation({
    name: 'takeAction',
    summary: 'Any moderation action, by type (the mod:* events over HTTP)',
    http: { method: 'post', path: '/api/moderation/actions', status: 201, from: 'body' },
    input: schemas.moderationActionInput,
    result: z.union([purgeStarted, purgeCounted, anAction]),
    errors: ['not_found', 'forbidden', 'conflict', 'chat_closed'],
    access: 'user',
    handle: moderation.takeAction,
  }),
  operation({
    name: 'moderationLog',
    summary: 'The audit log, newest first, as the caller may see it (chat admins: their chats, without who acted)',
    event: 'mod:log',
    http: { method: 'get', path: '/api/moderation/log', status: 200, from: 'query', input: schemas.logQuery },
    input: schemas.logInput,
    result: z.object({ actions: z.array(wire.actionView) }),
    errors: ['forbidden'],
    limiter: 'moderation_reads',
    access: 'user',
    handle: moderation.moderationLog,
  }),

  // Automatic filters and raid protection (handlers/filters.ts): platform rules platform moderators, a chat's its owner and admins.
  operation({
    name: 'createRule',
    summary: 'Create an automatic filter (in shadow unless told): platform-wide, or for one chat',
    event: 'mod:rule-create',
    http: { method: 'post', path: '/api/moderation/rules', status: 201, from: 'body' },
    input: schemas.ruleCreateInput,
    result: z.object({ rule: wire.ruleView, action: wire.actionView }),
    errors: ['not_found', 'forbidden', 'chat_closed'],
    access: 'user',
    handle: filters.createRule,
  }),
  operation({
    name: 'listRules',
    summary: "The platform's rules, or a chat's, each with its hits and precision",
    event: 'mod:rules',
    http: { method: 'get', path: '/api/moderation/rules', status: 200, from: 'query' },
    input: schemas.ruleListInput,
    result: z.object({ rules: z.array(wire.ruleView) }),
    errors: ['not_found', 'forbidden', 'chat_closed'],
    limiter: 'moderation_reads',
    access: 'user',
    handle: filters.listRules,
  }),
  operation({
    name: 'updateRule',
    summary: 'Change an automatic filter (its mode: shadow or enforce)',
    event: 'mod:rule-update',
    http: { method: 'patch', path: '/api/moderation/rules/:ruleId', status: 200, from: 'body' },
    input: schemas.ruleUpdateInput,
    result: z.object({ rule: wire.ruleView, action: wire.actionView }),
    errors: ['not_found', 'forbidden', 'chat_closed'],
    access: 'user',
    handle: filters.updateRule,
  }),
  operation({
    name: 'deleteRule',
    summary: 'Delete an automatic filter and its hits',
    event: 'mod:rule-delete',
    http: { method: 'delete', path: '/api/moderation/rules/:ruleId', status: 200, from: 'none' },
    input: schemas.ruleIdInput,
    result: z.object({ action: wire.actionView }),
    errors: ['not_found', 'forbidden', 'chat_closed'],
    access: 'user',
    handle: filters.deleteRule,
  }),
  operation({
    name: 'ruleHits',
    summary: 'What an automatic filter matched (or would have, in shadow): counts and the latest hits',
    event: 'mod:rule-hits',
    http: { method: 'get', path: '/api/moderation/rules/:ruleId/hits', status: 200, from: 'none' },
    input: schemas.ruleHitsInput,
    result: z.object({ rule: wire.ruleView, hits: z.array(wire.ruleHitView) }),
    errors: ['not_found', 'forbidden', 'chat_closed'],
    limiter: 'moderation_reads',
    access: 'user',
    handle: filters.ruleHits,
  }),
  operation({
    name: 'raidSettings',
    summary: "A chat's raid thresholds (its admins; null: RAID_JOINS, RAID_WINDOW), and raid mode's end if on",
    event: 'chat:raid-settings',
    input: schemas.raidSettingsInput,
    result: z.object({
      joins: z.number(),
      windowSec: z.number(),
      cooldownSec: z.number(),
      until: z.string().nullable(),
    }),
    errors: ['not_found', 'forbidden', 'chat_closed'],
    access: 'user',
    handle: filters.raidSettings,
  }),
  operation({
    name: 'approveRaidJoin',
    summary: 'Let someone join a chat in raid mode (its admins, platform moderators)',
    event: 'chat:raid-approve',
    input: schemas.raidApproveInput,
    result: nothing,
    errors: ['not_found', 'forbidden', 'chat_closed', 'conflict'],
    access: 'user',
    handle: filters.approveRaidJoin,
  }),

  // Requests from authorities: platform admins; `not_found` to anyone else, so the ledger does not confirm it exists.
  operation({
    name: 'recordLegalRequest',
    summary: 'Record a request from an authority as received (platform admins)',
    http: { method: 'post', path: '/api/legal-requests', status: 201, from: 'body' },
    input: schemas.legalRequestInput,
    result: z.object({ request: wire.legalRequestView }),
    errors: ['not_found'],
    access: 'user',
    handle: legal.recordRequest,
  }),
  operation({
    name: 'listLegalRequests',
    summary: 'The requests from authorities, newest first, with overdue and lapsed-gag flags (platform admins)',
    http: { method: 'get', path: '/api/legal-requests', status: 200, from: 'query' },
    input: schemas.legalListInput,
    result: z.object({ requests: z.array(wire.legalRequestView), hasMore: z.boolean() }),
    errors: ['not_found'],
    access: 'user',
    handle: legal.listRequests,
  }),
  operation({
    name: 'getLegalRequest',
    summary: 'One request from an authority, with its reviews and history (platform admins)',
    http: { method: 'get', path: '/api/legal-requests/:requestId', status: 200, from: 'none' },
    input: schemas.legalRequestIdInput,
    result: z.object({ request: wire.legalRequestView }),
    errors: ['not_found'],
    access: 'user',
    handle: legal.getRequest,
  }),
  operation({
    name: 'reviewLegalRequest',
    summary: 'Approve or reject a request: two admins approve a disclosure, three a bulk one, one an emergency',
    http: { method: 'post', path: '/api/legal-requests/:requestId/reviews', status: 201, from: 'body' },
    input: schemas.legalReviewInput,
    result: z.object({ request: wire.legalRequestView }),
    errors: ['not_found', 'conflict'],
    access: 'user',
    handle: legal.reviewRequest,
  }),
  operation({
    name: 'discloseLegalRequest',
    summary: 'Produce the disclosure of an approved request: only its targets, only the requested categories',
    http: { method: 'post', path: '/api/legal-requests/:requestId/disclosure', status: 201, from: 'none' },
    input: schemas.legalRequestIdInput,
    result: z.object({ request: wire.legalRequestView, package: wire.disclosurePackage }),
    errors: ['not_found', 'forbidden', 'conflict'],
    access: 'user',
    handle: legal.discloseRequest,
  }),
  operation({
    name: 'readLegalDisclosure',
    summary: "A request's disclosure package as handed over, with its SHA-256; each read is in the access log",
    http: { method: 'get', path: '/api/legal-requests/:requestId/disclosure', status: 200, from: 'none' },
    input: schemas.legalRequestIdInput,
    result: z.object({ package: wire.disclosurePackage, sha256: z.string() }),
    errors: ['not_found'],
    access: 'user',
    handle: legal.readDisclosure,
  }),
  operation({
    name: 'extendLegalHold',
    summary: 'Extend a preservation hold once, by another 90 days',
    http: { method: 'post', path: '/api/legal-requests/:requestId/hold', status: 200, from: 'none' },
    input: schemas.legalRequestIdInput,
    result: z.object({ request: wire.legalRequestView }),
    errors: ['not_found', 'conflict'],
    access: 'user',
    handle: legal.extendHold,
  }),

  operation({
    name: 'rateLimits',
    summary: 'Limiter settings, refusals and blocked keys',
    http: { method: 'get', path: '/api/ops/rate-limits', status: 200, from: 'none' },
    input: schemas.emptyInput,
    result: z.object({ limiters: z.array(wire.limiterView) }),
    errors: [],
    access: 'admin',
    handle: ops.rateLimitView,
  }),

  // Due process (docs/ARCHITECTURE.md §9): statements of reasons, my reports, appeals, my data, transparency, audited access.
  operation({
    name: 'listNotices',
    summary: 'My statements of reasons, newest first',
    event: 'notices:list',
    http: { method: 'get', path: '/api/me/notices', status: 200, from: 'query', input: schemas.noticeListQuery },
    input: schemas.noticeListInput,
    result: z.object({ notices: z.array(wire.noticeView), hasMore: z.boolean() }),
    errors: [],
    access: 'user',
    allowSuspended: true,
    handle: notices.listNotices,
  }),
  operation({
    name: 'markNoticesRead',
    summary: 'Mark my statements of reasons read; ids not mine or already read are left alone',
    event: 'notices:read',
    http: { method: 'post', path: '/api/me/notices/read', status: 200, from: 'body' },
    input: schemas.noticeReadInput,
    result: z.object({ read: z.number().describe('How many were unread.') }),
    errors: [],
    access: 'user',
    handle: notices.markNoticesRead,
  }),
  operation({
    name: 'myReports',
    summary: 'The reports I filed, newest first, with their outcome',
    event: 'reports:mine',
    http: { method: 'get', path: '/api/me/reports', status: 200, from: 'query', input: schemas.myReportsQuery },
    input: schemas.myReportsInput,
    result: z.object({ reports: z.array(wire.reportView), hasMore: z.boolean() }),
    errors: [],
    access: 'user',
    handle: accountData.myReports,
  }),
  operation({
    name: 'createAppeal',
    summary: 'Appeal an action taken against me, once, within APPEAL_WINDOW',
    event: 'appeal:create',
    http: { method: 'post', path: '/api/appeals', status: 201, from: 'body' },
    input: schemas.appealCreateInput,
    result: anAppeal,
    errors: ['not_found', 'forbidden', 'conflict'],
    limiter: 'reports',
    access: 'user',
    allowSuspended: true,
    handle: appeals.createAppeal,
  }),
  operation({
    name: 'listAppeals',
    summary:
      'Appeals to decide, oldest first, each with the action appealed; none on my own actions, nor my own appeals',
    event: 'mod:appeals',
    http: {
      method: 'get',
      path: '/api/moderation/appeals',
      status: 200,
      from: 'query',
      input: schemas.appealListQuery,
    },
    input: schemas.appealListInput,
    result: z.object({ appeals: z.array(wire.appealView) }),
    errors: [],
    limiter: 'moderation_reads',
    access: 'staff',
    handle: appeals.listAppeals,
  }),
  operation({
    name: 'getAppeal',
    summary:
      'One appeal to decide, with what the action appealed acted on as it is now (not for the one who acted); audited',
    event: 'mod:appeal-get',
    http: { method: 'get', path: '/api/moderation/appeals/:appealId', status: 200, from: 'none' },
    input: schemas.appealIdInput,
    result: z.object({ appeal: wire.appealView, target: wire.caseTarget }),
    errors: ['not_found', 'forbidden'],
    limiter: 'moderation_reads',
    access: 'staff',
    handle: appeals.getAppeal,
  }),
  operation({
    name: 'decideAppeal',
    summary: 'Uphold or reverse an appeal (not for the one who acted)',
    event: 'mod:appeal-decide',
    http: { method: 'post', path: '/api/moderation/appeals/:appealId/decision', status: 200, from: 'body' },
    input: schemas.appealDecideInput,
    result: anAppeal,
    errors: ['not_found', 'forbidden', 'conflict'],
    access: 'staff',
    handle: appeals.decideAppeal,
  }),
  operation({
    name: 'exportMyData',
    summary: 'Everything stored about me, as JSON',
    http: { method: 'get', path: '/api/me/export', status: 200, from: 'none' },
    input: schemas.emptyInput,
    result: wire.accountExport,
    errors: [],
    limiter: 'moderation_reads',
    access: 'user',
    allowSuspended: true,
    handle: accountData.exportMyData,
  }),
  operation({
    name: 'deleteAccount',
    summary: 'Delete my account (my messages stay, by "Deleted account"); refused while I own a chat',
    http: { method: 'delete', path: '/api/me', status: 204, from: 'none' },
    input: schemas.emptyInput,
    result: nothing,
    errors: ['conflict'],
    access: 'user',
    handle: accountData.deleteAccount,
  }),
  operation({
    name: 'transparencyReport',
    summary: 'Reports, actions, time to action and appeals over a period of at most a year',
    http: { method: 'get', path: '/api/transparency', status: 200, from: 'query' },
    input: schemas.transparencyQuery,
    result: wire.transparencyReport,
    errors: [],
    access: 'admin',
    handle: transparency.transparencyReport,
  }),
  operation({
    name: 'legalRequestsCsv',
    summary: 'The counts of requests from authorities over a period of at most a year, as CSV (one figure a row)',
    http: {
      method: 'get',
      path: '/api/transparency/legal-requests.csv',
      status: 200,
      from: 'query',
      produces: 'text/csv',
    },
    input: schemas.transparencyQuery,
    result: z.object({ csv: z.string(), filename: z.string() }),
    errors: [],
    access: 'admin',
    handle: transparency.legalRequestsCsv,
  }),
  operation({
    name: 'dataInventory',
    summary:
      'Every personal field Stoa stores: collection, field, category, retention, who reads it; and what it never stores',
    http: { method: 'get', path: '/api/data-inventory', status: 200, from: 'none' },
    input: z.object({}),
    result: wire.dataInventory,
    errors: [],
    access: 'guest',
    handle: inventory.dataInventory,
  }),
  operation({
    name: 'exportStatements',
    summary: 'Statements of reasons in the EU transparency database schema, without personal data, over at most a year',
    http: { method: 'get', path: '/api/transparency/statements', status: 200, from: 'query' },
    input: schemas.transparencyQuery,
    result: z.object({ from: z.string(), to: z.string(), statements: z.array(wire.statement) }),
    errors: [],
    access: 'admin',
    handle: statements.exportStatements,
  }),
  operation({
    name: 'addUserNote',
    summary: 'A private note on an account',
    event: 'mod:note-add',
    input: schemas.noteAddInput,
    result: z.object({ note: wire.userNoteView }),
    errors: ['not_found'],
    access: 'staff',
    handle: userNotes.addNote,
  }),
  operation({
    name: 'userNotes',
    summary: 'The private notes on an account, newest first; each read is audited',
    event: 'mod:notes',
    input: schemas.userIdInput,
    result: z.object({ notes: z.array(wire.userNoteView) }),
    errors: ['not_found'],
    limiter: 'moderation_reads',
    access: 'staff',
    handle: userNotes.listNotes,
  }),
  operation({
    name: 'accessLog',
    summary: 'Who read hidden content, private chats, case evidence or notes on accounts, newest first',
    http: { method: 'get', path: '/api/moderation/access-log', status: 200, from: 'query' },
    input: schemas.accessLogQuery,
    result: z.object({ entries: z.array(wire.accessEntryView) }),
    errors: [],
    access: 'admin',
    handle: accessLog.listAccessLog,
  }),

  // Evidence sealed before removal: every read is in the access log.
  operation({
    name: 'listEvidence',
    summary: 'What an action sealed before it removed it, with SHA-256 hashes; each read is audited',
    http: { method: 'get', path: '/api/moderation/evidence', status: 200, from: 'query' },
    input: schemas.evidenceQuery,
    result: z.object({ records: z.array(wire.evidenceRecord) }),
    errors: ['not_found'],
    limiter: 'moderation_reads',
    access: 'staff',
    handle: evidence.listEvidence,
  }),
  operation({
    name: 'evidencePackage',
    summary:
      "An action's sealed records with a manifest of hashes and each record's chain of custody; each read is audited",
    http: { method: 'get', path: '/api/moderation/evidence/package', status: 200, from: 'query' },
    input: schemas.evidenceQuery,
    result: wire.evidencePackage,
    errors: ['not_found'],
    limiter: 'moderation_reads',
    access: 'staff',
    handle: evidence.evidencePackage,
  }),
] as const;

/** The operations with a socket event, by event name. */
export const socketOperations = new Map<string, Operation>(
  operations.flatMap((op) => (op.event ? [[op.event, op] as const] : [])),
);
