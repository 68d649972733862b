/** What every affected client sees when moderators act, and that the effects hold. */
import { MembershipModel, ModerationActionModel, ReportModel } from '../models';
import { collect, disconnected, emit, nextEvent, settle, sleep, useTestServer } from './support/harness';
import { createChat, ok, person, post, report, type Person } from './support/world';

const server = useTestServer({ RATE_JOINS: '1000/60s', RATE_REPORTS: '1000/60s' });
let moderator: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
});

/** The moderator's action, once every listed event has arrived. */
async function actAndSee<T>(act: () => Promise<T>, arrivals: Promise<unknown>[]): Promise<T> {
  const result = await act();
  await Promise.all(arrivals);
  return result;
}

describe('hiding', () => {
  test('hide and unhide reach every member socket; members’ history keeps only a tombstone of a hidden message, moderators’ the message', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const secondTab = await server.connect(member.token);
    const chat = await createChat(owner, 'group', [member]);
    const message = await post(owner, chat.id, 'questionable');

    const hidden = [
      nextEvent(member.socket, 'message:hidden'),
      nextEvent(secondTab, 'message:hidden'),
      nextEvent(owner.socket, 'message:hidden'),
    ];
    const notice = nextEvent(owner.socket, 'moderation:notice');
    const modAction = nextEvent(moderator.socket, 'mod:action');
    const ack = await actAndSee(
      () => emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'misleading' }),
      hidden,
    );
    expect(ack).toMatchObject({
      ok: true,
      action: {
        type: 'hide_message',
        actorId: moderator.id,
        targetId: message.id,
        chatId: chat.id,
        reason: 'misleading',
      },
    });
    for (const payload of await Promise.all(hidden))
      expect(payload).toEqual({ chatId: chat.id, messageId: message.id, seq: message.seq });
    expect((await notice).action).toMatchObject({ type: 'hide_message', reason: 'misleading' });
    expect((await modAction).action.type).toBe('hide_message');

    const memberHistory = ok(await emit(member.socket, 'message:history', { chatId: chat.id }));
    expect(memberHistory.messages).toEqual([{ id: message.id, chatId: chat.id, seq: message.seq, hidden: true }]);
    const moderatorHistory = ok(await emit(moderator.socket, 'message:history', { chatId: chat.id }));
    expect(moderatorHistory.messages).toEqual([
      expect.objectContaining({
        id: message.id,
        hidden: expect.objectContaining({ by: moderator.id, reason: 'misleading' }),
      }),
    ]);

    const unhidden = [nextEvent(member.socket, 'message:unhidden'), nextEvent(secondTab, 'message:unhidden')];
    ok(await emit(moderator.socket, 'mod:unhide', { messageId: message.id, reason: 'on reflection, fine' }));
    for (const payload of await Promise.all(unhidden))
      expect(payload.message).toMatchObject({ id: message.id, text: 'questionable' });
    expect(ok(await emit(member.socket, 'message:history', { chatId: chat.id })).messages.map((m) => m.id)).toEqual([
      message.id,
    ]);
  });
});

