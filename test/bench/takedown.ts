/**
 * Takedown and purge: what closing a large chat and purging someone's messages cost, each against
 * a baseline measured in the same run.
 *
 * 1. Closing a chat. BENCH_CLOSE_MEMBERS (10,000) members of one group, written in bulk, each with a
 *    socket open (lean Socket.IO clients, as fanout.ts's receivers, WORKERS child processes holding
 *    them). Each round, after a warm-up round: the group's owner posts (message:new, timed from the
 *    emit to each socket's receipt), then a platform moderator sends mod:chat-close (chat:closed,
 *    timed the same way), then mod:chat-reopen (waited for, not timed). Figures: chat:closed p50 and
 *    p99 against message:new's (target: p99 within 2x; the median of the rounds' ratios decides, as
 *    in fanout.ts, with the pooled figures beside it), and the database commands the server sends
 *    from the close's emit until every member has heard it, per round and for a 20-member chat
 *    (the same count whatever the size).
 * 2. Purging. BENCH_PURGE_MESSAGES (100,000) messages of one person over 100 chats, inserted in bulk
 *    (MessageModel.insertMany, distinct seqs per chat, sent a week ago), purged everywhere by a
 *    platform moderator with mod:purge: messages purged per second from the ack to the job's
 *    `finishedAt` (polled with mod:job), against a plain `updateMany({senderId}, {$set: {hidden}})`
 *    through the driver over an equal fresh set of documents (target >= 0.5x). Meanwhile
 *    TRAFFIC_MEMBERS members in each of TRAFFIC_CHATS other chats exchange TRAFFIC_HZ messages a
 *    second per chat (socket.io-client, one child process): their delivery p99 during the purge
 *    against the BENCH_PURGE_BEFORE_MS before it (target within 2x); the p99 during the plain
 *    updateMany is printed beside it, for scale.
 *
 * Accounts are written straight through the model and their tokens issued as a login would
 * (large-chats.ts does the same). The driver reports commands only when asked to at connection
 * (support.ts does not ask), so the close bench reconnects mongoose with `monitorCommands` before
 * anything else. BENCH_TAKEDOWN_PROFILE=<dir> writes CPU profiles of the server over the measured
 * closes and over the purge there. The server holds one descriptor per socket: a member count that
 * does not fit `ulimit -n` is lowered, and said.
 */
import { fork, type ChildProcess } from 'node:child_process';

import mongoose, { Types } from 'mongoose';
import WebSocket from 'ws';

import { cacheKeys } from '../../handlers/store/authorization-cache';
import { ChatModel, MessageModel } from '../../models';
import { addMembers, createAccounts, descriptorLimit, profiled, strangers, UNLIMITED_RATES } from './bulk';
import {
  connect,
  ownCpuSec,
  percentile,
  processCpuSec,
  withBenchServer,
  type BenchServer,
  type ClientSocket,
} from './support';

const CLOSE_MEMBERS = Number(process.env.BENCH_CLOSE_MEMBERS ?? 10_000);
const CLOSE_ROUNDS = Number(process.env.BENCH_CLOSE_ROUNDS ?? 5);
const SMALL_CHAT = 20;
const PURGE_MESSAGES = Number(process.env.BENCH_PURGE_MESSAGES ?? 100_000);
const PURGE_CHATS = 100;
const TRAFFIC_CHATS = 3;
const TRAFFIC_MEMBERS = 4;
const TRAFFIC_HZ = 10;
const BEFORE_MS = Number(process.env.BENCH_PURGE_BEFORE_MS ?? 10_000);
const PROFILE_DIR = process.env.BENCH_TAKEDOWN_PROFILE;
/** Processes holding the members' sockets: each parses its share of the broadcasts. */
const WORKERS = 4;
/** Handshakes one worker keeps in flight while the sockets open. */
const CONNECTS_AT_ONCE = 50;
/** Descriptors the server needs besides its sockets (the database's pool, files, the listener). */
const FD_HEADROOM = 512;
/** Documents per insertMany when filling the database. */
const BULK_BATCH = 5_000;
/** No broadcast may take longer to reach every member; what has not arrived by then is reported. */
const DELIVERY_TIMEOUT_MS = 120_000;
/** How often the purge's job is asked for its status. */
const POLL_MS = 100;

const CLOSE_P99_TARGET = 2;
const PURGE_RATE_TARGET = 0.5;
const TRAFFIC_P99_TARGET = 2;

