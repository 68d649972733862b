import { MembershipModel } from '../models';
import { collect, emit, nextEvent, settle, useTestServer } from './support/harness';
import { createChat, ok, person, post } from './support/world';

const server = useTestServer();

test('a reconnecting client catches up with one chat:list, then history after its read position only where lastSeq moved', async () => {
  const [ana, bo] = [await person(server, 'ana'), await person(server, 'bo')];
  const quiet = await createChat(bo, 'group', [ana]);
  const busy = await createChat(bo, 'group', [ana]);
  await post(bo, quiet.id, 'old news');
  ok(await emit(ana.socket, 'chat:read', { chatId: quiet.id, seq: 1 }));
  ana.socket.close();
  for (const text of ['one', 'two', 'three']) await post(bo, busy.id, text);

  const back = await server.connect(ana.token, { transports: 'default' });
  const list = ok(await emit(back, 'chat:list', {}));
  expect(list.hasMore).toBe(false);
  const byId = new Map(list.chats.map((chat) => [chat.id, chat]));
  expect(byId.get(quiet.id)).toMatchObject({
    role: 'member',
    lastSeq: 1,
    readSeq: 1,
    unreadCount: 0,
    muted: false,
    mutedUntil: null,
    memberCount: 2,
  });
  expect(byId.get(busy.id)).toMatchObject({
    lastSeq: 3,
    readSeq: 0,
    unreadCount: 3,
    lastMessage: { seq: 3, text: 'three', senderId: bo.id },
  });

  const moved = list.chats.filter((chat) => chat.lastSeq > chat.readSeq);
  expect(moved.map((chat) => chat.id)).toEqual([busy.id]);
  const page = ok(await emit(back, 'message:history', { chatId: busy.id, after: moved[0]!.readSeq }));
  expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3]);

  const otherTab = await server.connect(ana.token);
  const heard = nextEvent(otherTab, 'chat:read');
  expect(await emit(back, 'chat:read', { chatId: busy.id, seq: 3 })).toEqual({ ok: true, chatId: busy.id, seq: 3 });
  expect(await heard).toEqual({ chatId: busy.id, seq: 3 });
  expect(ok(await emit(otherTab, 'chat:list', {})).chats.find((chat) => chat.id === busy.id)).toMatchObject({
    readSeq: 3,
    unreadCount: 0,
  });
});

test('a read position never moves back: a lower seq acks the stored one and tells nobody', async () => {
  const [ana, bo] = [await person(server, 'ana'), await person(server, 'bo')];
  const group = await createChat(bo, 'group', [ana]);
  for (let i = 0; i < 5; i++) await post(bo, group.id);
  ok(await emit(ana.socket, 'chat:read', { chatId: group.id, seq: 4 }));
  const otherTab = await server.connect(ana.token);
  const heard = collect(otherTab, 'chat:read');
  expect(await emit(ana.socket, 'chat:read', { chatId: group.id, seq: 2 })).toEqual({
    ok: true,
    chatId: group.id,
    seq: 4,
  });
  await settle(otherTab);
  expect(heard).toEqual([]);
  expect((await MembershipModel.findOne({ chatId: group.id, userId: ana.id }))?.readSeq).toBe(4);
});

