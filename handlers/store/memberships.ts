/**
 * Memberships: who is in which chat, with what role and standing, and how far they have read.
 * Every change to or from `active` is a conditional update (or a unique insert) that moves the
 * chat's kept member count by one only when it took effect, so racing joins, leaves and bans
 * count once each and the count stays exact.
 */
import { trusted, Types } from 'mongoose';

import { MembershipModel, type ActorRole, type ChatRole, type Membership, type MembershipDocument } from '../../models';
import * as chats from './chats';
import { gathered, type Outcome } from './batches';
import { insertUnlessDuplicate, isDuplicateKeyError, isId, objectId, writeErrorsOf, type Id } from './db';

export type { Membership, MembershipDocument };

const ADMIN_ROLES: ChatRole[] = ['owner', 'admin'];

/** Someone's row in a chat, whatever its status; null if they never joined. */
export function of(chatId: Id, userId: Id): Promise<MembershipDocument | null> {
  return MembershipModel.findOne({ chatId: objectId(chatId), userId: objectId(userId) }).exec();
}

/** Someone's row in a chat while they are an active member. */
export function activeOf(chatId: Id, userId: string): Promise<MembershipDocument | null> {
  if (!isId(userId)) return Promise.resolve(null);
  return MembershipModel.findOne({ chatId: objectId(chatId), userId: objectId(userId), status: 'active' }).exec();
}

/**
 * A new active membership, counted, with the chat's count after; null when the person already
 * has a row in the chat. Joins that arrive together are stored by one unordered insert, each
 * answered for itself: the unique (chatId, userId) index turns a duplicate into that join's null.
 */
export async function create(
  chatId: Id,
  userId: Id,
  role: ChatRole = 'member',
): Promise<{ membership: Membership; memberCount: number } | null> {
  const membership = await gatheredInserts(newMembership(chatId, userId, role));
  return membership && { membership, memberCount: await chats.countMembers(chatId, 1) };
}

/**
 * Every field the schema stores, with its default (test/large-chats.test.ts holds the two
 * together): the row is written as it stands, without a mongoose document's casting and checks.
 */
export function newMembership(chatId: Id, userId: Id, role: ChatRole): Membership {
  return {
    _id: new Types.ObjectId(),
    chatId: objectId(chatId),
    userId: objectId(userId),
    role,
    status: 'active',
    bannedUntil: null,
    bannedByRole: null,
    mutedUntil: null,
    mutedByRole: null,
    joinedAt: new Date(),
    readSeq: 0,
  };
}

/** Joins stored by one insert at the most. */
const MOST_JOINS_AT_ONCE = 1_000;

const gatheredInserts = gathered<Membership, Membership | null>(
  async (rows) => {
    const outcomes: Array<Outcome<Membership | null>> = rows.map((value) => ({ ok: true, value }));
    try {
      await MembershipModel.collection.insertMany(rows, { ordered: false });
    } catch (err) {
      const failed = writeErrorsOf(err);
      if (!failed) throw err;
      for (const { index, error } of failed)
        outcomes[index] = isDuplicateKeyError(error) ? { ok: true, value: null } : { ok: false, error };
    }
    return outcomes;
  },
  { most: MOST_JOINS_AT_ONCE },
);

/**
 * Someone who left, or whose ban ran out, comes back as a plain member, counted; null when their
 * row is no longer `from` (a ban or another join got there first).
 */
export async function rejoin(
  membership: Pick<Membership, '_id' | 'chatId' | 'status'>,
): Promise<{ back: Partial<Membership>; memberCount: number } | null> {
  const back: Partial<Membership> = {
    status: 'active',
    role: 'member',
    bannedUntil: null,
    bannedByRole: null,
    joinedAt: new Date(),
  };
  const { modifiedCount } = await MembershipModel.updateOne(
    { _id: membership._id, status: membership.status },
    { $set: back },
  );
  return modifiedCount > 0 ? { back, memberCount: await chats.countMembers(membership.chatId, 1) } : null;
}

