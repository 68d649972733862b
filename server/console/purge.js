// Purging a person's messages: count first (a dry run), confirm, then follow the job until it is done.
import { $, fill, h, errorText } from './dom.js';
import { call, http } from './session.js';

/** How often a running purge is asked how far it is. */
const POLL_MS = 500;
/** A dry run changes nothing, but the event takes a reason like any action. */
const COUNT_REASON = 'Counting the messages a purge would hide';

/** `run` changes at each opening and closing: answers for an earlier one are dropped. */
const state = {
  run: 0,
  userId: null,
  caseId: undefined,
  counted: null,
  counting: 0,
  job: null,
  onDone: async () => {},
};

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export function initPurge() {
  const dialog = $('purge');
  const form = $('purge-form');
  $('purge-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    state.run += 1;
    const finished = state.job !== null;
    state.job = null;
    if (finished) void state.onDone();
  });
  for (const name of ['scope', 'since', 'until']) form.elements[name].addEventListener('change', () => count());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void confirm();
  });
}

/**
 * Opens the purge dialog for a person: `chatId` limits it to that chat (the default), `allChats` offers every
 * chat too (platform moderators); `caseId`, a case about the person, is decided by the purge.
 */
export function openPurge({ userId, chatId, allChats, caseId, onDone }) {
  const form = $('purge-form');
  state.run += 1;
  Object.assign(state, { userId, caseId, counted: null, job: null, onDone });
  form.reset();
  const scope = form.elements.scope;
  fill(
    scope,
    chatId ? h('option', { value: chatId }, `only chat ${chatId}`) : null,
    allChats || !chatId ? h('option', { value: '' }, 'all chats') : null,
  );
  scope.value = chatId ?? '';
  for (const el of form.elements) el.disabled = false;
  fill(
    $('purge-text'),
    `Hide the messages of user ${userId}. Hidden messages leave every member's history; they are kept as evidence.`,
  );
  fill($('purge-error'));
  fill($('purge-result'));
  $('purge-progress').hidden = true;
  $('purge-ok').hidden = false;
  fill($('purge-cancel'), 'Cancel');
  $('purge').showModal();
  scope.focus();
  void count();
}

/** The filters as the form has them, or an error in words. */
function filters() {
  const form = $('purge-form');
  const input = { userId: state.userId };
  if (form.elements.scope.value) input.chatId = form.elements.scope.value;
  const since = form.elements.since.value;
  const until = form.elements.until.value;
  // Dates are days in the moderator's time zone: since its first moment, until its last.
  if (since) input.since = startOfDay(since).toISOString();
  if (until) input.until = new Date(startOfDay(until, 1).getTime() - 1).toISOString();
  if (since && until && input.since > input.until) return { error: '“Since” is after “until”.' };
  return { input };
}

function startOfDay(value, plusDays = 0) {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays);
}

/** The dry run: how many messages in how many chats these filters would hide; confirming waits for it. */
async function count() {
  const run = state.run;
  const ticket = ++state.counting;
  state.counted = null;
  $('purge-ok').disabled = true;
  fill($('purge-error'));
  const { input, error } = filters();
  if (error) return fill($('purge-count'), error);
  fill($('purge-count'), 'Counting…');
  try {
    const reason = $('purge-form').elements.reason.value.trim() || COUNT_REASON;
    const result = await call('mod:purge', { ...input, reason, dryRun: true });
    if (run !== state.run || ticket !== state.counting) return;
    const chats = result.chats?.length ?? 0;
    if (result.count === 0) {
      fill($('purge-count'), 'No messages match: nothing would be hidden.');
      return;
    }
    fill(
      $('purge-count'),
      `${plural(result.count, 'message', 'messages')} in ${plural(chats, 'chat', 'chats')} will be hidden.`,
    );
    state.counted = input;
    $('purge-ok').disabled = false;
  } catch (failure) {
    if (run !== state.run || ticket !== state.counting) return;
    fill($('purge-count'));
    fill($('purge-error'), errorText(failure));
  }
}

async function confirm() {
  const form = $('purge-form');
  const input = state.counted;
  if (!input) return;
  const reason = form.elements.reason.value.trim();
  if (!reason) return fill($('purge-error'), 'A reason is required.');
  const run = state.run;
  fill($('purge-error'));
  for (const el of form.elements) if (el.id !== 'purge-cancel') el.disabled = true;
  let job;
  try {
    ({ job } = await call(
      'mod:purge',
      state.caseId ? { ...input, reason, caseId: state.caseId } : { ...input, reason },
    ));
  } catch (failure) {
    if (run !== state.run) return;
    for (const el of form.elements) el.disabled = false;
    return fill($('purge-error'), errorText(failure));
  }
  if (run !== state.run) return;
  state.job = job;
  $('purge-ok').hidden = true;
  fill($('purge-cancel'), 'Close');
  $('purge-cancel').disabled = false;
  $('purge-progress').hidden = false;
  // Follow the job until it stops running; closing the dialog stops following (the job goes on).
  while (run === state.run) {
    progress(job);
    if (job.status !== 'running') return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (run !== state.run) return;
    try {
      const body = await http('GET', `/api/moderation/jobs/${encodeURIComponent(job.id)}`);
      job = body.job ?? body;
      state.job = job;
    } catch (failure) {
      if (run === state.run) fill($('purge-error'), `Could not follow the purge: ${errorText(failure)}`);
      return;
    }
  }
}

function progress(job) {
  const bar = $('purge-progress');
  // Failures are batches that could not be done, each with the messages it held (or just a number).
  const failures = Array.isArray(job.failures)
    ? job.failures.reduce((sum, f) => sum + (Number(f?.count) || 1), 0)
    : Number(job.failures) || 0;
  bar.max = Math.max(1, job.total);
  bar.value = job.done;
  const failed = failures ? `, ${plural(failures, 'message', 'messages')} could not be hidden` : '';
  if (job.status === 'running')
    fill($('purge-result'), `Hiding… ${job.done} of ${plural(job.total, 'message', 'messages')}${failed}.`);
  else if (job.status === 'done')
    fill($('purge-result'), `${plural(job.done, 'message', 'messages')} hidden${failed}.`);
  else fill($('purge-result'), `The purge failed after ${plural(job.done, 'message', 'messages')} hidden${failed}.`);
  $('purge-result').classList.toggle('error', job.status === 'failed');
}
