/**
 * Every operation of the API, once: its socket event and/or HTTP route, its input schema,
 * its limiter and its handler. Both transports mount from this table and the API documents
 * are generated from it; a new event or endpoint is one entry here, its handler and its test.
 */
import type { z } from 'zod';

import * as accessLog from '../../handlers/access-log';
import * as accountData from '../../handlers/account-data';
import * as appeals from '../../handlers/appeals';
import * as auth from '../../handlers/auth';
import * as chatList from '../../handlers/chat-list';
import * as chats from '../../handlers/chats';
import type { Context, Guest, LimiterName } from '../../handlers/context';
import * as messages from '../../handlers/messages';
import * as moderation from '../../handlers/moderation';
import * as notices from '../../handlers/notices';
import * as ops from '../../handlers/ops';
import * as people from '../../handlers/people';
import type { ClientEventName, ClientToServerEvents } from '../../handlers/contract/protocol';
import * as readPositions from '../../handlers/read-positions';
import * as reports from '../../handlers/reports';
import * as schemas from '../../handlers/contract/schemas';
import * as statements from '../../handlers/statements';
import * as transparency from '../../handlers/transparency';
import * as userNotes from '../../handlers/user-notes';

type AckArgument<E extends ClientEventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
export type AckResult<E extends ClientEventName> = Omit<Extract<AckArgument<E>, { ok: true }>, 'ok'>;
type EventInput<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];

export interface HttpRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax; each `:name` is the input field of that name. */
  path: string;
  /** The status of a success; 204 sends no body. */
  status: 200 | 201 | 204;
  /** Where the other fields come from. */
  from: 'body' | 'query' | 'none';
  /** When the route reads its input differently (query strings carry numbers as text); same output as `schema`. */
  schema?: z.ZodType;
}

