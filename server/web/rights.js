// My rights: notices (statements of reasons) with their appeals, my reports with their outcomes, my data, deleting my account.
import { $, fill, h, time } from './dom.js';
import { call, http, session } from './session.js';
import { state } from './store.js';
import { confirmThen } from './confirm.js';
import { actionWords, levelWords, outcomeWords, reasonLabel, refusalText } from './words.js';

/** actionId -> my appeal of it; appealId -> my appeal. From my data export, then kept live. */
const appeals = { byAction: new Map(), byId: new Map() };
let notices = [];
let unread = 0;

export function rememberAppeal(appeal) {
  appeals.byAction.set(appeal.actionId, appeal);
  appeals.byId.set(appeal.id, appeal);
}

/** Unread notices, on the Notices link. */
export function setUnread(n) {
  unread = Math.max(0, n);
  const badge = $('notices-badge');
  badge.hidden = unread === 0;
  fill(badge, String(unread));
  badge.setAttribute('aria-label', `${unread} unread`);
}

export function noticeArrived(notice) {
  notices = [notice, ...notices.filter((n) => n.id !== notice.id)];
  if (document.body.dataset.view === 'notices') {
    renderNotices();
    void markNoticesRead();
  } else setUnread(unread + 1);
}

export async function showNotices() {
  fill($('notices-error'));
  try {
    const [{ notices: listed }, data] = await Promise.all([
      call('notices:list', { limit: 100 }),
      // Which actions I appealed, and how each appeal ended: my export holds my appeals.
      http('GET', '/api/me/export').catch(() => ({ appeals: [] })),
    ]);
    notices = listed;
    for (const appeal of data.appeals ?? []) rememberAppeal(appeal);
    renderNotices();
    await markNoticesRead();
  } catch (error) {
    fill($('notices-error'), refusalText(error));
  }
}

async function markNoticesRead() {
  const ids = notices.filter((n) => !n.readAt).map((n) => n.id);
  if (ids.length === 0) return setUnread(0);
  try {
    await call('notices:read', { ids });
    for (const n of notices) n.readAt ??= new Date().toISOString();
    setUnread(0);
  } catch {
    // Still unread; the next visit tries again.
  }
}

export function renderNotices() {
  fill($('notice-list'), notices.map(noticeCard));
  $('notices-empty').hidden = notices.length > 0;
}

function noticeCard(n) {
  const chat = n.chatId ? state.chats.get(n.chatId) : null;
  const decided = n.actionType === 'decide_appeal' ? appeals.byId.get(n.targetId) : null;
  return h(
    'li',
    { class: `card${n.readAt ? '' : ' unread'}`, dataset: { noticeId: n.id, actionId: n.actionId } },
    h('h2', {}, actionWords(n.actionType)),
    h(
      'p',
      { class: 'meta' },
      n.automatic ? 'Decided automatically' : `Decided by ${levelWords(n.actorRole)}`,
      ', ',
      time(n.createdAt),
      chat ? ` in “${chat.title}”` : '',
      n.until ? [' until ', time(n.until)] : '',
    ),
    decided
      ? h(
          'p',
          { class: 'outcome' },
          decided.status === 'reversed' ? 'Your appeal was accepted.' : 'Your appeal was rejected.',
        )
      : null,
    h('p', {}, h('strong', {}, 'Reason: '), h('span', { class: 'reason' }, n.reason)),
    n.reasonCategory ? h('p', {}, 'It was reported as: ', reasonLabel(n.reasonCategory)) : null,
    appealPart(n),
  );
}

