/** Parsing of the duration and rate settings used in the environment. */

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90" and "90s" are seconds; "15m", "1h", "2d" scale. Returns undefined when unreadable. */
export function parseDuration(raw: string): number | undefined {
  const match = /^(\d+)([smhd]?)$/.exec(raw.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's']!;
}

export interface RateSetting {
  points: number;
  durationSec: number;
}

/** "20/10s" is 20 points per 10 seconds; "100/1d" 100 per day. */
export function parseRate(raw: string): RateSetting | undefined {
  const [points, window, extra] = raw.split('/');
  if (points === undefined || window === undefined || extra !== undefined || !/^\d+$/.test(points.trim()))
    return undefined;
  const durationSec = parseDuration(window);
  const count = Number(points);
  if (durationSec === undefined || durationSec <= 0 || count <= 0) return undefined;
  return { points: count, durationSec };
}

/** Defaults of docs/ARCHITECTURE.md §8; each is overridden by RATE_<NAME>, e.g. RATE_MESSAGES=20/10s. */
export const RATE_LIMIT_DEFAULTS = {
  messages: { points: 20, durationSec: 10 },
  reports: { points: 10, durationSec: 60 },
  // A reporter restricted for unfounded reports (REPORT_RESTRICT_AFTER): a few a day still reach the queue.
  reports_restricted: { points: 5, durationSec: 86_400 },
  login_consecutive: { points: 5, durationSec: 15 * 60 },
  login_daily: { points: 100, durationSec: 24 * 3600 },
  connections: { points: 20, durationSec: 60 },
  joins: { points: 30, durationSec: 60 },
  // Each registration costs a bcrypt hash: a flood of them would burn the CPU.
  registrations: { points: 10, durationSec: 3600 },
  chat_creations: { points: 10, durationSec: 3600 },
  // A client paging back through a long chat reads a page every few hundred milliseconds at most.
  history: { points: 120, durationSec: 60 },
  moderation_reads: { points: 120, durationSec: 60 },
  // A client repeats typing:start every few seconds while someone types; more is noise to the group.
  typing: { points: 20, durationSec: 10 },
  // Flood isolation: every packet of one socket, every HTTP request of one address. Well above what
  // a client sends (messages, typing, read marks, history paging), far below what a flood sends.
  socket_events: { points: 200, durationSec: 10 },
  http_requests: { points: 300, durationSec: 10 },
} satisfies Record<string, RateSetting>;

export type RateLimitName = keyof typeof RATE_LIMIT_DEFAULTS;
