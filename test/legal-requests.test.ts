/**
 * Requests from authorities: recorded as received, reviewed by two different platform admins (an
 * emergency by one, then a second within 72 hours; a bulk request by three), disclosed as a
 * package whose hashes anyone can recompute, the people concerned told once any gag lapses,
 * preservation holds that outlive the retention sweep, and the counts in the transparency report.
 */
import { createHash } from 'node:crypto';

import { Types } from 'mongoose';

import { EvidenceModel, LegalRequestModel, ModerationActionModel } from '../models';
import { sendNoticesDue } from '../handlers/legal-requests';
import { sweepRetention } from '../handlers/retention';
import { emit, useTestServer } from './support/harness';
import { createChat, ok, person, post, type Person } from './support/world';

const server = useTestServer({ LOG_LEVEL: 'error' });

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Canonical JSON as the package describes it (object keys sorted, no whitespace), written here on its own. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

let admins: [Person, Person, Person];
beforeAll(async () => {
  admins = [
    await person(server, 'admin', 'admin'),
    await person(server, 'admin', 'admin'),
    await person(server, 'admin', 'admin'),
  ];
});

/** A person who wrote in a chat, and one of their messages. */
async function suspect() {
  const owner = await person(server, 'owner');
  const author = await person(server, 'suspect');
  const chat = await createChat(owner, 'group', [author]);
  const message = await post(author, chat.id, 'the message the police asked about');
  return { owner, author, chat, message };
}

function request(overrides: Record<string, unknown> = {}) {
  return {
    authority: { name: 'Landeskriminalamt Berlin', country: 'DE', kind: 'police' },
    instrument: 'epoc',
    legalBasis: 'Regulation (EU) 2023/1543, Art. 5',
    reference: `LKA-${Math.random().toString(36).slice(2, 8)}`,
    receivedAt: new Date().toISOString(),
    dataRequested: ['subscriber', 'content'],
    ...overrides,
  };
}

const record = (body: object, by: Person = admins[0]) =>
  server.http('POST', '/api/legal-requests', { token: by.token, body });
const review = (id: string, by: Person, body: object) =>
  server.http('POST', `/api/legal-requests/${id}/reviews`, { token: by.token, body });
const approve = (id: string, by: Person) =>
  review(id, by, { verdict: 'approve', legalCheck: 'Issuing authority competent; scope limited', reason: 'Valid' });
const disclose = (id: string, by: Person = admins[0]) =>
  server.http('POST', `/api/legal-requests/${id}/disclosure`, { token: by.token });

async function noticesOf(who: Person) {
  return (await server.http('GET', '/api/me/notices', { token: who.token })).body.notices as Array<{
    actionType: string;
    reason: string;
  }>;
}

