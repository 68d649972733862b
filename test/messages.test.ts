import { Types } from 'mongoose';

import { MessageModel } from '../models';
import type { MessageView } from '../handlers/contract/protocol';
import { collect, emit, emitRaw, nextEvent, settle, useTestServer, type ClientSocket } from './support/harness';
import { asMessages } from './support/world';

// Limits are not under test here; the concurrency test sends 50 messages per user at once.
const server = useTestServer({ RATE_MESSAGES: '1000/10s', RATE_JOINS: '1000/60s' });

interface Member {
  id: string;
  token: string;
  socket: ClientSocket;
}

async function user(prefix = 'member'): Promise<Member> {
  const account = await server.register(prefix);
  return { id: account.id, token: account.token, socket: await server.connect(account.token) };
}

async function chatWith(
  type: 'group' | 'channel',
  owner: Member,
  members: Member[],
  visibility: 'public' | 'private' = 'public',
) {
  const created = await emit(owner.socket, 'chat:create', { type, title: `${type} chat`, visibility });
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  for (const member of members) {
    const joined = await emit(member.socket, 'chat:join', { chatId: created.chat.id });
    if (!joined.ok) throw new Error(JSON.stringify(joined.error));
  }
  return created.chat;
}

async function send(
  socket: ClientSocket,
  chatId: string,
  text: string,
  clientMsgId = `c-${Math.random()}`,
): Promise<MessageView> {
  const ack = await emit(socket, 'message:send', { chatId, text, clientMsgId });
  if (!ack.ok) throw new Error(JSON.stringify(ack.error));
  return ack.message;
}

describe('sending', () => {
  test('two clients sending 50 messages each at once get seqs exactly 1..100, stored once each, history in order', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await chatWith('group', alice, [bob]);

    const sendOne = (socket: ClientSocket, i: number) => send(socket, chat.id, `message ${i}`, `m-${i}`);
    const acked = await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => sendOne(alice.socket, i)),
      ...Array.from({ length: 50 }, (_, i) => sendOne(bob.socket, 50 + i)),
    ]);

    expect(acked.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await MessageModel.countDocuments({ chatId: chat.id })).toBe(100);

    const history: MessageView[] = [];
    let after = 0;
    for (;;) {
      const page = await emit(alice.socket, 'message:history', { chatId: chat.id, after, limit: 100 });
      if (!page.ok) throw new Error(JSON.stringify(page.error));
      history.push(...asMessages(page.messages));
      if (!page.hasMore) break;
      after = page.messages[page.messages.length - 1]!.seq;
    }
    expect(history.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  test('a retried send returns the stored message, even with changed text, and is relayed once', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await chatWith('group', alice, [bob]);
    const received = collect(bob.socket, 'message:new');

    const first = await send(alice.socket, chat.id, 'hello', 'retry-1');
    const retry = await send(alice.socket, chat.id, 'hello, edited', 'retry-1');
    expect(retry).toEqual(first);
    expect(retry.text).toBe('hello');
    await settle(bob.socket);
    expect(received.map((event) => event.message.id)).toEqual([first.id]);
    expect(await MessageModel.countDocuments({ chatId: chat.id })).toBe(1);

    const other = await chatWith('group', alice, []);
    const elsewhere = await send(alice.socket, other.id, 'hello', 'retry-1');
    expect(elsewhere.id).not.toBe(first.id);
    expect(elsewhere.seq).toBe(1);
  });

  test('the stored message is acked to the sender and reaches every other member once', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await chatWith('group', alice, [bob]);
    const incoming = nextEvent(bob.socket, 'message:new');
    const message = await send(alice.socket, chat.id, '  spaced out  ');
    expect(message).toMatchObject({ chatId: chat.id, seq: 1, senderId: alice.id, text: 'spaced out' });
    expect(message.hidden).toBeUndefined();
    await expect(incoming).resolves.toEqual({ message });
  });

  test('a sent message is stored with every field the message schema gives a new message, defaults included', async () => {
    const alice = await user('alice');
    const chat = await chatWith('group', alice, []);
    const sent = await send(alice.socket, chat.id, 'stored as the schema says', 'schema-1');
    const stored = await MessageModel.collection.findOne({ _id: new Types.ObjectId(sent.id) });
    // What mongoose would have written for the same send.
    const expected = new MessageModel({
      chatId: chat.id,
      senderId: alice.id,
      text: 'stored as the schema says',
      clientMsgId: 'schema-1',
      seq: 1,
    }).toObject();
    expect(Object.keys(stored!).sort()).toEqual(Object.keys(expected).sort());
    const { _id, createdAt, ...fields } = expected;
    expect(stored).toMatchObject(fields);
    expect(stored!.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(stored!.createdAt.getTime() - Date.parse(sent.createdAt))).toBe(0);
    expect(MessageModel.hydrate(stored!).validateSync()).toBeUndefined();
  });
  test('a user with two sockets receives messages on both; a join on one socket moves the other too', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const bobSecondTab = await server.connect(bob.token);
    const chat = await chatWith('group', alice, []);

    const onSecondTab = collect(bobSecondTab, 'message:new');
    await emit(bob.socket, 'chat:join', { chatId: chat.id });
    const onFirst = nextEvent(bob.socket, 'message:new');
    const onSecond = nextEvent(bobSecondTab, 'message:new');
    const message = await send(alice.socket, chat.id, 'to both tabs');
    await expect(onFirst).resolves.toEqual({ message });
    await expect(onSecond).resolves.toEqual({ message });

    await emit(bobSecondTab, 'chat:leave', { chatId: chat.id });
    await send(alice.socket, chat.id, 'after leaving');
    await settle(bob.socket);
    await settle(bobSecondTab);
    expect(onSecondTab.map((e) => e.message.text)).toEqual(['to both tabs']);
  });

  test('a socket that connects later is already in the rooms of its chats', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await chatWith('group', alice, [bob]);
    const laterTab = await server.connect(bob.token);
    const incoming = nextEvent(laterTab, 'message:new');
    const message = await send(alice.socket, chat.id, 'hello new tab');
    await expect(incoming).resolves.toEqual({ message });
  });
});

