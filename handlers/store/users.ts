/** Accounts (the users collection): named reads and writes, nothing else touches the model. */
import { trusted } from 'mongoose';

import { UserModel, type PlatformRole, type User, type UserDocument } from '../../models';
import { insertUnlessDuplicate, isId, objectId, type Id } from './db';

export type { User, UserDocument };
type Suspension = NonNullable<User['suspended']>;

const STAFF_ROLES: PlatformRole[] = ['moderator', 'admin'];

export function byId(userId: string): Promise<UserDocument | null> {
  return isId(userId) ? UserModel.findById(userId).exec() : Promise.resolve(null);
}

export function byUsername(username: string): Promise<UserDocument | null> {
  return UserModel.findOne({ username: username.toLowerCase() }).exec();
}

export async function exists(userId: string): Promise<boolean> {
  return isId(userId) && (await UserModel.exists({ _id: userId })) !== null;
}

export async function usernameTaken(username: string): Promise<boolean> {
  return (await UserModel.exists({ username: username.toLowerCase() })) !== null;
}

/** A new account; null when the name is taken (the unique index decides, regardless of case). */
export function create(fields: {
  username: string;
  passwordHash: string;
  displayName: string;
  role?: PlatformRole;
}): Promise<UserDocument | null> {
  return insertUnlessDuplicate(() => UserModel.create({ ...fields, username: fields.username.toLowerCase() }));
}

/** Public profiles of the accounts among `ids`. */
export function profiles(
  ids: string[],
): Promise<Array<Pick<User, 'username' | 'displayName' | 'createdAt'> & { _id: Id }>> {
  return UserModel.find(
    { _id: trusted({ $in: ids.map(objectId) }) },
    { username: 1, displayName: 1, createdAt: 1 },
  ).lean();
}

/** Whether any of `ids` is platform staff. */
export async function anyStaffAmong(ids: string[]): Promise<boolean> {
  const valid = ids.filter(isId);
  return (
    valid.length > 0 &&
    (await UserModel.exists({ _id: trusted({ $in: valid }), role: trusted({ $in: STAFF_ROLES }) })) !== null
  );
}

/** Every platform moderator and admin. */
export async function staffIds(): Promise<string[]> {
  return (await UserModel.find({ role: trusted({ $in: STAFF_ROLES }) }, { _id: 1 }).lean()).map((u) =>
    u._id.toString(),
  );
}

/** Of `ids`, the plain users (no platform role above `user`). */
export async function plainUsersAmong(ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  return (await UserModel.find({ _id: trusted({ $in: ids }), role: 'user' }, { _id: 1 }).lean()).map((u) =>
    u._id.toString(),
  );
}

export async function setPasswordHash(userId: Id, passwordHash: string): Promise<void> {
  await UserModel.updateOne({ _id: userId }, { $set: { passwordHash } });
}

/** Every token issued under `current` stops working. */
export async function revokeTokens(userId: Id, current: number): Promise<void> {
  await UserModel.updateOne({ _id: userId }, { $set: { tokenVersion: current + 1 } });
}

export function setRole(userId: string, role: PlatformRole): Promise<UserDocument | null> {
  return isId(userId)
    ? UserModel.findByIdAndUpdate(userId, { $set: { role } }, { new: true }).exec()
    : Promise.resolve(null);
}

export async function setDisplayName(userId: Id, displayName: string): Promise<void> {
  await UserModel.updateOne({ _id: userId }, { $set: { displayName } });
}

export async function suspend(userId: Id, suspended: Suspension | null): Promise<void> {
  await UserModel.updateOne({ _id: userId }, { $set: { suspended } });
}

export async function restrictReporting(userId: Id, restriction: User['reportingRestricted']): Promise<void> {
  await UserModel.updateOne({ _id: userId }, { $set: { reportingRestricted: restriction } });
}

/**
 * The one write that deletes an account: anonymised, no password anyone holds, every token dead,
 * and marked pending until it has left its chats.
 */
export async function anonymise(
  userId: Id,
  fields: { username: string; displayName: string; passwordHash: string; tokenVersion: number },
): Promise<void> {
  await UserModel.updateOne(
    { _id: userId },
    { $set: { ...fields, role: 'user', deletedAt: new Date(), deletionPending: true } },
  );
}

export async function deletionsPending(limit: number): Promise<Id[]> {
  return (await UserModel.find({ deletionPending: true }, { _id: 1 }).limit(limit).lean()).map((u) => u._id);
}

export async function deletionFinished(userId: Id): Promise<void> {
  await UserModel.updateOne({ _id: userId }, { $set: { deletionPending: false } });
}
