/**
 * Several nodes: two Stoa processes share one database and one Redis. Clients on
 * either node must not notice which node holds whom.
 */
import { randomBytes } from 'node:crypto';

import type { MessageView } from '../handlers/protocol';
import { startNode, startRedis, type RedisServer, type StoaNode } from './support/cluster';
import { collect, connectSocket, disconnected, emit, nextEvent, settle, sleep, type ClientSocket } from './support/harness';
import { asMessages, ok } from './support/world';

const SECRET = 'cluster-secret-0123456789abcdef0123456789abcdef';
let redis: RedisServer;
let nodeA: StoaNode;
let nodeB: StoaNode;

beforeAll(async () => {
  redis = await startRedis();
  const uri = `${process.env.STOA_TEST_MONGODB_URI!}cluster_${randomBytes(3).toString('hex')}`;
  const env = { MONGODB_URI: uri, REDIS_URL: redis.url, JWT_SECRET: SECRET, BOOTSTRAP_ADMIN: 'cluster_admin:admin password', RATE_JOINS: '1000/1m', RATE_CONNECTIONS: '1000/1m', RATE_REGISTRATIONS: '1000/1m' };
  [nodeA, nodeB] = await Promise.all([startNode(env), startNode(env)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  await redis?.kill();
});

interface Client {
  id: string;
  username: string;
  token: string;
}

async function register(node: StoaNode, prefix = 'user'): Promise<Client> {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  const res = await fetch(`${node.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse' }),
  });
  const body = (await res.json()) as { user: { id: string }; token: string };
  return { id: body.user.id, username, token: body.token };
}

async function login(node: StoaNode, username: string, password: string): Promise<{ token: string }> {
  const res = await fetch(`${node.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return (await res.json()) as { token: string };
}

const connect = (node: StoaNode, client: Client) => connectSocket(node.url, client.token);

async function groupOf(owner: ClientSocket, members: ClientSocket[]): Promise<string> {
  const created = ok(await emit(owner, 'chat:create', { type: 'group', title: 'across nodes' }));
  for (const member of members) {
    ok(await emit(member, 'chat:join', { chatId: created.chat.id }));
  }
  return created.chat.id;
}

async function send(socket: ClientSocket, chatId: string, text: string): Promise<MessageView> {
  const ack = ok(await emit(socket, 'message:send', { chatId, text, clientMsgId: randomBytes(6).toString('hex') }));
  return ack.message;
}

test('a message sent on node A reaches members on node B, and both tabs of a user split across nodes', async () => {
  const alice = await register(nodeA, 'alice');
  const bob = await register(nodeB, 'bob');
  const aliceOnA = await connect(nodeA, alice);
  const bobOnB = await connect(nodeB, bob);
  const bobOnA = await connect(nodeA, bob);
  // Bob joins on node B: his socket on node A must follow.
  const chatId = await groupOf(aliceOnA, [bobOnB]);

  for (let i = 0; i < 20; i += 1) {
    const onB = nextEvent(bobOnB, 'message:new');
    const onA = nextEvent(bobOnA, 'message:new');
    const sent = send(aliceOnA, chatId, `hello ${i}`);
    expect((await onA).message).toEqual(await sent);
    expect((await onB).message).toEqual(await sent);
  }
});

test('a client with the default transports (long-polling, then websocket) on node B hears a message sent on node A', async () => {
  // Each node is addressed directly, as a load balancer with sticky sessions would route one client.
  const [alice, carol] = [await register(nodeA, 'alice'), await register(nodeB, 'carol')];
  const aliceOnA = await connect(nodeA, alice);
  const carolPolling = await connectSocket(nodeB.url, carol.token, { transports: ['polling'] });
  const carolDefault = await connectSocket(nodeB.url, carol.token, { transports: 'default' });
  const chatId = await groupOf(aliceOnA, [carolPolling]);

  const heard = [nextEvent(carolPolling, 'message:new'), nextEvent(carolDefault, 'message:new')];
  const sent = await send(aliceOnA, chatId, 'to every transport');
  for (const payload of await Promise.all(heard)) expect(payload.message).toEqual(sent);
  expect(carolPolling.io.engine.transport.name).toBe('polling');
});

test('hide, ban and suspension issued on node A take effect on sockets held by node B', async () => {
  const owner = await register(nodeA, 'owner');
  const member = await register(nodeB, 'member');
  const troll = await register(nodeB, 'troll');
  const ownerOnA = await connect(nodeA, owner);
  const memberOnB = await connect(nodeB, member);
  const trollOnB = await connect(nodeB, troll);
  const chatId = await groupOf(ownerOnA, [memberOnB, trollOnB]);
  const message = await send(trollOnB, chatId, 'spam spam');

  const hidden = nextEvent(memberOnB, 'message:hidden');
  const hide = await emit(ownerOnA, 'mod:hide', { messageId: message.id, reason: 'spam' });
  expect(hide.ok).toBe(true);
  expect(await hidden).toEqual({ chatId, messageId: message.id, seq: message.seq });

  const removed = nextEvent(trollOnB, 'chat:removed');
  const ban = await emit(ownerOnA, 'mod:ban', { userId: troll.id, chatId, reason: 'spam' });
  expect(ban.ok).toBe(true);
  expect(await removed).toEqual({ chatId, reason: 'spam' });
  // The ban's ack came after node B took the troll's socket out of the room.
  const trollSees = collect(trollOnB, 'message:new');
  await send(ownerOnA, chatId, 'after the ban');
  await settle(trollOnB);
  await sleep(100);
  expect(trollSees).toEqual([]);

  const moderator = await register(nodeA, 'moderator');
  const admin = await login(nodeA, 'cluster_admin', 'admin password');
  const promote = await fetch(`${nodeA.url}/api/users/${moderator.id}/role`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({ role: 'moderator' }),
  });
  expect(promote.status).toBe(200);
  const moderatorOnA = await connect(nodeA, moderator);
  const suspended = nextEvent(memberOnB, 'account:suspended');
  const gone = disconnected(memberOnB);
  expect((await emit(moderatorOnA, 'mod:ban', { userId: member.id, reason: 'fraud' })).ok).toBe(true);
  expect(await suspended).toEqual({ reason: 'fraud', until: null });
  await expect(gone).resolves.toBe('io server disconnect');
  await expect(connect(nodeB, member)).rejects.toThrow('suspended');
});

test('logout on node A disconnects the account’s socket on node B', async () => {
  const user = await register(nodeA, 'leaver');
  const onB = await connect(nodeB, user);
  const gone = disconnected(onB);
  const res = await fetch(`${nodeA.url}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` } });
  expect(res.status).toBe(204);
  await expect(gone).resolves.toBe('io server disconnect');
});

test('2 x 50 concurrent sends on nodes A and B give seqs 1..100', async () => {
  const owner = await register(nodeA, 'owner');
  const ownerOnA = await connect(nodeA, owner);
  // Five senders per node, ten messages each, all at once: 50 per node, within each user's message limit.
  const senders = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      const node = i < 5 ? nodeA : nodeB;
      return connect(node, await register(node, 'sender'));
    }),
  );
  const chatId = await groupOf(ownerOnA, senders);
  const acks = await Promise.all(
    senders.flatMap((socket, s) =>
      Array.from({ length: 10 }, (_, i) => emit(socket, 'message:send', { chatId, text: `${s}.${i}`, clientMsgId: `s${s}-${i}` })),
    ),
  );
  const seqs = acks.map((ack) => ok(ack).message.seq);
  expect(seqs.sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
});

