/**
 * Several nodes: two Stoa processes share one database and one Redis. Clients on
 * either node must not notice which node holds whom.
 */
import { randomBytes } from 'node:crypto';

import { startNode, startRedis, type RedisServer, type StoaNode } from './support/cluster';
import { collect, disconnected, emit, nextEvent, settle, sleep, type ClientSocket } from './support/harness';
import { asMessages, createChat, ok, person, post } from './support/world';

const SECRET = 'cluster-secret-0123456789abcdef0123456789abcdef';
let redis: RedisServer;
let nodeA: StoaNode;
let nodeB: StoaNode;

beforeAll(async () => {
  redis = await startRedis();
  const uri = `${process.env.STOA_TEST_MONGODB_URI!}cluster_${randomBytes(3).toString('hex')}`;
  const env = {
    MONGODB_URI: uri,
    REDIS_URL: redis.url,
    JWT_SECRET: SECRET,
    BOOTSTRAP_ADMIN: 'cluster_admin:admin password',
    RATE_JOINS: '1000/1m',
    RATE_CONNECTIONS: '1000/1m',
    RATE_REGISTRATIONS: '1000/1m',
  };
  [nodeA, nodeB] = await Promise.all([startNode(env), startNode(env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  await redis?.kill();
});

// Each person's socket is on the node they registered on; a second socket of theirs names its node.

test('a message sent on node A reaches members on node B, and both tabs of a user split across nodes', async () => {
  const alice = await person(nodeA, 'alice');
  const bob = await person(nodeB, 'bob');
  const bobOnA = await nodeA.connect(bob.token);
  // Bob joins on node B: his socket on node A must follow.
  const chatId = (await createChat(alice, 'group', [bob])).id;

  for (let i = 0; i < 20; i += 1) {
    const onB = nextEvent(bob.socket, 'message:new');
    const onA = nextEvent(bobOnA, 'message:new');
    const sent = post(alice, chatId, `hello ${i}`);
    expect((await onA).message).toEqual(await sent);
    expect((await onB).message).toEqual(await sent);
  }
});

test('a client with the default transports (long-polling, then websocket) on node B hears a message sent on node A', async () => {
  // Each node is addressed directly, as a load balancer with sticky sessions would route one client.
  const alice = await person(nodeA, 'alice');
  const carol = await person(nodeB, 'carol', 'user', { transports: ['polling'] });
  const carolDefault = await nodeB.connect(carol.token, { transports: 'default' });
  const chatId = (await createChat(alice, 'group', [carol])).id;

  const heard = [nextEvent(carol.socket, 'message:new'), nextEvent(carolDefault, 'message:new')];
  const sent = await post(alice, chatId, 'to every transport');
  for (const payload of await Promise.all(heard)) expect(payload.message).toEqual(sent);
  expect(carol.socket.io.engine.transport.name).toBe('polling');
});

test('hide, ban and suspension issued on node A take effect on sockets held by node B', async () => {
  const owner = await person(nodeA, 'owner');
  const member = await person(nodeB, 'member');
  const troll = await person(nodeB, 'troll');
  const chatId = (await createChat(owner, 'group', [member, troll])).id;
  const message = await post(troll, chatId, 'spam spam');

  const hidden = nextEvent(member.socket, 'message:hidden');
  const hide = await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'spam' });
  expect(hide.ok).toBe(true);
  expect(await hidden).toEqual({ chatId, messageId: message.id, seq: message.seq });

  const removed = nextEvent(troll.socket, 'chat:removed');
  const ban = await emit(owner.socket, 'mod:ban', { userId: troll.id, chatId, reason: 'spam' });
  expect(ban.ok).toBe(true);
  expect(await removed).toEqual({ chatId, reason: 'spam' });
  // The ban's ack came after node B took the troll's socket out of the room.
  const trollSees = collect(troll.socket, 'message:new');
  await post(owner, chatId, 'after the ban');
  await settle(troll.socket);
  await sleep(100);
  expect(trollSees).toEqual([]);

  const moderator = await nodeA.register('moderator');
  const admin = await nodeA.http('POST', '/api/auth/login', {
    body: { username: 'cluster_admin', password: 'admin password' },
  });
  const promote = await nodeA.http('PUT', `/api/users/${moderator.id}/role`, {
    token: admin.body.token,
    body: { role: 'moderator' },
  });
  expect(promote.status).toBe(200);
  const moderatorOnA = await nodeA.connect(moderator.token);
  const suspended = nextEvent(member.socket, 'account:suspended');
  const gone = disconnected(member.socket);
  expect((await emit(moderatorOnA, 'mod:ban', { userId: member.id, reason: 'fraud' })).ok).toBe(true);
  expect(await suspended).toEqual({ reason: 'fraud', until: null });
  await expect(gone).resolves.toBe('io server disconnect');
  await expect(nodeB.connect(member.token)).rejects.toThrow('suspended');
});

test('logout on node A disconnects the account’s socket on node B', async () => {
  const user = await nodeA.register('leaver');
  const onB = await nodeB.connect(user.token);
  const gone = disconnected(onB);
  const res = await nodeA.http('POST', '/api/auth/logout', { token: user.token });
  expect(res.status).toBe(204);
  await expect(gone).resolves.toBe('io server disconnect');
});

test('2 x 50 concurrent sends on nodes A and B give seqs 1..100', async () => {
  const owner = await person(nodeA, 'owner');
  // Five senders per node, ten messages each, all at once: 50 per node, within each user's message limit.
  const senders = await Promise.all(Array.from({ length: 10 }, (_, i) => person(i < 5 ? nodeA : nodeB, 'sender')));
  const chatId = (await createChat(owner, 'group', senders)).id;
  const acks = await Promise.all(
    senders.flatMap((sender, s) =>
      Array.from({ length: 10 }, (_, i) =>
        emit(sender.socket, 'message:send', { chatId, text: `${s}.${i}`, clientMsgId: `s${s}-${i}` }),
      ),
    ),
  );
  const seqs = acks.map((ack) => ok(ack).message.seq);
  expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
});

test('the message limit holds for one user spread over both nodes', async () => {
  const user = await person(nodeA, 'flooder');
  const onB = await nodeB.connect(user.token);
  const chatId = (await createChat(user, 'group')).id;
  const acks = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      emit(i % 2 ? onB : user.socket, 'message:send', { chatId, text: `flood ${i}`, clientMsgId: `f${i}` }),
    ),
  );
  expect(acks.filter((a) => a.ok)).toHaveLength(20);
  expect(acks.filter((a) => !a.ok).every((a) => !a.ok && a.error.code === 'rate_limited')).toBe(true);
});

