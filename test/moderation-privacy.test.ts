/**
 * What moderation lets people learn about each other: who acted, who was banned
 * in a channel, which private chats exist; and the small contract of mutes,
 * automatic hides and lifted suspensions.
 */
import { ModerationActionModel } from '../models';
import { collect, emit, emitRaw, nextEvent, settle, sleep, useTestServer } from './support/harness';
import { createChat, ok, established, person, post, report, type Person } from './support/world';

const server = useTestServer({ RATE_JOINS: '1000/60s', RATE_REPORTS: '1000/60s', AUTO_HIDE_REPORTS: '2' });
let moderator: Person;

beforeAll(async () => {
  moderator = await person(server, 'moderator', 'moderator');
});

describe('who acted, as the affected and chat admins see it', () => {
  test('the author and the chat’s admins learn that a platform moderator acted, never which one; moderators see who', async () => {
    const owner = await person(server, 'owner');
    const admin = await person(server, 'chatadmin');
    const author = await person(server, 'author');
    const chat = await createChat(owner, 'group', [author], [admin]);
    const message = await post(author, chat.id, 'borderline');

    const notice = nextEvent(author.socket, 'moderation:notice');
    const toOwner = nextEvent(owner.socket, 'mod:action');
    const toAdmin = nextEvent(admin.socket, 'mod:action');
    const toModerator = nextEvent(moderator.socket, 'mod:action');
    ok(await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'harassment' }));

    for (const { action } of [await notice, await toOwner, await toAdmin]) {
      expect(action).toMatchObject({ type: 'hide_message', actorRole: 'platform_moderator', reason: 'harassment' });
      expect(action.actorId).toBeUndefined();
      expect(JSON.stringify(action)).not.toContain(moderator.id);
    }
    expect((await toModerator).action).toMatchObject({ actorRole: 'platform_moderator', actorId: moderator.id });

    const ownersLog = ok(await emit(owner.socket, 'mod:log', { targetId: message.id }));
    expect(ownersLog.actions).toEqual([
      expect.objectContaining({ type: 'hide_message', actorRole: 'platform_moderator' }),
    ]);
    expect(JSON.stringify(ownersLog)).not.toContain(moderator.id);
    const overHttp = await server.http('GET', `/api/moderation/log?targetId=${message.id}`, { token: admin.token });
    expect(overHttp.body.actions).toEqual([expect.objectContaining({ actorRole: 'platform_moderator' })]);
    expect(JSON.stringify(overHttp.body)).not.toContain(moderator.id);
    // Nor can a chat admin find a moderator's actions by searching the log for their id.
    expect(await emit(owner.socket, 'mod:log', { actorId: moderator.id })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });

    const moderatorsLog = ok(await emit(moderator.socket, 'mod:log', { targetId: message.id }));
    expect(moderatorsLog.actions[0]).toMatchObject({ actorId: moderator.id, actorRole: 'platform_moderator' });
  });

  test('an automatic hide tells the author as a manual one does, with the system as the actor', async () => {
    const owner = await person(server, 'owner');
    const author = await person(server, 'author');
    const reporters = [await established(server, 'reporter'), await established(server, 'reporter')];
    const chat = await createChat(owner, 'group', [author, ...reporters]);
    const message = await post(author, chat.id, 'spammy');
    const notice = nextEvent(author.socket, 'moderation:notice');
    for (const reporter of reporters) await report(reporter, 'message', message.id, 'spam');
    expect((await notice).action).toMatchObject({
      type: 'hide_message',
      actorRole: 'system',
      targetId: message.id,
      reason: 'automatically hidden after 2 reports',
    });
  });
});

