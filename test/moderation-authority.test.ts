/**
 * Who may undo, decide and act on whom (docs/ARCHITECTURE.md §6, rules on top of the
 * table), as moderators and chat admins meet them through real sockets.
 */
import { MembershipModel, MessageModel, ModerationActionModel, ModerationCaseModel, UserModel } from '../models';
import { collect, emit, nextEvent, settle, useTestServer } from './support/harness';
import { createChat, ok, established, person, post, report, type Person } from './support/world';

const server = useTestServer({ RATE_JOINS: '1000/60s', RATE_REPORTS: '1000/60s', AUTO_HIDE_REPORTS: '2' });
let moderator: Person;
let platformAdmin: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
  platformAdmin = await person(server, 'admin', 'admin');
});

const refused = (code: string) => ({ ok: false, error: expect.objectContaining({ code }) });
const caseOf = async (targetId: string) => (await ModerationCaseModel.findOne({ targetId }))!.id as string;

describe('a decision is undone only at or above the level of whoever made it', () => {
  test('a chat owner cannot unhide what a platform moderator hid; another moderator can', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    const message = await post(member, chat.id, 'over the line');
    ok(await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'harassment' }));

    expect(await emit(owner.socket, 'mod:unhide', { messageId: message.id, reason: 'I disagree' })).toMatchObject(
      refused('forbidden'),
    );
    expect((await MessageModel.findById(message.id))!.hidden).toMatchObject({ byRole: 'platform_moderator' });

    const otherModerator = await person(server, 'moderator', 'moderator');
    ok(await emit(otherModerator.socket, 'mod:unhide', { messageId: message.id, reason: 'on appeal' }));
    expect((await MessageModel.findById(message.id))!.hidden).toBeNull();
  });

  test('a chat owner cannot unban a member whom a platform moderator banned', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    ok(await emit(moderator.socket, 'mod:ban', { userId: member.id, chatId: chat.id, reason: 'scam links' }));

    expect(
      await emit(owner.socket, 'mod:unban', { userId: member.id, chatId: chat.id, reason: 'they apologised' }),
    ).toMatchObject(refused('forbidden'));
    expect(await emit(member.socket, 'chat:join', { chatId: chat.id })).toMatchObject(refused('banned'));
  });

  test('hiding or banning again at a lower level does not lower what a platform moderator decided', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    const message = await post(member, chat.id, 'over the line');
    ok(await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'harassment' }));
    ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'agreed' }));
    expect(await emit(owner.socket, 'mod:unhide', { messageId: message.id, reason: 'changed my mind' })).toMatchObject(
      refused('forbidden'),
    );

    ok(await emit(moderator.socket, 'mod:ban', { userId: member.id, chatId: chat.id, reason: 'threats' }));
    expect(
      await emit(owner.socket, 'mod:ban', { userId: member.id, chatId: chat.id, reason: 'one second', durationSec: 1 }),
    ).toMatchObject(refused('forbidden'));
    expect(await MembershipModel.findOne({ chatId: chat.id, userId: member.id })).toMatchObject({
      status: 'banned',
      bannedUntil: null,
      bannedByRole: 'platform_moderator',
    });
  });

  test('an automatic hide is undone by the chat’s admin', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const reporters = [await established(server, 'reporter'), await established(server, 'reporter')];
    const chat = await createChat(owner, 'group', [author, ...reporters]);
    const message = await post(author, chat.id, 'misunderstood joke');
    for (const reporter of reporters) await report(reporter, 'message', message.id, 'hate');
    expect((await MessageModel.findById(message.id))!.hidden).toMatchObject({ by: 'system', byRole: 'system' });

    ok(
      await emit(owner.socket, 'mod:unhide', {
        messageId: message.id,
        reason: 'a joke, in context',
        caseId: await caseOf(message.id),
      }),
    );
    expect((await MessageModel.findById(message.id))!.hidden).toBeNull();
  });

  test('a moderator cannot lift a suspension a platform admin imposed', async () => {
    const otherAdmin = await person(server, 'admin', 'admin');
    ok(await emit(platformAdmin.socket, 'mod:ban', { userId: otherAdmin.id, reason: 'compromised account' }));
    expect(await emit(moderator.socket, 'mod:unban', { userId: otherAdmin.id, reason: 'looks fine' })).toMatchObject(
      refused('forbidden'),
    );

    const user = await person(server, 'user');
    ok(await emit(platformAdmin.socket, 'mod:ban', { userId: user.id, reason: 'fraud' }));
    expect(await emit(moderator.socket, 'mod:unban', { userId: user.id, reason: 'looks fine' })).toMatchObject(
      refused('forbidden'),
    );
    expect((await UserModel.findById(user.id))!.suspended).toMatchObject({ byRole: 'platform_admin' });

    ok(await emit(platformAdmin.socket, 'mod:unban', { userId: user.id, reason: 'cleared' }));
    expect((await UserModel.findById(user.id))!.suspended).toBeNull();
  });
});