test('Redis going away: local delivery goes on, nodes stay up; cross-node delivery resumes when it is back', async () => {
  const alice = await person(nodeA, 'alice');
  const bob = await person(nodeA, 'bob');
  const carol = await person(nodeB, 'carol');
  const chatId = (await createChat(alice, 'group', [bob, carol])).id;

  await redis.kill();
  const local = nextEvent(bob.socket, 'message:new');
  await post(alice, chatId, 'while redis is down');
  expect((await local).message.text).toBe('while redis is down');
  for (const node of [nodeA, nodeB]) expect((await node.http('GET', '/healthz')).status).toBe(200);

  await redis.restart();
  // The nodes reconnect by themselves; poll until a message crosses again.
  const deadline = Date.now() + 15_000;
  let crossed = false;
  while (!crossed && Date.now() < deadline) {
    const arrival = nextEvent(carol.socket, 'message:new', 1000).then(
      () => true,
      () => false,
    );
    await post(alice, chatId, 'is anyone there?');
    crossed = await arrival;
  }
  expect(crossed).toBe(true);
  expect(nodeA.process.exitCode).toBeNull();
  expect(nodeB.process.exitCode).toBeNull();
}, 30_000);

/** A member on node B sending all along while the owner on node A acts against them (`mod:ban` or `mod:mute`). */
async function actWhileSending(type: 'mod:ban' | 'mod:mute'): Promise<void> {
  const owner = await person(nodeA, 'owner');
  const target = await person(nodeB, 'target');
  const others = await Promise.all(Array.from({ length: 3 }, () => person(nodeB, 'talker')));
  const chatId = (await createChat(owner, 'group', [target, ...others])).id;

  let sending = true;
  const sends: Array<{ emittedAt: number; ok: boolean; code?: string }> = [];
  // Two lanes, paced to stay inside the default message limit (20 per 10 s) for the whole scenario.
  const lane = async (socket: ClientSocket, record: boolean, gapMs: number) => {
    for (let i = 0; sending; i += 1) {
      const emittedAt = Date.now();
      const ack = await emit(socket, 'message:send', {
        chatId,
        text: `lane message ${i}`,
        clientMsgId: randomBytes(6).toString('hex'),
      });
      if (record) sends.push({ emittedAt, ok: ack.ok, ...(ack.ok ? {} : { code: ack.error.code }) });
      await sleep(gapMs);
    }
  };
  const lanes = [
    lane(target.socket, true, 40),
    lane(target.socket, true, 40),
    ...others.map((other) => lane(other.socket, false, 100)),
  ];
  while (sends.filter((s) => s.ok).length < 4) await sleep(5);

  const acted = await emit(owner.socket, type, { userId: target.id, chatId, reason: 'spam' });
  const actedAt = Date.now();
  expect(acted.ok).toBe(true);
  await sleep(250);
  sending = false;
  await Promise.all(lanes);

  const refusal = type === 'mod:ban' ? 'banned' : 'muted';
  const after = sends.filter((s) => s.emittedAt >= actedAt);
  expect(after.length).toBeGreaterThan(0);
  expect(after.every((s) => !s.ok && s.code === refusal)).toBe(true);
  // Nothing of theirs was stored once the action was acked: the sends already authorized were stored before.
  const history = ok(await emit(owner.socket, 'message:history', { chatId, limit: 100 }));
  const theirs = asMessages(history.messages).filter((m) => m.senderId === target.id);
  expect(theirs).toHaveLength(sends.filter((s) => s.ok).length);
  expect(theirs.every((m) => Date.parse(m.createdAt) <= actedAt)).toBe(true);
  expect(history.messages.map((m) => m.seq)).toEqual(Array.from({ length: history.messages.length }, (_, i) => i + 1));
}

