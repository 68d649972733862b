// Names for ids: public profiles from users:get, asked in batches and cached in the page.
import { h } from './dom.js';
import { call } from './session.js';

const known = new Map();
const pending = new Set();
const waiting = new Map();
let timer;

/** A display name for an id ("Ana"), or null until known. */
export const nameOf = (id) => known.get(id)?.displayName ?? null;
export const profileOf = (id) => known.get(id) ?? null;

/** Remembers a profile from a live `user:updated` or elsewhere, and updates every name shown for it. */
export function remember(user) {
  known.set(user.id, user);
  for (const el of document.querySelectorAll(`[data-user-id="${CSS.escape(user.id)}"]`))
    el.textContent = user.displayName;
}

/** Resolves once the given ids are known (or known to be invisible); batches of up to 100. */
export function load(ids) {
  const missing = [...new Set(ids)].filter((id) => id && !known.has(id));
  if (missing.length === 0) return Promise.resolve();
  const all = Promise.all(
    missing.map(
      (id) =>
        new Promise((resolve) => {
          pending.add(id);
          waiting.set(id, [...(waiting.get(id) ?? []), resolve]);
        }),
    ),
  );
  schedule();
  return all.then(() => undefined);
}

function schedule() {
  timer ??= setTimeout(flush, 0);
}

async function flush() {
  timer = undefined;
  const ids = [...pending].slice(0, 100);
  for (const id of ids) pending.delete(id);
  if (pending.size) schedule();
  let users = [];
  try {
    users = (await call('users:get', { ids })).users;
  } catch {
    // Left as unknown; a later call asks again.
  }
  for (const user of users) remember(user);
  for (const id of ids) {
    if (!known.has(id)) known.set(id, { id, displayName: 'Someone', username: null, unknown: true });
    for (const resolve of waiting.get(id) ?? []) resolve();
    waiting.delete(id);
  }
}

/** A name element, filled in when the profile arrives. */
export function personName(id) {
  const el = h('span', { class: 'name', 'data-user-id': id }, nameOf(id) ?? '…');
  if (!known.has(id)) void load([id]).then(() => (el.textContent = nameOf(id)));
  return el;
}
