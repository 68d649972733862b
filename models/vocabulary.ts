/**
 * Every enumerated value of the contract, once: the models store them, the input
 * schemas accept them, and the wire types and API documents are derived from them.
 */
export const PLATFORM_ROLES = ['user', 'moderator', 'admin'] as const;
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
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
/** Who acted, as the people acted against see it: the level, never a platform moderator's id. */
export const ACTOR_ROLES = ['system', 'chat_admin', 'platform_moderator', 'platform_admin'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];
