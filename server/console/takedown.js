// Taking a whole chat down and bringing it back (platform moderators): close with a ground and a reason, reopen.
import { h, time } from './dom.js';
import { call } from './session.js';
import { confirmAction, ILLEGAL_GROUNDS } from './confirm.js';
import { person } from './names.js';

/** What a closed chat's members were told: the ground, the reason and when; nothing for an open chat. */
export function closedNotice(closed) {
  if (!closed) return null;
  const legal = ILLEGAL_GROUNDS.includes(closed.category);
  return h(
    'div',
    { class: 'closed-notice', role: 'note' },
    h(
      'p',
      { class: 'flag' },
      h('strong', {}, 'Closed'),
      ' ',
      time(closed.at),
      ' on the ground of ',
      h('span', { class: `tag reason-${closed.category}` }, closed.category),
      legal ? ' (illegal content: members get HTTP 451)' : '',
    ),
    h('p', { class: 'reason' }, closed.reason),
    h(
      'p',
      { class: 'meta' },
      'Read-only and unlisted for everyone but platform moderators.',
      closed.appealable ? ' Its owner and admins may appeal.' : '',
    ),
  );
}

/** A chat as a platform moderator sees it in a case: title, kind, size, and whether it is closed. */
export function chatNow(chat) {
  return [
    h('p', { class: 'text' }, chat.title),
    chat.description ? h('p', {}, chat.description) : null,
    h(
      'p',
      { class: 'meta', title: `chat ${chat.id}` },
      `${chat.visibility} ${chat.type}, ${chat.memberCount} members, owner `,
      person(chat.ownerId),
    ),
    closedNotice(chat.closed),
  ];
}

/**
 * The close or reopen button for a chat, as a case action: `caseId` only when the case is about the chat
 * itself (a case binds to its target), `category` the ground to preselect.
 */
export function chatAction(chat, { caseId, category, onDone }) {
  const subject = `“${chat.title}” (${chat.id})`;
  if (chat.closed)
    return {
      id: 'reopen-chat',
      label: 'Reopen chat',
      run: () =>
        confirmAction({
          title: 'Reopen chat',
          text: `Reopen ${subject}: its members can read and write in it again and hear that it is back.`,
          perform: async ({ reason }) => {
            await call('mod:chat-reopen', { chatId: chat.id, reason });
            await onDone();
          },
        }),
    };
  return {
    id: 'close-chat',
    label: 'Close chat',
    danger: true,
    run: () =>
      confirmAction({
        title: 'Close chat',
        text:
          `Close ${subject}: it becomes read-only and unlisted, its ${chat.memberCount} members are told why, ` +
          'its content is sealed as evidence, and its owner and admins get a statement of reasons they may appeal.',
        withCategory: true,
        category,
        perform: async ({ reason, category: ground }) => {
          const input = { chatId: chat.id, category: ground, reason };
          if (caseId) input.caseId = caseId;
          await call('mod:chat-close', input);
          await onDone();
        },
      }),
  };
}
