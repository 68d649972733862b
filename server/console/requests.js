// Requests from authorities (platform admins only): the ledger newest first, recording a request as received,
// and one request with its reviews, history, disclosure and preservation hold. Over HTTP, like the server's
// /api/legal-requests routes; whatever the server sends reaches the page as text, and refusals are shown in words.
import { $, fill, h, time, errorText } from './dom.js';
import { http } from './session.js';
import { person } from './names.js';

export const LEGAL_STATUSES = ['received', 'approved', 'rejected', 'complied', 'partial', 'no_data'];
const AUTHORITY_KINDS = ['police', 'prosecutor', 'court', 'regulator', 'other'];
const INSTRUMENTS = {
  dsa_art9: 'DSA Art. 9 order against illegal content',
  dsa_art10: 'DSA Art. 10 order to provide information',
  epoc: 'European Production Order',
  epoc_pr: 'European Preservation Order',
  subpoena: 'subpoena',
  court_order: 'court order',
  warrant: 'warrant',
  emergency: 'emergency request (one approval, a second review within 72 h)',
  preservation: 'preservation request (holds data, discloses nothing)',
  informal: 'informal request',
};
const REJECTION_GROUNDS = ['no_legal_basis', 'over_broad', 'wrong_jurisdiction', 'other'];
const TARGET_LINE = /^(user|chat|message):([0-9a-f]{24})$/i;
const PAGE = 50;

/** `before` of each list page shown so far; the first page has none. */
let pages = [undefined];
let listGeneration = 0;
/** The request on its page, and what its disclosure holds once shown: {status, sha256, manifest}. */
let shown = null;
let outcome = null;
let pageGeneration = 0;
/** What the review dialog is for: {requestId, verdict}; what the confirmation runs on confirm. */
let pendingReview = null;
let pendingConfirm = null;

const options = (select, entries) =>
  select.replaceChildren(...entries.map(([value, label]) => h('option', { value }, label)));

export function initRequests() {
  const filters = $('requests-filters');
  options(filters.elements.status, [['', 'any'], ...LEGAL_STATUSES.map((s) => [s, s])]);
  filters.addEventListener('change', () => {
    pages = [undefined];
    loadList();
  });
  filters.addEventListener('submit', (event) => event.preventDefault());
  $('requests-newest').addEventListener('click', () => {
    pages = [undefined];
    loadList();
  });
  $('requests-older').addEventListener('click', () => {
    const last = $('requests-rows').lastElementChild?.dataset.requestId;
    if (!last) return;
    pages.push(last);
    loadList();
  });

  const form = $('request-form');
  options(
    form.elements.kind,
    AUTHORITY_KINDS.map((k) => [k, k]),
  );
  options(
    form.elements.instrument,
    Object.entries(INSTRUMENTS).map(([value, label]) => [value, `${value}: ${label}`]),
  );
  form.addEventListener('submit', recordRequest);

  const review = $('request-review-form');
  options(review.elements.rejectionGround, [['', 'Choose a ground'], ...REJECTION_GROUNDS.map((g) => [g, g])]);
  review.addEventListener('submit', submitReview);
  $('request-review-cancel').addEventListener('click', () => $('request-review').close());
  $('request-review').addEventListener('close', () => (pendingReview = null));

  $('request-confirm-form').addEventListener('submit', submitConfirm);
  $('request-confirm-cancel').addEventListener('click', () => $('request-confirm').close());
  $('request-confirm').addEventListener('close', () => (pendingConfirm = null));
}

/** `#/requests` (the list), `#/requests/new` (the form) or `#/requests/<id>` (one request). */
export function showRequests(id) {
  const part = id === 'new' ? 'new' : id ? 'page' : 'list';
  $('requests-list').hidden = part !== 'list';
  $('request-new').hidden = part !== 'new';
  $('request-page').hidden = part !== 'page';
  if (part === 'list') return loadList();
  if (part === 'new') return openForm();
  return loadRequest(id);
}

/** Leaving the page: late answers are dropped, and what was shown is forgotten. */
export function leaveRequests() {
  listGeneration++;
  pageGeneration++;
  shown = null;
  outcome = null;
  for (const id of ['request-review', 'request-confirm']) if ($(id).open) $(id).close();
}

// The list.