function appealPart(n) {
  const appeal = appeals.byAction.get(n.actionId);
  if (appeal) {
    if (appeal.status === 'open')
      return h(
        'p',
        { class: 'appeal-state' },
        'You appealed on ',
        time(appeal.createdAt),
        '. A moderator will decide.',
      );
    return h(
      'p',
      { class: 'appeal-state' },
      appeal.status === 'reversed'
        ? 'Appeal accepted: the decision was reversed.'
        : 'Appeal rejected: the decision stands.',
      appeal.decisionReason ? [' ', h('span', { class: 'reason' }, appeal.decisionReason)] : '',
    );
  }
  const deadline = n.appeal?.deadline ? new Date(n.appeal.deadline) : null;
  if (!n.appeal?.appealable || (deadline && deadline.getTime() < Date.now())) return null;
  return h(
    'p',
    { class: 'appeal-state' },
    h(
      'button',
      {
        type: 'button',
        onclick: () =>
          confirmThen({
            title: 'Appeal this decision',
            text: 'A Stoa moderator who did not take it will look at it again. Say why you think it was wrong.',
            input: 'Why should it be reversed?',
            okLabel: 'Send appeal',
            danger: false,
            perform: async (text) => {
              const { appeal: filed } = await call('appeal:create', { actionId: n.actionId, text });
              rememberAppeal(filed);
              renderNotices();
            },
          }),
      },
      'Appeal',
    ),
    deadline ? [' You may appeal until ', time(n.appeal.deadline), '.'] : '',
  );
}

/** `appeal:decided`: the notice it was about shows the outcome. */
export function appealDecided(appeal) {
  rememberAppeal({ ...(appeals.byId.get(appeal.id) ?? {}), ...appeal });
  if (document.body.dataset.view === 'notices') renderNotices();
}

let reports = [];

export async function showReports() {
  fill($('reports-error'));
  try {
    reports = (await call('reports:mine', { limit: 100 })).reports;
    renderReports();
  } catch (error) {
    fill($('reports-error'), refusalText(error));
  }
}

/** `report:resolved`: one of my reports was decided. */
export function reportResolved({ reportId, outcome }) {
  const report = reports.find((r) => r.id === reportId);
  if (report) report.status = outcome;
  if (document.body.dataset.view === 'reports') renderReports();
}

function renderReports() {
  fill(
    $('report-list'),
    reports.map((r) => {
      const chat = r.chatId ? state.chats.get(r.chatId) : null;
      const what = { message: 'a message', user: 'a person', chat: 'a chat' }[r.targetType];
      return h(
        'li',
        { class: 'card', dataset: { reportId: r.id } },
        h('h2', {}, `You reported ${what}`, chat ? ` in “${chat.title}”` : ''),
        h('p', { class: 'meta' }, time(r.createdAt), ' · ', reasonLabel(r.reason)),
        r.comment ? h('p', { class: 'comment' }, r.comment) : null,
        h('p', {}, h('span', { class: `status status-${r.status}` }, outcomeWords(r.status))),
      );
    }),
  );
  $('reports-empty').hidden = reports.length > 0;
}

export function showAccount() {
  const u = session.user;
  fill(
    $('account-facts'),
    fact('Display name', u.displayName),
    fact('Username', `@${u.username}`),
    fact('Here since', time(u.createdAt)),
  );
  fill($('account-error'));
  fill($('download-status'));
}

function fact(name, value) {
  return h('div', {}, h('dt', {}, name), h('dd', {}, value));
}

export function initRights({ onDeleted }) {
  $('download-data').addEventListener('click', async () => {
    fill($('download-status'), 'Preparing…');
    try {
      const data = await http('GET', '/api/me/export');
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      const link = h('a', { href: url, download: `stoa-${session.user.username}.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      fill($('download-status'), 'Downloaded.');
    } catch (error) {
      fill($('download-status'));
      fill($('account-error'), refusalText(error));
    }
  });
  $('delete-account').addEventListener('click', () =>
    confirmThen({
      title: 'Delete your account?',
      text: 'This cannot be undone. You leave every chat; your messages stay, shown as written by “Deleted account”.',
      okLabel: 'Delete my account',
      perform: async () => {
        try {
          await http('DELETE', '/api/me');
        } catch (error) {
          if (error.code === 'conflict')
            throw {
              code: 'conflict',
              message: 'You own a chat: make someone else its owner first, then delete your account.',
            };
          throw error;
        }
        onDeleted();
      },
    }),
  );
}
