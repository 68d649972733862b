/** The access log: who read what members could not. */
import { trusted } from 'mongoose';

import { AccessEntryModel, type AccessEntryDocument, type AccessKind } from '../../models';
import { objectId, type Id } from './db';

export type { AccessEntryDocument };

export async function record(actorId: Id, what: AccessKind, targetId: string, chatId: Id | null): Promise<void> {
  await AccessEntryModel.create({
    actorId: objectId(actorId),
    what,
    targetId,
    chatId: chatId === null ? null : objectId(chatId),
  });
}

/** Entries newest first, by one reader if asked. */
export function page(query: {
  actorId?: string | undefined;
  before?: string | undefined;
  limit: number;
}): Promise<AccessEntryDocument[]> {
  const filter: Record<string, unknown> = {};
  if (query.actorId) filter.actorId = objectId(query.actorId);
  if (query.before) filter.at = trusted({ $lt: new Date(query.before) });
  return AccessEntryModel.find(filter).sort({ at: -1 }).limit(query.limit).exec();
}

export async function deleteBefore(before: Date): Promise<number> {
  return (await AccessEntryModel.deleteMany({ at: trusted({ $lt: before }) })).deletedCount;
}
