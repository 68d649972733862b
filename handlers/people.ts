/** People as other people see them: public profiles, for those who share a chat (platform staff: anyone). */
import { trusted, Types } from 'mongoose';

import { ChatModel, MembershipModel, UserModel } from '../models';
import { isChatAdmin, isPlatformModerator } from './policy/access';
import { cacheKeys } from './store/authorization-cache';
import type { Caller, Context } from './context';
import { StoaError } from './contract/errors';
import { rooms, type PublicUserView, type UserView } from './contract/protocol';
import { toPublicUserView, toUserView } from './views';

/** Ids the caller may not see are left out, exactly like ids that do not exist. */
export async function getUsers({ caller }: Context, input: { ids: string[] }): Promise<{ users: PublicUserView[] }> {
  const asked = [...new Set(input.ids.map((id) => id.toLowerCase()))];
  const visible = isPlatformModerator(caller.user) ? asked : await sharingAChat(caller, asked);
  if (visible.length === 0) return { users: [] };
  const found = await UserModel.find({ _id: trusted({ $in: visible.map((id) => new Types.ObjectId(id)) }) }, { username: 1, displayName: 1, createdAt: 1 }).lean();
  const byId = new Map(found.map((user) => [user._id.toString(), user]));
  return { users: visible.flatMap((id) => (byId.has(id) ? [toPublicUserView(byId.get(id)!)] : [])) };
}

export async function getUser(ctx: Context, input: { userId: string }): Promise<{ user: PublicUserView }> {
  const [user] = (await getUsers(ctx, { ids: [input.userId] })).users;
  if (!user) throw new StoaError('not_found', 'No such user.');
  return { user };
}

/** Of `ids`, the caller and those who are active members of a chat the caller is active in. */
async function sharingAChat(caller: Caller, ids: string[]): Promise<string[]> {
  const others = ids.filter((id) => id !== caller.user.id);
  const shown = new Set(ids.includes(caller.user.id) ? [caller.user.id] : []);
  if (others.length > 0) {
    const mine = await MembershipModel.find({ userId: caller.user._id, status: 'active' }, { chatId: 1 }).lean();
    if (mine.length > 0) {
      const common = await MembershipModel.find(
        { userId: trusted({ $in: others.map((id) => new Types.ObjectId(id)) }), status: 'active', chatId: trusted({ $in: mine.map((m) => m.chatId) }) },
        { userId: 1 },
      ).lean();
      for (const m of common) shown.add(m.userId.toString());
    }
  }
  return ids.filter((id) => shown.has(id));
}

/**
 * Changes my display name; my own sockets and the groups I am in hear `user:updated`, and so do
 * channels only where I post (their admins): a subscriber's channels are nobody else's business.
 */
export async function updateProfile({ services, caller }: Context, input: { displayName: string }): Promise<{ user: UserView }> {
  await UserModel.updateOne({ _id: caller.user._id }, { $set: { displayName: input.displayName } });
  await services.realtime.invalidate([cacheKeys.account(caller.user.id)]);
  const user = { ...caller.user, displayName: input.displayName };

  const memberships = await MembershipModel.find({ userId: caller.user._id, status: 'active' }, { chatId: 1, role: 1, status: 1 }).lean();
  const chats = await ChatModel.find({ _id: trusted({ $in: memberships.map((m) => m.chatId) }) }, { type: 1 }).lean();
  const typeOf = new Map(chats.map((chat) => [chat._id.toString(), chat.type]));
  const heard = memberships.filter((m) => typeOf.get(m.chatId.toString()) === 'group' || isChatAdmin(m)).map((m) => rooms.chat(m.chatId.toString()));
  services.realtime.emit([rooms.user(caller.user.id), ...heard], 'user:updated', { user: toPublicUserView(user) });
  return { user: toUserView(user) };
}
