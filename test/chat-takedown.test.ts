/**
 * Taking a whole chat down: a closed chat is read-only and unlisted, its members are told why once,
 * its owner and admins get a statement of reasons and may appeal, and a reopening (or a reversed
 * appeal) brings everyone back. Closing costs the same in a chat of 20 and of 2,000.
 */
import { createHash } from 'node:crypto';

import mongoose, { Types } from 'mongoose';

import { ChatModel, StatementModel } from '../models';
import { collect, emit, nextEvent, settle, useTestServer } from './support/harness';
import { bulkChannel, join, ok, person, post, send, type Person } from './support/world';

const server = useTestServer();

const refused = (code: string) => ({ ok: false, error: expect.objectContaining({ code }) });

/** A group with a connected owner, admin and member, some history, and a platform moderator. */
async function busyGroup() {
  const [moderator, owner, admin, member] = [
    await person(server, 'moderator', 'moderator'),
    await person(server, 'owner'),
    await person(server, 'admin'),
    await person(server, 'member'),
  ];
  const title = `Takedown ${new Types.ObjectId().toString()}`;
  const chat = ok(await emit(owner.socket, 'chat:create', { type: 'group', title, visibility: 'public' })).chat;
  for (const p of [member, admin]) await join(p, chat.id);
  ok(await emit(owner.socket, 'chat:promote', { chatId: chat.id, userId: admin.id, role: 'admin' }));
  await post(member, chat.id, 'something awful');
  return { moderator, owner, admin, member, chat };
}

function close(moderator: Person, chatId: string, category = 'child_abuse' as const) {
  return emit(moderator.socket, 'mod:chat-close', { chatId, category, reason: 'Sexual images of minors' });
}

describe('a closed chat', () => {
  test('every connected member hears chat:closed once, with why, and no longer receives the chat', async () => {
    const { moderator, owner, admin, member, chat } = await busyGroup();
    const heard = [owner, admin, member].map((p) => collect(p.socket, 'chat:closed'));
    const { action } = ok(await close(moderator, chat.id));
    expect(action).toMatchObject({ type: 'close_chat', targetType: 'chat', targetId: chat.id });
    await Promise.all([owner, admin, member].map((p) => settle(p.socket)));
    for (const events of heard) {
      expect(events).toEqual([
        {
          chatId: chat.id,
          notice: {
            category: 'child_abuse',
            reason: 'Sexual images of minors',
            at: expect.any(String),
            appealable: true,
          },
        },
      ]);
    }
    // Their sockets left the room: a platform moderator's hide of the old message reaches nobody.
    const hidden = collect(member.socket, 'message:hidden');
    const history = ok(await emit(moderator.socket, 'message:history', { chatId: chat.id }));
    ok(await emit(moderator.socket, 'mod:hide', { messageId: history.messages[0]!.id, reason: 'evidence' }));
    await settle(member.socket);
    expect(hidden).toEqual([]);
  });

  test('sends, joins, invites, edits and history are refused chat_closed; 451 over HTTP for illegal content', async () => {
    const { moderator, owner, member, chat } = await busyGroup();
    const mine = await post(member, chat.id, 'mine');
    ok(await close(moderator, chat.id));
    const outsider = await person(server, 'outsider');

    expect(await send(member, chat.id, 'still here?')).toMatchObject(refused('chat_closed'));
    expect(await emit(outsider.socket, 'chat:join', { chatId: chat.id })).toMatchObject(refused('chat_closed'));
    expect(await emit(owner.socket, 'chat:invite', { chatId: chat.id })).toMatchObject(refused('chat_closed'));
    expect(await emit(member.socket, 'message:history', { chatId: chat.id })).toMatchObject(refused('chat_closed'));
    expect(await emit(member.socket, 'message:edit', { messageId: mine.id, text: 'edited' })).toMatchObject(
      refused('chat_closed'),
    );
    expect(await emit(owner.socket, 'mod:hide', { messageId: mine.id, reason: 'tidy up' })).toMatchObject(
      refused('chat_closed'),
    );
    const overHttp = await server.http('GET', `/api/chats/${chat.id}/messages`, { token: member.token });
    expect(overHttp.status).toBe(451);
    expect(overHttp.body.error.code).toBe('chat_closed');
    // Leaving stays possible.
    ok(await emit(member.socket, 'chat:leave', { chatId: chat.id }));
  });

  test('a chat closed for spam answers 403, not 451', async () => {
    const { moderator, member, chat } = await busyGroup();
    ok(await close(moderator, chat.id, 'spam' as never));
    const overHttp = await server.http('GET', `/api/chats/${chat.id}/messages`, { token: member.token });
    expect(overHttp.status).toBe(403);
    expect(overHttp.body.error.code).toBe('chat_closed');
  });

  test('it is unlisted from search, and kept in its members’ chat list marked closed, without its last message', async () => {
    const { moderator, member, chat } = await busyGroup();
    const found = async () =>
      ok(await emit(member.socket, 'chat:search', { q: chat.title })).chats.map((c: { id: string }) => c.id);
    expect(await found()).toContain(chat.id);

    ok(await close(moderator, chat.id));
    expect(await found()).not.toContain(chat.id);
    const listed = ok(await emit(member.socket, 'chat:list', {})).chats.find((c) => c.id === chat.id);
    expect(listed).toMatchObject({
      closed: { category: 'child_abuse', reason: 'Sexual images of minors', appealable: true },
      lastMessage: null,
    });
    const viewed = ok(await emit(member.socket, 'chat:get', { chatId: chat.id })).chat;
    expect(viewed.closed).toMatchObject({ category: 'child_abuse' });
  });

  test('a platform moderator still reads its history, and each read is in the access log', async () => {
    const { moderator, chat } = await busyGroup();
    ok(await close(moderator, chat.id));
    const page = ok(await emit(moderator.socket, 'message:history', { chatId: chat.id }));
    expect(page.messages).toHaveLength(1);
    const admin = await person(server, 'platform', 'admin');
    const log = await server.http('GET', `/api/moderation/access-log?actorId=${moderator.id}`, { token: admin.token });
    expect(log.body.entries).toEqual(
      expect.arrayContaining([expect.objectContaining({ what: 'closed_chat', targetId: chat.id })]),
    );
  });

  test('its title, description, owner and member count are sealed as evidence, with a hash anyone can check', async () => {
    const { moderator, owner, chat } = await busyGroup();
    const { action } = ok(await close(moderator, chat.id));
    const read = await server.http('GET', `/api/moderation/evidence?actionId=${action.id}`, { token: moderator.token });
    expect(read.status).toBe(200);
    const [sealed] = read.body.records;
    expect(sealed).toMatchObject({ kind: 'chat', targetId: chat.id, actionId: action.id });
    expect(sealed.content).toMatchObject({ chatId: chat.id, title: chat.title, ownerId: owner.id, memberCount: 3 });
    expect(createHash('sha256').update(sealed.canonical, 'utf8').digest('hex')).toBe(sealed.sha256);
  });
});

