// One case: the target now, the evidence as reported, the actions taken, and the actions the viewer may take.
import { $, fill, h, time, duration, errorText } from './dom.js';
import { call, isPlatformModerator } from './session.js';
import { confirmAction } from './confirm.js';
import { chatNow, chatAction } from './takedown.js';
import { openPurge } from './purge.js';
import { chatName, person } from './names.js';

/** `chat`: for platform moderators, the chat a reported message is in, as it is now. */
const state = { caseId: null, view: null, chat: null, actions: [] };

/** Report reasons, gravest first: the ground a Close chat preselects is the case's gravest. */
const SEVERITY = [
  'child_abuse',
  'terrorism',
  'non_consensual_imagery',
  'violence',
  'illegal_goods',
  'sexual_content',
  'scam',
  'hate',
  'harassment',
  'personal_data',
  'spam',
  'copyright',
  'other',
];

/** True when a live event concerns the case on screen (or the chat it shows). */
export const concernsShownCase = ({ caseId, targetId }) =>
  state.caseId !== null &&
  (caseId === state.caseId ||
    (targetId !== undefined && (targetId === state.view?.case.targetId || targetId === state.chat?.id)));

export async function showCase(caseId) {
  if (state.caseId !== caseId) {
    state.caseId = caseId;
    state.view = null;
    state.chat = null;
    $('case-chat-part').hidden = true;
    $('case-context-part').hidden = true;
    fill($('case-title'), 'Case');
    for (const id of [
      'case-facts',
      'case-actions',
      'case-target',
      'case-reports',
      'case-log',
      'case-history',
      'case-error',
      'case-chat',
      'case-context',
    ])
      fill($(id));
  }
  await refreshCase();
}

export function leaveCase() {
  state.caseId = null;
}

/** Re-reads the case after an action or a new report about it. */
export async function refreshCase() {
  const caseId = state.caseId;
  if (!caseId) return;
  try {
    const view = await call('mod:case', { caseId });
    const chat = await chatOfMessage(view);
    if (state.caseId !== caseId) return;
    state.view = view;
    state.chat = chat;
    fill($('case-error'));
    render(view);
    renderLog(view);
    renderContext(view);
  } catch (error) {
    fill($('case-error'), errorText(error));
  }
}

/** For platform moderators, the chat a reported message is in, as it is now; null otherwise or if unreadable. */
async function chatOfMessage({ case: c }) {
  if (c.targetType !== 'message' || !c.chatId || !isPlatformModerator()) return null;
  try {
    return (await call('chat:get', { chatId: c.chatId })).chat;
  } catch {
    return null;
  }
}

/** The author of what was reported: from the message now, or from the snapshot once it is gone. */
function authorOf({ case: c, reports, target }) {
  if (target?.type === 'message') return target.message.senderId;
  if (c.targetType === 'user') return c.targetId;
  return reports.find((r) => r.evidence?.senderId)?.evidence.senderId;
}

function render(view) {
  const { case: c, reports, target } = view;
  fill($('case-title'), `Case about a ${c.targetType}`);
  fill(
    $('case-facts'),
    fact('Status', h('span', { class: `status status-${c.status}` }, c.status)),
    fact('Priority', c.priority),
    fact('Reports', c.reportCount),
    fact(
      'Reasons',
      Object.entries(c.reasons)
        .map(([reason, n]) => `${reason} ×${n}`)
        .join(', '),
    ),
    authorOf(view) ? fact(c.targetType === 'user' ? 'Person' : 'Author', person(authorOf(view))) : null,
    c.targetType === 'chat' ? fact('Chat', chatName(c.targetId)) : null,
    c.chatId ? fact('Chat', chatName(c.chatId)) : null,
    fact('Target id', c.targetId),
    fact('First reported', time(c.firstReportedAt)),
    fact('Last reported', time(c.lastReportedAt)),
  );
  fill($('case-target'), targetNow(c.targetType, target));
  $('case-chat-part').hidden = !state.chat;
  fill($('case-chat'), state.chat ? chatNow(state.chat) : null);
  fill(
    $('case-reports'),
    reports.map((r) =>
      h(
        'li',
        { class: 'report' },
        h(
          'p',
          {},
          h('span', { class: `tag reason-${r.reason}` }, r.reason),
          ' ',
          time(r.createdAt),
          r.reporterId ? h('small', {}, ' reported by ', person(r.reporterId, 'person reporter')) : null,
        ),
        r.comment ? h('p', { class: 'comment' }, r.comment) : null,
        evidence(r.evidence),
      ),
    ),
  );
  state.actions = availableActions(view);
  fill(
    $('case-actions'),
    state.actions.map((action) =>
      h(
        'button',
        {
          type: 'button',
          class: action.danger ? 'danger' : undefined,
          'data-action': action.id,
          'aria-keyshortcuts': action.key,
          onclick: () => run(action),
        },
        action.label,
        action.key ? h('kbd', {}, action.key) : null,
      ),
    ),
  );
}