describe('channels', () => {
  test('a subscriber cannot post; the admins’ posts reach subscribers', async () => {
    const owner = await user('owner');
    const admin = await user('admin');
    const subscriber = await user('subscriber');
    const channel = await chatWith('channel', owner, [admin, subscriber]);
    await emit(owner.socket, 'chat:promote', { chatId: channel.id, userId: admin.id, role: 'admin' });

    expect(
      await emit(subscriber.socket, 'message:send', { chatId: channel.id, text: 'me too', clientMsgId: 's1' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await MessageModel.countDocuments({ chatId: channel.id })).toBe(0);

    for (const poster of [owner, admin]) {
      const incoming = nextEvent(subscriber.socket, 'message:new');
      const message = await send(poster.socket, channel.id, `from ${poster.id}`);
      await expect(incoming).resolves.toEqual({ message });
    }
    const history = await emit(subscriber.socket, 'message:history', { chatId: channel.id });
    expect(history.ok && history.messages.length).toBe(2);
  });
});

describe('who may read and write', () => {
  test('a non-member of a private chat can neither read nor send, over the socket or HTTP, and is told it does not exist', async () => {
    const owner = await user('owner');
    const outsider = await user('outsider');
    const chat = await chatWith('group', owner, [], 'private');
    await send(owner.socket, chat.id, 'members only');

    const history = await emit(outsider.socket, 'message:history', { chatId: chat.id });
    expect(history).toEqual({ ok: false, error: expect.objectContaining({ code: 'not_found' }) });
    const viaHttp = await server.http('GET', `/api/chats/${chat.id}/messages`, { token: outsider.token });
    expect(viaHttp.status).toBe(404);
    expect(JSON.stringify(viaHttp.body)).not.toContain('members only');
    expect(
      await emit(outsider.socket, 'message:send', { chatId: chat.id, text: 'let me in', clientMsgId: 'x' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await MessageModel.countDocuments({ chatId: chat.id })).toBe(1);
  });

  test('a member reads history over HTTP too', async () => {
    const owner = await user('owner');
    const chat = await chatWith('group', owner, []);
    await send(owner.socket, chat.id, 'one');
    await send(owner.socket, chat.id, 'two');
    const res = await server.http('GET', `/api/chats/${chat.id}/messages?limit=1`, { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ hasMore: true, messages: [{ seq: 2, text: 'two' }] });
    const bad = await server.http('GET', `/api/chats/${chat.id}/messages?limit=500`, { token: owner.token });
    expect(bad.status).toBe(400);
  });
});

describe('history paging', () => {
  test('paging with before and after across 120 messages returns each exactly once', async () => {
    const owner = await user('owner');
    const chat = await chatWith('group', owner, []);
    for (let i = 1; i <= 120; i += 1) await send(owner.socket, chat.id, `n${i}`, `p${i}`);

    const latest = await emit(owner.socket, 'message:history', { chatId: chat.id });
    expect(latest.ok && latest.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));
    expect(latest.ok && latest.hasMore).toBe(true);

    const backwards: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await emit(owner.socket, 'message:history', {
        chatId: chat.id,
        limit: 35,
        ...(before ? { before } : {}),
      });
      if (!page.ok) throw new Error(JSON.stringify(page.error));
      backwards.unshift(...page.messages.map((m) => m.seq));
      if (!page.hasMore) break;
      before = page.messages[0]!.seq;
    }
    expect(backwards).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));

    const forwards: number[] = [];
    let after = 0;
    for (;;) {
      const page = await emit(owner.socket, 'message:history', { chatId: chat.id, limit: 40, after });
      if (!page.ok) throw new Error(JSON.stringify(page.error));
      forwards.push(...page.messages.map((m) => m.seq));
      if (!page.hasMore) break;
      after = page.messages[page.messages.length - 1]!.seq;
    }
    expect(forwards).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });
});