describe('nobody sees or decides a case about their own content', () => {
  test('a chat owner whose message is reported is not told, cannot read, dismiss or unhide it; moderators handle it', async () => {
    const owner = await person(server, 'owner');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(owner, 'group', [reporter]);
    const message = await post(owner, chat.id, 'owner says something awful');
    const ownerHears = collect(owner.socket, 'report:new');
    const moderatorHears = nextEvent(moderator.socket, 'report:new');

    await report(reporter, 'message', message.id, 'harassment');
    const { case: filed } = await moderatorHears;
    await settle(owner.socket);
    expect(ownerHears).toEqual([]);
    expect(await emit(owner.socket, 'mod:case', { caseId: filed.id })).toMatchObject(refused('forbidden'));
    expect(ok(await emit(owner.socket, 'mod:cases', {})).cases.map((c) => c.id)).not.toContain(filed.id);
    expect(await emit(owner.socket, 'mod:dismiss', { caseId: filed.id, reason: 'nothing wrong' })).toMatchObject(
      refused('forbidden'),
    );
    expect((await ModerationCaseModel.findById(filed.id))!.status).toBe('open');

    ok(await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'harassment', caseId: filed.id }));
    expect(
      await emit(owner.socket, 'mod:unhide', { messageId: message.id, reason: 'my chat, my rules' }),
    ).toMatchObject(refused('forbidden'));
    expect((await MessageModel.findById(message.id))!.hidden).not.toBeNull();
  });

  test('a platform moderator whose message is reported does not hear of it or see it; the others do', async () => {
    const owner = await person(server, 'owner');
    const reporter = await person(server, 'reporter');
    const authorModerator = await person(server, 'moderator', 'moderator');
    const chat = await createChat(owner, 'group', [reporter, authorModerator]);
    const message = await post(authorModerator, chat.id, 'off-duty remark');
    const authorHears = collect(authorModerator.socket, 'report:new');
    const colleagueHears = nextEvent(moderator.socket, 'report:new');

    await report(reporter, 'message', message.id, 'hate');
    const { case: filed } = await colleagueHears;
    await settle(authorModerator.socket);
    expect(authorHears).toEqual([]);
    expect(await emit(authorModerator.socket, 'mod:case', { caseId: filed.id })).toMatchObject(refused('forbidden'));
    expect(
      ok(await emit(authorModerator.socket, 'mod:cases', { status: 'open' })).cases.map((c) => c.id),
    ).not.toContain(filed.id);
    expect(await emit(authorModerator.socket, 'mod:dismiss', { caseId: filed.id, reason: 'fine' })).toMatchObject(
      refused('forbidden'),
    );
    ok(await emit(moderator.socket, 'mod:case', { caseId: filed.id }));
  });
});

describe('an action’s case must be the case about its target', () => {
  test('hiding one message with the case of another is invalid_input: nothing changes and no reporter is told', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(owner, 'group', [member, reporter]);
    const reported = await post(member, chat.id, 'reported one');
    const other = await post(member, chat.id, 'another one');
    await report(reporter, 'message', reported.id, 'spam');
    const caseId = await caseOf(reported.id);
    const resolved = collect(reporter.socket, 'report:resolved');
    const auditBefore = await ModerationActionModel.countDocuments();

    expect(await emit(moderator.socket, 'mod:hide', { messageId: other.id, reason: 'spam', caseId })).toMatchObject(
      refused('invalid_input'),
    );
    const viaHttp = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'hide', messageId: other.id, reason: 'spam', caseId },
    });
    expect(viaHttp.status).toBe(400);
    expect(await emit(moderator.socket, 'mod:ban', { userId: owner.id, reason: 'spam', caseId })).toMatchObject(
      refused('invalid_input'),
    );

    await settle(reporter.socket);
    expect(resolved).toEqual([]);
    expect((await ModerationCaseModel.findById(caseId))!.status).toBe('open');
    expect((await MessageModel.findById(other.id))!.hidden).toBeNull();
    expect(await ModerationActionModel.countDocuments()).toBe(auditBefore);
  });

  test('banning the author from the case of their reported message closes it and tells the reporter', async () => {
    const owner = await person(server, 'owner');
    const spammer = await person(server, 'spammer');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(owner, 'group', [spammer, reporter]);
    const message = await post(spammer, chat.id, 'cheap pills');
    await report(reporter, 'message', message.id, 'illegal_goods');
    const caseId = await caseOf(message.id);
    const resolved = nextEvent(reporter.socket, 'report:resolved');

    ok(await emit(owner.socket, 'mod:ban', { userId: spammer.id, chatId: chat.id, reason: 'selling drugs', caseId }));
    expect(await resolved).toMatchObject({ caseId, outcome: 'actioned' });
    expect((await ModerationCaseModel.findById(caseId))!.status).toBe('actioned');
  });
});

describe('nobody acts against someone of a higher platform role', () => {
  test('a moderator neither bans nor mutes a platform admin in a chat', async () => {
    const owner = await person(server, 'owner');
    const chat = await createChat(owner, 'group', [platformAdmin]);
    expect(
      await emit(moderator.socket, 'mod:ban', { userId: platformAdmin.id, chatId: chat.id, reason: 'x' }),
    ).toMatchObject(refused('forbidden'));
    expect(
      await emit(moderator.socket, 'mod:mute', {
        userId: platformAdmin.id,
        chatId: chat.id,
        durationSec: 60,
        reason: 'x',
      }),
    ).toMatchObject(refused('forbidden'));
    expect(await MembershipModel.findOne({ chatId: chat.id, userId: platformAdmin.id })).toMatchObject({
      status: 'active',
      mutedByRole: null,
    });
  });

  test('a chat owner neither bans nor mutes a platform moderator who is a member', async () => {
    const owner = await person(server, 'owner');
    const memberModerator = await person(server, 'moderator', 'moderator');
    const chat = await createChat(owner, 'group', [memberModerator]);
    expect(
      await emit(owner.socket, 'mod:ban', { userId: memberModerator.id, chatId: chat.id, reason: 'x' }),
    ).toMatchObject(refused('forbidden'));
    expect(
      await emit(owner.socket, 'mod:mute', { userId: memberModerator.id, chatId: chat.id, reason: 'x' }),
    ).toMatchObject(refused('forbidden'));
    expect(await MembershipModel.findOne({ chatId: chat.id, userId: memberModerator.id })).toMatchObject({
      status: 'active',
      mutedByRole: null,
    });
  });
});
