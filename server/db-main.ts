/** `npm run db`: the embedded database alone on DB_PORT, for several nodes to share through MONGODB_URI. */
import path from 'node:path';

import { loadConfig } from './config';
import { startEmbeddedDb } from './embedded-db';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await startEmbeddedDb({
    dataDir: path.join(config.dataDir, 'db'),
    port: config.dbPort,
    tiedToParent: true,
  });
  console.log(`stoa: embedded database listening; set MONGODB_URI=${db.uri}stoa on every node`);
  const stop = () => void db.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const code = await db.exited;
  process.exit(code ?? 0);
}

main().catch((err: Error) => {
  console.error(`stoa: ${err.message}`);
  process.exit(1);
});
