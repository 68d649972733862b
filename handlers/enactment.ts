/**
 * Enacting a moderation decision: the one path every effect of handlers/moderation-effects.ts
 * takes. Claim it (its audit entry, unique when it must happen once), then write it with its
 * statement of reasons; then invalidate the cached facts it changed, tell the moderators and the
 * chat's admins, give the person acted against their statement of reasons, publish the rooms'
 * events and close the case it decides. A failed write withdraws the claim and undoes `first`, so
 * that nothing stays claimed for an effect that never happened. Reads that do not depend on each
 * other run together: a hide takes six database round trips one after another, not fifteen.
 */
import type { ActorRole, ReportReason } from '../models/vocabulary';
import { ACTION_KINDS, statementOf } from './policy/moderation-kinds';
import { gravestReason } from './policy/moderation-kinds';
import * as actions from './store/actions';
import * as cases from './store/cases';
import * as memberships from './store/memberships';
import * as notices from './store/notices';
import * as reports from './store/reports';
import * as statements from './store/statements';
import * as users from './store/users';
import { objectId, Types, type Id } from './store/db';

const newId = () => new Types.ObjectId();
import type { Services } from './context';
import { rooms, type NoticeView } from './contract/protocol';
import { toNoticeView } from './views';
import { withdrawSeal } from './evidence';
import { inCaseQueue } from './serial';
import { toActionView } from './views';

type ModerationCaseDocument = cases.ModerationCaseDocument;
type ModerationActionDocument = actions.ModerationActionDocument;

/** Who acted and why; the case it decides, if any. */
export interface Decision {
  actorId: string;
  actorRole: ActorRole;
  reason: string;
  case: ModerationCaseDocument | null;
  /** The appeal this decision answers or carries out. */
  appealId?: Id | undefined;
}

export interface Audience {
  /** Rooms of platform moderators: they see who acted. */
  staff: string[];
  /** Rooms of the chat's owner and admins who are not platform staff: they see the level that acted. */
  chatAdmins: string[];
}

/**
 * Who hears of a case or an action in `chatId`: platform moderators, and that chat's owner and
 * admins; never the people it is about (`except`), who get the statement of reasons instead.
 */
export async function audienceOf(chatId: Id | null | undefined, except: string[] = []): Promise<Audience> {
  const [staffConcerned, admins] = await Promise.all([
    users.anyStaffAmong(except),
    chatId ? memberships.chatAdmins(chatId) : [],
  ]);
  const adminIds = admins.filter((id) => !except.includes(id));
  // The moderators room holds every staff socket; when one of them is concerned, each other one is addressed instead.
  // Chat admins who are platform staff are in the moderators room already, and see the full view there.
  const [staff, plain] = await Promise.all([
    staffConcerned
      ? users.staffIds().then((ids) => ids.filter((id) => !except.includes(id)).map(rooms.user))
      : [rooms.moderators],
    users.plainUsersAmong(adminIds),
  ]);
  return { staff, chatAdmins: plain.map(rooms.user) };
}

/**
 * Closes a case and its open reports, and tells each of those reporters the outcome. Runs in the
 * case's queue: a report that lands meanwhile is recounted after, and reopens the case.
 */
export async function resolveCase(
  services: Services,
  resolvedBy: string,
  moderationCase: ModerationCaseDocument | null,
  outcome: 'actioned' | 'dismissed',
): Promise<void> {
  if (!moderationCase) return;
  const open = await inCaseQueue(moderationCase.id as string, async () => {
    const pending = await reports.openOf(moderationCase._id);
    await Promise.all([
      cases.setStatus(moderationCase._id, outcome),
      reports.resolve(
        pending.map((r) => r._id),
        outcome,
        resolvedBy,
      ),
    ]);
    return pending;
  });
  moderationCase.status = outcome;
  for (const report of open) {
    services.realtime.emit(rooms.user(report.reporterId.toString()), 'report:resolved', {
      reportId: report._id.toString(),
      caseId: moderationCase.id as string,
      outcome,
    });
  }
}