test('anyone but a platform admin gets not_found from every route; the ledger does not confirm it exists', async () => {
  const { author } = await suspect();
  const created = await record(request({ targets: [{ type: 'user', id: author.id }] }));
  expect(created.status).toBe(201);
  const id = created.body.request.id;
  for (const role of ['user', 'moderator'] as const) {
    const outsider = await person(server, role, role);
    const answers = await Promise.all([
      server.http('GET', '/api/legal-requests', { token: outsider.token }),
      server.http('GET', `/api/legal-requests/${id}`, { token: outsider.token }),
      server.http('POST', '/api/legal-requests', {
        token: outsider.token,
        body: request({ targets: [{ type: 'user', id: author.id }] }),
      }),
      review(id, outsider, { verdict: 'approve', legalCheck: 'x', reason: 'y' }),
      disclose(id, outsider),
      server.http('GET', `/api/legal-requests/${id}/disclosure`, { token: outsider.token }),
      server.http('POST', `/api/legal-requests/${id}/hold`, { token: outsider.token }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404, 404, 404, 404]);
  }
});

test('bad input is invalid_input and stores nothing', async () => {
  const { author } = await suspect();
  const targets = [{ type: 'user', id: author.id }];
  const before = await LegalRequestModel.countDocuments();
  const bad = [
    request({ targets, instrument: 'fishing_expedition' }),
    request({ targets, authority: { name: 'X', country: 'XX', kind: 'police' } }),
    request({ targets, authority: { name: 'X', country: 'de', kind: 'police' } }),
    request({ targets, dataRequested: ['location'] }),
    request({ targets: [{ type: 'user', id: new Types.ObjectId().toString() }] }),
    request({ targets, gagUntil: new Date(Date.now() - DAY).toISOString() }),
    request({ targets, gagUntil: new Date(Date.now() + 400 * DAY).toISOString() }),
    request({ targets, dataRequested: [] }),
    request({ targets: [] }),
    request({ targets, receivedAt: new Date(Date.now() + DAY).toISOString() }),
    request({ targets, deadline: new Date(Date.now() - DAY).toISOString() }),
  ];
  for (const body of bad) {
    const answer = await record(body);
    expect([answer.status, answer.body.error?.code]).toEqual([400, 'invalid_input']);
  }
  expect(await LegalRequestModel.countDocuments()).toBe(before);
});

test('two different admins approve, the disclosure holds only what was asked, its hashes check out, the person is told', async () => {
  const { author, message, owner } = await suspect();
  const created = await record(
    request({
      targets: [
        { type: 'user', id: author.id },
        { type: 'message', id: message.id },
      ],
      dataRequested: ['subscriber', 'content', 'traffic'],
    }),
  );
  const id = created.body.request.id;
  expect(created.body.request).toMatchObject({ status: 'received', approvalsNeeded: 2, approvals: 0, bulk: false });

  expect((await disclose(id)).status).toBe(403);
  expect((await approve(id, admins[0])).body.request).toMatchObject({ status: 'received', approvals: 1 });
  // The same admin cannot approve twice.
  expect((await approve(id, admins[0])).status).toBe(409);
  expect((await disclose(id)).status).toBe(403);
  expect((await approve(id, admins[1])).body.request).toMatchObject({ status: 'approved', approvals: 2 });

  const disclosed = await disclose(id, admins[1]);
  expect(disclosed.status).toBe(201);
  expect(disclosed.body.request).toMatchObject({ status: 'complied' });
  const pack = disclosed.body.package;
  // Only the named targets, only the requested categories.
  expect(new Set(pack.parts.map((p: { target: string }) => p.target))).toEqual(
    new Set([`user:${author.id}`, `message:${message.id}`]),
  );
  expect(new Set(pack.parts.map((p: { category: string }) => p.category))).toEqual(
    new Set(['subscriber', 'content', 'traffic']),
  );
  const userContent = pack.parts.find(
    (p: { target: string; category: string }) => p.target === `user:${author.id}` && p.category === 'content',
  );
  expect(userContent.records.map((m: { text: string }) => m.text)).toEqual(['the message the police asked about']);
  expect(JSON.stringify(pack)).not.toContain(owner.id);
  expect(JSON.stringify(pack)).not.toMatch(/passwordHash/);
  // Anyone recomputes each part's hash from the package.
  for (const [i, part] of pack.parts.entries()) expect(sha256(canonical(part))).toBe(pack.manifest[i].sha256);

  // The kept package is the one handed over, and each read is in the access log.
  const read = await server.http('GET', `/api/legal-requests/${id}/disclosure`, { token: admins[2].token });
  expect(read.status).toBe(200);
  expect(read.body.package).toEqual(pack);
  expect(sha256(canonical(read.body.package))).toBe(read.body.sha256);
  const log = await server.http('GET', `/api/moderation/access-log?actorId=${admins[2].id}`, {
    token: admins[0].token,
  });
  expect(log.body.entries).toEqual([expect.objectContaining({ what: 'legal_disclosure', targetId: id })]);

  // The person concerned learns who asked and what was disclosed, never in detail who decided.
  const told = (await noticesOf(author)).filter((n) => n.actionType === 'disclose_data');
  expect(told).toHaveLength(1);
  expect(told[0]!.reason).toMatch(/police authority \(DE\).*European Production Order.*subscriber, content, traffic/);
  const shown = await server.http('GET', `/api/legal-requests/${id}`, { token: admins[0].token });
  expect(shown.body.request.history.map((h: { what: string }) => h.what)).toEqual([
    'recorded',
    'approved',
    'approved',
    'disclosed (complied)',
    'notified',
  ]);
  expect((await disclose(id)).status).toBe(409);
});

test('a gag holds the notice back until it lapses, then it goes out on its own', async () => {
  const { author } = await suspect();
  const gagUntil = new Date(Date.now() + 30 * DAY);
  const id = (await record(request({ targets: [{ type: 'user', id: author.id }], gagUntil: gagUntil.toISOString() })))
    .body.request.id;
  await approve(id, admins[0]);
  await approve(id, admins[1]);
  expect((await disclose(id)).body.request).toMatchObject({ status: 'complied', notifiedAt: null });
  expect((await noticesOf(author)).filter((n) => n.actionType === 'disclose_data')).toEqual([]);

  // Still gagged a day before; the sweep after it lapses tells them.
  await sendNoticesDue(new Date(gagUntil.getTime() - DAY));
  expect((await noticesOf(author)).filter((n) => n.actionType === 'disclose_data')).toEqual([]);
  await LegalRequestModel.updateOne({ _id: id }, { $set: { gagUntil: new Date(Date.now() - HOUR) } });
  const listed = await server.http('GET', '/api/legal-requests?status=complied', { token: admins[0].token });
  expect(listed.body.requests.find((r: { id: string }) => r.id === id)).toMatchObject({ gagLapsed: true });
  await sendNoticesDue();
  expect((await noticesOf(author)).filter((n) => n.actionType === 'disclose_data')).toHaveLength(1);
  const after = await server.http('GET', `/api/legal-requests/${id}`, { token: admins[0].token });
  expect(after.body.request).toMatchObject({ gagLapsed: false, notifiedAt: expect.any(String) });
});

test('an emergency discloses on one approval and is overdue until a second review within 72 hours', async () => {
  const { author } = await suspect();
  const id = (await record(request({ instrument: 'emergency', targets: [{ type: 'user', id: author.id }] }))).body
    .request.id;
  expect((await approve(id, admins[0])).body.request).toMatchObject({ status: 'approved', approvalsNeeded: 1 });
  expect((await disclose(id)).status).toBe(201);
  await LegalRequestModel.updateOne({ _id: id }, { $set: { 'reviews.0.at': new Date(Date.now() - 73 * HOUR) } });
  const overdue = async () =>
    (await server.http('GET', '/api/legal-requests', { token: admins[0].token })).body.requests.find(
      (r: { id: string }) => r.id === id,
    ).overdue;
  expect(await overdue()).toBe(true);
  // The admin who approved it cannot give its second review either way.
  expect((await approve(id, admins[0])).status).toBe(409);
  const ownReject = await review(id, admins[0], {
    verdict: 'reject',
    legalCheck: 'x',
    reason: 'y',
    rejectionGround: 'other',
  });
  expect(ownReject.status).toBe(409);
  expect((await approve(id, admins[1])).status).toBe(201);
  expect(await overdue()).toBe(false);
});

test('a bulk request (more than LEGAL_BULK_TARGETS accounts, or a chat’s members) needs a third approval', async () => {
  const many = await Promise.all(Array.from({ length: 11 }, () => server.register('member')));
  const bulk = (await record(request({ targets: many.map((m) => ({ type: 'user', id: m.id })) }))).body.request;
  expect(bulk).toMatchObject({ bulk: true, approvalsNeeded: 3 });
  const { chat } = await suspect();
  const members = (await record(request({ targets: [{ type: 'chat', id: chat.id }], dataRequested: ['subscriber'] })))
    .body.request;
  expect(members).toMatchObject({ bulk: true, approvalsNeeded: 3 });
  await approve(members.id, admins[0]);
  await approve(members.id, admins[1]);
  expect((await disclose(members.id)).status).toBe(403);
  await approve(members.id, admins[2]);
  const disclosed = await disclose(members.id);
  expect(disclosed.body.request).toMatchObject({ status: 'complied' });
  expect(disclosed.body.request.disclosure.accounts).toBe(2);
});

test('a rejection records why, closes the request and tells nobody', async () => {
  const { author } = await suspect();
  const id = (await record(request({ targets: [{ type: 'user', id: author.id }] }))).body.request.id;
  expect((await review(id, admins[0], { verdict: 'reject', legalCheck: 'No basis named', reason: 'No' })).status).toBe(
    400,
  );
  const rejected = await review(id, admins[0], {
    verdict: 'reject',
    legalCheck: 'The authority is outside its jurisdiction',
    reason: 'Wrong country',
    rejectionGround: 'wrong_jurisdiction',
  });
  expect(rejected.body.request).toMatchObject({
    status: 'rejected',
    reviews: [{ rejectionGround: 'wrong_jurisdiction' }],
  });
  expect((await approve(id, admins[1])).status).toBe(409);
  expect((await disclose(id)).status).toBe(409);
  await sendNoticesDue();
  expect((await noticesOf(author)).filter((n) => n.actionType === 'disclose_data')).toEqual([]);
});

test('a category with nothing stored makes the disclosure partial; nothing at all is no_data', async () => {
  const { chat } = await suspect();
  const id = (
    await record(request({ targets: [{ type: 'chat', id: chat.id }], dataRequested: ['content', 'traffic'] }))
  ).body.request.id;
  await approve(id, admins[0]);
  await approve(id, admins[1]);
  expect((await disclose(id)).body.request).toMatchObject({ status: 'partial' });
  const quiet = await createChat(await person(server, 'quiet'), 'group');
  const none = (await record(request({ targets: [{ type: 'chat', id: quiet.id }], dataRequested: ['traffic'] }))).body
    .request.id;
  await approve(none, admins[0]);
  await approve(none, admins[1]);
  expect((await disclose(none)).body.request).toMatchObject({ status: 'no_data' });
});

test('a preservation hold keeps the targets’ evidence and audit entries through the retention sweep, extendable once', async () => {
  const { owner, author, message } = await suspect();
  const { action } = ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'threat' }));
  // Sealed and audited long ago: the next sweep would take both.
  await EvidenceModel.updateMany({ actionId: action.id }, { $set: { sealedAt: new Date(Date.now() - 400 * DAY) } });
  await ModerationActionModel.updateOne({ _id: action.id }, { $set: { createdAt: new Date(Date.now() - 800 * DAY) } });
  const held = await record(
    request({ instrument: 'preservation', targets: [{ type: 'user', id: author.id }], dataRequested: [] }),
  );
  expect(held.body.request).toMatchObject({ preserve: true, heldUntil: expect.any(String) });
  const id = held.body.request.id;
  expect((await disclose(id)).status).toBe(403);

  const settings = { evidenceDays: 180, auditDays: 730 };
  await sweepRetention(settings);
  expect(await EvidenceModel.countDocuments({ actionId: action.id })).toBe(1);
  expect((await ModerationActionModel.findById(action.id).lean())!.reason).toBe('threat');

  // Extended once by 90 days: still held after the first 90.
  expect((await server.http('POST', `/api/legal-requests/${id}/hold`, { token: admins[0].token })).status).toBe(200);
  expect((await server.http('POST', `/api/legal-requests/${id}/hold`, { token: admins[0].token })).status).toBe(409);
  await sweepRetention(settings, new Date(Date.now() + 100 * DAY));
  expect(await EvidenceModel.countDocuments({ actionId: action.id })).toBe(1);
  // Once the hold ends, retention applies again.
  await sweepRetention(settings, new Date(Date.now() + 181 * DAY));
  expect(await EvidenceModel.countDocuments({ actionId: action.id })).toBe(0);
});