describe('channels keep subscribers out of each other’s business', () => {
  test('a ban or mute in a channel reaches its admins, not the other subscribers; in a group, every member', async () => {
    const owner = await person(server, 'owner');
    const admin = await person(server, 'chatadmin');
    const bystander = await person(server, 'subscriber');
    const troll = await person(server, 'subscriber');
    const loud = await person(server, 'subscriber');
    const channel = await createChat(owner, 'channel', [bystander, troll, loud], [admin]);
    const bystanderHears = [collect(bystander.socket, 'member:banned'), collect(bystander.socket, 'member:muted')];

    const adminHearsBan = nextEvent(admin.socket, 'member:banned');
    ok(await emit(owner.socket, 'mod:ban', { userId: troll.id, chatId: channel.id, reason: 'abuse in comments' }));
    expect(await adminHearsBan).toMatchObject({ chatId: channel.id, userId: troll.id });
    const adminHearsMute = nextEvent(admin.socket, 'member:muted');
    ok(await emit(owner.socket, 'mod:mute', { userId: loud.id, chatId: channel.id, durationSec: 60, reason: 'spam' }));
    expect(await adminHearsMute).toMatchObject({ chatId: channel.id, userId: loud.id });
    await settle(bystander.socket);
    expect(bystanderHears).toEqual([[], []]);

    const member = await person(server, 'member');
    const other = await person(server, 'member');
    const group = await createChat(owner, 'group', [member, other]);
    const memberHears = nextEvent(member.socket, 'member:banned');
    ok(await emit(owner.socket, 'mod:ban', { userId: other.id, chatId: group.id, reason: 'abuse' }));
    expect(await memberHears).toMatchObject({ chatId: group.id, userId: other.id });
  });
});

describe('a private chat does not exist for outsiders', () => {
  test('every event and endpoint answers an outsider exactly as for an id that does not exist', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const outsider = await person(server, 'outsider');
    const secret = ok(
      await emit(owner.socket, 'chat:create', { type: 'group', title: 'secret', visibility: 'private' }),
    ).chat;
    const { inviteCode } = ok(await emit(owner.socket, 'chat:invite', { chatId: secret.id }));
    ok(await emit(member.socket, 'chat:join', { inviteCode }));
    const message = await post(member, secret.id, 'between us');
    const missing = '0123456789abcdef01234567';

    const asked = (chatId: string, messageId: string): [string, object][] => [
      ['chat:join', { chatId }],
      ['chat:leave', { chatId }],
      ['chat:invite', { chatId }],
      ['chat:update', { chatId, title: 'mine now' }],
      ['chat:promote', { chatId, userId: outsider.id, role: 'admin' }],
      ['message:send', { chatId, text: 'hi', clientMsgId: 'probe' }],
      ['message:history', { chatId }],
      ['message:delete', { messageId }],
      ['report:create', { targetType: 'chat', targetId: chatId, reason: 'spam' }],
      ['report:create', { targetType: 'message', targetId: messageId, reason: 'spam' }],
      ['mod:cases', { chatId }],
      ['mod:hide', { messageId, reason: 'x' }],
      ['mod:unhide', { messageId, reason: 'x' }],
      ['mod:ban', { userId: member.id, chatId, reason: 'x' }],
      ['mod:unban', { userId: member.id, chatId, reason: 'x' }],
      ['mod:mute', { userId: member.id, chatId, reason: 'x' }],
      ['mod:unmute', { userId: member.id, chatId, reason: 'x' }],
    ];
    const real = asked(secret.id, message.id);
    const unknown = asked(missing, missing);
    for (let i = 0; i < real.length; i += 1) {
      const [event, input] = real[i]!;
      const answer = await emitRaw(outsider.socket, event, input);
      expect({ event, answer }).toEqual({ event, answer: await emitRaw(outsider.socket, event, unknown[i]![1]) });
      expect(answer).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }

    const overHttp = await server.http('GET', `/api/chats/${secret.id}/messages`, { token: outsider.token });
    const unknownOverHttp = await server.http('GET', `/api/chats/${missing}/messages`, { token: outsider.token });
    expect([overHttp.status, overHttp.body]).toEqual([404, unknownOverHttp.body]);
    expect(await ModerationActionModel.countDocuments({ chatId: secret.id })).toBe(0);
  });
});

