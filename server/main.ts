/** `npm start`: the Stoa server, with the embedded database when MONGODB_URI is unset. */
import path from 'node:path';

import { createStoa } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { connectDatabase } from '../handlers/store/connection';
import { startEmbeddedDb, type EmbeddedDb } from './embedded-db';
import { createLogger } from './logger';
import { exitGracefullyOnSignals } from './shutdown';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel);
  // A safety net, not a plan: nothing a client sends may take the process down.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  let stopping = false;

  let embedded: EmbeddedDb | undefined;
  let uri = config.mongodbUri;
  if (uri === undefined) {
    embedded = await startEmbeddedDb({ dataDir: path.join(config.dataDir, 'db') });
    void embedded.exited.then((code) => {
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
  exitGracefullyOnSignals({ stoa, log, embedded }, () => {
    stopping = true;
  });
  const port = await stoa.listen(config.port);
  log.info({ port }, 'stoa listening');
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