describe('chat bans', () => {
  test('a banned member’s sockets leave the room, hear why, and their next send, join and history are refused', async () => {
    const owner = await person(server, 'owner');
    const bystander = await person(server, 'bystander');
    const troll = await person(server, 'troll');
    const trollTab = await server.connect(troll.token);
    const chat = await createChat(owner, 'group', [bystander, troll]);

    const removed = [nextEvent(troll.socket, 'chat:removed'), nextEvent(trollTab, 'chat:removed')];
    const banned = nextEvent(bystander.socket, 'member:banned');
    const notice = nextEvent(troll.socket, 'moderation:notice');
    const ack = await actAndSee(
      () => emit(owner.socket, 'mod:ban', { userId: troll.id, chatId: chat.id, reason: 'trolling', durationSec: 3600 }),
      [...removed, banned, notice],
    );
    expect(ack).toMatchObject({
      ok: true,
      action: { type: 'ban_member', durationSec: 3600, until: expect.any(String) },
    });
    for (const payload of await Promise.all(removed)) expect(payload).toEqual({ chatId: chat.id, reason: 'trolling' });
    expect(await banned).toEqual({ chatId: chat.id, userId: troll.id, until: ack.ok ? ack.action.until : null });
    expect((await notice).action).toMatchObject({
      type: 'ban_member',
      reason: 'trolling',
      chatId: chat.id,
      until: expect.any(String),
    });

    const afterBan = [collect(troll.socket, 'message:new'), collect(trollTab, 'message:new')];
    await post(owner, chat.id, 'said after the ban');
    await settle(troll.socket);
    await settle(trollTab);
    expect(afterBan).toEqual([[], []]);

    for (const [event, input] of [
      ['message:send', { chatId: chat.id, text: 'let me back', clientMsgId: 'x' }],
      ['chat:join', { chatId: chat.id }],
      ['message:history', { chatId: chat.id }],
    ] as const) {
      expect(await emit(troll.socket, event as 'chat:join', input as never)).toMatchObject({
        ok: false,
        error: { code: 'banned' },
      });
    }

    // Reconnecting changes nothing: the new socket is not in the room and is still refused.
    const reconnected = await server.connect(troll.token);
    const seen = collect(reconnected, 'message:new');
    await post(owner, chat.id, 'still banned?');
    await settle(reconnected);
    expect(seen).toEqual([]);
    expect(await emit(reconnected, 'chat:join', { chatId: chat.id })).toMatchObject({
      ok: false,
      error: { code: 'banned' },
    });

    ok(await emit(owner.socket, 'mod:unban', { userId: troll.id, chatId: chat.id, reason: 'served their time' }));
    expect(await emit(reconnected, 'chat:join', { chatId: chat.id })).toMatchObject({
      ok: true,
      membership: { status: 'active', role: 'member' },
    });
    const incoming = nextEvent(reconnected, 'message:new');
    await post(owner, chat.id, 'welcome back');
    expect((await incoming).message.text).toBe('welcome back');
  });

  test('a ban that has run out lets the member join again', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    ok(
      await emit(owner.socket, 'mod:ban', { userId: member.id, chatId: chat.id, reason: 'cool down', durationSec: 1 }),
    );
    expect(await emit(member.socket, 'chat:join', { chatId: chat.id })).toMatchObject({
      ok: false,
      error: { code: 'banned' },
    });
    await sleep(1100);
    ok(await emit(member.socket, 'chat:join', { chatId: chat.id }));
  });
});

describe('mutes', () => {
  test('a muted member is told, cannot send until it expires, then can', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    const muted = nextEvent(owner.socket, 'member:muted');
    const notice = nextEvent(member.socket, 'moderation:notice');
    ok(
      await actAndSee(
        () =>
          emit(owner.socket, 'mod:mute', { userId: member.id, chatId: chat.id, durationSec: 1, reason: 'calm down' }),
        [muted, notice],
      ),
    );
    expect(await muted).toMatchObject({ chatId: chat.id, userId: member.id, until: expect.any(String) });
    expect((await notice).action).toMatchObject({ type: 'mute_member', reason: 'calm down', durationSec: 1 });

    expect(
      await emit(member.socket, 'message:send', { chatId: chat.id, text: 'but', clientMsgId: 'm1' }),
    ).toMatchObject({ ok: false, error: { code: 'muted' } });
    await sleep(1100);
    ok(await emit(member.socket, 'message:send', { chatId: chat.id, text: 'thanks', clientMsgId: 'm2' }));
  });
});

describe('suspensions', () => {
  test('every socket of the account hears why and is disconnected; login, connect and HTTP are refused until unsuspended', async () => {
    const spammer = await person(server, 'spammer');
    const secondTab = await server.connect(spammer.token);
    const suspended = [nextEvent(spammer.socket, 'account:suspended'), nextEvent(secondTab, 'account:suspended')];
    const closed = [disconnected(spammer.socket), disconnected(secondTab)];
    const notice = nextEvent(spammer.socket, 'moderation:notice');

    ok(
      await actAndSee(
        () => emit(moderator.socket, 'mod:ban', { userId: spammer.id, reason: 'spam across chats' }),
        [...suspended, ...closed],
      ),
    );
    for (const payload of await Promise.all(suspended))
      expect(payload).toEqual({ reason: 'spam across chats', until: null });
    expect((await notice).action).toMatchObject({ type: 'suspend_account', reason: 'spam across chats' });
    await expect(Promise.all(closed)).resolves.toEqual(['io server disconnect', 'io server disconnect']);

    const login = await server.http('POST', '/api/auth/login', {
      body: { username: spammer.username, password: 'correct horse' },
    });
    expect(login.status).toBe(403);
    expect(login.body.error.code).toBe('suspended');
    await expect(server.connect(spammer.token)).rejects.toThrow('suspended');
    expect((await server.http('GET', '/api/me', { token: spammer.token })).status).toBe(403);

    ok(await emit(moderator.socket, 'mod:unban', { userId: spammer.id, reason: 'appeal granted' }));
    expect(
      (
        await server.http('POST', '/api/auth/login', {
          body: { username: spammer.username, password: 'correct horse' },
        })
      ).status,
    ).toBe(200);
  });
});

