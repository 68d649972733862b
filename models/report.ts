import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { CASE_STATUSES, REPORT_REASONS, TARGET_TYPES } from './vocabulary';

/** What the target looked like when it was reported; later edits and deletes do not touch it. */
const evidenceSchema = new Schema(
  {
    text: { type: String, default: null },
    senderId: { type: String, default: null },
    seq: { type: Number, default: null },
    chatId: { type: String, default: null },
    username: { type: String, default: null },
    displayName: { type: String, default: null },
    title: { type: String, default: null },
    createdAt: { type: Date, default: null },
  },
  { _id: false },
);

const reportSchema = new Schema({
  reporterId: { type: Schema.Types.ObjectId, required: true },
  targetType: { type: String, enum: TARGET_TYPES, required: true },
  targetId: { type: String, required: true },
  chatId: { type: Schema.Types.ObjectId, default: null },
  reason: { type: String, enum: REPORT_REASONS, required: true },
  comment: { type: String, default: null },
  /** Filed by a trusted flagger: raises the case's priority and is counted apart in the transparency report. */
  trustedFlagger: { type: Boolean, default: false },
  /** The reporter's standing when they reported, in established-reporter units (handlers/reporter-trust.ts). */
  weight: { type: Number, required: true, default: 1 },
  evidence: { type: evidenceSchema, required: true },
  status: { type: String, enum: CASE_STATUSES, required: true, default: 'open' },
  caseId: { type: Schema.Types.ObjectId, required: true },
  createdAt: { type: Date, required: true, default: () => new Date() },
  resolvedAt: { type: Date, default: null },
  resolvedBy: { type: String, default: null },
  /** When the retention sweep emptied the evidence snapshot (RETENTION_EVIDENCE_DAYS after the case closed). */
  evidenceRemovedAt: { type: Date, default: null },
});

reportSchema.index({ reporterId: 1, targetType: 1, targetId: 1 }, { unique: true });
reportSchema.index({ caseId: 1 });
reportSchema.index({ createdAt: -1 });
reportSchema.index({ reporterId: 1, createdAt: -1 });

export type Report = InferSchemaType<typeof reportSchema> & { _id: Types.ObjectId };
export type ReportDocument = HydratedDocument<Report>;
export const ReportModel = model('Report', reportSchema);