describe('who closes and reopens', () => {
  test('only platform moderators close; a private chat an outsider cannot see is not_found; twice is conflict', async () => {
    const { moderator, owner, admin, chat } = await busyGroup();
    expect(await close(owner, chat.id)).toMatchObject(refused('forbidden'));
    expect(await close(admin, chat.id)).toMatchObject(refused('forbidden'));
    const hiddenOwner = await person(server, 'private');
    const secret = ok(
      await emit(hiddenOwner.socket, 'chat:create', { type: 'group', title: 'Secret', visibility: 'private' }),
    ).chat;
    const stranger = await person(server, 'stranger');
    expect(await close(stranger, secret.id)).toMatchObject(refused('not_found'));
    expect(await close(moderator, new Types.ObjectId().toString())).toMatchObject(refused('not_found'));
    expect(
      await emit(moderator.socket, 'mod:chat-close', { chatId: chat.id, category: 'nonsense', reason: 'x' } as never),
    ).toMatchObject(refused('invalid_input'));

    ok(await close(moderator, chat.id));
    expect(await close(moderator, chat.id)).toMatchObject(refused('conflict'));
    expect(
      await emit(moderator.socket, 'mod:chat-reopen', { chatId: secret.id, reason: 'it was never closed' }),
    ).toMatchObject(refused('conflict'));
  });

  test('a chat admin cannot reopen; only a platform admin reopens what a platform admin closed', async () => {
    const { moderator, owner, chat } = await busyGroup();
    const platformAdmin = await person(server, 'platform', 'admin');
    ok(await close(platformAdmin, chat.id));
    const reopen = (who: Person) => emit(who.socket, 'mod:chat-reopen', { chatId: chat.id, reason: 'reviewed' });
    expect(await reopen(owner)).toMatchObject(refused('forbidden'));
    expect(await reopen(moderator)).toMatchObject(refused('forbidden'));
    ok(await reopen(platformAdmin));
  });

  test('over HTTP: POST /api/moderation/actions with close_chat and reopen_chat', async () => {
    const { moderator, member, chat } = await busyGroup();
    const reopened = nextEvent(member.socket, 'chat:reopened');
    const closed = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'close_chat', chatId: chat.id, category: 'terrorism', reason: 'Propaganda channel' },
    });
    expect(closed.status).toBe(201);
    expect(closed.body.action).toMatchObject({ type: 'close_chat', targetId: chat.id });
    const denied = await server.http('POST', '/api/moderation/actions', {
      token: member.token,
      body: { type: 'reopen_chat', chatId: chat.id, reason: 'please' },
    });
    expect(denied.status).toBe(403);
    const again = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'reopen_chat', chatId: chat.id, reason: 'Cleared on review' },
    });
    expect(again.status).toBe(201);
    expect(await reopened).toEqual({ chatId: chat.id });
    ok(await send(member, chat.id, 'back again'));
  });
});

