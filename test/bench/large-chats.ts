/**
 * Large chats: what joining, and what a member does, costs as a chat grows. Every client runs in a
 * child process; the server's CPU is this process's and the embedded database's.
 *
 * 1. Join storms. N accounts, each with one socket already open (lean Socket.IO clients, as
 *    fanout.ts's receivers, that also send events and read their acks, BENCH_JOIN_WORKERS processes
 *    holding them), send chat:join to one public chat at once, for each N of BENCH_JOIN_SIZES
 *    (200, 2,000, 10,000): into a fresh channel, and into a group already above LARGE_GROUP_MEMBERS
 *    (that many members written in bulk, its owner and two admins connected). Beside each size, the
 *    baseline: N concurrent `insertOne` of a membership-like document through the driver into a
 *    scratch collection with the memberships' three indexes, the one write a join cannot do without
 *    (INSERT_ROUNDS such storms, the median kept). Figures: joins acked per second against the
 *    inserts' rate (target >= 0.5x) and against the same chat's storm at the smallest N (target: the
 *    largest within 1.5x); ack p50 and p99 against the inserts', and the first ack; member events
 *    delivered per join, counted until MEMBER_COUNT_INTERVAL after the last ack: `member:joined` on
 *    every socket, `chat:members` on the joiners' (the owner and admins hear each count too, counted
 *    apart: that is per announcement, not per join) (target in the large group: at most 1 + its owner
 *    and admins). Then a paced phase: 500 joins a second offered for BENCH_PACED_SEC
 *    seconds into another large group; ack p99 (target under 200 ms) against the same pace of inserts.
 * 2. A BENCH_LARGE_CHAT (100,000) member group against a 100-member group, both written in bulk
 *    (`insertMany` of memberships through the driver, the chat's memberCount set to match): in each,
 *    a join, a post, a history page, chat:list of a member, a mute and a ban by the owner, each the
 *    p50 of BENCH_LARGE_REPS (30) repetitions (joins twice as many) with fresh accounts, the two chats
 *    taking turns; each figure a ratio large / small (target within 2x). The bulk members hold no
 *    sockets: this measures what the chat's size costs the server, not delivering to its sockets
 *    (fanout.ts does that). These clients are socket.io-client, in one child.
 *
 * Accounts are written straight through the model (one bcrypt hash shared by all) and their tokens
 * issued as a login would: registering 10,000 over HTTP would take minutes and measure nothing here.
 * BENCH_LARGE_PROFILE=<dir> writes a CPU profile of this process over the largest group storm there.
 * The server holds one descriptor per socket: sizes that do not fit `ulimit -n` are lowered, and said.
 */
import { fork, type ChildProcess } from 'node:child_process';

import mongoose, { Types } from 'mongoose';
import WebSocket from 'ws';

import { cacheKeys } from '../../handlers/store/authorization-cache';
import { newMembership } from '../../handlers/store/memberships';
import { ChatModel } from '../../models';
import {
  addMembers,
  createAccounts,
  descriptorLimit,
  profiled,
  strangers,
  UNLIMITED_RATES,
  type Account,
} from './bulk';
import {
  connect,
  ownCpuSec,
  percentile,
  processCpuSec,
  runInChild,
  serveChildJobs,
  withBenchServer,
  type BenchServer,
  type ClientSocket,
} from './support';

const JOIN_SIZES = (process.env.BENCH_JOIN_SIZES ?? '200,2000,10000').split(',').map(Number);
const LARGE_CHAT = Number(process.env.BENCH_LARGE_CHAT ?? 100_000);
const SMALL_CHAT = 100;
const REPS = Number(process.env.BENCH_LARGE_REPS ?? 30);
const PACED_RATE = 500;
const PACED_SEC = Number(process.env.BENCH_PACED_SEC ?? 4);
const PROFILE_DIR = process.env.BENCH_LARGE_PROFILE;
/** Processes holding the storms' sockets: each parses its share of the acks and events. */
const WORKERS = Number(process.env.BENCH_JOIN_WORKERS ?? 4);
/** Handshakes one worker keeps in flight while the sockets open. */
const CONNECTS_AT_ONCE = 50;
/** No storm may take longer; joins unacked by then are reported, not waited for. */
const STORM_TIMEOUT_MS = 180_000;
/** Joins of the warm-up storms (into a chat of each kind, not measured). */
const WARM_UP_JOINS = 500;
/** Descriptors the server needs besides its sockets (the database's pool, files, the listener). */
const FD_HEADROOM = 512;
/** Account 0 owns every chat, accounts 1 and 2 are the large groups' admins; joiners come after. */
const OWNER = 0;
const ADMINS = [1, 2];
const FIRST_JOINER = 3;
const SCRATCH = 'bench_join_scratch';
/**
 * Insert storms per size, the median's figures kept: a storm of 200 inserts lasts a few hundred
 * milliseconds, and one stall of the shared machine moved a single one's rate 4x.
 */
const INSERT_ROUNDS = 3;

