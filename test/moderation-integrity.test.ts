/**
 * Moderation that holds together under pressure: strict rank between a chat's admins, cases that
 * close whichever way their target was acted on, effects that claim nothing when their write
 * fails, a case that never closes over a report landing meanwhile, and a ban that silences the
 * room before anything else. Faults are injected into the real database calls.
 */
import {
  AppealModel,
  MembershipModel,
  MessageModel,
  ModerationActionModel,
  ModerationCaseModel,
  ReportModel,
  StatementModel,
} from '../models';
import { collect, emit, nextEvent, settle, sleep, useTestServer } from './support/harness';
import { createChat, established, ok, person, post, report } from './support/world';

const server = useTestServer({ RATE_JOINS: '1000/60s', RATE_REPORTS: '1000/60s', AUTO_HIDE_REPORTS: '2' });
afterEach(() => jest.restoreAllMocks());

const refused = (code: string) => ({ ok: false, error: expect.objectContaining({ code }) });

/** Makes the next call of `method` on `model` wait `ms` before it runs, as a slow database would. */
function slowNext(model: object, method: string, ms: number, when: (...args: any[]) => boolean = () => true): void {
  const target = model as Record<string, (...args: any[]) => any>;
  const original = target[method]!.bind(model);
  jest.spyOn(target, method).mockImplementation((...args: any[]) => {
    if (!when(...args)) return original(...args);
    return sleep(ms).then(() => original(...args));
  });
}

describe('strict rank inside a chat', () => {
  test('an admin neither bans nor mutes another admin; the owner does', async () => {
    const owner = await person(server, 'owner');
    const [first, second] = [await person(server, 'admin'), await person(server, 'admin')];
    const chat = await createChat(owner, 'group', [], [first, second]);

    expect(await emit(first.socket, 'mod:ban', { userId: second.id, chatId: chat.id, reason: 'rival' })).toMatchObject(
      refused('forbidden'),
    );
    expect(await emit(first.socket, 'mod:mute', { userId: second.id, chatId: chat.id, reason: 'rival' })).toMatchObject(
      refused('forbidden'),
    );
    expect(await MembershipModel.findOne({ chatId: chat.id, userId: second.id }).lean()).toMatchObject({
      status: 'active',
      role: 'admin',
      mutedByRole: null,
    });

    ok(
      await emit(owner.socket, 'mod:mute', {
        userId: second.id,
        chatId: chat.id,
        durationSec: 60,
        reason: 'cool down',
      }),
    );
    expect(
      await emit(first.socket, 'mod:unmute', { userId: second.id, chatId: chat.id, reason: 'ally' }),
    ).toMatchObject(refused('forbidden'));
    ok(await emit(owner.socket, 'mod:ban', { userId: second.id, chatId: chat.id, reason: 'enough' }));
  });
});