async function loadList() {
  const generation = ++listGeneration;
  const query = new URLSearchParams({ limit: String(PAGE) });
  const status = $('requests-filters').elements.status.value;
  if (status) query.set('status', status);
  const before = pages[pages.length - 1];
  if (before) query.set('before', before);
  try {
    const { requests, hasMore } = await http('GET', `/api/legal-requests?${query}`);
    if (generation !== listGeneration) return;
    fill($('requests-error'));
    fill($('requests-rows'), requests.map(listRow));
    $('requests-empty').hidden = requests.length > 0;
    $('requests-older').disabled = !hasMore;
    $('requests-newest').disabled = pages.length === 1;
  } catch (error) {
    if (generation === listGeneration) fill($('requests-error'), errorText(error));
  }
}

function listRow(r) {
  const open = (event) => {
    if (!event.target.closest('a')) location.hash = `#/requests/${r.id}`;
  };
  return h(
    'tr',
    { dataset: { requestId: r.id }, onclick: open },
    h('td', {}, time(r.receivedAt)),
    h(
      'td',
      {},
      h('a', { href: `#/requests/${r.id}` }, r.authority.name),
      ' ',
      h('span', { class: 'country', title: 'country' }, r.authority.country),
      h('div', { class: 'meta' }, r.authority.kind, ', ref. ', r.reference),
    ),
    h('td', { title: INSTRUMENTS[r.instrument] ?? '' }, r.instrument),
    h('td', {}, r.deadline ? time(r.deadline) : '—'),
    h('td', { class: 'num' }, r.targets.length),
    h('td', {}, h('span', { class: `status status-${r.status}` }, r.status)),
    h('td', { class: 'num approvals' }, `${r.approvals}/${r.approvalsNeeded}`),
    h('td', { class: 'flags' }, flags(r)),
  );
}

/** A date without its time, for holds. */
function day(iso) {
  return h('time', { datetime: iso, title: iso }, new Date(iso).toLocaleDateString());
}

function flags(r) {
  return [
    r.overdue &&
      h('span', { class: 'tag flag-overdue', title: 'The second review of this emergency is past due' }, 'Overdue'),
    r.gagLapsed &&
      h('span', { class: 'tag flag-gag', title: 'The people concerned are told at the next sweep' }, 'Gag lapsed'),
    r.bulk && h('span', { class: 'tag flag-bulk', title: 'Needs a third approval' }, 'Bulk'),
    r.heldUntil && h('span', { class: 'tag flag-held' }, 'Held until ', day(r.heldUntil)),
  ];
}

// Recording a request.

/** "2024-05-01T10:30" in local time, as a datetime-local input holds it. */
function localNow() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function openForm() {
  const form = $('request-form');
  form.reset();
  fill($('request-form-error'));
  form.elements.receivedAt.value = localNow();
  form.elements.authorityName.focus();
}

/** A datetime-local value as the ISO instant the server takes; throws with the field's name when it is not a date. */
function instant(input, label) {
  const date = new Date(input.value);
  if (Number.isNaN(date.getTime())) throw new Error(`${label}: not a date.`);
  return date.toISOString();
}

/** The targets box, one `type:id` a line; throws naming the first line that is not one. */
function parseTargets(text) {
  const lines = text.split('\n').map((line) => line.trim());
  const targets = [];
  lines.forEach((line, i) => {
    if (!line) return;
    const match = TARGET_LINE.exec(line);
    if (!match)
      throw new Error(`Targets, line ${i + 1}: write user:<id>, chat:<id> or message:<id> (an id is 24 hex digits).`);
    targets.push({ type: match[1].toLowerCase(), id: match[2].toLowerCase() });
  });
  if (targets.length === 0) throw new Error('Targets: name at least one.');
  return targets;
}

