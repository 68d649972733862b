import type { ReportReason } from '../../models/vocabulary';

/** Worst first: a case's priority, and a notice's reason category, start from the gravest reason reported. */
export const REASON_SEVERITY: Record<ReportReason, number> = {
  child_abuse: 10,
  terrorism: 10,
  non_consensual_imagery: 8,
  violence: 7,
  illegal_goods: 6,
  sexual_content: 5,
  scam: 5,
  hate: 5,
  harassment: 5,
  personal_data: 4,
  spam: 2,
  copyright: 2,
  other: 1,
};

/** The gravest of `reasons`; null when there are none. */
export function gravestReason(reasons: Iterable<ReportReason>): ReportReason | null {
  let worst: ReportReason | null = null;
  for (const reason of reasons) if (worst === null || REASON_SEVERITY[reason] > REASON_SEVERITY[worst]) worst = reason;
  return worst;
}
