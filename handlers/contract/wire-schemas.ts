/**
 * The shapes the server sends (views and server events) as zod schemas: the one source of their
 * TypeScript types (handlers/contract/protocol.ts takes each as `z.output`), of the operation
 * records' results (server/transport/operations.ts) and of the API documents. A field's
 * `.describe()` is its documentation, in the types' schemas and in OpenAPI and AsyncAPI alike.
 */
import { z } from 'zod';

import {
  ACCESS_KINDS,
  ACTION_TARGET_TYPES,
  ACTION_TYPES,
  ACTOR_ROLES,
  APPEAL_STATUSES,
  CASE_STATUSES,
  CHAT_ROLES,
  CHAT_TYPES,
  CHAT_VISIBILITIES,
  AUTHORITY_KINDS,
  FILTER_ACTIONS,
  FILTER_EXEMPT_ROLES,
  FILTER_MODES,
  DATA_CATEGORIES,
  LEGAL_INSTRUMENTS,
  LEGAL_STATUSES,
  REJECTION_GROUNDS,
  REVIEW_VERDICTS,
  JOB_KINDS,
  JOB_STATUSES,
  MEMBERSHIP_STATUSES,
  PLATFORM_ROLES,
  REPORT_REASONS,
  TARGET_TYPES,
} from '../../models/vocabulary';
import { ruleTrigger } from './schemas';

const id = z.string();
const timestamp = z.string().describe('ISO 8601');
const muted = z.boolean();
const mutedUntil = timestamp.nullable().describe('A mute with `mutedUntil` null lasts until lifted.');

export const userView = z.object({
  id,
  username: z.string(),
  displayName: z.string(),
  role: z.enum(PLATFORM_ROLES),
  createdAt: timestamp,
});
export const publicUserView = z.object({ id, username: z.string(), displayName: z.string(), createdAt: timestamp });
/** Why a chat is closed, as its members are told: never who closed it. */
export const closedNotice = z.object({
  category: z.enum(REPORT_REASONS).describe('the ground it was closed on, one of the report reasons'),
  reason: z.string().describe('the moderators’ summary'),
  at: timestamp,
  appealable: z.boolean().describe('its owner and admins may appeal (they got a statement of reasons)'),
});
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
  role: z
    .enum(CHAT_ROLES)
    .optional()
    .describe("The caller's role, when they are a member (`chat:list`, `chat:join`, `chat:get`)."),
  closed: closedNotice.optional().describe('Only while the chat is closed: read-only and unlisted, and why.'),
});
export const membershipView = z.object({
  chatId: id,
  userId: id,
  role: z.enum(CHAT_ROLES),
  status: z.enum(MEMBERSHIP_STATUSES),
  bannedUntil: timestamp.nullable(),
  muted,
  mutedUntil,
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
  hidden: z
    .object({ at: timestamp, by: z.string(), reason: z.string() })
    .optional()
    .describe('Platform moderators only.'),
  edits: z
    .array(z.object({ text: z.string(), editedAt: timestamp }))
    .optional()
    .describe('In `mod:case` only: the earlier texts, oldest first, each with when it was replaced.'),
  pending: z
    .literal(true)
    .optional()
    .describe("In the sender's ack only: an automatic filter held it for review; members do not see it."),
});
export const messageTombstone = z.union([
  z.object({ id, chatId: id, seq: z.number(), deleted: z.literal(true) }),
  z.object({ id, chatId: id, seq: z.number(), hidden: z.literal(true) }),
]);
export const historyEntry = z.union([messageView, messageTombstone]);
export const chatListEntry = chatView.extend({
  role: z.enum(CHAT_ROLES),
  lastSeq: z.number().describe("The seq of the chat's latest message; 0 when it has none."),
  lastMessage: historyEntry
    .nullable()
    .describe('The latest message, or its tombstone when it was deleted or hidden; null when the chat has none.'),
  readSeq: z.number().describe('My read position (`chat:read`); 0 until I mark one.'),
  unreadCount: z.number().describe('`lastSeq - readSeq`: tombstones and my own messages count until I mark them read.'),
  muted,
  mutedUntil,
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
  reporterId: id.optional().describe('Platform moderators only: chat admins never learn who reported.'),
  evidence: z
    .object({
      text: z.string().optional(),
      senderId: id.optional(),
      seq: z.number().optional(),
      chatId: id.optional(),
      username: z.string().optional(),
      title: z.string().optional(),
    })
    .optional(),
});
export const caseView = z.object({
  id,
  targetType: z.enum(TARGET_TYPES),
  targetId: id,
  chatId: id.optional(),
  reportCount: z.number(),
  weight: z
    .number()
    .describe(
      "Sum of the reports' weights in established-reporter units: what automatic hiding compares with its threshold.",
    ),
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
  actorId: z
    .string()
    .optional()
    .describe(
      'Platform moderators only (and `system` when automatic): the people acted against and chat admins see `actorRole`.',
    ),
  targetType: z.enum(ACTION_TARGET_TYPES),
  targetId: id,
  chatId: id.optional(),
  reason: z.string(),
  caseId: id.optional(),
  durationSec: z.number().optional(),
  until: timestamp.optional(),
  count: z.number().optional().describe('A purge: how many messages its scope held when it started.'),
  createdAt: timestamp,
});
/** A moderation action's background work (a purge) and how far it got. */
export const jobView = z.object({
  id,
  kind: z.enum(JOB_KINDS),
  actionId: id,
  status: z
    .enum(JOB_STATUSES)
    .describe('`running` until every batch is done (`done`) or one failed for good (`failed`)'),
  total: z.number().describe('messages in scope when it started'),
  done: z.number().describe('messages hidden (or, restoring, shown again) so far'),
  failures: z.array(z.object({ at: timestamp, error: z.string(), count: z.number() })),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
});
const suspension = z.object({ until: timestamp.nullable(), reason: z.string() });
export const caseTarget = z.union([
  z.object({ type: z.literal('message'), message: messageView, deletedAt: timestamp.nullable() }),
  z.object({ type: z.literal('user'), user: userView, suspended: suspension.nullable() }),
  z.object({ type: z.literal('chat'), chat: chatView }),
  z.null(),
]);