describe('reports', () => {
  test('the reporter’s copy leaves out the evidence; reporting your own message is invalid_input', async () => {
    const author = await person(server, 'author');
    const reporter = await person(server, 'reporter');
    const chat = await createChat(author, 'group', [reporter]);
    const message = await post(author, chat.id, 'evidence text');
    const ack = ok(
      await emit(reporter.socket, 'report:create', { targetType: 'message', targetId: message.id, reason: 'spam' }),
    );
    expect(ack.report).not.toHaveProperty('evidence');
    expect(JSON.stringify(ack)).not.toContain('evidence text');

    expect(
      await emit(author.socket, 'report:create', { targetType: 'message', targetId: message.id, reason: 'spam' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
  });
});

describe('mutes', () => {
  test('a muted member is told until when and how long to wait', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    const muted = ok(
      await emit(owner.socket, 'mod:mute', {
        userId: member.id,
        chatId: chat.id,
        durationSec: 600,
        reason: 'cool off',
      }),
    );
    const refused = await emit(member.socket, 'message:send', { chatId: chat.id, text: 'but', clientMsgId: 'm1' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'muted', until: muted.action.until } });
    if (refused.ok) return;
    expect(refused.error.retryAfterMs).toBeGreaterThan(590_000);
    expect(refused.error.retryAfterMs).toBeLessThanOrEqual(600_000);
  });

  test('a mute without a duration lasts until lifted; unmuting tells the member and is audited', async () => {
    const owner = await person(server, 'owner');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member]);
    ok(await emit(owner.socket, 'mod:mute', { userId: member.id, chatId: chat.id, reason: 'until we talk' }));
    const refused = await emit(member.socket, 'message:send', { chatId: chat.id, text: 'hello?', clientMsgId: 'm1' });
    expect(refused).toEqual({ ok: false, error: { code: 'muted', message: expect.any(String), until: null } });

    const notice = nextEvent(member.socket, 'moderation:notice');
    const unmuted = ok(
      await emit(owner.socket, 'mod:unmute', { userId: member.id, chatId: chat.id, reason: 'we talked' }),
    );
    expect(unmuted.action).toMatchObject({
      type: 'unmute_member',
      actorRole: 'chat_admin',
      targetId: member.id,
      chatId: chat.id,
    });
    expect((await notice).action).toMatchObject({ type: 'unmute_member', reason: 'we talked' });
    expect(await ModerationActionModel.countDocuments({ type: 'unmute_member', targetId: member.id })).toBe(1);
    ok(await emit(member.socket, 'message:send', { chatId: chat.id, text: 'thanks', clientMsgId: 'm2' }));

    expect(
      await emit(owner.socket, 'mod:unmute', { userId: member.id, chatId: chat.id, reason: 'again' }),
    ).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const overHttp = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'mute', userId: member.id, chatId: chat.id, reason: 'via http' },
    });
    expect(overHttp.status).toBe(201);
    const liftedOverHttp = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'unmute', userId: member.id, chatId: chat.id, reason: 'via http' },
    });
    expect(liftedOverHttp.status).toBe(201);
    expect(liftedOverHttp.body.action).toMatchObject({ type: 'unmute_member', actorId: moderator.id });
  });
});

describe('lifting a suspension', () => {
  test('the person is told', async () => {
    const user = await person(server, 'user');
    ok(await emit(moderator.socket, 'mod:ban', { userId: user.id, durationSec: 1, reason: 'cool off' }));
    await sleep(1100);
    // The suspension has run out, so they can connect and hear it lifted.
    const socket = await server.connect(user.token);
    const notice = nextEvent(socket, 'moderation:notice');
    ok(await emit(moderator.socket, 'mod:unban', { userId: user.id, reason: 'appeal granted' }));
    expect((await notice).action).toMatchObject({
      type: 'unsuspend_account',
      actorRole: 'platform_moderator',
      reason: 'appeal granted',
    });
  });
});
