/**
 * Fan-out: RECEIVERS members of one group listen while SENDERS members send RATE_HZ messages a
 * second in all, for PHASE_MS. Beside it, a bare Socket.IO relay speaking the same events with no
 * database (relay.ts), measured the same way in the same run. Senders and receivers run in child
 * processes. Figures, each as a ratio against the relay: server CPU per delivery (this process,
 * plus the embedded database's process for Stoa), target <= 2x; delivery p99 (from the send time
 * in the message's text to its arrival at each receiver), target <= 3x.
 */

import type { Server } from 'socket.io';
import WebSocket from 'ws';

import { rooms } from '../../handlers/contract/protocol';
import { startRelay } from './relay';
import {
  connect,
  ownCpuSec,
  percentile,
  processCpuSec,
  register,
  runInChild,
  serveChildJobs,
  withBenchServer,
  type ClientSocket,
} from './support';

const RECEIVERS = (process.env.BENCH_FANOUT_RECEIVERS ?? '200,1000').split(',').map(Number);
const SENDERS = 5;
const RATE_HZ = 50;
/** 400 messages at 50 msg/s: with fewer, one stall of the shared machine moves the p99. */
const PHASE_MS = Number(process.env.BENCH_FANOUT_PHASE_MS ?? 8000);
/**
 * The receivers stand for a thousand devices elsewhere. Here they share the server's two cores,
 * so by default each is a lean Socket.IO client (leanReceiver below): 1,000 socket.io-client instances
 * parsing 50,000 deliveries a second took about half the machine, and the p99 measured their
 * queueing rather than the server. `BENCH_FANOUT_RECEIVER=socket.io-client` uses the real client.
 */
const LEAN_RECEIVERS = process.env.BENCH_FANOUT_RECEIVER !== 'socket.io-client';
/** Receivers one child process holds: past this, one child's parsing would lag the deliveries. */
const RECEIVERS_PER_CHILD = 500;
/** Accounts registered, joined or connected at once while setting up. */
const BATCH = 50;
/**
 * Rounds per receiver count; each figure is the median of its rounds' ratios. At 1,000 receivers
 * writing the deliveries keeps one core about 80% busy for the relay and Stoa alike, so the p99 is
 * queueing that swings between runs (the relay's own from 16 to 144 ms): one round decides nothing.
 */
const ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 3);
const CPU_TARGET = 2;
const P99_TARGET = 3;

interface Account {
  token: string;
}

interface ReceiversJob {
  role: 'receivers';
  url: string;
  tokens: string[];
  /** Only messages whose text starts with this are timed. */
  tag: string;
}

interface SendersJob {
  role: 'senders';
  url: string;
  chatId: string;
  tokens: string[];
  tag: string;
  durationMs: number;
}

interface ReceiversReport {
  latenciesMs: number[];
  /** This child's CPU from the first measured message on: what the clients cost, for scale. */
  cpuSec: number;
}

interface SendersReport {
  sent: number;
  failed: number;
}

/** What a server under test offers the measurement. */
interface Target {
  name: string;
  url: string;
  chatId: string;
  io: Server;
  /** CPU seconds of every process serving it, by process. */
  cpu(): { node: number; db: number };
}

export interface FanoutFigures {
  cpuUsPerDelivery: number;
  nodeUsPerDelivery: number;
  dbUsPerDelivery: number;
  receiversUsPerDelivery: number;
  p50Ms: number;
  p99Ms: number;
  messages: number;
  deliveries: number;
  expected: number;
}

/** One round: the relay and Stoa measured one after the other. */
export interface FanoutRound {
  stoa: FanoutFigures;
  relay: FanoutFigures;
}

export interface FanoutResult {
  receivers: number;
  rounds: FanoutRound[];
}

export async function fanoutBench(): Promise<FanoutResult[]> {
  const most = Math.max(...RECEIVERS);
  const env = {
    RATE_MESSAGES: '1000000/1s',
    RATE_SOCKET_EVENTS: '1000000/1s',
    RATE_CONNECTIONS: '1000000/60s',
    RATE_REGISTRATIONS: '1000000/60s',
    RATE_JOINS: '1000000/60s',
    RATE_HTTP_REQUESTS: '1000000/1s',
  };
  return withBenchServer(
    'fanout',
    env,
    async ({ stoa, url, dbPid }) => {
      const accounts = await inBatches(most + SENDERS, (i) => register(url, `f${i}`));
      const chatId = await groupOf(url, accounts);
      const senders = accounts.slice(0, SENDERS).map((a) => a.token);
      const receivers = accounts.slice(SENDERS).map((a) => a.token);
      const stoaTarget: Target = {
        name: 'stoa',
        url,
        chatId,
        io: stoa.io as unknown as Server,
        cpu: () => ({ node: ownCpuSec(), db: processCpuSec(dbPid) }),
      };
      const relay = await startRelay(chatId);
      const relayTarget: Target = {
        name: 'relay',
        url: relay.url,
        chatId,
        io: relay.io as unknown as Server,
        cpu: () => ({ node: ownCpuSec(), db: 0 }),
      };
      try {
        const results: FanoutResult[] = [];
        for (const count of RECEIVERS) {
          const tokens = receivers.slice(0, count);
          const rounds: FanoutRound[] = [];
          for (let round = 0; round < ROUNDS; round += 1) {
            // Each goes first in turn, so that neither always meets the machine as the other left it.
            if (round % 2 === 0) {
              const relayFigures = await measure(relayTarget, tokens, senders);
              rounds.push({ relay: relayFigures, stoa: await measure(stoaTarget, tokens, senders) });
            } else {
              const stoaFigures = await measure(stoaTarget, tokens, senders);
              rounds.push({ stoa: stoaFigures, relay: await measure(relayTarget, tokens, senders) });
            }
          }
          results.push({ receivers: count, rounds });
        }
        return results;
      } finally {
        await relay.close();
      }
    },
    'warn',
  );
}