describe('deleting', () => {
  test('the author deletes a message: the room hears message:deleted and history keeps only its tombstone; others may not delete', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await chatWith('group', alice, [bob]);
    const keep = await send(alice.socket, chat.id, 'keep');
    const gone = await send(alice.socket, chat.id, 'regret');

    expect(await emit(bob.socket, 'message:delete', { messageId: gone.id })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const deleted = nextEvent(bob.socket, 'message:deleted');
    expect(await emit(alice.socket, 'message:delete', { messageId: gone.id })).toEqual({ ok: true });
    await expect(deleted).resolves.toEqual({ chatId: chat.id, messageId: gone.id, seq: gone.seq });

    const history = await emit(bob.socket, 'message:history', { chatId: chat.id });
    expect(history.ok && history.messages).toEqual([
      expect.objectContaining({ id: keep.id, text: 'keep' }),
      { id: gone.id, chatId: chat.id, seq: gone.seq, deleted: true },
    ]);
    expect(await emit(alice.socket, 'message:delete', { messageId: gone.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});

describe('bad input changes nothing', () => {
  let alice: Member;
  let chatId: string;
  beforeAll(async () => {
    alice = await user('alice');
    chatId = (await chatWith('group', alice, [])).id;
  });

  test.each<[string, (chatId: string) => unknown, string]>([
    ['no fields', () => ({}), 'invalid_input'],
    ['no text', (chatId) => ({ chatId, clientMsgId: 'a' }), 'invalid_input'],
    ['text as a number', (chatId) => ({ chatId, text: 42, clientMsgId: 'a' }), 'invalid_input'],
    ['blank text', (chatId) => ({ chatId, text: '   \n ', clientMsgId: 'a' }), 'invalid_input'],
    ['4001 characters', (chatId) => ({ chatId, text: 'x'.repeat(4001), clientMsgId: 'a' }), 'invalid_input'],
    ['no clientMsgId', (chatId) => ({ chatId, text: 'hi' }), 'invalid_input'],
    ['a 65-character clientMsgId', (chatId) => ({ chatId, text: 'hi', clientMsgId: 'c'.repeat(65) }), 'invalid_input'],
    ['an operator object as chatId', () => ({ chatId: { $ne: null }, text: 'hi', clientMsgId: 'a' }), 'invalid_input'],
    ['an array as chatId', () => ({ chatId: ['x'], text: 'hi', clientMsgId: 'a' }), 'invalid_input'],
    ['a string payload', () => 'hello', 'invalid_input'],
    ['an unknown chat', () => ({ chatId: '0123456789abcdef01234567', text: 'hi', clientMsgId: 'a' }), 'not_found'],
  ])('message:send with %s -> %s', async (_case, input, code) => {
    const before = await MessageModel.countDocuments();
    expect(await emitRaw(alice.socket, 'message:send', input(chatId))).toMatchObject({ ok: false, error: { code } });
    expect(await MessageModel.countDocuments()).toBe(before);
  });

  test('4000 characters (emoji count as one each) are accepted', async () => {
    const message = await send(alice.socket, chatId, '😀'.repeat(4000));
    expect([...message.text]).toHaveLength(4000);
  });

  test.each([
    [{ chatId: 'nope' }],
    [{ chatId: '0123456789abcdef01234567', limit: 101 }],
    [{ chatId: '0123456789abcdef01234567', limit: 0 }],
    [{ chatId: '0123456789abcdef01234567', before: 5, after: 1 }],
    [{ chatId: '0123456789abcdef01234567', before: '5' }],
  ])('message:history with %j is invalid_input', async (input) => {
    expect(await emitRaw(alice.socket, 'message:history', input)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
  });
});

describe('sends that arrive together (group commit)', () => {
  test('a burst from five sockets into one chat: every send acked with its stored seq, 1..100 without gaps, relayed in seq order', async () => {
    const owner = await user('owner');
    const listener = await user('listener');
    const senders = await Promise.all(Array.from({ length: 5 }, () => user('burst')));
    const chat = await chatWith('group', owner, [listener, ...senders]);
    const relayed = collect(listener.socket, 'message:new');

    const acked = await Promise.all(
      senders.flatMap((s, k) =>
        Array.from({ length: 20 }, (_, i) => send(s.socket, chat.id, `burst ${k}.${i}`, `b-${k}-${i}`)),
      ),
    );
    expect(acked.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const stored = await MessageModel.find({ chatId: chat.id }, { seq: 1 }).lean();
    const storedSeq = new Map(stored.map((m) => [m._id.toString(), m.seq]));
    expect(acked.every((m) => storedSeq.get(m.id) === m.seq)).toBe(true);

    await settle(listener.socket);
    expect(relayed.map((event) => event.message.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  test('a retry that arrives in the same batch as its first try is answered with the same message, stored and relayed once', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await chatWith('group', alice, [bob]);
    const relayed = collect(bob.socket, 'message:new');

    const [first, retry, other] = await Promise.all([
      send(alice.socket, chat.id, 'once', 'same-batch'),
      send(alice.socket, chat.id, 'once, again', 'same-batch'),
      send(bob.socket, chat.id, 'meanwhile', 'bob-1'),
    ]);
    expect(retry).toEqual(first);
    expect([first.seq, other.seq].sort()).toEqual([1, 2]);
    expect(await MessageModel.countDocuments({ chatId: chat.id })).toBe(2);
    await settle(bob.socket);
    await settle(alice.socket);
    expect(relayed.map((event) => event.message.id).sort()).toEqual([first.id, other.id].sort());
  });

  test('a retry of a stored message in the middle of a burst takes no seq: the sends after it are numbered on without a gap', async () => {
    const alice = await user('alice');
    const chat = await chatWith('group', alice, []);
    const first = await send(alice.socket, chat.id, 'first', 'stored-before');

    const burst = await Promise.all([
      send(alice.socket, chat.id, 'a', 'burst-a'),
      send(alice.socket, chat.id, 'b', 'burst-b'),
      send(alice.socket, chat.id, 'first, retried', 'stored-before'),
      send(alice.socket, chat.id, 'c', 'burst-c'),
      send(alice.socket, chat.id, 'd', 'burst-d'),
    ]);
    expect(burst[2]).toEqual(first);
    expect(
      burst
        .filter((m) => m.id !== first.id)
        .map((m) => m.seq)
        .sort(),
    ).toEqual([2, 3, 4, 5]);
    const stored = await MessageModel.find({ chatId: chat.id }).sort({ seq: 1 }).lean();
    expect(stored.map((m) => [m.seq, m.text])).toEqual([
      [1, 'first'],
      [2, 'a'],
      [3, 'b'],
      [4, 'c'],
      [5, 'd'],
    ]);
  });

  test('bursts into two chats, one meeting a seq another node took: each chat numbered on without a gap, each send acked with its stored seq', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const busy = await chatWith('group', alice, []);
    const raced = await chatWith('group', bob, []);
    await send(bob.socket, raced.id, 'before the race', 'raced-0');
    // Another node stores seq 2 in `raced` behind this node's back.
    await MessageModel.collection.insertOne({
      chatId: new Types.ObjectId(raced.id),
      seq: 2,
      senderId: new Types.ObjectId(bob.id),
      text: 'from another node',
      clientMsgId: 'other-node',
      createdAt: new Date(),
      editedAt: null,
      deletedAt: null,
      hidden: null,
    });

    const busyBurst = Array.from({ length: 30 }, (_, i) => send(alice.socket, busy.id, `busy ${i}`, `busy-${i}`));
    const racedBurst = Array.from({ length: 10 }, (_, i) => send(bob.socket, raced.id, `raced ${i}`, `raced-${i + 1}`));
    const [busyAcked, racedAcked] = await Promise.all([Promise.all(busyBurst), Promise.all(racedBurst)]);

    expect(busyAcked.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(racedAcked.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 3));
    const stored = await MessageModel.find({ chatId: raced.id }).sort({ seq: 1 }).lean();
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(stored[1]!.text).toBe('from another node');
    expect(racedAcked.every((m) => stored.find((doc) => doc._id.toString() === m.id)?.seq === m.seq)).toBe(true);
  });
});
