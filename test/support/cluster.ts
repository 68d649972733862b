/**
 * Several Stoa nodes as separate OS processes (the built dist/server/main.js),
 * sharing one embedded database and one redis-server started from the PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { clientOf, type StoaClient } from './harness';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'dist', 'server', 'main.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves with the first stdout line that satisfies `match`; rejects if the process exits first. */
function waitForLine(
  child: ChildProcess,
  match: (line: string) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`${what}: not ready after ${timeoutMs} ms`)), timeoutMs);
    lines.on('line', (line) => {
      if (!match(line)) return;
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with code ${code}`));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server at once, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'redis-server is not installed: install the Debian package redis-server (apt-get install redis-server)',
    );
  }
  const port = await freePort();
  let child: ChildProcess;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await waitForLine(child, (line) => line.includes('Ready to accept connections'), 'redis-server');
    child.stdout!.resume();
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    restart: start,
  };
}

/** A node: a client of it (HTTP calls, registrations, sockets), and its process. */
export interface StoaNode extends StoaClient {
  process: ChildProcess;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node dist/server/main.js` with `env` and waits for its "stoa listening" log line. */
export async function startNode(env: Record<string, string>): Promise<StoaNode> {
  if (!existsSync(MAIN))
    throw new Error(`${path.relative(ROOT, MAIN)} is missing: run the tests with npm test, which builds it`);
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'info', BCRYPT_ROUNDS: '4', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await waitForLine(child, (l) => l.includes('"stoa listening"'), 'stoa node');
  child.stdout!.resume();
  const { port } = JSON.parse(line) as { port: number };
  return {
    ...clientOf(`http://127.0.0.1:${port}`),
    process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
