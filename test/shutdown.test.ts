/** Graceful shutdown: sockets are told, events in flight finish, and no acked message is lost. */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

import { MessageModel } from '../models';
import { clientOf, dropTestDatabase, startTestServer, type ClientSocket } from './support/harness';
import { createChat, join, person } from './support/world';

afterAll(async () => {
  await dropTestDatabase();
});

type SendOutcome = { clientMsgId: string; answeredAt: number } & (
  { kind: 'stored'; seq: number } | { kind: 'refused'; code: string } | { kind: 'unanswered' }
);

/** Sends one message and waits up to `ms` for its ack. */
function sendWithin(socket: ClientSocket, chatId: string, clientMsgId: string, ms: number): Promise<SendOutcome> {
  return new Promise((resolve) => {
    socket
      .timeout(ms)
      .emit('message:send', { chatId, text: `load ${clientMsgId}`, clientMsgId }, (err: Error | null, ack) => {
        const answeredAt = Date.now();
        if (err) resolve({ clientMsgId, answeredAt, kind: 'unanswered' });
        else if (ack.ok) resolve({ clientMsgId, answeredAt, kind: 'stored', seq: ack.message.seq });
        else resolve({ clientMsgId, answeredAt, kind: 'refused', code: ack.error.code });
      });
  });
}

/** Keeps sending, one message after another, until the socket is gone. */
async function sendUntilClosed(socket: ClientSocket, chatId: string, name: string): Promise<SendOutcome[]> {
  const outcomes: SendOutcome[] = [];
  for (let i = 0; socket.connected; i++) outcomes.push(await sendWithin(socket, chatId, `${name}-${i}`, 1500));
  return outcomes;
}

describe('shutdown under load', () => {
  test('every socket hears server:shutdown; each send is acked and stored, or refused and not stored, or never acked; none is acked and lost', async () => {
    const server = await startTestServer({ RATE_MESSAGES: '100000/10s', RATE_JOINS: '1000/60s' });
    const owner = await person(server, 'owner');
    const chatId = (await createChat(owner, 'group')).id;

    const senders: ClientSocket[] = [owner.socket];
    for (let i = 0; i < 4; i++) {
      const sender = await person(server, 'sender');
      await join(sender, chatId);
      senders.push(sender.socket);
    }
    const told = senders.map(
      (socket) => new Promise<{ reason: string }>((resolve) => socket.once('server:shutdown', resolve)),
    );
    // Three streams of sends per socket, so that several are in flight on each when the shutdown starts.
    const streams = senders.flatMap((socket, s) => [0, 1, 2].map((k) => sendUntilClosed(socket, chatId, `s${s}k${k}`)));

    await new Promise((resolve) => setTimeout(resolve, 300));
    // The shutdown begins just as a send has been taken in, so that one is in flight; a send that
    // reaches the server meanwhile arrives once the shutdown has begun.
    let shutdownStarted = 0;
    let late: Promise<SendOutcome> | undefined;
    await new Promise<void>((resolve) => {
      const serverSocket = [...server.stoa.io.of('/').sockets.values()][0]!;
      const onArrival = (event: string) => {
        if (event !== 'message:send') return;
        serverSocket.offAny(onArrival);
        shutdownStarted = Date.now();
        const closing = server.stoa.close({ reason: 'deploying' });
        late = sendWithin(senders[1]!, chatId, 'late', 1500);
        void closing.then(resolve);
      };
      serverSocket.onAny(onArrival);
    });
    const outcomes = [...(await Promise.all(streams)).flat(), await late!];

    for (const notice of await Promise.all(told)) expect(notice).toEqual({ reason: 'deploying' });
    const stored = await MessageModel.find({ chatId }, { clientMsgId: 1, seq: 1 }).lean();
    const storedSeq = new Map(stored.map((m) => [m.clientMsgId, m.seq]));
    for (const outcome of outcomes) {
      if (outcome.kind === 'stored') expect(storedSeq.get(outcome.clientMsgId)).toBe(outcome.seq);
      if (outcome.kind === 'refused') {
        expect(outcome.code).toBe('internal');
        expect(storedSeq.has(outcome.clientMsgId)).toBe(false);
      }
    }
    const count = (kind: SendOutcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
    // Sends were in flight when the shutdown began, and they finished rather than being cut off.
    expect(outcomes.some((o) => o.kind === 'stored' && o.answeredAt >= shutdownStarted)).toBe(true);
    expect(count('refused')).toBeGreaterThan(0);

    await expect(server.connect(owner.token)).rejects.toThrow();
    await server.close();
  });
});

describe('npm start', () => {
  const run = promisify(execFile);
  const root = path.join(__dirname, '..');
  let dataDir: string;

  beforeAll(async () => {
    // The process runs the compiled server, as `npm start` does. `npm test` has just built it; a run
    // of this file alone after an edit rebuilds (never during `npm test`, where other files run dist/).
    if (distIsStale(root)) await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root });
    dataDir = mkdtempSync(path.join(tmpdir(), 'stoa-process-'));
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // `npm start` execs node in place of its shell, so a process manager's SIGTERM to npm reaches the server.
  test.each([
    ['node dist/server/main.js', process.execPath, ['dist/server/main.js']],
    ['npm start', 'npm', ['start', '--ignore-scripts', '--silent']],
  ])(
    'SIGTERM to `%s`: the socket hears server:shutdown, the embedded database stops, and the process exits 0 within 10 s',
    async (_name, command, args) => {
      const child = spawn(command, args, {
        cwd: root,
        env: {
          ...process.env,
          PORT: '0',
          DATA_DIR: dataDir,
          MONGODB_URI: '',
          JWT_SECRET: 'process-secret-0123456789abcdef0123456789',
          BCRYPT_ROUNDS: '4',
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const logs: Array<{ msg: string; port?: number }> = [];
      const listening = new Promise<number>((resolve) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (!line.startsWith('{')) return; // npm's own lines
          const entry = JSON.parse(line) as { msg: string; port?: number };
          logs.push(entry);
          if (entry.msg === 'stoa listening') resolve(entry.port!);
        });
      });
      try {
        const { socket } = await person(clientOf(`http://127.0.0.1:${await listening}`), 'process');
        const told = new Promise((resolve) => socket.once('server:shutdown', resolve));

        const signalled = Date.now();
        child.kill('SIGTERM');
        expect(await told).toEqual({ reason: 'server restarting' });
        expect(await exited).toBe(0);
        expect(Date.now() - signalled).toBeLessThan(10_000);
        expect(logs.map((entry) => entry.msg)).toEqual(
          expect.arrayContaining(['shutting down', 'embedded database stopped', 'stopped']),
        );
        socket.close();
      } finally {
        child.kill('SIGKILL');
      }
    },
    30_000,
  );
});

/** True when a source file of the server is newer than its compiled file in dist/, or has none. */
function distIsStale(root: string): boolean {
  return ['server', 'handlers', 'models'].some((dir) =>
    readdirSync(path.join(root, dir))
      .filter((file) => file.endsWith('.ts'))
      .some((file) => {
        const compiled = path.join(root, 'dist', dir, file.replace(/\.ts$/, '.js'));
        try {
          return statSync(compiled).mtimeMs < statSync(path.join(root, dir, file)).mtimeMs;
        } catch {
          return true;
        }
      }),
  );
}