test('a read position beyond the latest message is invalid_input: nothing stored, nothing relayed', async () => {
  const [ana, bo] = [await person(server, 'ana'), await person(server, 'bo')];
  const group = await createChat(bo, 'group', [ana]);
  await post(bo, group.id);
  const heard = collect(ana.socket, 'chat:read');
  expect(await emit(ana.socket, 'chat:read', { chatId: group.id, seq: 2 })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
  expect(await emit(ana.socket, 'chat:read', { chatId: 'nope', seq: 1 })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
  await settle(ana.socket);
  expect(heard).toEqual([]);
  expect((await MembershipModel.findOne({ chatId: group.id, userId: ana.id }))?.readSeq).toBe(0);
});

test('history is gap-free: deleted and hidden messages come as tombstones to members, hidden ones in full to moderators', async () => {
  const [owner, member, moderator] = [
    await person(server, 'owner'),
    await person(server, 'member'),
    await person(server, 'mod', 'moderator'),
  ];
  const group = await createChat(owner, 'group', [member]);
  const kept = await post(owner, group.id, 'kept');
  const deleted = await post(owner, group.id, 'deleted');
  const hidden = await post(member, group.id, 'hidden');
  ok(await emit(owner.socket, 'message:delete', { messageId: deleted.id }));
  ok(await emit(moderator.socket, 'mod:hide', { messageId: hidden.id, reason: 'spam' }));

  const catchUp = ok(await emit(member.socket, 'message:history', { chatId: group.id, after: 0 }));
  expect(catchUp.messages).toEqual([
    expect.objectContaining({ id: kept.id, seq: 1, text: 'kept' }),
    { id: deleted.id, chatId: group.id, seq: 2, deleted: true },
    { id: hidden.id, chatId: group.id, seq: 3, hidden: true },
  ]);
  const latest = await server.http('GET', `/api/chats/${group.id}/messages?limit=2`, { token: member.token });
  expect(latest.body).toEqual({ messages: [catchUp.messages[1], catchUp.messages[2]], hasMore: true });
  const forModerator = ok(await emit(moderator.socket, 'message:history', { chatId: group.id }));
  expect(forModerator.messages[2]).toMatchObject({
    id: hidden.id,
    text: 'hidden',
    senderId: member.id,
    hidden: { reason: 'spam' },
  });

  // The list shows the tombstone of a hidden last message, never its text.
  const entry = ok(await emit(member.socket, 'chat:list', {})).chats.find((chat) => chat.id === group.id);
  expect(entry).toMatchObject({ lastSeq: 3, lastMessage: { id: hidden.id, chatId: group.id, seq: 3, hidden: true } });
  expect(entry?.lastMessage).not.toHaveProperty('text');
});

test('chat:list pages newest chat first with a before cursor, and shows my mute', async () => {
  const [owner, ana] = [await person(server, 'owner'), await person(server, 'ana')];
  const chats = [];
  for (let i = 0; i < 5; i++) chats.push(await createChat(owner, 'group', [ana]));
  ok(await emit(owner.socket, 'mod:mute', { userId: ana.id, chatId: chats[0]!.id, reason: 'calm down' }));

  const seen: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = ok(await emit(ana.socket, 'chat:list', before ? { before, limit: 2 } : { limit: 2 }));
    seen.push(...page.chats.map((chat) => chat.id));
    if (!page.hasMore) break;
    before = page.chats[page.chats.length - 1]!.id;
  }
  expect(seen).toEqual(chats.map((chat) => chat.id).reverse());
  const last = ok(await emit(ana.socket, 'chat:list', { before: chats[1]!.id }));
  expect(last.chats).toEqual([
    expect.objectContaining({ id: chats[0]!.id, muted: true, mutedUntil: null, lastSeq: 0, lastMessage: null }),
  ]);
  expect(await emit(ana.socket, 'chat:list', { limit: 101 })).toMatchObject({
    ok: false,
    error: { code: 'invalid_input' },
  });
});

test('in a group members count who read up to a seq; a channel tells nobody', async () => {
  const [owner, ana, bo] = [await person(server, 'owner'), await person(server, 'ana'), await person(server, 'bo')];
  const group = await createChat(owner, 'group', [ana, bo]);
  for (let i = 0; i < 3; i++) await post(owner, group.id);
  ok(await emit(ana.socket, 'chat:read', { chatId: group.id, seq: 3 }));
  ok(await emit(bo.socket, 'chat:read', { chatId: group.id, seq: 1 }));
  expect(await emit(bo.socket, 'message:reads', { chatId: group.id, seq: 2 })).toEqual({ ok: true, count: 1 });
  expect(await emit(bo.socket, 'message:reads', { chatId: group.id, seq: 1 })).toEqual({ ok: true, count: 2 });

  const channel = await createChat(owner, 'channel', [ana]);
  await post(owner, channel.id);
  ok(await emit(ana.socket, 'chat:read', { chatId: channel.id, seq: 1 }));
  expect(await emit(owner.socket, 'message:reads', { chatId: channel.id, seq: 1 })).toMatchObject({
    ok: false,
    error: { code: 'forbidden' },
  });
});
