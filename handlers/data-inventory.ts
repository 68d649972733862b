/**
 * What Stoa stores about people, said once: every field of every collection, generated from the
 * models, with its category (as an authority's request names them), how long it is kept, and who
 * can read it. A field the table below does not classify fails a test (test/data-inventory.test.ts),
 * so the inventory cannot fall behind the models.
 */
import { declaredFields } from './store/schema';
import type { DataCategory } from '../models/vocabulary';

/** Who reads a field, in words. */
const SELF = 'the account itself';
const MEMBERS = 'members of the chat';
const CHAT_ADMINS = 'the chat’s owner and admins';
const MODERATORS = 'platform moderators';
const ADMINS = 'platform admins';
const ANYONE = 'anyone who may see the chat';

/** How long a field is kept, in words. */
const ACCOUNT = 'as long as the account; anonymised when it is deleted';
const MESSAGES = 'as long as the chat: a deleted or hidden message keeps its place, without text for members';
const EVIDENCE = 'RETENTION_EVIDENCE_DAYS after the case closed, or after its action; longer under a preservation hold';
const AUDIT = 'the entry stays; its free text is redacted after RETENTION_AUDIT_DAYS';
const ACCESS = 'deleted after RETENTION_AUDIT_DAYS';
const LEDGER = 'as long as the ledger: a legal record';

interface Collection {
  category: DataCategory;
  retention: string;
  readableBy: string[];
  /** Personal fields with the collection's category, retention and readers. */
  personal: string[];
  /** Personal fields that differ from the collection's defaults. */
  fields?: Record<string, Partial<Pick<Collection, 'category' | 'retention' | 'readableBy'>>>;
  /** Fields about no one (counters, keys, technical state), listed so that nothing goes unclassified. */
  technical: string[];
}

