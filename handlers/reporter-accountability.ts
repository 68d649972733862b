/**
 * Accountability for unfounded reports (DSA Art. 23), after each dismissal: a reporter whose
 * reports keep being dismissed is first warned, then restricted (their reports weigh nothing and
 * are limited harder for a period). Each step is an audited, appealable action with a notice.
 */
import * as actions from './store/actions';
import type { ModerationCaseDocument } from './store/cases';
import type { Id } from './store/db';
import * as reports from './store/reports';
import * as users from './store/users';
import type { Services } from './context';
import { restrictReporter, warnReporter } from './moderation-effects';
import { reportingRestricted, reportRecord } from './reporter-trust';

export async function holdReportersToAccount(
  services: Services,
  moderationCase: ModerationCaseDocument,
): Promise<void> {
  for (const reporterId of await reports.dismissedReporters(moderationCase._id)) await answerFor(services, reporterId);
}

async function answerFor(services: Services, reporterId: Id): Promise<void> {
  const trust = services.reporterTrust;
  const since = new Date(Date.now() - trust.lookbackSec * 1000);
  const { upheld, dismissed } = await reportRecord(reporterId, since);
  // Someone mostly right is not sending unfounded notices, however many they send.
  if (dismissed < trust.warnAfter || upheld / (upheld + dismissed) >= trust.accuracyMin) return;
  const userId = reporterId.toString();
  const record = `${dismissed} of your last ${upheld + dismissed} decided reports were dismissed`;
  if (dismissed >= trust.restrictAfter) {
    const user = await users.byId(userId);
    if (!user || reportingRestricted(user)) return;
    const until = new Date(Date.now() + trust.restrictSec * 1000);
    // Keyed by the count, so racing dismissals restrict once, and a later run of dismissals again.
    await restrictReporter(
      services,
      userId,
      String(dismissed),
      `${record}: until this restriction ends your reports cannot trigger automatic actions and are limited harder`,
      until,
    );
    return;
  }
  // An automatic filter reports too (handlers/filters.ts); a rule is judged by its precision, not warned.
  if (!(await users.byId(userId))) return;
  if (!(await actions.takenSince('warn_reporter', userId, since)))
    await warnReporter(
      services,
      userId,
      String(dismissed),
      `${record}: if this goes on your reports will no longer trigger automatic actions`,
    );
}
