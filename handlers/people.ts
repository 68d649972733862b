/** People as other people see them: public profiles, for those who share a chat (platform staff: anyone). */
import { isChatAdmin, isPlatformModerator } from './policy/access';
import { cacheKeys } from './store/authorization-cache';
import * as chats from './store/chats';
import * as memberships from './store/memberships';
import * as users from './store/users';
import type { Caller, Context } from './context';
import { StoaError } from './contract/errors';
import { rooms, type PublicUserView, type UserView } from './contract/protocol';
import { toPublicUserView, toUserView } from './views';

/** Ids the caller may not see are left out, exactly like ids that do not exist. */
export async function getUsers({ caller }: Context, input: { ids: string[] }): Promise<{ users: PublicUserView[] }> {
  const asked = [...new Set(input.ids.map((id) => id.toLowerCase()))];
  const visible = isPlatformModerator(caller.user) ? asked : await sharingAChat(caller, asked);
  if (visible.length === 0) return { users: [] };
  const found = await users.profiles(visible);
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
  const shown = new Set([caller.user.id, ...(await memberships.sharingAChatWith(caller.user._id, others))]);
  return ids.filter((id) => shown.has(id));
}

/**
 * Changes my display name; my own sockets and the groups I am in hear `user:updated`, and so do
 * channels only where I post (their admins): a subscriber's channels are nobody else's business.
 */
export async function updateProfile(
  { services, caller }: Context,
  input: { displayName: string },
): Promise<{ user: UserView }> {
  await users.setDisplayName(caller.user._id, input.displayName);
  await services.realtime.invalidate([cacheKeys.account(caller.user.id)]);
  const user = { ...caller.user, displayName: input.displayName };

  const mine = await memberships.activeMemberships(caller.user._id);
  const groups = new Set(await chats.groupIdsAmong(mine.map((m) => m.chatId)));
  const heard = mine
    .filter((m) => groups.has(m.chatId.toString()) || isChatAdmin(m))
    .map((m) => rooms.chat(m.chatId.toString()));
  services.realtime.emit([rooms.user(caller.user.id), ...heard], 'user:updated', { user: toPublicUserView(user) });
  return { user: toUserView(user) };
}
