import { Schema, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { ACTOR_ROLES, PLATFORM_ROLES } from './vocabulary';

const suspensionSchema = new Schema(
  {
    until: { type: Date, default: null },
    reason: { type: String, required: true },
    by: { type: String, required: true },
    /** The level of whoever suspended: only that level or above lifts it. */
    byRole: { type: String, enum: ACTOR_ROLES, default: null },
  },
  { _id: false },
);

const userSchema = new Schema({
  /** Stored lower-case, so the unique index makes names unique case-insensitively. */
  username: { type: String, required: true, lowercase: true, trim: true },
  passwordHash: { type: String, required: true },
  displayName: { type: String, required: true },
  role: { type: String, enum: PLATFORM_ROLES, required: true, default: 'user' },
  suspended: { type: suspensionSchema, default: null },
  /** While `until` lies ahead the account's reports weigh nothing and are rate-limited harder (restrict_reporter). */
  reportingRestricted: {
    type: new Schema(
      { until: { type: Date, required: true }, actionId: { type: Schema.Types.ObjectId, required: true } },
      { _id: false },
    ),
    default: null,
  },
  /** Tokens carry the version they were issued under; logout moves it on, so every earlier token is refused. */
  tokenVersion: { type: Number, required: true, default: 0 },
  createdAt: { type: Date, required: true, default: () => new Date() },
  /** Set when the person deleted their account: the document stays, anonymised, so their messages keep an author. */
  deletedAt: { type: Date, default: null },
  /** Set by the write that deletes the account, cleared once it has left every chat (handlers/account-data.ts). */
  deletionPending: { type: Boolean, default: false },
});

userSchema.index({ username: 1 }, { unique: true });
userSchema.index({ deletionPending: 1 });

export type User = InferSchemaType<typeof userSchema>;
export type UserDocument = HydratedDocument<User>;
export const UserModel = model('User', userSchema);
