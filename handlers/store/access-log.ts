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

/** One entry per target read together (a page of sealed evidence). */
export async function recordMany(
  actorId: Id,
  what: AccessKind,
  targets: Array<{ targetId: string; chatId: Id | null }>,
): Promise<void> {
  if (targets.length === 0) return;
  const at = new Date();
  await AccessEntryModel.insertMany(
    targets.map((t) => ({
      actorId: objectId(actorId),
      what,
      targetId: t.targetId,
      chatId: t.chatId === null ? null : objectId(t.chatId),
      at,
    })),
  );
}

/** Who read each of these targets, oldest first. */
export async function readsOf(
  what: AccessKind,
  targetIds: string[],
): Promise<Map<string, Array<{ actorId: string; at: string }>>> {
  const rows = await AccessEntryModel.find({ what, targetId: trusted({ $in: targetIds }) })
    .sort({ at: 1 })
    .lean();
  const reads = new Map<string, Array<{ actorId: string; at: string }>>();
  for (const row of rows) {
    const list = reads.get(row.targetId) ?? [];
    list.push({ actorId: row.actorId.toString(), at: row.at.toISOString() });
    reads.set(row.targetId, list);
  }
  return reads;
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