describe('acting on a reported target closes its open case, as naming the case would', () => {
  test('a chat admin hides a reported message from the chat: the case closes as actioned and the reporter is told', async () => {
    const owner = await person(server, 'owner');
    const [author, reporter] = [await person(server, 'author'), await person(server, 'reporter')];
    const chat = await createChat(owner, 'group', [author, reporter]);
    const message = await post(author, chat.id, 'spam spam spam');
    const filed = await report(reporter, 'message', message.id);
    const told = nextEvent(reporter.socket, 'report:resolved');

    const { action } = ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'spam' }));
    const reported = (await ModerationCaseModel.findOne({ targetId: message.id }).lean())!;
    expect(action.caseId).toBe(reported._id.toString());
    expect(reported.status).toBe('actioned');
    expect(await told).toEqual({ reportId: filed.id, caseId: reported._id.toString(), outcome: 'actioned' });
    const mine = await server.http('GET', '/api/me/reports', { token: reporter.token });
    expect(mine.body.reports).toEqual([expect.objectContaining({ id: filed.id, status: 'actioned' })]);
  });

  test('its author deletes a reported message: the case closes as actioned and the reporter is told', async () => {
    const owner = await person(server, 'owner');
    const [author, reporter] = [await person(server, 'author'), await person(server, 'reporter')];
    const chat = await createChat(owner, 'group', [author, reporter]);
    const message = await post(author, chat.id, 'something regrettable');
    const filed = await report(reporter, 'message', message.id, 'harassment');
    const told = nextEvent(reporter.socket, 'report:resolved');

    ok(await emit(author.socket, 'message:delete', { messageId: message.id }));
    expect(await told).toMatchObject({ reportId: filed.id, outcome: 'actioned' });
    expect(await ModerationCaseModel.findOne({ targetId: message.id }).lean()).toMatchObject({ status: 'actioned' });
    // The evidence stays with the report.
    expect(await ReportModel.findById(filed.id).lean()).toMatchObject({
      status: 'actioned',
      evidence: { text: 'something regrettable' },
    });
  });

  test('a platform moderator suspends, or bans from a chat, a reported account: its case closes; a chat admin’s ban leaves it to the platform', async () => {
    const moderator = await person(server, 'moderator', 'moderator');
    const owner = await person(server, 'owner');
    const [suspect, pest, reporter] = [
      await person(server, 'suspect'),
      await person(server, 'pest'),
      await person(server, 'reporter'),
    ];
    const chat = await createChat(owner, 'group', [suspect, pest, reporter]);
    await report(reporter, 'user', suspect.id, 'scam');
    await report(reporter, 'user', pest.id, 'harassment');

    ok(await emit(owner.socket, 'mod:ban', { userId: suspect.id, chatId: chat.id, reason: 'not here' }));
    expect(await ModerationCaseModel.findOne({ targetType: 'user', targetId: suspect.id }).lean()).toMatchObject({
      status: 'open',
    });

    const suspended = nextEvent(reporter.socket, 'report:resolved');
    ok(await emit(moderator.socket, 'mod:ban', { userId: suspect.id, reason: 'scam ring' }));
    expect(await suspended).toMatchObject({ outcome: 'actioned' });
    expect(await ModerationCaseModel.findOne({ targetType: 'user', targetId: suspect.id }).lean()).toMatchObject({
      status: 'actioned',
    });

    const banned = nextEvent(reporter.socket, 'report:resolved');
    ok(await emit(moderator.socket, 'mod:ban', { userId: pest.id, chatId: chat.id, reason: 'harassing members' }));
    expect(await banned).toMatchObject({ outcome: 'actioned' });
    expect(await ModerationCaseModel.findOne({ targetType: 'user', targetId: pest.id }).lean()).toMatchObject({
      status: 'actioned',
    });
  });
});

