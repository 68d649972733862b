// Names for ids, cached in the page: people from users:get (in batches of up to 100), chats from chat:get,
// and what a case is about (its author and the first words reported) from mod:case, asked once per case.
import { h } from './dom.js';
import { call } from './session.js';

/** id -> profile, or null when the server left it out (unknown, or not visible to this moderator). */
const users = new Map();
const waiting = new Map();
let batch = null;
/** chatId -> Promise of the chat view, or null. */
const chats = new Map();
/** caseId -> Promise of {authorId, text}. */
const summaries = new Map();
/** mod:case reads for the queue's summaries in flight at once: they share the moderation-reads limit. */
const SUMMARY_CONCURRENCY = 4;
let summariesRunning = 0;
const summaryQueue = [];

/** The first 120 characters of a text, with an ellipsis when there is more. */
export const first120 = (text) => (text.length > 120 ? `${text.slice(0, 120)}…` : text);

/** A profile, loaded with the next batch of users:get. */
export function loadUser(id) {
  if (users.has(id)) return Promise.resolve(users.get(id));
  let pending = waiting.get(id);
  if (!pending) {
    pending = new Promise((resolve) => {
      batch ??= { ids: [], resolvers: new Map() };
      batch.ids.push(id);
      batch.resolvers.set(id, resolve);
      if (batch.ids.length === 1) setTimeout(flushUsers, 0);
    });
    waiting.set(id, pending);
  }
  return pending;
}

async function flushUsers() {
  const { ids, resolvers } = batch;
  batch = null;
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    let found = [];
    try {
      found = (await call('users:get', { ids: chunk })).users;
    } catch {
      // Shown by id; a later page load asks again.
    }
    const byId = new Map(found.map((u) => [u.id, u]));
    for (const id of chunk) {
      const user = byId.get(id) ?? null;
      users.set(id, user);
      waiting.delete(id);
      resolvers.get(id)(user);
    }
  }
}

/** "Ana (@ana)" for a profile. */
export const userLabel = (user) => `${user.displayName} (@${user.username})`;

/**
 * A person by name, filled in when the profile arrives: "Ana (@ana)", the id kept in its title and
 * `data-user-id`. `system` is the automatic filter; an id the server leaves out shows as "unknown person".
 */
export function person(id, cls = 'person') {
  if (id === 'system') return h('span', { class: cls }, 'system (automatic)');
  const known = users.get(id);
  const el = h('span', { class: cls, 'data-user-id': id, title: `user ${id}` }, known ? userLabel(known) : '…');
  if (known === null) el.textContent = 'unknown person';
  if (!users.has(id)) void loadUser(id).then((user) => (el.textContent = user ? userLabel(user) : 'unknown person'));
  return el;
}

/** A chat view (title, type, closed...), read once per page; null when it cannot be read. */
export function loadChat(chatId) {
  let pending = chats.get(chatId);
  if (!pending) {
    pending = call('chat:get', { chatId }).then(
      (r) => r.chat,
      () => null,
    );
    chats.set(chatId, pending);
  }
  return pending;
}

/** A chat by its title, filled in when the chat is read; its id kept in its title and `data-chat-id`. */
export function chatName(chatId, cls = 'chat-title') {
  const el = h('span', { class: cls, 'data-chat-id': chatId, title: `chat ${chatId}` }, '…');
  void loadChat(chatId).then((chat) => (el.textContent = chat ? chat.title : 'a chat you cannot see'));
  return el;
}

/** What a message case is about: its author and text now (or as reported, once it is gone). */
export function caseSummary(c) {
  let pending = summaries.get(c.id);
  if (!pending) {
    pending = new Promise((resolve) => summaryQueue.push({ caseId: c.id, resolve }));
    summaries.set(c.id, pending);
    pumpSummaries();
  }
  return pending;
}

function pumpSummaries() {
  while (summariesRunning < SUMMARY_CONCURRENCY && summaryQueue.length > 0) {
    const { caseId, resolve } = summaryQueue.shift();
    summariesRunning += 1;
    readSummary(caseId)
      .then(resolve, () => {
        // Not cached: the next render asks again.
        summaries.delete(caseId);
        resolve(null);
      })
      .finally(() => {
        summariesRunning -= 1;
        pumpSummaries();
      });
  }
}

async function readSummary(caseId) {
  for (let attempt = 0; ; attempt++) {
    try {
      const { target, reports } = await call('mod:case', { caseId });
      const evidence = reports.find((r) => r.evidence?.text !== undefined)?.evidence;
      if (target?.type === 'message') return { authorId: target.message.senderId, text: target.message.text };
      return { authorId: evidence?.senderId ?? null, text: evidence?.text ?? null };
    } catch (error) {
      if (error.code !== 'rate_limited' || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? 1000));
    }
  }
}
