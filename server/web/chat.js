// One chat: its history (caught up after a reconnect), live messages, typing, my edits and deletes,
// read position, tombstones, a closed chat's notice, and a Report button on every message and person.
import { $, fill, h, time } from './dom.js';
import { call, session } from './session.js';
import { state, messagesOf, heldSeq, isAdminOf } from './store.js';
import { personName, profileOf, nameOf, load as loadNames } from './people.js';
import { reportButton, openReport } from './report.js';
import { confirmThen } from './confirm.js';
import { renderChats, joinChat } from './chats.js';
import { closedText, refusalText } from './words.js';

const PAGE = 50;
/** Typing shows for this long unless it comes again. */
const TYPING_MS = 5000;
/** typing:start at most this often while typing. */
const TYPING_EVERY_MS = 3000;

/** The send in flight: its text and clientMsgId, so that a retry of the same text is idempotent. */
let pendingSend = null;
let lastTypingSent = 0;
const typists = new Map();

export function initChat() {
  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    void send();
  });
  $('composer-text').addEventListener('keydown', (event) => {
    // Enter sends, Shift+Enter is a new line.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void send();
    }
  });
  $('composer-text').addEventListener('input', () => {
    const chat = state.chats.get(state.openChatId);
    if (!chat || chat.type !== 'group' || Date.now() - lastTypingSent < TYPING_EVERY_MS) return;
    lastTypingSent = Date.now();
    call('typing:start', { chatId: chat.id }).catch(() => undefined);
  });
  $('chat-older').addEventListener('click', () => void loadOlder());
  document.addEventListener('visibilitychange', () => markRead());
}

/** Opens a chat: from memory at once, then its latest page or what it missed since. */
export async function openChat(chatId) {
  const switching = state.openChatId !== chatId;
  state.openChatId = chatId;
  if (switching) {
    fill($('messages'));
    fill($('typing'));
    fill($('chat-error'));
    fill($('composer-error'));
    $('chat-invite').hidden = true;
    $('composer-text').value = '';
    pendingSend = null;
    typists.clear();
  }
  let chat = state.chats.get(chatId);
  if (!chat) {
    // Not one of mine: a public chat to look at and join.
    try {
      chat = (await call('chat:get', { chatId })).chat;
    } catch (error) {
      fill($('chat-error'), refusalText(error));
      return;
    }
    // Another chat was opened meanwhile, or my chats arrived and this one is mine: that call renders it.
    if (state.openChatId !== chatId || state.chats.has(chatId)) return;
    renderHeader(chat, false);
    return;
  }
  renderHeader(chat, true);
  renderAll(chatId);
  if (chat.closed) return;
  try {
    await catchUpChat(chatId);
  } catch (error) {
    if (state.openChatId === chatId) fill($('chat-error'), refusalText(error));
  }
  if (state.openChatId === chatId) {
    renderAll(chatId);
    markRead();
  }
}

export function leaveChatView() {
  state.openChatId = null;
}

/**
 * What a chat missed: with nothing held, its latest page; otherwise every message after the last seq held,
 * page after page (the README's catch-up recipe). Tombstones replace what was held at their seq.
 */
export async function catchUpChat(chatId) {
  const held = heldSeq(chatId);
  if (held === null) {
    const page = await call('message:history', { chatId, limit: PAGE });
    for (const entry of page.messages) store(entry);
    state.older.set(chatId, page.hasMore);
  } else {
    let after = held;
    for (;;) {
      const page = await call('message:history', { chatId, after, limit: 100 });
      for (const entry of page.messages) store(entry);
      if (!page.hasMore || page.messages.length === 0) break;
      after = page.messages[page.messages.length - 1].seq;
    }
  }
  await loadNames([...messagesOf(chatId).values()].map((m) => m.senderId).filter(Boolean));
}

async function loadOlder() {
  const chatId = state.openChatId;
  const held = messagesOf(chatId);
  const first = Math.min(...held.keys());
  try {
    const page = await call('message:history', { chatId, before: first, limit: PAGE });
    for (const entry of page.messages) store(entry);
    state.older.set(chatId, page.hasMore);
    await loadNames(page.messages.map((m) => m.senderId).filter(Boolean));
    if (state.openChatId === chatId) renderAll(chatId);
  } catch (error) {
    fill($('chat-error'), refusalText(error));
  }
}

