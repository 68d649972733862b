// The console's own DOM helpers (times and durations as it shows them), and the shared ones (../ui/dom.js).
import { h } from '../ui/dom.js';

export { h, append, fill, $, throttle } from '../ui/dom.js';

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return h('time', { datetime: iso, title: iso }, date.toLocaleString());
}

const UNITS = [
  ['d', 86400],
  ['h', 3600],
  ['min', 60],
  ['s', 1],
];

/** "2 h 5 min", "40 s", "24 d": a duration or a time left, in its two largest units. */
export function duration(ms) {
  let rest = Math.max(0, Math.round(ms / 1000));
  const parts = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    rest %= size;
    if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`);
  }
  const [first = '0 s', second] = parts;
  return second && !second.startsWith('0 ') ? `${first} ${second}` : first;
}

/** A server refusal as the person should read it. */
export function errorText(error) {
  if (!error) return 'Something went wrong.';
  return error.message ? `${error.message} (${error.code})` : String(error.code ?? error);
}
