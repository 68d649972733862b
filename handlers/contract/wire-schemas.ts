/**
 * The shapes the server sends (views, server events, acks), as zod schemas for the API
 * documents. handlers/protocol.ts keeps the TypeScript types; the checks at the end of this
 * file make the compiler refuse any drift between the two.
 */
import { z } from 'zod';

import { ACTION_TARGET_TYPES, ACTION_TYPES, ACTOR_ROLES, APPEAL_STATUSES, CASE_STATUSES, CHAT_ROLES, CHAT_TYPES, CHAT_VISIBILITIES, MEMBERSHIP_STATUSES, PLATFORM_ROLES, REPORT_REASONS, TARGET_TYPES } from '../../models/vocabulary';
import { ERROR_STATUS, type WireError } from './errors';
import type * as protocol from './protocol';

const id = z.string();
const timestamp = z.string().describe('ISO 8601');

export const wireError = z.object({
  code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
  message: z.string(),
  retryAfterMs: z.number().optional(),
  until: timestamp.nullable().optional(),
});

export const userView = z.object({ id, username: z.string(), displayName: z.string(), role: z.enum(PLATFORM_ROLES), createdAt: timestamp });
export const publicUserView = z.object({ id, username: z.string(), displayName: z.string(), createdAt: timestamp });
export const chatView = z.object({
  id,
  type: z.enum(CHAT_TYPES),
  title: z.string(),
  description: z.string(),
  visibility: z.enum(CHAT_VISIBILITIES),
  ownerId: id,
  slowModeSec: z.number(),
  memberCount: z.number(),
  createdAt: timestamp,
  role: z.enum(CHAT_ROLES).optional(),
});
export const membershipView = z.object({
  chatId: id,
  userId: id,
  role: z.enum(CHAT_ROLES),
  status: z.enum(MEMBERSHIP_STATUSES),
  bannedUntil: timestamp.nullable(),
  muted: z.boolean(),
  mutedUntil: timestamp.nullable(),
  joinedAt: timestamp,
});
export const messageView = z.object({
  id,
  chatId: id,
  seq: z.number(),
  senderId: id,
  text: z.string(),
  createdAt: timestamp,
  editedAt: timestamp.optional(),
  hidden: z.object({ at: timestamp, by: z.string(), reason: z.string() }).optional(),
  edits: z.array(z.object({ text: z.string(), editedAt: timestamp })).optional(),
});
export const messageTombstone = z.union([
  z.object({ id, chatId: id, seq: z.number(), deleted: z.literal(true) }),
  z.object({ id, chatId: id, seq: z.number(), hidden: z.literal(true) }),
]);
export const historyEntry = z.union([messageView, messageTombstone]);
export const chatListEntry = chatView.extend({
  role: z.enum(CHAT_ROLES),
  lastSeq: z.number(),
  lastMessage: historyEntry.nullable(),
  readSeq: z.number(),
  unreadCount: z.number(),
  muted: z.boolean(),
  mutedUntil: timestamp.nullable(),
});
export const reportView = z.object({
  id,
  targetType: z.enum(TARGET_TYPES),
  targetId: id,
  chatId: id.optional(),
  reason: z.enum(REPORT_REASONS),
  comment: z.string().optional(),
  status: z.enum(CASE_STATUSES),
  createdAt: timestamp,
  reporterId: id.optional(),
  evidence: z
    .object({ text: z.string().optional(), senderId: id.optional(), seq: z.number().optional(), chatId: id.optional(), username: z.string().optional(), title: z.string().optional() })
    .optional(),
});
export const caseView = z.object({
  id,
  targetType: z.enum(TARGET_TYPES),
  targetId: id,
  chatId: id.optional(),
  reportCount: z.number(),
  weight: z.number(),
  reasons: z.partialRecord(z.enum(REPORT_REASONS), z.number()),
  priority: z.number(),
  status: z.enum(CASE_STATUSES),
  firstReportedAt: timestamp,
  lastReportedAt: timestamp,
});
export const actionView = z.object({
  id,
  type: z.enum(ACTION_TYPES),
  actorRole: z.enum(ACTOR_ROLES),
  actorId: z.string().optional(),
  targetType: z.enum(ACTION_TARGET_TYPES),
  targetId: id,
  chatId: id.optional(),
  reason: z.string(),
  caseId: id.optional(),
  durationSec: z.number().optional(),
  until: timestamp.optional(),
  createdAt: timestamp,
});
const caseTarget = z.union([
  z.object({ type: z.literal('message'), message: messageView, deletedAt: timestamp.nullable() }),
  z.object({ type: z.literal('user'), user: userView, suspended: z.object({ until: timestamp.nullable(), reason: z.string() }).nullable() }),
  z.object({ type: z.literal('chat'), chat: chatView }),
  z.null(),
]);

// Due process: statements of reasons and appeals.
export const noticeView = z.object({
  id,
  actionId: id,
  actionType: z.enum(ACTION_TYPES),
  actorRole: z.enum(ACTOR_ROLES),
  targetType: z.enum(ACTION_TARGET_TYPES),
  targetId: id,
  chatId: id.optional(),
  reason: z.string(),
  reasonCategory: z.enum(REPORT_REASONS).nullable(),
  automatic: z.boolean(),
  until: timestamp.nullable(),
  appeal: z.object({ appealable: z.boolean(), deadline: timestamp.nullable() }),
  createdAt: timestamp,
  readAt: timestamp.nullable(),
});
export const userNoteView = z.object({ id, userId: id, authorId: id, text: z.string(), createdAt: timestamp });
export const appealView = z.object({
  id,
  actionId: id,
  actionType: z.enum(ACTION_TYPES),
  chatId: id.optional(),
  text: z.string(),
  status: z.enum(APPEAL_STATUSES),
  createdAt: timestamp,
  decidedAt: timestamp.nullable(),
  decisionReason: z.string().nullable(),
  appellantId: id.optional(),
  action: actionView.optional(),
});

