/**
 * The path every moderation effect takes (handlers/moderation-effects.ts): its audit entry and
 * statement of reasons, its write, the invalidation of cached authorization facts, the news to
 * moderators and the chat's admins, the statement of reasons to the person acted against, the
 * rooms' events, and the case it closes.
 */
import { trusted, Types } from 'mongoose';

import {
  MembershipModel,
  ModerationActionModel,
  ModerationCaseModel,
  ReportModel,
  StatementModel,
  UserModel,
  type ActorRole,
  type ModerationAction,
  type ModerationActionDocument,
  type ModerationCaseDocument,
} from '../models';
import type { Services } from './context';
import { isDuplicateKeyError } from './contract/errors';
import { storeNotice } from './notices';
import { rooms } from './contract/protocol';
import { inCaseQueue } from './serial';
import { recordStatement } from './statements';
import { toActionView } from './views';

type NewAction = Pick<ModerationAction, 'type' | 'actorId' | 'actorRole' | 'targetType' | 'targetId' | 'reason'> & {
  chatId?: Types.ObjectId | null;
  caseId?: Types.ObjectId | null;
  durationSec?: number | null;
  until?: Date | null;
  appealId?: Types.ObjectId | null;
};

/** Who acted and why; the case it decides, if any. */
export interface Decision {
  actorId: string;
  actorRole: ActorRole;
  reason: string;
  case: ModerationCaseDocument | null;
  /** The appeal this decision answers or carries out. */
  appealId?: Types.ObjectId;
}

export interface Audience {
  /** Rooms of platform moderators: they see who acted. */
  staff: string[];
  /** Rooms of the chat's owner and admins who are not platform staff: they see the level that acted. */
  chatAdmins: string[];
}

/**
 * Who hears of a case or an action in `chatId`: platform moderators, and that
 * chat's owner and admins; never the people it is about (`except`), who get the
 * statement of reasons instead.
 */