const ENV = { BCRYPT_ROUNDS: '4', ...UNLIMITED_RATES };

interface Latencies {
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

export interface CloseRound {
  message: Latencies;
  closed: Latencies;
  /** Database commands from the close's emit until every member heard it, by name and collection. */
  commands: Record<string, number>;
  closeAckMs: number;
  postAckMs: number;
}

export interface CloseFigures {
  members: number;
  note: string | null;
  connectSec: number;
  rounds: CloseRound[];
  message: Latencies;
  closed: Latencies;
  smallCommands: Record<string, number>;
  undelivered: number;
}

export interface PurgeFigures {
  messages: number;
  chats: number;
  insertSec: number;
  baselineSec: number;
  /** CPU seconds of the server process and of the database's over the baseline, and over the purge (emit to done). */
  baselineCpuSec: { node: number; db: number };
  purgeCpuSec: { node: number; db: number };
  purgeWallSec: number;
  /** From the mod:purge emit to its ack (the scope counted, the action and the job written). */
  ackMs: number;
  /** From the ack to the job's finishedAt. */
  jobSec: number;
  done: number;
  status: string;
  hiddenAfter: number;
  traffic: { before: Latencies; during: Latencies; baseline: Latencies; failed: number };
}

export interface TakedownResult {
  close: CloseFigures;
  purge: PurgeFigures;
}

export async function takedownBench(): Promise<TakedownResult> {
  const close = await closeBench();
  const purge = await purgeBench();
  return { close, purge };
}

// ---------------------------------------------------------------------------------------------
// 1. Closing a chat with every member connected.

async function closeBench(): Promise<CloseFigures> {
  const { members, note } = membersThatFit(CLOSE_MEMBERS);
  return withBenchServer(
    'takedown',
    ENV,
    async (server) => {
      await monitorCommands();
      const [owner, moderator, ...people] = await createAccounts(server.stoa.services, members + 2, 'k', (i) =>
        i === 1 ? 'moderator' : 'user',
      );
      const ownerSocket = await connect(server.url, owner!.token);
      const moderatorSocket = await connect(server.url, moderator!.token);
      const chatId = await createChat(ownerSocket, 'Takedown');
      const smallChatId = await createChat(ownerSocket, 'Small takedown');
      await addMembers(
        chatId,
        people.map((p) => new Types.ObjectId(p.id)),
      );
      await addMembers(smallChatId, strangers(SMALL_CHAT - 1));
      await server.stoa.services.realtime.invalidate([cacheKeys.chat(chatId), cacheKeys.chat(smallChatId)]);

      const connectFrom = now();
      const pool = await SocketPool.open(
        server.url,
        people.map((p) => p.token),
      );
      const connectSec = (now() - connectFrom) / 1000;
      const reason = 'takedown bench';
      const postAt: number[] = [];
      const closeAt: number[] = [];
      const rounds: Array<Omit<CloseRound, 'message' | 'closed'>> = [];
      let smallCommands: Record<string, number> = {};
      let undelivered = 0;
      const measured = async () => {
        for (let r = 0; r <= CLOSE_ROUNDS; r += 1) {
          const postFrom = now();
          postAt.push(postFrom);
          const posted = await ownerSocket.emitWithAck('message:send', {
            chatId,
            text: `${TAG}:${r}`,
            clientMsgId: `post-${r}`,
          });
          const postAckMs = now() - postFrom;
          if (!posted.ok) throw new Error(`message:send: ${JSON.stringify(posted.error)}`);
          undelivered += await pool.waitFor('message', members * (r + 1));

          const seen = countCommands();
          const closeFrom = now();
          closeAt.push(closeFrom);
          const closed = await moderatorSocket.emitWithAck('mod:chat-close', { chatId, category: 'spam', reason });
          const closeAckMs = now() - closeFrom;
          if (!closed.ok) throw new Error(`mod:chat-close: ${JSON.stringify(closed.error)}`);
          undelivered += await pool.waitFor('closed', members * (r + 1));
          await sleep(200);
          const commands = seen.stop();
          rounds.push({ commands, closeAckMs, postAckMs });

          const reopened = await moderatorSocket.emitWithAck('mod:chat-reopen', { chatId, reason });
          if (!reopened.ok) throw new Error(`mod:chat-reopen: ${JSON.stringify(reopened.error)}`);
          undelivered += await pool.waitFor('reopened', members * (r + 1));

          if (r === 0) {
            // The small chat is closed once and reopened first, so that its facts are cached as the large one's are.
            const closeSmall = async () => {
              const ack = await moderatorSocket.emitWithAck('mod:chat-close', {
                chatId: smallChatId,
                category: 'spam',
                reason,
              });
              if (!ack.ok) throw new Error(`mod:chat-close: ${JSON.stringify(ack.error)}`);
            };
            await closeSmall();
            const reopenedSmall = await moderatorSocket.emitWithAck('mod:chat-reopen', { chatId: smallChatId, reason });
            if (!reopenedSmall.ok) throw new Error(`mod:chat-reopen: ${JSON.stringify(reopenedSmall.error)}`);
            // And a post first, as in the large chat, whose close follows its post (the chat's facts read back into the cache).
            const posted = await ownerSocket.emitWithAck('message:send', {
              chatId: smallChatId,
              text: 'before the close',
              clientMsgId: 'small-post',
            });
            if (!posted.ok) throw new Error(`message:send: ${JSON.stringify(posted.error)}`);
            await sleep(200);
            const small = countCommands();
            await closeSmall();
            await sleep(200);
            smallCommands = small.stop();
          }
        }
      };
      try {
        await (PROFILE_DIR ? profiled(PROFILE_DIR, 'takedown-closes', measured) : measured());
        const arrivals = await pool.arrivals();
        const latencies = (kind: 'message' | 'closed', r: number, from: number[]) =>
          (arrivals[`${kind}:${r}`] ?? []).map((at) => at - from[r]!);
        // Round 0 is the warm-up.
        const measuredRounds = rounds.slice(1).map((round, i) => ({
          ...round,
          message: latencyOf(latencies('message', i + 1, postAt)),
          closed: latencyOf(latencies('closed', i + 1, closeAt)),
        }));
        const all = (kind: 'message' | 'closed', from: number[]) =>
          latencyOf(Array.from({ length: CLOSE_ROUNDS }, (_, i) => latencies(kind, i + 1, from)).flat());
        return {
          members,
          note,
          connectSec,
          rounds: measuredRounds,
          message: all('message', postAt),
          closed: all('closed', closeAt),
          smallCommands,
          undelivered,
        };
      } finally {
        await pool.close();
        ownerSocket.close();
        moderatorSocket.close();
      }
    },
    'warn',
  );
}

const TAG = 'takedown';

/** The member count the server's descriptor limit allows; a note when it had to be lowered. */
function membersThatFit(wanted: number): { members: number; note: string | null } {
  const { limit, said: raw } = descriptorLimit();
  const most = limit - FD_HEADROOM;
  if (wanted <= most) return { members: wanted, note: null };
  return {
    members: most,
    note: `ulimit -n is ${raw}: the server holds a descriptor per socket, so ${most} members, not ${wanted}`,
  };
}

/**
 * The driver sends command events only on connections opened with `monitorCommands`: mongoose is
 * reconnected with it to the same database (the server holds no connection of its own).
 */
async function monitorCommands(): Promise<void> {
  const { host, port, name } = mongoose.connection;
  await mongoose.disconnect();
  await mongoose.connect(`mongodb://${host}:${port}/`, {
    dbName: name,
    autoIndex: false,
    serverSelectionTimeoutMS: 10_000,
    monitorCommands: true,
  });
}

interface CommandEvent {
  commandName: string;
  command: Record<string, unknown>;
}

/** Counts the commands the server's driver starts from now until `stop`, by name and collection. */
function countCommands(): { stop(): Record<string, number> } {
  const client = mongoose.connection.getClient();
  const counts: Record<string, number> = {};
  const listener = (event: CommandEvent) => {
    const target = event.command[event.commandName];
    const key = typeof target === 'string' ? `${event.commandName} ${target}` : event.commandName;
    counts[key] = (counts[key] ?? 0) + 1;
  };
  client.on('commandStarted', listener);
  return {
    stop() {
      client.off('commandStarted', listener);
      return counts;
    },
  };
}

const totalOf = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

async function createChat(owner: ClientSocket, title: string): Promise<string> {
  const created = await owner.emitWithAck('chat:create', { type: 'group', title });
  if (!created.ok) throw new Error(`chat:create: ${JSON.stringify(created.error)}`);
  return created.chat.id;
}

function latencyOf(values: number[]): Latencies {
  return { p50Ms: percentile(values, 0.5), p99Ms: percentile(values, 0.99), samples: values.length };
}

// ---------------------------------------------------------------------------------------------
// 2. Purging someone's messages while members chat elsewhere.

async function purgeBench(): Promise<PurgeFigures> {
  return withBenchServer(
    'purge',
    ENV,
    async (server) => {
      const [moderator, purged, baseline, ...talkers] = await createAccounts(
        server.stoa.services,
        3 + TRAFFIC_CHATS * TRAFFIC_MEMBERS,
        'p',
        (i) => (i === 0 ? 'moderator' : 'user'),
      );
      const chatIds = Array.from({ length: PURGE_CHATS }, () => new Types.ObjectId());
      const weekAgo = new Date(Date.now() - 7 * 86_400_000);
      await ChatModel.collection.insertMany(
        chatIds.map((_id, i) => ({
          _id,
          type: 'group',
          title: `Purge ${i}`,
          description: '',
          visibility: 'public',
          ownerId: new Types.ObjectId(baseline!.id),
          slowModeSec: 0,
          inviteCode: null,
          createdAt: weekAgo,
          memberCount: 0,
          announcedCount: null,
          announcedAt: null,
          closed: null,
        })),
      );
      for (const chatId of chatIds) {
        await addMembers(chatId, [new Types.ObjectId(baseline!.id), new Types.ObjectId(purged!.id)]);
      }
      const insertFrom = now();
      const perChat = Math.ceil(PURGE_MESSAGES / PURGE_CHATS);
      // The purged person's messages take seqs 1..perChat of each chat, the baseline's the next perChat.
      await insertMessages(purged!.id, chatIds, 0, weekAgo);
      await insertMessages(baseline!.id, chatIds, perChat, weekAgo);
      const insertSec = (now() - insertFrom) / 1000;

      // The members who chat elsewhere: TRAFFIC_CHATS groups, each of TRAFFIC_MEMBERS.
      const trafficChats: TrafficJob['chats'] = [];
      for (let c = 0; c < TRAFFIC_CHATS; c += 1) {
        const group = talkers.slice(c * TRAFFIC_MEMBERS, (c + 1) * TRAFFIC_MEMBERS);
        const first = await connect(server.url, group[0]!.token);
        const chatId = await createChat(first, `Elsewhere ${c}`);
        first.close();
        for (const member of group.slice(1)) {
          const socket = await connect(server.url, member.token);
          const joined = await socket.emitWithAck('chat:join', { chatId });
          socket.close();
          if (!joined.ok) throw new Error(`chat:join: ${JSON.stringify(joined.error)}`);
        }
        trafficChats.push({ chatId, tokens: group.map((m) => m.token) });
      }

      const moderatorSocket = await connect(server.url, moderator!.token);
      const traffic = new Child('traffic');
      try {
        await traffic.request({ type: 'start', url: server.url, chats: trafficChats } satisfies TrafficCommand);
        await sleep(2000); // warm-up, not counted
        const beforeFrom = now();
        await sleep(BEFORE_MS);
        const beforeTo = now();

        // The baseline: one updateMany of an equal set of fresh documents, as plain as it gets.
        const baselineCpu = cpuOf(server);
        const baselineFrom = now();
        const updated = await MessageModel.collection.updateMany(
          { senderId: new Types.ObjectId(baseline!.id) },
          {
            $set: {
              hidden: {
                at: new Date(),
                by: moderator!.id,
                byRole: 'platform_moderator',
                reason: 'baseline',
                actionId: new Types.ObjectId(),
              },
            },
          },
        );
        const baselineTo = now();
        const baselineCpuSec = cpuSince(server, baselineCpu);
        if (updated.modifiedCount !== perChat * PURGE_CHATS)
          throw new Error(`the baseline hid ${updated.modifiedCount} of ${perChat * PURGE_CHATS} messages`);
        await sleep(2000);

        const purge = async () => {
          const emitAt = now();
          const started = await moderatorSocket.emitWithAck('mod:purge', {
            userId: purged!.id,
            reason: 'takedown bench purge',
          });
          const ackAt = now();
          const ackWall = Date.now();
          if (!started.ok || !('job' in started)) throw new Error(`mod:purge: ${JSON.stringify(started)}`);
          const jobId = started.job.id;
          for (;;) {
            await sleep(POLL_MS);
            const polled = await moderatorSocket.emitWithAck('mod:job', { jobId });
            if (!polled.ok) throw new Error(`mod:job: ${JSON.stringify(polled.error)}`);
            const { job } = polled;
            if (job.status !== 'running') {
              const doneAt = now();
              const finishedMs = job.finishedAt ? new Date(job.finishedAt).getTime() - ackWall : doneAt - ackAt;
              return { emitAt, ackAt, doneAt, jobSec: finishedMs / 1000, done: job.done, status: job.status };
            }
          }
        };
        const purgeCpu = cpuOf(server);
        const run = await (PROFILE_DIR ? profiled(PROFILE_DIR, 'takedown-purge', purge) : purge());
        const purgeCpuSec = cpuSince(server, purgeCpu);
        await sleep(1000);
        const { samples, failed } = await traffic.request<TrafficReport>({ type: 'stop' });
        const within = (from: number, to: number) =>
          latencyOf(samples.filter(([sentAt]) => sentAt >= from && sentAt < to).map(([, latency]) => latency));
        const hiddenAfter = await MessageModel.collection.countDocuments({
          senderId: new Types.ObjectId(purged!.id),
          hidden: { $ne: null },
        });
        return {
          messages: perChat * PURGE_CHATS,
          chats: PURGE_CHATS,
          insertSec,
          baselineSec: (baselineTo - baselineFrom) / 1000,
          baselineCpuSec,
          purgeCpuSec,
          purgeWallSec: (run.doneAt - run.emitAt) / 1000,
          ackMs: run.ackAt - run.emitAt,
          jobSec: run.jobSec,
          done: run.done,
          status: run.status,
          hiddenAfter,
          traffic: {
            before: within(beforeFrom, beforeTo),
            during: within(run.emitAt, run.doneAt),
            baseline: within(baselineFrom, baselineTo),
            failed,
          },
        };
      } finally {
        traffic.kill();
        moderatorSocket.close();
      }
    },
    'warn',
  );
}

const cpuOf = (server: BenchServer) => ({ node: ownCpuSec(), db: processCpuSec(server.dbPid) });
const cpuSince = (server: BenchServer, from: { node: number; db: number }) => {
  const to = cpuOf(server);
  return { node: to.node - from.node, db: to.db - from.db };
};

/** perChat messages of `senderId` in each chat, seqs from `seqOffset + 1`, through the model in bulk. */
async function insertMessages(senderId: string, chatIds: Types.ObjectId[], seqOffset: number, from: Date) {
  const sender = new Types.ObjectId(senderId);
  const total = Math.ceil(PURGE_MESSAGES / chatIds.length) * chatIds.length;
  for (let start = 0; start < total; start += BULK_BATCH) {
    const docs = Array.from({ length: Math.min(BULK_BATCH, total - start) }, (_, k) => {
      const i = start + k;
      const seq = seqOffset + Math.floor(i / chatIds.length) + 1;
      return {
        chatId: chatIds[i % chatIds.length]!,
        seq,
        senderId: sender,
        text: `bulk message ${i} of the takedown bench, long enough to look like a sentence someone wrote`,
        clientMsgId: `bulk-${seq}`,
        createdAt: new Date(from.getTime() + i),
        editedAt: null,
        deletedAt: null,
        hidden: null,
      };
    });
    await MessageModel.insertMany(docs, { lean: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes: the members' sockets (lean clients), and the members chatting elsewhere.

const WORKER_FLAG = 'takedown-worker';

type EventKind = 'message' | 'closed' | 'reopened';

type PoolCommand =
  { type: 'open'; url: string; tokens: string[] } | { type: 'counts' } | { type: 'arrivals' } | { type: 'close' };

interface TrafficJob {
  url: string;
  chats: Array<{ chatId: string; tokens: string[] }>;
}

type TrafficCommand = ({ type: 'start' } & TrafficJob) | { type: 'stop' };

interface TrafficReport {
  /** [sent at, delivery latency] per delivery to a member other than the sender. */
  samples: Array<[number, number]>;
  failed: number;
}

/** A child process of this file, answering one command at a time. */
class Child {
  private readonly process: ChildProcess;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();

  constructor(role: 'sockets' | 'traffic') {
    this.process = fork(__filename, [WORKER_FLAG, role], { stdio: 'inherit' });
    this.process.on('message', (raw) => {
      const { id, reply } = raw as { id: number; reply: unknown };
      this.pending.get(id)?.resolve(reply);
      this.pending.delete(id);
    });
    this.process.once('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`takedown ${role} child exited with ${code}`));
      this.pending.clear();
    });
  }

  request<T>(command: object): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ id, command });
    });
  }

  kill(): void {
    if (this.process.exitCode === null) this.process.kill();
  }
}

