// The app's own DOM helpers (times and durations as it shows them), and the shared ones (../ui/dom.js).
import { h } from '../ui/dom.js';

export { h, append, fill, $, throttle } from '../ui/dom.js';

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return h(
    'time',
    { datetime: iso, title: date.toLocaleString() },
    sameDay ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleString(),
  );
}

/** "2 h 5 min", "40 s": a wait, in its two largest units. */
export function duration(ms) {
  let rest = Math.max(1, Math.ceil(ms / 1000));
  const parts = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ]) {
    const n = Math.floor(rest / size);
    rest %= size;
    if (n > 0) parts.push(`${n} ${unit}`);
  }
  return parts.slice(0, 2).join(' ') || '1 s';
}
