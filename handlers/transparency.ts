/**
 * The transparency report (DSA Art. 15, 24): what was reported, what was done and by whom, how
 * fast, and how appeals went, over a period. Computed from the stored reports, actions and
 * appeals, so the same period always gives the same figures. The embedded database's $group
 * knows only $sum, so counts, medians and percentiles are taken in Node over projected finds.
 */
import type { ActorRole } from '../models/vocabulary';
import * as actions from './store/actions';
import * as appeals from './store/appeals';
import * as cases from './store/cases';
import * as legalRequests from './store/legal-requests';
import * as reports from './store/reports';
import * as statements from './store/statements';
import type { Context } from './context';

export interface TransparencyReport {
  from: string;
  to: string;
  reports: {
    total: number;
    byReason: Record<string, number>;
    byTargetType: Record<string, number>;
    /** Of `total`, those filed by trusted flaggers (DSA Art. 22). */
    byTrustedFlaggers: number;
  };
  actions: {
    total: number;
    byType: Record<string, number>;
    bySource: { automatic: number; platform_moderator: number; chat_admin: number };
  };
  /** From a case's first report to its first action, for cases first acted on in the period. */
  timeToAction: { cases: number; medianSec: number | null; p90Sec: number | null };
  appeals: { filed: number; upheld: number; reversed: number };
  /** The statements of reasons of the period (handlers/statements.ts): one per restricting action above. */
  statements: {
    total: number;
    byCategory: Record<string, number>;
    byGround: Record<string, number>;
    fullyAutomated: number;
  };
  /** Requests from authorities received in the period (DSA Art. 15(1)(a)): what was asked, what came of it. */
  legalRequests: LegalRequestCounts;
}

export interface LegalRequestCounts {
  total: number;
  byCountry: Record<string, number>;
  byInstrument: Record<string, number>;
  /** complied, partial, rejected, no_data; `pending` for those not closed yet. */
  byOutcome: Record<string, number>;
  /** Accounts the requests named. */
  accountsSpecified: number;
  /** Accounts whose data was disclosed. */
  accountsDisclosed: number;
  /** Accounts told, once any gag lapsed. */
  accountsNotified: number;
  bulk: number;
  medianHoursToFirstReview: number | null;
  medianHoursToDisclosure: number | null;
}

const DEFAULT_PERIOD_MS = 30 * 86_400_000;

const SOURCE: Record<ActorRole, keyof TransparencyReport['actions']['bySource']> = {
  system: 'automatic',
  chat_admin: 'chat_admin',
  platform_moderator: 'platform_moderator',
  platform_admin: 'platform_moderator',
};

function tally<T>(rows: T[], key: (row: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[key(row)] = (counts[key(row)] ?? 0) + 1;
  return counts;
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function transparencyReport(
  _ctx: Context,
  input: { from?: string | undefined; to?: string | undefined },
): Promise<TransparencyReport> {
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - DEFAULT_PERIOD_MS);
  const [filedReports, taken, filed, decided, made, legal] = await Promise.all([
    reports.filedIn(from, to),
    actions.takenIn(from, to),
    appeals.filedIn(from, to),
    appeals.decidedIn(from, to),
    statements.madeIn(from, to),
    legalRequestCounts(from, to),
  ]);
  const fields = made as Array<Record<string, string>>;

  const bySource = { automatic: 0, platform_moderator: 0, chat_admin: 0 };
  // Deciding an appeal is not an action against anyone: it is counted under appeals.
  const measures = taken.filter((a) => a.type !== 'decide_appeal');
  for (const action of measures) bySource[SOURCE[action.actorRole]] += 1;

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    reports: {
      total: filedReports.length,
      byReason: tally(filedReports, (r) => r.reason),
      byTargetType: tally(filedReports, (r) => r.targetType),
      byTrustedFlaggers: filedReports.filter((r) => r.trustedFlagger).length,
    },
    actions: { total: measures.length, byType: tally(measures, (a) => a.type), bySource },
    timeToAction: await timeToAction(measures, from),
    appeals: {
      filed,
      upheld: decided.filter((a) => a.status === 'upheld').length,
      reversed: decided.filter((a) => a.status === 'reversed').length,
    },
    statements: {
      total: fields.length,
      byCategory: tally(fields, (s) => s.category!),
      byGround: tally(fields, (s) => s.decision_ground!),
      fullyAutomated: fields.filter((s) => s.automated_decision === 'AUTOMATED_DECISION_FULLY').length,
    },
    legalRequests: legal,
  };
}

