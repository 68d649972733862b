/** Who may do what in a chat (DESIGN.md section 4), read from the database on every call. */
import { trusted, Types } from 'mongoose';

import { ChatModel, isBanned, MembershipModel, ModerationCaseModel, type ChatDocument, type MembershipDocument, type ModerationCase, type ModerationCaseDocument, type UserDocument } from '../models';
import type { Caller } from './context';
import { StoaError } from './errors';

export const isPlatformModerator = (user: Pick<UserDocument, 'role'>): boolean => user.role === 'moderator' || user.role === 'admin';

export const isChatAdmin = (m: Pick<MembershipDocument, 'status' | 'role'> | null | undefined): boolean =>
  m?.status === 'active' && (m.role === 'owner' || m.role === 'admin');

export interface ChatAccess {
  chat: ChatDocument;
  /** The caller's membership row, whatever its status; null if they never joined. */
  membership: MembershipDocument | null;
}

export async function findChat(chatId: string): Promise<ChatDocument> {
  const chat = Types.ObjectId.isValid(chatId) ? await ChatModel.findById(chatId) : null;
  if (!chat) throw new StoaError('not_found', 'No such chat.');
  return chat;
}

/** The chat and the caller's membership, read in one round trip's time (every event on a chat starts here). */
export async function chatAccess(chatId: string, userId: Types.ObjectId | string): Promise<ChatAccess> {
  if (!Types.ObjectId.isValid(chatId)) throw new StoaError('not_found', 'No such chat.');
  const [chat, membership] = await Promise.all([ChatModel.findById(chatId), MembershipModel.findOne({ chatId, userId })]);
  if (!chat) throw new StoaError('not_found', 'No such chat.');
  return { chat, membership };
}

/** An active member; a banned one gets `banned`, anyone else `forbidden`. */
export function requireMember(access: ChatAccess): MembershipDocument {
  const m = access.membership;
  if (m && isBanned(m)) throw new StoaError('banned');
  if (m?.status !== 'active') throw new StoaError('forbidden', 'You are not a member of this chat.');
  return m;
}

/** The chat's owner or one of its admins. */
export function requireChatAdmin(access: ChatAccess): MembershipDocument {
  const m = requireMember(access);
  if (!isChatAdmin(m)) throw new StoaError('forbidden', 'Only the chat’s admins may do that.');
  return m;
}

/** Reading is for members, and for platform moderators in any chat. */
export function requireReader(access: ChatAccess, user: UserDocument): void {
  if (isPlatformModerator(user)) return;
  requireMember(access);
}

/** The chats where the caller is owner or admin. */
export async function adminChatIds(caller: Caller): Promise<Types.ObjectId[]> {
  const memberships = await MembershipModel.find({ userId: caller.user._id, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { chatId: 1 }).lean();
  return memberships.map((m) => m.chatId);
}

/**
 * The chat whose admins handle a case alongside platform moderators: the chat a
 * reported message lives in. None for a reported user, and none for a reported
 * chat, whose admins are the very people reported.
 */
export function moderatingChatOf(moderationCase: Pick<ModerationCase, 'targetType' | 'chatId'>): Types.ObjectId | null {
  return moderationCase.targetType === 'chat' ? null : (moderationCase.chatId ?? null);
}

/** Platform moderators see every case; chat admins those of their chats. */
export async function requireCaseReader(caller: Caller, moderationCase: Pick<ModerationCase, 'targetType' | 'chatId'>): Promise<void> {
  if (isPlatformModerator(caller.user)) return;
  const chatId = moderatingChatOf(moderationCase);
  const membership = chatId ? await MembershipModel.findOne({ chatId, userId: caller.user._id }) : null;
  if (!isChatAdmin(membership)) throw new StoaError('forbidden', 'Only moderators and this chat’s admins see this case.');
}

export async function findCase(caseId: string): Promise<ModerationCaseDocument> {
  const found = Types.ObjectId.isValid(caseId) ? await ModerationCaseModel.findById(caseId) : null;
  if (!found) throw new StoaError('not_found', 'No such case.');
  return found;
}