/** WORKERS children holding the members' sockets, token t on child t % WORKERS. */
class SocketPool {
  private constructor(private readonly workers: Child[]) {}

  static async open(url: string, tokens: string[]): Promise<SocketPool> {
    const workers = Array.from({ length: Math.max(1, Math.min(WORKERS, tokens.length)) }, () => new Child('sockets'));
    await Promise.all(
      workers.map((worker, w) =>
        worker.request({ type: 'open', url, tokens: tokens.filter((_, t) => t % workers.length === w) }),
      ),
    );
    return new SocketPool(workers);
  }

  async counts(): Promise<Record<EventKind, number>> {
    const all = await Promise.all(this.workers.map((w) => w.request<Record<EventKind, number>>({ type: 'counts' })));
    const sum = (kind: EventKind) => all.reduce((total, c) => total + c[kind], 0);
    return { message: sum('message'), closed: sum('closed'), reopened: sum('reopened') };
  }

  /** Waits until `total` events of `kind` have arrived in all; how many had not, at the timeout. */
  async waitFor(kind: EventKind, total: number): Promise<number> {
    const deadline = now() + DELIVERY_TIMEOUT_MS;
    for (;;) {
      const got = (await this.counts())[kind];
      if (got >= total) return 0;
      if (now() > deadline) return total - got;
      await sleep(20);
    }
  }