describe('closing cases', () => {
  test('acting on a case resolves it and tells each reporter; dismissing tells them too', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const reporters = await Promise.all([1, 2].map(() => person(server, 'reporter')));
    const chat = await createChat(owner, 'group', [author, ...reporters]);
    const bad = await post(author, chat.id, 'bad');
    const fine = await post(author, chat.id, 'fine');
    const reports = await Promise.all(reporters.map((r) => report(r, 'message', bad.id, 'hate')));
    const caseId = (await ReportModel.findById(reports[0]!.id))!.caseId.toString();

    const resolved = reporters.map((r) => nextEvent(r.socket, 'report:resolved'));
    ok(await emit(owner.socket, 'mod:hide', { messageId: bad.id, reason: 'hate speech', caseId }));
    const payloads = await Promise.all(resolved);
    expect(payloads.map((p) => p.reportId).sort()).toEqual(reports.map((r) => r.id).sort());
    for (const p of payloads) expect(p).toMatchObject({ caseId, outcome: 'actioned' });
    expect(await ReportModel.countDocuments({ caseId, status: 'actioned' })).toBe(2);
    expect(ok(await emit(moderator.socket, 'mod:case', { caseId })).case.status).toBe('actioned');

    // A new report reopens the case.
    const latecomer = await person(server, 'latecomer');
    await emit(latecomer.socket, 'chat:join', { chatId: chat.id });
    const fineReport = await report(latecomer, 'message', fine.id, 'other');
    const fineCase = (await ReportModel.findById(fineReport.id))!.caseId.toString();
    const dismissed = nextEvent(latecomer.socket, 'report:resolved');
    ok(await emit(owner.socket, 'mod:dismiss', { caseId: fineCase, reason: 'nothing wrong here' }));
    expect(await dismissed).toMatchObject({ reportId: fineReport.id, caseId: fineCase, outcome: 'dismissed' });

    const another = await person(server, 'another');
    await emit(another.socket, 'chat:join', { chatId: chat.id });
    await report(another, 'message', fine.id, 'spam');
    expect(ok(await emit(moderator.socket, 'mod:case', { caseId: fineCase })).case).toMatchObject({
      status: 'open',
      reportCount: 2,
    });
  });
});

describe('audit log', () => {
  test('every action is one entry; moderators see all, chat admins their chats, by target and actor', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    const message = await post(member, chat.id);
    const countBefore = await ModerationActionModel.countDocuments();
    ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'r1' }));
    ok(await emit(owner.socket, 'mod:unhide', { messageId: message.id, reason: 'r2' }));
    ok(await emit(owner.socket, 'mod:mute', { userId: member.id, chatId: chat.id, durationSec: 60, reason: 'r3' }));
    expect(await ModerationActionModel.countDocuments()).toBe(countBefore + 3);

    const ownersLog = ok(await emit(owner.socket, 'mod:log', {}));
    expect(ownersLog.actions.map((a) => a.reason)).toEqual(['r3', 'r2', 'r1']);
    const byTarget = ok(await emit(moderator.socket, 'mod:log', { targetId: message.id }));
    expect(byTarget.actions.map((a) => a.type)).toEqual(['unhide_message', 'hide_message']);
    const byActor = ok(await emit(moderator.socket, 'mod:log', { actorId: owner.id, limit: 2 }));
    expect(byActor.actions.map((a) => a.reason)).toEqual(['r3', 'r2']);
    const older = ok(
      await emit(moderator.socket, 'mod:log', { actorId: owner.id, before: byActor.actions[1]!.createdAt }),
    );
    expect(older.actions.map((a) => a.reason)).toEqual(['r1']);

    // Another chat's admin sees none of it.
    const stranger = await person(server, 'stranger');
    await createChat(stranger, 'group');
    expect(ok(await emit(stranger.socket, 'mod:log', { targetId: message.id })).actions).toEqual([]);

    const viaHttp = await server.http('GET', `/api/moderation/log?targetId=${message.id}`, { token: moderator.token });
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.body.actions).toHaveLength(2);
  });

  test('moderators act over HTTP through the same handlers', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    const muted = nextEvent(member.socket, 'member:muted');
    const res = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'mute', userId: member.id, chatId: chat.id, durationSec: 30, reason: 'via http' },
    });
    expect(res.status).toBe(201);
    expect(res.body.action).toMatchObject({ type: 'mute_member', reason: 'via http' });
    expect((await muted).userId).toBe(member.id);
    expect((await MembershipModel.findOne({ chatId: chat.id, userId: member.id }))!.mutedUntil).not.toBeNull();

    const bad = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'obliterate', userId: member.id },
    });
    expect(bad.status).toBe(400);
    const message = await post(owner, chat.id);
    const forbidden = await server.http('POST', '/api/moderation/actions', {
      token: member.token,
      body: { type: 'hide', messageId: message.id, reason: 'x' },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
  });
});