/** One run against `target`: receivers connect, a warm-up second, then PHASE_MS of sends. */
async function measure(target: Target, receivers: string[], senders: string[]): Promise<FanoutFigures> {
  const tag = `run${Date.now()}`;
  const room = rooms.chat(target.chatId);
  const shares = chunk(receivers, RECEIVERS_PER_CHILD);
  const listening = Promise.all(
    shares.map((tokens) =>
      runInChild<ReceiversReport>(__filename, { role: 'receivers', url: target.url, tokens, tag }),
    ),
  );
  await until(
    () => roomSize(target.io, room) >= receivers.length,
    120_000,
    `${receivers.length} receivers to connect to ${target.name}`,
  );

  const sendersJob = { role: 'senders', url: target.url, chatId: target.chatId, tokens: senders } as const;
  await runInChild<SendersReport>(__filename, { ...sendersJob, tag: 'warm', durationMs: 1000 });
  await sleep(500);
  const before = target.cpu();
  const report = await runInChild<SendersReport>(__filename, { ...sendersJob, tag, durationMs: PHASE_MS });
  // The last message's deliveries are still being written when its ack returns.
  await sleep(500);
  const after = target.cpu();
  const shareReports = await listening;
  const latencies = shareReports.flatMap((share) => share.latenciesMs);
  const clientSec = shareReports.reduce((sum, share) => sum + share.cpuSec, 0);
  if (report.failed > 0) throw new Error(`${target.name}: ${report.failed} sends were refused`);

  const deliveries = latencies.length;
  const node = after.node - before.node;
  const db = after.db - before.db;
  return {
    cpuUsPerDelivery: ((node + db) * 1e6) / deliveries,
    nodeUsPerDelivery: (node * 1e6) / deliveries,
    dbUsPerDelivery: (db * 1e6) / deliveries,
    receiversUsPerDelivery: (clientSec * 1e6) / deliveries,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    messages: report.sent,
    deliveries,
    expected: report.sent * receivers.length,
  };
}

/** Holds one socket per token and times each tagged message:new; returns once they stop coming. */
async function receiversSide(job: ReceiversJob): Promise<ReceiversReport> {
  const latenciesMs: number[] = [];
  let lastArrival = 0;
  let cpuFrom: NodeJS.CpuUsage | null = null;
  const onMessage = ({ message }: { message: { text: string } }) => {
    const [tag, sentAt] = message.text.split(':');
    if (tag !== job.tag) return;
    cpuFrom ??= process.cpuUsage();
    lastArrival = now();
    latenciesMs.push(lastArrival - Number(sentAt));
  };
  const sockets = await inBatches(job.tokens.length, async (i) => {
    if (LEAN_RECEIVERS) return leanReceiver(job.url, job.tokens[i]!, onMessage);
    const socket = await connect(job.url, job.tokens[i]!);
    socket.on('message:new', onMessage);
    return socket;
  });
  // Quiet for two seconds after the measured messages began: the run is over.
  await until(() => lastArrival > 0 && now() - lastArrival > 2000, 10 * 60_000, 'the measured messages');
  const { user, system } = process.cpuUsage(cpuFrom ?? undefined);
  for (const socket of sockets) socket.close();
  return { latenciesMs, cpuSec: (user + system) / 1e6 };
}

/** RATE_HZ sends a second in all, round-robin over the senders, each stamped with its send time. */
async function sendersSide(job: SendersJob): Promise<SendersReport> {
  const sockets = await Promise.all(job.tokens.map((token) => connect(job.url, token)));
  const report: SendersReport = { sent: 0, failed: 0 };
  const acks: Array<Promise<void>> = [];
  const started = Date.now();
  while (Date.now() - started < job.durationMs) {
    const socket: ClientSocket = sockets[report.sent % sockets.length]!;
    const n = report.sent++;
    const text = `${job.tag}:${now()}`;
    acks.push(
      socket.emitWithAck('message:send', { chatId: job.chatId, text, clientMsgId: `${job.tag}-${n}` }).then((ack) => {
        if (!ack.ok) report.failed += 1;
      }),
    );
    // Paced against the start, so a late timer does not lower the rate.
    await sleep(started + ((n + 1) * 1000) / RATE_HZ - Date.now());
  }
  await Promise.all(acks);
  for (const socket of sockets) socket.close();
  return report;
}