  /** Every arrival time, by `<kind>:<round>`. */
  async arrivals(): Promise<Record<string, number[]>> {
    const all = await Promise.all(this.workers.map((w) => w.request<Record<string, number[]>>({ type: 'arrivals' })));
    const merged: Record<string, number[]> = {};
    for (const one of all) for (const [key, times] of Object.entries(one)) (merged[key] ??= []).push(...times);
    return merged;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ type: 'close' }).catch(() => undefined)));
  }
}

/** In a child of this file: serves the commands of its role. False in any other process. */
function serveWorker(): boolean {
  if (process.argv[2] !== WORKER_FLAG) return false;
  const handle = (process.argv[3] === 'sockets' ? socketsWorker() : trafficWorker()) as (
    command: object,
  ) => Promise<object>;
  process.on('message', (raw) => {
    const { id, command } = raw as { id: number; command: { type: string } };
    handle(command).then(
      (reply) => process.send!({ id, reply }, () => command.type === 'close' && process.exit(0)),
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
  return true;
}

function socketsWorker(): (command: PoolCommand) => Promise<object> {
  const sockets: WebSocket[] = [];
  const counts: Record<EventKind, number> = { message: 0, closed: 0, reopened: 0 };
  const arrivals: Record<string, number[]> = {};
  const arrived = (key: string, at: number) => (arrivals[key] ??= []).push(at);
  return async (command) => {
    switch (command.type) {
      case 'open': {
        for (let start = 0; start < command.tokens.length; start += CONNECTS_AT_ONCE) {
          const batch = command.tokens.slice(start, start + CONNECTS_AT_ONCE).map((token) => {
            let closedSeen = 0;
            return leanMember(command.url, token, (event, at, frame) => {
              if (event === 'message') {
                const [, payload] = JSON.parse(frame.slice(2)) as [string, { message: { text: string } }];
                const [tag, round] = payload.message.text.split(':');
                if (tag !== TAG) return;
                arrived(`message:${round}`, at);
              } else if (event === 'closed') arrived(`closed:${closedSeen++}`, at);
              counts[event] += 1;
            });
          });
          sockets.push(...(await Promise.all(batch)));
        }
        return { opened: sockets.length };
      }
      case 'counts':
        return counts;
      case 'arrivals':
        return arrivals;
      case 'close':
        for (const socket of sockets) socket.close();
        return {};
    }
  };
}

const EVENTS: Array<[string, EventKind]> = [
  ['42["message:new"', 'message'],
  ['42["chat:closed"', 'closed'],
  ['42["chat:reopened"', 'reopened'],
];

/**
 * A member's Socket.IO client with nothing else: engine.io's websocket transport, the CONNECT with
 * the token, pongs, and the three events timed here handed to `onEvent` with their arrival time
 * (Socket.IO protocol 5 over Engine.IO 4; no acks, binary or reconnection).
 */
function leanMember(
  url: string,
  token: string,
  onEvent: (event: EventKind, at: number, frame: string) => void,
): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const at = now();
      const frame = data.toString();
      if (frame === '2') ws.send('3');
      else if (frame.startsWith('42')) {
        const known = EVENTS.find(([prefix]) => frame.startsWith(prefix));
        if (known) onEvent(known[1], at, frame);
      } else if (frame.startsWith('0')) ws.send(`40${JSON.stringify({ token })}`);
      else if (frame.startsWith('40')) resolve(ws);
      else if (frame.startsWith('44')) reject(new Error(`connect_error ${frame.slice(2)}`));
    });
    ws.once('error', reject);
  });
}

