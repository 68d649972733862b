/** What the platform counts and publishes, who read what, and what it forgets after a while. */
import { trusted } from 'mongoose';

import {
  ALL_MODELS,
  AccessEntryModel,
  ModerationActionModel,
  ModerationCaseModel,
  ReportModel,
  StatementModel,
} from '../models';
import { casePriority } from '../handlers/reports';
import { percentile } from '../handlers/transparency';
import { REDACTED, sweepRetention } from '../handlers/retention';
import { emit, useTestServer } from './support/harness';
import { createChat, ok, established, person, post, report, type Person } from './support/world';

const server = useTestServer({ RATE_JOINS: '1000/60s', RATE_REPORTS: '1000/60s', AUTO_HIDE_REPORTS: '3' });
let moderator: Person;
let secondModerator: Person;
let admin: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
  secondModerator = await person(server, 'moderator2', 'moderator');
  admin = await person(server, 'admin', 'admin');
});

const caseOf = async (targetId: string) => (await ModerationCaseModel.findOne({ targetId }))!;

test('a trusted flagger’s report raises the case above more ordinary ones of the same severity', async () => {
  expect(casePriority(['spam'], 1, 1)).toBeGreaterThan(casePriority(['spam'], 5, 0));
  expect(casePriority(['spam'], 1, 1)).toBeLessThan(casePriority(['hate'], 1, 0));

  const flagger = await person(server, 'flagger');
  const role = await server.http('PUT', `/api/users/${flagger.id}/role`, {
    token: admin.token,
    body: { role: 'trusted_flagger' },
  });
  expect(role).toMatchObject({ status: 200, body: { user: { role: 'trusted_flagger' } } });
  const owner = await person(server, 'owner');
  const [u1, u2] = [await person(server, 'user'), await person(server, 'user')];
  const chat = await createChat(owner, 'group', [flagger, u1, u2]);
  const flagged = await post(owner, chat.id, 'flagged by one trusted flagger');
  const reported = await post(owner, chat.id, 'reported by two people');
  await report(flagger, 'message', flagged.id, 'spam');
  await report(u1, 'message', reported.id, 'spam');
  await report(u2, 'message', reported.id, 'spam');
  expect((await caseOf(flagged.id)).priority).toBeGreaterThan((await caseOf(reported.id)).priority);
  // In everything else, a user: no queue.
  expect(await emit(flagger.socket, 'mod:cases', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
});

test('the transparency report counts reports, actions by source, time to action and appeals, the same each time it is asked', async () => {
  const from = new Date().toISOString();
  const flagger = await person(server, 'flagger', 'trusted_flagger');
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const [u1, u2, u3] = [
    await established(server, 'user'),
    await established(server, 'user'),
    await established(server, 'user'),
  ];
  // A new account's report: with the trusted flagger's it stays below the threshold of 3.
  const newcomer = await person(server, 'user');
  const chat = await createChat(owner, 'group', [author, flagger, u1, u2, u3, newcomer]);
  const graver = await post(author, chat.id, 'hateful');
  const spam = await post(author, chat.id, 'cheap pills');

  await report(flagger, 'message', graver.id, 'hate');
  await report(newcomer, 'message', graver.id, 'spam');
  for (const reporter of [u1, u2, u3]) await report(reporter, 'message', spam.id, 'spam'); // hidden automatically at the third
  await report(u2, 'chat', chat.id, 'other');
  await report(u3, 'user', author.id, 'harassment');
  const hide = ok(
    await emit(moderator.socket, 'mod:hide', {
      messageId: graver.id,
      reason: 'hate speech',
      caseId: (await caseOf(graver.id)).id,
    }),
  ).action;
  const mute = ok(
    await emit(owner.socket, 'mod:mute', { userId: author.id, chatId: chat.id, reason: 'cool down', durationSec: 600 }),
  ).action;
  const appealHide = ok(
    await emit(author.socket, 'appeal:create', { actionId: hide.id, text: 'quoted to criticise it' }),
  ).appeal;
  const appealMute = ok(await emit(author.socket, 'appeal:create', { actionId: mute.id, text: 'too harsh' })).appeal;
  ok(
    await emit(secondModerator.socket, 'mod:appeal-decide', {
      appealId: appealHide.id,
      outcome: 'reversed',
      reason: 'criticism, not hate',
    }),
  );
  ok(
    await emit(secondModerator.socket, 'mod:appeal-decide', {
      appealId: appealMute.id,
      outcome: 'upheld',
      reason: 'proportionate',
    }),
  );
  const to = new Date(Date.now() + 1).toISOString();

  const asked = await server.http('GET', `/api/transparency?from=${from}&to=${to}`, { token: admin.token });
  expect(asked.status).toBe(200);
  const figures = asked.body;
  expect(figures).toEqual({
    from,
    to,
    reports: {
      total: 7,
      byReason: { hate: 1, spam: 4, harassment: 1, other: 1 },
      byTargetType: { message: 5, user: 1, chat: 1 },
      byTrustedFlaggers: 1,
    },
    actions: {
      total: 4,
      byType: { hide_message: 2, mute_member: 1, unhide_message: 1 },
      bySource: { automatic: 1, platform_moderator: 2, chat_admin: 1 },
    },
    timeToAction: { cases: 2, medianSec: expect.any(Number), p90Sec: expect.any(Number) },
    appeals: { filed: 2, upheld: 1, reversed: 1 },
    // One statement of reasons per restriction: the two hides and the mute.
    statements: {
      total: 3,
      byCategory: {
        STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH: 1,
        STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE: 1,
        STATEMENT_CATEGORY_OTHER_VIOLATION_TC: 1,
      },
      byGround: { DECISION_GROUND_INCOMPATIBLE_CONTENT: 3 },
      fullyAutomated: 1,
    },
    // No request from an authority in this file (test/legal-requests.test.ts counts them).
    legalRequests: {
      total: 0,
      byCountry: {},
      byInstrument: {},
      byOutcome: {},
      accountsSpecified: 0,
      accountsDisclosed: 0,
      accountsNotified: 0,
      bulk: 0,
      medianHoursToFirstReview: null,
      medianHoursToDisclosure: null,
    },
  });
  expect(figures.timeToAction.medianSec).toBeGreaterThanOrEqual(0);
  expect(figures.timeToAction.p90Sec).toBeGreaterThanOrEqual(figures.timeToAction.medianSec);
  expect(figures.timeToAction.p90Sec).toBeLessThan(60);
  expect((await server.http('GET', `/api/transparency?from=${from}&to=${to}`, { token: admin.token })).body).toEqual(
    figures,
  );

  const metrics = await server.http('GET', '/metrics');
  expect(metrics.body).toMatch(/stoa_appeals_filed_total \d+/);
  expect(metrics.body).toContain('stoa_appeals_decided_total{outcome="reversed"} 1');
});

test('the transparency report is for platform admins, over at most a year', async () => {
  expect(await server.http('GET', '/api/transparency', { token: moderator.token })).toMatchObject({ status: 403 });
  const tooLong = await server.http('GET', '/api/transparency?from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z', {
    token: admin.token,
  });
  expect(tooLong).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
  expect(
    await server.http('GET', '/api/transparency?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', {
      token: admin.token,
    }),
  ).toMatchObject({ status: 400 });
  expect((await server.http('GET', '/api/transparency', { token: admin.token })).status).toBe(200);
  expect([percentile([], 50), percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)]).toEqual([
    null,
    2,
    9,
  ]);
});

test('a moderator reading hidden messages, a private chat from outside or a case’s evidence is in the access log, which admins read', async () => {
  const owner = await person(server, 'owner');
  const member = await person(server, 'member');
  const chat = await createChat(owner, 'group', [member]);
  const message = await post(owner, chat.id, 'to be hidden');
  await report(member, 'message', message.id, 'spam');
  ok(await emit(secondModerator.socket, 'mod:hide', { messageId: message.id, reason: 'spam' }));
  const privateChat = ok(
    await emit(owner.socket, 'chat:create', { type: 'group', title: 'family', visibility: 'private' }),
  ).chat;
  await post(owner, privateChat.id, 'private words');

  ok(await emit(member.socket, 'message:history', { chatId: chat.id }));
  ok(await emit(moderator.socket, 'message:history', { chatId: chat.id }));
  ok(await emit(moderator.socket, 'message:history', { chatId: privateChat.id }));
  ok(await emit(moderator.socket, 'mod:case', { caseId: (await caseOf(message.id)).id }));

  expect(await server.http('GET', '/api/moderation/access-log', { token: moderator.token })).toMatchObject({
    status: 403,
  });
  const log = await server.http('GET', `/api/moderation/access-log?actorId=${moderator.id}`, { token: admin.token });
  expect(log.status).toBe(200);
  expect(
    log.body.entries.map((e: { what: string; targetId: string; chatId: string }) => [e.what, e.targetId, e.chatId]),
  ).toEqual([
    ['case_evidence', (await caseOf(message.id)).id, chat.id],
    ['private_history', privateChat.id, privateChat.id],
    ['hidden_messages', chat.id, chat.id],
  ]);
  expect(await AccessEntryModel.countDocuments({ actorId: member.id })).toBe(0);
});

test('no collection stores an IP address', () => {
  for (const model of ALL_MODELS) {
    const paths = Object.keys(model.schema.paths).concat(
      ...Object.values(model.schema.paths).map((p) =>
        Object.keys((p as { schema?: { paths: object } }).schema?.paths ?? {}),
      ),
    );
    expect(paths.filter((path) => /(^|\.)(ip|ips|ipAddress|address|remoteAddress)$/i.test(path))).toEqual([]);
  }
});

test('the retention sweep empties old evidence of closed cases, deletes old access entries and redacts old audit reasons', async () => {
  const owner = await person(server, 'owner');
  const member = await person(server, 'member');
  const chat = await createChat(owner, 'group', [member]);
  const closed = await post(owner, chat.id, 'decided long ago');
  const pending = await post(owner, chat.id, 'still under review');
  await report(member, 'message', closed.id, 'spam');
  await report(member, 'message', pending.id, 'spam');
  ok(await emit(moderator.socket, 'mod:dismiss', { caseId: (await caseOf(closed.id)).id, reason: 'not spam' }));
  const doxxing = await post(owner, chat.id, 'her address is 1 Main Street');
  ok(await emit(moderator.socket, 'mod:hide', { messageId: doxxing.id, reason: 'posted Jane Doe’s home address' }));

  const day = 86_400_000;
  const settings = { evidenceDays: 180, auditDays: 730 };
  await sweepRetention(settings, new Date(Date.now() + 179 * day));
  expect((await ReportModel.findOne({ targetId: closed.id }))!.evidence!.text).toBe('decided long ago');

  const swept = await sweepRetention(settings, new Date(Date.now() + 181 * day));
  expect(swept.evidenceEmptied).toBeGreaterThanOrEqual(1);
  expect((await ReportModel.findOne({ targetId: closed.id }))!.toObject()).toMatchObject({
    evidence: { text: null, senderId: null },
    evidenceRemovedAt: expect.any(Date),
    status: 'dismissed',
  });
  expect((await ReportModel.findOne({ targetId: pending.id }))!.evidence!.text).toBe('still under review');
  expect(await AccessEntryModel.countDocuments()).toBeGreaterThan(0);
  expect(await ModerationActionModel.countDocuments({ reason: REDACTED })).toBe(0);

  const actions = await ModerationActionModel.countDocuments();
  const old = await sweepRetention(settings, new Date(Date.now() + 731 * day));
  expect(old.accessEntriesDeleted).toBeGreaterThan(0);
  expect(await AccessEntryModel.countDocuments()).toBe(0);
  // The entries stay, who did what to whom; only their reasons go.
  expect(await ModerationActionModel.countDocuments()).toBe(actions);
  expect(await ModerationActionModel.countDocuments({ reason: trusted({ $ne: REDACTED }) })).toBe(0);
  // A moderator's free text can name people: statements of reasons keep their structured fields only.
  const statements = await StatementModel.find().lean();
  expect(statements.length).toBeGreaterThan(0);
  for (const { statement } of statements) {
    expect(statement).toMatchObject({
      decision_facts: REDACTED,
      category: expect.stringMatching(/^STATEMENT_CATEGORY_/),
    });
  }
});
