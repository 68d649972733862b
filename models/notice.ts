import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { ACTION_TARGET_TYPES, ACTION_TYPES, ACTOR_ROLES } from './vocabulary';

/**
 * A statement of reasons kept for the person an action concerns (DSA Art. 17): what was done,
 * why, whether a machine did it, until when, and how to appeal. Written where the live
 * `moderation:notice` is sent, so someone offline learns it on their next connection.
 */
const noticeSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    actionId: { type: Schema.Types.ObjectId, required: true },
    actionType: { type: String, enum: ACTION_TYPES, required: true },
    targetType: { type: String, enum: ACTION_TARGET_TYPES, required: true },
    targetId: { type: String, required: true },
    chatId: { type: Schema.Types.ObjectId, default: null },
    /** The level that acted, as the person is told it. */
    actorRole: { type: String, enum: ACTOR_ROLES, required: true },
    reason: { type: String, required: true },
    /** The gravest reason reported, when the action decided a case. */
    reasonCategory: { type: String, default: null },
    automatic: { type: Boolean, required: true },
    until: { type: Date, default: null },
    appealable: { type: Boolean, required: true },
    appealDeadline: { type: Date, default: null },
    createdAt: { type: Date, required: true, default: () => new Date() },
    readAt: { type: Date, default: null },
  },
  { collection: 'notices' },
);

noticeSchema.index({ userId: 1, actionId: 1 }, { unique: true });
noticeSchema.index({ userId: 1, createdAt: -1 });

export type Notice = InferSchemaType<typeof noticeSchema> & { _id: Types.ObjectId };
export type NoticeDocument = HydratedDocument<Notice>;
export const NoticeModel = model('Notice', noticeSchema);