const RATE_VS_INSERTS_TARGET = 0.5;
const SCALE_TARGET = 1.5;
const PACED_P99_TARGET_MS = 200;
const LARGE_RATIO_TARGET = 2;

const ENV = { BCRYPT_ROUNDS: '4', ...UNLIMITED_RATES };

type ChatKind = 'channel' | 'group';

/** Latency distribution and rate of one burst of operations. */
interface Burst {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** The insertOne baseline: its burst, and the CPU each insert cost the server process and the database. */
interface Inserts extends Burst {
  nodeUs: number;
  dbUs: number;
}

export interface StormFigures extends Burst {
  size: number;
  kind: ChatKind;
  /** The insertOne storm of the same size, just before. */
  inserts: Inserts;
  failed: Record<string, number>;
  unacked: number;
  /** The soonest ack: under a storm, how long even the luckiest join waits. */
  firstAckMs: number;
  /** From the first chat:join sent to the last ack. */
  durationSec: number;
  /** `member:joined` deliveries counted on every socket, per join. */
  joinedPerJoin: number;
  /** `chat:members` deliveries to the joiners' sockets, per join. */
  membersPerJoin: number;
  /** `chat:members` deliveries to the owner's and admins' sockets (per announcement, not per join). */
  staffMembers: number;
  /** `chat:members` announcements (distinct counts heard). */
  announcements: number;
  /** Server CPU per join: this process and the database's. */
  nodeUsPerJoin: number;
  dbUsPerJoin: number;
}

export interface PacedFigures extends Burst {
  joins: number;
  offeredPerSec: number;
  inserts: Inserts;
  failed: Record<string, number>;
  unacked: number;
}

const OPS = ['join', 'post', 'history', 'list', 'mute', 'ban'] as const;
type Op = (typeof OPS)[number];

export interface LargeChatFigures {
  large: number;
  small: number;
  bulkSec: number;
  p50Ms: Record<'large' | 'small', Record<Op, number>>;
  samples: Record<Op, number>;
}

export interface LargeChatsResult {
  adminsHearing: number;
  groupThreshold: number;
  memberCountIntervalMs: number;
  connectSec: number;
  sockets: number;
  note: string | null;
  storms: StormFigures[];
  paced: PacedFigures | null;
  chats: LargeChatFigures | null;
}

export async function largeChatsBench(): Promise<LargeChatsResult> {
  const { sizes, note } = sizesThatFit(JOIN_SIZES.filter((n) => n > 0));
  const pacedJoins = Math.round(PACED_RATE * PACED_SEC);
  const accountsNeeded = FIRST_JOINER + Math.max(0, ...sizes, pacedJoins);
  return withBenchServer(
    'large',
    ENV,
    async (server) => {
      const { groupMembers, memberCountIntervalMs } = server.stoa.services.largeChats;
      const accounts = await createAccounts(server.stoa.services, accountsNeeded, 'j');
      const owner = await connect(server.url, accounts[OWNER]!.token);
      const chats = {
        storms: await Promise.all(
          sizes.map(async (size) => ({
            size,
            channel: await createChat(owner, 'channel', `Storm channel ${size}`),
            group: await createChat(owner, 'group', `Storm group ${size}`),
          })),
        ),
        paced: await createChat(owner, 'group', 'Paced group'),
        warmUp: {
          channel: await createChat(owner, 'channel', 'Warm-up channel'),
          group: await createChat(owner, 'group', 'Warm-up group'),
        },
      };
      // The groups are large before their storm begins: members in bulk, two admins, the owner.
      const largeGroups = [...chats.storms.map((s) => s.group), chats.paced, chats.warmUp.group];
      for (const chatId of largeGroups) {
        await addMembers(chatId, strangers(groupMembers));
        await addMembers(
          chatId,
          ADMINS.map((i) => accounts[i]!.id),
          'admin',
        );
      }
      await forget(
        server,
        largeGroups,
        ADMINS.map((i) => accounts[i]!.id),
      );
      owner.close();
      await createScratch();

      // Every account's socket opens before the first storm: a storm measures joins, not handshakes.
      const connectFrom = now();
      const pool = await SocketPool.open(
        server.url,
        accounts.map((a) => a.token),
      );
      const connectSec = (now() - connectFrom) / 1000;
      const storms: StormFigures[] = [];
      let paced: PacedFigures | null = null;
      const joinerIds = accounts.slice(FIRST_JOINER).map((a) => a.id);
      try {
        // A warm-up storm into each kind of chat, so that the hot path is compiled as in a server up a while.
        const warmUp = Math.min(WARM_UP_JOINS, accounts.length - FIRST_JOINER);
        await insertStorm(server, warmUp);
        await storm(server, pool, joinerIds, chats.warmUp.channel, 'channel', warmUp, null, 0);
        await storm(server, pool, joinerIds, chats.warmUp.group, 'group', warmUp, null, 0);
        for (const { size, channel, group } of chats.storms) {
          const inserts = await insertBaseline(server, size);
          storms.push(await storm(server, pool, joinerIds, channel, 'channel', size, inserts, 0));
          const biggest = size === Math.max(...sizes);
          const measureGroup = () =>
            storm(server, pool, joinerIds, group, 'group', size, inserts, memberCountIntervalMs);
          storms.push(
            await (PROFILE_DIR && biggest
              ? profiled(PROFILE_DIR, `large-chats-join-storm-${size}`, measureGroup)
              : measureGroup()),
          );
        }
        if (pacedJoins > 0)
          paced = await pacedJoinsPhase(server, pool, joinerIds, chats.paced, pacedJoins, memberCountIntervalMs);
      } finally {
        await pool.close();
      }
      const chatFigures = LARGE_CHAT > SMALL_CHAT ? await largeAgainstSmall(server) : null;
      return {
        adminsHearing: 1 + ADMINS.length,
        groupThreshold: groupMembers,
        memberCountIntervalMs,
        connectSec,
        sockets: accounts.length,
        note,
        storms,
        paced,
        chats: chatFigures,
      };
    },
    'warn',
  );
}

/** The join sizes the server's descriptor limit allows; a note when one had to be lowered. */
function sizesThatFit(wanted: number[]): { sizes: number[]; note: string | null } {
  const { limit, said: raw } = descriptorLimit();
  const most = limit - FD_HEADROOM - FIRST_JOINER;
  if (wanted.every((n) => n <= most)) return { sizes: wanted, note: null };
  const sizes = [...new Set(wanted.map((n) => Math.min(n, most)))];
  return {
    sizes,
    note: `ulimit -n is ${raw}: the server holds a descriptor per socket, so at most ${most} joiners; raise it (ulimit -n) for ${Math.max(...wanted)}`,
  };
}

async function createChat(owner: ClientSocket, type: ChatKind, title: string): Promise<string> {
  const created = await owner.emitWithAck('chat:create', { type, title });
  if (!created.ok) throw new Error(`chat:create: ${JSON.stringify(created.error)}`);
  return created.chat.id;
}

/** What the server may have cached about chats written behind its back. */
async function forget(server: BenchServer, chatIds: string[], userIds: string[]): Promise<void> {
  const keys = chatIds.flatMap((chatId) => [
    cacheKeys.chat(chatId),
    cacheKeys.chatAdmins(chatId),
    ...userIds.map((userId) => cacheKeys.membership(chatId, userId)),
  ]);
  await server.stoa.services.realtime.invalidate(keys);
}

// ---------------------------------------------------------------------------------------------
// Baselines: inserts of a membership-like document, through the driver, with the memberships' indexes.

function scratch() {
  return mongoose.connection.db!.collection(SCRATCH);
}

async function createScratch(): Promise<void> {
  await scratch().createIndex({ chatId: 1, userId: 1 }, { unique: true });
  await scratch().createIndex({ userId: 1, status: 1 });
  await scratch().createIndex({ chatId: 1, role: 1, status: 1 });
}

/** A new member's row, every field as a join writes it. */
const membershipLike = (chatId: Types.ObjectId) => newMembership(chatId, new Types.ObjectId(), 'member');

/** INSERT_ROUNDS storms of `size` inserts at once, one after another: the one of median rate. */
async function insertBaseline(server: BenchServer, size: number): Promise<Inserts> {
  const rounds: Inserts[] = [];
  for (let r = 0; r < INSERT_ROUNDS; r += 1) rounds.push(await insertStorm(server, size));
  rounds.sort((a, b) => a.perSec - b.perSec);
  return rounds[Math.floor(rounds.length / 2)]!;
}

/** `size` inserts at once. */
async function insertStorm(server: BenchServer, size: number): Promise<Inserts> {
  const chatId = new Types.ObjectId();
  const latencies: number[] = [];
  const cpu = { node: ownCpuSec(), db: processCpuSec(server.dbPid) };
  const started = now();
  await Promise.all(
    Array.from({ length: size }, async () => {
      const t0 = now();
      await scratch().insertOne(membershipLike(chatId));
      latencies.push(now() - t0);
    }),
  );
  const perSec = size / ((now() - started) / 1000);
  return { ...burst(latencies, perSec), ...cpuPer(server, cpu, size) };
}

/** CPU microseconds per operation of this process and of the database since `from`. */
function cpuPer(server: BenchServer, from: { node: number; db: number }, count: number) {
  return {
    nodeUs: ((ownCpuSec() - from.node) * 1e6) / count,
    dbUs: ((processCpuSec(server.dbPid) - from.db) * 1e6) / count,
  };
}

/** `count` inserts offered at PACED_RATE a second. */
async function pacedInserts(server: BenchServer, count: number): Promise<Inserts> {
  const chatId = new Types.ObjectId();
  const latencies: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  const cpu = { node: ownCpuSec(), db: processCpuSec(server.dbPid) };
  const started = now();
  for (let i = 0; i < count; i += 1) {
    await sleep(started + (i * 1000) / PACED_RATE - now());
    const t0 = now();
    inFlight.push(
      scratch()
        .insertOne(membershipLike(chatId))
        .then(() => void latencies.push(now() - t0)),
    );
  }
  await Promise.all(inFlight);
  const perSec = count / ((now() - started) / 1000);
  return { ...burst(latencies, perSec), ...cpuPer(server, cpu, count) };
}

const burst = (latenciesMs: number[], perSec: number): Burst => ({
  perSec,
  p50Ms: percentile(latenciesMs, 0.5),
  p99Ms: percentile(latenciesMs, 0.99),
});

// ---------------------------------------------------------------------------------------------
// Join storms.

/**
 * The first `size` joiners send chat:join at once; their member events are counted once they stop.
 * Their accounts are not in the server's cache, as when sockets have just connected (a handshake
 * reads the account but does not cache it): every storm starts alike.
 */
async function storm(
  server: BenchServer,
  pool: SocketPool,
  joinerIds: string[],
  chatId: string,
  kind: ChatKind,
  size: number,
  inserts: Inserts | null,
  settleMs: number,
): Promise<StormFigures> {
  const joiners = Array.from({ length: size }, (_, i) => FIRST_JOINER + i);
  await server.stoa.services.realtime.invalidate(joinerIds.slice(0, size).map(cacheKeys.account));
  const cpu = { node: ownCpuSec(), db: processCpuSec(server.dbPid) };
  const reports = await pool.each<JoinReport>((worker, locals) => ({ type: 'join', chatId, locals }), joiners);
  const nodeSec = ownCpuSec() - cpu.node;
  const dbSec = processCpuSec(server.dbPid) - cpu.db;
  const joined = merge(reports);
  // The last chat:members is due one interval after the join that scheduled it.
  await sleep(settleMs + 1000);
  const counts = await pool.counts(chatId);
  return {
    size,
    kind,
    inserts: inserts ?? { perSec: NaN, p50Ms: NaN, p99Ms: NaN, nodeUs: NaN, dbUs: NaN },
    ...burst(joined.latenciesMs, joined.latenciesMs.length / ((joined.lastAck - joined.firstSend) / 1000)),
    failed: joined.failed,
    unacked: joined.unacked,
    firstAckMs: Math.min(...joined.latenciesMs),
    durationSec: (joined.lastAck - joined.firstSend) / 1000,
    joinedPerJoin: counts.joined / size,
    membersPerJoin: (counts.members - counts.staffMembers) / size,
    staffMembers: counts.staffMembers,
    announcements: counts.announced.size,
    nodeUsPerJoin: (nodeSec * 1e6) / size,
    dbUsPerJoin: (dbSec * 1e6) / size,
  };
}

/** PACED_RATE joins a second into a large group, spread over the workers, each paced against one start. */
async function pacedJoinsPhase(
  server: BenchServer,
  pool: SocketPool,
  joinerIds: string[],
  chatId: string,
  joins: number,
  settleMs: number,
): Promise<PacedFigures> {
  const inserts = await pacedInserts(server, joins);
  const joiners = Array.from({ length: joins }, (_, i) => FIRST_JOINER + i);
  await server.stoa.services.realtime.invalidate(joinerIds.slice(0, joins).map(cacheKeys.account));
  const startAt = now() + 500;
  const reports = await pool.each<JoinReport>(
    (worker, locals, globals) => ({
      type: 'paced',
      chatId,
      locals,
      atMs: globals.map((g) => startAt + ((g - FIRST_JOINER) * 1000) / PACED_RATE),
    }),
    joiners,
  );
  const joined = merge(reports);
  await sleep(settleMs + 1000);
  return {
    joins,
    offeredPerSec: (joins - 1) / ((joined.lastSend - joined.firstSend) / 1000),
    ...burst(joined.latenciesMs, joined.latenciesMs.length / ((joined.lastAck - joined.firstSend) / 1000)),
    inserts,
    failed: joined.failed,
    unacked: joined.unacked,
  };
}

function merge(reports: JoinReport[]): JoinReport {
  const failed: Record<string, number> = {};
  for (const report of reports)
    for (const [code, n] of Object.entries(report.failed)) failed[code] = (failed[code] ?? 0) + n;
  const active = reports.filter((r) => r.latenciesMs.length > 0 || r.unacked > 0);
  return {
    latenciesMs: reports.flatMap((r) => r.latenciesMs),
    firstSend: Math.min(...active.map((r) => r.firstSend)),
    lastSend: Math.max(...active.map((r) => r.lastSend)),
    lastAck: Math.max(...active.map((r) => r.lastAck)),
    failed,
    unacked: reports.reduce((sum, r) => sum + r.unacked, 0),
  };
}

// ---------------------------------------------------------------------------------------------
// The socket pool: worker processes holding lean Socket.IO clients, account g on worker g % WORKERS.

const WORKER_FLAG = 'large-chats-worker';

type WorkerCommand =
  | { type: 'open'; url: string; tokens: string[]; staff: number }
  | { type: 'join'; chatId: string; locals: number[] }
  | { type: 'paced'; chatId: string; locals: number[]; atMs: number[] }
  | { type: 'counts'; chatId: string }
  | { type: 'close' };

interface JoinReport {
  latenciesMs: number[];
  firstSend: number;
  lastSend: number;
  lastAck: number;
  failed: Record<string, number>;
  unacked: number;
}

interface EventCounts {
  joined: number;
  members: number;
  /** chat:members heard by the owner's and admins' sockets (they hear the count too, not per join). */
  staffMembers: number;
  left: number;
  /** Each count announced by chat:members. */
  announced: number[];
}

class Worker {
  private readonly pending: Array<{ resolve(reply: unknown): void; reject(err: Error): void }> = [];

