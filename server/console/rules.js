// Automatic filters (handlers/filters.ts): the rules of the platform (platform moderators) or of a chat (its owner
// and admins, platform moderators), a form for a new rule (in shadow unless told), and one rule with its hits,
// Enforce / Back to shadow and Delete. Over the socket (mod:rules, mod:rule-create, mod:rule-hits, mod:rule-update,
// mod:rule-delete); whatever the server sends reaches the page as text, and refusals are shown in words.
import { $, fill, h, time, duration, errorText } from './dom.js';
import { call, isPlatformModerator } from './session.js';
import { person, chatName } from './names.js';

const TRIGGERS = {
  keyword: 'keyword: words or phrases',
  regex: 'regex: RE2 patterns',
  links: 'links',
  mentions: 'mentions: too many @names',
  new_account: 'new account: links from young accounts',
};
const ACTIONS = {
  block: 'block: refuse the send',
  hold: 'hold: store it hidden and open a case',
  alert: 'alert: deliver it and open a case',
  mute: 'mute: refuse the send and mute its author',
};
const OBJECT_ID = /^[0-9a-f]{24}$/i;
/** Pages of chat:list read for the chats this person administers. */
const CHAT_PAGES = 5;

/** What the list shows: 'platform' or a chat id. */
let scope = null;
/** The chats this person owns or administers, from chat:list: [{id, title}]; null until read. */
let adminChats = null;
let listGeneration = 0;
let pageGeneration = 0;
/** The rule on its page, and what Delete's confirmation runs. */
let shown = null;
let pendingConfirm = null;

const option = (value, label) => h('option', { value }, label);
const lines = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

export function initRules() {
  const filters = $('rules-filters');
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    pickScope();
  });
  filters.elements.scope.addEventListener('change', () => {
    toggleChatId(filters);
    if (filters.elements.scope.value !== 'other') pickScope();
    else filters.elements.chatId.focus();
  });
  $('rules-refresh').addEventListener('click', () => loadList());

  const form = $('rule-form');
  fill(
    form.elements.triggerType,
    Object.entries(TRIGGERS).map(([value, label]) => option(value, label)),
  );
  fill(
    form.elements.actionType,
    Object.entries(ACTIONS).map(([value, label]) => option(value, label)),
  );
  form.elements.triggerType.addEventListener('change', () => toggleFormParts(form));
  form.elements.actionType.addEventListener('change', () => toggleFormParts(form));
  form.elements.scope.addEventListener('change', () => toggleChatId(form));
  form.addEventListener('submit', createRule);

  $('rule-confirm-form').addEventListener('submit', submitConfirm);
  $('rule-confirm-cancel').addEventListener('click', () => $('rule-confirm').close());
  $('rule-confirm').addEventListener('close', () => (pendingConfirm = null));
}

/** `#/rules` (the list), `#/rules/new` (the form) or `#/rules/<ruleId>` (one rule). */
export function showRules(id) {
  const part = id === 'new' ? 'new' : id ? 'page' : 'list';
  $('rules-list').hidden = part !== 'list';
  $('rule-new').hidden = part !== 'new';
  $('rule-page').hidden = part !== 'page';
  if (part === 'list') return openList();
  if (part === 'new') return openForm();
  return loadRule(id);
}

/** Leaving the page: late answers are dropped, the dialog closed. */
export function leaveRules() {
  listGeneration++;
  pageGeneration++;
  shown = null;
  if ($('rule-confirm').open) $('rule-confirm').close();
}

/** Forgets what was read for the person signed in (their chats, the scope shown). */
export function resetRules() {
  leaveRules();
  scope = null;
  adminChats = null;
}

// Scopes: the platform (platform moderators), the chats this person administers, or any chat by id.