// Due process: statements of reasons, notes and appeals.
export const noticeView = z.object({
  id,
  actionId: id,
  actionType: z.enum(ACTION_TYPES),
  actorRole: z.enum(ACTOR_ROLES).describe("The level that acted, never a moderator's id."),
  targetType: z.enum(ACTION_TARGET_TYPES),
  targetId: id,
  chatId: id.optional(),
  reason: z.string(),
  reasonCategory: z
    .enum(REPORT_REASONS)
    .nullable()
    .describe('The gravest reason reported, when the action decided a case.'),
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
  appellantId: id.optional().describe('Platform moderators only.'),
  action: actionView
    .optional()
    .describe('In `mod:appeals` and `mod:appeal-get`: the action appealed, with who took it.'),
});

// What only HTTP routes answer: a session, the operators' and admins' views, my data.
export const session = z.object({ user: userView, token: z.string() });
export const limiterView = z.object({
  name: z.string(),
  points: z.number(),
  durationSec: z.number().describe('Counting window; 0 for slow_mode, whose window each chat sets.'),
  blockDurationSec: z.number().optional(),
  refusals: z.number().describe('Refusals since this process started.'),
  blocked: z
    .array(z.object({ key: z.string(), msLeft: z.number() }))
    .describe('Keys that would be refused right now, longest wait first.'),
});
export const accessEntryView = z.object({
  id,
  actorId: id,
  what: z.enum(ACCESS_KINDS),
  targetId: id,
  chatId: id.nullable(),
  at: timestamp,
});
const counts = z.record(z.string(), z.number());
export const transparencyReport = z.object({
  from: timestamp,
  to: timestamp,
  reports: z.object({
    total: z.number(),
    byReason: counts,
    byTargetType: counts,
    byTrustedFlaggers: z.number().describe('Of `total`, those filed by trusted flaggers (DSA Art. 22).'),
  }),
  actions: z.object({
    total: z.number(),
    byType: counts,
    bySource: z.object({ automatic: z.number(), platform_moderator: z.number(), chat_admin: z.number() }),
  }),
  timeToAction: z
    .object({ cases: z.number(), medianSec: z.number().nullable(), p90Sec: z.number().nullable() })
    .describe("From a case's first report to its first action, for cases first acted on in the period."),
  appeals: z.object({ filed: z.number(), upheld: z.number(), reversed: z.number() }),
  statements: z
    .object({ total: z.number(), byCategory: counts, byGround: counts, fullyAutomated: z.number() })
    .describe('The statements of reasons of the period: one per restricting action above.'),
  legalRequests: z
    .object({
      total: z.number(),
      byCountry: counts,
      byInstrument: counts,
      byOutcome: counts.describe('complied, partial, rejected, no_data, and pending for those not closed'),
      accountsSpecified: z.number(),
      accountsDisclosed: z.number(),
      accountsNotified: z.number(),
      bulk: z.number(),
      medianHoursToFirstReview: z.number().nullable(),
      medianHoursToDisclosure: z.number().nullable(),
    })
    .describe('Requests from authorities received in the period (DSA Art. 15(1)(a)).'),
});
/** A statement of reasons in the EU DSA transparency database's fields (handlers/statements.ts). */
/** A sealed evidence record: `canonical` is exactly the text whose SHA-256 is `sha256`. */
export const evidenceRecord = z.object({
  id,
  actionId: id,
  kind: z.enum(['message', 'chat']),
  targetId: id,
  chatId: id,
  sealedAt: timestamp,
  heldUntil: timestamp.nullable(),
  sha256: z.string().describe('hex SHA-256 of the UTF-8 bytes of `canonical`'),
  canonical: z.string().describe('JSON, object keys sorted, no whitespace, dates ISO 8601, ids hex'),
  content: z.unknown().describe('`canonical`, parsed'),
});
export const evidencePackage = z.object({
  actionId: id,
  packagedAt: timestamp,
  canonicalization: z.string(),
  manifest: z.array(z.object({ id, sha256: z.string() })),
  records: z.array(evidenceRecord),
  custody: z.array(z.object({ id, reads: z.array(z.object({ actorId: id, at: timestamp })) })),
});