  constructor(private readonly child: ChildProcess) {
    child.on('message', (reply) => this.pending.shift()?.resolve(reply));
    child.once('exit', (code) => {
      for (const waiter of this.pending.splice(0)) waiter.reject(new Error(`a socket worker exited with ${code}`));
    });
  }

  request<T>(command: WorkerCommand): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (reply: unknown) => void, reject });
      this.child.send(command);
    });
  }
}

class SocketPool {
  private constructor(private readonly workers: Worker[]) {}

  static async open(url: string, tokens: string[]): Promise<SocketPool> {
    const workers = Array.from(
      { length: Math.max(1, Math.min(WORKERS, tokens.length)) },
      () => new Worker(fork(__filename, [WORKER_FLAG], { stdio: 'inherit' })),
    );
    const pool = new SocketPool(workers);
    await Promise.all(
      workers.map((worker, w) =>
        worker.request({
          type: 'open',
          url,
          tokens: tokens.filter((_, g) => g % workers.length === w),
          // Its first sockets that are the owner's and the admins' (globals below FIRST_JOINER).
          staff: Array.from({ length: FIRST_JOINER }, (_, g) => g).filter((g) => g % workers.length === w).length,
        }),
      ),
    );
    return pool;
  }

  /** One command to each worker holding some of `globals` (account indices), given its local indices of them. */
  async each<T>(
    command: (worker: number, locals: number[], globals: number[]) => WorkerCommand,
    globals: number[],
  ): Promise<T[]> {
    const k = this.workers.length;
    return Promise.all(
      this.workers.map((worker, w) => {
        const mine = globals.filter((g) => g % k === w);
        return worker.request<T>(
          command(
            w,
            mine.map((g) => Math.floor(g / k)),
            mine,
          ),
        );
      }),
    );
  }

