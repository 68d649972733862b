/** Graceful shutdown of a whole Stoa process (docs/ARCHITECTURE.md §7): sockets, database, embedded database. */
import type { Stoa } from './app';
import { disconnectDatabase } from '../handlers/store/connection';
import type { EmbeddedDb } from './embedded-db';
import type { Logger } from './logger';

/** The budget from the signal to the exit. */
export const SHUTDOWN_DEADLINE_MS = 10_000;
/** The share of the budget events in flight get; the rest closes mongoose and the embedded database. */
const DRAIN_MS = 5_000;

export interface RunningServer {
  stoa: Stoa;
  log: Logger;
  embedded?: EmbeddedDb;
}

/** Stops accepting, tells sockets, finishes events in flight, then closes mongoose and the embedded database. */
export async function shutdown({ stoa, embedded, log }: RunningServer, reason: string): Promise<void> {
  await stoa.close({ reason, drainMs: DRAIN_MS });
  await disconnectDatabase();
  log.info('database disconnected');
  if (embedded) {
    await embedded.stop();
    log.info('embedded database stopped');
  }
}

/**
 * On SIGTERM or SIGINT: shuts down and exits 0, or exits 1 if that fails or outlasts the
 * deadline. A second signal during shutdown changes nothing; the deadline still holds.
 * Calls `onStopping` first, so that the embedded database's exit is not taken for a crash.
 */
export function exitGracefullyOnSignals(server: RunningServer, onStopping: () => void): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    onStopping();
    server.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      server.log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    shutdown(server, signal === 'SIGINT' ? 'server interrupted' : 'server restarting').then(
      () => {
        clearTimeout(deadline);
        server.log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        server.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