async function readAdminChats() {
  if (adminChats) return adminChats;
  const found = [];
  let before;
  try {
    for (let page = 0; page < CHAT_PAGES; page++) {
      const { chats, hasMore } = await call('chat:list', before ? { before, limit: 100 } : { limit: 100 });
      for (const chat of chats)
        if (chat.role === 'owner' || chat.role === 'admin') found.push({ id: chat.id, title: chat.title });
      if (!hasMore || chats.length === 0) break;
      before = chats[chats.length - 1].id;
    }
  } catch {
    // Any chat can still be named by its id.
  }
  adminChats = found;
  return found;
}

/** Fills a scope select: the platform for platform moderators, then the chats administered, then "by id". */
function fillScopes(select, value) {
  const known = adminChats ?? [];
  fill(
    select,
    isPlatformModerator() && option('platform', 'Platform: every chat'),
    known.length > 0 &&
      h(
        'optgroup',
        { label: 'Chats you administer' },
        known.map((c) => option(c.id, `Chat: ${c.title}`)),
      ),
    option('other', 'Another chat, by its id'),
  );
  const offered = [...select.options].map((o) => o.value);
  select.value = offered.includes(value) ? value : offered[0];
}

/** The "chat id" input of a form is shown only when its scope is "by id". */
function toggleChatId(form) {
  const other = form.elements.scope.value === 'other';
  form.querySelector('.rule-chat-id').hidden = !other;
  form.elements.chatId.required = other;
}

/** The scope a form names: 'platform', a chat id, or an Error in words. */
function scopeOf(form) {
  const value = form.elements.scope.value;
  if (value !== 'other') return value;
  const chatId = form.elements.chatId.value.trim().toLowerCase();
  if (!OBJECT_ID.test(chatId)) return new Error('Chat id: 24 hexadecimal digits.');
  return chatId;
}

const defaultScope = () => (isPlatformModerator() ? 'platform' : (adminChats?.[0]?.id ?? 'other'));

// The list.

async function openList() {
  const generation = ++listGeneration;
  await readAdminChats();
  if (generation !== listGeneration) return;
  scope ??= defaultScope();
  const form = $('rules-filters');
  const known = scope === 'platform' || adminChats.some((c) => c.id === scope);
  fillScopes(form.elements.scope, known ? scope : 'other');
  if (!known && scope !== 'other') form.elements.chatId.value = scope;
  toggleChatId(form);
  return loadList();
}

function pickScope() {
  const picked = scopeOf($('rules-filters'));
  if (picked instanceof Error) return fill($('rules-error'), picked.message);
  scope = picked;
  return loadList();
}

async function loadList() {
  const generation = ++listGeneration;
  fill($('rules-error'));
  if (!scope || scope === 'other') {
    fill($('rules-rows'));
    fill($('rules-scope'), 'Name a chat by its id.');
    $('rules-empty').hidden = true;
    return;
  }
  fill($('rules-scope'), scope === 'platform' ? 'Platform rules: every chat' : ['Rules of ', chatName(scope)]);
  try {
    const { rules } = await call('mod:rules', scope === 'platform' ? {} : { chatId: scope });
    if (generation !== listGeneration) return;
    fill($('rules-rows'), rules.map(listRow));
    $('rules-empty').hidden = rules.length > 0;
  } catch (error) {
    if (generation !== listGeneration) return;
    fill($('rules-rows'));
    $('rules-empty').hidden = true;
    fill($('rules-error'), errorText(error));
  }
}

function scopeLabel(rule) {
  return rule.chatId ? ['Chat: ', chatName(rule.chatId)] : 'Platform';
}

function modeTag(mode) {
  return h('span', { class: `status mode-${mode}` }, mode);
}

function precisionText(stats) {
  if (!stats || stats.precision === null) return '—';
  return `${Math.round(stats.precision * 100)}%`;
}