function store(entry) {
  messagesOf(entry.chatId).set(entry.seq, entry);
}

function renderHeader(chat, member) {
  fill($('chat-title'), chat.title);
  const kind = chat.type === 'channel' ? 'Channel' : 'Group';
  fill(
    $('chat-meta'),
    `${kind}, ${chat.visibility}`,
    chat.memberCount !== undefined ? `, ${chat.memberCount} member${chat.memberCount === 1 ? '' : 's'}` : '',
    chat.role && chat.role !== 'member' ? ` · you are its ${chat.role}` : '',
    chat.muted ? ' · you are muted here' : '',
  );
  const tools = [];
  if (!member)
    tools.push(
      h(
        'button',
        {
          type: 'button',
          onclick: async () => {
            try {
              await joinChat({ chatId: chat.id });
              void openChat(chat.id);
            } catch (error) {
              fill($('chat-error'), refusalText(error));
            }
          },
        },
        'Join',
      ),
    );
  if (member && isAdminOf(chat) && !chat.closed)
    tools.push(h('button', { type: 'button', onclick: () => void showInvite(chat) }, 'Invite link'));
  tools.push(reportButton('chat', chat.id, () => `The chat “${chat.title}”`));
  if (member && chat.role !== 'owner')
    tools.push(
      h(
        'button',
        {
          type: 'button',
          onclick: () =>
            confirmThen({
              title: 'Leave this chat?',
              text: `You leave “${chat.title}”. You can join a public chat again later.`,
              okLabel: 'Leave',
              perform: async () => {
                await call('chat:leave', { chatId: chat.id });
                state.chats.delete(chat.id);
                state.messages.delete(chat.id);
                renderChats();
                location.hash = '#/chats';
              },
            }),
        },
        'Leave',
      ),
    );
  fill($('chat-tools'), tools);
  renderClosed(chat);
  const composer = $('composer');
  const canPost = member && !chat.closed && (chat.type === 'group' || isAdminOf(chat));
  composer.hidden = !canPost;
  if (member && !chat.closed && !canPost) fill($('composer-error'), 'Only the channel’s admins post here.');
}

function renderClosed(chat) {
  if (!chat.closed) return fill($('chat-closed'));
  const words = closedText(chat.closed);
  fill(
    $('chat-closed'),
    h(
      'div',
      { class: 'closed-notice', role: 'note' },
      h('p', {}, h('strong', {}, words.title)),
      h('p', {}, words.ground),
      h('p', { class: 'reason' }, words.reason),
      h('p', { class: 'meta' }, 'It is read-only.', words.appeal ? ` ${words.appeal}` : ''),
    ),
  );
}

async function showInvite(chat) {
  try {
    const { inviteCode } = await call('chat:invite', { chatId: chat.id });
    const link = `${location.origin}/#/join/${inviteCode}`;
    fill(
      $('chat-invite'),
      h('label', {}, 'Invite link (anyone with it can join)', h('input', { readonly: true, value: link })),
    );
    $('chat-invite').hidden = false;
    $('chat-invite').querySelector('input').select();
  } catch (error) {
    fill($('chat-error'), refusalText(error));
  }
}

function renderAll(chatId) {
  const held = [...messagesOf(chatId).values()].sort((a, b) => a.seq - b.seq);
  fill($('messages'), held.map(entryItem));
  $('chat-older').hidden = !state.older.get(chatId);
  scrollToEnd();
}

function scrollToEnd() {
  const list = $('messages');
  list.lastElementChild?.scrollIntoView({ block: 'end' });
}