  async counts(
    chatId: string,
  ): Promise<{ joined: number; members: number; staffMembers: number; left: number; announced: Set<number> }> {
    const all = await Promise.all(this.workers.map((w) => w.request<EventCounts>({ type: 'counts', chatId })));
    return {
      joined: all.reduce((sum, c) => sum + c.joined, 0),
      members: all.reduce((sum, c) => sum + c.members, 0),
      staffMembers: all.reduce((sum, c) => sum + c.staffMembers, 0),
      left: all.reduce((sum, c) => sum + c.left, 0),
      announced: new Set(all.flatMap((c) => c.announced)),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ type: 'close' }).catch(() => undefined)));
  }
}

/** In a worker: holds its sockets, counts the member events each hears, joins when told. */
function servePoolWorker(): boolean {
  if (process.argv[2] !== WORKER_FLAG) return false;
  const sockets: LeanSocket[] = [];
  const counts = new Map<string, EventCounts>();
  const countsOf = (chatId: string): EventCounts => {
    let c = counts.get(chatId);
    if (!c) counts.set(chatId, (c = { joined: 0, members: 0, staffMembers: 0, left: 0, announced: [] }));
    return c;
  };
  let staff = 0;
  const onEvent = (local: number, event: string, payload: { chatId: string; memberCount?: number }) => {
    const c = countsOf(payload.chatId);
    if (event === 'chat:members' && local < staff) c.staffMembers += 1;
    if (event === 'member:joined') c.joined += 1;
    else if (event === 'member:left') c.left += 1;
    else if (event === 'chat:members') {
      c.members += 1;
      if (!c.announced.includes(payload.memberCount!)) c.announced.push(payload.memberCount!);
    }
  };
  const handle = async (command: WorkerCommand): Promise<object> => {
    switch (command.type) {
      case 'open': {
        const { url, tokens } = command;
        staff = command.staff;
        for (let start = 0; start < tokens.length; start += CONNECTS_AT_ONCE) {
          const batch = tokens.slice(start, start + CONNECTS_AT_ONCE);
          const opened = batch.map((token, i) =>
            LeanSocket.open(url, token, (event, payload) => onEvent(start + i, event, payload)),
          );
          sockets.push(...(await Promise.all(opened)));
        }
        return { opened: sockets.length };
      }
      case 'join':
        return joinAll(
          command.locals.map((l) => sockets[l]!),
          command.chatId,
          command.locals.map(() => 0),
        );
      case 'paced':
        return joinAll(
          command.locals.map((l) => sockets[l]!),
          command.chatId,
          command.atMs,
        );
      case 'counts':
        return countsOf(command.chatId);
      case 'close':
        for (const socket of sockets) socket.close();
        return {};
    }
  };
  process.on('message', (command: WorkerCommand) => {
    handle(command).then(
      (reply) => process.send!(reply, () => command.type === 'close' && process.exit(0)),
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
  return true;
}

/** Each socket sends chat:join at its time (0: at once); resolves when every ack is in, or at the storm's timeout. */
async function joinAll(sockets: LeanSocket[], chatId: string, atMs: number[]): Promise<JoinReport> {
  const report: JoinReport = { latenciesMs: [], firstSend: now(), lastSend: 0, lastAck: 0, failed: {}, unacked: 0 };
  const acks: Array<Promise<void>> = [];
  for (let i = 0; i < sockets.length; i += 1) {
    if (atMs[i]! > 0) await sleep(atMs[i]! - now());
    const t0 = now();
    if (i === 0) report.firstSend = t0;
    report.lastSend = t0;
    acks.push(
      sockets[i]!.emitWithAck('chat:join', { chatId }).then((ack) => {
        report.lastAck = now();
        report.latenciesMs.push(report.lastAck - t0);
        if (!ack.ok) report.failed[ack.error!.code] = (report.failed[ack.error!.code] ?? 0) + 1;
      }),
    );
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(acks), new Promise((resolve) => (timer = setTimeout(resolve, STORM_TIMEOUT_MS)))]);
  clearTimeout(timer);
  report.unacked = sockets.length - report.latenciesMs.length;
  return report;
}

interface Ack {
  ok: boolean;
  error?: { code: string };
}

/**
 * A Socket.IO client with nothing else: engine.io's websocket transport, the CONNECT with the
 * token, pongs, events sent with an ack id and their acks, and the member events handed to
 * `onEvent` (Socket.IO protocol 5 over Engine.IO 4; no binary, no reconnection).
 */
class LeanSocket {
  private nextId = 0;
  private readonly acks = new Map<number, (ack: Ack) => void>();

  private constructor(private readonly ws: WebSocket) {}

  static open(
    url: string,
    token: string,
    onEvent: (event: string, payload: { chatId: string; memberCount?: number }) => void,
  ): Promise<LeanSocket> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const socket = new LeanSocket(ws);
    return new Promise((resolve, reject) => {
      ws.on('message', (data) => {
        const frame = data.toString();
        if (frame === '2') ws.send('3');
        else if (frame.startsWith('43')) {
          const bracket = frame.indexOf('[');
          const id = Number(frame.slice(2, bracket));
          const [ack] = JSON.parse(frame.slice(bracket)) as [Ack];
          socket.acks.get(id)?.(ack);
          socket.acks.delete(id);
        } else if (frame.startsWith('42["member:') || frame.startsWith('42["chat:members"')) {
          const [event, payload] = JSON.parse(frame.slice(2)) as [string, { chatId: string; memberCount?: number }];
          onEvent(event, payload);
        } else if (frame.startsWith('0')) ws.send(`40${JSON.stringify({ token })}`);
        else if (frame.startsWith('40')) resolve(socket);
        else if (frame.startsWith('44')) reject(new Error(`connect_error ${frame.slice(2)}`));
      });
      ws.once('error', reject);
      ws.once('close', () => {
        for (const settle of socket.acks.values()) settle({ ok: false, error: { code: 'closed' } });
        socket.acks.clear();
      });
    });
  }

  emitWithAck(event: string, payload: object): Promise<Ack> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    });
  }

  close(): void {
    this.ws.close();
  }
}