/** An active member leaves; the chat's count after, or null when they were no longer active. */
export async function leave(
  membership: Pick<Membership, '_id' | 'chatId'>,
  changes: Partial<Membership> = {},
): Promise<number | null> {
  const { modifiedCount } = await MembershipModel.updateOne(
    { _id: membership._id, status: 'active' },
    { $set: { ...changes, status: 'left' } },
  );
  return modifiedCount > 0 ? chats.countMembers(membership.chatId, -1) : null;
}

export async function setRole(membershipId: Id, role: ChatRole): Promise<void> {
  await MembershipModel.updateOne({ _id: membershipId }, { $set: { role } });
}

/**
 * Bans someone from a chat, with a row of their own if they never joined: it keeps them out. An
 * active member stops counting; a join racing the ban ends banned and uncounted either way.
 */
export async function ban(chatId: Id, userId: Id, until: Date | null, byRole: ActorRole): Promise<void> {
  const row = { chatId: objectId(chatId), userId: objectId(userId) };
  const banned = { status: 'banned', bannedUntil: until, bannedByRole: byRole, role: 'member' };
  const { modifiedCount } = await MembershipModel.updateOne({ ...row, status: 'active' }, { $set: banned });
  if (modifiedCount > 0) {
    await chats.countMembers(chatId, -1);
    return;
  }
  const created = await insertUnlessDuplicate(() => MembershipModel.create({ ...row, ...banned }));
  if (created) return;
  // Left, or banned already: no count moves. Active again meanwhile: the conditional update counts it out.
  const again = await MembershipModel.updateOne({ ...row, status: 'active' }, { $set: banned });
  if (again.modifiedCount > 0) await chats.countMembers(chatId, -1);
  else await MembershipModel.updateOne({ ...row, status: trusted({ $ne: 'active' }) }, { $set: banned });
}

/** Lifts a ban: the person may join again. */
export async function unban(membershipId: Id): Promise<void> {
  await MembershipModel.updateOne(
    { _id: membershipId },
    { $set: { status: 'left', bannedUntil: null, bannedByRole: null } },
  );
}

/** Mutes (`until` null: until lifted) or, with `byRole` null, lifts a mute. */
export async function mute(membershipId: Id, until: Date | null, byRole: ActorRole | null): Promise<void> {
  await MembershipModel.updateOne({ _id: membershipId }, { $set: { mutedUntil: until, mutedByRole: byRole } });
}

/** The ids of a chat's owner and admins. */
export async function chatAdmins(chatId: Id): Promise<string[]> {
  const admins = await MembershipModel.find(
    { chatId: objectId(chatId), status: 'active', role: trusted({ $in: ADMIN_ROLES }) },
    { userId: 1 },
  ).lean();
  return admins.map((m) => m.userId.toString());
}

/** The chats where someone is owner or admin. */
export async function administeredChatIds(userId: Id): Promise<Types.ObjectId[]> {
  const rows = await MembershipModel.find(
    { userId: objectId(userId), status: 'active', role: trusted({ $in: ADMIN_ROLES }) },
    { chatId: 1 },
  ).lean();
  return rows.map((m) => m.chatId);
}

/** Someone's active memberships: the chat, their role. */
export function activeMemberships(userId: Id): Promise<Array<Pick<Membership, 'chatId' | 'role' | 'status'>>> {
  return MembershipModel.find({ userId: objectId(userId), status: 'active' }, { chatId: 1, role: 1, status: 1 }).lean();
}

/** The chats someone is an active member of. */
export async function activeChatIds(userId: Id): Promise<Types.ObjectId[]> {
  return (await activeMemberships(userId)).map((m) => m.chatId);
}

/** A page of someone's active memberships, newest chat first (by chat id, which never changes). */
export function activePage(userId: Id, before: string | undefined, limit: number): Promise<Membership[]> {
  const filter: Record<string, unknown> = { userId: objectId(userId), status: 'active' };
  if (before !== undefined) filter.chatId = trusted({ $lt: objectId(before) });
  return MembershipModel.find(filter).sort({ chatId: -1 }).limit(limit).lean();
}

