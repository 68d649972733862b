/**
 * Flood isolation benchmark: ten members chat at 10 messages/s in one group while one more
 * account, in a process of its own, emits message:send as fast as its socket takes them (and
 * reconnects whenever it is dropped). Measured in one run, as ratios: the members' delivery
 * p99 during the flood against before it, the time until the flooding socket is closed, and the
 * server's RSS during the flood against before it. The same scenario runs twice: with the
 * per-socket event budget at its default, and with it effectively off, for comparison.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import mongoose from 'mongoose';
import pino from 'pino';
import { io as connectClient, type Socket } from 'socket.io-client';

import type { ClientToServerEvents, ServerToClientEvents } from '../../handlers/protocol';
import { createStoa } from '../../server/app';
import { loadConfig } from '../../server/config';
import { connectDatabase } from '../../server/database';
import { startEmbeddedDb } from '../../server/embedded-db';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const MEMBERS = 10;
const RATE_PER_MEMBER_HZ = 1;
const PHASE_MS = Number(process.env.BENCH_FLOOD_PHASE_MS ?? 8000);

interface Account {
  token: string;
  id: string;
}

interface MembersJob {
  role: 'members';
  url: string;
  chatId: string;
  members: Account[];
  durationMs: number;
}

interface FlooderJob {
  role: 'flooder';
  url: string;
  chatId: string;
  flooder: Account;
  durationMs: number;
}

/** Each delivery: when it arrived (epoch ms) and how long it took from the send. */
type Delivery = [arrivedAt: number, latencyMs: number];

interface FlooderReport {
  emitted: number;
  refusedAcks: number;
  /** Milliseconds from the first flood event to the first disconnect; null if never disconnected. */
  firstDisconnectMs: number | null;
  reconnectAttempts: number;
}

export interface FloodResult {
  budget: string;
  p99BeforeMs: number;
  p99DuringMs: number;
  disconnectMs: number | null;
  rssBefore: number;
  rssDuring: number;
  flooder: FloodReportSummary;
}

type FloodReportSummary = Pick<FlooderReport, 'emitted' | 'refusedAcks' | 'reconnectAttempts'>;

export async function floodBench(): Promise<FloodResult[]> {
  const results: FloodResult[] = [];
  // BENCH_FLOOD_BUDGETS=50/2s,200/10s tries other budgets.
  const budgets = process.env.BENCH_FLOOD_BUDGETS?.split(',') ?? ['200/10s', '1000000000/1s'];
  for (const budget of budgets) results.push(await scenario(budget));
  return results;
}

async function scenario(socketEvents: string): Promise<FloodResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stoa-bench-flood-'));
  const db = await startEmbeddedDb({ dataDir });
  try {
    await connectDatabase(db.uri, 'bench_flood');
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: 'bench-secret-0123456789abcdef0123456789ab',
      BCRYPT_ROUNDS: '4',
      DATA_DIR: dataDir,
      // Setting up eleven accounts from one address; the flood itself meets the defaults.
      RATE_REGISTRATIONS: '1000/60s',
      RATE_CONNECTIONS: '1000/60s',
      RATE_SOCKET_EVENTS: socketEvents,
    });
    const log = pino({ level: 'info', base: { service: 'stoa' } }, pino.destination('/dev/null'));
    const stoa = await createStoa(config, log);
    const url = `http://127.0.0.1:${await stoa.listen(0, '127.0.0.1')}`;
    const accounts = await Promise.all(Array.from({ length: MEMBERS + 1 }, (_, i) => register(url, i)));
    const flooder = accounts.pop()!;
    const chatId = await groupOf(url, accounts, flooder);

    const rss: Array<[number, number]> = [];
    const sampler = setInterval(() => rss.push([Date.now(), process.memoryUsage().rss]), 200);
    const startedAt = Date.now();
    const members = runChild<Delivery[]>({ role: 'members', url, chatId, members: accounts, durationMs: 2 * PHASE_MS });
    await sleep(PHASE_MS);
    const floodStartedAt = Date.now();
    const flood = runChild<FlooderReport>({ role: 'flooder', url, chatId, flooder, durationMs: PHASE_MS });
    const [deliveries, report] = await Promise.all([members, flood]);
    clearInterval(sampler);

    // The first second of each phase is left out: connections warming up, the flood starting.
    const before = deliveries.filter(([at]) => at >= startedAt + 1000 && at < floodStartedAt).map(([, ms]) => ms);
    const during = deliveries.filter(([at]) => at >= floodStartedAt).map(([, ms]) => ms);
    const rssBefore = median(rss.filter(([at]) => at < floodStartedAt).map(([, bytes]) => bytes));
    const rssDuring = Math.max(...rss.filter(([at]) => at >= floodStartedAt).map(([, bytes]) => bytes));
    await stoa.close({ drainMs: 1000 });
    await mongoose.connection.dropDatabase();
    await mongoose.disconnect();
    return {
      budget: socketEvents,
      p99BeforeMs: percentile(before, 0.99),
      p99DuringMs: percentile(during, 0.99),
      disconnectMs: report.firstDisconnectMs,
      rssBefore,
      rssDuring,
      flooder: { emitted: report.emitted, refusedAcks: report.refusedAcks, reconnectAttempts: report.reconnectAttempts },
    };
  } finally {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function register(url: string, i: number): Promise<Account> {
  const res = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: `bench_${i}_${Date.now() % 1e6}`, password: 'bench password' }),
  });
  const body = (await res.json()) as { token: string; user: { id: string } };
  return { token: body.token, id: body.user.id };
}