// ---------------------------------------------------------------------------------------------
// A large chat against a small one.

interface ChatOpsJob {
  url: string;
  owner: Account;
  chats: Array<{ chatId: string; joiners: Account[] }>;
  reps: number;
}

type ChatOpsReport = Array<Record<Op, number[]>>;

async function largeAgainstSmall(server: BenchServer): Promise<LargeChatFigures> {
  const [owner, ...fresh] = await createAccounts(server.stoa.services, 1 + 4 * REPS, 'c');
  const ownerSocket = await connect(server.url, owner!.token);
  const large = await createChat(ownerSocket, 'group', 'Large group');
  const small = await createChat(ownerSocket, 'group', 'Small group');
  ownerSocket.close();
  const bulkFrom = now();
  await addMembers(large, strangers(LARGE_CHAT - 1));
  const bulkSec = (now() - bulkFrom) / 1000;
  await addMembers(small, strangers(SMALL_CHAT - 1));
  await forget(server, [large, small], []);
  const counted = await ChatModel.collection
    .find({ _id: { $in: [new Types.ObjectId(large), new Types.ObjectId(small)] } })
    .toArray();
  if (counted.reduce((sum, c) => sum + Number(c.memberCount ?? 0), 0) !== LARGE_CHAT + SMALL_CHAT)
    throw new Error('the bulk members were not counted');

  const job: ChatOpsJob = {
    url: server.url,
    owner: owner!,
    chats: [
      { chatId: large, joiners: fresh.slice(0, 2 * REPS) },
      { chatId: small, joiners: fresh.slice(2 * REPS) },
    ],
    reps: REPS,
  };
  const [largeTimes, smallTimes] = await runInChild<ChatOpsReport>(__filename, job);
  const p50s = (times: Record<Op, number[]>) =>
    Object.fromEntries(OPS.map((op) => [op, percentile(times[op], 0.5)])) as Record<Op, number>;
  return {
    large: LARGE_CHAT,
    small: SMALL_CHAT,
    bulkSec,
    p50Ms: { large: p50s(largeTimes!), small: p50s(smallTimes!) },
    samples: Object.fromEntries(OPS.map((op) => [op, largeTimes![op].length])) as Record<Op, number>,
  };
}

