import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { ACTION_TYPES, APPEAL_STATUSES } from './vocabulary';

/** A request by the person an action concerns to have it looked at again, by another platform moderator. */
const appealSchema = new Schema(
  {
    actionId: { type: Schema.Types.ObjectId, required: true },
    appellantId: { type: Schema.Types.ObjectId, required: true },
    actionType: { type: String, enum: ACTION_TYPES, required: true },
    /** Who took the action (`system` when automatic): they never decide its appeal. */
    actionActorId: { type: String, required: true },
    chatId: { type: Schema.Types.ObjectId, default: null },
    text: { type: String, required: true },
    status: { type: String, enum: APPEAL_STATUSES, required: true, default: 'open' },
    decidedBy: { type: String, default: null },
    decisionReason: { type: String, default: null },
    decidedAt: { type: Date, default: null },
    /** The `decide_appeal` audit entry. */
    decisionActionId: { type: Schema.Types.ObjectId, default: null },
    /** The lifting action a reversal took, if there was still something to lift. */
    reversalActionId: { type: Schema.Types.ObjectId, default: null },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'appeals' },
);

// Only inserts under a unique index are a reliable guard on the embedded database: once per action and person.
appealSchema.index({ actionId: 1, appellantId: 1 }, { unique: true });
appealSchema.index({ status: 1, createdAt: 1 });
appealSchema.index({ appellantId: 1, createdAt: -1 });

export type Appeal = InferSchemaType<typeof appealSchema> & { _id: Types.ObjectId };
export type AppealDocument = HydratedDocument<Appeal>;
export const AppealModel = model('Appeal', appealSchema);
