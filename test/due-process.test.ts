/** Due process for the people acted against: kept statements of reasons, appeals, their own data, deletion. */
import { io as connectClient } from 'socket.io-client';

import {
  AccessEntryModel,
  AppealModel,
  ModerationActionModel,
  ModerationCaseModel,
  NoticeModel,
  UserModel,
} from '../models';
import type { ServerEventPayload } from '../handlers/contract/protocol';
import { collect, disconnected, emit, nextEvent, settle, useTestServer, type ClientSocket } from './support/harness';
import { createChat, ok, established, person, post, report, type Person } from './support/world';

const server = useTestServer({ RATE_JOINS: '1000/60s', RATE_REPORTS: '1000/60s', AUTO_HIDE_REPORTS: '2' });
let moderator: Person;
let secondModerator: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
  secondModerator = await person(server, 'moderator2', 'moderator');
});

const DAY_MS = 86_400_000;

/** Connects with the `notices:unread` listener in place before the connection completes. */
function connectForUnread(
  token: string,
): Promise<{ socket: ClientSocket; unread: ServerEventPayload<'notices:unread'>[] }> {
  const socket: ClientSocket = connectClient(server.url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    autoConnect: false,
  });
  const unread = collect(socket, 'notices:unread');
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, unread }));
    socket.once('connect_error', reject);
    socket.connect();
  });
}

describe('statements of reasons', () => {
  test('someone offline when their message was hidden finds the statement of reasons on their next connection, listed until read', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(owner, 'group', [author, reporter]);
    const message = await post(author, chat.id, 'buy followers here');
    await report(reporter, 'message', message.id, 'scam');
    const moderationCase = await ModerationCaseModel.findOne({ targetId: message.id });
    author.socket.close();

    const action = ok(
      await emit(moderator.socket, 'mod:hide', {
        messageId: message.id,
        reason: 'selling fake engagement',
        caseId: moderationCase!.id,
      }),
    ).action;

    const { socket, unread } = await connectForUnread(author.token);
    await settle(socket);
    expect(unread).toHaveLength(1);
    const [notice] = unread[0]!.notices;
    expect(notice).toMatchObject({
      actionId: action.id,
      actionType: 'hide_message',
      actorRole: 'platform_moderator',
      targetId: message.id,
      chatId: chat.id,
      reason: 'selling fake engagement',
      reasonCategory: 'scam',
      automatic: false,
      appeal: { appealable: true },
      readAt: null,
    });
    expect(notice).not.toHaveProperty('actorId');
    expect(Date.parse(notice!.appeal.deadline!) - Date.parse(action.createdAt)).toBe(14 * DAY_MS);

    const listed = await server.http('GET', '/api/me/notices?unreadOnly=true', { token: author.token });
    expect(listed.status).toBe(200);
    expect(listed.body.notices).toEqual([notice]);
    expect(ok(await emit(socket, 'notices:read', { ids: [notice!.id] }))).toMatchObject({ read: 1 });
    expect(ok(await emit(socket, 'notices:list', { unreadOnly: true })).notices).toEqual([]);
    expect(ok(await emit(socket, 'notices:list', {})).notices[0]).toMatchObject({
      id: notice!.id,
      readAt: expect.any(String),
    });

    const again = await connectForUnread(author.token);
    await settle(again.socket);
    expect(again.unread).toEqual([]);
    socket.close();
    again.socket.close();
  });

  test('the live notice carries the stored statement, and an automatic hide says it was automatic', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const [r1, r2] = [await established(server, 'reporter'), await established(server, 'reporter')];
    const chat = await createChat(owner, 'group', [author, r1, r2]);
    const message = await post(author, chat.id, 'spam spam');
    const live = nextEvent(author.socket, 'moderation:notice');
    await report(r1, 'message', message.id, 'spam');
    await report(r2, 'message', message.id, 'spam');
    const { action, notice } = await live;
    expect(action).toMatchObject({ type: 'hide_message', actorRole: 'system' });
    expect(notice).toMatchObject({
      actionId: action.id,
      automatic: true,
      reasonCategory: 'spam',
      appeal: { appealable: true },
    });
    expect(await NoticeModel.countDocuments({ actionId: action.id })).toBe(1);
  });

  test('my reports list what I filed with its outcome, and nothing of other reporters', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const [me, other] = [await person(server, 'reporter'), await person(server, 'reporter')];
    const chat = await createChat(owner, 'group', [author, me, other]);
    const message = await post(author, chat.id, 'rude words');
    const mine = await report(me, 'message', message.id, 'harassment');
    await emit(other.socket, 'report:create', {
      targetType: 'message',
      targetId: message.id,
      reason: 'hate',
      comment: 'mine, not yours',
    });
    const moderationCase = await ModerationCaseModel.findOne({ targetId: message.id });
    ok(await emit(moderator.socket, 'mod:dismiss', { caseId: moderationCase!.id, reason: 'banter between friends' }));

    const listed = ok(await emit(me.socket, 'reports:mine', {}));
    expect(listed.reports).toEqual([{ ...mine, status: 'dismissed' }]);
    const overHttp = await server.http('GET', '/api/me/reports', { token: me.token });
    expect(overHttp.body.reports).toEqual(listed.reports);
    expect(JSON.stringify(overHttp.body)).not.toContain(other.id);
    expect(JSON.stringify(overHttp.body)).not.toContain('mine, not yours');
  });
});

