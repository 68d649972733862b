/** Statements of reasons in the EU transparency database's fields, one per restricting action. */
import { trusted } from 'mongoose';

import { StatementModel } from '../../models';
import type { Id } from './db';

export type StatementFields = Record<string, string | string[] | null>;

export async function record(actionId: Id, createdAt: Date, statement: StatementFields): Promise<void> {
  await StatementModel.create({ actionId, createdAt, statement });
}

/** Takes back the statement of an action whose effect could not be written. */
export async function withdraw(actionId: Id): Promise<void> {
  await StatementModel.deleteOne({ actionId });
}

export async function madeIn(from: Date, to: Date): Promise<StatementFields[]> {
  const rows = await StatementModel.find({ createdAt: trusted({ $gte: from, $lt: to }) }, { statement: 1 })
    .sort({ createdAt: 1 })
    .lean();
  return rows.map((row) => row.statement as StatementFields);
}

/** Replaces `decision_facts` (a moderator's free text) of statements older than `before`; returns how many. */
export async function redactFactsBefore(before: Date, redacted: string): Promise<number> {
  const { modifiedCount } = await StatementModel.updateMany(
    { createdAt: trusted({ $lt: before }), 'statement.decision_facts': trusted({ $ne: redacted }) },
    { $set: { 'statement.decision_facts': redacted } },
  );
  return modifiedCount;
}
