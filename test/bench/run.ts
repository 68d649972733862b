/**
 * `npm run bench`: what a refused event costs the server. One user, over its message limit,
 * sends message:send events that are all refused `rate_limited`; the server's CPU time is
 * measured in this process while the client runs in a child process, so the client's work
 * is not counted. For scale, the same with input that fails validation (refused before any
 * database read). Logs are at `info`, one line per refusal as in production, into /dev/null.
 * Then the storage benchmark (storage.ts): hot reads at two database sizes; the persisted-sends
 * benchmark (sends.ts): group-committed sends against a plain insertOne loop; the fan-out
 * benchmark (fanout.ts): one group's deliveries against a bare relay; the flood benchmark
 * (flood.ts): members' delivery while one account floods; and the large-chats benchmark
 * (large-chats.ts): join storms, and a large group against a small one; and the takedown benchmark
 * (takedown.ts): closing a chat of connected members, and purging someone's messages.
 * And the several-nodes benchmark (nodes.ts): a channel's subscribers over 4 node processes, one
 * Redis, HAProxy with docs/haproxy.cfg.
 *
 * BENCH_ONLY=<name>[,<name>...] runs only those, in this order: refusals, storage, sends, fanout,
 * flood, large-chats, takedown, nodes (e.g. `BENCH_ONLY=large-chats node dist/test/bench/run.js`).
 */
import { fanoutBench, fanoutSummary } from './fanout';
import { filtersBench } from './filters';
import { floodBench, floodSummary } from './flood';
import { largeChatsBench, largeChatsSummary } from './large-chats';
import { nodesBench, nodesSummary } from './nodes';
import { sendsBench } from './sends';
import { storageBench } from './storage';
import { takedownBench, takedownSummary } from './takedown';
import { connect, register, runInChild, serveChildJobs, withBenchServer } from './support';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5000);
/** Events the client keeps unanswered at once, as a flooding client would. */
const WINDOW = 64;

interface ClientJob {
  url: string;
  token: string;
  chatId: string;
  events: number;
  /** The ack code every event should get. */
  expect: 'rate_limited' | 'invalid_input';
}

interface ClientReport {
  refused: number;
  other: number;
}

const SCENARIOS: Array<{ expect: ClientJob['expect']; title: string }> = [
  { expect: 'rate_limited', title: 'message:send over the message limit (refused rate_limited)' },
  {
    expect: 'invalid_input',
    title: 'message:send with an empty text (refused invalid_input, before any database read)',
  },
];

async function serverSide(): Promise<void> {
  // The socket's event budget is lifted: this measures what one refusal by a limiter costs, which
  // the budget would otherwise cut short by closing the socket (flood.ts measures that instead).
  const env = { RATE_MESSAGES: '1/3600s', RATE_SOCKET_EVENTS: '1000000000/1s' };
  await withBenchServer('refusals', env, async ({ url }) => {
    const job = await overTheLimit(url);
    console.log(
      `${EVENTS} events per scenario over one socket, ${WINDOW} unanswered at a time; server CPU measured without the client's`,
    );
    for (const scenario of SCENARIOS) await measure({ ...job, expect: scenario.expect }, scenario.title);
    console.log(
      '(the server process also runs the database driver; the database itself is another process, not counted)',
    );
  });
}

async function measure(job: ClientJob, title: string): Promise<void> {
  await runInChild<ClientReport>(__filename, { ...job, events: 500 }); // warm-up
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const report = await runInChild<ClientReport>(__filename, job);
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  const { user, system } = process.cpuUsage(cpu);
  const cpuSec = (user + system) / 1e6;
  if (report.other > 0) throw new Error(`${title}: ${report.other} events were not refused ${job.expect}`);
  console.log(title);
  console.log(
    `  ${Math.round(report.refused / wallSec)} refusals/s wall; ${Math.round((cpuSec * 1e6) / report.refused)} us server CPU each = ${Math.round(report.refused / cpuSec)} refusals per CPU-second`,
  );
}

/** A user with a chat who has spent their one message: every send from now on is refused. */
async function overTheLimit(url: string): Promise<ClientJob> {
  const { token } = await register(url, 'refused');
  const socket = await connect(url, token);
  const created = await socket.emitWithAck('chat:create', { type: 'group', title: 'Bench' });
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  const first = await socket.emitWithAck('message:send', {
    chatId: created.chat.id,
    text: 'the one allowed',
    clientMsgId: 'first',
  });
  if (!first.ok) throw new Error(JSON.stringify(first.error));
  socket.close();
  return { url, token, chatId: created.chat.id, events: EVENTS, expect: 'rate_limited' };
}

async function clientSide(job: ClientJob): Promise<ClientReport> {
  const socket = await connect(job.url, job.token);
  const report: ClientReport = { refused: 0, other: 0 };
  let sent = 0;
  const sendNext = async (): Promise<void> => {
    while (sent < job.events) {
      const i = sent++;
      const text = job.expect === 'invalid_input' ? '' : 'flood';
      const ack = await socket.emitWithAck('message:send', { chatId: job.chatId, text, clientMsgId: `flood-${i}` });
      if (!ack.ok && ack.error.code === job.expect) report.refused += 1;
      else report.other += 1;
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, sendNext));
  socket.close();
  return report;
}

/** The benchmarks in the order they run, each printing its own lines. */
const BENCHES: Array<{ name: string; run: () => Promise<void> }> = [
  { name: 'refusals', run: serverSide },
  { name: 'storage', run: storageBench },
  { name: 'sends', run: sendsBench },
  {
    name: 'fanout',
    run: async () => {
      for (const line of fanoutSummary(await fanoutBench())) console.log(line);
    },
  },
  {
    name: 'flood',
    run: async () => {
      for (const line of floodSummary(await floodBench())) console.log(line);
    },
  },
  {
    name: 'large-chats',
    run: async () => {
      for (const line of largeChatsSummary(await largeChatsBench())) console.log(line);
    },
  },
  {
    name: 'filters',
    run: async () => {
      for (const line of await filtersBench()) console.log(line);
    },
  },
  {
    name: 'takedown',
    run: async () => {
      for (const line of takedownSummary(await takedownBench())) console.log(line);
    },
  },
  {
    name: 'nodes',
    run: async () => {
      for (const line of nodesSummary(await nodesBench())) console.log(line);
    },
  },
];

/** The benchmarks BENCH_ONLY names, or all of them. */
function selected(): typeof BENCHES {
  const only = process.env.BENCH_ONLY?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!only || only.length === 0) return BENCHES;
  const unknown = only.filter((name) => !BENCHES.some((b) => b.name === name));
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: no benchmark ${unknown.join(', ')} (${BENCHES.map((b) => b.name).join(', ')})`);
  return BENCHES.filter((b) => only.includes(b.name));
}

async function runAll(): Promise<void> {
  const benches = selected();
  for (const [i, bench] of benches.entries()) {
    if (i > 0) console.log('');
    await bench.run();
  }
}

if (!serveChildJobs<ClientJob>(__filename, clientSide)) {
  runAll().catch((err: Error) => {
    console.error(`bench: ${err.message}`);
    process.exit(1);
  });
}