/** Every row of someone's, oldest first (their data export). */
export function allOf(userId: Id): Promise<MembershipDocument[]> {
  return MembershipModel.find({ userId: objectId(userId) })
    .sort({ joinedAt: 1 })
    .exec();
}

export async function ownsAChat(userId: Id): Promise<boolean> {
  return (await MembershipModel.exists({ userId: objectId(userId), status: 'active', role: 'owner' })) !== null;
}

/** Someone leaves every chat at once (their account is being deleted), each counted out; returns the chats they left, with each count after. */
export async function leaveEvery(userId: Id): Promise<Array<{ chatId: Types.ObjectId; memberCount: number }>> {
  const active = await MembershipModel.find(
    { userId: objectId(userId), status: 'active' },
    { _id: 1, chatId: 1 },
  ).lean();
  const left: Array<{ chatId: Types.ObjectId; memberCount: number }> = [];
  for (const membership of active) {
    const memberCount = await leave(membership, { role: 'member' });
    if (memberCount !== null) left.push({ chatId: membership.chatId, memberCount });
  }
  return left;
}

/** Active members of a chat, counted from the memberships themselves: the start-up backfill's count, and the tests' check on the kept one. */
export function countActive(chatId: Id): Promise<number> {
  return MembershipModel.countDocuments({ chatId: objectId(chatId), status: 'active' }).exec();
}

/** Of `others`, those who are active members of a chat `userId` is active in. */
export async function sharingAChatWith(userId: Id, others: string[]): Promise<string[]> {
  const candidates = others.filter(isId);
  if (candidates.length === 0) return [];
  const mine = await activeChatIds(userId);
  if (mine.length === 0) return [];
  const common = await MembershipModel.find(
    { userId: trusted({ $in: candidates.map(objectId) }), status: 'active', chatId: trusted({ $in: mine }) },
    { userId: 1 },
  ).lean();
  return [...new Set(common.map((m) => m.userId.toString()))];
}

/** In a chat, how many active members have read up to `seq` or beyond. */
export function readersAtLeast(chatId: Id, seq: number): Promise<number> {
  return MembershipModel.countDocuments({
    chatId: objectId(chatId),
    status: 'active',
    readSeq: trusted({ $gte: seq }),
  }).exec();
}

/**
 * Raises a read position to `seq`, never lowers it. On MongoDB the conditional update is atomic.
 * On the embedded database an update is read-modify-write, so a smaller mark racing a larger one
 * from the same person could land last: the larger one is written again if its re-read sees less.
 * What remains is a position briefly too low (messages shown unread again), never one beyond
 * what the person read.
 */
export async function advanceReadSeq(membershipId: Id, seq: number): Promise<{ seq: number; moved: boolean }> {
  // `$not: {$gte}` also matches memberships stored before read positions existed.
  const below = { _id: membershipId, readSeq: trusted({ $not: { $gte: seq } }) };
  const { modifiedCount } = await MembershipModel.updateOne(below, { $set: { readSeq: seq } });
  let stored = await readSeqOf(membershipId);
  if (modifiedCount > 0 && stored < seq) {
    await MembershipModel.updateOne(below, { $set: { readSeq: seq } });
    stored = await readSeqOf(membershipId);
  }
  return { seq: Math.max(stored, modifiedCount > 0 ? seq : 0), moved: modifiedCount > 0 };
}

async function readSeqOf(membershipId: Id): Promise<number> {
  return (await MembershipModel.findById(membershipId, { readSeq: 1 }).lean())?.readSeq ?? 0;
}

/** A chat's active members, oldest first, at most `limit` (a legal request for a chat's members). */
export function membersOf(chatId: Id, limit: number): Promise<Membership[]> {
  return MembershipModel.find({ chatId: objectId(chatId), status: 'active' })
    .sort({ _id: 1 })
    .limit(limit)
    .lean();
}
