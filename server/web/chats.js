// My chats (chat:list, kept live), finding and joining public chats, creating one, joining by invite link.
import { $, fill, h, time } from './dom.js';
import { call } from './session.js';
import { state } from './store.js';
import { personName, load as loadNames } from './people.js';
import { reportButton } from './report.js';
import { refusalText } from './words.js';

/** Every page of chat:list: the page's view of my chats, replaced whole. */
export async function loadChats() {
  const chats = [];
  let before;
  for (;;) {
    const page = await call('chat:list', before ? { before } : {});
    chats.push(...page.chats);
    if (!page.hasMore || page.chats.length === 0) break;
    before = page.chats[page.chats.length - 1].id;
  }
  state.chats = new Map(chats.map((c) => [c.id, c]));
  void loadNames(chats.map((c) => c.lastMessage?.senderId).filter(Boolean));
  renderChats();
  return chats;
}

/** A short line for a chat's latest message. */
function lastLine(chat) {
  if (chat.closed) return h('span', { class: 'flag' }, 'Closed by the moderators');
  const m = chat.lastMessage;
  if (!m) return h('span', { class: 'muted' }, 'No messages yet');
  if (m.hidden === true) return h('span', { class: 'muted' }, 'message removed by moderators');
  if (m.deleted) return h('span', { class: 'muted' }, 'message deleted');
  return [personName(m.senderId), ': ', m.text.length > 80 ? `${m.text.slice(0, 80)}…` : m.text];
}

export function renderChats() {
  const chats = [...state.chats.values()].sort((a, b) =>
    (b.lastMessage?.createdAt ?? '').localeCompare(a.lastMessage?.createdAt ?? ''),
  );
  fill(
    $('chat-list'),
    chats.map((chat) =>
      h(
        'li',
        { dataset: { chatId: chat.id } },
        h(
          'a',
          { href: `#/chat/${chat.id}`, class: 'chat-link' },
          h('span', { class: 'chat-title' }, chat.title),
          chat.unreadCount > 0
            ? h('span', { class: 'badge', 'aria-label': `${chat.unreadCount} unread` }, String(chat.unreadCount))
            : null,
          h('span', { class: 'last' }, lastLine(chat)),
          chat.lastMessage?.createdAt ? h('span', { class: 'when' }, time(chat.lastMessage.createdAt)) : null,
        ),
      ),
    ),
  );
  $('chats-empty').hidden = chats.length > 0;
  const unread = chats.reduce((n, c) => n + (c.unreadCount > 0 ? 1 : 0), 0);
  document.title = unread > 0 ? `(${unread}) Stoa` : 'Stoa';
}

export function initChats({ onOpen }) {
  $('find-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = event.target.elements.q.value.trim();
    if (!q) return;
    fill($('find-error'));
    try {
      const { chats } = await call('chat:search', { q, limit: 50 });
      fill(
        $('find-results'),
        chats.map((chat) => foundChat(chat, onOpen)),
      );
      $('find-empty').hidden = chats.length > 0;
    } catch (error) {
      fill($('find-error'), refusalText(error));
    }
  });
  $('new-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const input = {
      type: form.elements.type.value,
      title: form.elements.title.value.trim(),
      visibility: form.elements.visibility.value,
    };
    const description = form.elements.description.value.trim();
    if (description) input.description = description;
    fill($('new-error'));
    try {
      const { chat } = await call('chat:create', input);
      form.reset();
      state.chats.set(chat.id, { ...chat, role: 'owner', lastSeq: 0, lastMessage: null, readSeq: 0, unreadCount: 0 });
      renderChats();
      onOpen(chat.id);
    } catch (error) {
      fill($('new-error'), refusalText(error));
    }
  });
}

function foundChat(chat, onOpen) {
  const mine = state.chats.has(chat.id);
  const join = async (button) => {
    button.disabled = true;
    try {
      await joinChat({ chatId: chat.id });
      onOpen(chat.id);
    } catch (error) {
      fill($('find-error'), refusalText(error));
      button.disabled = false;
    }
  };
  return h(
    'li',
    { class: 'found', dataset: { chatId: chat.id } },
    h('span', { class: 'chat-title' }, chat.title),
    h(
      'span',
      { class: 'meta' },
      `${chat.type === 'channel' ? 'Channel' : 'Group'}, ${chat.memberCount} member${chat.memberCount === 1 ? '' : 's'}`,
    ),
    chat.description ? h('span', { class: 'last' }, chat.description) : null,
    h(
      'span',
      { class: 'tools' },
      mine
        ? h('a', { href: `#/chat/${chat.id}`, class: 'button' }, 'Open')
        : h('button', { type: 'button', onclick: (event) => join(event.currentTarget) }, 'Join'),
      reportButton('chat', chat.id, () => `The chat “${chat.title}”`),
    ),
  );
}

/** Joins by id or invite code, then reads my chats again (the joined one with its role and counts). */
export async function joinChat(input) {
  const { chat } = await call('chat:join', input);
  await loadChats();
  return chat;
}
