/** Reporting that cannot be turned into a weapon: report weights, accountability for unfounded reports, automatic decisions undone on review. */
import { autoHideDue, weightSum } from '../handlers/reporter-trust';
import { MessageModel, ModerationActionModel, ModerationCaseModel, ReportModel, UserModel } from '../models';
import { collect, emit, nextEvent, settle, useTestServer } from './support/harness';
import { createChat, established, ok, person, post, report, type Person } from './support/world';

const server = useTestServer({
  RATE_JOINS: '10000/60s',
  RATE_REPORTS: '10000/60s',
  RATE_REPORTS_RESTRICTED: '1/1d',
  REPORT_WARN_AFTER: '2',
  REPORT_RESTRICT_AFTER: '3',
});
let moderator: Person;
let secondModerator: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
  secondModerator = await person(server, 'moderator2', 'moderator');
});

const caseOf = async (targetId: string) => (await ModerationCaseModel.findOne({ targetId }))!;

describe('weights (pure)', () => {
  test('new accounts alone never reach a threshold, however many; one established reporter among them can', () => {
    expect(weightSum(Array(20).fill(0.1))).toBe(2);
    expect(autoHideDue(Array(20).fill(0.1), 2)).toBe(false);
    expect(autoHideDue(Array(1000).fill(0.1), 5)).toBe(false);
    expect(autoHideDue([1, 1], 2)).toBe(true);
    expect(autoHideDue([2.5], 2)).toBe(true);
    expect(autoHideDue([1, 0.1], 2)).toBe(false);
  });
});

describe('fresh accounts cannot hide a message', () => {
  test.each([2, 5, 20])('%i fresh accounts reporting child_abuse reach the queue but hide nothing', async (n) => {
    const author = await established(server, 'author');
    const reporters = await Promise.all(Array.from({ length: n }, () => person(server, 'fresh')));
    const chat = await createChat(author, 'group', reporters);
    const message = await post(author, chat.id, 'an ordinary message');
    const toModerator = nextEvent(moderator.socket, 'report:new');
    await Promise.all(reporters.map((r) => report(r, 'message', message.id, 'child_abuse')));
    await toModerator;

    expect((await MessageModel.findById(message.id))!.hidden).toBeNull();
    expect(await ModerationActionModel.countDocuments({ targetId: message.id })).toBe(0);
    const moderationCase = await caseOf(message.id);
    expect(moderationCase).toMatchObject({ reportCount: n, status: 'open' });
    expect(moderationCase.weight).toBeCloseTo(n * 0.1);
    expect(await ReportModel.countDocuments({ targetId: message.id, weight: 0.1 })).toBe(n);
  });

  test('two established reporters still hide a child_abuse report; a trusted flagger counts 2.5', async () => {
    const author = await established(server, 'author');
    const [r1, r2] = [await established(server, 'reporter'), await established(server, 'reporter')];
    const flagger = await person(server, 'flagger', 'trusted_flagger');
    const chat = await createChat(author, 'group', [r1, r2, flagger]);
    const message = await post(author, chat.id);
    await report(r1, 'message', message.id, 'child_abuse');
    await report(r2, 'message', message.id, 'child_abuse');
    expect((await MessageModel.findById(message.id))!.hidden).toMatchObject({ by: 'system' });
    expect(await caseOf(message.id)).toMatchObject({ reportCount: 2, weight: 2 });

    const other = await post(author, chat.id);
    await report(flagger, 'message', other.id, 'child_abuse');
    expect((await MessageModel.findById(other.id))!.hidden).toMatchObject({ by: 'system' });
    expect(await caseOf(other.id)).toMatchObject({ weight: 2.5 });
  });

  test('a reporter muted in the chat weighs nothing', async () => {
    const owner = await established(server, 'owner');
    const muted = await established(server, 'muted');
    const chat = await createChat(owner, 'group', [muted]);
    ok(await emit(owner.socket, 'mod:mute', { userId: muted.id, chatId: chat.id, reason: 'cool down' }));
    const message = await post(owner, chat.id);
    const filed = await report(muted, 'message', message.id, 'spam');
    expect((await ReportModel.findById(filed.id))!.weight).toBe(0);
  });
});

