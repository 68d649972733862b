/** `npm start`: the Stoa server, with the embedded database when MONGODB_URI is unset. */
import path from 'node:path';

import { createStoa } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { connectDatabase, disconnectDatabase } from './database';
import { startEmbeddedDb, type EmbeddedDb } from './embedded-db';
import { createLogger } from './logger';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel);
  let stopping = false;

  let embedded: EmbeddedDb | undefined;
  let uri = config.mongodbUri;
  if (uri === undefined) {
    embedded = await startEmbeddedDb({ dataDir: path.join(config.dataDir, 'db') });
    embedded.exited.then((code) => {
      if (!stopping) {
        log.fatal({ code }, 'the embedded database exited');
        process.exit(1);
      }
    });
    uri = embedded.uri;
    log.info({ uri }, 'embedded database started');
  }

  await connectDatabase(uri, uri === embedded?.uri ? 'stoa' : undefined);
  const stoa = await createStoa(config, log);
  const port = await stoa.listen(config.port);
  log.info({ port }, 'stoa listening');

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    await stoa.close();
    await disconnectDatabase();
    await embedded?.stop();
    clearTimeout(deadline);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`stoa: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

main().catch((err: Error) => {
  console.error(`stoa: ${err.message}`);
  process.exit(1);
});
