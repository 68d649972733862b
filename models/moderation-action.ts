import { Schema, Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { ACTION_TARGET_TYPES, ACTION_TYPES, ACTOR_ROLES } from './vocabulary';

/**
 * The audit log: append-only. An entry is deleted only when the effect it claimed could not be
 * written (handlers/enactment.ts withdraws it, so the log never shows what did not happen); the
 * one update is the retention sweep (server/retention.ts) replacing an old entry's `reason` text,
 * so who did what stays.
 */
const moderationActionSchema = new Schema(
  {
    type: { type: String, enum: ACTION_TYPES, required: true },
    /** A user id, or `system` for automatic actions. */
    actorId: { type: String, required: true },
    /** What the people acted against are told about who acted (never a platform moderator's id). */
    actorRole: { type: String, enum: ACTOR_ROLES, required: true },
    targetType: { type: String, enum: ACTION_TARGET_TYPES, required: true },
    targetId: { type: String, required: true },
    chatId: { type: Schema.Types.ObjectId, default: null },
    reason: { type: String, required: true },
    caseId: { type: Schema.Types.ObjectId, default: null },
    durationSec: { type: Number, default: null },
    /** The appeal this entry decides or carries out (a reversal's lifting action). */
    appealId: { type: Schema.Types.ObjectId, default: null },
    until: { type: Date, default: null },
    /** How many messages a purge covered when it started (its job reports how many it hid). */
    count: { type: Number, default: null },
    /**
     * Unique guard for actions that must happen once however many requests race
     * (the automatic hide of a message); every other entry uses its own id.
     */
    dedupKey: { type: String, required: true, default: () => new Types.ObjectId().toHexString() },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'moderationactions' },
);

moderationActionSchema.index({ dedupKey: 1 }, { unique: true });
moderationActionSchema.index({ targetId: 1, createdAt: -1 });
moderationActionSchema.index({ chatId: 1, createdAt: -1 });
moderationActionSchema.index({ actorId: 1, createdAt: -1 });
moderationActionSchema.index({ createdAt: -1 });
moderationActionSchema.index({ caseId: 1, createdAt: 1 });

export type ModerationAction = InferSchemaType<typeof moderationActionSchema> & { _id: Types.ObjectId };
export type ModerationActionDocument = HydratedDocument<ModerationAction>;
export const ModerationActionModel = model('ModerationAction', moderationActionSchema);