async function recordRequest(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const f = form.elements;
  fill($('request-form-error'));
  let input;
  try {
    input = {
      authority: {
        name: f.authorityName.value.trim(),
        country: f.country.value.trim().toUpperCase(),
        kind: f.kind.value,
      },
      instrument: f.instrument.value,
      legalBasis: f.legalBasis.value.trim(),
      reference: f.reference.value.trim(),
      receivedAt: instant(f.receivedAt, 'Received at'),
      targets: parseTargets(f.targets.value),
      dataRequested: [...form.querySelectorAll('input[name="dataRequested"]:checked')].map((box) => box.value),
      preserve: f.preserve.checked,
    };
    if (f.deadline.value) input.deadline = instant(f.deadline, 'Deadline');
    if (f.gagUntil.value) input.gagUntil = instant(f.gagUntil, 'Gag until');
  } catch (error) {
    return fill($('request-form-error'), error.message);
  }
  const button = $('request-form-ok');
  button.disabled = true;
  try {
    const { request } = await http('POST', '/api/legal-requests', input);
    location.hash = `#/requests/${request.id}`;
  } catch (error) {
    fill($('request-form-error'), errorText(error));
  } finally {
    button.disabled = false;
  }
}

// One request.

async function loadRequest(id) {
  const generation = ++pageGeneration;
  if (shown?.id !== id) {
    shown = null;
    outcome = null;
    fill($('request-title'), 'Request');
    fill($('request-flags'));
    fill($('request-actions'));
    fill($('request-outcome'));
    fill($('request-details'));
  }
  fill($('request-error'));
  try {
    const { request } = await http('GET', `/api/legal-requests/${encodeURIComponent(id)}`);
    if (generation !== pageGeneration) return;
    render(request);
  } catch (error) {
    if (generation === pageGeneration) fill($('request-error'), errorText(error));
  }
}

/** May this request take a review? As the server decides it: open, or an emergency short of its second review. */
function reviewable(r) {
  if (r.status === 'received' || r.status === 'approved') return true;
  return r.instrument === 'emergency' && r.reviews.length < 2 && r.status !== 'rejected';
}

/** Why Disclose is not offered, or null when it is. */
function whyNoDisclosure(r) {
  if (r.instrument === 'preservation') return 'A preservation request holds data; it discloses nothing.';
  if (r.status === 'approved') return null;
  if (r.status === 'received')
    return `Disclosure needs ${r.approvalsNeeded} approvals by different admins; it has ${r.approvals}.`;
  if (r.status === 'rejected') return 'This request was rejected: nothing is disclosed.';
  return `This request is ${r.status}: it was disclosed already.`;
}

function render(r) {
  if (shown?.id !== r.id) outcome = null;
  shown = r;
  fill($('request-title'), r.authority.name, ' ', h('span', { class: 'country' }, r.authority.country));
  fill($('request-flags'), flags(r));

  const why = whyNoDisclosure(r);
  fill(
    $('request-actions'),
    reviewable(r) && [
      h('button', { type: 'button', id: 'request-approve', onclick: () => openReview(r, 'approve') }, 'Approve'),
      h(
        'button',
        { type: 'button', id: 'request-reject', class: 'danger', onclick: () => openReview(r, 'reject') },
        'Reject',
      ),
    ],
    h(
      'button',
      {
        type: 'button',
        id: 'request-disclose',
        class: 'danger',
        disabled: why !== null,
        'aria-describedby': why ? 'request-disclose-why' : undefined,
        onclick: () => confirmDisclosure(r),
      },
      'Disclose',
    ),
    r.heldUntil && h('button', { type: 'button', id: 'request-hold', onclick: () => confirmHold(r) }, 'Extend hold'),
    r.disclosure &&
      !outcome &&
      h('button', { type: 'button', id: 'request-manifest', onclick: () => readManifest(r) }, 'Show manifest'),
    why && h('p', { class: 'meta', id: 'request-disclose-why' }, why),
  );
  renderOutcome();

  const fact = (label, ...value) => [h('dt', {}, label), h('dd', {}, ...value)];
  const disclosed = r.disclosure;
  fill(
    $('request-details'),
    h(
      'dl',
      { class: 'facts', id: 'request-facts' },
      fact('Status', h('span', { class: `status status-${r.status}` }, r.status)),
      fact('Approvals', `${r.approvals}/${r.approvalsNeeded}`, r.bulk ? ' (bulk)' : ''),
      fact('Authority', r.authority.name),
      fact('Country', r.authority.country),
      fact('Kind', r.authority.kind),
      fact('Instrument', r.instrument, h('div', { class: 'meta' }, INSTRUMENTS[r.instrument] ?? '')),
      fact('Their reference', r.reference),
      fact('Received', time(r.receivedAt)),
      fact('Deadline', r.deadline ? time(r.deadline) : 'none'),
      fact('Data requested', r.dataRequested.join(', ') || 'none'),
      fact('Gag until', r.gagUntil ? time(r.gagUntil) : 'no gag'),
      fact('Preserve', r.preserve ? 'yes' : 'no'),
      fact('Held until', r.heldUntil ? time(r.heldUntil) : 'not held'),
      fact('Recorded', time(r.createdAt)),
      disclosed && fact('Disclosed', time(disclosed.at)),
      disclosed && fact('Categories disclosed', disclosed.categories.join(', ') || 'none'),
      disclosed && fact('Accounts disclosed', disclosed.accounts),
      disclosed && fact('People told', r.notifiedAt ? time(r.notifiedAt) : r.gagUntil ? 'after the gag' : 'not yet'),
      disclosed && fact('Package SHA-256', h('code', { class: 'hash' }, disclosed.sha256)),
    ),
    h('h2', {}, 'Legal basis'),
    h('p', { class: 'card text', id: 'request-basis' }, r.legalBasis),
    h('h2', {}, `Targets (${r.targets.length})`),
    h(
      'ul',
      { class: 'targets', id: 'request-targets' },
      r.targets.map((t) => h('li', {}, h('code', {}, `${t.type}:${t.id}`))),
    ),
    h('h2', {}, 'Reviews'),
    r.reviews.length === 0
      ? h('p', { class: 'empty' }, 'No review yet.')
      : h('ol', { class: 'log', id: 'request-reviews' }, r.reviews.map(reviewItem)),
    h('h2', {}, 'History'),
    h(
      'ol',
      { class: 'log', id: 'request-history' },
      r.history.map((e) => h('li', {}, time(e.at), ' ', h('strong', {}, e.what), ' by ', person(e.by))),
    ),
  );
}

