import { Schema, Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

export const CHAT_ROLES = ['owner', 'admin', 'member'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];
export const MEMBERSHIP_STATUSES = ['active', 'left', 'banned'] as const;

const membershipSchema = new Schema({
  chatId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: Schema.Types.ObjectId, required: true },
  role: { type: String, enum: CHAT_ROLES, required: true, default: 'member' },
  status: { type: String, enum: MEMBERSHIP_STATUSES, required: true, default: 'active' },
  /** With status `banned`: null is a permanent ban; a past date means the ban has run out. */
  bannedUntil: { type: Date, default: null },
  mutedUntil: { type: Date, default: null },
  joinedAt: { type: Date, required: true, default: () => new Date() },
});

membershipSchema.index({ chatId: 1, userId: 1 }, { unique: true });
membershipSchema.index({ userId: 1, status: 1 });

export type Membership = InferSchemaType<typeof membershipSchema> & { _id: Types.ObjectId };
export type MembershipDocument = HydratedDocument<Membership>;
export const MembershipModel = model('Membership', membershipSchema);

export function isBanned(m: Pick<Membership, 'status' | 'bannedUntil'>, now = new Date()): boolean {
  return m.status === 'banned' && (m.bannedUntil === null || m.bannedUntil === undefined || m.bannedUntil > now);
}

export function isMuted(m: Pick<Membership, 'mutedUntil'>, now = new Date()): boolean {
  return m.mutedUntil !== null && m.mutedUntil !== undefined && m.mutedUntil > now;
}
