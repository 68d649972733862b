import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { ACTOR_ROLES, CHAT_ROLES, MEMBERSHIP_STATUSES } from './vocabulary';

const membershipSchema = new Schema({
  chatId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  role: { type: String, enum: CHAT_ROLES, required: true, default: 'member' },
  status: { type: String, enum: MEMBERSHIP_STATUSES, required: true, default: 'active' },
  /** With status `banned`: null is a permanent ban; a past date means the ban has run out. */
  bannedUntil: { type: Date, default: null },
  /** The level of whoever banned: only that level or above lifts the ban. */
  bannedByRole: { type: String, enum: ACTOR_ROLES, default: null },
  /** With `mutedByRole` set: null is a mute until lifted; a past date means the mute has run out. */
  mutedUntil: { type: Date, default: null },
  /** The level of whoever muted; null when not muted. */
  mutedByRole: { type: String, enum: ACTOR_ROLES, default: null },
  joinedAt: { type: Date, required: true, default: () => new Date() },
  /** The member's read position (chat:read): the highest seq they have seen; it never moves back. */
  readSeq: { type: Number, required: true, default: 0 },
});

membershipSchema.index({ chatId: 1, userId: 1 }, { unique: true });
membershipSchema.index({ userId: 1, status: 1 });
// A chat's owner and admins, read without touching its other members (a chat may have 200,000).
membershipSchema.index({ chatId: 1, role: 1, status: 1 });

export type Membership = InferSchemaType<typeof membershipSchema> & { _id: Types.ObjectId };
export type MembershipDocument = HydratedDocument<Membership>;
export const MembershipModel = model('Membership', membershipSchema);
