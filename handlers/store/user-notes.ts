/** Platform moderators' private notes on accounts. */
import { UserNoteModel, type UserNote } from '../../models';
import { objectId, type Id } from './db';

export type { UserNote };

export async function add(userId: Id, authorId: Id, text: string): Promise<UserNote> {
  return (await UserNoteModel.create({ userId: objectId(userId), authorId: objectId(authorId), text })).toObject();
}

/** The newest `limit` notes on an account. */
export function on(userId: Id, limit: number): Promise<UserNote[]> {
  return UserNoteModel.find({ userId: objectId(userId) })
    .sort({ createdAt: -1 })
    .limit(limit)
    .lean();
}
