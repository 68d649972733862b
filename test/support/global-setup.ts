import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startEmbeddedDb, type EmbeddedDb } from '../../server/embedded-db';

declare global {
  var __STOA_TEST_DB__: { db: EmbeddedDb; dataDir: string } | undefined;
}

/** One embedded database for the whole run; every test file uses a database of its own in it. */
export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'stoa-test-'));
  const db = await startEmbeddedDb({ dataDir });
  process.env.STOA_TEST_MONGODB_URI = db.uri;
  process.env.STOA_TEST_DATA_DIR = dataDir;
  globalThis.__STOA_TEST_DB__ = { db, dataDir };
}
