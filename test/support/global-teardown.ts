import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const test = globalThis.__STOA_TEST_DB__;
  if (!test) return;
  await test.db.stop();
  rmSync(test.dataDir, { recursive: true, force: true });
}
