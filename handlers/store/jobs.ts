/**
 * Jobs: a moderation action's background work, held by one node at a time through a lease that
 * each batch renews; a job whose lease ran out (its node stopped) is taken up by the next node
 * that looks.
 */
import { trusted } from 'mongoose';

import { JobModel, type Job, type JobDocument } from '../../models';
import { isId, objectId, type Id } from './db';

export type { Job, JobDocument };
export type NewJob = Pick<Job, 'kind' | 'actorId' | 'total' | 'until'> & {
  actionId: Id;
  userId: Id;
  chatId: Id | null;
  since: Date | null;
  purgeActionId?: Id | null;
  /** What makes two jobs the same work: a second one while the first runs is refused. */
  scopeKey: string;
};

const DUPLICATE_KEY = 11000;

/** Who holds a job: a node, until its lease runs out. */
export interface Lease {
  holder: string;
  until: Date;
}

/** Starts a job held by `lease`; null when the same scope is running already. */
export async function start(job: NewJob, lease: Lease): Promise<JobDocument | null> {
  try {
    return await JobModel.create({
      kind: job.kind,
      actionId: objectId(job.actionId),
      actorId: job.actorId,
      userId: objectId(job.userId),
      chatId: job.chatId === null ? null : objectId(job.chatId),
      since: job.since,
      until: job.until,
      purgeActionId: job.purgeActionId ? objectId(job.purgeActionId) : null,
      runningKey: job.scopeKey,
      total: job.total,
      holder: lease.holder,
      leaseUntil: lease.until,
      startedAt: new Date(),
    });
  } catch (err) {
    if ((err as { code?: number }).code === DUPLICATE_KEY) return null;
    throw err;
  }
}

/** Whether the scope has a job running. */
export async function isRunning(scopeKey: string): Promise<boolean> {
  return (await JobModel.exists({ runningKey: scopeKey })) !== null;
}

export function byId(jobId: string): Promise<JobDocument | null> {
  return isId(jobId) ? JobModel.findById(jobId).exec() : Promise.resolve(null);
}

export function ofAction(actionId: Id): Promise<JobDocument | null> {
  return JobModel.findOne({ actionId: objectId(actionId) }).exec();
}

/** Takes over a running job whose lease ran out; null when another node got it first or it ended. */
export function claimExpired(jobId: Id, now: Date, lease: Lease): Promise<JobDocument | null> {
  return JobModel.findOneAndUpdate(
    { _id: objectId(jobId), status: 'running', leaseUntil: trusted({ $lt: now }) },
    { $set: { holder: lease.holder, leaseUntil: lease.until } },
    { new: true },
  ).exec();
}

/** Running jobs whose lease ran out, oldest first. */
export async function expiredIds(now: Date, limit: number): Promise<string[]> {
  const rows = await JobModel.find({ status: 'running', leaseUntil: trusted({ $lt: now }) }, { _id: 1 })
    .sort({ leaseUntil: 1 })
    .limit(limit)
    .lean();
  return rows.map((r) => r._id.toString());
}

/** A running job as long as `holder` holds it. */
const heldBy = (jobId: Id, holder: string) => ({ _id: objectId(jobId), status: 'running', holder });

/** Counts a batch done and renews the lease; false when the lease was lost (another node took the job over). */
export async function progress(jobId: Id, done: number, cursor: Id, lease: Lease): Promise<boolean> {
  const { modifiedCount } = await JobModel.updateOne(heldBy(jobId, lease.holder), {
    $inc: { done },
    $set: { leaseUntil: lease.until, cursor: objectId(cursor) },
  });
  return modifiedCount > 0;
}

/** Ends a job with the failure that ended it; its scope is free again. */
export async function fail(
  jobId: Id,
  holder: string,
  failure: { at: Date; error: string; count: number },
): Promise<void> {
  await JobModel.updateOne(heldBy(jobId, holder), { $push: { failures: failure } });
  await finish(jobId, holder, 'failed');
}

/** Ends a job; its scope is free again. */
export async function finish(jobId: Id, holder: string, status: 'done' | 'failed'): Promise<void> {
  const id = objectId(jobId);
  await JobModel.updateOne(heldBy(id, holder), {
    $set: { status, finishedAt: new Date(), runningKey: `ended:${id.toString()}` },
  });
}

/** Gives the lease back (a node shutting down), so the next node resumes at once. */
export async function release(jobId: Id, holder: string): Promise<void> {
  await JobModel.updateOne(heldBy(jobId, holder), { $set: { leaseUntil: new Date(0) } });
}
