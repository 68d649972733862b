/**
 * Every enumerated value of the contract, once: the models store them, the input
 * schemas accept them, and the wire types and API documents are derived from them.
 */
/** `trusted_flagger`: a user whose reports weigh more and are counted apart (DSA Art. 22); a user in everything else. */
export const PLATFORM_ROLES = ['user', 'trusted_flagger', 'moderator', 'admin'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

export const CHAT_TYPES = ['group', 'channel'] as const;
export type ChatType = (typeof CHAT_TYPES)[number];
export const CHAT_VISIBILITIES = ['public', 'private'] as const;
export type ChatVisibility = (typeof CHAT_VISIBILITIES)[number];
export const CHAT_ROLES = ['owner', 'admin', 'member'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];
export const MEMBERSHIP_STATUSES = ['active', 'left', 'banned'] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];

export const REPORT_REASONS = [
  'spam',
  'scam',
  'violence',
  'child_abuse',
  'illegal_goods',
  'sexual_content',
  'non_consensual_imagery',
  'hate',
  'harassment',
  'terrorism',
  'personal_data',
  'copyright',
  'other',
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
export const TARGET_TYPES = ['message', 'user', 'chat'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];
export const CASE_STATUSES = ['open', 'actioned', 'dismissed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const ACTION_TYPES = [
  'hide_message',
  'unhide_message',
  'ban_member',
  'unban_member',
  'mute_member',
  'unmute_member',
  'suspend_account',
  'unsuspend_account',
  'dismiss_case',
  /** Steps against a reporter whose reports are dismissed again and again (DSA Art. 23): a warning, then a restriction. */
  'warn_reporter',
  'restrict_reporter',
  'unrestrict_reporter',
  /** An appeal upheld or reversed; a reversal also writes the lifting action it takes. */
  'decide_appeal',
  /** A whole chat taken down (read-only and unlisted), and undone. */
  'close_chat',
  'reopen_chat',
  /** A person's messages hidden in bulk (in one chat or everywhere, within a time window), and restored. */
  'purge_messages',
  'restore_messages',
  /** Data handed to an authority under a reviewed request (a notice's type; the ledger keeps the record). */
  'disclose_data',
  /** Automatic filters (handlers/filters.ts): a send held for review, an author muted by a rule. */
  'hold_message',
  'auto_mute_member',
  /** A filter rule created, changed or deleted. */
  'create_rule',
  'update_rule',
  'delete_rule',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
/** Who acted, as the people acted against see it: the level, never a platform moderator's id. */
export const ACTOR_ROLES = ['system', 'chat_admin', 'platform_moderator', 'platform_admin'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

/** What an audit entry is about: a reported target, a case (a dismissal), or an appeal (its decision). */
export const ACTION_TARGET_TYPES = [...TARGET_TYPES, 'case', 'appeal', 'rule'] as const;
export type ActionTargetType = (typeof ACTION_TARGET_TYPES)[number];

export const APPEAL_STATUSES = ['open', 'upheld', 'reversed'] as const;
export type AppealStatus = (typeof APPEAL_STATUSES)[number];
export const APPEAL_OUTCOMES = ['upheld', 'reversed'] as const;
export type AppealOutcome = (typeof APPEAL_OUTCOMES)[number];

/** What a platform moderator read that members could not: each read is an access-log entry. */
export const ACCESS_KINDS = [
  'hidden_messages',
  'private_history',
  'case_evidence',
  'user_notes',
  'appeal_target',
  /** A sealed evidence record or its package (chain of custody). */
  'sealed_evidence',
  /** A closed chat's history, read by a platform moderator. */
  'closed_chat',
  /** The messages around a reported one (`mod:context`). */
  'case_context',
  /** A legal request's disclosure package, read by a platform admin. */
  'legal_disclosure',
] as const;
export type AccessKind = (typeof ACCESS_KINDS)[number];

/** Background work of a moderation action: a purge, and the restoring of a purge undone on appeal. */
export const JOB_KINDS = ['purge', 'restore'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_STATUSES = ['running', 'done', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

// Requests from authorities (handlers/legal-requests.ts).
export const AUTHORITY_KINDS = ['police', 'prosecutor', 'court', 'regulator', 'other'] as const;
export type AuthorityKind = (typeof AUTHORITY_KINDS)[number];
/**
 * Under what a request comes: DSA orders (Art. 9 against illegal content, Art. 10 for information),
 * e-Evidence production and preservation orders, national instruments, an emergency, a request to
 * preserve, or an informal ask.
 */
export const LEGAL_INSTRUMENTS = [
  'dsa_art9',
  'dsa_art10',
  'epoc',
  'epoc_pr',
  'subpoena',
  'court_order',
  'warrant',
  'emergency',
  'preservation',
  'informal',
] as const;
export type LegalInstrument = (typeof LEGAL_INSTRUMENTS)[number];
/** What an authority may ask for: who someone is, what they said, when and where they were, what moderation did. */
export const DATA_CATEGORIES = ['subscriber', 'content', 'traffic', 'moderation'] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];
export const LEGAL_STATUSES = ['received', 'approved', 'rejected', 'complied', 'partial', 'no_data'] as const;
export type LegalStatus = (typeof LEGAL_STATUSES)[number];
export const REVIEW_VERDICTS = ['approve', 'reject'] as const;
export const REJECTION_GROUNDS = ['no_legal_basis', 'over_broad', 'wrong_jurisdiction', 'other'] as const;
export type RejectionGround = (typeof REJECTION_GROUNDS)[number];

// Automatic filters (handlers/filters.ts).
export const FILTER_TRIGGER_TYPES = ['keyword', 'regex', 'links', 'mentions', 'new_account'] as const;
export type FilterTriggerType = (typeof FILTER_TRIGGER_TYPES)[number];
/** What an enforced rule does: refuse the send, store it hidden for review, deliver it and open a case, or mute its author. */
export const FILTER_ACTIONS = ['block', 'hold', 'alert', 'mute'] as const;
export type FilterAction = (typeof FILTER_ACTIONS)[number];
/** `shadow` records what the rule would have done and does nothing else; `enforce` acts. */
export const FILTER_MODES = ['shadow', 'enforce'] as const;
export type FilterMode = (typeof FILTER_MODES)[number];
/** Whom a rule leaves alone. */
export const FILTER_EXEMPT_ROLES = ['chat_owner', 'chat_admin', 'trusted_flagger', 'platform_staff'] as const;
export type FilterExemptRole = (typeof FILTER_EXEMPT_ROLES)[number];
