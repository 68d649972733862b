// The live queue: cases sorted by priority, kept current by report:new and mod:action; open appeals, by mod:appeal.
import { $, fill, h, time, errorText, throttle } from './dom.js';
import { call } from './session.js';
import { caseSummary, chatName, first120, person } from './names.js';

const REASONS = [
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
/** The server answers at most this many cases per request. */
const PAGE = 100;

const state = {
  cases: new Map(),
  openIds: new Set(),
  appeals: new Map(),
  selected: 0,
  onOpen: () => {},
  onOpenAppeal: () => {},
};

export function initQueue({ onOpen, onOpenAppeal }) {
  state.onOpen = onOpen;
  state.onOpenAppeal = onOpenAppeal;
  const form = $('queue-filters');
  form.elements.reason.append(...REASONS.map((reason) => h('option', { value: reason }, reason)));
  form.addEventListener('change', () => reload());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    reload();
  });
}

function filters() {
  const form = $('queue-filters');
  const value = (name) => form.elements[name].value.trim();
  return { status: value('status'), reason: value('reason'), targetType: value('targetType'), chatId: value('chatId') };
}

function matches(c, f) {
  return (
    (!f.status || c.status === f.status) &&
    (!f.reason || (c.reasons[f.reason] ?? 0) > 0) &&
    (!f.targetType || c.targetType === f.targetType) &&
    (!f.chatId || c.chatId === f.chatId)
  );
}

/** Refetches the cases for the filters, and the open ones for the count. */
export async function reload() {
  const f = filters();
  const input = { limit: PAGE };
  if (f.status) input.status = f.status;
  if (f.chatId) {
    if (!/^[0-9a-f]{24}$/i.test(f.chatId)) return fill($('queue-error'), 'A chat id is 24 hexadecimal digits.');
    input.chatId = f.chatId;
  }
  try {
    const [listed, open] = await Promise.all([
      call('mod:cases', input),
      f.status === 'open' && !f.chatId ? null : call('mod:cases', { status: 'open', limit: PAGE }),
    ]);
    state.cases = new Map(listed.cases.map((c) => [c.id, c]));
    state.openIds = new Set((open ?? listed).cases.filter((c) => c.status === 'open').map((c) => c.id));
    fill($('queue-error'));
    // Only platform moderators decide appeals; chat admins are refused and see none.
    const appeals = await call('mod:appeals', { status: 'open', limit: PAGE }).then(
      (r) => r.appeals,
      () => [],
    );
    state.appeals = new Map(appeals.map((a) => [a.id, a]));
    renderAppeals();
  } catch (error) {
    fill($('queue-error'), errorText(error));
  }
  render();
}

export const reloadSoon = throttle(reload, 1000);

/** A new or updated case from report:new: shown at once, without a round trip. */
export function upsertCase(c) {
  if (c.status === 'open') state.openIds.add(c.id);
  else state.openIds.delete(c.id);
  if (matches(c, filters())) state.cases.set(c.id, c);
  else state.cases.delete(c.id);
  render();
}

/** An action with a caseId closes that case: the queue follows without a round trip. */
export function resolveCase(caseId, outcome) {
  state.openIds.delete(caseId);
  const c = state.cases.get(caseId);
  if (c) upsertCase({ ...c, status: outcome });
  else render();
}

function sorted() {
  const f = filters();
  return [...state.cases.values()]
    .filter((c) => matches(c, f))
    .sort((a, b) => b.priority - a.priority || b.lastReportedAt.localeCompare(a.lastReportedAt));
}

export function openCount() {
  return state.openIds.size;
}

function render() {
  const rows = sorted();
  state.selected = Math.min(state.selected, Math.max(0, rows.length - 1));
  fill(
    $('queue-rows'),
    rows.map((c, i) =>
      h(
        'tr',
        {
          dataset: { caseId: c.id, targetId: c.targetId },
          class: i === state.selected ? 'selected' : undefined,
          tabindex: 0,
          onclick: () => state.onOpen(c.id),
          onkeydown: (event) => event.key === 'Enter' && state.onOpen(c.id),
        },
        h('td', { class: 'num' }, c.priority),
        h('td', { class: 'target' }, targetCell(c)),
        h(
          'td',
          {},
          Object.entries(c.reasons).map(([reason, n]) =>
            h('span', { class: `tag reason-${reason}` }, n > 1 ? `${reason} ×${n}` : reason),
          ),
        ),
        h('td', { class: 'num' }, c.reportCount),
        h('td', {}, h('span', { class: `status status-${c.status}` }, c.status)),
        h('td', {}, time(c.lastReportedAt)),
      ),
    ),
  );
  $('queue-empty').hidden = rows.length > 0;
  const n = openCount();
  fill($('open-count'), `${n}${n >= PAGE ? '+' : ''} open`);
  document.title = `(${n}${n >= PAGE ? '+' : ''}) Stoa console`;
}

/**
 * What a case is about, in words: a message's first 120 characters, its author and its chat's title;
 * a person's name; a chat's title. Filled in as the names arrive (cached in the page).
 */
function targetCell(c) {
  const link = (...children) => h('a', { href: `#/case/${c.id}` }, ...children);
  if (c.targetType === 'user') return [h('small', {}, 'Person '), link(person(c.targetId, 'author'))];
  if (c.targetType === 'chat') return [h('small', {}, 'Chat '), link(chatName(c.targetId))];
  const quote = h('span', { class: 'quote' }, '…');
  const author = h('span', { class: 'author' }, '…');
  void caseSummary(c).then((summary) => {
    if (!summary) return fill(quote, 'a message');
    fill(quote, summary.text === null ? 'a message' : `“${first120(summary.text)}”`);
    if (summary.authorId) author.replaceWith(person(summary.authorId, 'author'));
  });
  return [link(quote), h('br'), h('small', {}, 'by ', author, c.chatId ? [' in ', chatName(c.chatId)] : null)];
}

/** A filed or decided appeal from mod:appeal: an open one is listed, a decided one leaves the list. */
export function upsertAppeal(appeal) {
  if (appeal.status === 'open') state.appeals.set(appeal.id, appeal);
  else state.appeals.delete(appeal.id);
  renderAppeals();
}

function renderAppeals() {
  const appeals = [...state.appeals.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  $('appeals').hidden = appeals.length === 0;
  fill($('appeals-count'), String(appeals.length));
  fill(
    $('appeals-rows'),
    appeals.map((a) =>
      h(
        'tr',
        {
          dataset: { appealId: a.id },
          tabindex: 0,
          onclick: () => state.onOpenAppeal(a.id),
          onkeydown: (event) => event.key === 'Enter' && state.onOpenAppeal(a.id),
        },
        h('td', {}, time(a.createdAt)),
        h('td', {}, h('a', { href: `#/appeal/${a.id}` }, a.actionType), `: ${a.action?.reason ?? ''}`),
        h('td', {}, a.action?.actorId ? person(a.action.actorId) : (a.action?.actorRole ?? '')),
        h('td', {}, a.text),
      ),
    ),
  );
}

/** j/k in the queue. */
export function moveSelection(step) {
  const rows = sorted();
  if (rows.length === 0) return;
  state.selected = Math.max(0, Math.min(rows.length - 1, state.selected + step));
  render();
  $('queue-rows').children[state.selected]?.scrollIntoView({ block: 'nearest' });
}

export function openSelected() {
  const c = sorted()[state.selected];
  if (c) state.onOpen(c.id);
}