/** In the child: every operation in turn, the two chats alternating which goes first. */
async function chatOpsSide(job: ChatOpsJob): Promise<ChatOpsReport> {
  const owner = await connect(job.url, job.owner.token);
  const members = await Promise.all(job.chats.map((c) => Promise.all(c.joiners.map((j) => connect(job.url, j.token)))));
  const times: ChatOpsReport = job.chats.map(
    () => Object.fromEntries(OPS.map((op) => [op, [] as number[]])) as Record<Op, number[]>,
  );
  const turns = async (count: number, op: Op, act: (c: number, r: number) => Promise<{ ok: boolean }>) => {
    for (let r = 0; r < count; r += 1) {
      for (const c of r % 2 === 0 ? [0, 1] : [1, 0]) {
        const t0 = now();
        const ack = await act(c, r);
        times[c]![op].push(now() - t0);
        if (!ack.ok) throw new Error(`${op}: ${JSON.stringify(ack)}`);
      }
    }
  };
  const chatId = (c: number) => job.chats[c]!.chatId;
  const member = (c: number, r: number) => members[c]![r]!;
  const reason = 'large chats bench';
  await turns(2 * job.reps, 'join', (c, r) => member(c, r).emitWithAck('chat:join', { chatId: chatId(c) }));
  await turns(job.reps, 'post', (c, r) =>
    member(c, r).emitWithAck('message:send', { chatId: chatId(c), text: `post ${r}`, clientMsgId: `post-${r}` }),
  );
  await turns(job.reps, 'history', (c, r) => member(c, r).emitWithAck('message:history', { chatId: chatId(c) }));
  await turns(job.reps, 'list', (c, r) => member(c, r).emitWithAck('chat:list', {}));
  await turns(job.reps, 'mute', (c, r) =>
    owner.emitWithAck('mod:mute', { userId: job.chats[c]!.joiners[r]!.id, chatId: chatId(c), reason }),
  );
  await turns(job.reps, 'ban', (c, r) =>
    owner.emitWithAck('mod:ban', { userId: job.chats[c]!.joiners[job.reps + r]!.id, chatId: chatId(c), reason }),
  );
  owner.close();
  for (const socket of members.flat()) socket.close();
  return times;
}

