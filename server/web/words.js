// What the server's codes mean, in plain words: report reasons, decisions, levels, refusals.
import { duration } from './dom.js';

/** Report reasons: grounds of illegal content first (as the server's takedown grounds), then the rules. */
export const ILLEGAL_REASONS = [
  ['child_abuse', 'Sexual abuse of a child'],
  ['terrorism', 'Terrorism or violent extremism'],
  ['non_consensual_imagery', 'Intimate images shared without consent, deepfakes included'],
  ['illegal_goods', 'Selling illegal goods, such as drugs or weapons'],
  ['scam', 'A scam or fraud'],
  ['copyright', 'Someone else’s work used without permission'],
];
export const RULE_REASONS = [
  ['violence', 'Violence or threats'],
  ['hate', 'Hate against a group of people'],
  ['harassment', 'Harassment or bullying'],
  ['sexual_content', 'Sexual content'],
  ['personal_data', 'Someone’s private information shared'],
  ['spam', 'Spam or unwanted advertising'],
  ['other', 'Something else'],
];
const REASON_LABEL = Object.fromEntries([...ILLEGAL_REASONS, ...RULE_REASONS]);
export const reasonLabel = (reason) => REASON_LABEL[reason] ?? reason;

const ACTION_WORDS = {
  hide_message: 'Your message was removed',
  unhide_message: 'Your message was restored',
  ban_member: 'You were banned from a chat',
  unban_member: 'Your ban from a chat was lifted',
  mute_member: 'You were muted in a chat',
  unmute_member: 'You may post in a chat again',
  suspend_account: 'Your account was suspended',
  unsuspend_account: 'Your account’s suspension was lifted',
  dismiss_case: 'A report was dismissed',
  warn_reporter: 'A warning about your reports',
  restrict_reporter: 'Your reports are restricted for a while',
  unrestrict_reporter: 'The restriction of your reports was lifted',
  decide_appeal: 'Your appeal was decided',
  close_chat: 'A chat you run was closed',
  reopen_chat: 'A chat you run was reopened',
  purge_messages: 'Your messages were removed',
  restore_messages: 'Your messages were restored',
  disclose_data: 'Your data was disclosed to an authority',
};
export const actionWords = (type) => ACTION_WORDS[type] ?? type.replace(/_/g, ' ');

const LEVEL_WORDS = {
  system: 'the automatic filter',
  chat_admin: 'an admin of the chat',
  platform_moderator: 'a Stoa moderator',
  platform_admin: 'a Stoa administrator',
};
export const levelWords = (role) => LEVEL_WORDS[role] ?? role;

const OUTCOME_WORDS = {
  open: 'Being reviewed',
  actioned: 'Action taken',
  dismissed: 'No action taken',
};
export const outcomeWords = (status) => OUTCOME_WORDS[status] ?? status;

/** A refusal as the person should read it: what happened and, when it ends, when. */
export function refusalText(error) {
  if (!error) return 'Something went wrong. Please try again.';
  const wait = error.retryAfterMs ? duration(error.retryAfterMs) : null;
  switch (error.code) {
    case 'muted':
      return error.until
        ? `You are muted in this chat until ${new Date(error.until).toLocaleString()}.`
        : 'You are muted in this chat until a moderator lifts it.';
    case 'slow_mode':
      return `Slow mode is on in this chat: you can send again in ${wait ?? 'a moment'}.`;
    case 'rate_limited':
      return `You are going too fast. Please wait ${wait ?? 'a moment'} and try again.`;
    case 'chat_closed':
      return 'This chat was closed by the moderators: it is read-only.';
    case 'banned':
      return 'You are banned from this chat.';
    case 'suspended':
      return 'Your account is suspended.';
    case 'timeout':
      return 'The server did not answer in time. Your text is kept; try again.';
    case 'not_found':
      return error.message || 'It no longer exists.';
    case 'conflict':
    case 'forbidden':
    case 'invalid_input':
      return error.message || 'That is not possible.';
    case 'internal':
      return 'Something went wrong on our side. Please try again.';
    default:
      return error.message || 'Something went wrong. Please try again.';
  }
}

/** A closed chat's notice: when, on which ground, why, and whether it may be appealed. */
export function closedText(closed) {
  return {
    title: `This chat was closed by the moderators on ${new Date(closed.at).toLocaleString()}.`,
    ground: `Ground: ${reasonLabel(closed.category)}.`,
    reason: closed.reason,
    appeal: closed.appealable ? 'Its owner and admins may appeal under Notices.' : '',
  };
}