async function groupOf(url: string, members: Account[], flooder: Account): Promise<string> {
  const owner = await connect(url, members[0]!.token);
  const created = await owner.emitWithAck('chat:create', { type: 'group', title: 'Flood bench' });
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  owner.close();
  for (const account of [...members.slice(1), flooder]) {
    const socket = await connect(url, account.token);
    const joined = await socket.emitWithAck('chat:join', { chatId: created.chat.id });
    if (!joined.ok) throw new Error(JSON.stringify(joined.error));
    socket.close();
  }
  return created.chat.id;
}

/** Ten members, each sending one message a second (staggered) and timing every delivery to them. */
async function membersSide(job: MembersJob): Promise<Delivery[]> {
  const sockets = await Promise.all(job.members.map((m) => connect(job.url, m.token)));
  const deliveries: Delivery[] = [];
  for (const socket of sockets) {
    socket.on('message:new', ({ message }) => {
      const sentAt = Number(message.text.split(':')[1]);
      const now = Date.now();
      deliveries.push([now, now - sentAt]);
    });
  }
  const periodMs = 1000 / RATE_PER_MEMBER_HZ;
  const timers = sockets.map((socket, i) =>
    setTimeout(() => {
      let n = 0;
      const tick = () => socket.emit('message:send', { chatId: job.chatId, text: `ts:${Date.now()}`, clientMsgId: `m${i}-${n++}` }, () => undefined);
      tick();
      timers.push(setInterval(tick, periodMs));
    }, (i * periodMs) / sockets.length),
  );
  await sleep(job.durationMs);
  for (const timer of timers) clearInterval(timer);
  await sleep(500);
  for (const socket of sockets) socket.close();
  return deliveries;
}

/** Emits message:send as fast as the socket takes them; reconnects at once whenever it is dropped. */
async function flooderSide(job: FlooderJob): Promise<FlooderReport> {
  const report: FlooderReport = { emitted: 0, refusedAcks: 0, firstDisconnectMs: null, reconnectAttempts: 0 };
  const startedAt = Date.now();
  const deadline = startedAt + job.durationMs;
  while (Date.now() < deadline) {
    let socket: ClientSocket;
    try {
      report.reconnectAttempts += 1;
      socket = await connect(job.url, job.flooder.token);
    } catch {
      await sleep(10);
      continue;
    }
    let open = true;
    socket.on('disconnect', () => {
      open = false;
      report.firstDisconnectMs ??= Date.now() - startedAt;
    });
    while (open && Date.now() < deadline) {
      for (let i = 0; i < 200 && open; i++) {
        socket.emit('message:send', { chatId: job.chatId, text: 'flood', clientMsgId: `f${report.emitted++}` }, (ack) => {
          if (!ack.ok) report.refusedAcks += 1;
        });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.close();
  }
  return report;
}

function connect(url: string, token: string): Promise<ClientSocket> {
  const socket: ClientSocket = connectClient(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

function runChild<T>(job: MembersJob | FlooderJob): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['bench-child'], { stdio: 'inherit' });
    child.once('message', (result) => resolve(result as T));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`bench ${job.role} exited with ${code}`)));
    child.send(job);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const median = (values: number[]) => percentile(values, 0.5);

/** The summary lines `npm run bench` prints for this scenario. */
export function floodSummary(results: FloodResult[]): string[] {
  return results.flatMap((r) => {
    const label = `flood (socket budget ${r.budget})`;
    const ratio = r.p99DuringMs / r.p99BeforeMs;
    const rss = r.rssDuring / r.rssBefore;
    return [
      `${label}: members' delivery p99 ${r.p99DuringMs.toFixed(1)} ms during the flood vs ${r.p99BeforeMs.toFixed(1)} ms before = ${ratio.toFixed(2)}x (target <= 2x)`,
      `${label}: flooding socket closed after ${r.disconnectMs === null ? 'never' : `${r.disconnectMs} ms`} (target <= 2000 ms); ${r.flooder.emitted} events emitted, ${r.flooder.refusedAcks} refusals acked, ${r.flooder.reconnectAttempts} connection attempts`,
      `${label}: server RSS ${(r.rssDuring / 2 ** 20).toFixed(0)} MiB during vs ${(r.rssBefore / 2 ** 20).toFixed(0)} MiB before = ${rss.toFixed(2)}x (target <= 1.2x)`,
    ];
  });
}

if (process.argv[2] === 'bench-child') {
  process.once('message', (job: MembersJob | FlooderJob) => {
    const work: Promise<unknown> = job.role === 'members' ? membersSide(job) : flooderSide(job);
    work.then(
      (result) => process.send!(result as object, () => process.exit(0)),
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
} else if (require.main === module) {
  floodBench().then(
    (results) => {
      for (const line of floodSummary(results)) console.log(line);
    },
    (err: Error) => {
      console.error(`bench: ${err.message}`);
      process.exit(1);
    },
  );
}
