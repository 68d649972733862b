/**
 * The one test helper: a real Stoa on port 0 over the embedded database, with
 * real HTTP calls, real socket.io-client sockets and, for the console, a real browser.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import mongoose from 'mongoose';
import type { Browser, Page } from 'playwright-core';
import { io as connectClient, type Socket } from 'socket.io-client';

import type {
  ClientEventName,
  ClientToServerEvents,
  ServerEventName,
  ServerEventPayload,
  ServerToClientEvents,
} from '../../server/protocol';
import { createStoa, type Stoa } from '../../server/app';
import { loadConfig } from '../../server/config';
import { connectDatabase } from '../../handlers/store/connection';
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

/** What a client does with a Stoa at `url`, wherever it runs: a test server, or a node of test/support/cluster.ts. */
export interface StoaClient {
  url: string;
  http<T = any>(
    method: string,
    urlPath: string,
    options?: { body?: unknown; token?: string; rawBody?: string; headers?: Record<string, string> },
  ): Promise<HttpResult<T>>;
  /** Registers a fresh user (unique name) and returns its id and token. */
  register(prefix?: string, password?: string): Promise<Account>;
  /** A connected socket for the token; rejects with the connect_error message. */
  connect(token: string | undefined, options?: ConnectOptions): Promise<ClientSocket>;
}

export interface TestServer extends StoaClient {
  stoa: Stoa;
  close(): Promise<void>;
}

/** The server of useTestServer: its hooks close it, a test only uses it. */
export type FileServer = Omit<TestServer, 'close'>;

export interface TestServerOptions {
  /** A database server of the file's own, e.g. one the test stops and restarts. */
  mongodbUri?: string;
  /** Replaces the logger built from LOG_LEVEL, e.g. with one that keeps lines for the test to read. */
  log?: Logger;
}

/** The password of every account that register() makes unless told otherwise. */
export const PASSWORD = 'correct horse';

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
  // Scenarios put many people into one chat within a minute; test/filters.test.ts sets raid protection's own thresholds.
  RAID_JOINS: '1000000',
  // Tests pose as clients behind a proxy on this machine (X-Forwarded-For), to keep per-IP limits apart.
  TRUST_PROXY: 'loopback',
  // STOA_TEST_LOG_LEVEL=debug npm test shows the server's logs while debugging a test.
  LOG_LEVEL: process.env.STOA_TEST_LOG_LEVEL ?? 'silent',
};

let databaseName: string | undefined;

/**
 * Starts a server (each test file gets its own database). `env` overrides configuration, as the environment would.
 * A file whose tests share one server calls useTestServer instead; a test that needs a server of its own
 * (other settings, a logger) starts it here and closes it itself.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const uri = options.mongodbUri ?? process.env.STOA_TEST_MONGODB_URI;
  if (!uri) throw new Error('the embedded test database is not running (test/support/global-setup.ts)');
  if (!databaseName) {
    // Named after the test file; outside Jest (scripts/console-screenshots.ts), after the script.
    const runner = typeof expect === 'undefined' ? process.argv[1] : expect.getState().testPath;
    const file = path
      .basename(runner ?? 'test')
      .replace(/(\.test)?\.[jt]s$/, '')
      .replace(/[^a-z0-9]/gi, '_');
    databaseName = `test_${file}_${randomBytes(3).toString('hex')}`;
    await connectDatabase(uri, databaseName, { monitorCommands: true });
  }
  const config = loadConfig({ ...DEFAULT_ENV, DATA_DIR: process.env.STOA_TEST_DATA_DIR, ...env });
  const stoa = await createStoa(config, options.log ?? createLogger(config.logLevel));
  const port = await stoa.listen(0, '127.0.0.1');
  const sockets = new Set<ClientSocket>();
  return {
    stoa,
    ...clientOf(`http://127.0.0.1:${port}`, sockets),
    async close() {
      for (const socket of sockets) socket.close();
      await stoa.close();
    },
  };
}

/**
 * The server that every test of a file (or of a describe block) shares: a beforeAll starts it with `env` and
 * `options`, an afterAll closes it and drops the file's database. Returns it at once, for hooks and tests to use:
 *
 *   const server = useTestServer({ RATE_JOINS: '1000/60s' });
 *   let moderator: Person;
 *   beforeAll(async () => {
 *     moderator = await person(server, 'moderator', 'moderator');
 *   });
 *
 * Hooks run in the order they are declared, so a beforeAll declared after this call finds the server running.
 */