describe('appeals', () => {
  async function hiddenMessage() {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const chat = await createChat(owner, 'group', [author]);
    const message = await post(author, chat.id, 'a joke, taken badly');
    const action = ok(
      await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'looks like a threat' }),
    ).action;
    return { owner, author, chat, message, action };
  }

  test('a reversed appeal unhides the message live, by another moderator, and the appellant hears the decision', async () => {
    const { owner, author, message, action } = await hiddenMessage();
    const filed = ok(
      await emit(author.socket, 'appeal:create', { actionId: action.id, text: 'It was a line from a film.' }),
    ).appeal;
    expect(filed).toMatchObject({
      actionId: action.id,
      actionType: 'hide_message',
      status: 'open',
      decisionReason: null,
    });
    expect(filed).not.toHaveProperty('appellantId');

    // The moderator who hid it never sees the appeal, and may not decide it.
    expect(ok(await emit(moderator.socket, 'mod:appeals', { status: 'open' })).appeals.map((a) => a.id)).not.toContain(
      filed.id,
    );
    expect(
      await emit(moderator.socket, 'mod:appeal-decide', {
        appealId: filed.id,
        outcome: 'reversed',
        reason: 'mine to undo',
      }),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // Chat admins never decide appeals.
    expect(await emit(owner.socket, 'mod:appeals', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const queued = ok(await emit(secondModerator.socket, 'mod:appeals', { status: 'open' })).appeals.find(
      (a) => a.id === filed.id,
    );
    expect(queued).toMatchObject({
      appellantId: author.id,
      text: 'It was a line from a film.',
      action: { id: action.id, actorId: moderator.id },
    });

    const unhidden = nextEvent(owner.socket, 'message:unhidden');
    const decided = nextEvent(author.socket, 'appeal:decided');
    const notices = collect(author.socket, 'moderation:notice');
    const ack = ok(
      await emit(secondModerator.socket, 'mod:appeal-decide', {
        appealId: filed.id,
        outcome: 'reversed',
        reason: 'a quotation, not a threat',
      }),
    );
    expect(ack.appeal).toMatchObject({ status: 'reversed', decisionReason: 'a quotation, not a threat' });
    expect((await unhidden).message).toMatchObject({ id: message.id, text: 'a joke, taken badly' });
    expect((await decided).appeal).toMatchObject({ id: filed.id, status: 'reversed', decidedAt: expect.any(String) });
    await settle(author.socket);
    expect(notices.map((n) => n.action.type)).toEqual(['unhide_message', 'decide_appeal']);
    expect(notices.every((n) => n.notice.appeal.appealable === false)).toBe(true);

    const appeal = await AppealModel.findById(filed.id);
    const audit = await ModerationActionModel.find({ appealId: appeal!._id }).sort({ createdAt: 1 });
    // The decision is audited first: its unique entry is what lets only one decider through.
    expect(audit.map((a) => [a.type, a.actorId])).toEqual([
      ['decide_appeal', secondModerator.id],
      ['unhide_message', secondModerator.id],
    ]);
    expect(appeal!.reversalActionId?.toString()).toBe(audit[1]!.id);
    expect(
      await emit(secondModerator.socket, 'mod:appeal-decide', {
        appealId: filed.id,
        outcome: 'upheld',
        reason: 'changed my mind',
      }),
    ).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  test('a new appeal reaches the other platform moderators live, never the one who acted nor a chat admin, and so does its decision', async () => {
    const { owner, author, action } = await hiddenMessage();
    const thirdModerator = await person(server, 'moderator3', 'moderator');
    const heardByActor = collect(moderator.socket, 'mod:appeal');
    const heardByChatAdmin = collect(owner.socket, 'mod:appeal');
    const heardByAppellant = collect(author.socket, 'mod:appeal');
    const filedLive = nextEvent(secondModerator.socket, 'mod:appeal');
    const filedLiveElsewhere = nextEvent(thirdModerator.socket, 'mod:appeal');

    const filed = ok(
      await emit(author.socket, 'appeal:create', { actionId: action.id, text: 'Out of context.' }),
    ).appeal;
    const { appeal } = await filedLive;
    // The same view `mod:appeals` gives: who appealed, and the action with who took it.
    const queued = ok(await emit(secondModerator.socket, 'mod:appeals', { status: 'open' })).appeals.find(
      (a) => a.id === filed.id,
    );
    expect(appeal).toEqual(queued);
    expect(appeal).toMatchObject({
      id: filed.id,
      status: 'open',
      appellantId: author.id,
      text: 'Out of context.',
      action: { id: action.id, actorId: moderator.id },
    });
    expect((await filedLiveElsewhere).appeal.id).toBe(filed.id);

    const decidedLive = nextEvent(thirdModerator.socket, 'mod:appeal');
    ok(
      await emit(secondModerator.socket, 'mod:appeal-decide', {
        appealId: filed.id,
        outcome: 'reversed',
        reason: 'out of context indeed',
      }),
    );
    expect((await decidedLive).appeal).toMatchObject({
      id: filed.id,
      status: 'reversed',
      decisionReason: 'out of context indeed',
      decidedAt: expect.any(String),
      action: { id: action.id },
    });

    await Promise.all([moderator.socket, owner.socket, author.socket].map(settle));
    expect(heardByActor).toEqual([]);
    expect(heardByChatAdmin).toEqual([]);
    expect(heardByAppellant).toEqual([]);
  });

  test('a moderator who may decide an appeal reads it with the hidden message as it is now, audited; nobody else reads it', async () => {
    const { owner, author, message, action } = await hiddenMessage();
    const filed = ok(
      await emit(author.socket, 'appeal:create', { actionId: action.id, text: 'Read it again, please.' }),
    ).appeal;

    const read = ok(await emit(secondModerator.socket, 'mod:appeal-get', { appealId: filed.id }));
    const queued = ok(await emit(secondModerator.socket, 'mod:appeals', { status: 'open' })).appeals.find(
      (a) => a.id === filed.id,
    );
    expect(read.appeal).toEqual(queued);
    expect(read.target).toMatchObject({
      type: 'message',
      deletedAt: null,
      message: { id: message.id, text: 'a joke, taken badly', hidden: { reason: 'looks like a threat' } },
    });
    expect(
      await AccessEntryModel.exists({ actorId: secondModerator.id, what: 'appeal_target', targetId: message.id }),
    ).not.toBeNull();
    const overHttp = await server.http('GET', `/api/moderation/appeals/${filed.id}`, { token: secondModerator.token });
    expect(overHttp).toMatchObject({ status: 200, body: { appeal: read.appeal, target: read.target } });

    // The moderator who acted, the appellant and the chat's owner may not; an unknown id is not found.
    for (const who of [moderator, author, owner]) {
      expect(await emit(who.socket, 'mod:appeal-get', { appealId: filed.id })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
      expect(await AccessEntryModel.exists({ actorId: who.id, what: 'appeal_target' })).toBeNull();
    }
    expect(
      await emit(secondModerator.socket, 'mod:appeal-get', { appealId: '0123456789abcdef01234567' }),
    ).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  test('an appeal by someone else, twice, after the window, on a dismissal or on a lifting is refused and stores nothing', async () => {
    const { owner, author, message, action } = await hiddenMessage();
    const before = await AppealModel.countDocuments();
    expect(await emit(owner.socket, 'appeal:create', { actionId: action.id, text: 'on their behalf' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });

    const lifted = ok(
      await emit(moderator.socket, 'mod:unhide', { messageId: message.id, reason: 'fine after all' }),
    ).action;
    expect(
      await emit(author.socket, 'appeal:create', { actionId: lifted.id, text: 'appeal the unhide?' }),
    ).toMatchObject({ ok: false, error: { code: 'invalid_input' } });

    const reporter = await person(server, 'reporter');
    const chat = await createChat(owner, 'group', [reporter]);
    const other = await post(owner, chat.id, 'reported, then cleared');
    await report(reporter, 'message', other.id, 'spam');
    const moderationCase = await ModerationCaseModel.findOne({ targetId: other.id });
    const dismissal = ok(
      await emit(moderator.socket, 'mod:dismiss', { caseId: moderationCase!.id, reason: 'not spam' }),
    ).action;
    expect(
      await emit(owner.socket, 'appeal:create', { actionId: dismissal.id, text: 'appeal a dismissal' }),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await emit(reporter.socket, 'appeal:create', { actionId: dismissal.id, text: 'I disagree' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await AppealModel.countDocuments()).toBe(before);

    ok(await emit(author.socket, 'appeal:create', { actionId: action.id, text: 'first' }));
    expect(await emit(author.socket, 'appeal:create', { actionId: action.id, text: 'second' })).toMatchObject({
      ok: false,
      error: { code: 'conflict' },
    });
    expect(await AppealModel.countDocuments()).toBe(before + 1);

    const late = await hiddenMessage();
    // As if the window had passed since.
    await NoticeModel.updateOne(
      { actionId: late.action.id },
      { $set: { appealDeadline: new Date(Date.now() - 1000) } },
    );
    const refused = await server.http('POST', '/api/appeals', {
      token: late.author.token,
      body: { actionId: late.action.id, text: 'too late?' },
    });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await AppealModel.countDocuments()).toBe(before + 1);
  });

  test('an automatic hide is appealable; upheld, the message stays hidden', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const [r1, r2] = [await established(server, 'reporter'), await established(server, 'reporter')];
    const chat = await createChat(owner, 'group', [author, r1, r2]);
    const message = await post(author, chat.id, 'mass reported');
    const live = nextEvent(author.socket, 'moderation:notice');
    await report(r1, 'message', message.id, 'spam');
    await report(r2, 'message', message.id, 'spam');
    const { action } = await live;
    const filed = await server.http('POST', '/api/appeals', {
      token: author.token,
      body: { actionId: action.id, text: 'brigaded by a rival group' },
    });
    expect(filed.status).toBe(201);
    const decided = nextEvent(author.socket, 'appeal:decided');
    const upheld = await server.http('POST', `/api/moderation/appeals/${filed.body.appeal.id}/decision`, {
      token: moderator.token,
      body: { outcome: 'upheld', reason: 'it is spam' },
    });
    expect(upheld).toMatchObject({ status: 200, body: { appeal: { status: 'upheld' } } });
    expect((await decided).appeal.status).toBe('upheld');
    expect(ok(await emit(r1.socket, 'message:history', { chatId: chat.id })).messages).toEqual([
      { id: message.id, chatId: chat.id, seq: message.seq, hidden: true },
    ]);
  });

  test('reversing a chat ban and an account suspension lifts them through the same effects as a manual action', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    const ban = ok(
      await emit(owner.socket, 'mod:ban', { userId: member.id, chatId: chat.id, reason: 'off topic' }),
    ).action;
    const banAppeal = ok(
      await emit(member.socket, 'appeal:create', { actionId: ban.id, text: 'I was on topic' }),
    ).appeal;
    ok(
      await emit(moderator.socket, 'mod:appeal-decide', {
        appealId: banAppeal.id,
        outcome: 'reversed',
        reason: 'on topic',
      }),
    );
    ok(await emit(member.socket, 'chat:join', { chatId: chat.id }));

    const suspend = ok(await emit(moderator.socket, 'mod:ban', { userId: member.id, reason: 'ban evasion' })).action;
    await disconnected(member.socket);
    // A suspended account cannot connect, but over HTTP it still reads why and appeals.
    await expect(server.connect(member.token)).rejects.toThrow('suspended');
    expect(await server.http('GET', '/api/me/reports', { token: member.token })).toMatchObject({
      status: 403,
      body: { error: { code: 'suspended' } },
    });
    const notices = await server.http('GET', '/api/me/notices', { token: member.token });
    expect(notices.body.notices[0]).toMatchObject({
      actionId: suspend.id,
      actionType: 'suspend_account',
      appeal: { appealable: true },
    });
    const appeal = await server.http('POST', '/api/appeals', {
      token: member.token,
      body: { actionId: suspend.id, text: 'mistaken identity' },
    });
    expect(appeal.status).toBe(201);
    ok(
      await emit(secondModerator.socket, 'mod:appeal-decide', {
        appealId: appeal.body.appeal.id,
        outcome: 'reversed',
        reason: 'different person',
      }),
    );
    expect((await UserModel.findById(member.id))!.suspended).toBeNull();
    expect((await server.connect(member.token)).connected).toBe(true);
  });
});