function fact(name, value) {
  return h('div', {}, h('dt', {}, name), h('dd', {}, value));
}

/** A reported or acted-on target as it is now; hidden and deleted messages keep their text (it is the evidence). */
export function targetNow(targetType, target) {
  if (!target) return h('p', { class: 'muted' }, `This ${targetType} no longer exists.`);
  if (target.type === 'message') {
    const m = target.message;
    return [
      h(
        'p',
        { class: 'meta' },
        `Message #${m.seq} by `,
        person(m.senderId),
        ' in ',
        chatName(m.chatId),
        ', ',
        time(m.createdAt),
        m.editedAt ? ' (edited)' : '',
      ),
      h('p', { class: 'text' }, m.text),
      m.hidden
        ? h('p', { class: 'flag' }, 'Hidden ', time(m.hidden.at), ' by ', person(m.hidden.by), `: ${m.hidden.reason}`)
        : null,
      target.deletedAt ? h('p', { class: 'flag' }, 'Deleted by its author ', time(target.deletedAt)) : null,
    ];
  }
  if (target.type === 'user') {
    const u = target.user;
    return [
      h('p', { class: 'text' }, `${u.displayName} (@${u.username})`),
      h('p', { class: 'meta' }, `${u.role}, id ${u.id}, joined `, time(u.createdAt)),
      target.suspended
        ? h(
            'p',
            { class: 'flag' },
            `Suspended ${target.suspended.until ? 'until ' : 'indefinitely'}`,
            target.suspended.until ? time(target.suspended.until) : '',
            `: ${target.suspended.reason}`,
          )
        : null,
    ];
  }
  return chatNow(target.chat);
}

function evidence(snapshot) {
  if (!snapshot) return null;
  const lines = [];
  if (snapshot.text !== undefined) lines.push(h('p', { class: 'text evidence' }, snapshot.text));
  if (snapshot.username !== undefined) lines.push(h('p', { class: 'text evidence' }, `@${snapshot.username}`));
  if (snapshot.title !== undefined) lines.push(h('p', { class: 'text evidence' }, snapshot.title));
  const where = [
    snapshot.seq !== undefined ? ` #${snapshot.seq}` : null,
    snapshot.senderId ? [' by ', person(snapshot.senderId)] : null,
    snapshot.chatId && snapshot.title === undefined ? [' in ', chatName(snapshot.chatId)] : null,
  ].filter(Boolean);
  if (where.length) lines.push(h('p', { class: 'meta' }, 'As reported:', where));
  return h('div', { class: 'snapshot' }, lines);
}

/** The buttons this person may use on this case; the server still decides, and its refusals are shown. */
function availableActions(view) {
  const { case: c, target } = view;
  const moderator = isPlatformModerator();
  const author = authorOf(view);
  const chatId = c.chatId;
  const actions = [];
  if (c.targetType === 'message' && target?.type === 'message') {
    const messageId = c.targetId;
    if (target.message.hidden)
      actions.push({
        id: 'unhide',
        key: 'u',
        label: 'Unhide',
        event: 'mod:unhide',
        input: { messageId, caseId: c.id },
      });
    else
      actions.push({
        id: 'hide',
        key: 'h',
        label: 'Hide',
        danger: true,
        event: 'mod:hide',
        input: { messageId, caseId: c.id },
      });
  }
  if (author && chatId) {
    actions.push(
      {
        id: 'ban',
        key: 'b',
        label: 'Ban from chat',
        danger: true,
        duration: true,
        event: 'mod:ban',
        input: { userId: author, chatId, caseId: c.id },
      },
      { id: 'unban', label: 'Unban', event: 'mod:unban', input: { userId: author, chatId } },
      {
        id: 'mute',
        key: 'm',
        label: 'Mute',
        duration: true,
        event: 'mod:mute',
        input: { userId: author, chatId, caseId: c.id },
      },
      { id: 'unmute', label: 'Unmute', event: 'mod:unmute', input: { userId: author, chatId } },
    );
  }
  if (author && moderator) {
    actions.push(
      {
        id: 'suspend',
        label: 'Suspend account',
        danger: true,
        duration: true,
        event: 'mod:ban',
        input: { userId: author, caseId: c.id },
      },
      { id: 'unsuspend', label: 'Unsuspend', event: 'mod:unban', input: { userId: author } },
    );
  }
  // Platform moderators purge in one chat or all; a chat's admins in their chat only.
  if (author && (moderator || chatId))
    actions.push({
      id: 'purge',
      label: 'Purge messages',
      danger: true,
      run: () =>
        openPurge({
          userId: author,
          chatId,
          allChats: moderator,
          // A purge may decide the case about the person, not one about a message of theirs.
          caseId: c.targetType === 'user' ? c.id : undefined,
          onDone: refreshCase,
        }),
    });
  // A chat shown to a platform moderator: the reported chat itself, or the chat of a reported message.
  const chat = c.targetType === 'chat' ? (target?.type === 'chat' ? target.chat : null) : state.chat;
  if (chat && moderator)
    actions.push(
      chatAction(chat, {
        caseId: c.targetType === 'chat' ? c.id : undefined,
        category: SEVERITY.find((reason) => c.reasons[reason] > 0) ?? '',
        onDone: refreshCase,
      }),
    );
  if (c.status === 'open')
    actions.push({ id: 'dismiss', key: 'd', label: 'Dismiss', event: 'mod:dismiss', input: { caseId: c.id } });
  return actions;
}