export function useTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): FileServer {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(env, options);
  });
  afterAll(async () => {
    await started?.close();
    started = undefined;
    await dropTestDatabase();
  });
  const running = (): TestServer => {
    if (!started)
      throw new Error('the server of useTestServer runs from its beforeAll to its afterAll: use it in hooks and tests');
    return started;
  };
  return {
    get stoa() {
      return running().stoa;
    },
    get url() {
      return running().url;
    },
    http: (method, urlPath, options) => running().http(method, urlPath, options),
    register: (prefix, password) => running().register(prefix, password),
    connect: (token, options) => running().connect(token, options),
  };
}

/** A client of the Stoa at `url`; `sockets`, if given, keeps every socket it connects, for whoever closes them. */
export function clientOf(url: string, sockets?: Set<ClientSocket>): StoaClient {
  const client: StoaClient = {
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
    async register(prefix = 'user', password = PASSWORD) {
      const username = `${prefix}_${randomBytes(4).toString('hex')}`.slice(0, 32);
      const res = await client.http('POST', '/api/auth/register', { body: { username, password } });
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.user.id, username, token: res.body.token };
    },
    connect(token, options = {}) {
      const connecting = connectSocket(url, token, options);
      if (sockets)
        connecting.then(
          (socket) => sockets.add(socket),
          () => undefined,
        );
      return connecting;
    },
  };
  return client;
}

export interface ConnectOptions {
  extraHeaders?: Record<string, string>;
  /** `'default'` is the client's own choice: long-polling first, then the upgrade to websocket. */
  transports?: 'default' | Array<'polling' | 'websocket'>;
}

/** A connected socket.io-client socket (websocket only unless told, no reconnection); rejects with the connect_error. */
export function connectSocket(
  url: string,
  token: string | undefined,
  options: ConnectOptions = {},
): Promise<ClientSocket> {
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
export function emit<E extends ClientEventName>(
  socket: ClientSocket,
  event: E,
  input: Parameters<ClientToServerEvents[E]>[0],
): Promise<AckOf<E>> {
  return new Promise((resolve) => {
    (socket.emit as (event: string, input: unknown, ack: (response: unknown) => void) => void)(
      event,
      input,
      (response) => resolve(response as AckOf<E>),
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
export function nextEvent<E extends ServerEventName>(
  socket: ClientSocket,
  event: E,
  timeoutMs = 3000,
): Promise<ServerEventPayload<E>> {
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
  (socket.on as (event: string, listener: unknown) => void)(event, (payload: ServerEventPayload<E>) =>
    seen.push(payload),
  );
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

/** One browser for a test file, launched before its tests and closed after them; the getter gives it. */
export function useBrowser(): () => Browser {
  let launched: Browser | undefined;
  beforeAll(async () => {
    launched = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await launched?.close();
    launched = undefined;
  });
  return () => {
    if (!launched) throw new Error('the browser of useBrowser runs from its beforeAll to its afterAll');
    return launched;
  };
}

/** Headless Chromium (@sparticuz/chromium's build, driven by playwright-core), for the moderation console. */
export async function launchBrowser(): Promise<Browser> {
  // Loaded here, not on import: only the console's files pay for them.
  const { default: chromium } = await import('@sparticuz/chromium');
  const { chromium: playwright } = await import('playwright-core');
  // --single-process suits the serverless hosts the package targets, but closing a context there ends the browser.
  const args = chromium.args.filter((arg) => arg !== '--single-process');
  return playwright.launch({ executablePath: await chromium.executablePath(), args, headless: true });
}

export interface ConsolePage {
  page: Page;
  /** Messages of alert/confirm/prompt dialogs the page opened: user data must never run. */
  dialogs: string[];
  /** Console errors, Content-Security-Policy violations among them. */
  errors: string[];
  /** Addresses of the websockets the page opened. */
  websockets: string[];
}

/** A fresh browser profile on the console of the Stoa at `url`, signed in as `who` (an account with the default password). */
export async function openConsole(
  browser: Browser,
  url: string,
  who: { username: string },
  viewport = { width: 1100, height: 760 },
): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  const websockets: string[] = [];
  page.on('websocket', (socket) => websockets.push(socket.url()));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${url}/console`);
  await page.fill('#signin-form input[name=username]', who.username);
  await page.fill('#signin-form input[name=password]', PASSWORD);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#queue:not([hidden]), #forbidden:not([hidden])');
  return { page, dialogs, errors, websockets };
}
