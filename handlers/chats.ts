import { randomBytes } from 'node:crypto';

import type { ChatRole } from '../models/vocabulary';
import { authorize } from './policy/access';
import {
  cacheKeys,
  cachedMembership,
  freshMembership,
  knownMembership,
  type SharedChat,
  type SharedMembership,
} from './store/authorization-cache';
import * as chats from './store/chats';
import * as memberships from './store/memberships';
import type { Context } from './context';
import { StoaError } from './contract/errors';
import { actorOf, chatAccess, chatFacts, chatView, findChat } from './facts';
import { rooms, type ChatType, type ChatView, type ChatVisibility, type MembershipView } from './contract/protocol';
import { memberNews, typingNews } from './member-news';
import { countJoin, raidGate } from './filters';
import { toChatView, toMembershipView } from './views';

export async function createChat(
  { services, caller }: Context,
  input: { type: ChatType; title: string; description?: string | undefined; visibility?: ChatVisibility | undefined },
): Promise<{ chat: ChatView }> {
  const chat = await chats.create({
    type: input.type,
    title: input.title,
    description: input.description ?? '',
    visibility: input.visibility ?? 'public',
    ownerId: caller.user._id,
  });
  const owner = await memberships.create(chat._id, caller.user._id, 'owner');
  await services.realtime.invalidate([
    cacheKeys.chat(chat.id),
    cacheKeys.membership(chat.id, caller.user.id),
    cacheKeys.chatAdmins(chat.id),
  ]);
  await services.realtime.join(rooms.user(caller.user.id), rooms.chat(chat.id));
  return { chat: toChatView(chat, 'owner', owner?.memberCount ?? 1) };
}

/**
 * Counts the members of chats stored before counts were kept, once, at start-up: one count of
 * memberships per such chat; a database with none costs one indexed read.
 */
export async function countUncountedChats(): Promise<number> {
  let counted = 0;
  for (let batch = await chats.uncounted(100); batch.length > 0; batch = await chats.uncounted(100)) {
    for (const chatId of batch) await chats.setMemberCount(chatId, await memberships.countActive(chatId));
    counted += batch.length;
  }
  return counted;
}

export async function joinChat(
  { services, caller }: Context,
  input: { chatId: string } | { inviteCode: string },
): Promise<{ chat: ChatView; membership: MembershipView }> {
  const viaInvite = 'inviteCode' in input;
  const chat = await findChat(viaInvite ? await chatIdOfInvite(input.inviteCode) : input.chatId);
  const judge = (membership: SharedMembership | null) => {
    authorize(actorOf(caller, membership), 'chat.join', { chat: chatFacts(chat), viaInvite });
    raidGate(chat, caller, membership);
  };
  const existing = await rowForJoin(chat, caller.user.id as string, judge);
  judge(existing);
  const membership = await activateMembership(chat, caller.user._id, existing, judge);
  if (membership.memberCount !== null) await countJoin(services, chat);
  if (membership.memberCount !== null)
    await services.realtime.invalidate([cacheKeys.membership(chat.id, caller.user.id)]);
  await services.realtime.join(rooms.user(caller.user.id), rooms.chat(chat.id));
  if (membership.memberCount !== null)
    await memberNews(services, chat, 'member:joined', caller.user.id, membership.memberCount);
  const memberCount = membership.memberCount ?? (await chats.memberCount(chat._id));
  return { chat: toChatView(chat, membership.doc.role, memberCount), membership: toMembershipView(membership.doc) };
}

async function chatIdOfInvite(inviteCode: string): Promise<string> {
  const chatId = await chats.idByInviteCode(inviteCode);
  if (!chatId) throw new StoaError('not_found', 'That invite code is not valid.');
  return chatId;
}

/**
 * The caller's row in the chat, as far as a join needs it. Most joins are newcomers': when this
 * node does not know the row and a newcomer would be let in, it is not read but taken to be
 * absent, and the unique insert finds out (a duplicate reads it and judges again, in
 * activateMembership). When a newcomer would be refused, the row is read: it may be why not.
 */
async function rowForJoin(
  chat: SharedChat,
  userId: string,
  judge: (membership: SharedMembership | null) => void,
): Promise<SharedMembership | null> {
  const known = knownMembership(chat.id as string, userId);
  if (known !== undefined) return known;
  try {
    judge(null);
    return null;
  } catch (err) {
    if (!(err instanceof StoaError)) throw err;
    return cachedMembership(chat.id as string, userId);
  }
}

/**
 * Makes the caller an active member (`judge` has refused the banned), counted once: `memberCount`
 * is the chat's count after this join, null when they already were a member. When their row
 * changed meanwhile (a concurrent join, or a ban), it is read again and judged again.
 */