/** One effect: its audit entry, its write, and who hears of it. */
export interface Effect {
  entry: Omit<actions.NewAction, 'actorId' | 'actorRole' | 'reason' | 'caseId' | 'appealId'>;
  /** The people it is about: they get the statement of reasons, never `mod:action`. */
  concerns: string[];
  /** For an effect that must happen once however many callers race: the unique key that admits one. */
  onceKey?: string;
  /**
   * What must stop before anything is written, undone if the effect fails: a banned member's
   * sockets leave the chat's room first, so nothing said while the ban is enacted reaches them.
   */
  first?: { run(): Promise<void>; undo(): Promise<void> };
  /** Seals what the write removes (handlers/evidence.ts), beside the claim and before the write. */
  seal?(claim: { id: Types.ObjectId; at: Date }): Promise<void>;
  write(action: ModerationActionDocument): Promise<void>;
  /** The grounds it names itself, for its statement and notice (else its case's reasons). */
  grounds?: ReportReason[];
  /** When the content acted on was posted (a message), for the statement of reasons. */
  contentDate?: Date;
  /** Cached authorization facts the write changed (handlers/store/authorization-cache.ts). */
  invalidates?: string[];
  /** The person (or people: a closed chat's owner and admins) told what was done and why. */
  noticeTo?: string | string[];
  /** The rooms' events, after the audience and the person acted against have heard. */
  publish?(action: ModerationActionDocument): Promise<void>;
  /** How the decided case closes; unset leaves it open (an automatic hide awaits review). */
  closes?: 'actioned' | 'dismissed';
}

/** Enacts one effect of `decision`; null when `onceKey` lost the race. */
export async function enact(
  services: Services,
  decision: Decision,
  effect: Effect,
): Promise<ModerationActionDocument | null> {
  // Who hears of it does not depend on the write: read while it is claimed and written.
  const audience = audienceOf(effect.entry.chatId, effect.concerns);
  audience.catch(() => undefined);
  await effect.first?.run();
  // The action's id and time are chosen here, so that what it removes is sealed while it is claimed.
  const claim = { id: newId(), at: new Date() };
  const entry = {
    ...effect.entry,
    _id: claim.id,
    createdAt: claim.at,
    actorId: decision.actorId,
    actorRole: decision.actorRole,
    reason: decision.reason,
    caseId: decision.case?._id ?? null,
    appealId: decision.appealId === undefined ? null : objectId(decision.appealId),
  };
  const claimed = await Promise.allSettled([actions.append(entry, effect.onceKey), effect.seal?.(claim)]);
  const [appended, sealed] = claimed;
  const action = appended.status === 'fulfilled' ? appended.value : null;
  if (!action || sealed.status === 'rejected') {
    const cause =
      appended.status === 'rejected' ? appended.reason : sealed.status === 'rejected' ? sealed.reason : null;
    await Promise.allSettled([
      action ? actions.withdraw(action._id) : undefined,
      effect.seal ? withdrawSeal(claim.id) : undefined,
    ]);
    await undoFirst(services, effect, cause);
    if (cause) throw cause;
    return null;
  }
  await writeWithStatement(services, action, decision, effect);

  if (effect.invalidates) await services.realtime.invalidate(effect.invalidates);
  // The case closes as soon as the effect holds, beside the news and the notice.
  const closing = effect.closes ? resolveCase(services, decision.actorId, decision.case, effect.closes) : undefined;
  closing?.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled meanwhile
  const told = effect.noticeTo === undefined ? [] : [effect.noticeTo].flat();
  const [heard, notices] = await Promise.all([
    audience,
    Promise.all(told.map((userId) => storeNotice(services, userId, action, groundsOf(decision, effect)))),
  ]);
  announce(services, action, heard);
  told.forEach((userId, i) => {
    services.realtime.emit(rooms.user(userId), 'moderation:notice', {
      action: toActionView(action, { withActorId: false }),
      notice: notices[i]!,
    });
  });
  await Promise.all([effect.publish?.(action), closing]);
  return action;
}

/**
 * The write, beside the statement of reasons. A failed write withdraws the audit entry, the
 * statement and the seal; a statement that failed beside a write that held is logged: the effect stands.
 */