function trafficWorker(): (command: TrafficCommand) => Promise<object> {
  let sending = true;
  let loops: Array<Promise<void>> = [];
  let sockets: ClientSocket[] = [];
  const report: TrafficReport = { samples: [], failed: 0 };
  return async (command) => {
    if (command.type === 'start') {
      const tag = `traffic${Date.now()}`;
      const chats = await Promise.all(
        command.chats.map(async (chat) => {
          const members = await Promise.all(chat.tokens.map((token) => connect(command.url, token)));
          members.forEach((socket, m) =>
            socket.on('message:new', ({ message }) => {
              const [messageTag, sender, sentAt] = message.text.split(':');
              if (messageTag !== tag || Number(sender) === m) return;
              report.samples.push([Number(sentAt), now() - Number(sentAt)]);
            }),
          );
          return { chatId: chat.chatId, members };
        }),
      );
      sockets = chats.flatMap((c) => c.members);
      // Each chat: TRAFFIC_HZ messages a second, its members taking turns, paced against one start.
      loops = chats.map(async ({ chatId, members }, c) => {
        const started = now() + (c * 1000) / TRAFFIC_HZ / chats.length;
        for (let n = 0; sending; n += 1) {
          await sleep(started + (n * 1000) / TRAFFIC_HZ - now());
          if (!sending) break;
          const m = n % members.length;
          void members[m]!.emitWithAck('message:send', {
            chatId,
            text: `${tag}:${m}:${now()}`,
            clientMsgId: `${tag}-${n}`,
          }).then((ack) => {
            if (!ack.ok) report.failed += 1;
          });
        }
      });
      return { started: true };
    }
    sending = false;
    await Promise.all(loops);
    await sleep(1000);
    for (const socket of sockets) socket.close();
    return report;
  };
}

