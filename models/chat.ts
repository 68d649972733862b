import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { ACTOR_ROLES, CHAT_TYPES, CHAT_VISIBILITIES, REPORT_REASONS } from './vocabulary';

/** A chat taken down by the platform's moderators: read-only and unlisted until reopened. */
const closedSchema = new Schema(
  {
    at: { type: Date, required: true },
    byRole: { type: String, enum: ACTOR_ROLES, required: true },
    /** One of the report reasons: the ground it was taken down on. */
    category: { type: String, enum: REPORT_REASONS, required: true },
    reason: { type: String, required: true },
    actionId: { type: Schema.Types.ObjectId, required: true },
  },
  { _id: false },
);

// No stored lastSeq: a chat's seq comes from the unique (chatId, seq) index of messages. The member
// count is kept: every change of a membership to or from `active` moves it by one with $inc, which
// the embedded database's patch set makes atomic (embedded-db/patches), as MongoDB's is.
const chatSchema = new Schema({
  type: { type: String, enum: CHAT_TYPES, required: true },
  title: { type: String, required: true },
  description: { type: String, default: '' },
  visibility: { type: String, enum: CHAT_VISIBILITIES, required: true, default: 'public' },
  ownerId: { type: Schema.Types.ObjectId, required: true },
  slowModeSec: { type: Number, required: true, default: 0 },
  /** Private chats are joined with this code; null until an admin asks for one. */
  inviteCode: { type: String, default: null },
  createdAt: { type: Date, required: true, default: () => new Date() },
  /** Active members; null on a chat stored before the count was kept, until the start-up backfill counts it. */
  memberCount: { type: Number, default: null },
  /** The count last announced as `chat:members` in a large group, and when: one node announces per interval. */
  announcedCount: { type: Number, default: null },
  announcedAt: { type: Date, default: null },
  closed: { type: closedSchema, default: null },
  /** Raid protection (handlers/filters.ts): this chat's own thresholds (null: RAID_JOINS, RAID_WINDOW), and raid mode while `until` is ahead. */
  raidJoins: { type: Number, default: null },
  raidWindowSec: { type: Number, default: null },
  raid: {
    type: new Schema(
      {
        since: { type: Date, required: true },
        until: { type: Date, required: true },
        joins: { type: Number, required: true },
        /** Accounts an admin let in while raid mode lasts. */
        approved: { type: [String], default: () => [] },
      },
      { _id: false },
    ),
    default: null,
  },
});

chatSchema.index({ inviteCode: 1 });
chatSchema.index({ memberCount: 1 });

export type Chat = InferSchemaType<typeof chatSchema> & { _id: Types.ObjectId };
export type ChatDocument = HydratedDocument<Chat>;
export const ChatModel = model('Chat', chatSchema);
