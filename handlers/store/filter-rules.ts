/** Automatic filters' rules and what they matched (handlers/filters.ts). */
import { trusted, type Types } from 'mongoose';

import {
  AppealModel,
  FilterRuleModel,
  ModerationCaseModel,
  RuleHitModel,
  type FilterRule,
  type FilterRuleDocument,
  type RuleHit,
} from '../../models';
import { isId, objectId, type Id } from './db';

export type { FilterRule, FilterRuleDocument, RuleHit };

export type NewRule = Pick<FilterRule, 'name' | 'trigger' | 'action' | 'mode' | 'exemptRoles' | 'createdBy'> & {
  chatId: Id | null;
};

export function create(fields: NewRule): Promise<FilterRuleDocument> {
  return FilterRuleModel.create({ ...fields, chatId: fields.chatId === null ? null : objectId(fields.chatId) });
}

export function byId(ruleId: string): Promise<FilterRuleDocument | null> {
  return isId(ruleId) ? FilterRuleModel.findById(ruleId).exec() : Promise.resolve(null);
}

/** The rules of one scope: the platform's (`chatId` null) or one chat's, oldest first. */
export function ofScope(chatId: Id | null): Promise<FilterRule[]> {
  return FilterRuleModel.find({ chatId: chatId === null ? null : objectId(chatId) })
    .sort({ _id: 1 })
    .lean<FilterRule[]>()
    .exec();
}

export async function update(ruleId: Id, changes: Partial<FilterRule>): Promise<void> {
  await FilterRuleModel.updateOne({ _id: objectId(ruleId) }, { $set: { ...changes, updatedAt: new Date() } });
}

/** Deletes a rule and what it matched. */
export async function remove(ruleId: Id): Promise<void> {
  await Promise.all([
    FilterRuleModel.deleteOne({ _id: objectId(ruleId) }),
    RuleHitModel.deleteMany({ ruleId: objectId(ruleId) }),
  ]);
}

export async function recordHit(hit: Omit<RuleHit, '_id' | 'at'>): Promise<void> {
  await RuleHitModel.collection.insertOne({ ...hit, at: new Date() });
}

/** How many times each rule matched, all and in shadow. */
export async function hitCounts(ruleId: Id): Promise<{ total: number; shadow: number }> {
  const [total, shadow] = await Promise.all([
    RuleHitModel.countDocuments({ ruleId: objectId(ruleId) }),
    RuleHitModel.countDocuments({ ruleId: objectId(ruleId), mode: 'shadow' }),
  ]);
  return { total, shadow };
}

export function latestHits(ruleId: Id, limit: number): Promise<RuleHit[]> {
  return RuleHitModel.find({ ruleId: objectId(ruleId) })
    .sort({ at: -1 })
    .limit(limit)
    .lean<RuleHit[]>()
    .exec();
}

/** Latest enforced hits that opened a case or took an action (what decisions on the rule are read from). */
function actedHits(ruleId: Id, limit: number): Promise<Array<Pick<RuleHit, 'caseId' | 'actionId'>>> {
  return RuleHitModel.find({ ruleId: objectId(ruleId), mode: 'enforce' }, { caseId: 1, actionId: 1 })
    .sort({ at: -1 })
    .limit(limit)
    .lean<Array<Pick<RuleHit, 'caseId' | 'actionId'>>>()
    .exec();
}

/**
 * What humans decided about a rule's work: its cases actioned or dismissed by moderators, and the
 * appeals of its actions upheld or reversed (the latest `limit` hits).
 */
export async function decisionsOn(
  ruleId: Id,
  limit = 1000,
): Promise<{ actioned: number; dismissed: number; upheld: number; reversed: number }> {
  const hits = await actedHits(ruleId, limit);
  const caseIds = hits.flatMap((h) => (h.caseId ? [h.caseId] : [])) as Types.ObjectId[];
  const actionIds = hits.flatMap((h) => (h.actionId ? [h.actionId] : [])) as Types.ObjectId[];
  const [cases, appeals] = await Promise.all([
    caseIds.length
      ? ModerationCaseModel.find({ _id: trusted({ $in: caseIds }) }, { status: 1 }).lean()
      : Promise.resolve([]),
    actionIds.length
      ? AppealModel.find({ actionId: trusted({ $in: actionIds }) }, { status: 1 }).lean()
      : Promise.resolve([]),
  ]);
  return {
    actioned: cases.filter((c) => c.status === 'actioned').length,
    dismissed: cases.filter((c) => c.status === 'dismissed').length,
    upheld: appeals.filter((a) => a.status === 'upheld').length,
    reversed: appeals.filter((a) => a.status === 'reversed').length,
  };
}