const HOUR_MS = 3_600_000;
const CLOSED = new Set(['complied', 'partial', 'rejected', 'no_data']);

/** The requests from authorities received in [from, to), counted. */
export async function legalRequestCounts(from: Date, to: Date): Promise<LegalRequestCounts> {
  const received = await legalRequests.receivedIn(from, to);
  const hours = (pick: (r: legalRequests.LegalRequest) => Date | null | undefined) =>
    received
      .map((r) => {
        const at = pick(r);
        return at ? (at.getTime() - r.receivedAt.getTime()) / HOUR_MS : null;
      })
      .filter((h): h is number => h !== null)
      .sort((a, b) => a - b);
  return {
    total: received.length,
    byCountry: tally(received, (r) => r.authority.country),
    byInstrument: tally(received, (r) => r.instrument),
    byOutcome: tally(received, (r) => (CLOSED.has(r.status) ? r.status : 'pending')),
    accountsSpecified: received.reduce((n, r) => n + r.targets.filter((t) => t.type === 'user').length, 0),
    accountsDisclosed: received.reduce((n, r) => n + (r.disclosure?.accounts.length ?? 0), 0),
    accountsNotified: received.reduce((n, r) => n + r.notifiedCount, 0),
    bulk: received.filter((r) => r.bulk).length,
    medianHoursToFirstReview: percentile(
      hours((r) => r.reviews[0]?.at),
      50,
    ),
    medianHoursToDisclosure: percentile(
      hours((r) => r.disclosure?.at),
      50,
    ),
  };
}

/** `GET /api/transparency/legal-requests.csv`: the same counts for a period, one figure a row. */
export async function legalRequestsCsv(
  _ctx: Context,
  input: { from?: string | undefined; to?: string | undefined },
): Promise<{ csv: string; filename: string }> {
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - DEFAULT_PERIOD_MS);
  const counts = await legalRequestCounts(from, to);
  const rows: Array<[string, string, number | null]> = [['total', '', counts.total]];
  for (const [measure, byKey] of [
    ['country', counts.byCountry],
    ['instrument', counts.byInstrument],
    ['outcome', counts.byOutcome],
  ] as const)
    for (const [key, value] of Object.entries(byKey).sort()) rows.push([measure, key, value]);
  rows.push(
    ['accounts_specified', '', counts.accountsSpecified],
    ['accounts_disclosed', '', counts.accountsDisclosed],
    ['accounts_notified', '', counts.accountsNotified],
    ['bulk', '', counts.bulk],
    ['median_hours_to_first_review', '', counts.medianHoursToFirstReview],
    ['median_hours_to_disclosure', '', counts.medianHoursToDisclosure],
  );
  const period = [from.toISOString(), to.toISOString()];
  const lines = [
    'from,to,measure,key,value',
    ...rows.map(([measure, key, value]) => [...period, measure, key, value ?? ''].join(',')),
  ];
  return { csv: `${lines.join('\n')}\n`, filename: `legal-requests-${period[0]!.slice(0, 10)}.csv` };
}

/** Seconds from first report to first action, over the cases whose first action lies in the period. */
async function timeToAction(
  measures: Array<{ caseId?: unknown; createdAt: Date }>,
  from: Date,
): Promise<TransparencyReport['timeToAction']> {
  const firstInPeriod = new Map<string, Date>();
  for (const action of measures) {
    if (!action.caseId) continue;
    const id = String(action.caseId);
    const seen = firstInPeriod.get(id);
    if (!seen || action.createdAt < seen) firstInPeriod.set(id, action.createdAt);
  }
  // A case already acted on before the period had its first action then, not now.
  for (const caseId of await actions.casesActedOnBefore([...firstInPeriod.keys()], from)) firstInPeriod.delete(caseId);
  const firstReported = await cases.firstReported([...firstInPeriod.keys()]);
  const seconds = [...firstReported]
    .map(([caseId, reportedAt]) => (firstInPeriod.get(caseId)!.getTime() - reportedAt.getTime()) / 1000)
    .sort((a, b) => a - b);
  return { cases: seconds.length, medianSec: percentile(seconds, 50), p90Sec: percentile(seconds, 90) };
}
