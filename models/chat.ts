import { Schema, Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { CHAT_TYPES, CHAT_VISIBILITIES } from './vocabulary';

// No stored lastSeq or memberCount: FerretDB updates are not atomic, so both are derived when needed
// (seq from the unique (chatId, seq) index of messages, memberCount from active memberships).
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
});

chatSchema.index({ inviteCode: 1 });

export type Chat = InferSchemaType<typeof chatSchema> & { _id: Types.ObjectId };
export type ChatDocument = HydratedDocument<Chat>;
export const ChatModel = model('Chat', chatSchema);
