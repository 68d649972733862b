import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { FILTER_ACTIONS, FILTER_EXEMPT_ROLES, FILTER_MODES, FILTER_TRIGGER_TYPES, REPORT_REASONS } from './vocabulary';

/**
 * An automatic filter: platform-wide (`chatId` null, platform moderators) or one chat's (its owner
 * and admins). The trigger's fields depend on its type and are validated by the input schema.
 */
const filterRuleSchema = new Schema({
  chatId: { type: Schema.Types.ObjectId, default: null },
  name: { type: String, required: true },
  trigger: {
    type: { type: String, enum: FILTER_TRIGGER_TYPES, required: true },
    words: { type: [String], default: undefined },
    patterns: { type: [String], default: undefined },
    allow: { type: [String], default: undefined },
    deny: { type: [String], default: undefined },
    max: { type: Number, default: undefined },
    minAgeSec: { type: Number, default: undefined },
    links: { type: Boolean, default: undefined },
  },
  action: {
    type: { type: String, enum: FILTER_ACTIONS, required: true },
    durationSec: { type: Number, default: null },
    /** What the author is told (a block's refusal, a notice). */
    note: { type: String, default: null },
    /** The report reason of the cases it opens and of its statements of reasons. */
    reason: { type: String, enum: REPORT_REASONS, default: 'spam' },
  },
  mode: { type: String, enum: FILTER_MODES, required: true, default: 'shadow' },
  exemptRoles: { type: [String], enum: FILTER_EXEMPT_ROLES, default: () => [] },
  createdBy: { type: String, required: true },
  createdAt: { type: Date, required: true, default: () => new Date() },
  updatedAt: { type: Date, required: true, default: () => new Date() },
});
filterRuleSchema.index({ chatId: 1 });

/** What a rule matched: in shadow, what it would have done; enforced, what it did (with its case and action). */
const ruleHitSchema = new Schema({
  ruleId: { type: Schema.Types.ObjectId, required: true },
  chatId: { type: Schema.Types.ObjectId, required: true },
  senderId: { type: Schema.Types.ObjectId, required: true },
  messageId: { type: Schema.Types.ObjectId, default: null },
  /** The first 200 characters of the message. */
  excerpt: { type: String, required: true },
  action: { type: String, enum: FILTER_ACTIONS, required: true },
  mode: { type: String, enum: FILTER_MODES, required: true },
  caseId: { type: Schema.Types.ObjectId, default: null },
  actionId: { type: Schema.Types.ObjectId, default: null },
  at: { type: Date, required: true, default: () => new Date() },
});
ruleHitSchema.index({ ruleId: 1, at: -1 });

export type FilterRule = InferSchemaType<typeof filterRuleSchema> & { _id: Types.ObjectId };
export type FilterRuleDocument = HydratedDocument<FilterRule>;
export const FilterRuleModel = model('FilterRule', filterRuleSchema);
export type RuleHit = InferSchemaType<typeof ruleHitSchema> & { _id: Types.ObjectId };
export const RuleHitModel = model('RuleHit', ruleHitSchema);