async function run(action) {
  if (action.run) return action.run();
  const subject = action.input.messageId
    ? 'the reported message'
    : action.input.userId
      ? person(action.input.userId)
      : 'this case';
  await confirmAction({
    title: action.label,
    text: [`${action.label}: `, subject, action.input.chatId ? [' in ', chatName(action.input.chatId)] : '', '.'],
    withDuration: Boolean(action.duration),
    perform: async ({ reason, durationSec }) => {
      const input = { ...action.input, reason };
      if (durationSec) input.durationSec = durationSec;
      await call(action.event, input);
      await refreshCase();
    },
  });
}

/** A case-view shortcut (h, u, b, m, d); true when one was found. */
export function runShortcut(key) {
  const action = state.actions.find((a) => a.key === key);
  if (action) run(action);
  return Boolean(action);
}

async function renderLog(view) {
  const author = authorOf(view);
  const [taken, history] = await Promise.allSettled([
    call('mod:log', { targetId: view.case.targetId, limit: 50 }),
    author ? call('mod:log', { targetId: author, limit: 20 }) : Promise.resolve({ actions: [] }),
  ]);
  fill($('case-log'), logItems(taken, 'No actions yet.'));
  fill(
    $('case-history'),
    author ? logItems(history, 'No earlier actions against this person.') : h('li', { class: 'muted' }, 'No author.'),
  );
}

function logItems(result, empty) {
  if (result.status === 'rejected') return h('li', { class: 'error' }, errorText(result.reason));
  if (result.value.actions.length === 0) return h('li', { class: 'muted' }, empty);
  return result.value.actions.map((a) => h('li', {}, actionLine(a)));
}

function actionLine(a) {
  return [
    h('strong', {}, a.type),
    ' by ',
    a.actorId ? person(a.actorId) : a.actorRole,
    ' ',
    time(a.createdAt),
    a.durationSec ? ` for ${duration(a.durationSec * 1000)}` : '',
    h('br'),
    h('span', { class: 'reason' }, a.reason),
  ];
}

/**
 * The reported message among the 5 messages before and after it in its chat (mod:context, audited):
 * hidden and deleted neighbours marked as such, senders by name.
 */
async function renderContext(view) {
  const c = view.case;
  if (c.targetType !== 'message') return;
  let context;
  try {
    context = await call('mod:context', { caseId: c.id });
  } catch (error) {
    if (state.caseId !== c.id) return;
    $('case-context-part').hidden = false;
    return fill($('case-context'), h('li', { class: 'error' }, errorText(error)));
  }
  if (state.caseId !== c.id) return;
  $('case-context-part').hidden = false;
  fill(
    $('case-context'),
    context.messages.map((m) => {
      const reported = m.seq === context.seq;
      const hiddenNow = m.hidden === true || (typeof m.hidden === 'object' && m.hidden !== null);
      return h(
        'li',
        {
          class: ['context-message', reported && 'reported', hiddenNow && 'hidden', m.deleted && 'deleted']
            .filter(Boolean)
            .join(' '),
          'aria-current': reported ? 'true' : undefined,
          dataset: { seq: String(m.seq) },
        },
        h(
          'p',
          { class: 'meta' },
          `#${m.seq} `,
          m.senderId ? person(m.senderId) : null,
          m.createdAt ? [' ', time(m.createdAt)] : null,
          reported ? h('strong', {}, ' the reported message') : null,
          hiddenNow ? h('span', { class: 'flag' }, ' hidden by moderators') : null,
          m.deleted ? h('span', { class: 'flag' }, ' deleted by its author') : null,
        ),
        m.text !== undefined
          ? h('p', { class: 'text' }, m.text)
          : h('p', { class: 'muted' }, m.deleted ? 'message deleted' : 'message removed by moderators'),
      );
    }),
  );
}