// ---------------------------------------------------------------------------------------------

/** The lines `npm run bench` prints: a table of the storms, the paced phase, the large chat's ratios. */
export function largeChatsSummary(result: LargeChatsResult): string[] {
  const lines: string[] = [];
  const x = (r: number) => `${r.toFixed(2)}x`;
  const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
  const flag = (ok: boolean, word: string) => (ok ? '' : ` ${word}`);
  const failures = (failed: Record<string, number>, unacked: number) => {
    const parts = Object.entries(failed).map(([code, n]) => `${n} ${code}`);
    if (unacked > 0) parts.push(`${unacked} unacked`);
    return parts.length > 0 ? ` [${parts.join(', ')}]` : '';
  };
  if (result.note) lines.push(`large chats: ${result.note}`);
  else
    lines.push(
      `large chats: join sizes ${[...new Set(result.storms.map((s) => s.size))].join(', ')} (ulimit -n allows them)`,
    );
  lines.push(
    `large chats, join storms: N sockets (${result.sockets} open, opened in ${result.connectSec.toFixed(1)} s) send chat:join at once to a fresh channel, and to a group above LARGE_GROUP_MEMBERS=${result.groupThreshold} (owner and ${ADMINS.length} admins connected); baseline: N concurrent insertOne of a membership through the driver into a scratch collection with the memberships' indexes (median of ${INSERT_ROUNDS} such storms)`,
  );
  const header = [
    'N',
    'chat',
    'joins/s',
    'vs inserts',
    'vs smallest N',
    'ack p50 (vs inserts)',
    'ack p99 (vs inserts)',
  ];
  const rows = result.storms.map((s) => {
    const smallest = result.storms.find((t) => t.kind === s.kind)!;
    return [
      String(s.size),
      s.kind,
      String(Math.round(s.perSec)),
      x(s.perSec / s.inserts.perSec),
      x(s.perSec / smallest.perSec),
      `${ms(s.p50Ms)} (${x(s.p50Ms / s.inserts.p50Ms)})`,
      `${ms(s.p99Ms)} (${x(s.p99Ms / s.inserts.p99Ms)})`,
      `${s.durationSec.toFixed(1)} s, first ack after ${ms(s.firstAckMs)}; member events/join ${(s.joinedPerJoin + s.membersPerJoin).toFixed(2)} (member:joined ${s.joinedPerJoin.toFixed(2)} + chat:members to the joiners ${s.membersPerJoin.toFixed(2)}; ${s.announcements} count(s) announced, heard ${s.staffMembers} times by the owner and admins); CPU/join ${Math.round(s.nodeUsPerJoin)} us server + ${Math.round(s.dbUsPerJoin)} us database = ${x((s.nodeUsPerJoin + s.dbUsPerJoin) / (s.inserts.nodeUs + s.inserts.dbUs))} an insert's (${Math.round(s.inserts.nodeUs)} + ${Math.round(s.inserts.dbUs)} us); inserts ${Math.round(s.inserts.perSec)}/s${failures(s.failed, s.unacked)}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const row = (cells: string[]) =>
    `  ${cells.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i]!) : cell)).join('  ')}`;
  lines.push(row(header), ...rows.map(row));
  for (const kind of ['channel', 'group'] as const) {
    const of = result.storms.filter((s) => s.kind === kind);
    if (of.length === 0) continue;
    const [smallest, largest] = [of[0]!, of[of.length - 1]!];
    const scale = largest.perSec / smallest.perSec;
    const worst = Math.min(...of.map((s) => s.perSec / s.inserts.perSec));
    lines.push(
      `  ${kind}: joins/s at ${largest.size} ${x(scale)} the rate at ${smallest.size} (target within ${SCALE_TARGET}x: >= ${x(1 / SCALE_TARGET)})${flag(scale >= 1 / SCALE_TARGET, 'UNDER')}; lowest joins/s against the inserts' ${x(worst)} (target >= ${x(RATE_VS_INSERTS_TARGET)})${flag(worst >= RATE_VS_INSERTS_TARGET, 'UNDER')}`,
    );
  }
  const groups = result.storms.filter((s) => s.kind === 'group');
  if (groups.length > 0) {
    const most = Math.max(...groups.map((s) => s.joinedPerJoin + s.membersPerJoin));
    lines.push(
      `  group above the threshold: at most ${most.toFixed(2)} member events per join (target <= 1 + ${result.adminsHearing} owner and admins = ${1 + result.adminsHearing})${flag(most <= 1 + result.adminsHearing + 1e-9, 'OVER')}; chat:members at most once per ${result.memberCountIntervalMs} ms, to every socket of the group (the owner's and admins' too, counted apart)`,
    );
  }
  if (result.paced) {
    const p = result.paced;
    const capacity = Math.max(0, ...result.storms.map((s) => s.perSec));
    lines.push(
      `large chats, paced joins: ${p.joins} joins offered at ${Math.round(p.offeredPerSec)}/s into a large group, acked at ${Math.round(p.perSec)}/s: ack p99 ${ms(p.p99Ms)} (target < ${PACED_P99_TARGET_MS} ms)${flag(p.p99Ms < PACED_P99_TARGET_MS, 'OVER')}, ${x(p.p99Ms / p.inserts.p99Ms)} the p99 of insertOne at the same pace (${ms(p.inserts.p99Ms)}); p50 ${ms(p.p50Ms)} (${x(p.p50Ms / p.inserts.p50Ms)})${failures(p.failed, p.unacked)}${p.offeredPerSec > capacity ? `; the pace is above the most joins/s any storm reached here (${Math.round(capacity)}/s), so joins queue` : ''}`,
    );
  }
  if (result.chats) {
    const c = result.chats;
    lines.push(
      `large chats, a ${c.large}-member group against a ${c.small}-member group (members written in bulk, ${c.bulkSec.toFixed(1)} s for the large one; p50 of ${c.samples.post} each, joins ${c.samples.join}): large / small (target <= ${LARGE_RATIO_TARGET}x)`,
    );
    for (const op of OPS) {
      const ratio = c.p50Ms.large[op] / c.p50Ms.small[op];
      lines.push(
        `  ${op.padEnd(7)} ${x(ratio).padStart(6)}  (${ms(c.p50Ms.large[op])} vs ${ms(c.p50Ms.small[op])})${flag(ratio <= LARGE_RATIO_TARGET, 'OVER')}`,
      );
    }
  }
  return lines;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Wall-clock milliseconds with a fraction, comparable across the bench's processes. */
const now = () => performance.timeOrigin + performance.now();

if (
  !servePoolWorker() &&
  !serveChildJobs<ChatOpsJob>(__filename, (job) => chatOpsSide(job)) &&
  require.main === module
) {
  largeChatsBench().then(
    (result) => {
      for (const line of largeChatsSummary(result)) console.log(line);
    },
    (err: Error) => {
      console.error(`bench: ${err.message}`);
      process.exit(1);
    },
  );
}
