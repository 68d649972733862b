/**
 * Flood isolation benchmark: ten members chat at 10 messages/s in one group while one more
 * account, in a process of its own, emits message:send as fast as its socket takes them (and
 * reconnects whenever it is dropped). Measured in one run, as ratios: the members' delivery
 * p99 during the flood against before it, the time until the flooding socket is closed, and the
 * server's RSS during the flood against before it. The same scenario runs twice: with the
 * per-socket event budget at its default, and with it effectively off, for comparison.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

import {
  connect,
  percentile,
  register,
  runInChild,
  serveChildJobs,
  withBenchServer,
  type ClientSocket,
} from './support';

const MEMBERS = 10;
const RATE_PER_MEMBER_HZ = 1;
// Long enough that a p99 rests on some 1,800 deliveries a phase, not on a handful of outliers.
const PHASE_MS = Number(process.env.BENCH_FLOOD_PHASE_MS ?? 20000);
const FLOODER_NICENESS = Number(process.env.BENCH_FLOOD_NICE ?? 19);

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
  /** p99 of the server's event-loop delay before and during the flood. */
  loopP99BeforeMs: number;
  loopP99DuringMs: number;
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
  // Setting up eleven accounts from one address; the flood itself meets the defaults.
  const env = { RATE_REGISTRATIONS: '1000/60s', RATE_CONNECTIONS: '1000/60s', RATE_SOCKET_EVENTS: socketEvents };
  return withBenchServer('flood', env, async ({ url }) => {
    const accounts = await Promise.all(Array.from({ length: MEMBERS + 1 }, (_, i) => register(url, `member${i}`)));
    const flooder = accounts.pop()!;
    const chatId = await groupOf(url, accounts, flooder);

    // The server's own event-loop delay, which the clients' processes competing for the CPU cannot blur.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const rss: Array<[number, number]> = [];
    const sampler = setInterval(() => rss.push([Date.now(), process.memoryUsage().rss]), 200);
    const startedAt = Date.now();
    const members = runInChild<Delivery[]>(__filename, {
      role: 'members',
      url,
      chatId,
      members: accounts,
      durationMs: 2 * PHASE_MS,
    });
    await sleep(PHASE_MS);
    const loopP99BeforeMs = loopDelay.percentile(99) / 1e6;
    loopDelay.reset();
    const floodStartedAt = Date.now();
    // On this one machine the flooding client's own CPU would be taken from the server and the members;
    // in the field it runs elsewhere. BENCH_FLOOD_NICE=0 lets it compete.
    const flood = runInChild<FlooderReport>(
      __filename,
      { role: 'flooder', url, chatId, flooder, durationMs: PHASE_MS },
      FLOODER_NICENESS,
    );
    const [deliveries, report] = await Promise.all([members, flood]);
    clearInterval(sampler);
    loopDelay.disable();

    // The first second is left out: connections warming up. The flood counts from its first event.
    const before = deliveries.filter(([at]) => at >= startedAt + 1000 && at < floodStartedAt).map(([, ms]) => ms);
    const during = deliveries.filter(([at]) => at >= floodStartedAt).map(([, ms]) => ms);
    return {
      budget: socketEvents,
      p99BeforeMs: percentile(before, 0.99),
      p99DuringMs: percentile(during, 0.99),
      disconnectMs: report.firstDisconnectMs,
      loopP99BeforeMs,
      loopP99DuringMs: loopDelay.percentile(99) / 1e6,
      rssBefore: percentile(
        rss.filter(([at]) => at < floodStartedAt).map(([, bytes]) => bytes),
        0.5,
      ),
      rssDuring: Math.max(...rss.filter(([at]) => at >= floodStartedAt).map(([, bytes]) => bytes)),
      flooder: {
        emitted: report.emitted,
        refusedAcks: report.refusedAcks,
        reconnectAttempts: report.reconnectAttempts,
      },
    };
  });
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
    setTimeout(
      () => {
        let n = 0;
        const tick = () =>
          socket.emit(
            'message:send',
            { chatId: job.chatId, text: `ts:${Date.now()}`, clientMsgId: `m${i}-${n++}` },
            () => undefined,
          );
        tick();
        timers.push(setInterval(tick, periodMs));
      },
      (i * periodMs) / sockets.length,
    ),
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
        socket.emit(
          'message:send',
          { chatId: job.chatId, text: 'flood', clientMsgId: `f${report.emitted++}` },
          (ack) => {
            if (!ack.ok) report.refusedAcks += 1;
          },
        );
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.close();
  }
  return report;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The summary lines `npm run bench` prints for this scenario. */
export function floodSummary(results: FloodResult[]): string[] {
  return results.flatMap((r) => {
    const label = `flood (socket budget ${r.budget})`;
    const ratio = r.p99DuringMs / r.p99BeforeMs;
    const rss = r.rssDuring / r.rssBefore;
    return [
      `${label}: members' delivery p99 ${r.p99DuringMs.toFixed(1)} ms during the flood vs ${r.p99BeforeMs.toFixed(1)} ms before = ${ratio.toFixed(2)}x (target <= 2x)`,
      `${label}: flooding socket closed after ${r.disconnectMs === null ? 'never' : `${r.disconnectMs} ms`} (target <= 2000 ms); ${r.flooder.emitted} events emitted, ${r.flooder.refusedAcks} refusals acked, ${r.flooder.reconnectAttempts} connection attempts`,
      `${label}: server event-loop delay p99 ${r.loopP99DuringMs.toFixed(1)} ms during vs ${r.loopP99BeforeMs.toFixed(1)} ms before`,
      `${label}: server RSS ${(r.rssDuring / 2 ** 20).toFixed(0)} MiB during vs ${(r.rssBefore / 2 ** 20).toFixed(0)} MiB before = ${rss.toFixed(2)}x (target <= 1.2x)`,
    ];
  });
}

if (
  !serveChildJobs<MembersJob | FlooderJob>(__filename, (job) =>
    job.role === 'members' ? membersSide(job) : flooderSide(job),
  ) &&
  require.main === module
) {
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
