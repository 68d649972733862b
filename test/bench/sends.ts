/**
 * Persisted sends: SENDERS users, each in a chat of their own, keep IN_FLIGHT message:send events
 * unanswered at a time; the clients run in a child process. Beside it, a plain `insertOne` loop at
 * the same concurrency on the same embedded database: what one write per message costs at best.
 * Targets: acked sends/s at least 1.5x the insertOne loop's rate, ack p99 under 50 ms.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import mongoose, { Types } from 'mongoose';
import pino from 'pino';
import { io as connectClient, type Socket } from 'socket.io-client';

import type { ClientToServerEvents, ServerToClientEvents } from '../../handlers/protocol';
import { MessageModel } from '../../models';
import { createStoa } from '../../server/app';
import { loadConfig } from '../../server/config';
import { connectDatabase } from '../../server/database';
import { startEmbeddedDb } from '../../server/embedded-db';

const SENDERS = 20;
const IN_FLIGHT = 4;
const SENDS_PER_SENDER = Number(process.env.BENCH_SENDS ?? 150);
const RATE_TARGET = 1.5;
const P99_TARGET_MS = 50;

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

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
}

export async function sendsBench(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stoa-bench-sends-'));
  const db = await startEmbeddedDb({ dataDir });
  try {
    await connectDatabase(db.uri, 'bench_sends');
    await MessageModel.init();
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'bench-secret-0123456789abcdef0123456789ab', BCRYPT_ROUNDS: '4', DATA_DIR: dataDir, RATE_MESSAGES: '1000000/1s', RATE_CONNECTIONS: '10000/60s', RATE_REGISTRATIONS: '10000/60s', RATE_SOCKET_EVENTS: '1000000/10s', LOG_LEVEL: 'warn' });
    const stoa = await createStoa(config, pino({ level: 'warn' }, pino.destination('/dev/null')));
    const url = `http://127.0.0.1:${await stoa.listen(0, '127.0.0.1')}`;
    const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => senderWithChat(url, i)));

    await runSenders({ url, senders, sends: 20, round: 'warm' });
    const sends = await runSenders({ url, senders, sends: SENDS_PER_SENDER, round: 'run' });
    if (sends.failed > 0) throw new Error(`${sends.failed} sends were refused`);
    const loop = await insertOneLoop(SENDERS * IN_FLIGHT, SENDERS * SENDS_PER_SENDER);

    const sendRate = sends.acked / sends.wallSec;
    const ratio = sendRate / loop;
    const sorted = [...sends.latenciesMs].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
    console.log(`persisted sends: ${SENDERS} senders in ${SENDERS} chats, ${IN_FLIGHT} in flight each, ${sends.acked} sends`);
    console.log(`  acked sends/s: ${Math.round(sendRate)} vs insertOne loop ${Math.round(loop)}/s = ${ratio.toFixed(2)}x (target >= ${RATE_TARGET}x)${ratio >= RATE_TARGET ? '' : ' UNDER'}`);
    console.log(`  ack latency: p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms (target p99 < ${P99_TARGET_MS} ms)${pct(0.99) < P99_TARGET_MS ? '' : ' OVER'}`);
    await stoa.close();
    await mongoose.connection.dropDatabase();
    await mongoose.disconnect();
  } finally {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
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
      await MessageModel.collection.insertOne({ chatId: chatIds[c], seq, senderId, text: 'bench', clientMsgId: `loop-${i}`, createdAt: new Date(), editedAt: null, deletedAt: null, hidden: null });
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function senderWithChat(url: string, i: number): Promise<{ token: string; chatId: string }> {
  const res = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: `sender_${i}_${Date.now() % 1e6}`, password: 'bench password' }),
  });
  const { token } = (await res.json()) as { token: string };
  const socket = await connect(url, token);
  const created = await socket.emitWithAck('chat:create', { type: 'group', title: `Bench ${i}` });
  socket.close();
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return { token, chatId: created.chat.id };
}

function runSenders(job: SenderJob): Promise<SendsReport> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['senders'], { stdio: 'inherit' });
    child.once('message', (report) => resolve(report as SendsReport));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`bench senders exited with ${code}`)));
    child.send(job);
  });
}

async function sendersSide(job: SenderJob): Promise<SendsReport> {
  const sockets = await Promise.all(job.senders.map((s) => connect(job.url, s.token)));
  const report: SendsReport = { acked: 0, failed: 0, wallSec: 0, latenciesMs: [] };
  const started = process.hrtime.bigint();
  await Promise.all(
    job.senders.map(async (sender, s) => {
      let sent = 0;
      const lane = async (): Promise<void> => {
        while (sent < job.sends) {
          const i = sent++;
          const t0 = process.hrtime.bigint();
          const ack = await sockets[s]!.emitWithAck('message:send', { chatId: sender.chatId, text: `message ${i}`, clientMsgId: `${job.round}-${i}` });
          report.latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (ack.ok) report.acked += 1;
          else report.failed += 1;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    }),
  );
  report.wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  for (const socket of sockets) socket.close();
  return report;
}

function connect(url: string, token: string): Promise<ClientSocket> {
  const socket: ClientSocket = connectClient(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

if (process.argv[2] === 'senders') {
  process.once('message', (job) => {
    sendersSide(job as SenderJob).then(
      (report) => process.send!(report, () => process.exit(0)),
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
} else if (require.main === module) {
  sendsBench().catch((err: Error) => {
    console.error(`bench: ${err.message}`);
    process.exit(1);
  });
}
