/**
 * Appeals (DSA Art. 20): the person an action concerns contests it once, within APPEAL_WINDOW;
 * a platform moderator other than the one who acted upholds or reverses it, and a reversal
 * lifts the restriction live through the same effects as a manual unhide, unban, unmute or
 * unsuspend. Only platform moderators decide appeals, chat admins never: an appeal is a second
 * look from above, and the undoing rules (handlers/access.ts levels) need that level anyway.
 */
import { actorRoleOf, isAtLeast } from './policy/access';
import { ACTION_KINDS, isAppealable } from './policy/moderation-kinds';
import * as actions from './store/actions';
import * as appeals from './store/appeals';
import * as notices from './store/notices';
import type { Context, Services } from './context';
import { toAppealView } from './views';
import { StoaError } from './contract/errors';
import { recordAccess } from './access-log';
import { actorOf, currentTarget } from './facts';
import { audienceOf, type Decision } from './enactment';
import * as effects from './moderation-effects';
import type { AppealOutcome, AppealStatus, AppealView, CaseTarget } from './contract/protocol';
import { toActionView } from './views';

export async function createAppeal(
  { services, caller }: Context,
  input: { actionId: string; text: string },
): Promise<{ appeal: AppealView }> {
  const action = await actions.byId(input.actionId);
  if (!action) throw new StoaError('not_found', 'No such action.');
  // The stored statement of reasons is what makes someone the person an action concerns.
  const notice = await notices.of(caller.user._id, action._id);
  if (!notice) throw new StoaError('forbidden', 'Only the person an action concerns may appeal it.');
  if (!isAppealable(action.type))
    throw new StoaError(
      'invalid_input',
      'Only an action that restricted you can be appealed, not a dismissal, a lifting or an appeal decision.',
    );
  if (notice.appealDeadline && notice.appealDeadline.getTime() < Date.now()) {
    throw new StoaError('forbidden', `The time to appeal this action ended at ${notice.appealDeadline.toISOString()}.`);
  }
  const appeal = await appeals.create({
    actionId: action._id,
    appellantId: caller.user._id,
    actionType: action.type,
    actionActorId: action.actorId,
    chatId: action.chatId ?? null,
    text: input.text,
  });
  if (!appeal) throw new StoaError('conflict', 'You have already appealed this action.');
  services.metrics.appealsFiled.inc();
  services.log.info({ appealId: appeal.id, actionId: action.id }, 'appeal filed');
  await publishAppeal(services, appeal, action);
  return { appeal: toAppealView(appeal) };
}

/**
 * `mod:appeal` to the platform moderators who may decide the appeal, in their `mod:appeals` view:
 * as that list does, it leaves out the one who took the action and the appellant.
 */
async function publishAppeal(
  services: Services,
  appeal: appeals.AppealDocument,
  action: actions.ModerationActionDocument,
): Promise<void> {
  const { staff } = await audienceOf(null, [appeal.actionActorId, appeal.appellantId.toString()]);
  services.realtime.emit(staff, 'mod:appeal', { appeal: moderatorsView(appeal, action) });
}

/** An appeal as platform moderators see it: with the action appealed and who took it. */
const moderatorsView = (appeal: appeals.AppealDocument, action: actions.ModerationActionDocument): AppealView =>
  toAppealView(appeal, { action: toActionView(action, { withActorId: true }) });

/** The queue of appeals, oldest first; nobody sees appeals on their own actions, nor their own appeals. */
export async function listAppeals(
  { caller }: Context,
  input: { status?: AppealStatus | undefined; limit?: number | undefined },
): Promise<{ appeals: AppealView[] }> {
  const queue = await appeals.queueFor(caller.user.id as string, input.status, input.limit ?? 50);
  const appealed = await actions.byIds(queue.map((a) => a.actionId));
  const byId = new Map(appealed.map((a) => [a.id as string, toActionView(a, { withActorId: true })]));
  return { appeals: queue.map((a) => toAppealView(a, { action: byId.get(a.actionId.toString()) })) };
}

/** One appeal for a platform moderator who may decide it, with what the action acted on as it is now. */
export async function getAppeal(
  { caller }: Context,
  input: { appealId: string },
): Promise<{ appeal: AppealView; target: CaseTarget }> {
  const { appeal, action } = await appealToDecide(caller, input.appealId);
  // A hidden or deleted message's text is evidence here too: reading it is audited.
  if (action.targetType === 'message')
    await recordAccess(caller, 'appeal_target', action.targetId, action.chatId ?? null);
  const target =
    action.targetType === 'message' || action.targetType === 'user'
      ? await currentTarget(action.targetType, action.targetId)
      : null;
  return { appeal: moderatorsView(appeal, action), target };
}

/** The appeal and the action it contests, for a platform moderator other than the one who acted and the appellant. */
async function appealToDecide(
  caller: Context['caller'],
  appealId: string,
): Promise<{ appeal: appeals.AppealDocument; action: actions.ModerationActionDocument }> {
  const appeal = await appeals.byId(appealId);
  if (!appeal) throw new StoaError('not_found', 'No such appeal.');
  if (appeal.actionActorId === caller.user.id)
    throw new StoaError('forbidden', 'Nobody decides the appeal against their own action.');
  if (appeal.appellantId.equals(caller.user._id)) throw new StoaError('forbidden', 'Nobody decides their own appeal.');
  const action = await actions.byId(appeal.actionId.toString());
  if (!action) throw new StoaError('not_found', 'No such action.');
  return { appeal, action };
}

export async function decideAppeal(
  { services, caller }: Context,
  input: { appealId: string; outcome: AppealOutcome; reason: string },
): Promise<{ appeal: AppealView }> {
  const { appeal, action } = await appealToDecide(caller, input.appealId);
  if (appeal.status !== 'open') throw new StoaError('conflict', 'That appeal is already decided.');
  const level = actorRoleOf(actorOf(caller, null))!;
  if (!isAtLeast(level, action.actorRole))
    throw new StoaError('forbidden', `Only a ${action.actorRole.replace('_', ' ')} or above decides this appeal.`);

  const decision: Decision = { actorId: caller.user.id, actorRole: level, reason: input.reason, case: null };
  const reversal: Decision = { ...decision, reason: `appeal reversed: ${input.reason}`, appealId: appeal._id };
  const decided = await effects.decideAppeal(services, decision, appeal, input.outcome, () =>
    reverseAction(services, action, reversal),
  );
  if (!decided) throw new StoaError('conflict', 'That appeal is already decided.');
  services.metrics.appealsDecided.inc({ outcome: input.outcome });
  // Other open consoles drop it from their open appeals.
  await publishAppeal(services, appeal, action);
  await services.realtime.flush();
  return { appeal: moderatorsView(appeal, action) };
}

/** Lifts what the action imposed, if it is still in force (handlers/moderation-effects.ts LIFTS); null when nothing is left to lift. */
function reverseAction(
  services: Services,
  action: actions.ModerationActionDocument,
  decision: Decision,
): Promise<actions.ModerationActionDocument | null> {
  const lift = ACTION_KINDS[action.type].liftedBy ? effects.LIFTS[action.type] : undefined;
  return lift ? lift(services, action, decision) : Promise.resolve(null);
}
