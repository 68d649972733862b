// The audit log: filters by actor, target and date, newest first, paged by `before`.
import { $, fill, h, time, errorText } from './dom.js';
import { call } from './session.js';
import { chatName, person } from './names.js';

const PAGE = 50;
/** `before` of each page shown so far; the first page has none. */
let pages = [undefined];

export function initLog() {
  $('log-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    pages = [startFromForm()];
    load();
  });
  $('log-newest').addEventListener('click', () => {
    pages = [startFromForm()];
    load();
  });
  $('log-older').addEventListener('click', () => {
    const last = $('log-rows').lastElementChild?.dataset.createdAt;
    if (!last) return;
    pages.push(last);
    load();
  });
}

function startFromForm() {
  const local = $('log-filters').elements.before.value;
  return local ? new Date(local).toISOString() : undefined;
}

/** True on the first page with no date: where new actions appear. */
export const showingNewest = () => pages.length === 1 && !pages[0];

export async function load() {
  const form = $('log-filters');
  const input = { limit: PAGE };
  const actorId = form.elements.actorId.value.trim();
  const targetId = form.elements.targetId.value.trim();
  if (actorId) input.actorId = actorId;
  if (targetId) input.targetId = targetId;
  const before = pages[pages.length - 1];
  if (before) input.before = before;
  try {
    const { actions } = await call('mod:log', input);
    fill($('log-error'));
    fill(
      $('log-rows'),
      actions.map((a) =>
        h(
          'tr',
          { dataset: { createdAt: a.createdAt, targetId: a.targetId, actorId: a.actorId ?? '' } },
          h('td', {}, time(a.createdAt)),
          h('td', {}, h('strong', {}, a.type)),
          h(
            'td',
            {},
            a.actorId ? person(a.actorId) : a.actorRole,
            a.actorId ? h('small', {}, ` (${a.actorRole})`) : null,
          ),
          h('td', {}, targetName(a)),
          h('td', {}, a.chatId ? chatName(a.chatId) : ''),
          h('td', { class: 'reason' }, a.reason),
        ),
      ),
    );
    $('log-empty').hidden = actions.length > 0;
    $('log-older').disabled = actions.length < PAGE;
    $('log-newest').disabled = pages.length === 1 && !startFromForm();
  } catch (error) {
    fill($('log-error'), errorText(error));
  }
}

/** What an action was taken on, by name: a person, a chat; a message, case or appeal by its kind (its id in the title). */
function targetName(a) {
  if (a.targetType === 'user') return person(a.targetId);
  if (a.targetType === 'chat') return chatName(a.targetId);
  return h('span', { title: `${a.targetType} ${a.targetId}` }, `a ${a.targetType}`);
}
