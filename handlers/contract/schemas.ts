/**
 * Input schemas (zod) for every client request, on both transports: the contract.
 * The input types of handlers/protocol.ts are inferred from them, and the API
 * documents are generated from them. Whatever fails here is answered with
 * `invalid_input` before any handler runs.
 */
import { z } from 'zod';

import {
  APPEAL_OUTCOMES,
  APPEAL_STATUSES,
  AUTHORITY_KINDS,
  DATA_CATEGORIES,
  LEGAL_INSTRUMENTS,
  LEGAL_STATUSES,
  REJECTION_GROUNDS,
  REVIEW_VERDICTS,
  CASE_STATUSES,
  CHAT_ROLES,
  CHAT_TYPES,
  CHAT_VISIBILITIES,
  FILTER_ACTIONS,
  FILTER_EXEMPT_ROLES,
  FILTER_MODES,
  PLATFORM_ROLES,
  REPORT_REASONS,
  TARGET_TYPES,
} from '../../models/vocabulary';

const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

/** Any case is accepted; names are stored and compared in lower case. */
export const username = z.string().regex(/^[A-Za-z0-9_]{3,32}$/, 'must be 3-32 letters, digits or _');
export const password = z
  .string()
  .refine((value) => byteLength(value) >= 8 && byteLength(value) <= 72, 'must be 8-72 bytes');
export const objectId = z.string().regex(/^[0-9a-f]{24}$/i, 'must be an id');

/**
 * Characters that let a name pass for another or reorder the text around it: controls, bidi
 * overrides and isolates, zero-width characters. `newlines` allows line breaks (descriptions).
 */