async function activateMembership(
  chat: SharedChat,
  userId: SharedChat['_id'],
  existing: SharedMembership | null,
  judge: (membership: SharedMembership | null) => void,
): Promise<{ doc: SharedMembership; memberCount: number | null }> {
  let current = existing;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (current?.status === 'active') return { doc: current, memberCount: null };
    // Someone who left, or whose ban ran out, comes back as a plain member; anyone else gets a row.
    const done = current ? await memberships.rejoin(current) : await memberships.create(chat._id, userId);
    if (done)
      return 'back' in done
        ? { doc: { ...current!, ...done.back }, memberCount: done.memberCount }
        : { doc: done.membership, memberCount: done.memberCount };
    current = await freshMembership(chat.id as string, userId.toString());
    judge(current);
  }
  throw new StoaError('conflict', 'Your membership of this chat keeps changing; try again.');
}

export async function leaveChat(
  { services, caller }: Context,
  input: { chatId: string },
): Promise<Record<string, never>> {
  const access = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, access.membership), 'chat.leave', { chat: chatFacts(access.chat) });
  const memberCount = await memberships.leave(access.membership!);
  await services.realtime.invalidate([
    cacheKeys.membership(access.chat.id, caller.user.id),
    ...(access.membership!.role === 'member' ? [] : [cacheKeys.chatAdmins(access.chat.id)]),
  ]);
  await services.realtime.leave(rooms.user(caller.user.id), [
    rooms.chat(access.chat.id),
    rooms.closedChat(access.chat.id),
  ]);
  if (memberCount !== null) await memberNews(services, access.chat, 'member:left', caller.user.id, memberCount);
  return {};
}

/**
 * "Someone is typing" in a group: ephemeral, never stored; clients show it for about 5 s unless it
 * comes again. Refused in channels and to the muted; the typist's own sockets hear it too and ignore it.
 */
export async function startTyping(
  { services, caller }: Context,
  input: { chatId: string },
): Promise<Record<string, never>> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'chat.send', { chat: chatFacts(chat) });
  if (chat.type !== 'group') throw new StoaError('forbidden', 'Channels show no typing.');
  typingNews(services, chat, caller.user.id);
  return {};
}

export async function inviteToChat(
  { services, caller }: Context,
  input: { chatId: string },
): Promise<{ inviteCode: string }> {
  const access = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, access.membership), 'chat.manage', { chat: chatFacts(access.chat) });
  if (access.chat.inviteCode) return { inviteCode: access.chat.inviteCode };
  // Two admins asking at once: whichever code was stored is the code.
  const stored = await chats.settleInviteCode(access.chat._id, randomBytes(12).toString('base64url'));
  await services.realtime.invalidate([cacheKeys.chat(access.chat.id)]);
  return { inviteCode: stored };
}

export async function updateChat(
  { services, caller }: Context,
  input: {
    chatId: string;
    title?: string | undefined;
    description?: string | undefined;
    slowModeSec?: number | undefined;
  },
): Promise<{ chat: ChatView }> {
  const access = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, access.membership), 'chat.manage', { chat: chatFacts(access.chat) });
  const membership = access.membership!;
  const changes: Parameters<typeof chats.update>[1] = {};
  if (input.title !== undefined) changes.title = input.title;
  if (input.description !== undefined) changes.description = input.description;
  if (input.slowModeSec !== undefined) changes.slowModeSec = input.slowModeSec;
  await chats.update(access.chat._id, changes);
  await services.realtime.invalidate([cacheKeys.chat(access.chat.id)]);
  return { chat: await chatView({ ...access.chat, ...changes }, membership.role) };
}

/** The owner names admins and members, or hands ownership over (and becomes an admin). */
export async function promoteMember(
  { services, caller }: Context,
  input: { chatId: string; userId: string; role: ChatRole },
): Promise<{ membership: MembershipView }> {
  const access = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, access.membership), 'chat.promote', { chat: chatFacts(access.chat) });
  const own = access.membership!;
  const target = await memberships.activeOf(access.chat._id, input.userId);
  if (!target) throw new StoaError('not_found', 'That user is not a member of this chat.');
  if (target.id === own.id) throw new StoaError('invalid_input', 'You already own this chat.');

  if (input.role === 'owner') {
    await memberships.setRole(target._id, 'owner');
    await chats.setOwner(access.chat._id, target.userId);
    await memberships.setRole(own._id, 'admin');
  } else {
    await memberships.setRole(target._id, input.role);
  }
  const chatId = access.chat.id;
  await services.realtime.invalidate([
    cacheKeys.chat(chatId),
    cacheKeys.membership(chatId, target.userId.toString()),
    cacheKeys.membership(chatId, caller.user.id),
    cacheKeys.chatAdmins(chatId),
  ]);
  target.role = input.role;
  return { membership: toMembershipView(target) };
}

/**
 * One chat as the caller may see it, with its member count and, for a member, their role. A private
 * chat answers outsiders `not_found`, in the same words as an unknown id (docs/ARCHITECTURE.md §6).
 */
export async function getChat({ caller }: Context, input: { chatId: string }): Promise<{ chat: ChatView }> {
  const { chat, membership } = await chatAccess(input.chatId, caller.user._id);
  authorize(actorOf(caller, membership), 'chat.view', { chat: chatFacts(chat) });
  return { chat: await chatView(chat, membership?.status === 'active' ? membership.role : undefined) };
}