/** One message or tombstone as a list item. */
function entryItem(entry) {
  const base = { class: 'message', dataset: { seq: String(entry.seq), messageId: entry.id } };
  if (entry.text === undefined) {
    const words = entry.deleted ? 'message deleted' : 'message removed by moderators';
    return h('li', { ...base, class: 'message tombstone' }, h('p', { class: 'removed' }, words));
  }
  const mine = entry.senderId === session.user?.id;
  const quote = () => `“${entry.text.length > 120 ? `${entry.text.slice(0, 120)}…` : entry.text}”`;
  return h(
    'li',
    { ...base, class: mine ? 'message mine' : 'message' },
    h(
      'p',
      { class: 'msg-head' },
      mine
        ? h('span', { class: 'sender' }, 'You')
        : h(
            'button',
            { type: 'button', class: 'sender link', onclick: () => showPerson(entry.senderId) },
            personName(entry.senderId),
          ),
      ' ',
      time(entry.createdAt),
      entry.editedAt ? h('span', { class: 'muted' }, ' (edited)') : null,
    ),
    h('p', { class: 'text' }, entry.text),
    h(
      'p',
      { class: 'msg-tools' },
      mine
        ? [
            h('button', { type: 'button', class: 'link', onclick: (e) => editInPlace(entry, e.currentTarget) }, 'Edit'),
            h('button', { type: 'button', class: 'link', onclick: () => deleteMessage(entry) }, 'Delete'),
          ]
        : reportButton('message', entry.id, () => [`${nameOf(entry.senderId) ?? 'Someone'} wrote: `, quote()]),
    ),
  );
}

/** A person's card: their name and username, and a button to report them. */
function showPerson(userId) {
  const profile = profileOf(userId);
  const name = profile?.displayName ?? 'Someone';
  fill($('person-title'), name);
  fill(
    $('person-text'),
    profile?.username ? `@${profile.username}` : '',
    profile?.createdAt ? [', here since ', time(profile.createdAt)] : '',
  );
  $('person-report').onclick = () => {
    $('person').close();
    openReport('user', userId, `${name}${profile?.username ? ` (@${profile.username})` : ''}`);
  };
  $('person').showModal();
}

function editInPlace(entry, button) {
  const item = button.closest('li');
  const area = h('textarea', { rows: 2, maxlength: 4000, 'aria-label': 'Edit your message' });
  area.value = entry.text;
  const error = h('p', { class: 'error', role: 'alert' });
  const save = async () => {
    const text = area.value.trim();
    if (!text) return;
    try {
      const { message } = await call('message:edit', { messageId: entry.id, text });
      store(message);
      item.replaceWith(entryItem(message));
    } catch (err) {
      fill(error, refusalText(err));
    }
  };
  item
    .querySelector('.text')
    .replaceWith(
      h(
        'div',
        { class: 'edit' },
        area,
        h(
          'p',
          { class: 'buttons' },
          h('button', { type: 'button', onclick: () => item.replaceWith(entryItem(entry)) }, 'Cancel'),
          h('button', { type: 'button', class: 'primary', onclick: save }, 'Save'),
        ),
        error,
      ),
    );
  area.focus();
}

function deleteMessage(entry) {
  confirmThen({
    title: 'Delete this message?',
    text: 'Everyone in the chat will see “message deleted” in its place.',
    okLabel: 'Delete',
    perform: async () => {
      await call('message:delete', { messageId: entry.id });
      applyEntry({ id: entry.id, chatId: entry.chatId, seq: entry.seq, deleted: true });
    },
  });
}

/** Sends what is typed; on a refusal the text stays where it was, with the server's reason in plain words. */
async function send() {
  const chatId = state.openChatId;
  const box = $('composer-text');
  const text = box.value.trim();
  if (!chatId || !text) return;
  if (!session.socket?.connected) {
    fill($('composer-error'), 'You are offline. Your message is kept; it can be sent once you are reconnected.');
    return;
  }
  if (!pendingSend || pendingSend.text !== text || pendingSend.chatId !== chatId)
    pendingSend = { chatId, text, clientMsgId: `web-${Date.now()}-${Math.random().toString(36).slice(2)}` };
  const attempt = pendingSend;
  $('composer-send').disabled = true;
  fill($('composer-error'));
  try {
    const { message } = await call('message:send', { chatId, text, clientMsgId: attempt.clientMsgId });
    if (pendingSend === attempt) pendingSend = null;
    // Cleared only if it still holds what was sent (the person may have typed on).
    if (state.openChatId === chatId && box.value.trim() === text) box.value = '';
    applyEntry(message);
  } catch (error) {
    if (state.openChatId === chatId) fill($('composer-error'), refusalText(error));
    if (error.code === 'chat_closed') await refreshChat(chatId);
  } finally {
    $('composer-send').disabled = false;
  }
}

