import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { projectRoot } from './project-root';

/** Where `npm install` builds the embedded database (scripts/build-db.js). */
export const EMBEDDED_DB_BINARY = path.join(projectRoot(), '.stoa-db', 'stoa-db');

export interface EmbeddedDb {
  /** mongodb:// URI of the running database, without a database name. */
  uri: string;
  /** The database process, for operators' and benchmarks' accounting. */
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface EmbeddedDbOptions {
  /** Directory for the SQLite files. */
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Stop when this Node.js process exits, however it exits (stdin of the child closes). Default true. */
  tiedToParent?: boolean;
  startTimeoutMs?: number;
}

/** The one line start-up prints when there is neither an embedded database nor MONGODB_URI. */
export const MISSING_DB_MESSAGE =
  'no database: set MONGODB_URI, or install Go 1.24+ and run `npm run build:db` to build the embedded database';

/**
 * Starts FerretDB (SQLite backend) as a child process on loopback and waits for
 * its "ready <uri>" line.
 */
export async function startEmbeddedDb(options: EmbeddedDbOptions): Promise<EmbeddedDb> {
  if (!existsSync(EMBEDDED_DB_BINARY)) throw new Error(MISSING_DB_MESSAGE);
  const tied = options.tiedToParent ?? true;
  const args = ['-listen', `127.0.0.1:${options.port ?? 0}`, '-data-dir', options.dataDir];
  if (tied) args.push('-watch-stdin');

  const child = spawn(EMBEDDED_DB_BINARY, args, { stdio: [tied ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error('the embedded database did not start in time')),
      options.startTimeoutMs ?? 30_000,
    );
    const lines = createInterface({ input: child.stdout! });
    function fail(err: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    }
    lines.on('line', (line) => {
      if (!line.startsWith('ready ')) return;
      clearTimeout(timer);
      resolve(line.slice('ready '.length).trim());
    });
    child.once('error', fail);
    child.once('exit', (code) =>
      fail(new Error(`the embedded database exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`)),
    );
  });
  // Keep reading so a chatty child never blocks on a full pipe.
  child.stdout!.resume();

  return { uri, pid: child.pid!, exited, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timeout = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timeout);
}