function listRow(rule) {
  const open = (event) => {
    if (!event.target.closest('a')) location.hash = `#/rules/${rule.id}`;
  };
  const decided = rule.stats ? rule.stats.actioned + rule.stats.dismissed + rule.stats.upheld + rule.stats.reversed : 0;
  return h(
    'tr',
    { dataset: { ruleId: rule.id }, onclick: open },
    h('td', {}, h('a', { href: `#/rules/${rule.id}` }, rule.name)),
    h('td', {}, scopeLabel(rule)),
    h('td', {}, triggerSummary(rule.trigger)),
    h('td', {}, actionSummary(rule.action)),
    h('td', {}, modeTag(rule.mode)),
    h('td', { class: 'num' }, rule.stats?.hits ?? 0),
    h(
      'td',
      { class: 'num', title: decided ? `from ${decided} decisions` : 'no decision yet' },
      precisionText(rule.stats),
    ),
  );
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** The first few of a list, "+N more" after. */
function some(list, n = 5) {
  const shownPart = list.slice(0, n).join(', ');
  return list.length > n ? `${shownPart} (+${list.length - n} more)` : shownPart;
}

export function triggerSummary(trigger) {
  switch (trigger.type) {
    case 'keyword':
      return `keyword: ${some(trigger.words)}`;
    case 'regex':
      return `regex: ${some(
        trigger.patterns.map((p) => `/${p}/`),
        3,
      )}`;
    case 'links': {
      const deny = trigger.deny ?? [];
      const allow = trigger.allow ?? [];
      if (deny.length > 0 && allow.length > 0) return `links to ${some(deny)}; any but ${some(allow)}`;
      if (deny.length > 0) return `links to ${some(deny)}`;
      if (allow.length > 0) return `links to any domain but ${some(allow)}`;
      return 'any link';
    }
    case 'mentions':
      return `more than ${plural(trigger.max, 'mention', 'mentions')}`;
    case 'new_account':
      return `a link from an account younger than ${duration(trigger.minAgeSec * 1000)}`;
    default:
      return trigger.type;
  }
}

export function actionSummary(action) {
  const what =
    action.type === 'mute' && action.durationSec ? `mute for ${duration(action.durationSec * 1000)}` : action.type;
  return [what, action.note ? h('div', { class: 'meta' }, 'note: ', action.note) : null];
}

// A new rule.

async function openForm() {
  const generation = ++pageGeneration;
  const form = $('rule-form');
  form.reset();
  fill($('rule-form-error'));
  await readAdminChats();
  if (generation !== pageGeneration) return;
  scope ??= defaultScope();
  const known = scope === 'platform' || adminChats.some((c) => c.id === scope);
  fillScopes(form.elements.scope, known ? scope : 'other');
  if (!known && scope !== 'other') form.elements.chatId.value = scope;
  toggleChatId(form);
  toggleFormParts(form);
  form.elements.name.focus();
}

/** Shows the fields of the chosen trigger and action only; hidden fields are neither required nor sent. */
function toggleFormParts(form) {
  const type = form.elements.triggerType.value;
  for (const part of form.querySelectorAll('[data-trigger]')) {
    const on = part.dataset.trigger === type;
    part.hidden = !on;
    for (const el of part.querySelectorAll('input, textarea')) el.disabled = !on;
  }
  const mute = form.elements.actionType.value === 'mute';
  $('rule-duration-label').hidden = !mute;
  form.elements.durationSec.disabled = !mute;
  form.elements.durationSec.required = mute;
}

/** A whole number from a field, or an Error naming it. */
function whole(input, label, min) {
  const text = input.value.trim();
  const n = Number(text);
  if (!text || !Number.isInteger(n) || n < min) return new Error(`${label}: a whole number of at least ${min}.`);
  return n;
}

/** The trigger the form describes, or an Error in words. */
function triggerOf(f) {
  const type = f.triggerType.value;
  if (type === 'keyword') {
    const words = lines(f.words.value);
    return words.length ? { type, words } : new Error('Words: write at least one, one a line.');
  }
  if (type === 'regex') {
    const patterns = lines(f.patterns.value);
    return patterns.length ? { type, patterns } : new Error('Patterns: write at least one, one a line.');
  }
  if (type === 'links') {
    const trigger = { type };
    const allow = lines(f.allow.value).map((d) => d.toLowerCase());
    const deny = lines(f.deny.value).map((d) => d.toLowerCase());
    if (allow.length) trigger.allow = allow;
    if (deny.length) trigger.deny = deny;
    return trigger;
  }
  if (type === 'mentions') {
    const max = whole(f.max, 'Most mentions allowed', 0);
    return max instanceof Error ? max : { type, max };
  }
  const minAgeSec = whole(f.minAgeSec, 'Minimum account age (seconds)', 1);
  return minAgeSec instanceof Error ? minAgeSec : { type, minAgeSec, links: false };
}

async function createRule(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const f = form.elements;
  fill($('rule-form-error'));
  const name = f.name.value.trim();
  if (!name) return fill($('rule-form-error'), 'Name: required.');
  const picked = scopeOf(form);
  if (picked instanceof Error) return fill($('rule-form-error'), picked.message);
  const trigger = triggerOf(f);
  if (trigger instanceof Error) return fill($('rule-form-error'), trigger.message);
  const action = { type: f.actionType.value };
  if (action.type === 'mute') {
    const seconds = whole(f.durationSec, 'Mute for (seconds)', 1);
    if (seconds instanceof Error) return fill($('rule-form-error'), seconds.message);
    action.durationSec = seconds;
  }
  const note = f.note.value.trim();
  if (note) action.note = note;
  const input = { name, trigger, action, mode: f.mode.value };
  if (picked !== 'platform') input.chatId = picked;
  const button = $('rule-form-ok');
  button.disabled = true;
  try {
    const { rule } = await call('mod:rule-create', input);
    scope = picked;
    location.hash = `#/rules/${rule.id}`;
  } catch (error) {
    fill($('rule-form-error'), errorText(error));
  } finally {
    button.disabled = false;
  }
}

// One rule.

async function loadRule(id) {
  const generation = ++pageGeneration;
  if (shown?.id !== id) {
    shown = null;
    fill($('rule-title'), 'Rule');
    fill($('rule-actions'));
    fill($('rule-details'));
    fill($('rule-status'));
  }
  fill($('rule-error'));
  try {
    const { rule, hits } = await call('mod:rule-hits', { ruleId: id, limit: 50 });
    if (generation !== pageGeneration) return;
    render(rule, hits);
  } catch (error) {
    if (generation === pageGeneration) fill($('rule-error'), errorText(error));
  }
}

function render(rule, hits) {
  shown = rule;
  fill($('rule-title'), rule.name, ' ', modeTag(rule.mode));
  const enforced = rule.mode === 'enforce';
  fill(
    $('rule-actions'),
    h(
      'button',
      {
        type: 'button',
        id: 'rule-mode',
        onclick: () => setMode(rule, enforced ? 'shadow' : 'enforce'),
      },
      enforced ? 'Back to shadow' : 'Enforce',
    ),
    h('button', { type: 'button', id: 'rule-delete', class: 'danger', onclick: () => confirmDelete(rule) }, 'Delete'),
    h('button', { type: 'button', id: 'rule-refresh', onclick: () => loadRule(rule.id) }, 'Refresh hits'),
  );
  const stats = rule.stats ?? { hits: 0, shadowHits: 0, actioned: 0, dismissed: 0, upheld: 0, reversed: 0 };
  const fact = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
  fill(
    $('rule-details'),
    h(
      'dl',
      { class: 'facts', id: 'rule-facts' },
      fact('Scope', scopeLabel(rule)),
      fact('Trigger', triggerSummary(rule.trigger)),
      fact('Action', actionSummary(rule.action)),
      fact('Ground of its cases', rule.action.reason),
      fact('Mode', modeTag(rule.mode)),
      fact('Leaves alone', rule.exemptRoles.join(', ') || 'nobody'),
      fact('Hits', h('span', { id: 'rule-hit-count' }, String(stats.hits)), ` (${stats.shadowHits} in shadow)`),
      fact('Precision', precisionText(stats)),
      fact('Cases actioned / dismissed', `${stats.actioned} / ${stats.dismissed}`),
      fact('Appeals upheld / reversed', `${stats.upheld} / ${stats.reversed}`),
      fact('Created', time(rule.createdAt)),
      fact('Changed', time(rule.updatedAt)),
    ),
    triggerDetails(rule.trigger),
    h('h2', {}, `Latest hits (${hits.length})`),
    hits.length === 0
      ? h('p', { class: 'empty', id: 'rule-hits-empty' }, 'No hit yet.')
      : h(
          'table',
          { class: 'hits', id: 'rule-hits' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['When', 'Sender', 'Chat', 'Message (first 200 characters)', 'Action', 'Mode', 'Case'].map((t) =>
                h('th', {}, t),
              ),
            ),
          ),
          h('tbody', {}, hits.map(hitRow)),
        ),
  );
}