export interface Operation {
  /** Stable name, used as the OpenAPI operationId. */
  name: string;
  summary: string;
  event?: ClientEventName;
  http?: HttpRoute;
  schema: z.ZodType;
  /** `guest`: no token (registering, logging in); `user`: a signed-in, unsuspended account. */
  access: 'guest' | 'user';
  /**
   * Counted right after validation, before any database read, per user (per address for
   * guests), so that a flood is refused at almost no cost and stores and relays nothing.
   */
  limiter?: LimiterName;
  /** Over HTTP, a suspended account may still call it: to read why, appeal and take its data (due process). */
  allowSuspended?: true;
  handle(ctx: Context<any>, input: unknown): Promise<object> | object;
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

interface Definition<S extends z.ZodType, R, A extends 'guest' | 'user', E extends ClientEventName> {
  name: string;
  summary: string;
  /** The schema must accept exactly what handlers/protocol.ts says the event takes. */
  event?: E & (Same<EventInput<E>, z.input<S>> extends true ? unknown : never);
  http?: Omit<HttpRoute, 'schema'> & { schema?: z.ZodType<z.output<S>> };
  schema: S;
  access: A;
  limiter?: LimiterName;
  allowSuspended?: true;
  /** An event's handler returns exactly its ack's result. */
  handle(ctx: Context<A extends 'guest' ? Guest : Context['caller']>, input: z.output<S>): Promise<R> | R;
}

/** Declares one operation; the compiler ties its schema, its event's contract and its handler together. */
function operation<S extends z.ZodType, R extends [E] extends [never] ? object : AckResult<E>, A extends 'guest' | 'user' = 'user', E extends ClientEventName = never>(
  definition: Definition<S, R, A, E>,
): Operation {
  return { ...definition, access: definition.access } as unknown as Operation;
}

export const operations: Operation[] = [
  operation({ name: 'register', summary: 'Create an account and sign in', access: 'guest', schema: schemas.registerInput, limiter: 'registrations', http: { method: 'post', path: '/api/auth/register', status: 201, from: 'body' }, handle: auth.register }),
  operation({ name: 'login', summary: 'Sign in with a username and password', access: 'guest', schema: schemas.loginInput, http: { method: 'post', path: '/api/auth/login', status: 200, from: 'body' }, handle: auth.login }),
  operation({ name: 'me', summary: 'The signed-in account', access: 'user', schema: schemas.emptyInput, http: { method: 'get', path: '/api/me', status: 200, from: 'none' }, handle: auth.me }),
  operation({ name: 'refresh', summary: 'A fresh token for the signed-in account', access: 'user', schema: schemas.emptyInput, http: { method: 'post', path: '/api/auth/refresh', status: 200, from: 'none' }, handle: auth.refresh }),
  operation({ name: 'logout', summary: 'Revoke every token of the account and close its sockets', access: 'user', schema: schemas.emptyInput, http: { method: 'post', path: '/api/auth/logout', status: 204, from: 'none' }, handle: auth.logout }),
  operation({ name: 'updateProfile', summary: 'Change my display name; the people I share a chat with hear user:updated', access: 'user', schema: schemas.profileUpdateInput, http: { method: 'patch', path: '/api/me', status: 200, from: 'body' }, handle: people.updateProfile }),
  operation({ name: 'getUsers', summary: 'Public profiles of people I share a chat with (staff: anyone); other ids are left out', access: 'user', event: 'users:get', schema: schemas.usersGetInput, handle: people.getUsers }),
  operation({ name: 'getUser', summary: 'A public profile of someone I share a chat with (staff: anyone)', access: 'user', schema: schemas.userIdInput, http: { method: 'get', path: '/api/users/:userId', status: 200, from: 'none' }, handle: people.getUser }),
  operation({ name: 'setRole', summary: "Change a user's platform role (platform admins)", access: 'user', schema: schemas.setRoleInput, http: { method: 'put', path: '/api/users/:userId/role', status: 200, from: 'body' }, handle: auth.setRole }),

  operation({ name: 'createChat', summary: 'Create a group or channel; the caller owns it', access: 'user', event: 'chat:create', schema: schemas.chatCreateInput, limiter: 'chat_creations', handle: chats.createChat }),
  operation({ name: 'joinChat', summary: 'Join a public chat, or a private one by invite code', access: 'user', event: 'chat:join', schema: schemas.chatJoinInput, limiter: 'joins', handle: chats.joinChat }),
  operation({ name: 'leaveChat', summary: 'Leave a chat', access: 'user', event: 'chat:leave', schema: schemas.chatIdInput, handle: chats.leaveChat }),
  operation({ name: 'listChats', summary: 'My chats, newest first, each with its latest message, my read position and my standing', access: 'user', event: 'chat:list', schema: schemas.chatListInput, handle: chatList.listChats }),
  operation({ name: 'searchChats', summary: 'Public chats by title word or prefix, with member counts', access: 'user', event: 'chat:search', schema: schemas.chatSearchInput, limiter: 'history', handle: chatList.searchChats }),
  operation({ name: 'markRead', summary: 'Move my read position in a chat forward (never back)', access: 'user', event: 'chat:read', schema: schemas.chatReadInput, handle: readPositions.markRead }),
  operation({ name: 'inviteToChat', summary: "A chat's invite code (chat admins)", access: 'user', event: 'chat:invite', schema: schemas.chatIdInput, handle: chats.inviteToChat }),
  operation({ name: 'updateChat', summary: "Change a chat's title, description or slow mode (chat admins)", access: 'user', event: 'chat:update', schema: schemas.chatUpdateInput, handle: chats.updateChat }),
  operation({ name: 'promoteMember', summary: "Change a member's chat role (owner)", access: 'user', event: 'chat:promote', schema: schemas.chatPromoteInput, handle: chats.promoteMember }),

  operation({ name: 'startTyping', summary: 'Tell a group that I am typing', access: 'user', event: 'typing:start', schema: schemas.chatIdInput, limiter: 'typing', handle: chats.startTyping }),
  operation({ name: 'sendMessage', summary: 'Send a message (idempotent on clientMsgId)', access: 'user', event: 'message:send', schema: schemas.messageSendInput, limiter: 'messages', handle: messages.sendMessage }),
  operation({
    name: 'messageHistory',
    summary: "A page of a chat's messages, in ascending seq",
    access: 'user',
    event: 'message:history',
    schema: schemas.messageHistoryInput,
    limiter: 'history',
    http: { method: 'get', path: '/api/chats/:chatId/messages', status: 200, from: 'query', schema: schemas.messageHistoryQuery },
    // Platform moderators' reads of hidden messages and of private chats they are not in are audited.
    handle: accessLog.auditedHistory,
  }),
  operation({ name: 'editMessage', summary: 'Edit my own message within the edit window', access: 'user', event: 'message:edit', schema: schemas.messageEditInput, limiter: 'messages', handle: messages.editMessage }),
  operation({ name: 'readCount', summary: 'In a group, how many members have read up to a seq', access: 'user', event: 'message:reads', schema: schemas.messageReadsInput, handle: readPositions.readCount }),
  operation({ name: 'deleteMessage', summary: 'Delete my own message', access: 'user', event: 'message:delete', schema: schemas.messageIdInput, handle: messages.deleteMessage }),

  operation({ name: 'createReport', summary: 'Report a message, a user or a chat', access: 'user', event: 'report:create', schema: schemas.reportCreateInput, limiter: 'reports', handle: reports.createReport }),
  operation({
    name: 'listCases',
    summary: 'The moderation queue, as the caller may see it',
    access: 'user',
    event: 'mod:cases',
    schema: schemas.caseListInput,
    limiter: 'moderation_reads',
    http: { method: 'get', path: '/api/moderation/cases', status: 200, from: 'query', schema: schemas.caseListQuery },
    handle: reports.listCases,
  }),
  operation({
    name: 'getCase',
    summary: 'One case with its reports and its target as it is now',
    access: 'user',
    event: 'mod:case',
    schema: schemas.caseIdInput,
    limiter: 'moderation_reads',
    http: { method: 'get', path: '/api/moderation/cases/:caseId', status: 200, from: 'none' },
    handle: reports.getCase,
  }),

  operation({ name: 'hideMessage', summary: 'Hide a message from members', access: 'user', event: 'mod:hide', schema: schemas.hideInput, handle: moderation.hideMessage }),
  operation({ name: 'unhideMessage', summary: 'Show a hidden message again', access: 'user', event: 'mod:unhide', schema: schemas.hideInput, handle: moderation.unhideMessage }),
  operation({ name: 'banMember', summary: 'Ban a member from a chat; without chatId, suspend the account', access: 'user', event: 'mod:ban', schema: schemas.banInput, handle: moderation.banMember }),
  operation({ name: 'unbanMember', summary: 'Lift a ban; without chatId, lift a suspension', access: 'user', event: 'mod:unban', schema: schemas.unbanInput, handle: moderation.unbanMember }),
  operation({ name: 'muteMember', summary: 'Mute a member in a chat (until lifted without durationSec)', access: 'user', event: 'mod:mute', schema: schemas.muteInput, handle: moderation.muteMember }),
  operation({ name: 'unmuteMember', summary: 'Lift a mute', access: 'user', event: 'mod:unmute', schema: schemas.unmuteInput, handle: moderation.unmuteMember }),
  operation({ name: 'dismissCase', summary: 'Close a case with no action', access: 'user', event: 'mod:dismiss', schema: schemas.dismissInput, handle: moderation.dismissCase }),
  operation({ name: 'takeAction', summary: 'Any moderation action, by type (the mod:* events over HTTP)', access: 'user', schema: schemas.moderationActionInput, http: { method: 'post', path: '/api/moderation/actions', status: 201, from: 'body' }, handle: moderation.takeAction }),
  operation({
    name: 'moderationLog',
    summary: 'The audit log, newest first, as the caller may see it',
    access: 'user',
    event: 'mod:log',
    schema: schemas.logInput,
    limiter: 'moderation_reads',
    http: { method: 'get', path: '/api/moderation/log', status: 200, from: 'query', schema: schemas.logQuery },
    handle: moderation.moderationLog,
  }),

  operation({ name: 'rateLimits', summary: 'Limiter settings, refusals and blocked keys (platform admins)', access: 'user', schema: schemas.emptyInput, http: { method: 'get', path: '/api/ops/rate-limits', status: 200, from: 'none' }, handle: ops.rateLimitView }),

  // Due process (docs/ARCHITECTURE.md §9): statements of reasons, my reports, appeals, my data, transparency, audited access.
  operation({
    name: 'listNotices', allowSuspended: true,
    summary: 'My statements of reasons, newest first',
    access: 'user',
    event: 'notices:list',
    schema: schemas.noticeListInput,
    http: { method: 'get', path: '/api/me/notices', status: 200, from: 'query', schema: schemas.noticeListQuery },
    handle: notices.listNotices,
  }),
  operation({ name: 'markNoticesRead', summary: 'Mark my statements of reasons read', access: 'user', event: 'notices:read', schema: schemas.noticeReadInput, http: { method: 'post', path: '/api/me/notices/read', status: 200, from: 'body' }, handle: notices.markNoticesRead }),
  operation({
    name: 'myReports',
    summary: 'The reports I filed, with their outcome',
    access: 'user',
    event: 'reports:mine',
    schema: schemas.myReportsInput,
    http: { method: 'get', path: '/api/me/reports', status: 200, from: 'query', schema: schemas.myReportsQuery },
    handle: accountData.myReports,
  }),
  operation({ name: 'createAppeal', allowSuspended: true, summary: 'Appeal an action taken against me, once, within APPEAL_WINDOW', access: 'user', event: 'appeal:create', schema: schemas.appealCreateInput, limiter: 'reports', http: { method: 'post', path: '/api/appeals', status: 201, from: 'body' }, handle: appeals.createAppeal }),
  operation({
    name: 'listAppeals',
    summary: 'Appeals to decide (platform moderators; none on their own actions)',
    access: 'user',
    event: 'mod:appeals',
    schema: schemas.appealListInput,
    limiter: 'moderation_reads',
    http: { method: 'get', path: '/api/moderation/appeals', status: 200, from: 'query', schema: schemas.appealListQuery },
    handle: appeals.listAppeals,
  }),
  operation({
    name: 'getAppeal',
    summary: 'One appeal to decide, with what the action appealed acted on as it is now (platform moderators other than the one who acted)',
    access: 'user',
    event: 'mod:appeal-get',
    schema: schemas.appealIdInput,
    limiter: 'moderation_reads',
    http: { method: 'get', path: '/api/moderation/appeals/:appealId', status: 200, from: 'none' },
    handle: appeals.getAppeal,
  }),
  operation({ name: 'decideAppeal', summary: 'Uphold or reverse an appeal (platform moderators other than the one who acted)', access: 'user', event: 'mod:appeal-decide', schema: schemas.appealDecideInput, http: { method: 'post', path: '/api/moderation/appeals/:appealId/decision', status: 200, from: 'body' }, handle: appeals.decideAppeal }),
  operation({ name: 'exportMyData', allowSuspended: true, summary: 'Everything stored about me, as JSON', access: 'user', schema: schemas.emptyInput, limiter: 'moderation_reads', http: { method: 'get', path: '/api/me/export', status: 200, from: 'none' }, handle: accountData.exportMyData }),
  operation({ name: 'deleteAccount', summary: 'Delete my account (my messages stay, by "Deleted account")', access: 'user', schema: schemas.emptyInput, http: { method: 'delete', path: '/api/me', status: 204, from: 'none' }, handle: accountData.deleteAccount }),
  operation({ name: 'transparencyReport', summary: 'Reports, actions, time to action and appeals over a period of at most a year (platform admins)', access: 'user', schema: schemas.transparencyQuery, http: { method: 'get', path: '/api/transparency', status: 200, from: 'query' }, handle: transparency.transparencyReport }),
  operation({ name: 'exportStatements', summary: 'Statements of reasons in the EU transparency database schema, without personal data, over at most a year (platform admins)', access: 'user', schema: schemas.transparencyQuery, http: { method: 'get', path: '/api/transparency/statements', status: 200, from: 'query' }, handle: statements.exportStatements }),
  operation({ name: 'addUserNote', summary: 'A private note on an account (platform moderators)', access: 'user', event: 'mod:note-add', schema: schemas.noteAddInput, handle: userNotes.addNote }),
  operation({ name: 'userNotes', summary: 'The private notes on an account, newest first; audited (platform moderators)', access: 'user', event: 'mod:notes', schema: schemas.userIdInput, limiter: 'moderation_reads', handle: userNotes.listNotes }),
  operation({ name: 'accessLog', summary: 'Who read hidden content, private chats or case evidence (platform admins)', access: 'user', schema: schemas.accessLogQuery, http: { method: 'get', path: '/api/moderation/access-log', status: 200, from: 'query' }, handle: accessLog.listAccessLog }),
];

/** The operations with a socket event, by event name. */
export const socketOperations = new Map(operations.flatMap((op) => (op.event ? [[op.event as string, op] as const] : [])));
