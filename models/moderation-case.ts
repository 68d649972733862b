import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { CASE_STATUSES, TARGET_TYPES } from './vocabulary';

const moderationCaseSchema = new Schema(
  {
    targetType: { type: String, enum: TARGET_TYPES, required: true },
    targetId: { type: String, required: true },
    chatId: { type: Schema.Types.ObjectId, default: null },
    /** The person the case is about: a reported message's author or the reported user (null for a chat). */
    reportedUserId: { type: String, default: null },
    /** Distinct reporters: recounted from the unique reports, never incremented. */
    reportCount: { type: Number, required: true, default: 0 },
    /** Sum of the reports' weights: what automatic hiding compares with its threshold. */
    weight: { type: Number, required: true, default: 0 },
    /** Reports by trusted flaggers among them (null on cases counted before it was kept). */
    trustedReports: { type: Number, default: null },
    reasons: { type: Map, of: Number, default: () => ({}) },
    /** Higher is more urgent; see handlers/reports.ts casePriority. */
    priority: { type: Number, required: true, default: 0 },
    status: { type: String, enum: CASE_STATUSES, required: true, default: 'open' },
    firstReportedAt: { type: Date, required: true },
    lastReportedAt: { type: Date, required: true },
  },
  { collection: 'moderationcases' },
);

moderationCaseSchema.index({ targetType: 1, targetId: 1 }, { unique: true });
moderationCaseSchema.index({ status: 1, priority: -1, lastReportedAt: -1 });
moderationCaseSchema.index({ priority: -1, lastReportedAt: -1 });

export type ModerationCase = InferSchemaType<typeof moderationCaseSchema> & { _id: Types.ObjectId };
export type ModerationCaseDocument = HydratedDocument<ModerationCase>;
export const ModerationCaseModel = model('ModerationCase', moderationCaseSchema);
