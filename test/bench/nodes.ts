/**
 * Several nodes: NODES Stoa node processes (dist/server/main.js, as test/support/cluster.ts starts
 * them) over one embedded database and one redis-server, and a channel of BENCH_NODES_SUBSCRIBERS
 * (20,000) subscribers, written in bulk, each holding one socket (lean Socket.IO clients, as
 * fanout.ts's receivers, WORKERS child processes holding them). The channel's owner posts from
 * node 1, one post at a time: each is timed from its emit to its arrival at every subscriber, and
 * the next leaves GAP_MS after the last arrival. Phases, one after the other:
 *
 * 1. Idle memory, side by side with a bare Socket.IO relay (relay.ts, in a process of its own):
 *    the subscribers connect spread over the 4 nodes while a node's share of them connects to the
 *    relay; RSS (/proc/<pid>/status) after the first WARM_SHARE of the sockets and after all of
 *    them, IDLE_MS later (one ping interval: each socket pinged once, whose CPU is measured too).
 *    Figure: RSS per idle socket on a node against the relay's (target <= 0.75x).
 * 2. Spread over 4 nodes: POSTS posts, delivery p99 (target <= 1 s), and server CPU per delivery
 *    (the 4 nodes, the database and Redis, /proc/<pid>/stat). Then MOD_ROUNDS rounds (after a
 *    warm-up round) of: a post, a platform moderator's mod:hide of it (message:hidden to every
 *    socket), and a mod:ban of an account holding one socket on each node (chat:removed on each,
 *    member:banned to the channel's owner); p99 from the emit to each arrival (target <= 150 ms).
 *    The moderator and WATCHERS channel members (half with the default transports, half
 *    polling-only) connect through HAProxy run with docs/haproxy.cfg (its ports replaced by the
 *    nodes'), whose cookie keeps each polling session on one node; without haproxy on the PATH
 *    that part is skipped, said so, and the moderator connects to node 2.
 * 3. The subscribers on 2 of the 4 nodes: POSTS posts; CPU per post of each node (target: the
 *    other 2 under 5% of the busy ones').
 * 4. The subscribers on 1 node: POSTS posts; server CPU per delivery of that node, the database and
 *    Redis, against phase 2's (target: 4 nodes <= 1.3x 1 node). Then, with BENCH_NODES_REPEAT=1
 *    (the default), phase 2's posts once more, so that the ratio does not rest on one stretch of
 *    the machine's speed: the 4-node figure is the mean of the two.
 *
 * One node holds a descriptor per socket in phase 4: a subscriber count that does not fit
 * `ulimit -n` is lowered, and said.
 */