function reviewItem(v) {
  return h(
    'li',
    {},
    h(
      'p',
      {},
      h('strong', {}, v.verdict === 'approve' ? 'Approved' : 'Rejected'),
      v.rejectionGround ? ` (${v.rejectionGround})` : '',
      ' by ',
      person(v.reviewerId),
      ' ',
      time(v.at),
    ),
    h('p', { class: 'reason' }, 'Legal check: ', v.legalCheck),
    h('p', { class: 'reason' }, 'Reason: ', v.reason),
  );
}

/** The disclosure's outcome and manifest, once produced here or read with Show manifest. */
function renderOutcome() {
  if (!outcome) return fill($('request-outcome'));
  fill(
    $('request-outcome'),
    h(
      'p',
      { role: 'status', id: 'request-outcome-status', tabindex: '-1' },
      'Disclosed: ',
      h('strong', {}, outcome.status),
    ),
    h('p', { class: 'meta' }, outcome.note),
    h(
      'table',
      { class: 'manifest', id: 'request-manifest-table' },
      h('caption', {}, 'Manifest (SHA-256 of each part as canonical JSON)'),
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, 'Target'), h('th', {}, 'Category'), h('th', {}, 'Records'), h('th', {}, 'SHA-256')),
      ),
      h(
        'tbody',
        {},
        outcome.manifest.map((part) =>
          h(
            'tr',
            {},
            h('td', {}, h('code', {}, part.target)),
            h('td', {}, part.category),
            h('td', { class: 'num' }, part.records, part.truncated ? ' (truncated)' : ''),
            h('td', {}, h('code', { class: 'hash' }, part.sha256)),
          ),
        ),
      ),
    ),
  );
}

/** The package's manifest, read again: the read is in the access log. */
async function readManifest(r) {
  fill($('request-error'));
  try {
    const { package: pack } = await http('GET', `/api/legal-requests/${r.id}/disclosure`);
    if (shown?.id !== r.id) return;
    outcome = { status: r.status, note: pack.note, manifest: pack.manifest };
    render(shown);
    $('request-outcome-status').focus();
  } catch (error) {
    fill($('request-error'), errorText(error));
  }
}

// Reviews, disclosure and holds.

