/**
 * The background half of a purge (and of its undoing on appeal): batches of at most
 * PURGE_BATCH messages, each sealed as evidence, then hidden, then announced to its chat as one
 * `messages:hidden` event per chat. A job is held by one node through a lease each batch renews;
 * a job whose node stopped is taken up by the next node that looks (at start-up, then every half
 * lease). Every batch re-reads what is left of the scope, so a job resumed anywhere, or a second
 * purge after a failed one, completes exactly the rest.
 */
import { randomUUID } from 'node:crypto';

import * as actions from './store/actions';
import type { Id } from './store/db';
import * as jobs from './store/jobs';
import * as messages from './store/messages';
import type { Services } from './context';
import { rooms } from './contract/protocol';
import { sealMessages } from './evidence';
import { toMessageView } from './views';

/** Messages per batch, and so the most ids one `messages:hidden` event carries. */
export const PURGE_BATCH = 500;
/** How long a node holds a job without renewing it; a job whose node stopped resumes elsewhere after this. */
export const JOB_LEASE_MS = 30_000;
/** A batch is tried this many times before the job ends as failed (the failures listed). */
const ATTEMPTS = 3;

/** The jobs a node (its services) runs now, and whether it is stopping. */
interface Runner {
  /** This node, as the holder of its jobs' leases. */
  holder: string;
  running: Map<string, Promise<void>>;
  stopping: boolean;
}
const runners = new WeakMap<Services, Runner>();

function runnerOf(services: Services): Runner {
  let runner = runners.get(services);
  if (!runner) runners.set(services, (runner = { holder: randomUUID(), running: new Map(), stopping: false }));
  return runner;
}

/** A lease on a job for this node, from now. */
export function newLease(services: Services): jobs.Lease {
  return { holder: runnerOf(services).holder, until: new Date(Date.now() + JOB_LEASE_MS) };
}

/** Runs a job this node holds, once; returns at once, the work goes on in the background. */
export function runJob(services: Services, job: jobs.JobDocument): void {
  const { running } = runnerOf(services);
  const id = job.id as string;
  if (running.has(id)) return;
  const work = runBatches(services, job)
    .catch((err: unknown) => services.log.error({ err, jobId: id }, 'moderation job stopped'))
    .finally(() => running.delete(id));
  running.set(id, work);
}

async function runBatches(services: Services, job: jobs.JobDocument): Promise<void> {
  const runner = runnerOf(services);
  const action = await actions.byId(job.actionId.toString());
  if (!action) return jobs.fail(job._id, runner.holder, { at: new Date(), error: 'its action is gone', count: 0 });
  const batch = job.kind === 'purge' ? purgeBatch(services, job, action) : restoreBatch(services, job);
  // Where the last batch ended, on whichever node ran it.
  let cursor: Id | null = job.cursor ?? null;
  let attempt = 0;
  while (!runner.stopping) {
    try {
      const { read, changed, last } = await batch(cursor);
      if (read === 0) return jobs.finish(job._id, runner.holder, 'done');
      // A node that lost its lease (it stalled past it and another took over) stops here.
      if (!(await jobs.progress(job._id, changed, last, newLease(services)))) return;
      cursor = last;
      attempt = 0;
    } catch (err) {
      attempt += 1;
      if (attempt >= ATTEMPTS)
        return jobs.fail(job._id, runner.holder, { at: new Date(), error: String(err), count: PURGE_BATCH });
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
    // Other work (members' sends in every other chat) goes first between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** One batch after `cursor`: how many messages it read and changed, and the last one it read. */
type Batch = (cursor: Id | null) => Promise<{ read: number; changed: number; last: Id }>;
const NOTHING_LEFT = { read: 0, changed: 0, last: '' };

function purgeBatch(services: Services, job: jobs.JobDocument, action: actions.ModerationActionDocument): Batch {
  const scope = { senderId: job.userId, chatId: job.chatId ?? null, since: job.since ?? null, until: job.until };
  const hidden = {
    at: action.createdAt,
    by: action.actorId,
    byRole: action.actorRole,
    reason: action.reason,
    actionId: action._id,
  };
  return async (cursor) => {
    const batch = await messages.nextShown(scope, cursor, PURGE_BATCH);
    if (batch.length === 0) return NOTHING_LEFT;
    await sealMessages(action._id, new Date(), batch);
    const changed = await messages.hideMany(
      batch.map((m) => m._id),
      hidden,
    );
    for (const [chatId, inChat] of byChat(batch)) {
      services.realtime.emit(rooms.chat(chatId), 'messages:hidden', {
        chatId,
        messageIds: inChat.map((m) => m._id.toString()),
        seqs: inChat.map((m) => m.seq),
      });
    }
    return { read: batch.length, changed, last: batch[batch.length - 1]!._id };
  };
}

function restoreBatch(services: Services, job: jobs.JobDocument): Batch {
  const purgeActionId = job.purgeActionId!;
  return async (cursor) => {
    const batch = await messages.nextHiddenBy(job.userId, purgeActionId, cursor, PURGE_BATCH);
    if (batch.length === 0) return NOTHING_LEFT;
    const changed = await messages.unhideMany(
      batch.map((m) => m._id),
      purgeActionId,
    );
    for (const [chatId, inChat] of byChat(batch)) {
      const shown = inChat.filter((m) => !m.deletedAt).map((m) => toMessageView({ ...m, hidden: null }));
      if (shown.length > 0)
        services.realtime.emit(rooms.chat(chatId), 'messages:unhidden', { chatId, messages: shown });
    }
    return { read: batch.length, changed, last: batch[batch.length - 1]!._id };
  };
}

function byChat(batch: messages.Message[]): Map<string, messages.Message[]> {
  const grouped = new Map<string, messages.Message[]>();
  for (const message of batch) {
    const chatId = message.chatId.toString();
    grouped.set(chatId, [...(grouped.get(chatId) ?? []), message]);
  }
  return grouped;
}

/** Takes up jobs whose node stopped: now, then every half lease, until `stop` (which gives this node's jobs back). */
export function startJobRunner(services: Services): { stop(): Promise<void> } {
  const runner = runnerOf(services);
  const { log } = services;
  const resume = async () => {
    const now = new Date();
    for (const jobId of await jobs.expiredIds(now, 10)) {
      const job = await jobs.claimExpired(jobId, now, newLease(services));
      if (!job) continue;
      log.info({ jobId, kind: job.kind, done: job.done, total: job.total }, 'moderation job resumed');
      runJob(services, job);
    }
  };
  const look = () => void resume().catch((err: unknown) => log.warn({ err }, 'could not look for jobs to resume'));
  look();
  const timer = setInterval(look, JOB_LEASE_MS / 2);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      runner.stopping = true;
      const ids = [...runner.running.keys()];
      await Promise.allSettled(runner.running.values());
      // What is left resumes at once on the next node that looks.
      await Promise.allSettled(ids.map((id: Id) => jobs.release(id, runner.holder)));
    },
  };
}

/** Resolves once every job this node runs has ended (tests, and a graceful shutdown). */
export async function settled(services: Services): Promise<void> {
  const { running } = runnerOf(services);
  while (running.size > 0) await Promise.allSettled(running.values());
}