import { execFileSync, fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSecretKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

import mongoose from 'mongoose';
import { io as connectClient } from 'socket.io-client';
import WebSocket from 'ws';

import { connectDatabase } from '../../handlers/store/connection';
import { startEmbeddedDb } from '../../server/embedded-db';
import { startRelay } from './relay';
import { addMembers, createAccounts, descriptorLimit, UNLIMITED_RATES, type Account } from './bulk';
import { connect, percentile, processCpuSec, type ClientSocket } from './support';

const WANTED_SUBSCRIBERS = Number(process.env.BENCH_NODES_SUBSCRIBERS ?? 20_000);
const NODES = 4;
const POSTS = Number(process.env.BENCH_NODES_POSTS ?? 15);
const MOD_ROUNDS = Number(process.env.BENCH_NODES_MOD_ROUNDS ?? 10);
const REPEAT = process.env.BENCH_NODES_REPEAT !== '0';
/** Channel members connected through HAProxy: half with the default transports, half polling-only. */
const WATCHERS = 20;
/** After the last arrival of a post (or a hide, a ban), before the next. */
const GAP_MS = 300;
/** Child processes holding the subscribers' sockets; each parses its share of every broadcast. */
const WORKERS = 4;
/** Handshakes one worker keeps in flight while the sockets open. */
const CONNECTS_AT_ONCE = 50;
/** Sockets opened before the first RSS reading: the start-up costs (JIT, pools) are not per socket. */
const WARM_SHARE = 0.1;
/** Socket.IO's ping interval (25 s): idle for this long, every socket has been pinged once. */
const IDLE_MS = Number(process.env.BENCH_NODES_IDLE_MS ?? 25_000);
/** Descriptors a node needs besides its sockets (the database's pool, Redis, files, the listener). */
const FD_HEADROOM = 512;
/** A broadcast that has not reached every socket by then is reported as not delivered. */
const DELIVERY_TIMEOUT_MS = 60_000;
/** BENCH_NODES_PROFILE=<dir>: each node writes a CPU profile of its whole run there when it stops. */
const PROFILE_DIR = process.env.BENCH_NODES_PROFILE;
const JWT_SECRET = 'bench-secret-0123456789abcdef0123456789ab';

const P99_TARGET_MS = 1000;
const CPU_RATIO_TARGET = 1.3;
const IDLE_SHARE_TARGET = 0.05;
const MODERATION_P99_TARGET_MS = 150;
const RSS_RATIO_TARGET = 0.75;

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(ROOT, 'dist', 'server', 'main.js');
const HAPROXY_EXAMPLE = path.join(ROOT, 'docs', 'haproxy.cfg');

/** CPU seconds by process. */
interface Cpu {
  nodes: number[];
  db: number;
  redis: number;
}

interface Latencies {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

export interface PostingFigures {
  /** Sockets the posts went to, by node. */
  spread: number[];
  posts: number;
  deliveries: number;
  expected: number;
  latency: Latencies;
  cpu: Cpu;
  wallSec: number;
}

export interface NodesResult {
  subscribers: number;
  note: string | null;
  memory: {
    perNode: number[];
    /** RSS in kB on each node and on the relay, after the warm share and after all sockets. */
    nodeKb: Array<[number, number]>;
    relayKb: [number, number];
    /** V8's heap (used, total) and memory outside it, in bytes, at the same two moments. */
    nodeHeap: Array<[Heap, Heap]>;
    relayHeap: [Heap, Heap];
    relaySockets: number;
    warm: number[];
    relayWarm: number;
    /** CPU of each node and of the relay over IDLE_MS with every socket idle. */
    idleCpu: Cpu;
    relayIdleCpu: number;
    /** The 4 nodes, the database and Redis, while the sockets connected (after the warm share). */
    connectCpu: Cpu;
    connectSec: number;
  };
  four: PostingFigures[];
  /** With `quiet`: the CPU over as long a stretch without posts, right after. */
  two: PostingFigures & { quiet: Cpu };
  one: PostingFigures;
  moderation: {
    rounds: number;
    hide: Latencies;
    hideAckMs: number[];
    ban: Latencies;
    banAckMs: number[];
    undelivered: number;
    haproxy: HaproxyFigures | null;
  };
  /** Warning lines the nodes logged, by message. */
  warnings: Record<string, number>;
  /** Seconds each phase took. */
  phases: Array<[string, number]>;
}

/** Bytes. */
export interface Heap {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export interface HaproxyFigures {
  config: string;
  connected: number;
  failed: string[];
  upgraded: number;
  /** Sockets each node gained when the moderator and the watchers connected. */
  perNode: number[];
  post: Latencies;
  hide: Latencies;
}

export async function nodesBench(): Promise<NodesResult> {
  const { subscribers, note } = subscribersThatFit(WANTED_SUBSCRIBERS);
  let phaseFrom = now();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stoa-bench-nodes-'));
  const stops: Array<() => Promise<unknown>> = [];
  const db = await startEmbeddedDb({ dataDir: path.join(dataDir, 'db') });
  stops.push(() => db.stop());
  try {
    const dbName = 'bench_nodes';
    await connectDatabase(db.uri, dbName);
    stops.push(() => mongoose.disconnect());
    const redis = await startRedis();
    stops.push(redis.stop);
    const ports = await Promise.all(Array.from({ length: NODES }, () => freePort()));
    const warnings: Record<string, number> = {};
    const nodes = await Promise.all(
      ports.map((port) => startNode(port, { MONGODB_URI: `${db.uri}${dbName}`, REDIS_URL: redis.url }, warnings)),
    );
    for (const node of nodes) stops.push(node.stop);
    const haproxy = await startHaproxy(ports, dataDir);
    if (haproxy) stops.push(haproxy.stop);
    else console.log('nodes: haproxy is not installed (apt-get install haproxy): the HAProxy part is skipped');
    const cpuNow = (): Cpu => ({
      nodes: nodes.map((n) => processCpuSec(n.pid)),
      db: processCpuSec(db.pid),
      redis: processCpuSec(redis.pid),
    });

    // Accounts: the channel's owner, a platform moderator, the subscribers, the accounts to ban, the watchers.
    const banned = MOD_ROUNDS + 1;
    const accounts = await createAccounts(
      { jwtKey: createSecretKey(Buffer.from(JWT_SECRET)), jwtTtlSec: 3600 },
      2 + subscribers + banned + WATCHERS,
      'n',
      (i) => (i === 1 ? 'moderator' : 'user'),
    );
    const owner = accounts[0]!;
    const moderator = accounts[1]!;
    const people = accounts.slice(2, 2 + subscribers);
    const targets = accounts.slice(2 + subscribers, 2 + subscribers + banned);
    const watchers = accounts.slice(2 + subscribers + banned);
    const ownerSocket = await connect(nodes[0]!.url, owner.token);
    stops.push(async () => ownerSocket.close());
    const created = await ownerSocket.emitWithAck('chat:create', { type: 'channel', title: 'Nodes bench' });
    if (!created.ok) throw new Error(`chat:create: ${JSON.stringify(created.error)}`);
    const chatId = created.chat.id;
    await addMembers(
      chatId,
      [...people, ...targets, ...watchers].map((a) => a.id),
    );

    const parent = new Tally();
    ownerSocket.on('member:banned', ({ userId }) => parent.add(`b:${userId}`, now()));
    const pool = new SocketPool(WORKERS);
    stops.push(() => pool.exit());
    const relay = new Child('relay');
    stops.push(() => relay.request({ type: 'close' }).catch(() => undefined));

    const emitAt = new Map<string, number>();
    /** Waits until `total` arrivals of `key` in the workers and this process; how many are missing at the timeout. */
    const waitFor = async (key: string, total: number, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<number> => {
      const deadline = now() + timeoutMs;
      for (;;) {
        const got = (await pool.count(key)) + parent.count(key);
        if (got >= total) return 0;
        if (now() > deadline) return total - got;
        await sleep(10);
      }
    };
    const post = async (key: string, expected: number): Promise<{ id: string; missing: number }> => {
      emitAt.set(key, now());
      const ack = await ownerSocket.emitWithAck('message:send', { chatId, text: key, clientMsgId: key });
      if (!ack.ok) throw new Error(`message:send: ${JSON.stringify(ack.error)}`);
      const missing = await waitFor(`m:${key}`, expected);
      await sleep(GAP_MS);
      return { id: ack.message.id, missing };
    };
    const latencies = (arrivals: Record<string, number[]>, key: string, from: string) =>
      (arrivals[key] ?? []).map((at) => at - emitAt.get(from)!);

    /**
     * Subscriber i is in slot ⌊i / WORKERS⌋ mod NODES (so that each worker holds some of every slot);
     * with the sockets on n nodes, slot k is on node k mod n. Moving from n to m nodes reconnects
     * only the slots whose node changes.
     */
    const slotOf = (i: number) => Math.floor(i / WORKERS) % NODES;
    const entryOf = (i: number, n: number): Entry => ({
      token: people[i]!.token,
      url: nodes[slotOf(i) % n]!.url,
      group: `s${slotOf(i)}`,
    });
    const slotSizes = Array.from({ length: NODES }, (_, k) => people.filter((_p, i) => slotOf(i) === k).length);
    const spreadOf = (n: number) => nodes.map((_node, j) => sum(slotSizes.filter((_size, k) => k % n === j)));
    let layout = NODES;
    const moveTo = async (n: number) => {
      const moving = slotSizes.map((_size, k) => k).filter((k) => k % layout !== k % n);
      for (const k of moving) await pool.close(`s${k}`);
      // Gone from their nodes (the owner's socket stays on node 1) before they connect elsewhere.
      const staying = nodes.map(
        (_node, j) => (j === 0 ? 1 : 0) + sum(slotSizes.filter((_size, k) => !moving.includes(k) && k % layout === j)),
      );
      await untilSockets(nodes, (counts) => counts.every((c, j) => c <= staying[j]!));
      await pool.open(people.flatMap((_p, i) => (moving.includes(slotOf(i)) ? [entryOf(i, n)] : [])));
      layout = n;
      await sleep(2000);
    };
    const posting = async (label: string): Promise<PostingFigures> => {
      await post(`${label}-warm`, subscribers);
      await pool.take();
      const before = cpuNow();
      const from = now();
      const keys = Array.from({ length: POSTS }, (_, i) => `${label}-${i}`);
      for (const key of keys) await post(key, subscribers);
      const wallSec = (now() - from) / 1000;
      const cpu = cpuSince(before, cpuNow());
      const arrivals = await pool.take();
      const all = keys.flatMap((key) => latencies(arrivals, `m:${key}`, key));
      return {
        spread: spreadOf(layout),
        posts: POSTS,
        deliveries: all.length,
        expected: POSTS * subscribers,
        latency: latencyOf(all),
        cpu,
        wallSec,
      };
    };
    const phases: Array<[string, number]> = [];
    const phaseDone = (name: string) => {
      phases.push([name, (now() - phaseFrom) / 1000]);
      phaseFrom = now();
    };
    phaseDone('setup');

    // 1. Idle memory, side by side with the relay; the relay takes as many sockets as one node.
    const { url: relayUrl, pid: relayPid } = await relay.request<{ url: string; pid: number }>({
      type: 'start',
      chatId,
    });
    const stoaEntries = people.map((_p, i) => entryOf(i, NODES));
    const perNode = spreadOf(NODES);
    const relaySockets = Math.max(...perNode);
    const relayEntries = people.slice(0, relaySockets).map((p) => ({ token: p.token, url: relayUrl }));
    const warmCount = (n: number) => Math.ceil(n * WARM_SHARE);
    const warmStoa = stoaEntries.slice(0, warmCount(stoaEntries.length));
    const warmRelay = relayEntries.slice(0, warmCount(relayEntries.length));
    await pool.open(interleave(warmStoa, warmRelay));
    await sleep(2000);
    const rss0 = nodes.map((n) => rssKb(n.pid));
    const relayRss0 = rssKb(relayPid);
    const heap0 = await Promise.all(nodes.map(heapOf));
    const relayHeap0 = await relay.request<Heap>({ type: 'memory' });
    const warm = nodes.map((n) => warmStoa.filter((e) => e.url === n.url).length);
    const connectFrom = now();
    const connectBefore = cpuNow();
    await pool.open(interleave(stoaEntries.slice(warmStoa.length), relayEntries.slice(warmRelay.length)));
    const connectSec = (now() - connectFrom) / 1000;
    const connectCpu = cpuSince(connectBefore, cpuNow());
    await sleep(2000);
    const idleBefore = cpuNow();
    const relayIdleBefore = processCpuSec(relayPid);
    await sleep(IDLE_MS);
    const idleCpu = cpuSince(idleBefore, cpuNow());
    const relayIdleCpu = processCpuSec(relayPid) - relayIdleBefore;
    const rss1 = nodes.map((n) => rssKb(n.pid));
    const relayRss1 = rssKb(relayPid);
    const heap1 = await Promise.all(nodes.map(heapOf));
    const relayHeap1 = await relay.request<Heap>({ type: 'memory' });
    await pool.close('relay');
    await relay.request({ type: 'close' });
    const memory: NodesResult['memory'] = {
      perNode,
      nodeKb: rss0.map((kb, i) => [kb, rss1[i]!]),
      relayKb: [relayRss0, relayRss1],
      nodeHeap: heap0.map((h, i) => [h, heap1[i]!]),
      relayHeap: [relayHeap0, relayHeap1],
      relaySockets,
      warm,
      relayWarm: warmRelay.length,
      idleCpu,
      relayIdleCpu,
      connectCpu,
      connectSec,
    };
    await pool.take();
    phaseDone('memory');

    // 2. Spread over the 4 nodes: posts, then hides and bans.
    const four = [await posting('four')];
    phaseDone('4 nodes');
    const moderation = await moderationRounds();
    phaseDone('hides and bans');

    // 3. On 2 of the 4 nodes; the nodes' CPU over as long a quiet stretch too, for their background.
    await moveTo(2);
    const two = await posting('two');
    const quietBefore = cpuNow();
    await sleep(two.wallSec * 1000);
    const quiet = cpuSince(quietBefore, cpuNow());
    phaseDone('2 of 4 nodes');

    // 4. On 1 node; then on 4 again.
    await moveTo(1);
    const one = await posting('one');
    phaseDone('1 node');
    if (REPEAT) {
      await moveTo(NODES);
      four.push(await posting('four-again'));
      phaseDone('4 nodes again');
    }
    await pool.close();
    return { subscribers, note, memory, four, two: { ...two, quiet }, one, moderation, warnings, phases };

    async function moderationRounds(): Promise<NodesResult['moderation']> {
      const viaHaproxy = haproxy
        ? await openWatchers(haproxy.url, moderator, watchers, parent, () => socketCounts(nodes))
        : null;
      const modSocket = viaHaproxy?.moderator ?? (await connect(nodes[1]!.url, moderator.token));
      const watching = viaHaproxy?.connected ?? 0;
      // Each account to ban holds a socket on every node.
      const targetSockets = await Promise.all(
        targets.flatMap((t) =>
          nodes.map((n) =>
            leanSocket(n.url, t.token, (frame, at) => {
              if (frame.startsWith('42["chat:removed"')) {
                const [, payload] = JSON.parse(frame.slice(2)) as [string, { reason: string }];
                parent.add(`r:${payload.reason}`, at);
              }
            }),
          ),
        ),
      );
      const hideAckMs: number[] = [];
      const banAckMs: number[] = [];
      const hideKeys: Array<[string, string]> = [];
      const postKeys: string[] = [];
      const banKeys: Array<[string, string]> = [];
      let undelivered = 0;
      try {
        for (let r = 0; r <= MOD_ROUNDS; r += 1) {
          // Round 0 is the warm-up.
          const postKey = `mod-${r}`;
          const { id, missing } = await post(postKey, subscribers + watching);
          undelivered += missing;
          const hideKey = `hide-${r}`;
          emitAt.set(hideKey, now());
          const hidden = await modSocket.emitWithAck('mod:hide', { messageId: id, reason: 'nodes bench' });
          if (!hidden.ok) throw new Error(`mod:hide: ${JSON.stringify(hidden.error)}`);
          const hideAck = now() - emitAt.get(hideKey)!;
          undelivered += await waitFor(`h:${id}`, subscribers + watching);
          await sleep(GAP_MS);

          const target = targets[r]!;
          const banKey = `ban-${r}`;
          emitAt.set(banKey, now());
          const ban = await modSocket.emitWithAck('mod:ban', { userId: target.id, chatId, reason: banKey });
          if (!ban.ok) throw new Error(`mod:ban: ${JSON.stringify(ban.error)}`);
          const banAck = now() - emitAt.get(banKey)!;
          undelivered += await waitFor(`r:${banKey}`, NODES, 10_000);
          undelivered += await waitFor(`b:${target.id}`, 1, 10_000);
          await sleep(GAP_MS);
          if (r === 0) continue;
          hideAckMs.push(hideAck);
          banAckMs.push(banAck);
          postKeys.push(postKey);
          hideKeys.push([`h:${id}`, hideKey]);
          banKeys.push([`r:${banKey}`, banKey], [`b:${target.id}`, banKey]);
        }
      } finally {
        for (const socket of targetSockets) socket.close();
      }
      const workers = await pool.take();
      const here = parent.take();
      const hide = hideKeys.flatMap(([key, from]) => [...latencies(workers, key, from), ...latencies(here, key, from)]);
      const ban = banKeys.flatMap(([key, from]) => latencies(here, key, from));
      let haproxyFigures: HaproxyFigures | null = null;
      if (viaHaproxy) {
        haproxyFigures = {
          config: haproxy!.config,
          connected: viaHaproxy.connected,
          failed: viaHaproxy.failed,
          upgraded: viaHaproxy.upgraded(),
          perNode: viaHaproxy.perNode,
          post: latencyOf(postKeys.flatMap((key) => latencies(here, `m:${key}`, key))),
          hide: latencyOf(hideKeys.flatMap(([key, from]) => latencies(here, key, from))),
        };
        viaHaproxy.close();
      } else modSocket.close();
      await untilSockets(nodes, (counts) => counts.reduce((a, b) => a + b, 0) <= subscribers + 1);
      return {
        rounds: MOD_ROUNDS,
        hide: latencyOf(hide),
        hideAckMs,
        ban: latencyOf(ban),
        banAckMs,
        undelivered,
        haproxy: haproxyFigures,
      };
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Processes: the nodes, Redis, HAProxy.

interface NodeProcess {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<unknown>;
}

/** `node dist/server/main.js` on `port`; resolves once /healthz answers. Its warnings are counted by message. */
async function startNode(
  port: number,
  env: Record<string, string>,
  warnings: Record<string, number>,
): Promise<NodeProcess> {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      BCRYPT_ROUNDS: '4',
      // Join storms are what some benches measure: raid protection (tested in test/filters.test.ts) stays out of them.
      RAID_JOINS: '1000000',
      JWT_SECRET,
      // HAProxy, on this machine, names the client in X-Forwarded-For.
      TRUST_PROXY: 'loopback',
      ...UNLIMITED_RATES,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg = line;
    try {
      msg = (JSON.parse(line) as { msg?: string }).msg ?? line;
    } catch {
      // not JSON: counted as it is
    }
    warnings[msg] = (warnings[msg] ?? 0) + 1;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the node on port ${port} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (now() > deadline) throw new Error(`the node on port ${port} did not answer within 30 s`);
    await sleep(100);
  }
  return {
    url,
    port,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startRedis(): Promise<{ url: string; pid: number; stop(): Promise<unknown> }> {
  if (spawnSync('redis-server', ['--version']).error)
    throw new Error('redis-server is not installed: install the Debian package redis-server');
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => line.includes('Ready to accept connections') && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  child.stdout!.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * HAProxy with docs/haproxy.cfg, its listening and server addresses replaced by free ports and the
 * nodes'; null when haproxy is not installed. Resolves once it sees every node up.
 */
async function startHaproxy(
  ports: number[],
  dir: string,
): Promise<{ url: string; config: string; stop(): Promise<unknown> } | null> {
  if (spawnSync('haproxy', ['-v']).error) return null;
  const [front, stats] = [await freePort(), await freePort()];
  const replace = (text: string, from: string, to: string) => {
    if (!text.includes(from)) throw new Error(`${path.relative(ROOT, HAPROXY_EXAMPLE)} no longer has "${from}"`);
    return text.replace(from, to);
  };
  let config = readFileSync(HAPROXY_EXAMPLE, 'utf8');
  config = replace(config, 'bind :8080', `bind 127.0.0.1:${front}`);
  config = replace(config, 'bind 127.0.0.1:8404', `bind 127.0.0.1:${stats}`);
  ports.forEach((port, i) => (config = replace(config, `127.0.0.1:${3001 + i}`, `127.0.0.1:${port}`)));
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const errors: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => errors.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${errors.join(' / ')}`);
    const csv = await fetch(`http://127.0.0.1:${stats}/stats;csv`).then(
      (res) => (res.ok ? res.text() : ''),
      () => '',
    );
    const up = csv.split('\n').filter((line) => line.startsWith('stoa_nodes,node') && line.includes(',UP,')).length;
    if (up === ports.length) break;
    if (now() > deadline) throw new Error(`haproxy: ${up} of ${ports.length} nodes up after 20 s`);
    await sleep(200);
  }
  return {
    url: `http://127.0.0.1:${front}`,
    config: `docs/haproxy.cfg (copy at ${file}, ports replaced)`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Through HAProxy: the moderator and the watchers, all with `withCredentials` so that the client keeps
 * HAProxy's cookie; half of the watchers with the default transports (polling, then the upgrade),
 * half polling-only. Their message:new and message:hidden go to `tally`.
 */
async function openWatchers(
  url: string,
  moderator: Account,
  watchers: Account[],
  tally: Tally,
  nodeCounts: () => Promise<number[]>,
): Promise<{
  moderator: ClientSocket;
  connected: number;
  failed: string[];
  perNode: number[];
  upgraded(): number;
  close(): void;
}> {
  const before = await nodeCounts();
  const open = (account: Account, pollingOnly: boolean): Promise<ClientSocket> => {
    const socket: ClientSocket = connectClient(url, {
      auth: { token: account.token },
      withCredentials: true,
      reconnection: false,
      forceNew: true,
      ...(pollingOnly ? { transports: ['polling'] } : {}),
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
  };
  const moderatorSocket = await open(moderator, false);
  const failed: string[] = [];
  const sockets: ClientSocket[] = [];
  const defaults: ClientSocket[] = [];
  await Promise.all(
    watchers.map(async (account, i) => {
      try {
        const socket = await open(account, i % 2 === 1);
        socket.on('message:new', ({ message }) => tally.add(`m:${message.text}`, now()));
        socket.on('message:hidden', ({ messageId }) => tally.add(`h:${messageId}`, now()));
        sockets.push(socket);
        if (i % 2 === 0) defaults.push(socket);
      } catch (err) {
        failed.push((err as Error).message);
      }
    }),
  );
  await sleep(1000);
  const after = await nodeCounts();
  return {
    moderator: moderatorSocket,
    connected: sockets.length,
    failed,
    perNode: after.map((n, i) => n - before[i]!),
    upgraded: () => defaults.filter((s) => s.io.engine.transport.name === 'websocket').length,
    close: () => {
      moderatorSocket.close();
      for (const socket of sockets) socket.close();
    },
  };
}

/** Each node's stoa_connected_sockets. */
function socketCounts(nodes: NodeProcess[]): Promise<number[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const text = await (await fetch(`${n.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('stoa_connected_sockets '));
      return Number(line?.split(' ')[1] ?? 0);
    }),
  );
}

/** Polls each node's connected sockets until `done` holds of them. */
async function untilSockets(nodes: NodeProcess[], done: (counts: number[]) => boolean): Promise<number[]> {
  const deadline = now() + 120_000;
  for (;;) {
    const counts = await socketCounts(nodes);
    if (done(counts)) return counts;
    if (now() > deadline) throw new Error(`sockets per node stuck at ${counts.join('/')}`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// Setup helpers.

/** The subscriber count one node's descriptor limit allows (it holds them all in phase 4). */
function subscribersThatFit(wanted: number): { subscribers: number; note: string | null } {
  const { limit, said: raw } = descriptorLimit();
  const most = Math.floor((limit - FD_HEADROOM) / 1000) * 1000;
  if (wanted <= most) return { subscribers: wanted, note: null };
  return {
    subscribers: most,
    note: `ulimit -n is ${raw} (hard limit too): one node holds a descriptor per socket when it serves them all, so ${most} subscribers, not ${wanted}`,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A node's heap, from prom-client's default metrics on /metrics. */
async function heapOf(node: NodeProcess): Promise<Heap> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const value = (name: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.split(' ')[1] ?? Number.NaN,
    );
  return {
    heapUsed: value('nodejs_heap_size_used_bytes'),
    heapTotal: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
  };
}

/** Resident set size of a process, in kB. */
function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

function cpuSince(before: Cpu, after: Cpu): Cpu {
  return {
    nodes: after.nodes.map((sec, i) => sec - before.nodes[i]!),
    db: after.db - before.db,
    redis: after.redis - before.redis,
  };
}

/** The entries of both lists in one, each list's spread evenly over it; `group` labels b's. */
function interleave(a: Entry[], b: Entry[], group = 'relay'): Entry[] {
  const keyed = [
    ...a.map((e, i) => ({ e, at: i / a.length })),
    ...b.map((e, i) => ({ e: { ...e, group }, at: i / b.length })),
  ];
  return keyed.sort((x, y) => x.at - y.at).map((k) => k.e);
}

function latencyOf(values: number[]): Latencies {
  return {
    p50Ms: percentile(values, 0.5),
    p99Ms: percentile(values, 0.99),
    maxMs: values.length ? values.reduce((a, b) => Math.max(a, b)) : Number.NaN,
    samples: values.length,
  };
}

/** Arrival times by key, and their counts. */
class Tally {
  private arrivals: Record<string, number[]> = {};

  add(key: string, at: number): void {
    (this.arrivals[key] ??= []).push(at);
  }

  count(key: string): number {
    return this.arrivals[key]?.length ?? 0;
  }

  /** Every arrival so far, forgotten here. */
  take(): Record<string, number[]> {
    const taken = this.arrivals;
    this.arrivals = {};
    return taken;
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes: the subscribers' sockets, and the bare relay.

const WORKER_FLAG = 'nodes-worker';

interface Entry {
  token: string;
  url: string;
  /** Sockets closed together; `stoa` unless said. */
  group?: string;
}

type WorkerCommand =
  | { type: 'open'; entries: Entry[] }
  | { type: 'count'; key: string }
  | { type: 'take' }
  | { type: 'close'; group?: string }
  | { type: 'exit' };

type RelayCommand = { type: 'start'; chatId: string } | { type: 'memory' } | { type: 'close' };

/** A child process of this file, answering one command at a time. */
class Child {
  private readonly process: ChildProcess;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();

  constructor(role: 'sockets' | 'relay') {
    this.process = fork(__filename, [WORKER_FLAG, role], { stdio: 'inherit' });
    this.process.on('message', (raw) => {
      const { id, reply, error } = raw as { id: number; reply: unknown; error?: string };
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) waiting?.reject(new Error(error));
      else waiting?.resolve(reply);
    });
    this.process.once('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`nodes ${role} child exited with ${code}`));
      this.pending.clear();
    });
  }

  request<T>(command: object): Promise<T> {
    if (this.process.exitCode !== null) return Promise.reject(new Error('the child has exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ id, command });
    });
  }
}

/** WORKERS children holding the subscribers' sockets, entry e on child e mod WORKERS. */
class SocketPool {
  private readonly workers: Child[];

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => new Child('sockets'));
  }

  async open(entries: Entry[]): Promise<void> {
    const shares = this.workers.map((_, w) => entries.filter((_e, i) => i % this.workers.length === w));
    const results = await Promise.all(
      this.workers.map((worker, w) =>
        worker.request<{ opened: number; failed: number; error: string | null }>({ type: 'open', entries: shares[w] }),
      ),
    );
    const failed = results.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) throw new Error(`${failed} sockets failed to connect: ${results.find((r) => r.error)?.error}`);
  }

  async count(key: string): Promise<number> {
    const counts = await Promise.all(this.workers.map((w) => w.request<number>({ type: 'count', key })));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  async take(): Promise<Record<string, number[]>> {
    const all = await Promise.all(this.workers.map((w) => w.request<Record<string, number[]>>({ type: 'take' })));
    const merged: Record<string, number[]> = {};
    for (const one of all) for (const [key, times] of Object.entries(one)) (merged[key] ??= []).push(...times);
    return merged;
  }

  async close(group?: string): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ type: 'close', ...(group ? { group } : {}) })));
  }

  async exit(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ type: 'exit' }).catch(() => undefined)));
  }
}

/** In a child of this file: serves the commands of its role. False in any other process. */
function serveWorker(): boolean {
  if (process.argv[2] !== WORKER_FLAG) return false;
  const handle = (process.argv[3] === 'sockets' ? socketsWorker() : relayWorker()) as (
    command: object,
  ) => Promise<unknown>;
  process.on('message', (raw) => {
    const { id, command } = raw as { id: number; command: { type: string } };
    const last = command.type === 'exit' || (process.argv[3] === 'relay' && command.type === 'close');
    handle(command).then(
      (reply) => process.send!({ id, reply }, () => last && process.exit(0)),
      (err: Error) => process.send!({ id, error: err.message }),
    );
  });
  return true;
}

function socketsWorker(): (command: WorkerCommand) => Promise<unknown> {
  let sockets: Array<{ ws: WebSocket; group: string }> = [];
  const tally = new Tally();
  const onFrame = (frame: string, at: number) => {
    if (frame.startsWith('42["message:new"')) {
      const [, payload] = JSON.parse(frame.slice(2)) as [string, { message: { text: string } }];
      tally.add(`m:${payload.message.text}`, at);
    } else if (frame.startsWith('42["message:hidden"')) {
      const [, payload] = JSON.parse(frame.slice(2)) as [string, { messageId: string }];
      tally.add(`h:${payload.messageId}`, at);
    }
  };
  return async (command) => {
    switch (command.type) {
      case 'open': {
        let failed = 0;
        let error: string | null = null;
        for (let start = 0; start < command.entries.length; start += CONNECTS_AT_ONCE) {
          const batch = command.entries.slice(start, start + CONNECTS_AT_ONCE);
          const opened = await Promise.allSettled(batch.map((e) => leanSocket(e.url, e.token, onFrame)));
          opened.forEach((result, k) => {
            if (result.status === 'fulfilled') sockets.push({ ws: result.value, group: batch[k]!.group ?? 'stoa' });
            else {
              failed += 1;
              error ??= (result.reason as Error).message;
            }
          });
        }
        return { opened: sockets.length, failed, error };
      }
      case 'count':
        return tally.count(command.key);
      case 'take':
        return tally.take();
      case 'close': {
        const closing = sockets.filter((s) => command.group === undefined || s.group === command.group);
        sockets = sockets.filter((s) => !closing.includes(s));
        await Promise.all(
          closing.map(
            ({ ws }) =>
              new Promise<void>((resolve) => {
                if (ws.readyState === WebSocket.CLOSED) return resolve();
                ws.once('close', () => resolve());
                ws.close();
                setTimeout(() => {
                  ws.terminate();
                  resolve();
                }, 5000).unref();
              }),
          ),
        );
        return { closed: closing.length };
      }
      case 'exit':
        for (const { ws } of sockets) ws.terminate();
        return {};
    }
  };
}

function relayWorker(): (command: RelayCommand) => Promise<unknown> {
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  return async (command) => {
    if (command.type === 'start') {
      relay = await startRelay(command.chatId);
      return { url: relay.url, pid: process.pid };
    }
    if (command.type === 'memory') {
      const { heapUsed, heapTotal, external } = process.memoryUsage();
      return { heapUsed, heapTotal, external } satisfies Heap;
    }
    await relay?.close();
    return {};
  };
}

/**
 * A Socket.IO client with nothing else: engine.io's websocket transport, the CONNECT with the
 * token, pongs, and every event frame handed to `onFrame` with its arrival time (Socket.IO
 * protocol 5 over Engine.IO 4; no acks, binary or reconnection). Resolves once connected.
 */
function leanSocket(url: string, token: string, onFrame: (frame: string, at: number) => void): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no CONNECT within 60 s'));
    }, 60_000);
    ws.on('message', (data) => {
      const at = now();
      const frame = data.toString();
      if (frame === '2') ws.send('3');
      else if (frame.startsWith('42')) onFrame(frame, at);
      else if (frame.startsWith('0')) ws.send(`40${JSON.stringify({ token })}`);
      else if (frame.startsWith('40')) {
        clearTimeout(timer);
        resolve(ws);
      } else if (frame.startsWith('44')) {
        clearTimeout(timer);
        reject(new Error(`connect_error ${frame.slice(2)}`));
      }
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

// ---------------------------------------------------------------------------------------------

/** The lines `npm run bench` prints for this benchmark, each figure with its target. */
export function nodesSummary(r: NodesResult): string[] {
  const x = (v: number) => `${v.toFixed(2)}x`;
  const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
  const us = (v: number) => `${v.toFixed(1)} us`;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const label = `nodes (${r.subscribers} subscribers, ${NODES} nodes)`;
  const lines: string[] = [];
  if (r.note) lines.push(`${label}: ${r.note}`);

  // Delivery p99 on 4 nodes: every stretch on 4 nodes must meet it.
  const first = r.four[0]!;
  const lost = (f: PostingFigures) =>
    f.deliveries === f.expected ? '' : `; ${f.expected - f.deliveries} of ${f.expected} NOT DELIVERED`;
  const worst = Math.max(...r.four.map((f) => f.latency.p99Ms));
  lines.push(
    `${label}: a post to the channel, subscribers spread ${first.spread.join('/')}: delivery p99 ${r.four.map((f) => ms(f.latency.p99Ms)).join(' and ')} (${r.four.length > 1 ? 'the first and the second stretch; ' : ''}p50 ${r.four.map((f) => ms(f.latency.p50Ms)).join(', ')}; max ${r.four.map((f) => ms(f.latency.maxMs)).join(', ')}), ${first.posts} posts and ${first.deliveries} deliveries each (target <= ${P99_TARGET_MS} ms) ${verdict(worst <= P99_TARGET_MS)}${r.four.map(lost).join('')}`,
  );

  // CPU per delivery, 4 nodes against 1.
  const perDelivery = (f: PostingFigures, nodes: number[]) =>
    ((sum(nodes.map((i) => f.cpu.nodes[i]!)) + f.cpu.db + f.cpu.redis) * 1e6) / f.deliveries;
  const all = [0, 1, 2, 3];
  const fours = r.four.map((f) => perDelivery(f, all));
  const fourMean = sum(fours) / fours.length;
  const oneUs = perDelivery(r.one, [0]);
  const ratio = fourMean / oneUs;
  const breakdown = (f: PostingFigures, nodes: number[]) =>
    `nodes ${nodes.map((i) => us((f.cpu.nodes[i]! * 1e6) / f.deliveries)).join(' + ')}, database ${us((f.cpu.db * 1e6) / f.deliveries)}, Redis ${us((f.cpu.redis * 1e6) / f.deliveries)}`;
  lines.push(
    `${label}: server CPU per delivery on 4 nodes ${us(fourMean)}${fours.length > 1 ? ` (mean of ${fours.map(us).join(', ')})` : ''} vs 1 node serving the same sockets ${us(oneUs)} = ${x(ratio)} (target <= ${CPU_RATIO_TARGET}x) ${verdict(ratio <= CPU_RATIO_TARGET)}`,
    ...r.four.map(
      (f, i) => `  4 nodes${i > 0 ? ' (again)' : ''}: ${breakdown(f, all)}; ${f.wallSec.toFixed(1)} s${lost(f)}`,
    ),
    `  1 node: ${breakdown(r.one, [0])}; the 3 idle nodes ${(sum(r.one.cpu.nodes.slice(1)) * 1000).toFixed(0)} ms of CPU in all over ${r.one.wallSec.toFixed(1)} s, not counted; delivery p99 ${ms(r.one.latency.p99Ms)}, p50 ${ms(r.one.latency.p50Ms)}${lost(r.one)}`,
  );

  // 2 of 4.
  const two = r.two;
  const perPost = (i: number) => (two.cpu.nodes[i]! * 1000) / two.posts;
  const quietPerPost = (i: number) => (two.quiet.nodes[i]! * 1000) / two.posts;
  const busy = (perPost(0) + perPost(1)) / 2;
  const idle = (perPost(2) + perPost(3)) / 2;
  const background = (quietPerPost(2) + quietPerPost(3)) / 2;
  const share = idle / busy;
  lines.push(
    `${label}: subscribers on 2 of the 4 nodes (${two.spread.join('/')}): the other 2 nodes' CPU per post ${ms(idle)} (${ms(perPost(2))}, ${ms(perPost(3))}) vs the busy ones' ${ms(busy)} (${ms(perPost(0))} with the poster, ${ms(perPost(1))}) = ${(share * 100).toFixed(1)}% (target < ${IDLE_SHARE_TARGET * 100}%) ${verdict(share < IDLE_SHARE_TARGET)}`,
    `  2 of 4: over as long a stretch without posts right after, the other 2 nodes spent ${ms(background)} per post-length (${ms(quietPerPost(2))}, ${ms(quietPerPost(3))}; timers, health checks): net of it ${ms(idle - background)} per post = ${(((idle - background) / busy) * 100).toFixed(1)}% (CPU is read in ${(1000 / CLOCK_TICKS).toFixed(0)} ms ticks); delivery p99 ${ms(two.latency.p99Ms)}, p50 ${ms(two.latency.p50Ms)}; database ${ms((two.cpu.db * 1000) / two.posts)} and Redis ${ms((two.cpu.redis * 1000) / two.posts)} of CPU per post${lost(two)}`,
  );

  // Hide and ban.
  const m = r.moderation;
  lines.push(
    `${label}: a hide reaches every socket (${m.hide.samples} arrivals over ${m.rounds} hides) p99 ${ms(m.hide.p99Ms)} (p50 ${ms(m.hide.p50Ms)}, max ${ms(m.hide.maxMs)}) (target <= ${MODERATION_P99_TARGET_MS} ms) ${verdict(m.hide.p99Ms <= MODERATION_P99_TARGET_MS)}; ack p50 ${ms(percentile(m.hideAckMs, 0.5))}`,
    `${label}: a ban reaches the banned account's socket on each of the 4 nodes (chat:removed) and the owner (member:banned), ${m.ban.samples} arrivals over ${m.rounds} bans: p99 ${ms(m.ban.p99Ms)} (p50 ${ms(m.ban.p50Ms)}) (target <= ${MODERATION_P99_TARGET_MS} ms) ${verdict(m.ban.p99Ms <= MODERATION_P99_TARGET_MS)}; ack p50 ${ms(percentile(m.banAckMs, 0.5))}${m.undelivered > 0 ? `; ${m.undelivered} events NOT DELIVERED` : ''}`,
  );
  const h = m.haproxy;
  if (h) {
    lines.push(
      `${label}: through HAProxy (${h.config}): the moderator and ${h.connected} of ${WATCHERS} channel members connected (${WATCHERS / 2} default transports, ${h.upgraded} of them upgraded to websocket; ${WATCHERS / 2} polling-only), new sockets per node ${h.perNode.join('/')}${h.failed.length > 0 ? `; FAILED: ${h.failed.slice(0, 3).join('; ')}` : ''}; their post p99 ${ms(h.post.p99Ms)} (${h.post.samples} deliveries), hide p99 ${ms(h.hide.p99Ms)} (${h.hide.samples})`,
    );
  } else lines.push(`${label}: HAProxy part skipped: haproxy is not installed`);

  // Memory.
  const mem = r.memory;
  const nodePerSocket = mem.nodeKb.map(([a, b], i) => ((b - a) * 1024) / (mem.perNode[i]! - mem.warm[i]!));
  const relayPerSocket = ((mem.relayKb[1] - mem.relayKb[0]) * 1024) / (mem.relaySockets - mem.relayWarm);
  const nodeMean = sum(nodePerSocket) / nodePerSocket.length;
  const rssRatio = nodeMean / relayPerSocket;
  const heapPer = (field: (h: Heap) => number) =>
    kb(sum(mem.nodeHeap.map(([a, b], i) => (field(b) - field(a)) / (mem.perNode[i]! - mem.warm[i]!))) / NODES);
  const relayHeapPer = (field: (h: Heap) => number) =>
    kb((field(mem.relayHeap[1]) - field(mem.relayHeap[0])) / (mem.relaySockets - mem.relayWarm));
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
  lines.push(
    `${label}: idle RSS per socket on a node ${kb(nodeMean)} (${nodePerSocket.map(kb).join(', ')}) vs a bare Socket.IO relay ${kb(relayPerSocket)} (${mem.relaySockets} sockets, side by side) = ${x(rssRatio)} (target <= ${RSS_RATIO_TARGET}x) ${verdict(rssRatio <= RSS_RATIO_TARGET)}`,
    `  per socket, V8 heap used / heap total / outside the heap: on a node ${heapPer((h) => h.heapUsed)} / ${heapPer((h) => h.heapTotal)} / ${heapPer((h) => h.external)}; relay ${relayHeapPer((h) => h.heapUsed)} / ${relayHeapPer((h) => h.heapTotal)} / ${relayHeapPer((h) => h.external)}`,
    `  RSS before/after (MB): nodes ${mem.nodeKb.map(([a, b]) => `${(a / 1024).toFixed(0)}/${(b / 1024).toFixed(0)}`).join(', ')}; relay ${(mem.relayKb[0] / 1024).toFixed(0)}/${(mem.relayKb[1] / 1024).toFixed(0)}`,
    `  idle CPU over ${IDLE_MS / 1000} s (one ping per socket): ${us((sum(mem.idleCpu.nodes) * 1e6) / r.subscribers)} per socket on the nodes (relay ${us((mem.relayIdleCpu * 1e6) / mem.relaySockets)}), Redis ${(mem.idleCpu.redis * 1000).toFixed(0)} ms, database ${(mem.idleCpu.db * 1000).toFixed(0)} ms`,
    `  connecting: ${r.subscribers - sum(mem.warm)} sockets in ${mem.connectSec.toFixed(1)} s beside the relay's; server CPU per connection ${us(((sum(mem.connectCpu.nodes) + mem.connectCpu.db + mem.connectCpu.redis) * 1e6) / (r.subscribers - sum(mem.warm)))} (nodes ${us((sum(mem.connectCpu.nodes) * 1e6) / (r.subscribers - sum(mem.warm)))}, database ${us((mem.connectCpu.db * 1e6) / (r.subscribers - sum(mem.warm)))}, Redis ${us((mem.connectCpu.redis * 1e6) / (r.subscribers - sum(mem.warm)))})`,
  );
  lines.push(`  phases (s): ${r.phases.map(([name, sec]) => `${name} ${sec.toFixed(0)}`).join(', ')}`);
  const warnings = Object.entries(r.warnings);
  if (warnings.length > 0)
    lines.push(`  the nodes logged: ${warnings.map(([msg, n]) => `${n}x "${msg.slice(0, 100)}"`).join('; ')}`);
  return lines;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Wall-clock milliseconds with a fraction, comparable across the bench's processes. */
const now = () => performance.timeOrigin + performance.now();

if (!serveWorker() && require.main === module) {
  nodesBench().then(
    (result) => {
      for (const line of nodesSummary(result)) console.log(line);
    },
    (err: Error) => {
      console.error(`bench: ${err.message}`);
      process.exit(1);
    },
  );
}