export const statement = z.record(z.string(), z.union([z.string(), z.array(z.string()), z.null()]));
export const accountExport = z.object({
  exportedAt: timestamp,
  account: userView.extend({ suspended: suspension.nullable() }),
  memberships: z.array(membershipView),
  messages: z
    .array(messageView.omit({ hidden: true }).extend({ deletedAt: timestamp.nullable(), hidden: z.boolean() }))
    .describe('My own words, hidden or deleted ones included.'),
  reports: z.array(reportView),
  notices: z.array(noticeView),
  appeals: z.array(appealView),
});

const removal = z.object({ chatId: id, messageId: id, seq: z.number() });
const member = z.object({ chatId: id, userId: id });
const sanction = z.object({ chatId: id, userId: id, until: timestamp.nullable() });
const aboutMessage = z.object({ message: messageView });
const aboutAppeal = z.object({ appeal: appealView });

/** Every server event's payload; handlers/contract/protocol.ts derives `ServerToClientEvents` from it. */
export const serverEvents = {
  'message:new': aboutMessage,
  'message:hidden': removal,
  'message:unhidden': aboutMessage,
  /** A purge: one per chat and batch (at most 500 ids), instead of one `message:hidden` per message. */
  'messages:hidden': z.object({ chatId: id, messageIds: z.array(id), seqs: z.array(z.number()) }),
  /** A purge undone: the messages are back, one event per chat and batch. */
  'messages:unhidden': z.object({ chatId: id, messages: z.array(messageView) }),
  'message:deleted': removal,
  'message:edited': aboutMessage,
  /** To my own sockets: I read a chat up to `seq` (elsewhere). */
  'chat:read': z.object({ chatId: id, seq: z.number() }),
  /** To the members of the person's chats, and to the person: a profile changed. */
  'user:updated': z.object({ user: publicUserView }),
  /**
   * Groups only; ephemeral: show it for about 5 s unless it comes again. In a large group (above
   * LARGE_GROUP_MEMBERS) it comes at most once per TYPING_INTERVAL, `userIds` naming up to 3 typists.
   */
  typing: member.extend({
    userIds: z.array(id).optional().describe('in a large group only: up to 3 typists, `userId` first'),
  }),
  /** Groups only; in a large group (above LARGE_GROUP_MEMBERS) to its owner and admins only. */
  'member:joined': member,
  'member:left': member,
  /** A large group's member count, at most once per MEMBER_COUNT_INTERVAL and only when it changed (its members no longer hear each join). */
  'chat:members': z.object({ chatId: id, memberCount: z.number() }),
  /** To every connected member: the chat was closed, is read-only and unlisted; their sockets leave its room. */
  'chat:closed': z.object({ chatId: id, notice: closedNotice }),
  /** To its members again: a closed chat was reopened. */
  'chat:reopened': z.object({ chatId: id }),
  'member:banned': sanction,
  'member:muted': sanction,
  'chat:removed': z.object({ chatId: id, reason: z.string() }),
  'account:suspended': z.object({ reason: z.string(), until: timestamp.nullable() }),
  'report:new': z.object({ case: caseView }),
  'mod:action': z.object({ action: actionView }),
  /** To platform moderators and the chat's admins: too many joins, joins wait for approval or `until`. */
  'chat:raid': z.object({ chatId: id, joins: z.number(), until: timestamp }),
  'report:resolved': z.object({ reportId: id, caseId: id, outcome: z.enum(['actioned', 'dismissed']) }),
  /** The statement of reasons, live; the same `notice` is stored and listed by `notices:list`. */
  'moderation:notice': z.object({ action: actionView, notice: noticeView }),
  // Due process.
  /** On connection, when I have unread statements of reasons: all of them (up to 100), oldest first. */
  'notices:unread': z.object({ notices: z.array(noticeView) }),
  /** To the appellant: their appeal was decided. */
  'appeal:decided': aboutAppeal,
  /**
   * To platform moderators, in their `mod:appeals` view, when an appeal is filed and when it is decided;
   * never to the one who took the action appealed, nor to the appellant.
   */
  'mod:appeal': aboutAppeal,
  /** Sent before a graceful shutdown closes the socket; reconnect to another node or later. */
  'server:shutdown': z.object({ reason: z.string() }),
  /**
   * Sent just before the server closes this socket for a reason the client must act on:
   * `rate_limited` when it kept sending past its event budget; reconnect after `retryAfterMs`.
   */
  'connection:closed': z.object({ code: z.literal('rate_limited'), message: z.string(), retryAfterMs: z.number() }),
};

