/**
 * The one test helper: a real Stoa on port 0 over the embedded database, with
 * real HTTP calls and real socket.io-client sockets.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import mongoose from 'mongoose';
import { io as connectClient, type Socket } from 'socket.io-client';

import type { ClientEventName, ClientToServerEvents, ServerEventName, ServerEventPayload, ServerToClientEvents } from '../../handlers/protocol';
import { createStoa, type Stoa } from '../../server/app';
import { loadConfig } from '../../server/config';
import { connectDatabase } from '../../server/database';
import { createLogger, type Logger } from '../../server/logger';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Account {
  id: string;
  username: string;
  token: string;
}

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

type AckOf<E extends ClientEventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

export interface TestServer {
  stoa: Stoa;
  url: string;
  http<T = any>(method: string, urlPath: string, options?: { body?: unknown; token?: string; rawBody?: string; headers?: Record<string, string> }): Promise<HttpResult<T>>;
  /** Registers a fresh user (unique name) and returns its id and token. */
  register(prefix?: string, password?: string): Promise<Account>;
  /** A connected socket for the token; rejects with the connect_error message. */
  connect(token: string | undefined, options?: ConnectOptions): Promise<ClientSocket>;
  close(): Promise<void>;
}

const DEFAULT_ENV = {
  NODE_ENV: 'test',
  JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
  BCRYPT_ROUNDS: '4',
  // Every test socket comes from 127.0.0.1, so the per-IP default (20/min) would trip across unrelated
  // scenarios; test/limits.test.ts sets its own small limit to test the limiter itself.
  RATE_CONNECTIONS: '10000/60s',
  RATE_REGISTRATIONS: '10000/60s',
  // Scenarios fire many requests and hostile events from one address and socket; test/flood.test.ts
  // tests the budgets themselves, at their defaults and below.
  RATE_HTTP_REQUESTS: '100000/10s',
  RATE_SOCKET_EVENTS: '100000/10s',
  // Tests pose as clients behind a proxy on this machine (X-Forwarded-For), to keep per-IP limits apart.
  TRUST_PROXY: 'loopback',
  // STOA_TEST_LOG_LEVEL=debug npm test shows the server's logs while debugging a test.
  LOG_LEVEL: process.env.STOA_TEST_LOG_LEVEL ?? 'silent',
};

let databaseName: string | undefined;

/**
 * Starts a server (each test file gets its own database). `env` overrides configuration, as the environment would.
 * `mongodbUri` points the file at a database server of its own, e.g. one the test stops and restarts;
 * `log` replaces the logger built from LOG_LEVEL, e.g. with one that keeps lines for the test to read.
 */
export async function startTestServer(env: Record<string, string> = {}, options: { mongodbUri?: string; log?: Logger } = {}): Promise<TestServer> {
  const uri = options.mongodbUri ?? process.env.STOA_TEST_MONGODB_URI;
  if (!uri) throw new Error('the embedded test database is not running (test/support/global-setup.ts)');
  if (!databaseName) {
    const file = path.basename(expect.getState().testPath ?? 'test', '.test.ts').replace(/[^a-z0-9]/gi, '_');
    databaseName = `test_${file}_${randomBytes(3).toString('hex')}`;
    await connectDatabase(uri, databaseName);
  }
  const config = loadConfig({ ...DEFAULT_ENV, DATA_DIR: process.env.STOA_TEST_DATA_DIR, ...env });
  const stoa = await createStoa(config, options.log ?? createLogger(config.logLevel));
  const port = await stoa.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const sockets = new Set<ClientSocket>();

  const server: TestServer = {
    stoa,
    url,
    async http(method, urlPath, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(url + urlPath, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON (e.g. /metrics): keep the text.
      }
      return { status: response.status, headers: response.headers, body: parsed as any };
    },
    async register(prefix = 'user', password = 'correct horse') {
      const username = `${prefix}_${randomBytes(4).toString('hex')}`.slice(0, 32);
      const res = await server.http('POST', '/api/auth/register', { body: { username, password } });
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.user.id, username, token: res.body.token };
    },
    connect(token, options = {}) {
      const connecting = connectSocket(url, token, options);
      connecting.then((socket) => sockets.add(socket), () => undefined);
      return connecting;
    },
    async close() {
      for (const socket of sockets) socket.close();
      await stoa.close();
    },
  };
  return server;
}

export interface ConnectOptions {
  extraHeaders?: Record<string, string>;
  /** `'default'` is the client's own choice: long-polling first, then the upgrade to websocket. */
  transports?: 'default' | Array<'polling' | 'websocket'>;
}

/** A connected socket.io-client socket (websocket only unless told, no reconnection); rejects with the connect_error. */
export function connectSocket(url: string, token: string | undefined, options: ConnectOptions = {}): Promise<ClientSocket> {
  const transports = options.transports ?? ['websocket'];
  const socket: ClientSocket = connectClient(url, {
    auth: token === undefined ? {} : { token },
    ...(transports === 'default' ? {} : { transports }),
    reconnection: false,
    forceNew: true,
    extraHeaders: options.extraHeaders,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits a client event and resolves with its ack. */
export function emit<E extends ClientEventName>(socket: ClientSocket, event: E, input: Parameters<ClientToServerEvents[E]>[0]): Promise<AckOf<E>> {
  return new Promise((resolve) => {
    (socket.emit as (event: string, input: unknown, ack: (response: unknown) => void) => void)(event, input, (response) =>
      resolve(response as AckOf<E>),
    );
  });
}

/** Like emit, for input that breaks the contract on purpose (bad types, operator objects). */
export function emitRaw(socket: ClientSocket, event: string, ...args: unknown[]): Promise<any> {
  return new Promise((resolve) => {
    (socket.emit as (event: string, ...args: unknown[]) => void)(event, ...args, resolve);
  });
}

/** Resolves with the next payload of `event` on `socket`, or rejects after `timeoutMs`. */
export function nextEvent<E extends ServerEventName>(socket: ClientSocket, event: E, timeoutMs = 3000): Promise<ServerEventPayload<E>> {
  return new Promise((resolve, reject) => {
    const listener = (payload: ServerEventPayload<E>) => {
      clearTimeout(timer);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      (socket.off as (event: string, listener: unknown) => void)(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    (socket.once as (event: string, listener: unknown) => void)(event, listener);
  });
}

/** Every payload of `event` that `socket` receives from now on. */
export function collect<E extends ServerEventName>(socket: ClientSocket, event: E): ServerEventPayload<E>[] {
  const seen: ServerEventPayload<E>[] = [];
  (socket.on as (event: string, listener: unknown) => void)(event, (payload: ServerEventPayload<E>) => seen.push(payload));
  return seen;
}

/** Resolves once the socket is disconnected (by the server), with the reason. */
export function disconnected(socket: ClientSocket, timeoutMs = 3000): Promise<string> {
  if (!socket.connected) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** A round trip through the server: events it emitted before answering have reached this socket by then. */
export async function settle(socket: ClientSocket): Promise<void> {
  await emit(socket, 'chat:list', {});
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Drops this file's database and disconnects; call from afterAll. */
export async function dropTestDatabase(): Promise<void> {
  if (mongoose.connection.readyState === 1) await mongoose.connection.dropDatabase();
  await mongoose.disconnect();
  databaseName = undefined;
}