const action = z.object({ action: actionView });
const empty = z.object({});

/** What each client event's ack carries besides `ok: true`. */
export const ackResults = {
  'chat:create': z.object({ chat: chatView }),
  'chat:join': z.object({ chat: chatView, membership: membershipView }),
  'chat:leave': empty,
  'chat:list': z.object({ chats: z.array(chatListEntry), hasMore: z.boolean() }),
  'chat:search': z.object({ chats: z.array(chatView), hasMore: z.boolean() }),
  'chat:read': z.object({ chatId: id, seq: z.number() }),
  'chat:invite': z.object({ inviteCode: z.string() }),
  'chat:update': z.object({ chat: chatView }),
  'chat:promote': z.object({ membership: membershipView }),
  'typing:start': empty,
  'message:send': z.object({ message: messageView }),
  'message:history': z.object({ messages: z.array(historyEntry), hasMore: z.boolean() }),
  'message:edit': z.object({ message: messageView }),
  'message:reads': z.object({ count: z.number() }),
  'users:get': z.object({ users: z.array(publicUserView) }),
  'message:delete': empty,
  'report:create': z.object({ report: reportView }),
  'mod:cases': z.object({ cases: z.array(caseView) }),
  'mod:case': z.object({ case: caseView, reports: z.array(reportView), target: caseTarget, notes: z.array(userNoteView).optional() }),
  'mod:hide': action,
  'mod:unhide': action,
  'mod:ban': action,
  'mod:unban': action,
  'mod:mute': action,
  'mod:unmute': action,
  'mod:dismiss': action,
  'mod:log': z.object({ actions: z.array(actionView) }),

  // Due process.
  'notices:list': z.object({ notices: z.array(noticeView), hasMore: z.boolean() }),
  'notices:read': z.object({ read: z.number() }),
  'reports:mine': z.object({ reports: z.array(reportView), hasMore: z.boolean() }),
  'appeal:create': z.object({ appeal: appealView }),
  'mod:appeals': z.object({ appeals: z.array(appealView) }),
  'mod:appeal-get': z.object({ appeal: appealView, target: caseTarget }),
  'mod:appeal-decide': z.object({ appeal: appealView }),
  'mod:note-add': z.object({ note: userNoteView }),
  'mod:notes': z.object({ notes: z.array(userNoteView) }),
} satisfies Record<protocol.ClientEventName, z.ZodType>;

const removal = z.object({ chatId: id, messageId: id, seq: z.number() });
const member = z.object({ chatId: id, userId: id });
const sanction = z.object({ chatId: id, userId: id, until: timestamp.nullable() });

/** Every server event's payload. */
export const serverEvents = {
  'message:new': z.object({ message: messageView }),
  'message:hidden': removal,
  'message:unhidden': z.object({ message: messageView }),
  'message:deleted': removal,
  'message:edited': z.object({ message: messageView }),
  'chat:read': z.object({ chatId: id, seq: z.number() }),
  'user:updated': z.object({ user: publicUserView }),
  typing: member,
  'member:joined': member,
  'member:left': member,
  'member:banned': sanction,
  'member:muted': sanction,
  'chat:removed': z.object({ chatId: id, reason: z.string() }),
  'account:suspended': z.object({ reason: z.string(), until: timestamp.nullable() }),
  'report:new': z.object({ case: caseView }),
  'mod:action': action,
  'report:resolved': z.object({ reportId: id, caseId: id, outcome: z.enum(['actioned', 'dismissed']) }),
  'moderation:notice': z.object({ action: actionView, notice: noticeView }),
  // Due process.
  'notices:unread': z.object({ notices: z.array(noticeView) }),
  'appeal:decided': z.object({ appeal: appealView }),
  'mod:appeal': z.object({ appeal: appealView }),
  'server:shutdown': z.object({ reason: z.string() }),
  'connection:closed': z.object({ code: z.literal('rate_limited'), message: z.string(), retryAfterMs: z.number() }),
} satisfies Record<protocol.ServerEventName, z.ZodType>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AckResult<E extends protocol.ClientEventName> = Omit<Extract<Parameters<Parameters<protocol.ClientToServerEvents[E]>[1]>[0], { ok: true }>, 'ok'>;
type Drift<T extends Record<string, boolean>> = { [K in keyof T]: T[K] extends true ? never : K }[keyof T];

/** Never, unless a schema above and its type in handlers/protocol.ts disagree: then the name of the event. */
type AckDrift = Drift<{ [E in protocol.ClientEventName]: Same<z.output<(typeof ackResults)[E]>, AckResult<E>> }>;
type EventDrift = Drift<{ [E in protocol.ServerEventName]: Same<z.output<(typeof serverEvents)[E]>, protocol.ServerEventPayload<E>> }>;
type WireErrorDrift = Drift<{ error: Same<z.output<typeof wireError>, WireError> }>;
const noDrift: [AckDrift, EventDrift, WireErrorDrift] extends [never, never, never] ? true : never = true;
void noDrift;