const DECEPTIVE = /[\p{Cc}\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/u;
/** The same, but a line feed passes. */
const DECEPTIVE_EXCEPT_NEWLINES = /(?!\n)[\p{Cc}\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/u;
const plainText = (schema: z.ZodString, options: { newlines?: boolean } = {}) =>
  schema.refine(
    (value) => !(options.newlines ? DECEPTIVE_EXCEPT_NEWLINES : DECEPTIVE).test(value),
    'must not contain control, bidirectional or zero-width characters',
  );
/** With the u flag a well-formed pair is one code point, so this matches only a lone surrogate. */
const LONE_SURROGATE = /\p{Cs}/u;

const displayName = plainText(z.string().trim().min(1).max(64));

export const registerInput = z.object({ username, password, displayName: displayName.optional() });
/** `PATCH /api/me`: the same rules as at registration. */
export const profileUpdateInput = z.object({ displayName });
export const MAX_USERS_PER_REQUEST = 100;
export const usersGetInput = z.object({ ids: z.array(objectId).min(1).max(MAX_USERS_PER_REQUEST) });
export const userIdInput = z.object({ userId: objectId });
export const loginInput = z.object({ username, password });
export const setRoleInput = z.object({ userId: objectId, role: z.enum(PLATFORM_ROLES) });

/** `{}` for events that take no fields; a missing payload counts as `{}`. */
export const emptyInput = z
  .object({})
  .optional()
  .transform(() => ({}));

const title = plainText(z.string().trim().min(1).max(128));
const description = plainText(z.string().trim().max(1000), { newlines: true });
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const chatCreateInput = z.object({
  type: z.enum(CHAT_TYPES),
  title,
  description: description.optional(),
  visibility: z.enum(CHAT_VISIBILITIES).optional(),
});
export const chatJoinInput = z.union([
  z.object({ chatId: objectId }).strict(),
  z.object({ inviteCode: z.string().min(1).max(64) }).strict(),
]);
export const chatIdInput = z.object({ chatId: objectId });
const pageLimit = z.number().int().min(1).max(100);
/** `{}` (or nothing) is the first page; `before` is the last chat id of the page before. */
export const chatListInput = z
  .object({ before: objectId.optional(), limit: pageLimit.optional() })
  .optional()
  .transform((input) => input ?? {});
export const chatReadInput = z.object({ chatId: objectId, seq: seq.min(1) });
export const messageReadsInput = z.object({ chatId: objectId, seq: seq.min(1) });
export const chatSearchInput = z.object({
  q: plainText(z.string().trim().min(1).max(128)),
  limit: pageLimit.optional(),
  before: objectId.optional(),
});
export const chatUpdateInput = z.object({
  chatId: objectId,
  title: title.optional(),
  description: description.optional(),
  slowModeSec: z.number().int().min(0).max(86_400).optional(),
});
export const chatPromoteInput = z.object({ chatId: objectId, userId: objectId, role: z.enum(CHAT_ROLES) });

/** A history page: `limit` messages at most, this many when not given. */
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;

export const MAX_MESSAGE_CHARS = 4000;
// Counted in characters (code points), after trimming.
const messageText = z
  .string()
  .trim()
  .refine((text) => text.length > 0, 'must not be empty')
  .refine((text) => [...text].length <= MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`)
  // A lone surrogate is not text: storage would turn it into U+FFFD and history would differ from the ack.
  .refine((text) => !LONE_SURROGATE.test(text), 'must be valid Unicode (no unpaired surrogates)');
export const messageSendInput = z.object({
  chatId: objectId,
  text: messageText,
  clientMsgId: z.string().min(1).max(64),
});
export const messageEditInput = z.object({ messageId: objectId, text: messageText });
const oneDirection = (input: { before?: number | undefined; after?: number | undefined }) =>
  input.before === undefined || input.after === undefined;
export const messageHistoryInput = z
  .object({
    chatId: objectId,
    before: seq.optional(),
    after: seq.optional(),
    limit: z.number().int().min(1).max(HISTORY_MAX_LIMIT).optional(),
  })
  .refine(oneDirection, 'give before or after, not both');
/** HTTP query strings carry numbers as text; the chat comes from the path. */
export const messageHistoryQuery = z
  .object({
    chatId: objectId,
    before: z.coerce.number().int().min(0).optional(),
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(HISTORY_MAX_LIMIT).optional(),
  })
  .refine(oneDirection, 'give before or after, not both');
export const messageIdInput = z.object({ messageId: objectId });

const reason = z.string().trim().min(1).max(500);
const durationSec = z
  .number()
  .int()
  .min(1)
  .max(10 * 365 * 86_400);
const limit = z.number().int().min(1).max(100);

export const reportCreateInput = z.object({
  targetType: z.enum(TARGET_TYPES),
  targetId: objectId,
  reason: z.enum(REPORT_REASONS),
  comment: z.string().trim().max(1000).optional(),
});
export const caseListInput = z.object({
  status: z.enum(CASE_STATUSES).optional(),
  chatId: objectId.optional(),
  limit: limit.optional(),
});
export const caseIdInput = z.object({ caseId: objectId });
export const hideInput = z.object({ messageId: objectId, reason, caseId: objectId.optional() });
export const banInput = z.object({
  userId: objectId,
  chatId: objectId.optional(),
  durationSec: durationSec.optional(),
  reason,
  caseId: objectId.optional(),
});
export const unbanInput = z.object({ userId: objectId, chatId: objectId.optional(), reason });
/** No `durationSec`: muted until `mod:unmute`. */
export const muteInput = z.object({
  userId: objectId,
  chatId: objectId,
  durationSec: durationSec.optional(),
  reason,
  caseId: objectId.optional(),
});
export const unmuteInput = z.object({ userId: objectId, chatId: objectId, reason });
export const dismissInput = z.object({ caseId: objectId, reason });
export const logInput = z.object({
  targetId: objectId.optional(),
  actorId: z.union([objectId, z.literal('system')]).optional(),
  before: z.iso.datetime().optional(),
  limit: limit.optional(),
});

/** A whole chat taken down: `category` is the ground, one of the report reasons. */
export const chatCloseInput = z.object({
  chatId: objectId,
  reason,
  category: z.enum(REPORT_REASONS),
  caseId: objectId.optional(),
});
export const chatReopenInput = z.object({ chatId: objectId, reason });

/**
 * Someone's messages hidden at once: in one chat (its admins may) or everywhere (platform
 * moderators), sent between `since` and `until` (ISO dates; default: all of them up to now).
 */
export const purgeInput = z
  .object({
    userId: objectId,
    chatId: objectId.optional(),
    since: z.iso.datetime().optional(),
    until: z.iso.datetime().optional(),
    reason,
    dryRun: z.boolean().optional(),
    caseId: objectId.optional(),
  })
  .refine((p) => p.since === undefined || p.until === undefined || p.since < p.until, {
    message: 'until must come after since',
    path: ['until'],
  });
export const jobIdInput = z.object({ jobId: objectId });

/** `POST /api/moderation/actions {type, ...}`: the socket event's input under its action type. */
export const moderationActionInput = z.discriminatedUnion('type', [
  hideInput.extend({ type: z.literal('hide') }),
  hideInput.extend({ type: z.literal('unhide') }),
  banInput.extend({ type: z.literal('ban') }),
  unbanInput.extend({ type: z.literal('unban') }),
  muteInput.extend({ type: z.literal('mute') }),
  unmuteInput.extend({ type: z.literal('unmute') }),
  dismissInput.extend({ type: z.literal('dismiss') }),
  chatCloseInput.extend({ type: z.literal('close_chat') }),
  chatReopenInput.extend({ type: z.literal('reopen_chat') }),
  purgeInput.extend({ type: z.literal('purge_messages') }),
]);
export type ModerationActionInput = z.output<typeof moderationActionInput>;
/** HTTP query strings carry numbers as text. */
export const caseListQuery = caseListInput.extend({ limit: z.coerce.number().int().min(1).max(100).optional() });
export const logQuery = logInput.extend({ limit: z.coerce.number().int().min(1).max(100).optional() });

// Due process (docs/ARCHITECTURE.md §9): statements of reasons, my reports, appeals, transparency, audited access.
/** `{}` (or nothing) is the newest page; `before` is the last id of the page before. */
export const noticeListInput = z
  .object({ unreadOnly: z.boolean().optional(), before: objectId.optional(), limit: limit.optional() })
  .optional()
  .transform((input) => input ?? {});
const queryFlag = z.enum(['true', 'false']).transform((value) => value === 'true');
const queryLimit = z.coerce.number().int().min(1).max(100).optional();
export const noticeListQuery = z.object({
  unreadOnly: queryFlag.optional(),
  before: objectId.optional(),
  limit: queryLimit,
});
export const noticeReadInput = z.object({ ids: z.array(objectId).min(1).max(100) });
export const myReportsInput = z
  .object({ before: objectId.optional(), limit: limit.optional() })
  .optional()
  .transform((input) => input ?? {});
export const myReportsQuery = z.object({ before: objectId.optional(), limit: queryLimit });
export const noteAddInput = z.object({
  userId: objectId,
  text: plainText(z.string().trim().min(1).max(2000), { newlines: true }),
});
export const appealCreateInput = z.object({
  actionId: objectId,
  text: plainText(z.string().trim().min(1).max(2000), { newlines: true }),
});
export const appealListInput = z.object({ status: z.enum(APPEAL_STATUSES).optional(), limit: limit.optional() });
export const appealListQuery = appealListInput.extend({ limit: queryLimit });
export const appealIdInput = z.object({ appealId: objectId });
export const appealDecideInput = z.object({ appealId: objectId, outcome: z.enum(APPEAL_OUTCOMES), reason });
/** A published report covers at most a year (366 days, for leap years); both ends default (the last 30 days). */
export const MAX_TRANSPARENCY_RANGE_MS = 366 * 86_400_000;
export const transparencyQuery = z
  .object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), 'from must come before to')
  .refine(
    (q) => !q.from || !q.to || Date.parse(q.to) - Date.parse(q.from) <= MAX_TRANSPARENCY_RANGE_MS,
    'the range may be at most a year',
  );
export const evidenceQuery = z.object({ actionId: objectId });
export const accessLogQuery = z.object({
  actorId: objectId.optional(),
  before: z.iso.datetime().optional(),
  limit: queryLimit,
});
/** `mod:context`: the messages around the one a case is about. */
export const caseContextInput = z.object({ caseId: objectId });

// Requests from authorities (platform admins).
const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/** Region codes that are not ISO 3166-1 alpha-2 countries, though Intl knows them. */
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'ZZ', 'QO', 'UK', 'XA', 'XB']);
export const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code, in capitals')
  .refine((code) => !NOT_COUNTRIES.has(code) && regions.of(code) !== undefined, 'no such country');
const ledgerText = (max: number) => plainText(z.string().trim().min(1).max(max), { newlines: true });
export const legalRequestInput = z
  .object({
    authority: z.object({ name: ledgerText(200), country: countryCode, kind: z.enum(AUTHORITY_KINDS) }),
    instrument: z.enum(LEGAL_INSTRUMENTS),
    legalBasis: ledgerText(2000),
    reference: ledgerText(200),
    receivedAt: z.iso.datetime(),
    deadline: z.iso.datetime().optional(),
    targets: z
      .array(z.object({ type: z.enum(TARGET_TYPES), id: objectId }))
      .min(1)
      .max(1000),
    dataRequested: z.array(z.enum(DATA_CATEGORIES)).max(DATA_CATEGORIES.length),
    gagUntil: z.iso.datetime().optional(),
    preserve: z.boolean().optional(),
  })
  .refine((r) => r.instrument === 'preservation' || r.dataRequested.length > 0, {
    message: 'say which data is requested',
    path: ['dataRequested'],
  })
  .refine((r) => new Set(r.dataRequested).size === r.dataRequested.length, {
    message: 'each category once',
    path: ['dataRequested'],
  });
export const legalListInput = z.object({
  status: z.enum(LEGAL_STATUSES).optional(),
  before: objectId.optional(),
  limit: queryLimit,
});
export const legalRequestIdInput = z.object({ requestId: objectId });
export const legalReviewInput = z.object({
  requestId: objectId,
  verdict: z.enum(REVIEW_VERDICTS),
  legalCheck: ledgerText(2000),
  reason: ledgerText(2000),
  rejectionGround: z.enum(REJECTION_GROUNDS).optional(),
});

// Automatic filters and raid protection (handlers/filters.ts).
/** Words and patterns are checked further by the handler (keywords' wildcards, RE2's syntax): `invalid_input` either way. */
const filterEntry = z.string().trim().min(1).max(260, 'must be at most 260 characters');
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'must be a domain such as example.com');
export const ruleTrigger = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('keyword'), words: z.array(filterEntry).min(1).max(1000) })
    .describe('whole words or phrases; `*` at the start or end of a word matches any ending or beginning'),
  z.object({ type: z.literal('regex'), patterns: z.array(filterEntry).min(1).max(100) }).describe('RE2 syntax'),
  z
    .object({
      type: z.literal('links'),
      allow: z.array(domain).max(500).optional(),
      deny: z.array(domain).max(500).optional(),
    })
    .describe('any link; with `deny` links to those domains; with `allow` links to any other domain'),
  z
    .object({ type: z.literal('mentions'), max: z.number().int().min(0).max(1000) })
    .describe('more than `max` @mentions'),
  z
    .object({ type: z.literal('new_account'), minAgeSec: durationSec, links: z.literal(false) })
    .describe('a link from an account younger than `minAgeSec`'),
]);
export const ruleAction = z
  .object({
    type: z.enum(FILTER_ACTIONS),
    durationSec: durationSec.optional().describe("a mute's length (required for `mute`)"),
    note: plainText(z.string().trim().min(1).max(280)).optional().describe('what the author is told'),
    reason: z.enum(REPORT_REASONS).optional().describe('the report reason of its cases and statements (default spam)'),
  })
  .refine((a) => a.type !== 'mute' || a.durationSec !== undefined, 'a mute needs durationSec');
const ruleName = plainText(z.string().trim().min(1).max(100));
export const ruleCreateInput = z.object({
  chatId: objectId.optional().describe("a chat's rule (its owner and admins); without it a platform rule"),
  name: ruleName,
  trigger: ruleTrigger,
  action: ruleAction,
  mode: z.enum(FILTER_MODES).optional().describe('default `shadow`: record only'),
  exemptRoles: z.array(z.enum(FILTER_EXEMPT_ROLES)).max(FILTER_EXEMPT_ROLES.length).optional(),
});
export const ruleUpdateInput = z.object({
  ruleId: objectId,
  name: ruleName.optional(),
  trigger: ruleTrigger.optional(),
  action: ruleAction.optional(),
  mode: z.enum(FILTER_MODES).optional(),
  exemptRoles: z.array(z.enum(FILTER_EXEMPT_ROLES)).max(FILTER_EXEMPT_ROLES.length).optional(),
});
export const ruleIdInput = z.object({ ruleId: objectId });
export const ruleListInput = z.object({ chatId: objectId.optional() });
export const ruleHitsInput = z.object({ ruleId: objectId, limit: limit.optional() });
export const raidSettingsInput = z.object({
  chatId: objectId,
  joins: z.number().int().min(2).max(1_000_000).nullable().optional().describe('null: RAID_JOINS'),
  windowSec: z.number().int().min(1).max(86_400).nullable().optional().describe('null: RAID_WINDOW'),
});
export const raidApproveInput = z.object({ chatId: objectId, userId: objectId });
