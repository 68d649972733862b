/**
 * Persisted sends: SENDERS users, each in a chat of their own, keep IN_FLIGHT message:send events
 * unanswered at a time; the clients run in a child process. Beside it, a plain `insertOne` loop at
 * the same concurrency on the same embedded database: what one write per message costs at best.
 * Targets: acked sends/s at least 1.5x the insertOne loop's rate, ack p99 under 50 ms.
 */
import { Types } from 'mongoose';

import { MessageModel } from '../../models';
import {
  connect,
  ownCpuSec,
  percentile,
  processCpuSec,
  register,
  runInChild,
  serveChildJobs,
  withBenchServer,
} from './support';

const SENDERS = 20;
const IN_FLIGHT = 4;
const SENDS_PER_SENDER = Number(process.env.BENCH_SENDS ?? 300);
/** Sends per sender before the run: enough for the hot path to be compiled, as it is in a server that has been up a while. */
const WARM_UP_SENDS = 100;
const RATE_TARGET = 1.5;
const P99_TARGET_MS = 50;

interface SenderJob {
  url: string;
  senders: Array<{ token: string; chatId: string }>;
  sends: number;
  /** Distinguishes the warm-up's clientMsgIds from the measured run's. */
  round: string;
}

interface SendsReport {
  acked: number;
  failed: number;
  wallSec: number;
  latenciesMs: number[];
  /** The clients' own CPU seconds while sending. */
  cpuSec: number;
}

export async function sendsBench(): Promise<void> {
  const env = {
    RATE_MESSAGES: '1000000/1s',
    RATE_CONNECTIONS: '10000/60s',
    RATE_REGISTRATIONS: '10000/60s',
    RATE_SOCKET_EVENTS: '1000000/10s',
  };
  await withBenchServer(
    'sends',
    env,
    async ({ url, dbPid }) => {
      await MessageModel.init();
      const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => senderWithChat(url, i)));

      await runInChild<SendsReport>(__filename, { url, senders, sends: WARM_UP_SENDS, round: 'warm' });
      const cpuBefore = { node: ownCpuSec(), db: processCpuSec(dbPid) };
      const sends = await runInChild<SendsReport>(__filename, { url, senders, sends: SENDS_PER_SENDER, round: 'run' });
      const perSendUs = (sec: number) => ((sec * 1e6) / sends.acked).toFixed(0);
      const cpu = `server ${perSendUs(ownCpuSec() - cpuBefore.node)} us + database ${perSendUs(processCpuSec(dbPid) - cpuBefore.db)} us; the clients ${perSendUs(sends.cpuSec)} us`;
      if (sends.failed > 0) throw new Error(`${sends.failed} sends were refused`);
      const loop = await insertOneLoop(SENDERS * IN_FLIGHT, SENDERS * SENDS_PER_SENDER);

      const sendRate = sends.acked / sends.wallSec;
      const ratio = sendRate / loop;
      const pct = (p: number) => percentile(sends.latenciesMs, p);
      console.log(
        `persisted sends: ${SENDERS} senders in ${SENDERS} chats, ${IN_FLIGHT} in flight each, ${sends.acked} sends`,
      );
      console.log(
        `  acked sends/s: ${Math.round(sendRate)} vs insertOne loop ${Math.round(loop)}/s = ${ratio.toFixed(2)}x (target >= ${RATE_TARGET}x)${ratio >= RATE_TARGET ? '' : ' UNDER'}`,
      );
      console.log(`  CPU per acked send: ${cpu}`);
      console.log(
        `  ack latency: p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms (target p99 < ${P99_TARGET_MS} ms)${pct(0.99) < P99_TARGET_MS ? '' : ' OVER'}`,
      );
    },
    'warn',
  );
}

/** Messages stored per second by `concurrency` loops of one insertOne each, through the driver. */
async function insertOneLoop(concurrency: number, total: number): Promise<number> {
  const chatIds = Array.from({ length: SENDERS }, () => new Types.ObjectId());
  const senderId = new Types.ObjectId();
  const seqs = new Array<number>(SENDERS).fill(0);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const c = i % SENDERS;
      const seq = (seqs[c] = seqs[c]! + 1);
      await MessageModel.collection.insertOne({
        chatId: chatIds[c],
        seq,
        senderId,
        text: 'bench',
        clientMsgId: `loop-${i}`,
        createdAt: new Date(),
        editedAt: null,
        deletedAt: null,
        hidden: null,
      });
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function senderWithChat(url: string, i: number): Promise<{ token: string; chatId: string }> {
  const { token } = await register(url, `sender${i}`);
  const socket = await connect(url, token);
  const created = await socket.emitWithAck('chat:create', { type: 'group', title: `Bench ${i}` });
  socket.close();
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return { token, chatId: created.chat.id };
}

async function sendersSide(job: SenderJob): Promise<SendsReport> {
  const sockets = await Promise.all(job.senders.map((s) => connect(job.url, s.token)));
  const report: SendsReport = { acked: 0, failed: 0, wallSec: 0, latenciesMs: [], cpuSec: 0 };
  const started = process.hrtime.bigint();
  const cpuFrom = process.cpuUsage();
  await Promise.all(
    job.senders.map(async (sender, s) => {
      let sent = 0;
      const lane = async (): Promise<void> => {
        while (sent < job.sends) {
          const i = sent++;
          const t0 = process.hrtime.bigint();
          const ack = await sockets[s]!.emitWithAck('message:send', {
            chatId: sender.chatId,
            text: `message ${i}`,
            clientMsgId: `${job.round}-${i}`,
          });
          report.latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (ack.ok) report.acked += 1;
          else report.failed += 1;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    }),
  );
  report.wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  const { user, system } = process.cpuUsage(cpuFrom);
  report.cpuSec = (user + system) / 1e6;
  for (const socket of sockets) socket.close();
  return report;
}

if (!serveChildJobs<SenderJob>(__filename, sendersSide) && require.main === module) {
  sendsBench().catch((err: Error) => {
    console.error(`bench: ${err.message}`);
    process.exit(1);
  });
}
