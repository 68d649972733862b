import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { ACTOR_ROLES } from './vocabulary';

const hiddenSchema = new Schema(
  {
    at: { type: Date, required: true },
    by: { type: String, required: true },
    /** The level of whoever hid it: only that level or above unhides it. */
    byRole: { type: String, enum: ACTOR_ROLES, default: null },
    reason: { type: String, required: true },
    actionId: { type: Schema.Types.ObjectId, default: null },
  },
  { _id: false },
);

/** An earlier text of an edited message, kept for moderators; `editedAt` is when it was replaced. */
const editSchema = new Schema(
  {
    text: { type: String, required: true },
    editedAt: { type: Date, required: true },
  },
  { _id: false },
);

const messageSchema = new Schema({
  chatId: { type: Schema.Types.ObjectId, required: true },
  /** Per chat, strictly increasing, no gaps; claimed by inserting under the unique (chatId, seq) index. */
  seq: { type: Number, required: true },
  senderId: { type: Schema.Types.ObjectId, required: true },
  text: { type: String, required: true },
  clientMsgId: { type: String, required: true },
  createdAt: { type: Date, required: true, default: () => new Date() },
  editedAt: { type: Date, default: null },
  /** Earlier texts, oldest first (never queried, so no index needs it). */
  edits: { type: [editSchema], default: undefined },
  deletedAt: { type: Date, default: null },
  hidden: { type: hiddenSchema, default: null },
});

messageSchema.index({ chatId: 1, seq: 1 }, { unique: true });
// Idempotency key of message:send. The contract names (senderId, clientMsgId); chatId is part of it so that
// the same clientMsgId in another chat is a new message.
messageSchema.index({ senderId: 1, chatId: 1, clientMsgId: 1 }, { unique: true });
// A purge reads someone's messages a batch at a time in `_id` order, from where the last batch ended.
messageSchema.index({ senderId: 1, _id: 1 });

export type Message = InferSchemaType<typeof messageSchema> & { _id: Types.ObjectId };
export type MessageDocument = HydratedDocument<Message>;
export const MessageModel = model('Message', messageSchema);
