/** Statements of reasons in the EU transparency database's shape, and moderators' private notes on accounts. */
import { RESTRICTIONS, STATEMENT_CATEGORY } from '../handlers/policy/moderation-kinds';
import { ModerationCaseModel, REPORT_REASONS, StatementModel, UserModel } from '../models';
import { emit, useTestServer } from './support/harness';
import { createChat, established, ok, person, post, report, type Person } from './support/world';

const server = useTestServer({
  RATE_JOINS: '10000/60s',
  RATE_REPORTS: '10000/60s',
  REPORT_WARN_AFTER: '1',
  REPORT_RESTRICT_AFTER: '2',
});
let moderator: Person;
let admin: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
  admin = await person(server, 'admin', 'admin');
});

const CATEGORIES = new Set(Object.values(STATEMENT_CATEGORY));
const REQUIRED = [
  'puid',
  'decision_ground',
  'category',
  'application_date',
  'decision_facts',
  'source_type',
  'automated_detection',
  'automated_decision',
];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A statement the transparency database would accept: its required fields present, each value from its list. */
function expectComplete(s: Record<string, unknown>): void {
  for (const field of REQUIRED) expect(s[field]).toEqual(expect.any(String));
  expect([s.decision_visibility, s.decision_provision, s.decision_account].some((v) => v !== null)).toBe(true);
  expect(['DECISION_GROUND_ILLEGAL_CONTENT', 'DECISION_GROUND_INCOMPATIBLE_CONTENT']).toContain(s.decision_ground);
  if (s.decision_ground === 'DECISION_GROUND_ILLEGAL_CONTENT')
    expect(s.illegal_content_legal_ground).toEqual(expect.any(String));
  else expect(s.incompatible_content_ground).toEqual(expect.any(String));
  expect(CATEGORIES.has(s.category as string) || s.category === 'STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE').toBe(
    true,
  );
  expect(['SOURCE_ARTICLE_16', 'SOURCE_TRUSTED_FLAGGER', 'SOURCE_VOLUNTARY']).toContain(s.source_type);
  expect(['Yes', 'No']).toContain(s.automated_detection);
  expect(['AUTOMATED_DECISION_FULLY', 'AUTOMATED_DECISION_PARTIALLY', 'AUTOMATED_DECISION_NOT_AUTOMATED']).toContain(
    s.automated_decision,
  );
  expect(s.application_date).toMatch(DAY);
}

test('each of our 13 reasons has a transparency database category', () => {
  for (const reason of REPORT_REASONS) expect(STATEMENT_CATEGORY[reason]).toMatch(/^STATEMENT_CATEGORY_[A-Z_]+$/);
  expect(STATEMENT_CATEGORY.child_abuse).toBe('STATEMENT_CATEGORY_PROTECTION_OF_MINORS');
  expect(STATEMENT_CATEGORY.scam).toBe('STATEMENT_CATEGORY_SCAMS_AND_FRAUD');
});