describe('automatic decisions undo themselves when review disagrees', () => {
  test('dismissing the case of an automatically hidden message shows it again live and tells its author why', async () => {
    const author = await established(server, 'author');
    const member = await established(server, 'member');
    const [r1, r2] = [await established(server, 'reporter'), await established(server, 'reporter')];
    const chat = await createChat(author, 'group', [member, r1, r2]);
    const message = await post(author, chat.id, 'a photo of my nephew at the beach');
    await report(r1, 'message', message.id, 'child_abuse');
    await report(r2, 'message', message.id, 'child_abuse');
    expect((await MessageModel.findById(message.id))!.hidden).toMatchObject({ by: 'system' });

    const unhidden = nextEvent(member.socket, 'message:unhidden');
    const notices = collect(author.socket, 'moderation:notice');
    ok(
      await emit(moderator.socket, 'mod:dismiss', {
        caseId: (await caseOf(message.id)).id,
        reason: 'family photo, nothing abusive',
      }),
    );
    expect((await unhidden).message).toMatchObject({ id: message.id, text: 'a photo of my nephew at the beach' });
    expect((await MessageModel.findById(message.id))!.hidden).toBeNull();
    await settle(author.socket);
    expect(notices.map((n) => n.action.type)).toEqual(['unhide_message']);
    expect(notices[0]!.notice.reason).toContain('restored');
    expect(notices[0]!.notice.reason).toContain('family photo, nothing abusive');
    expect(await caseOf(message.id)).toMatchObject({ status: 'dismissed' });
  });

  test('dismissing a case whose message a moderator hid leaves it hidden', async () => {
    const author = await established(server, 'author');
    const reporter = await established(server, 'reporter');
    const chat = await createChat(author, 'group', [reporter]);
    const message = await post(author, chat.id);
    await report(reporter, 'message', message.id, 'spam');
    ok(await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'spam' }));
    ok(
      await emit(moderator.socket, 'mod:dismiss', { caseId: (await caseOf(message.id)).id, reason: 'handled already' }),
    );
    expect((await MessageModel.findById(message.id))!.hidden).toMatchObject({ byRole: 'platform_moderator' });
  });
});

describe('accountability for unfounded reports', () => {
  test('a reporter whose reports are dismissed again and again is warned, then loses automatic power and is limited, and may appeal', async () => {
    const author = await established(server, 'author');
    const reporter = await established(server, 'serial');
    const chat = await createChat(author, 'group', [reporter]);
    const notices = collect(reporter.socket, 'moderation:notice');
    for (let i = 0; i < 3; i++) {
      const message = await post(author, chat.id, `harmless ${i}`);
      await report(reporter, 'message', message.id, 'hate');
      ok(await emit(moderator.socket, 'mod:dismiss', { caseId: (await caseOf(message.id)).id, reason: 'not hate' }));
    }
    await settle(reporter.socket);
    // REPORT_WARN_AFTER=2, REPORT_RESTRICT_AFTER=3: a warning first, then the restriction.
    expect(notices.map((n) => n.action.type)).toEqual(['warn_reporter', 'restrict_reporter']);
    expect(notices[0]!.notice).toMatchObject({ automatic: true, appeal: { appealable: true } });
    expect(notices[1]!.notice.until).toEqual(expect.any(String));
    expect(await ModerationActionModel.countDocuments({ targetId: reporter.id, type: 'warn_reporter' })).toBe(1);
    expect(await ModerationActionModel.countDocuments({ targetId: reporter.id, type: 'restrict_reporter' })).toBe(1);
    expect((await UserModel.findById(reporter.id))!.reportingRestricted).toMatchObject({ until: expect.any(Date) });

    // Still heard, but weighing nothing, and limited harder (RATE_REPORTS_RESTRICTED=1/1d).
    const next = await post(author, chat.id, 'reported while restricted');
    const filed = await report(reporter, 'message', next.id, 'hate');
    expect((await ReportModel.findById(filed.id))!.weight).toBe(0);
    const another = await post(author, chat.id, 'again');
    expect(
      await emit(reporter.socket, 'report:create', { targetType: 'message', targetId: another.id, reason: 'hate' }),
    ).toMatchObject({ ok: false, error: { code: 'rate_limited' } });

    // Appealable like any decision: a reversal lifts it.
    const appeal = ok(
      await emit(reporter.socket, 'appeal:create', { actionId: notices[1]!.action.id, text: 'those were real' }),
    ).appeal;
    ok(
      await emit(secondModerator.socket, 'mod:appeal-decide', {
        appealId: appeal.id,
        outcome: 'reversed',
        reason: 'fair point',
      }),
    );
    expect((await UserModel.findById(reporter.id))!.reportingRestricted).toBeNull();
    expect(await ModerationActionModel.countDocuments({ targetId: reporter.id, type: 'unrestrict_reporter' })).toBe(1);
  });
});
