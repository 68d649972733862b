// One appeal: what the appellant wrote, the action appealed and what it acted on, and the decision: uphold or reverse.
import { $, fill, h, time, duration, errorText } from './dom.js';
import { call } from './session.js';
import { confirmAction } from './confirm.js';
import { targetNow } from './case.js';
import { upsertAppeal } from './queue.js';
import { chatName, person } from './names.js';

const DECISIONS = [
  { id: 'uphold', outcome: 'upheld', label: 'Uphold', text: 'It stays in force.' },
  {
    id: 'reverse',
    outcome: 'reversed',
    label: 'Reverse',
    text: 'What it imposed and is still in force is lifted at once.',
  },
];

const state = { appealId: null, appeal: null, onDecided: () => {} };

export function initAppeal({ onDecided }) {
  state.onDecided = onDecided;
}

export async function showAppeal(appealId) {
  if (state.appealId !== appealId) {
    state.appealId = appealId;
    state.appeal = null;
    fill($('appeal-title'), 'Appeal');
    for (const id of [
      'appeal-facts',
      'appeal-actions',
      'appeal-text',
      'appeal-action',
      'appeal-target',
      'appeal-error',
    ])
      fill($(id));
  }
  let view;
  try {
    view = await call('mod:appeal-get', { appealId });
  } catch (error) {
    if (state.appealId === appealId) fill($('appeal-error'), errorText(error));
    return;
  }
  if (state.appealId !== appealId) return;
  state.appeal = view.appeal;
  fill($('appeal-target'), targetNow(view.appeal.action?.targetType ?? 'target', view.target));
  render(view.appeal);
}

export function leaveAppeal() {
  state.appealId = null;
}

/** A live mod:appeal: the appeal on screen, decided elsewhere, loses its buttons. */
export function updateShownAppeal(appeal) {
  if (appeal.id !== state.appealId) return;
  state.appeal = { ...state.appeal, ...appeal };
  render(state.appeal);
}

function render(appeal) {
  const action = appeal.action;
  fill($('appeal-title'), `Appeal against ${appeal.actionType}`);
  fill(
    $('appeal-facts'),
    fact('Status', h('span', { class: `status status-${appeal.status}` }, appeal.status)),
    fact('Filed', time(appeal.createdAt)),
    appeal.appellantId ? fact('Appellant', person(appeal.appellantId)) : null,
    appeal.chatId ? fact('Chat', chatName(appeal.chatId)) : null,
    appeal.decidedAt ? fact('Decided', time(appeal.decidedAt)) : null,
  );
  fill($('appeal-text'), h('p', { class: 'text' }, appeal.text));
  fill($('appeal-action'), action ? actionAppealed(action) : h('p', { class: 'muted' }, appeal.actionType));
  fill(
    $('appeal-actions'),
    appeal.status === 'open'
      ? DECISIONS.map((decision) =>
          h('button', { type: 'button', 'data-action': decision.id, onclick: () => decide(decision) }, decision.label),
        )
      : h(
          'p',
          {},
          `Decided: ${appeal.status}`,
          appeal.decisionReason ? h('span', { class: 'reason' }, ` (${appeal.decisionReason})`) : null,
        ),
  );
}

function fact(name, value) {
  return h('div', {}, h('dt', {}, name), h('dd', {}, value));
}

function actionAppealed(a) {
  return [
    h(
      'p',
      {},
      h('strong', {}, a.type),
      ' by ',
      a.actorId ? person(a.actorId) : a.actorRole,
      ` (${a.actorRole}) `,
      time(a.createdAt),
      a.durationSec ? ` for ${duration(a.durationSec * 1000)}` : '',
    ),
    h(
      'p',
      { class: 'meta' },
      'On ',
      a.targetType === 'user'
        ? person(a.targetId)
        : a.targetType === 'chat'
          ? chatName(a.targetId)
          : `a ${a.targetType}`,
      a.chatId && a.targetType !== 'chat' ? [' in ', chatName(a.chatId)] : '',
      a.until ? [', until ', time(a.until)] : '',
    ),
    h('p', { class: 'reason' }, a.reason),
    // The case it decided shows the target as it is now and the evidence as reported.
    a.caseId
      ? h('p', {}, h('a', { href: `#/case/${a.caseId}`, 'data-case-link': '' }, 'Open the case it decided'))
      : null,
  ];
}

function decide({ outcome, label, text }) {
  const appealId = state.appealId;
  confirmAction({
    title: `${label} the ${state.appeal.actionType}`,
    text: `${text} The appellant is told, with your reason.`,
    withDuration: false,
    perform: async ({ reason }) => {
      const { appeal } = await call('mod:appeal-decide', { appealId, outcome, reason });
      upsertAppeal(appeal);
      state.onDecided(appeal);
    },
  });
}
