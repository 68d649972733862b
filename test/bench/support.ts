/**
 * What every benchmark shares: a real Stoa over a fresh embedded database, websocket clients, and
 * client work run in a child process so that its CPU is not counted as the server's.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import path from 'node:path';

import mongoose from 'mongoose';
import pino from 'pino';
import { io as connectClient, type Socket } from 'socket.io-client';

import type { ClientToServerEvents, ServerToClientEvents } from '../../server/protocol';
import { createStoa, type Stoa } from '../../server/app';
import { loadConfig } from '../../server/config';
import { connectDatabase } from '../../handlers/store/connection';
import { startEmbeddedDb } from '../../server/embedded-db';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface BenchServer {
  stoa: Stoa;
  url: string;
  /** The embedded database's process. */
  dbPid: number;
}

/**
 * Runs `work` against a Stoa on a fresh embedded database configured by `env`, then stops both.
 * Logs go to /dev/null at `logLevel`: `info` writes a line per refusal, as production does.
 */
export async function withBenchServer<T>(
  name: string,
  env: Record<string, string>,
  work: (server: BenchServer) => Promise<T>,
  logLevel = 'info',
): Promise<T> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `stoa-bench-${name}-`));
  const db = await startEmbeddedDb({ dataDir });
  try {
    await connectDatabase(db.uri, `bench_${name}`);
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: 'bench-secret-0123456789abcdef0123456789ab',
      BCRYPT_ROUNDS: '4',
      // Join storms are what some benches measure: raid protection (tested in test/filters.test.ts) stays out of them.
      RAID_JOINS: '1000000',
      DATA_DIR: dataDir,
      ...env,
    });
    const stoa = await createStoa(
      config,
      pino({ level: logLevel, base: { service: 'stoa' } }, pino.destination('/dev/null')),
    );
    const url = `http://127.0.0.1:${await stoa.listen(0, '127.0.0.1')}`;
    const result = await work({ stoa, url, dbPid: db.pid });
    await stoa.close({ drainMs: 1000 });
    await mongoose.connection.dropDatabase();
    await mongoose.disconnect();
    return result;
  } finally {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A websocket client with no reconnection; rejects with the connect_error. */
export function connect(url: string, token: string): Promise<ClientSocket> {
  const socket: ClientSocket = connectClient(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Registers a fresh account and returns its id and token. */
export async function register(url: string, prefix: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: `${prefix}_${Date.now() % 1e6}_${Math.floor(Math.random() * 1e4)}`.slice(0, 32),
      password: 'bench password',
    }),
  });
  const body = (await res.json()) as { token: string; user: { id: string } };
  return { id: body.user.id, token: body.token };
}

const CHILD_FLAG = 'bench-child';

/**
 * Runs `job` in a child process of `file` (which must call `serveChildJobs`) and resolves with its
 * result. `niceness` lowers the child's CPU priority (0-19), for a client that stands for a machine
 * of its own (an attacker's) and must not take this machine's cores from the server it measures.
 */
export function runInChild<T>(file: string, job: object, niceness = 0): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(file, [CHILD_FLAG, path.basename(file)], { stdio: 'inherit' });
    if (niceness > 0 && child.pid !== undefined) setPriority(child.pid, niceness);
    child.once('message', (result) => resolve(result as T));
    child.once('error', reject);
    child.once(
      'exit',
      (code) => code !== 0 && reject(new Error(`bench child of ${path.basename(file)} exited with ${code}`)),
    );
    child.send(job);
  });
}

/**
 * In a child that runInChild started for `file`: handles its one job and exits. Returns false in
 * any other process, and in a child of another file that merely imports this one.
 */
export function serveChildJobs<J>(file: string, handle: (job: J) => Promise<object>): boolean {
  if (process.argv[2] !== CHILD_FLAG || process.argv[3] !== path.basename(file)) return false;
  process.once('message', (job) => {
    handle(job as J).then(
      (result) => process.send!(result, () => process.exit(0)),
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
  return true;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** CPU seconds this process has used. */
export function ownCpuSec(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime + stime of a process, all its threads, from /proc/<pid>/stat. */
export function processCpuSec(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is [0], utime [11], stime [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