function openReview(r, verdict) {
  const form = $('request-review-form');
  const approve = verdict === 'approve';
  pendingReview = { requestId: r.id, verdict };
  form.reset();
  fill($('request-review-error'));
  fill($('request-review-title'), approve ? 'Approve this request' : 'Reject this request');
  fill(
    $('request-review-text'),
    approve
      ? `Approval ${r.approvals + 1} of the ${r.approvalsNeeded} needed, from ${r.authority.name} (${r.authority.country}), ref. ${r.reference}. Approvals must come from different admins.`
      : `A rejection closes the request from ${r.authority.name} (${r.authority.country}), ref. ${r.reference}; nobody is told.`,
  );
  $('request-review-ground-label').hidden = approve;
  form.elements.rejectionGround.setAttribute('aria-required', String(!approve));
  const ok = $('request-review-ok');
  fill(ok, approve ? 'Record approval' : 'Record rejection');
  ok.classList.toggle('danger', !approve);
  $('request-review').showModal();
  form.elements.legalCheck.focus();
}

async function submitReview(event) {
  event.preventDefault();
  if (!pendingReview) return;
  const f = $('request-review-form').elements;
  const { requestId, verdict } = pendingReview;
  const input = { verdict, legalCheck: f.legalCheck.value.trim(), reason: f.reason.value.trim() };
  if (!input.legalCheck)
    return fill($('request-review-error'), 'Say what you checked: the basis, the authority, the scope.');
  if (!input.reason) return fill($('request-review-error'), 'A reason is required.');
  if (verdict === 'reject') {
    if (!f.rejectionGround.value) return fill($('request-review-error'), 'Choose the ground it is rejected on.');
    input.rejectionGround = f.rejectionGround.value;
  }
  const ok = $('request-review-ok');
  ok.disabled = true;
  try {
    const { request } = await http('POST', `/api/legal-requests/${requestId}/reviews`, input);
    $('request-review').close();
    if (shown?.id === request.id) {
      render(request);
      $('request-title').focus();
    }
  } catch (error) {
    fill($('request-review-error'), errorText(error));
  } finally {
    ok.disabled = false;
  }
}

/** Opens the confirmation: `perform` runs on Confirm, and the dialog stays open showing a refusal. */
function confirmRequest({ title, text, okLabel, perform }) {
  pendingConfirm = perform;
  fill($('request-confirm-title'), title);
  fill($('request-confirm-text'), text);
  fill($('request-confirm-error'));
  fill($('request-confirm-ok'), okLabel);
  $('request-confirm').showModal();
  $('request-confirm-cancel').focus();
}

async function submitConfirm(event) {
  event.preventDefault();
  if (!pendingConfirm) return;
  const ok = $('request-confirm-ok');
  ok.disabled = true;
  try {
    await pendingConfirm();
    $('request-confirm').close();
    $('request-title').focus();
  } catch (error) {
    fill($('request-confirm-error'), errorText(error));
  } finally {
    ok.disabled = false;
  }
}

function confirmDisclosure(r) {
  const categories = r.dataRequested.join(', ');
  const telling = r.gagUntil
    ? `the people concerned are told once the gag lapses (${new Date(r.gagUntil).toLocaleString()})`
    : 'the people concerned are told at once';
  confirmRequest({
    title: 'Disclose',
    text:
      `Disclose to ${r.authority.name} (${r.authority.country}), ref. ${r.reference}: ${categories} about ` +
      `${r.targets.length} target${r.targets.length === 1 ? '' : 's'}, only what is stored. ` +
      `The package is kept with the request and ${telling}. This cannot be undone.`,
    okLabel: 'Disclose now',
    perform: async () => {
      const { request, package: pack } = await http('POST', `/api/legal-requests/${r.id}/disclosure`);
      if (shown?.id !== request.id) return;
      outcome = { status: request.status, note: pack.note, manifest: pack.manifest };
      render(request);
    },
  });
}

function confirmHold(r) {
  const until = new Date(new Date(r.heldUntil).getTime() + 90 * 86_400_000);
  confirmRequest({
    title: 'Extend hold',
    text:
      `Keep the targets' records from the retention sweep until ${until.toLocaleDateString()} instead of ` +
      `${new Date(r.heldUntil).toLocaleDateString()}. A hold is extended once; a longer one is a new request.`,
    okLabel: 'Extend by 90 days',
    perform: async () => {
      const { request } = await http('POST', `/api/legal-requests/${r.id}/hold`);
      if (shown?.id === request.id) render(request);
    },
  });
}