export async function audienceOf(chatId: Types.ObjectId | null | undefined, except: string[] = []): Promise<Audience> {
  const excluded = except.filter((id) => Types.ObjectId.isValid(id));
  const staffExcluded = excluded.length > 0 && (await UserModel.exists({ _id: trusted({ $in: excluded }), role: trusted({ $in: ['moderator', 'admin'] }) })) !== null;
  // The moderators room holds every staff socket; when one of them is concerned, each other one is addressed instead.
  const staff = staffExcluded ? await staffRoomsExcept(excluded) : [rooms.moderators];
  if (!chatId) return { staff, chatAdmins: [] };
  const admins = await MembershipModel.find({ chatId, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { userId: 1 }).lean();
  const adminIds = admins.map((m) => m.userId.toString()).filter((id) => !excluded.includes(id));
  // Chat admins who are platform staff are in the moderators room already, and see the full view there.
  const plain = adminIds.length === 0 ? [] : await UserModel.find({ _id: trusted({ $in: adminIds }), role: 'user' }, { _id: 1 }).lean();
  return { staff, chatAdmins: plain.map((u) => rooms.user(u._id.toString())) };
}

async function staffRoomsExcept(excluded: string[]): Promise<string[]> {
  const staff = await UserModel.find({ role: trusted({ $in: ['moderator', 'admin'] }) }, { _id: 1 }).lean();
  return staff.map((u) => u._id.toString()).filter((id) => !excluded.includes(id)).map(rooms.user);
}

/** The statement of reasons to the person acted against: what, why, until when, at what level, how to appeal; kept for them too. */
async function notify(services: Services, userId: string, action: ModerationActionDocument, moderationCase: ModerationCaseDocument | null): Promise<void> {
  const notice = await storeNotice(services, userId, action, moderationCase);
  services.realtime.emit(rooms.user(userId), 'moderation:notice', { action: toActionView(action, { withActorId: false }), notice });
}

/**
 * Closes a case and its open reports, and tells each of those reporters the outcome. Runs in the
 * case's queue: a report that lands meanwhile is recounted after, and reopens the case.
 */
export async function resolveCase(services: Services, resolvedBy: string, moderationCase: ModerationCaseDocument | null, outcome: 'actioned' | 'dismissed'): Promise<void> {
  if (!moderationCase) return;
  const open = await inCaseQueue(moderationCase.id, async () => {
    const reports = await ReportModel.find({ caseId: moderationCase._id, status: 'open' }, { reporterId: 1 }).lean();
    await ModerationCaseModel.updateOne({ _id: moderationCase._id }, { $set: { status: outcome } });
    await ReportModel.updateMany({ _id: trusted({ $in: reports.map((r) => r._id) }) }, { $set: { status: outcome, resolvedAt: new Date(), resolvedBy } });
    return reports;
  });
  moderationCase.status = outcome;
  for (const report of open) {
    services.realtime.emit(rooms.user(report.reporterId.toString()), 'report:resolved', {
      reportId: report._id.toString(),
      caseId: moderationCase.id,
      outcome,
    });
  }
}

/** One effect: its audit entry, its write, and who hears of it. */
interface Effect {
  entry: Omit<NewAction, 'actorId' | 'actorRole' | 'reason' | 'caseId'>;
  /** The people it is about: they get the statement of reasons, never `mod:action`. */
  concerns: string[];
  /** For an effect that must happen once however many callers race: the unique key that admits one. */
  onceKey?: string;
  /**
   * What must stop before anything is written, undone if the effect fails: a banned member's
   * sockets leave the chat's room first, so nothing said while the ban is enacted reaches them.
   */
  first?: { run(): Promise<void>; undo(): Promise<void> };
  write(action: ModerationActionDocument): Promise<void>;
  /** Cached authorization facts the write changed (handlers/authorization-cache.ts). */
  invalidates?: string[];
  /** The person told what was done and why. */
  noticeTo?: string;
  /** The rooms' events, after the audience and the person acted against have heard. */
  publish?(action: ModerationActionDocument): Promise<void>;
  /** How the decided case closes; unset leaves it open (an automatic hide awaits review). */
  closes?: 'actioned' | 'dismissed';
}

/**
 * The one path every effect takes: claim (the audit entry), write, then invalidate, tell, publish
 * and close the case. Null when `onceKey` lost the race. A failed write withdraws the claim (the
 * audit entry and its statement) and undoes `first`, so that nothing stays claimed for an effect
 * that never happened: a retry, or the next report of an automatic hide, finds the way free.
 */
export async function enact(services: Services, decision: Decision, effect: Effect): Promise<ModerationActionDocument | null> {
  const entry: NewAction = { ...effect.entry, actorId: decision.actorId, actorRole: decision.actorRole, reason: decision.reason, caseId: decision.case?._id ?? null, appealId: decision.appealId ?? null };
  await effect.first?.run();
  let action: ModerationActionDocument | null = null;
  try {
    action = await audit(entry, effect.onceKey);
    if (!action) {
      await effect.first?.undo();
      return null;
    }
    // The statement of reasons in the transparency database's shape, kept with the audit entry.
    await recordStatement(action, decision.case);
    await effect.write(action);
  } catch (err) {
    await withdraw(services, action, effect, err);
    throw err;
  }
  if (effect.invalidates) await services.realtime.invalidate(effect.invalidates);
  await announce(services, action, effect.concerns);
  if (effect.noticeTo) await notify(services, effect.noticeTo, action, decision.case);
  await effect.publish?.(action);
  if (effect.closes) await resolveCase(services, decision.actorId, decision.case, effect.closes);
  return action;
}

/** Takes back what a failed effect claimed: its audit entry and statement, and its `first` step. */
async function withdraw(services: Services, action: ModerationActionDocument | null, effect: Effect, cause: unknown): Promise<void> {
  try {
    if (action) {
      await StatementModel.deleteOne({ actionId: action._id });
      await ModerationActionModel.deleteOne({ _id: action._id });
    }
    await effect.first?.undo();
  } catch (err) {
    services.log.error({ err, cause, actionId: action?.id }, 'a failed moderation effect could not be withdrawn');
  }
}

/** Appends one entry to the audit log; with `onceKey`, only the first of racing callers does (the others get null). */
async function audit(entry: NewAction, onceKey: string | undefined): Promise<ModerationActionDocument | null> {
  if (onceKey === undefined) return ModerationActionModel.create(entry);
  try {
    return await ModerationActionModel.create({ ...entry, dedupKey: onceKey });
  } catch (err) {
    if (isDuplicateKeyError(err)) return null;
    throw err;
  }
}

/** Counts and logs an action and tells moderators and the chat's admins, each in their view. */
async function announce(services: Services, action: ModerationActionDocument, concerns: string[]): Promise<void> {
  services.metrics.moderationActions.inc({ type: action.type });
  services.log.info({ actionId: action.id, type: action.type, actorId: action.actorId, targetId: action.targetId, chatId: action.chatId?.toString() }, 'moderation action');
  const audience = await audienceOf(action.chatId, concerns);
  services.realtime.emit(audience.staff, 'mod:action', { action: toActionView(action, { withActorId: true }) });
  if (audience.chatAdmins.length > 0) services.realtime.emit(audience.chatAdmins, 'mod:action', { action: toActionView(action, { withActorId: false }) });
}