test('every decision type that restricts produces a complete statement, exported without personal data', async () => {
  const from = new Date().toISOString();
  const owner = await established(server, 'owner');
  const author = await established(server, 'author');
  const [r1, r2] = [await established(server, 'reporter'), await established(server, 'reporter')];
  const flagger = await person(server, 'flagger', 'trusted_flagger');
  const serial = await established(server, 'serial');
  const chat = await createChat(owner, 'group', [author, r1, r2, flagger, serial]);

  const abuse = await post(author, chat.id, 'secret text one');
  await report(r1, 'message', abuse.id, 'child_abuse');
  await report(r2, 'message', abuse.id, 'child_abuse'); // hidden automatically
  const hateful = await post(author, chat.id, 'secret text two');
  await report(flagger, 'message', hateful.id, 'hate');
  ok(
    await emit(moderator.socket, 'mod:hide', {
      messageId: hateful.id,
      reason: 'hate speech',
      caseId: (await ModerationCaseModel.findOne({ targetId: hateful.id }))!.id,
    }),
  );
  const manual = await post(author, chat.id, 'secret text three');
  ok(await emit(moderator.socket, 'mod:hide', { messageId: manual.id, reason: 'own initiative' }));
  ok(
    await emit(owner.socket, 'mod:ban', {
      userId: author.id,
      chatId: chat.id,
      reason: 'repeated spam',
      durationSec: 3600,
    }),
  );
  ok(
    await emit(owner.socket, 'mod:mute', { userId: serial.id, chatId: chat.id, reason: 'cool down', durationSec: 600 }),
  );
  ok(await emit(owner.socket, 'mod:unmute', { userId: serial.id, chatId: chat.id, reason: 'done' }));
  ok(await emit(moderator.socket, 'mod:ban', { userId: r1.id, reason: 'ban evasion', durationSec: 86_400 }));
  ok(await emit(moderator.socket, 'mod:ban', { userId: r2.id, reason: 'fraud ring' }));
  // REPORT_WARN_AFTER=1, REPORT_RESTRICT_AFTER=2: the second dismissed report restricts.
  for (const text of ['fine one', 'fine two']) {
    const message = await post(owner, chat.id, text);
    await report(serial, 'message', message.id, 'spam');
    ok(
      await emit(moderator.socket, 'mod:dismiss', {
        caseId: (await ModerationCaseModel.findOne({ targetId: message.id }))!.id,
        reason: 'not spam',
      }),
    );
  }
  const to = new Date(Date.now() + 1000).toISOString();

  const exported = await server.http('GET', `/api/transparency/statements?from=${from}&to=${to}`, {
    token: admin.token,
  });
  expect(exported.status).toBe(200);
  const statements: Record<string, unknown>[] = exported.body.statements;
  for (const s of statements) expectComplete(s);
  const stored = await StatementModel.find({}, { statement: 1 }).lean();
  expect(statements.length).toBe(stored.length);

  expect(statements).toHaveLength(8);
  expect(new Set(statements.map((s) => s.puid)).size).toBe(8);
  const automatic = statements.find((s) => s.category === 'STATEMENT_CATEGORY_PROTECTION_OF_MINORS')!;
  expect(automatic).toMatchObject({
    decision_visibility: ['DECISION_VISIBILITY_CONTENT_DISABLED'],
    decision_ground: 'DECISION_GROUND_ILLEGAL_CONTENT',
    automated_decision: 'AUTOMATED_DECISION_FULLY',
    source_type: 'SOURCE_ARTICLE_16',
    content_type: ['CONTENT_TYPE_TEXT'],
  });
  expect(automatic.content_date).toMatch(DAY);
  expect(statements.find((s) => s.source_type === 'SOURCE_TRUSTED_FLAGGER')).toMatchObject({
    category: 'STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH',
    automated_decision: 'AUTOMATED_DECISION_NOT_AUTOMATED',
  });
  expect(statements.find((s) => s.decision_facts === 'own initiative')).toMatchObject({
    source_type: 'SOURCE_VOLUNTARY',
    automated_decision: 'AUTOMATED_DECISION_NOT_AUTOMATED',
  });
  expect(statements.find((s) => s.decision_facts === 'repeated spam')).toMatchObject({
    decision_provision: 'DECISION_PROVISION_PARTIAL_SUSPENSION',
    end_date_service_restriction: expect.stringMatching(DAY),
  });
  expect(statements.find((s) => s.decision_facts === 'cool down')).toMatchObject({
    decision_provision: 'DECISION_PROVISION_PARTIAL_SUSPENSION',
  });
  expect(statements.find((s) => s.decision_facts === 'ban evasion')).toMatchObject({
    decision_account: 'DECISION_ACCOUNT_SUSPENDED',
    end_date_account_restriction: expect.stringMatching(DAY),
  });
  expect(statements.find((s) => s.decision_facts === 'fraud ring')).toMatchObject({
    decision_account: 'DECISION_ACCOUNT_TERMINATED',
    end_date_account_restriction: null,
  });
  expect(
    statements.find(
      (s) => s.incompatible_content_ground === 'Stoa rules: repeated manifestly unfounded reports (DSA Art. 23)',
    ),
  ).toMatchObject({
    decision_provision: 'DECISION_PROVISION_PARTIAL_SUSPENSION',
    automated_detection: 'Yes',
    automated_decision: 'AUTOMATED_DECISION_FULLY',
  });
  // Lifting a restriction is not one: the unmute has no statement.
  expect(statements.find((s) => s.decision_facts === 'done')).toBeUndefined();
  expect(RESTRICTIONS.has('unmute_member')).toBe(false);

  // No personal data: no ids of people, no usernames, no message text.
  const body = JSON.stringify(exported.body);
  for (const who of [owner, author, r1, r2, flagger, serial, moderator]) {
    expect(body).not.toContain(who.id);
    expect(body).not.toContain(who.username);
  }
  expect(body).not.toContain('secret text');

  // The transparency report counts the same records.
  const figures = await server.http('GET', `/api/transparency?from=${from}&to=${to}`, { token: admin.token });
  expect(figures.body.statements.total).toBe(statements.length);
});

