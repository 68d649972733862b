/** The retention sweep's timer (handlers/retention.ts says what it removes): hourly, with the chores that finish work a failure left. */
import { sweepRetention, type RetentionSettings } from '../handlers/retention';
import type { Logger } from './logger';

const SWEEP_EVERY_MS = 60 * 60 * 1000;

/**
 * Sweeps once an hour, and runs `chores` (work left unfinished by a failure, such as a deletion
 * whose last steps failed) at start and with every sweep; the timer never keeps the process alive.
 */
export function startRetentionSweeper(
  settings: RetentionSettings,
  log: Logger,
  chores: Array<() => Promise<unknown>> = [],
): { stop(): void } {
  const runChores = () => {
    for (const chore of chores) chore().catch((err: unknown) => log.error({ err }, 'periodic chore failed'));
  };
  const startup = setTimeout(runChores, 0);
  startup.unref();
  const timer = setInterval(() => {
    sweepRetention(settings).then(
      (swept) => log.info(swept, 'retention sweep'),
      (err: unknown) => log.error({ err }, 'retention sweep failed'),
    );
    runChores();
  }, SWEEP_EVERY_MS);
  timer.unref();
  return {
    stop: () => {
      clearTimeout(startup);
      clearInterval(timer);
    },
  };
}