const CLASSIFIED: Record<string, Collection> = {
  users: {
    personal: ['createdAt', 'deletedAt', 'role'],
    category: 'subscriber',
    retention: ACCOUNT,
    readableBy: [SELF, MODERATORS],
    technical: ['passwordHash', 'tokenVersion', 'deletionPending'],
    fields: {
      username: { readableBy: [SELF, 'people who share a chat with them', MODERATORS] },
      displayName: { readableBy: [SELF, 'people who share a chat with them', MODERATORS] },
      suspended: { category: 'moderation' },
      reportingRestricted: { category: 'moderation' },
    },
  },
  chats: {
    personal: ['title', 'description'],
    category: 'content',
    retention: 'as long as the chat',
    readableBy: [ANYONE],
    technical: [
      'slowModeSec',
      'inviteCode',
      'memberCount',
      'announcedCount',
      'announcedAt',
      'type',
      'visibility',
      'raidJoins',
      'raidWindowSec',
    ],
    fields: {
      ownerId: { category: 'subscriber' },
      createdAt: { category: 'traffic' },
      closed: { category: 'moderation' },
      /** Raid mode, with the accounts an admin let in meanwhile. */
      raid: { category: 'moderation' },
    },
  },
  memberships: {
    personal: ['chatId', 'userId', 'role', 'status', 'joinedAt', 'readSeq'],
    category: 'traffic',
    retention: 'as long as the chat; left rows stay, so a ban outlives leaving',
    readableBy: [SELF, CHAT_ADMINS, MODERATORS],
    technical: [],
    fields: {
      bannedUntil: { category: 'moderation' },
      bannedByRole: { category: 'moderation' },
      mutedUntil: { category: 'moderation' },
      mutedByRole: { category: 'moderation' },
    },
  },
  messages: {
    personal: ['text'],
    category: 'content',
    retention: MESSAGES,
    readableBy: [MEMBERS, MODERATORS],
    technical: ['seq', 'clientMsgId'],
    fields: {
      senderId: { category: 'traffic' },
      chatId: { category: 'traffic' },
      createdAt: { category: 'traffic' },
      editedAt: { category: 'traffic' },
      deletedAt: { category: 'traffic' },
      edits: { readableBy: [MODERATORS] },
      hidden: { category: 'moderation', readableBy: [MODERATORS] },
    },
  },
  reports: {
    personal: [
      'reporterId',
      'targetType',
      'targetId',
      'chatId',
      'reason',
      'status',
      'caseId',
      'createdAt',
      'resolvedAt',
      'resolvedBy',
    ],
    category: 'moderation',
    retention: EVIDENCE,
    readableBy: [MODERATORS, 'the reporter (their own reports, without evidence)'],
    technical: ['weight', 'trustedFlagger', 'evidenceRemovedAt'],
    fields: { evidence: { category: 'content' }, comment: { category: 'content' } },
  },
  moderationcases: {
    personal: [
      'targetType',
      'targetId',
      'chatId',
      'reportedUserId',
      'reasons',
      'status',
      'firstReportedAt',
      'lastReportedAt',
    ],
    category: 'moderation',
    retention: 'as long as the reports it groups',
    readableBy: [MODERATORS, CHAT_ADMINS],
    technical: ['reportCount', 'weight', 'trustedReports', 'priority'],
  },
  moderationactions: {
    personal: [
      'type',
      'actorId',
      'actorRole',
      'targetType',
      'targetId',
      'chatId',
      'reason',
      'caseId',
      'appealId',
      'until',
      'createdAt',
    ],
    category: 'moderation',
    retention: AUDIT,
    readableBy: [MODERATORS, `${CHAT_ADMINS} (their chats, without who acted)`],
    technical: ['dedupKey', 'durationSec', 'count'],
  },
  notices: {
    personal: [
      'userId',
      'actionId',
      'actionType',
      'targetType',
      'targetId',
      'chatId',
      'actorRole',
      'reason',
      'reasonCategory',
      'automatic',
      'until',
      'appealable',
      'appealDeadline',
      'createdAt',
    ],
    category: 'moderation',
    retention: 'until the account is deleted',
    readableBy: [SELF],
    technical: ['readAt'],
  },
  appeals: {
    personal: [
      'actionId',
      'appellantId',
      'actionType',
      'actionActorId',
      'chatId',
      'text',
      'status',
      'decidedBy',
      'decisionReason',
      'decidedAt',
      'decisionActionId',
      'reversalActionId',
      'createdAt',
    ],
    category: 'moderation',
    retention: AUDIT,
    readableBy: [SELF, MODERATORS],
    technical: [],
  },
  accesslog: {
    personal: ['actorId', 'what', 'targetId', 'chatId', 'at'],
    category: 'moderation',
    retention: ACCESS,
    readableBy: [ADMINS],
    technical: [],
  },
  statements: {
    personal: ['actionId', 'createdAt', 'statement'],
    category: 'moderation',
    retention: `published without personal data; ${AUDIT}`,
    readableBy: [ADMINS],
    technical: [],
  },
  usernotes: {
    personal: ['userId', 'authorId', 'text', 'createdAt'],
    category: 'moderation',
    retention: 'as long as the account',
    readableBy: [MODERATORS],
    technical: [],
  },
  evidence: {
    personal: ['targetId', 'chatId', 'authorId', 'canonical'],
    category: 'content',
    retention: EVIDENCE,
    readableBy: [MODERATORS],
    technical: ['sha256', 'kind', 'heldUntil'],
    fields: { actionId: { category: 'moderation' }, sealedAt: { category: 'moderation' } },
  },
  jobs: {
    personal: ['actionId', 'actorId', 'userId', 'chatId', 'since', 'until', 'purgeActionId', 'startedAt', 'finishedAt'],
    category: 'moderation',
    retention: 'as long as the action it carries out',
    readableBy: [MODERATORS, 'the chat admin who started it'],
    technical: ['runningKey', 'status', 'total', 'done', 'failures', 'holder', 'leaseUntil', 'kind', 'cursor'],
  },
  filterrules: {
    personal: ['chatId', 'createdBy', 'createdAt', 'updatedAt'],
    category: 'moderation',
    retention: 'until the rule is deleted',
    readableBy: [MODERATORS, CHAT_ADMINS],
    technical: ['name', 'trigger', 'action', 'mode', 'exemptRoles'],
  },
  rulehits: {
    personal: ['chatId', 'senderId', 'messageId', 'excerpt', 'at', 'caseId', 'actionId'],
    category: 'content',
    retention: 'until the rule is deleted',
    readableBy: [MODERATORS, CHAT_ADMINS],
    technical: ['ruleId', 'action', 'mode'],
  },
  legalrequests: {
    personal: [
      'authority',
      'instrument',
      'legalBasis',
      'reference',
      'receivedAt',
      'deadline',
      'targets',
      'dataRequested',
      'gagUntil',
      'preserve',
      'heldUntil',
      'reviews',
      'disclosure',
      'notifiedAt',
      'history',
      'recordedBy',
      'createdAt',
    ],
    category: 'moderation',
    retention: LEDGER,
    readableBy: [ADMINS],
    technical: ['bulk', 'approvalsNeeded', 'status', 'holdExtended', 'notifiedCount'],
  },
};