/** The whole word, pattern or domain lists, when the summary cannot hold them. */
function triggerDetails(trigger) {
  const list = (title, items) =>
    items?.length
      ? [
          h('h2', {}, title),
          h(
            'ul',
            { class: 'rule-entries' },
            items.map((i) => h('li', {}, h('code', {}, i))),
          ),
        ]
      : null;
  if (trigger.type === 'keyword') return list(`Words (${trigger.words.length})`, trigger.words);
  if (trigger.type === 'regex') return list(`Patterns (${trigger.patterns.length})`, trigger.patterns);
  if (trigger.type === 'links') return [list('Denied domains', trigger.deny), list('Allowed domains', trigger.allow)];
  return null;
}

function hitRow(hit) {
  return h(
    'tr',
    {},
    h('td', {}, time(hit.at)),
    h('td', {}, person(hit.senderId)),
    h('td', {}, chatName(hit.chatId)),
    h('td', { class: 'excerpt' }, hit.excerpt),
    h('td', {}, hit.action),
    h('td', {}, modeTag(hit.mode)),
    h('td', {}, hit.caseId ? h('a', { href: `#/case/${hit.caseId}` }, 'Open case') : '—'),
  );
}

async function setMode(rule, mode) {
  fill($('rule-error'));
  fill($('rule-status'));
  const button = $('rule-mode');
  button.disabled = true;
  try {
    await call('mod:rule-update', { ruleId: rule.id, mode });
    if (shown?.id !== rule.id) return;
    await loadRule(rule.id);
    fill(
      $('rule-status'),
      mode === 'enforce' ? 'Enforced: the rule now acts on what it matches.' : 'Back in shadow: it only records.',
    );
    $('rule-mode')?.focus();
  } catch (error) {
    fill($('rule-error'), errorText(error));
    button.disabled = false;
  }
}

function confirmDelete(rule) {
  pendingConfirm = async () => {
    await call('mod:rule-delete', { ruleId: rule.id });
    scope = rule.chatId ?? 'platform';
    location.hash = '#/rules';
  };
  fill($('rule-confirm-title'), 'Delete this rule');
  fill(
    $('rule-confirm-text'),
    `Delete the rule "${rule.name}"? Its hits go with it, and it stops acting at once. This cannot be undone.`,
  );
  fill($('rule-confirm-error'));
  $('rule-confirm').showModal();
  $('rule-confirm-cancel').focus();
}

async function submitConfirm(event) {
  event.preventDefault();
  if (!pendingConfirm) return;
  const ok = $('rule-confirm-ok');
  ok.disabled = true;
  try {
    await pendingConfirm();
    $('rule-confirm').close();
  } catch (error) {
    fill($('rule-confirm-error'), errorText(error));
  } finally {
    ok.disabled = false;
  }
}