/** A public group that every account has joined; the first one owns it. */
async function groupOf(url: string, accounts: Account[]): Promise<string> {
  const owner = await connect(url, accounts[0]!.token);
  const created = await owner.emitWithAck('chat:create', { type: 'group', title: 'Fan-out bench' });
  owner.close();
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  await inBatches(accounts.length - 1, async (i) => {
    const socket = await connect(url, accounts[i + 1]!.token);
    const joined = await socket.emitWithAck('chat:join', { chatId: created.chat.id });
    socket.close();
    if (!joined.ok) throw new Error(JSON.stringify(joined.error));
  });
  return created.chat.id;
}

function roomSize(io: Server, room: string): number {
  return io.of('/').adapter.rooms.get(room)?.size ?? 0;
}

async function inBatches<T>(count: number, each: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += BATCH) {
    results.push(
      ...(await Promise.all(Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => each(start + k)))),
    );
  }
  return results;
}

function chunk<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Wall-clock milliseconds with a fraction, comparable across the bench's processes. */
const now = () => performance.timeOrigin + performance.now();

/**
 * A receiving Socket.IO client with nothing else: engine.io's websocket transport, the CONNECT
 * with the token, pongs to the server's pings, and `message:new` events handed to `onMessage`
 * (Socket.IO protocol 5 over Engine.IO 4; no acks, binary or reconnection, which receiving needs not).
 */
function leanReceiver(
  url: string,
  token: string,
  onMessage: (payload: { message: { text: string } }) => void,
): Promise<{ close(): void }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = data.toString();
      if (frame === '2') ws.send('3');
      else if (frame.startsWith('42')) {
        const [event, payload] = JSON.parse(frame.slice(2)) as [string, { message: { text: string } }];
        if (event === 'message:new') onMessage(payload);
      } else if (frame.startsWith('0')) ws.send(`40${JSON.stringify({ token })}`);
      else if (frame.startsWith('40')) resolve({ close: () => ws.close() });
      else if (frame.startsWith('44')) reject(new Error(`connect_error ${frame.slice(2)}`));
    });
    ws.once('error', reject);
  });
}

/** The summary lines `npm run bench` prints for this scenario: the median ratio of the rounds, then each round. */
export function fanoutSummary(results: FanoutResult[]): string[] {
  return results.flatMap(({ receivers, rounds }) => {
    const label = `fan-out (${receivers} receivers, ${RATE_HZ} msg/s)`;
    const cpuRatios = rounds.map(({ stoa, relay }) => stoa.cpuUsPerDelivery / relay.cpuUsPerDelivery);
    const p99Ratios = rounds.map(({ stoa, relay }) => stoa.p99Ms / relay.p99Ms);
    const [cpu, p99] = [percentile(cpuRatios, 0.5), percentile(p99Ratios, 0.5)];
    const each = (ratios: number[]) => ratios.map((r) => `${r.toFixed(2)}x`).join(', ');
    const lost = (f: FanoutFigures) =>
      f.deliveries === f.expected ? '' : `, ${f.expected - f.deliveries} of ${f.expected} NOT DELIVERED`;
    return [
      `${label}: server CPU per delivery ${cpu.toFixed(2)}x the relay's, median of ${rounds.length} rounds (${each(cpuRatios)}) (target <= ${CPU_TARGET}x)${cpu <= CPU_TARGET ? '' : ' OVER'}`,
      `${label}: delivery p99 ${p99.toFixed(2)}x the relay's, median of ${rounds.length} rounds (${each(p99Ratios)}) (target <= ${P99_TARGET}x)${p99 <= P99_TARGET ? '' : ' OVER'}`,
      ...rounds.map(
        ({ stoa, relay }, i) =>
          `  round ${i + 1}: CPU ${stoa.cpuUsPerDelivery.toFixed(1)} us per delivery (node ${stoa.nodeUsPerDelivery.toFixed(1)} + database ${stoa.dbUsPerDelivery.toFixed(1)}) vs relay ${relay.cpuUsPerDelivery.toFixed(1)} us; p99 ${stoa.p99Ms.toFixed(1)} vs ${relay.p99Ms.toFixed(1)} ms, p50 ${stoa.p50Ms.toFixed(1)} vs ${relay.p50Ms.toFixed(1)} ms; the receivers spent ${stoa.receiversUsPerDelivery.toFixed(1)} us (relay ${relay.receiversUsPerDelivery.toFixed(1)}); ${stoa.messages} messages, ${stoa.deliveries} deliveries${lost(stoa)}${lost(relay)}`,
      ),
    ];
  });
}

if (
  !serveChildJobs<ReceiversJob | SendersJob>(__filename, (job) =>
    job.role === 'receivers' ? receiversSide(job) : sendersSide(job),
  ) &&
  require.main === module
) {
  fanoutBench().then(
    (results) => {
      for (const line of fanoutSummary(results)) console.log(line);
    },
    (err: Error) => {
      console.error(`bench: ${err.message}`);
      process.exit(1);
    },
  );
}
