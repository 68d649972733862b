/** Health and readiness follow the process and the database: /readyz is 503 while the database is down, 200 once it is back. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startEmbeddedDb, type EmbeddedDb } from '../server/embedded-db';
import { dropTestDatabase, emit, sleep, startTestServer, type TestServer } from './support/harness';

let dataDir: string;
let db: EmbeddedDb;
let server: TestServer;

beforeAll(async () => {
  // A database server of this file's own, since the test stops it.
  dataDir = mkdtempSync(path.join(tmpdir(), 'stoa-readiness-'));
  db = await startEmbeddedDb({ dataDir });
  server = await startTestServer({}, { mongodbUri: db.uri });
});
afterAll(async () => {
  await server.close();
  await dropTestDatabase();
  await db.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function statusBecomes(urlPath: string, status: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await server.http('GET', urlPath);
    if (res.status === status) return;
    if (Date.now() > deadline) throw new Error(`${urlPath} still ${res.status} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

const databaseErrors = async () => (await server.stoa.metrics.databaseErrors.get()).values[0]?.value ?? 0;

test('the database stops: /readyz turns 503 while /healthz stays 200, an event fails internal and counts as a database error; it restarts: 200 again', async () => {
  const socket = await server.connect((await server.register('ready')).token);
  expect((await server.http('GET', '/readyz')).status).toBe(200);
  const errorsBefore = await databaseErrors();

  await db.stop();
  // Waits for the driver to give up selecting a server (10 s), so it is started now and awaited later.
  const duringOutage = emit(socket, 'chat:list', {});
  await statusBecomes('/readyz', 503, 5000);
  expect((await server.http('GET', '/healthz')).status).toBe(200);
  expect(await duringOutage).toMatchObject({ ok: false, error: { code: 'internal' } });
  expect(await databaseErrors()).toBe(errorsBefore + 1);

  db = await startEmbeddedDb({ dataDir, port: Number(new URL(db.uri).port) });
  await statusBecomes('/readyz', 200, 10_000);
  expect(await emit(socket, 'chat:list', {})).toMatchObject({ ok: true });
});
