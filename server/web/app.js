// Start-up, sign-in, navigation, the live connection (and catching up after it drops), and live events.
import { $, fill } from './dom.js';
import { session, login, register, logout, restore, connect, forget, isPlatformModerator } from './session.js';
import { state, heldSeq } from './store.js';
import { remember } from './people.js';
import { initReport } from './report.js';
import { initConfirm } from './confirm.js';
import { initChats, loadChats, joinChat } from './chats.js';
import {
  initChat,
  openChat,
  leaveChatView,
  catchUpChat,
  applyEntry,
  readMoved,
  typing,
  chatClosed,
  chatReopened,
  removedFrom,
  markRead,
} from './chat.js';
import {
  initRights,
  showNotices,
  showReports,
  showAccount,
  noticeArrived,
  appealDecided,
  reportResolved,
  setUnread,
} from './rights.js';
import { refusalText } from './words.js';

const VIEWS = ['signin', 'chats', 'find', 'new', 'chat', 'notices', 'reports', 'account'];
let started = false;

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  $('bar').hidden = view === 'signin';
  for (const link of $('nav').querySelectorAll('a[data-view]')) {
    const current = link.dataset.view === view || (view === 'chat' && link.dataset.view === 'chats');
    link.classList.toggle('current', current);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.body.dataset.view = view;
}

/** #/chats, #/chat/<id>, #/find, #/new, #/notices, #/reports, #/account, #/join/<invite code>. */
async function route() {
  if (!started) return;
  const [, view = 'chats', id] = location.hash.split('/');
  if (view !== 'chat') leaveChatView();
  if (view === 'chat' && id) {
    show('chat');
    await openChat(id);
  } else if (view === 'join' && id) {
    try {
      const chat = await joinChat({ inviteCode: id });
      location.replace(`#/chat/${chat.id}`);
    } catch (error) {
      show('chats');
      fill($('chats-error'), refusalText(error));
    }
  } else if (VIEWS.includes(view) && view !== 'signin' && view !== 'chat') {
    show(view);
    if (view === 'notices') await showNotices();
    else if (view === 'reports') await showReports();
    else if (view === 'account') showAccount();
    else if (view === 'find') $('find-form').elements.q.focus();
  } else {
    show('chats');
  }
}

/** The connection's state, said in words: nothing while live, "Reconnecting…" while it is not. */
function connection(text) {
  const bar = $('connection');
  bar.hidden = !text;
  fill(bar, text ?? '');
}

/** After a reconnect: one chat:list, then history after what is held for each chat that moved. */
async function catchUp() {
  await loadChats();
  const moved = [...state.chats.values()].filter(
    (c) => state.messages.has(c.id) && !c.closed && (c.lastSeq ?? 0) > (heldSeq(c.id) ?? c.readSeq ?? 0),
  );
  await Promise.all(moved.map((c) => catchUpChat(c.id).catch(() => undefined)));
  if (state.openChatId) await openChat(state.openChatId);
}

async function start() {
  started = true;
  fill($('who'), session.user.displayName || session.user.username);
  $('console-link').hidden = true;
  let everConnected = false;
  const socket = connect({
    onState: (s) => {
      if (s === 'up') {
        connection(null);
        if (everConnected) void catchUp();
        everConnected = true;
      } else if (s === 'down' && started) connection('Reconnecting…');
    },
    onRejected: (why) => void signOut(why === 'suspended' ? 'Your account is suspended.' : 'Please sign in again.'),
  });
  socket.on('message:new', ({ message }) => applyEntry(message));
  socket.on('message:edited', ({ message }) => applyEntry(message));
  socket.on('message:unhidden', ({ message }) => applyEntry(message));
  socket.on('messages:unhidden', ({ messages }) => messages.forEach(applyEntry));
  socket.on('message:hidden', ({ chatId, messageId, seq }) => applyEntry({ id: messageId, chatId, seq, hidden: true }));
  socket.on('message:deleted', ({ chatId, messageId, seq }) =>
    applyEntry({ id: messageId, chatId, seq, deleted: true }),
  );
  socket.on('messages:hidden', ({ chatId, messageIds, seqs }) =>
    messageIds.forEach((id, i) => applyEntry({ id, chatId, seq: seqs[i], hidden: true })),
  );
  socket.on('chat:read', ({ chatId, seq }) => readMoved(chatId, seq));
  socket.on('typing', typing);
  socket.on('user:updated', ({ user }) => remember(user));
  socket.on('chat:closed', ({ chatId, notice }) => chatClosed(chatId, notice));
  socket.on('chat:reopened', ({ chatId }) => void chatReopened(chatId));
  socket.on('chat:removed', ({ chatId, reason }) => removedFrom(chatId, reason));
  socket.on('member:muted', ({ chatId, userId, until }) => {
    const chat = state.chats.get(chatId);
    if (chat && userId === session.user.id) Object.assign(chat, { muted: true, mutedUntil: until });
  });
  socket.on('notices:unread', ({ notices }) => setUnread(notices.length));
  socket.on('moderation:notice', ({ notice }) => noticeArrived(notice));
  socket.on('appeal:decided', ({ appeal }) => appealDecided(appeal));
  socket.on('report:resolved', (resolved) => reportResolved(resolved));
  socket.on('account:suspended', ({ reason }) => void signOut(`Your account was suspended: ${reason}`));
  socket.on('server:shutdown', () => connection('The server is restarting. Reconnecting…'));
  socket.on('connection:closed', ({ retryAfterMs }) =>
    connection(`Too many events: reconnecting in ${Math.ceil((retryAfterMs ?? 10_000) / 1000)} s…`),
  );

  show('chats');
  try {
    await loadChats();
  } catch (error) {
    fill($('chats-error'), refusalText(error));
  }
  // Staff and the admins of a chat have a moderation console.
  const moderates =
    isPlatformModerator() || [...state.chats.values()].some((c) => c.role === 'owner' || c.role === 'admin');
  $('console-link').hidden = !moderates;
  await route();
}

async function signOut(message) {
  started = false;
  leaveChatView();
  state.chats.clear();
  state.messages.clear();
  await logout().catch(() => undefined);
  connection(null);
  history.replaceState(null, '', location.pathname);
  show('signin');
  fill($('signin-error'), message ?? '');
}

function initSignIn() {
  const form = $('signin-form');
  const run = async (how) => {
    fill($('signin-error'));
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    const username = form.elements.username.value.trim().toLowerCase();
    const password = form.elements.password.value;
    try {
      if (how === 'register') await register(username, password, form.elements.displayName.value.trim());
      else await login(username, password);
      form.reset();
      await start();
    } catch (error) {
      fill(
        $('signin-error'),
        error.status === 401
          ? 'Wrong username or password.'
          : error.status === 409
            ? 'That username is taken. Choose another, or sign in.'
            : refusalText(error),
      );
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run('login');
  });
  $('register-button').addEventListener('click', () => {
    if (form.reportValidity()) void run('register');
  });
  $('logout').addEventListener('click', () => void signOut());
}

initSignIn();
initConfirm();
initReport();
initChats({ onOpen: (chatId) => (location.hash = `#/chat/${chatId}`) });
initChat();
initRights({
  onDeleted: () => {
    forget();
    void signOut('Your account was deleted.');
  },
});
window.addEventListener('hashchange', () => void route());
window.addEventListener('focus', () => markRead());
if (await restore()) await start();
else show('signin');