// ---------------------------------------------------------------------------------------------

/** The lines `npm run bench` prints for this benchmark, each figure with its target. */
export function takedownSummary({ close, purge }: TakedownResult): string[] {
  const x = (r: number) => `${r.toFixed(2)}x`;
  const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const lines: string[] = [];

  const label = `takedown (${close.members} connected members)`;
  if (close.note) lines.push(`${label}: ${close.note}`);
  const p99Ratios = close.rounds.map((r) => r.closed.p99Ms / r.message.p99Ms);
  const p50Ratios = close.rounds.map((r) => r.closed.p50Ms / r.message.p50Ms);
  const p99Ratio = percentile(p99Ratios, 0.5);
  const each = (ratios: number[]) => ratios.map(x).join(', ');
  lines.push(
    `${label}: chat:closed p99 ${x(p99Ratio)} a message:new broadcast's, median of ${close.rounds.length} rounds (${each(p99Ratios)}); pooled ${ms(close.closed.p99Ms)} vs ${ms(close.message.p99Ms)} = ${x(close.closed.p99Ms / close.message.p99Ms)} (target <= ${CLOSE_P99_TARGET}x) ${verdict(p99Ratio <= CLOSE_P99_TARGET)}`,
    `${label}: chat:closed p50 ${x(percentile(p50Ratios, 0.5))} a message:new broadcast's, median of the rounds (${each(p50Ratios)}); pooled ${ms(close.closed.p50Ms)} vs ${ms(close.message.p50Ms)} (no target)`,
  );
  const counts = close.rounds.map((r) => totalOf(r.commands));
  const small = totalOf(close.smallCommands);
  const constant = counts.every((n) => n === small);
  const breakdownOf = (commands: Record<string, number>) =>
    Object.entries(commands)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => `${key} ${n}`)
      .join(', ');
  const largeBreakdown = breakdownOf(close.rounds.at(-1)?.commands ?? {});
  const smallBreakdown = breakdownOf(close.smallCommands);
  const breakdown =
    largeBreakdown === smallBreakdown ? largeBreakdown : `large: ${largeBreakdown}; small: ${smallBreakdown}`;
  lines.push(
    `${label}: database commands per close ${counts.join(', ')}, in a ${SMALL_CHAT}-member chat ${small} (target: the same) ${verdict(constant)}; ${breakdown}`,
  );
  lines.push(
    ...close.rounds.map(
      (r, i) =>
        `  round ${i + 1}: chat:closed p50 ${ms(r.closed.p50Ms)} p99 ${ms(r.closed.p99Ms)} (close acked after ${ms(r.closeAckMs)}) vs message:new p50 ${ms(r.message.p50Ms)} p99 ${ms(r.message.p99Ms)} (post acked after ${ms(r.postAckMs)}); ${r.closed.samples} + ${r.message.samples} deliveries`,
    ),
    `  (${close.members} sockets opened in ${close.connectSec.toFixed(1)} s over ${WORKERS} processes${close.undelivered > 0 ? `; ${close.undelivered} events NOT DELIVERED within ${DELIVERY_TIMEOUT_MS / 1000} s` : ''})`,
  );

  const purgeLabel = `purge (${purge.messages} messages over ${purge.chats} chats)`;
  const rate = purge.done / purge.jobSec;
  const baseRate = purge.messages / purge.baselineSec;
  const rateRatio = rate / baseRate;
  lines.push(
    `${purgeLabel}: ${Math.round(rate)} messages/s from the ack to done (${purge.jobSec.toFixed(1)} s, ack after ${ms(purge.ackMs)}) vs a plain updateMany ${Math.round(baseRate)}/s (${purge.baselineSec.toFixed(1)} s) = ${x(rateRatio)} (target >= ${PURGE_RATE_TARGET}x) ${verdict(rateRatio >= PURGE_RATE_TARGET && purge.status === 'done')}${purge.status === 'done' ? '' : `; the job ended ${purge.status}`}`,
  );
  const t = purge.traffic;
  const trafficRatio = t.during.p99Ms / t.before.p99Ms;
  lines.push(
    `${purgeLabel}: members' delivery p99 in ${TRAFFIC_CHATS} other chats (${TRAFFIC_MEMBERS} members, ${TRAFFIC_HZ} msg/s each) ${ms(t.during.p99Ms)} during the purge vs ${ms(t.before.p99Ms)} before = ${x(trafficRatio)} (target <= ${TRAFFIC_P99_TARGET}x) ${verdict(trafficRatio <= TRAFFIC_P99_TARGET)}`,
    `  p50 ${ms(t.during.p50Ms)} during vs ${ms(t.before.p50Ms)} before; ${t.during.samples} deliveries during, ${t.before.samples} before; during the plain updateMany p99 ${ms(t.baseline.p99Ms)} (${t.baseline.samples} deliveries)${t.failed > 0 ? `; ${t.failed} sends REFUSED` : ''}`,
    `  CPU: the purge ${purge.purgeCpuSec.node.toFixed(1)} s server + ${purge.purgeCpuSec.db.toFixed(1)} s database over ${purge.purgeWallSec.toFixed(1)} s; the updateMany ${purge.baselineCpuSec.node.toFixed(1)} s server + ${purge.baselineCpuSec.db.toFixed(1)} s database over ${purge.baselineSec.toFixed(1)} s`,
    `  ${purge.hiddenAfter} of ${purge.messages} purged messages hidden afterwards; ${purge.messages * 2} messages inserted in ${purge.insertSec.toFixed(1)} s`,
  );
  return lines;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Wall-clock milliseconds with a fraction, comparable across the bench's processes. */
const now = () => performance.timeOrigin + performance.now();

if (!serveWorker() && require.main === module) {
  takedownBench().then(
    (result) => {
      for (const line of takedownSummary(result)) console.log(line);
    },
    (err: Error) => {
      console.error(`bench: ${err.message}`);
      process.exit(1);
    },
  );
}