export interface InventoryField {
  collection: string;
  field: string;
  category: DataCategory;
  retention: string;
  readableBy: string[];
}

export interface DataInventory {
  /** What Stoa never stores. */
  notStored: string[];
  fields: InventoryField[];
  /** Fields about no one (counters, keys, technical state), by collection. */
  technical: Record<string, string[]>;
}

export const NOT_STORED = [
  'IP addresses (they appear only in logs and in rate-limit keys held in memory or Redis)',
  'device or browser data',
  'connection logs (when a socket connected or from where)',
  'e-mail addresses and phone numbers',
  'location',
  'contacts',
];

/** Each model's top-level fields, as its schema declares them. */
export const modelFields = declaredFields;

/** `GET /api/data-inventory`: every personal field, its category, retention and readers. */
export function dataInventory(): DataInventory {
  const fields: InventoryField[] = [];
  const technical: Record<string, string[]> = {};
  for (const { collection, fields: declared } of modelFields()) {
    const table = CLASSIFIED[collection];
    if (!table) continue;
    technical[collection] = declared.filter((f) => table.technical.includes(f));
    for (const field of declared) {
      if (!isPersonal(table, field)) continue;
      const own = table.fields?.[field] ?? {};
      fields.push({
        collection,
        field,
        category: own.category ?? table.category,
        retention: own.retention ?? table.retention,
        readableBy: own.readableBy ?? table.readableBy,
      });
    }
  }
  return { notStored: NOT_STORED, fields, technical };
}

const isPersonal = (table: Collection, field: string): boolean =>
  table.personal.includes(field) || table.fields?.[field] !== undefined;

/**
 * The models against the table: fields no entry classifies (a model gained a field), and entries
 * no model has any more. The test keeps both empty.
 */
export function inventoryGaps(): { unclassified: string[]; stale: string[] } {
  const declared = modelFields();
  const unclassified = declared.flatMap(({ collection, fields }) => {
    const table = CLASSIFIED[collection];
    return fields
      .filter((f) => !table || (!isPersonal(table, f) && !table.technical.includes(f)))
      .map((f) => `${collection}.${f}`);
  });
  const stale = Object.entries(CLASSIFIED).flatMap(([collection, table]) => {
    const has = new Set(declared.find((d) => d.collection === collection)?.fields ?? []);
    return [...table.personal, ...table.technical, ...Object.keys(table.fields ?? {})]
      .filter((f) => !has.has(f))
      .map((f) => `${collection}.${f}`);
  });
  return { unclassified, stale };
}