test('the statements export is for platform admins, over at most a year', async () => {
  expect((await server.http('GET', '/api/transparency/statements', { token: moderator.token })).status).toBe(403);
  const tooLong = await server.http(
    'GET',
    '/api/transparency/statements?from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z',
    { token: admin.token },
  );
  expect(tooLong).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
  expect((await server.http('GET', '/api/transparency/statements', { token: admin.token })).status).toBe(200);
});

describe('moderator notes on accounts', () => {
  test('platform moderators keep private notes, shown with the case; never to chat admins or the account', async () => {
    const owner = await established(server, 'owner');
    const author = await established(server, 'author');
    const reporter = await established(server, 'reporter');
    const chat = await createChat(owner, 'group', [author, reporter]);
    const message = await post(author, chat.id);
    await report(reporter, 'message', message.id, 'harassment');

    const added = ok(
      await emit(moderator.socket, 'mod:note-add', {
        userId: author.id,
        text: 'warned twice in private about harassment',
      }),
    ).note;
    expect(added).toMatchObject({
      userId: author.id,
      authorId: moderator.id,
      text: 'warned twice in private about harassment',
    });
    expect(ok(await emit(moderator.socket, 'mod:notes', { userId: author.id })).notes).toEqual([added]);

    const caseId = (await ModerationCaseModel.findOne({ targetId: message.id }))!.id;
    expect(ok(await emit(moderator.socket, 'mod:case', { caseId })).notes).toEqual([added]);
    const ownerView = ok(await emit(owner.socket, 'mod:case', { caseId }));
    expect(ownerView.notes).toBeUndefined();
    expect(JSON.stringify(ownerView)).not.toContain('warned twice');

    for (const who of [owner, author]) {
      expect(await emit(who.socket, 'mod:note-add', { userId: author.id, text: 'mine' })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
      expect(await emit(who.socket, 'mod:notes', { userId: author.id })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    }
    expect(
      await emit(moderator.socket, 'mod:note-add', { userId: '0123456789abcdef01234567', text: 'nobody' }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await emit(moderator.socket, 'mod:note-add', { userId: author.id, text: 'x'.repeat(2001) })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(ok(await emit(moderator.socket, 'mod:notes', { userId: author.id })).notes).toHaveLength(1);

    // Each read is in the access log, which admins read.
    const log = await server.http('GET', `/api/moderation/access-log?actorId=${moderator.id}`, { token: admin.token });
    expect(
      log.body.entries.filter(
        (e: { what: string; targetId: string }) => e.what === 'user_notes' && e.targetId === author.id,
      ).length,
    ).toBeGreaterThanOrEqual(2);
    expect(await UserModel.exists({ _id: author.id })).not.toBeNull();
  });
});