async function writeWithStatement(
  services: Services,
  action: ModerationActionDocument,
  decision: Decision,
  effect: Effect,
): Promise<void> {
  const [written, recorded] = await Promise.allSettled([
    effect.write(action),
    recordStatement(action, decision.case, groundsOf(decision, effect), effect.contentDate ?? null),
  ]);
  if (written.status === 'rejected') {
    try {
      await Promise.all([actions.withdraw(action._id), statements.withdraw(action._id), withdrawSeal(action._id)]);
    } catch (err) {
      services.log.error({ err, actionId: action.id }, 'a failed moderation effect could not be withdrawn');
    }
    await undoFirst(services, effect, written.reason);
    throw written.reason;
  }
  if (recorded.status === 'rejected')
    services.log.error({ err: recorded.reason, actionId: action.id }, 'statement of reasons not recorded');
}

async function undoFirst(services: Services, effect: Effect, cause: unknown): Promise<void> {
  try {
    await effect.first?.undo();
  } catch (err) {
    services.log.error({ err, cause }, 'could not undo the first step of a failed moderation effect');
  }
}

/** The statement of reasons of a restricting action, in the transparency database's fields; once (its puid is the action's id). */
async function recordStatement(
  action: ModerationActionDocument,
  moderationCase: ModerationCaseDocument | null,
  grounds: ReportReason[],
  contentDate: Date | null,
): Promise<void> {
  if (!ACTION_KINDS[action.type].restricts) return;
  const trustedFlagged = moderationCase
    ? (moderationCase.trustedReports ?? ((await reports.trustedFlaggerIn(moderationCase._id)) ? 1 : 0)) > 0
    : false;
  const fields = {
    id: action.id as string,
    type: action.type,
    reason: action.reason,
    actorRole: action.actorRole,
    until: action.until ?? null,
    createdAt: action.createdAt,
  };
  const statement = statementOf(fields, {
    reasons: grounds,
    fromCase: moderationCase !== null,
    trustedFlagged,
    contentDate,
  });
  await statements.record(action._id, action.createdAt, statement);
}

/** The grounds of a decision: the ones the effect names (a chat closed for a category), else its case's reasons. */
const groundsOf = (decision: Decision, effect: Effect): ReportReason[] =>
  effect.grounds ?? (decision.case?.reasons ? ([...decision.case.reasons.keys()] as ReportReason[]) : []);

/** Stores the statement of reasons for `userId` (once per action): what, why, until when, at what level, how to appeal. */
async function storeNotice(
  services: Services,
  userId: string,
  action: ModerationActionDocument,
  grounds: ReportReason[],
): Promise<NoticeView> {
  const appealable = ACTION_KINDS[action.type].appealable;
  const notice = await notices.storeOnce({
    userId: objectId(userId),
    actionId: action._id,
    actionType: action.type,
    actorRole: action.actorRole,
    targetType: action.targetType,
    targetId: action.targetId,
    chatId: action.chatId ?? null,
    reason: action.reason,
    reasonCategory: gravestReason(grounds),
    automatic: action.actorRole === 'system',
    until: action.until ?? null,
    appealable,
    appealDeadline: appealable ? new Date(action.createdAt.getTime() + services.appealWindowSec * 1000) : null,
    createdAt: action.createdAt,
  });
  return toNoticeView(notice);
}

/** Counts and logs an action and tells moderators and the chat's admins, each in their view. */
function announce(services: Services, action: ModerationActionDocument, audience: Audience): void {
  services.metrics.moderationActions.inc({ type: action.type });
  services.log.info(
    {
      actionId: action.id,
      type: action.type,
      actorId: action.actorId,
      targetId: action.targetId,
      chatId: action.chatId?.toString(),
    },
    'moderation action',
  );
  services.realtime.emit(audience.staff, 'mod:action', { action: toActionView(action, { withActorId: true }) });
  services.realtime.emit(audience.chatAdmins, 'mod:action', { action: toActionView(action, { withActorId: false }) });
}
