import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

/** A platform moderator's private note on an account: never shown to the account or to chat admins. */
const userNoteSchema = new Schema(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    authorId: { type: Schema.Types.ObjectId, required: true },
    text: { type: String, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'usernotes' },
);

userNoteSchema.index({ userId: 1, createdAt: -1 });

export type UserNote = InferSchemaType<typeof userNoteSchema> & { _id: Types.ObjectId };
export type UserNoteDocument = HydratedDocument<UserNote>;
export const UserNoteModel = model('UserNote', userNoteSchema);
