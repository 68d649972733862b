// Start-up, sign-in, navigation between views, live events and keyboard shortcuts.
import { $, fill, errorText, throttle } from './dom.js';
import { session, login, logout, restore, connect, call, isPlatformAdmin } from './session.js';
import {
  initQueue,
  reload as reloadQueue,
  reloadSoon,
  upsertCase,
  resolveCase,
  upsertAppeal,
  moveSelection,
  openSelected,
} from './queue.js';
import { showCase, leaveCase, refreshCase, concernsShownCase, runShortcut } from './case.js';
import { initAppeal, showAppeal, leaveAppeal, updateShownAppeal } from './appeal.js';
import { initLog, load as loadLog, showingNewest } from './log.js';
import { startOps, stopOps } from './ops.js';
import { initConfirm, confirmOpen } from './confirm.js';
import { initPurge } from './purge.js';
import { initRequests, showRequests, leaveRequests } from './requests.js';
import { initRules, showRules, leaveRules, resetRules } from './rules.js';

const VIEWS = ['signin', 'forbidden', 'queue', 'case', 'appeal', 'log', 'ops', 'requests', 'rules', 'help'];
/** Set once the server has let this person read a queue; until then no view but sign-in or "not a moderator". */
let mayModerate = false;

function show(view) {
  for (const id of VIEWS) $(id).hidden = id !== view;
  $('bar').hidden = view === 'signin' || view === 'forbidden';
  for (const link of $('nav').querySelectorAll('a')) link.classList.toggle('current', link.dataset.view === view);
  document.body.dataset.view = view;
}

/** Shows the view named by the location hash (#/queue, #/case/<id>, #/appeal/<id>, #/log, #/ops, #/help). */
function route() {
  if (!mayModerate) return;
  const [, view = 'queue', id] = location.hash.split('/');
  if (view !== 'case') leaveCase();
  if (view !== 'appeal') leaveAppeal();
  if (view !== 'ops') stopOps();
  if (view !== 'requests') leaveRequests();
  if (view !== 'rules') leaveRules();
  if (view === 'case' && id) {
    show('case');
    showCase(id);
  } else if (view === 'appeal' && id) {
    show('appeal');
    showAppeal(id);
  } else if (view === 'log') {
    show('log');
    loadLog();
  } else if (view === 'ops' && isPlatformAdmin()) {
    show('ops');
    startOps();
  } else if (view === 'requests' && isPlatformAdmin()) {
    show('requests');
    showRequests(id);
  } else if (view === 'rules') {
    show('rules');
    showRules(id);
  } else if (view === 'help') {
    show('help');
  } else {
    show('queue');
    reloadQueue();
  }
}

async function start() {
  const socket = connect({
    onState: (state) => {
      const up = state === 'up';
      fill($('link-state'), up ? 'live' : 'offline');
      $('link-state').classList.toggle('up', up);
    },
    onRejected: () => signOut(),
  });
  const refreshCaseSoon = throttle(refreshCase, 500);
  const refreshLogSoon = throttle(() => document.body.dataset.view === 'log' && showingNewest() && loadLog(), 1000);
  socket.on('report:new', ({ case: c }) => {
    upsertCase(c);
    if (concernsShownCase({ caseId: c.id })) refreshCaseSoon();
  });
  socket.on('mod:action', ({ action }) => {
    if (action.caseId) resolveCase(action.caseId, action.type === 'dismiss_case' ? 'dismissed' : 'actioned');
    if (concernsShownCase(action)) refreshCaseSoon();
    refreshLogSoon();
  });
  socket.on('report:resolved', ({ caseId, outcome }) => resolveCase(caseId, outcome));
  socket.on('mod:appeal', ({ appeal }) => {
    upsertAppeal(appeal);
    updateShownAppeal(appeal);
  });
  // Reconnected after a drop: events may have been missed, so read the queue again.
  socket.io.on('reconnect', () => reloadSoon());

  // Whoever may read no queue at all is neither a platform moderator nor a chat admin.
  try {
    await call('mod:cases', { limit: 1 });
  } catch (error) {
    if (error.code === 'forbidden') return show('forbidden');
  }
  mayModerate = true;
  fill($('who'), `${session.user.displayName || session.user.username} (${session.user.role})`);
  $('nav').querySelector('[data-view="ops"]').hidden = !isPlatformAdmin();
  $('nav').querySelector('[data-view="requests"]').hidden = !isPlatformAdmin();
  route();
}

async function signOut() {
  mayModerate = false;
  stopOps();
  leaveRequests();
  resetRules();
  await logout().catch(() => undefined);
  document.title = 'Stoa console';
  history.replaceState(null, '', location.pathname);
  show('signin');
}

function initSignIn() {
  const form = $('signin-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fill($('signin-error'));
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await login(form.elements.username.value.trim(), form.elements.password.value);
      form.reset();
      await start();
    } catch (error) {
      fill($('signin-error'), error.status === 401 ? 'Wrong username or password.' : errorText(error));
    } finally {
      button.disabled = false;
    }
  });
  $('logout').addEventListener('click', signOut);
  $('forbidden-logout').addEventListener('click', signOut);
}

let goPending = false;
function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || confirmOpen()) return;
  if (event.target.closest?.('input, textarea, select')) return;
  const view = document.body.dataset.view;
  if (!['queue', 'case', 'appeal', 'log', 'ops', 'requests', 'rules', 'help'].includes(view)) return;
  const key = event.key;
  if (goPending) {
    goPending = false;
    const target = { q: '#/queue', l: '#/log', o: '#/ops', r: '#/requests', f: '#/rules' }[key];
    if (target) location.hash = target;
    return;
  }
  if (key === 'g') goPending = true;
  else if (key === '?') location.hash = '#/help';
  else if (key === 'Escape' && view !== 'queue') location.hash = '#/queue';
  else if (view === 'queue' && key === 'j') moveSelection(1);
  else if (view === 'queue' && key === 'k') moveSelection(-1);
  else if (view === 'queue' && (key === 'o' || (key === 'Enter' && event.target === document.body))) openSelected();
  else if (view === 'case' && runShortcut(key)) event.preventDefault();
}

initSignIn();
initConfirm();
initPurge();
initQueue({
  onOpen: (caseId) => (location.hash = `#/case/${caseId}`),
  onOpenAppeal: (appealId) => (location.hash = `#/appeal/${appealId}`),
});
initAppeal({ onDecided: () => (location.hash = '#/queue') });
initLog();
initRequests();
initRules();
window.addEventListener('hashchange', route);
document.addEventListener('keydown', onKey);
if (await restore()) await start();
else show('signin');
