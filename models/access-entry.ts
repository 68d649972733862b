import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { ACCESS_KINDS } from './vocabulary';

/**
 * Who read what members could not: hidden messages, a private chat's history from outside it,
 * a case's evidence. No address is kept, only the account.
 */
const accessEntrySchema = new Schema(
  {
    actorId: { type: Schema.Types.ObjectId, required: true },
    what: { type: String, enum: ACCESS_KINDS, required: true },
    /** The chat read, or the case whose evidence was read. */
    targetId: { type: String, required: true },
    chatId: { type: Schema.Types.ObjectId, default: null },
    at: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'accesslog' },
);

accessEntrySchema.index({ at: -1 });
accessEntrySchema.index({ actorId: 1, at: -1 });
accessEntrySchema.index({ what: 1, targetId: 1 });

export type AccessEntry = InferSchemaType<typeof accessEntrySchema> & { _id: Types.ObjectId };
export type AccessEntryDocument = HydratedDocument<AccessEntry>;
export const AccessEntryModel = model('AccessEntry', accessEntrySchema);
