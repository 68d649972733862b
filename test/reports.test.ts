import { autoHideThreshold, casePriority } from '../handlers/reports';
import { MessageModel, ModerationActionModel, ModerationCaseModel, ReportModel } from '../models';
import { collect, emit, nextEvent, settle, useTestServer } from './support/harness';
import { createChat, join, ok, established, person, post, report, type Person } from './support/world';

const server = useTestServer({ RATE_JOINS: '1000/60s' });
let moderator: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
});

describe('case priority (pure)', () => {
  test('the worst reason comes first, then the number of reporters', () => {
    expect(casePriority(['child_abuse'], 1)).toBeGreaterThan(casePriority(['spam', 'harassment'], 50));
    expect(casePriority(['terrorism'], 1)).toBe(casePriority(['child_abuse'], 1));
    expect(casePriority(['spam'], 3)).toBeGreaterThan(casePriority(['spam'], 2));
    expect(casePriority(['spam', 'violence'], 1)).toBe(casePriority(['violence'], 1));
  });

  test('child abuse lowers the auto-hide threshold to 2', () => {
    expect(autoHideThreshold(['spam'], 5)).toBe(5);
    expect(autoHideThreshold(['spam', 'child_abuse'], 5)).toBe(2);
    expect(autoHideThreshold(['child_abuse'], 1)).toBe(1);
  });
});