test('the transparency report counts the requests; the CSV gives the same for the period', async () => {
  const from = new Date(Date.now() - HOUR).toISOString();
  const to = new Date(Date.now() + DAY).toISOString();
  const report = await server.http('GET', `/api/transparency?from=${from}&to=${to}`, { token: admins[0].token });
  expect(report.status).toBe(200);
  const counts = report.body.legalRequests;
  console.log(`transparency report, legalRequests:\n${JSON.stringify(counts, null, 2)}`);
  const inLedger = (await LegalRequestModel.find({}, { receivedAt: 1 }).lean()).filter(
    (r) => r.receivedAt >= new Date(from) && r.receivedAt < new Date(to),
  ).length;
  expect(counts.total).toBe(inLedger);
  expect(counts.byCountry.DE).toBe(inLedger);
  expect(counts.byOutcome).toMatchObject({ complied: expect.any(Number), rejected: 1, partial: 1, no_data: 1 });
  expect(counts.accountsDisclosed).toBeGreaterThan(0);
  expect(counts.accountsNotified).toBeGreaterThan(0);
  expect(counts.bulk).toBe(2);
  expect(counts.medianHoursToFirstReview).toEqual(expect.any(Number));

  const csv = await server.http('GET', `/api/transparency/legal-requests.csv?from=${from}&to=${to}`, {
    token: admins[0].token,
  });
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  const rows = (csv.body as string).trim().split('\n');
  expect(rows[0]).toBe('from,to,measure,key,value');
  expect(rows).toContain(`${new Date(from).toISOString()},${new Date(to).toISOString()},total,,${counts.total}`);
  expect(rows).toContain(`${new Date(from).toISOString()},${new Date(to).toISOString()},outcome,rejected,1`);
});