// Requests from authorities (handlers/legal-requests.ts): platform admins only.
export const legalRequestView = z.object({
  id,
  authority: z.object({ name: z.string(), country: z.string(), kind: z.enum(AUTHORITY_KINDS) }),
  instrument: z.enum(LEGAL_INSTRUMENTS),
  legalBasis: z.string(),
  reference: z.string().describe("the authority's own reference"),
  receivedAt: timestamp,
  deadline: timestamp.nullable(),
  targets: z.array(z.object({ type: z.enum(TARGET_TYPES), id })),
  dataRequested: z.array(z.enum(DATA_CATEGORIES)),
  gagUntil: timestamp.nullable(),
  preserve: z.boolean(),
  heldUntil: timestamp.nullable().describe('the targets are kept from the retention sweep until then'),
  holdExtended: z.boolean().describe('the hold was extended once already'),
  bulk: z.boolean().describe('more than LEGAL_BULK_TARGETS accounts, or a chat’s members: a third approval'),
  approvalsNeeded: z.number(),
  approvals: z.number(),
  status: z.enum(LEGAL_STATUSES),
  overdue: z.boolean().describe('an emergency whose second review is past its 72 hours'),
  gagLapsed: z.boolean().describe('the gag has passed and the people concerned are not told yet'),
  notifiedAt: timestamp.nullable(),
  reviews: z.array(
    z.object({
      reviewerId: id,
      verdict: z.enum(REVIEW_VERDICTS),
      legalCheck: z.string(),
      reason: z.string(),
      rejectionGround: z.enum(REJECTION_GROUNDS).nullable(),
      at: timestamp,
    }),
  ),
  disclosure: z
    .object({ at: timestamp, sha256: z.string(), categories: z.array(z.enum(DATA_CATEGORIES)), accounts: z.number() })
    .nullable(),
  history: z.array(z.object({ at: timestamp, by: z.string(), what: z.string() })),
  createdAt: timestamp,
});
const disclosurePart = z.object({
  target: z.string().describe('`type:id`'),
  category: z.enum(DATA_CATEGORIES),
  records: z.array(z.unknown()),
  truncated: z.literal(true).optional(),
});
export const disclosurePackage = z.object({
  requestId: id,
  reference: z.string(),
  authority: z.object({ name: z.string(), country: z.string(), kind: z.string() }),
  instrument: z.string(),
  producedAt: timestamp,
  canonicalization: z.string(),
  note: z.string().describe('what Stoa never stores'),
  manifest: z.array(
    z.object({
      target: z.string(),
      category: z.enum(DATA_CATEGORIES),
      records: z.number(),
      sha256: z.string().describe('of the part, as canonical JSON'),
      truncated: z.literal(true).optional(),
    }),
  ),
  parts: z.array(disclosurePart),
});