test('the message limit holds for one user spread over both nodes', async () => {
  const user = await register(nodeA, 'flooder');
  const onA = await connect(nodeA, user);
  const onB = await connect(nodeB, user);
  const chatId = await groupOf(onA, []);
  const acks = await Promise.all(
    Array.from({ length: 30 }, (_, i) => emit(i % 2 ? onB : onA, 'message:send', { chatId, text: `flood ${i}`, clientMsgId: `f${i}` })),
  );
  expect(acks.filter((a) => a.ok)).toHaveLength(20);
  expect(acks.filter((a) => !a.ok).every((a) => !a.ok && a.error.code === 'rate_limited')).toBe(true);
});

test('Redis going away: local delivery goes on, nodes stay up; cross-node delivery resumes when it is back', async () => {
  const alice = await register(nodeA, 'alice');
  const bob = await register(nodeA, 'bob');
  const carol = await register(nodeB, 'carol');
  const aliceOnA = await connect(nodeA, alice);
  const bobOnA = await connect(nodeA, bob);
  const carolOnB = await connect(nodeB, carol);
  const chatId = await groupOf(aliceOnA, [bobOnA, carolOnB]);

  await redis.kill();
  const local = nextEvent(bobOnA, 'message:new');
  await send(aliceOnA, chatId, 'while redis is down');
  expect((await local).message.text).toBe('while redis is down');
  for (const node of [nodeA, nodeB]) expect((await fetch(`${node.url}/healthz`)).status).toBe(200);

  await redis.restart();
  // The nodes reconnect by themselves; poll until a message crosses again.
  const deadline = Date.now() + 15_000;
  let crossed = false;
  while (!crossed && Date.now() < deadline) {
    const arrival = nextEvent(carolOnB, 'message:new', 1000).then(
      () => true,
      () => false,
    );
    await send(aliceOnA, chatId, 'is anyone there?');
    crossed = await arrival;
  }
  expect(crossed).toBe(true);
  expect(nodeA.process.exitCode).toBeNull();
  expect(nodeB.process.exitCode).toBeNull();
}, 30_000);


/** A member on node B sending all along while the owner on node A acts against them (`mod:ban` or `mod:mute`). */
async function actWhileSending(type: 'mod:ban' | 'mod:mute'): Promise<void> {
  const owner = await register(nodeA, 'owner');
  const ownerOnA = await connect(nodeA, owner);
  const target = await register(nodeB, 'target');
  const targetOnB = await connect(nodeB, target);
  const others = await Promise.all(Array.from({ length: 3 }, async () => connect(nodeB, await register(nodeB, 'talker'))));
  const chatId = await groupOf(ownerOnA, [targetOnB, ...others]);

  let sending = true;
  const sends: Array<{ emittedAt: number; ok: boolean; code?: string }> = [];
  // Two lanes, paced to stay inside the default message limit (20 per 10 s) for the whole scenario.
  const lane = async (socket: ClientSocket, record: boolean, gapMs: number) => {
    for (let i = 0; sending; i += 1) {
      const emittedAt = Date.now();
      const ack = await emit(socket, 'message:send', { chatId, text: `lane message ${i}`, clientMsgId: randomBytes(6).toString('hex') });
      if (record) sends.push({ emittedAt, ok: ack.ok, ...(ack.ok ? {} : { code: ack.error.code }) });
      await sleep(gapMs);
    }
  };
  const lanes = [lane(targetOnB, true, 40), lane(targetOnB, true, 40), ...others.map((socket) => lane(socket, false, 100))];
  while (sends.filter((s) => s.ok).length < 4) await sleep(5);

  const acted = await emit(ownerOnA, type, { userId: target.id, chatId, reason: 'spam' });
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
  const history = ok(await emit(ownerOnA, 'message:history', { chatId, limit: 100 }));
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