describe('reopening', () => {
  test('members hear chat:reopened and get messages again, on sockets opened while it was closed too', async () => {
    const { moderator, owner, member, chat } = await busyGroup();
    ok(await close(moderator, chat.id));
    // A socket opened while the chat is closed waits in its silent room.
    const laterSocket = await server.connect(member.token);
    const reopened = [member.socket, laterSocket].map((s) => nextEvent(s, 'chat:reopened'));
    ok(await emit(moderator.socket, 'mod:chat-reopen', { chatId: chat.id, reason: 'Cleared on review' }));
    expect(await Promise.all(reopened)).toEqual([{ chatId: chat.id }, { chatId: chat.id }]);
    const delivered = nextEvent(laterSocket, 'message:new');
    await post(owner, chat.id, 'we are back');
    expect((await delivered).message.text).toBe('we are back');
    const listed = ok(await emit(member.socket, 'chat:list', {})).chats.find((c) => c.id === chat.id);
    expect(listed).not.toHaveProperty('closed');
  });

  test('a member who left while it was closed does not come back with it', async () => {
    const { moderator, owner, member, chat } = await busyGroup();
    ok(await close(moderator, chat.id));
    ok(await emit(member.socket, 'chat:leave', { chatId: chat.id }));
    ok(await emit(moderator.socket, 'mod:chat-reopen', { chatId: chat.id, reason: 'Cleared' }));
    const received = collect(member.socket, 'message:new');
    await post(owner, chat.id, 'members only');
    await settle(member.socket);
    expect(received).toEqual([]);
  });

  test('the owner and admins get a statement of reasons; the owner appeals and a reversal reopens the chat', async () => {
    const { moderator, owner, admin, member, chat } = await busyGroup();
    const toOwner = nextEvent(owner.socket, 'moderation:notice');
    const toAdmin = nextEvent(admin.socket, 'moderation:notice');
    const toMember = collect(member.socket, 'moderation:notice');
    const { action } = ok(await close(moderator, chat.id));
    const [ownerNotice, adminNotice] = await Promise.all([toOwner, toAdmin]);
    expect(ownerNotice.action).toMatchObject({ id: action.id, type: 'close_chat' });
    expect(ownerNotice.notice).toMatchObject({ reasonCategory: 'child_abuse', appeal: { appealable: true } });
    expect(adminNotice.action.id).toBe(action.id);
    await settle(member.socket);
    expect(toMember).toEqual([]);
    const statement = await StatementModel.findOne({ actionId: action.id }).lean();
    expect(statement).not.toBeNull();

    const appeal = ok(
      await emit(owner.socket, 'appeal:create', { actionId: action.id, text: 'We removed it.' }),
    ).appeal;
    const reviewer = await person(server, 'reviewer', 'moderator');
    const reopened = nextEvent(member.socket, 'chat:reopened');
    ok(await emit(reviewer.socket, 'mod:appeal-decide', { appealId: appeal.id, outcome: 'reversed', reason: 'Ok' }));
    expect(await reopened).toEqual({ chatId: chat.id });
    expect((await ChatModel.findById(chat.id).lean())!.closed).toBeNull();
    ok(await send(member, chat.id, 'thank you'));
  });
});

test('closing costs the same database commands in a chat of 20 and of 2,000 members', async () => {
  const moderator = await person(server, 'moderator', 'moderator');
  const chatOf = async (size: number) => bulkChannel(await person(server, 'owner'), size);
  async function commandsOfClose(chatId: string): Promise<string[]> {
    const client = mongoose.connection.getClient();
    const seen: string[] = [];
    const listener = (event: { commandName: string }) => seen.push(event.commandName);
    client.on('commandStarted', listener);
    try {
      ok(await close(moderator, chatId));
    } finally {
      client.off('commandStarted', listener);
    }
    return seen.sort();
  }
  const [warmUp, small, large] = [await chatOf(5), await chatOf(20), await chatOf(2000)];
  await commandsOfClose(warmUp); // the moderator's own facts are cached from here on
  const inSmall = await commandsOfClose(small);
  const inLarge = await commandsOfClose(large);
  expect(inLarge).toEqual(inSmall);
  expect(inLarge).not.toContain('aggregate');
  expect(inLarge).not.toContain('count');
});

test('a joiner via invite code is refused too, and the member count stays as it was', async () => {
  const { moderator, owner, chat } = await busyGroup();
  const { inviteCode } = ok(await emit(owner.socket, 'chat:invite', { chatId: chat.id }));
  ok(await close(moderator, chat.id));
  const newcomer = await person(server, 'newcomer');
  expect(await emit(newcomer.socket, 'chat:join', { inviteCode })).toMatchObject(refused('chat_closed'));
  expect((await ChatModel.findById(chat.id).lean())!.memberCount).toBe(3);
  await join(newcomer, chat.id).catch(() => undefined);
  expect((await ChatModel.findById(chat.id).lean())!.memberCount).toBe(3);
});
