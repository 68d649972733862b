// Operations (platform admins): the rate-limit table and a chart of rates polled from /metrics.
import { $, fill, h, duration, errorText } from './dom.js';
import { http } from './session.js';

const POLL_MS = 2000;
/** Five minutes of samples. */
const KEEP_MS = 5 * 60 * 1000;
const SERIES = [
  { name: 'messages/s', metric: 'stoa_messages_stored_total', rate: true, color: '#2563eb' },
  { name: 'reports/s', metric: 'stoa_reports_created_total', rate: true, color: '#d97706' },
  { name: 'refusals/s', metric: 'stoa_rate_limit_refusals_total', rate: true, color: '#dc2626' },
  { name: 'sockets', metric: 'stoa_connected_sockets', rate: false, color: '#059669' },
];

let timer;
let samples = [];

export function startOps() {
  stopOps();
  poll();
  loadTransparency();
  timer = setInterval(poll, POLL_MS);
}

export function stopOps() {
  clearInterval(timer);
  timer = undefined;
}

async function poll() {
  const [limits, metrics] = await Promise.allSettled([http('GET', '/api/ops/rate-limits'), http('GET', '/metrics')]);
  const failed = [limits, metrics].find((r) => r.status === 'rejected');
  fill($('ops-error'), failed ? errorText(failed.reason) : '');
  if (limits.status === 'fulfilled') renderLimits(limits.value.limiters);
  if (metrics.status === 'fulfilled') {
    addSample(parseMetrics(metrics.value));
    drawChart();
  }
}

/** The published figures change slowly: read once when the page opens. */
async function loadTransparency() {
  try {
    const t = await http('GET', '/api/transparency');
    const pairs = (counts) =>
      Object.entries(counts)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none';
    const seconds = (s) => (s === null ? 'n/a' : duration(s * 1000));
    fill(
      $('ops-transparency'),
      h('dt', {}, 'Reports'),
      h(
        'dd',
        {},
        `${t.reports.total} (${pairs(t.reports.byReason)}); ${t.reports.byTrustedFlaggers} from trusted flaggers`,
      ),
      h('dt', {}, 'Actions'),
      h(
        'dd',
        {},
        `${t.actions.total}: automatic ${t.actions.bySource.automatic}, platform moderators ${t.actions.bySource.platform_moderator}, chat admins ${t.actions.bySource.chat_admin}`,
      ),
      h('dt', {}, 'Report to action'),
      h(
        'dd',
        {},
        `median ${seconds(t.timeToAction.medianSec)}, p90 ${seconds(t.timeToAction.p90Sec)} over ${t.timeToAction.cases} cases`,
      ),
      h('dt', {}, 'Appeals'),
      h('dd', {}, `${t.appeals.filed} filed, ${t.appeals.upheld} upheld, ${t.appeals.reversed} reversed`),
    );
  } catch (error) {
    fill($('ops-transparency'), h('dd', {}, errorText(error)));
  }
}

function renderLimits(limiters) {
  fill(
    $('ops-rows'),
    limiters.map((l) =>
      h(
        'tr',
        { dataset: { limiter: l.name } },
        h('td', {}, l.name),
        h('td', {}, l.durationSec ? `${l.points} per ${duration(l.durationSec * 1000)}` : 'per chat'),
        h('td', {}, l.blockDurationSec ? duration(l.blockDurationSec * 1000) : ''),
        h('td', { class: 'num refusals' }, l.refusals),
        h(
          'td',
          {},
          l.blocked.length === 0
            ? ''
            : h(
                'ul',
                { class: 'blocked' },
                l.blocked.map((b) => h('li', {}, h('code', {}, b.key), ` ${duration(b.msLeft)}`)),
              ),
        ),
      ),
    ),
  );
}

/** Sums each metric over its labels, from the Prometheus text format. */
export function parseMetrics(text) {
  const totals = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) totals[match[1]] = (totals[match[1]] ?? 0) + value;
  }
  return totals;
}

function addSample(totals) {
  const now = Date.now();
  const previous = samples[samples.length - 1];
  const point = { t: now, totals, values: {} };
  for (const s of SERIES) {
    const total = totals[s.metric] ?? 0;
    if (!s.rate) point.values[s.name] = total;
    // A counter that went down means the server restarted: count from zero again.
    else if (previous)
      point.values[s.name] = Math.max(0, total - (previous.totals[s.metric] ?? 0)) / ((now - previous.t) / 1000);
  }
  samples.push(point);
  samples = samples.filter((p) => p.t >= now - KEEP_MS);
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** One strip per series, each on its own scale, over the last minutes. */
function drawChart() {
  const chart = $('ops-chart');
  const width = 600;
  const strip = 60;
  const left = 110;
  const now = Date.now();
  // The time axis grows with the samples, from one minute up to KEEP_MS.
  const span = Math.min(KEEP_MS, Math.max(60_000, now - (samples[0]?.t ?? now)));
  const x = (t) => left + ((t - (now - span)) / span) * (width - left - 4);
  const parts = [];
  SERIES.forEach((s, i) => {
    const top = i * strip;
    const points = samples.filter((p) => p.values[s.name] !== undefined);
    const latest = points[points.length - 1]?.values[s.name] ?? 0;
    const max = Math.max(1, ...points.map((p) => p.values[s.name]));
    const y = (v) => top + strip - 6 - (v / max) * (strip - 14);
    parts.push(svg('line', { x1: left, x2: width - 4, y1: top + strip - 6, y2: top + strip - 6, class: 'axis' }));
    parts.push(svg('text', { x: 4, y: top + 18, class: 'label' }, s.name));
    parts.push(svg('text', { x: 4, y: top + 36, class: 'value', 'data-series': s.name }, format(latest)));
    parts.push(svg('text', { x: 4, y: top + 54, class: 'max' }, `scale 0..${format(max)}`));
    if (points.length > 1) {
      parts.push(
        svg('polyline', {
          points: points.map((p) => `${x(p.t).toFixed(1)},${y(p.values[s.name]).toFixed(1)}`).join(' '),
          stroke: s.color,
          class: 'series',
        }),
      );
    }
  });
  chart.replaceChildren(...parts);
}

const format = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1));