describe('an effect whose write fails leaves nothing claimed', () => {
  test('a hide that cannot be written leaves no audit entry, no statement, and a retry succeeds', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const chat = await createChat(owner, 'group', [author]);
    const message = await post(author, chat.id, 'rude');
    const statements = await StatementModel.countDocuments({});
    jest.spyOn(MessageModel, 'updateOne').mockRejectedValueOnce(new Error('disk full'));

    expect(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'rude' })).toMatchObject(
      refused('internal'),
    );
    expect(await ModerationActionModel.countDocuments({ targetId: message.id })).toBe(0);
    expect(await StatementModel.countDocuments({})).toBe(statements);
    expect((await MessageModel.findById(message.id).lean())!.hidden).toBeNull();

    ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'rude' }));
    expect((await MessageModel.findById(message.id).lean())!.hidden).toMatchObject({ reason: 'rude' });
  });

  test('an automatic hide whose write fails happens on the next report, once', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const reporters = [
      await established(server, 'reporter'),
      await established(server, 'reporter'),
      await established(server, 'reporter'),
    ];
    const chat = await createChat(owner, 'group', [author, ...reporters]);
    const message = await post(author, chat.id, 'buy now');
    await report(reporters[0]!, 'message', message.id);
    jest.spyOn(MessageModel, 'updateOne').mockRejectedValueOnce(new Error('disk full'));
    // The report itself is stored and acked; the hide it earned failed and claimed nothing.
    await report(reporters[1]!, 'message', message.id);
    expect((await MessageModel.findById(message.id).lean())!.hidden).toBeNull();
    expect(await ModerationActionModel.countDocuments({ targetId: message.id })).toBe(0);

    await report(reporters[2]!, 'message', message.id);
    expect((await MessageModel.findById(message.id).lean())!.hidden).toMatchObject({ byRole: 'system' });
    expect(await ModerationActionModel.countDocuments({ targetId: message.id, type: 'hide_message' })).toBe(1);
  });

  test('an appeal decision that cannot be stored leaves the appeal open, and deciding again works', async () => {
    const [moderator, reviewer] = [
      await person(server, 'moderator', 'moderator'),
      await person(server, 'reviewer', 'moderator'),
    ];
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const chat = await createChat(owner, 'group', [author]);
    const message = await post(author, chat.id, 'a quote from a film');
    const { action } = ok(await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'threat' }));
    const { appeal } = ok(await emit(author.socket, 'appeal:create', { actionId: action.id, text: 'It is a quote.' }));
    jest.spyOn(AppealModel, 'updateOne').mockRejectedValueOnce(new Error('disk full'));

    expect(
      await emit(reviewer.socket, 'mod:appeal-decide', {
        appealId: appeal.id,
        outcome: 'upheld',
        reason: 'it reads as a threat',
      }),
    ).toMatchObject(refused('internal'));
    expect(await AppealModel.findById(appeal.id).lean()).toMatchObject({ status: 'open' });
    expect(await ModerationActionModel.countDocuments({ type: 'decide_appeal', targetId: appeal.id })).toBe(0);

    expect(
      ok(
        await emit(reviewer.socket, 'mod:appeal-decide', {
          appealId: appeal.id,
          outcome: 'upheld',
          reason: 'it reads as a threat',
        }),
      ).appeal,
    ).toMatchObject({ status: 'upheld' });
  });
});

test('a report that lands while its case closes is never left open inside a closed case', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const [first, second] = [await person(server, 'reporter'), await person(server, 'reporter')];
  const chat = await createChat(owner, 'group', [author, first, second]);
  const message = await post(author, chat.id, 'dodgy link');
  await report(first, 'message', message.id);
  const caseId = (await ModerationCaseModel.findOne({ targetId: message.id }).lean())!._id.toString();
  // The close is slow to write the case's status; a second report lands meanwhile.
  slowNext(ModerationCaseModel, 'updateOne', 300, (_filter, update) => update?.$set?.status === 'actioned');

  const banning = emit(owner.socket, 'mod:ban', { userId: author.id, chatId: chat.id, reason: 'spammer', caseId });
  await sleep(100);
  const secondReport = await report(second, 'message', message.id);
  ok(await banning);
  await settle(owner.socket);

  const closedCase = (await ModerationCaseModel.findById(caseId).lean())!;
  const stillOpen = await ReportModel.countDocuments({ caseId, status: 'open' });
  if (closedCase.status !== 'open') expect(stillOpen).toBe(0);
  else expect(await ReportModel.findById(secondReport.id).lean()).toMatchObject({ status: 'open' });
  expect(closedCase.status === 'open' || stillOpen === 0).toBe(true);
});

test('a banned member hears nothing said while the ban is being enacted', async () => {
  const owner = await person(server, 'owner');
  const [banned, talker] = [await person(server, 'banned'), await person(server, 'talker')];
  const chat = await createChat(owner, 'group', [banned, talker]);
  const heard = collect(banned.socket, 'message:new');
  // The audit entry is slow to write; the room goes on talking meanwhile.
  slowNext(ModerationActionModel, 'create', 300);

  const banning = emit(owner.socket, 'mod:ban', { userId: banned.id, chatId: chat.id, reason: 'spam' });
  await sleep(100);
  await post(talker, chat.id, 'glad they are going');
  ok(await banning);
  await settle(talker.socket);
  await sleep(100);
  expect(heard.map((m) => m.message.text)).not.toContain('glad they are going');
});