/** `GET /api/data-inventory` (handlers/data-inventory.ts). */
export const dataInventory = z.object({
  notStored: z.array(z.string()).describe('what Stoa never stores'),
  fields: z.array(
    z.object({
      collection: z.string(),
      field: z.string(),
      category: z.enum(DATA_CATEGORIES),
      retention: z.string(),
      readableBy: z.array(z.string()),
    }),
  ),
  technical: z.record(z.string(), z.array(z.string())).describe('fields about no one, by collection'),
});

/** An automatic filter (handlers/filters.ts). */
export const ruleView = z.object({
  id,
  chatId: id.nullable().describe('null for a platform rule'),
  name: z.string(),
  trigger: ruleTrigger,
  action: z.object({
    type: z.enum(FILTER_ACTIONS),
    durationSec: z.number().nullable(),
    note: z.string().nullable(),
    reason: z.enum(REPORT_REASONS),
  }),
  mode: z.enum(FILTER_MODES),
  exemptRoles: z.array(z.enum(FILTER_EXEMPT_ROLES)),
  createdAt: timestamp,
  updatedAt: timestamp,
  stats: z
    .object({
      hits: z.number(),
      shadowHits: z.number(),
      actioned: z.number().describe('its cases that moderators actioned'),
      dismissed: z.number().describe('its cases that moderators dismissed'),
      upheld: z.number().describe('appeals of its actions upheld'),
      reversed: z.number().describe('appeals of its actions reversed'),
      precision: z.number().nullable().describe('(actioned + upheld) / all four; null before any decision'),
    })
    .optional()
    .describe('In `mod:rules` only.'),
});
export const ruleHitView = z.object({
  id,
  ruleId: id,
  chatId: id,
  senderId: id,
  messageId: id.nullable().describe('null when nothing was stored (a block, a mute, or in shadow)'),
  excerpt: z.string().describe('the first 200 characters of the message'),
  action: z.enum(FILTER_ACTIONS),
  mode: z.enum(FILTER_MODES),
  caseId: id.nullable(),
  actionId: id.nullable(),
  at: timestamp,
});