describe('reporting', () => {
  test('a report stores an evidence snapshot that survives the author deleting the message', async () => {
    const author = await person(server, 'author');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(author, 'group', [reporter]);
    const message = await post(author, chat.id, 'buy followers at example.com');

    const filed = await report(reporter, 'message', message.id, 'spam');
    expect(filed).toMatchObject({
      targetType: 'message',
      targetId: message.id,
      chatId: chat.id,
      reason: 'spam',
      status: 'open',
    });
    expect(filed.reporterId).toBeUndefined();
    ok(await emit(author.socket, 'message:delete', { messageId: message.id }));

    const stored = await ReportModel.findById(filed.id);
    expect(stored!.evidence).toMatchObject({
      text: 'buy followers at example.com',
      senderId: author.id,
      seq: message.seq,
      chatId: chat.id,
    });
    const view = ok(await emit(moderator.socket, 'mod:case', { caseId: stored!.caseId.toString() }));
    expect(view.reports[0]!.evidence).toMatchObject({ text: 'buy followers at example.com', senderId: author.id });
    expect(view.target).toMatchObject({
      type: 'message',
      message: { id: message.id, text: 'buy followers at example.com' },
      deletedAt: expect.any(String),
    });
  });

  test('the same reporter twice is a conflict: still one report, the count unchanged', async () => {
    const author = await person(server, 'author');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(author, 'group', [reporter]);
    const message = await post(author, chat.id);
    await report(reporter, 'message', message.id, 'spam');
    const again = await emit(reporter.socket, 'report:create', {
      targetType: 'message',
      targetId: message.id,
      reason: 'scam',
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(await ReportModel.countDocuments({ targetId: message.id })).toBe(1);
    expect(await ModerationCaseModel.findOne({ targetId: message.id })).toMatchObject({ reportCount: 1 });
  });

  test('reports on one target gather in one case with reasons tallied and the worst reason setting priority', async () => {
    const author = await person(server, 'author');
    const reporters = await Promise.all([1, 2, 3].map(() => person(server, 'reporter')));
    const chat = await createChat(author, 'group', reporters);
    const message = await post(author, chat.id);
    await report(reporters[0]!, 'message', message.id, 'spam');
    await report(reporters[1]!, 'message', message.id, 'spam');
    await report(reporters[2]!, 'message', message.id, 'hate');

    const cases = ok(await emit(moderator.socket, 'mod:cases', { chatId: chat.id }));
    expect(cases.cases).toHaveLength(1);
    expect(cases.cases[0]).toMatchObject({
      targetId: message.id,
      reportCount: 3,
      reasons: { spam: 2, hate: 1 },
      priority: casePriority(['hate'], 3),
      status: 'open',
    });
  });

  test('users report only what they can see', async () => {
    const owner = await person(server, 'owner');
    const outsider = await person(server, 'outsider');
    const secret = await createChat(owner, 'group');
    const privateChat = ok(
      await emit(owner.socket, 'chat:create', { type: 'group', title: 'private', visibility: 'private' }),
    ).chat;
    const message = await post(owner, privateChat.id, 'private words');

    // What the outsider may not see answers exactly as an id that does not exist.
    const answers = [];
    for (const [targetType, targetId] of [
      ['message', message.id],
      ['chat', privateChat.id],
      ['user', owner.id],
      ['message', '0123456789abcdef01234567'],
      ['chat', '0123456789abcdef01234567'],
      ['user', '0123456789abcdef01234567'],
    ] as const) {
      answers.push(await emit(outsider.socket, 'report:create', { targetType, targetId, reason: 'spam' }));
    }
    expect(answers.slice(0, 3)).toEqual(answers.slice(3));
    for (const answer of answers) expect(answer).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(
      await emit(outsider.socket, 'report:create', { targetType: 'user', targetId: outsider.id, reason: 'spam' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(await ReportModel.countDocuments({ reporterId: outsider.id })).toBe(0);

    // A public chat is visible to everyone; a person, once you share a chat with them.
    await report(outsider, 'chat', secret.id, 'scam');
    await join(outsider, secret.id);
    await report(outsider, 'user', owner.id, 'harassment');
  });

  test('bad input is invalid_input and stores nothing', async () => {
    const someone = await person(server, 'someone');
    const before = await ReportModel.countDocuments();
    for (const input of [
      {},
      { targetType: 'message', targetId: '0123456789abcdef01234567', reason: 'boring' },
      { targetType: 'post', targetId: '0123456789abcdef01234567', reason: 'spam' },
      { targetType: 'user', targetId: { $ne: null }, reason: 'spam' },
      { targetType: 'user', targetId: '0123456789abcdef01234567', reason: 'spam', comment: 'x'.repeat(1001) },
    ]) {
      expect(await emit(someone.socket, 'report:create', input as never)).toMatchObject({
        ok: false,
        error: { code: 'invalid_input' },
      });
    }
    expect(await ReportModel.countDocuments()).toBe(before);
  });
});

describe('routing and anonymity', () => {
  test('report:new reaches moderators and the chat’s admins, never the reporter’s id for chat admins', async () => {
    const owner = await person(server, 'owner');
    const admin = await person(server, 'chatadmin');
    const member = await person(server, 'member');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(owner, 'group', [member, reporter], [admin]);
    const message = await post(member, chat.id, 'rude words');
    const memberSees = collect(member.socket, 'report:new');

    const toOwner = nextEvent(owner.socket, 'report:new');
    const toAdmin = nextEvent(admin.socket, 'report:new');
    const toModerator = nextEvent(moderator.socket, 'report:new');
    const filed = await report(reporter, 'message', message.id, 'harassment');
    for (const payload of await Promise.all([toOwner, toAdmin, toModerator])) {
      expect(payload.case).toMatchObject({
        targetType: 'message',
        targetId: message.id,
        chatId: chat.id,
        reportCount: 1,
      });
      expect(JSON.stringify(payload)).not.toContain(reporter.id);
    }

    const adminView = ok(await emit(admin.socket, 'mod:case', { caseId: (await toAdmin).case.id }));
    expect(adminView.reports).toHaveLength(1);
    expect(JSON.stringify(adminView)).not.toContain(reporter.id);
    const adminList = ok(await emit(admin.socket, 'mod:cases', {}));
    expect(JSON.stringify(adminList)).not.toContain(reporter.id);

    const moderatorView = ok(await emit(moderator.socket, 'mod:case', { caseId: (await toAdmin).case.id }));
    expect(moderatorView.reports[0]).toMatchObject({ id: filed.id, reporterId: reporter.id });
    await settle(member.socket);
    expect(memberSees).toEqual([]);
  });

  test('a report on a user goes to platform moderators only', async () => {
    const reporter = await person(server, 'reporter');
    const target = await person(server, 'target');
    await createChat(target, 'group', [reporter]);
    const toModerator = nextEvent(moderator.socket, 'report:new');
    await report(reporter, 'user', target.id, 'harassment');
    expect((await toModerator).case).toMatchObject({ targetType: 'user', targetId: target.id });
    expect((await toModerator).case.chatId).toBeUndefined();
    const view = ok(await emit(moderator.socket, 'mod:case', { caseId: (await toModerator).case.id }));
    expect(view.target).toEqual({
      type: 'user',
      user: expect.objectContaining({ id: target.id, username: target.username }),
      suspended: null,
    });
  });

  test('a report on a chat goes to platform moderators, never to that chat’s own admins', async () => {
    const owner = await person(server, 'owner');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(owner, 'group', [reporter]);
    const ownerSees = collect(owner.socket, 'report:new');
    const toModerator = nextEvent(moderator.socket, 'report:new');
    await report(reporter, 'chat', chat.id, 'terrorism');
    const { case: filed } = await toModerator;
    expect(filed).toMatchObject({ targetType: 'chat', targetId: chat.id });

    await settle(owner.socket);
    expect(ownerSees).toEqual([]);
    expect(ok(await emit(owner.socket, 'mod:cases', {})).cases).toEqual([]);
    expect(await emit(owner.socket, 'mod:case', { caseId: filed.id })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await emit(owner.socket, 'mod:dismiss', { caseId: filed.id, reason: 'nothing to see' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const view = ok(await emit(moderator.socket, 'mod:case', { caseId: filed.id }));
    expect(view.target).toMatchObject({ type: 'chat', chat: { id: chat.id, memberCount: 2 } });
  });

  test('HTTP gives moderators the same cases', async () => {
    const res = await server.http('GET', '/api/moderation/cases?status=open&limit=5', { token: moderator.token });
    expect(res.status).toBe(200);
    expect(res.body.cases.length).toBeGreaterThan(0);
    expect(res.body.cases.length).toBeLessThanOrEqual(5);
    const one = await server.http('GET', `/api/moderation/cases/${res.body.cases[0].id}`, { token: moderator.token });
    expect(one.status).toBe(200);
    expect(one.body.case.id).toBe(res.body.cases[0].id);
    const someone = await person(server, 'someone');
    expect((await server.http('GET', '/api/moderation/cases', { token: someone.token })).status).toBe(403);
  });
});

describe('auto-hide', () => {
  test('five reporters at once hide the message exactly once, as system; the case stays open', async () => {
    const author = await person(server, 'author');
    const reporters = await Promise.all([1, 2, 3, 4, 5].map(() => established(server, 'reporter')));
    const chat = await createChat(author, 'group', reporters);
    const message = await post(author, chat.id, 'scam link');
    const hiddenEvents = collect(author.socket, 'message:hidden');

    await Promise.all(reporters.map((r) => report(r, 'message', message.id, 'scam')));

    const hides = await ModerationActionModel.find({ targetId: message.id, type: 'hide_message' });
    expect(hides).toHaveLength(1);
    expect(hides[0]).toMatchObject({ actorId: 'system' });
    expect((await MessageModel.findById(message.id))!.hidden).toMatchObject({ by: 'system' });
    expect(await ModerationCaseModel.findOne({ targetId: message.id })).toMatchObject({
      reportCount: 5,
      status: 'open',
    });
    await settle(author.socket);
    expect(hiddenEvents).toEqual([{ chatId: chat.id, messageId: message.id, seq: message.seq }]);
    const history = ok(await emit(reporters[0]!.socket, 'message:history', { chatId: chat.id }));
    expect(history.messages.find((m) => m.id === message.id)).toEqual({
      id: message.id,
      chatId: chat.id,
      seq: message.seq,
      hidden: true,
    });
  });

  test('two child_abuse reports are enough', async () => {
    const author = await person(server, 'author');
    const reporters = await Promise.all([1, 2].map(() => established(server, 'reporter')));
    const chat = await createChat(author, 'group', reporters);
    const message = await post(author, chat.id);
    await report(reporters[0]!, 'message', message.id, 'child_abuse');
    expect((await MessageModel.findById(message.id))!.hidden).toBeNull();
    await report(reporters[1]!, 'message', message.id, 'spam');
    expect((await MessageModel.findById(message.id))!.hidden).toMatchObject({ by: 'system' });
  });
});