/** Reads my chats again (a chat closed or changed under me), and shows the open one as it now is. */
async function refreshChat(chatId) {
  try {
    const { chat } = await call('chat:get', { chatId });
    const mine = state.chats.get(chatId);
    if (mine) state.chats.set(chatId, { ...mine, ...chat });
    if (state.openChatId === chatId) renderHeader(state.chats.get(chatId) ?? chat, Boolean(mine));
  } catch {
    // The next list read says.
  }
}

/** A message or tombstone that arrived (live, or acked): held, listed, and shown if its chat is open. */
export function applyEntry(entry) {
  const chat = state.chats.get(entry.chatId);
  const known = messagesOf(entry.chatId).get(entry.seq);
  if (state.messages.has(entry.chatId)) store(entry);
  if (chat) {
    const isNew = entry.seq > (chat.lastSeq ?? 0);
    if (isNew) {
      chat.lastSeq = entry.seq;
      if (entry.senderId !== session.user?.id || state.openChatId !== entry.chatId) chat.unreadCount += 1;
    }
    if (entry.seq >= (chat.lastSeq ?? 0)) chat.lastMessage = entry;
    renderChats();
  }
  if (state.openChatId !== entry.chatId) return;
  if (entry.senderId) void loadNames([entry.senderId]);
  const item = entryItem(entry);
  const list = $('messages');
  const existing = list.querySelector(`li[data-seq="${entry.seq}"]`);
  if (existing) existing.replaceWith(item);
  else {
    const after = [...list.children].find((li) => Number(li.dataset.seq) > entry.seq);
    list.insertBefore(item, after ?? null);
    if (!after) scrollToEnd();
  }
  if (!known && entry.senderId) typists.delete(entry.senderId);
  renderTyping();
  markRead();
}

/** Moves my read position to the latest message of the chat on screen, when the page is visible. */
export function markRead() {
  const chat = state.chats.get(state.openChatId);
  if (!chat || chat.closed || document.visibilityState !== 'visible') return;
  if ((chat.lastSeq ?? 0) <= (chat.readSeq ?? 0)) return;
  const seq = chat.lastSeq;
  call('chat:read', { chatId: chat.id, seq }).then(
    ({ seq: stored }) => readMoved(chat.id, stored),
    () => undefined,
  );
}

/** My read position moved (here or on another of my devices). */
export function readMoved(chatId, seq) {
  const chat = state.chats.get(chatId);
  if (!chat) return;
  chat.readSeq = Math.max(chat.readSeq ?? 0, seq);
  chat.unreadCount = Math.max(0, (chat.lastSeq ?? 0) - chat.readSeq);
  renderChats();
}

/** `typing`: the names of who types, for about five seconds. */
export function typing({ chatId, userId, userIds }) {
  if (chatId !== state.openChatId) return;
  for (const id of userIds ?? [userId]) {
    if (id === session.user?.id) continue;
    clearTimeout(typists.get(id));
    typists.set(
      id,
      setTimeout(() => {
        typists.delete(id);
        renderTyping();
      }, TYPING_MS),
    );
  }
  void loadNames([...typists.keys()]).then(renderTyping);
}

function renderTyping() {
  const names = [...typists.keys()].map((id) => nameOf(id) ?? 'Someone');
  fill($('typing'), names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`);
}

/** `chat:closed` / `chat:reopened`: the chat's notice, and whether one may still write in it. */
export function chatClosed(chatId, notice) {
  const chat = state.chats.get(chatId);
  if (chat) chat.closed = notice;
  renderChats();
  if (state.openChatId === chatId && chat) renderHeader(chat, true);
}

export async function chatReopened(chatId) {
  const chat = state.chats.get(chatId);
  if (chat) chat.closed = null;
  renderChats();
  if (state.openChatId === chatId) await openChat(chatId);
}

/** Removed from a chat (banned): it leaves my list; if it is on screen, say why. */
export function removedFrom(chatId, reason) {
  state.chats.delete(chatId);
  state.messages.delete(chatId);
  renderChats();
  if (state.openChatId === chatId) {
    fill($('chat-error'), `You were removed from this chat${reason ? `: ${reason}` : ''}.`);
    $('composer').hidden = true;
  }
}