test('a ban issued on node A stops a member sending all along on node B before its ack returns', async () => {
  await actWhileSending('mod:ban');
});

test('a mute issued on node A stops a member sending all along on node B before its ack returns', async () => {
  await actWhileSending('mod:mute');
});

test('a node subscribes to a chat only while one of its sockets is in it: the others receive nothing of its traffic', async () => {
  const { Redis } = await import('ioredis');
  const client = new Redis(redis.url);
  const subscribers = async (chatId: string) => {
    const [, count] = (await client.call('PUBSUB', 'SHARDNUMSUB', `socket.io#/#chat:${chatId}#`)) as [string, number];
    return count;
  };
  try {
    const alice = await person(nodeA, 'alice');
    const bob = await person(nodeA, 'bob');
    const chatId = (await createChat(alice, 'group', [bob])).id;
    // Every member is on node A: node B is not subscribed, so it is sent nothing of this chat.
    expect(await subscribers(chatId)).toBe(1);
    const bobOnB = await nodeB.connect(bob.token);
    expect(await subscribers(chatId)).toBe(2);
    const heard = nextEvent(bobOnB, 'message:new');
    await post(alice, chatId, 'to both nodes');
    expect((await heard).message.text).toBe('to both nodes');
    const gone = disconnected(bobOnB);
    bobOnB.disconnect();
    await gone;
    for (let i = 0; i < 50 && (await subscribers(chatId)) !== 1; i += 1) await sleep(20);
    expect(await subscribers(chatId)).toBe(1);
  } finally {
    client.disconnect();
  }
});

test('joins arriving together on node A: every joiner’s sockets on node B are in the room, and node B lets each send, as each ack returns', async () => {
  const owner = await person(nodeA, 'owner');
  const chatId = (await createChat(owner, 'group')).id;
  const joiners = [];
  for (let i = 0; i < 12; i += 1) joiners.push(await person(nodeA, 'joiner'));
  // Each has a second socket on node B that tried the chat first, so node B remembers them as outsiders.
  const onB = await Promise.all(joiners.map((joiner) => nodeB.connect(joiner.token)));
  for (const socket of onB)
    expect(await emit(socket, 'message:send', { chatId, text: 'too early', clientMsgId: 'early' })).toMatchObject({
      ok: false,
    });

  const acks = await Promise.all(joiners.map((joiner) => emit(joiner.socket, 'chat:join', { chatId })));
  for (const ack of acks) ok(ack);
  const heard = onB.map((socket) => nextEvent(socket, 'message:new'));
  const sent = await post(owner, chatId, 'welcome, all of you');
  for (const payload of await Promise.all(heard)) expect(payload.message).toEqual(sent);
  const fromB = await Promise.all(
    onB.map((socket, i) => emit(socket, 'message:send', { chatId, text: `hello from ${i}`, clientMsgId: `b-${i}` })),
  );
  for (const ack of fromB) ok(ack);
});
