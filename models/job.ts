import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import { JOB_KINDS, JOB_STATUSES } from './vocabulary';

/** A batch that could not be done, after its retries. */
const failureSchema = new Schema(
  {
    at: { type: Date, required: true },
    error: { type: String, required: true },
    /** The messages the batch held. */
    count: { type: Number, required: true },
  },
  { _id: false },
);

/**
 * Background work a moderation action started (a purge, or its restoring): it runs in batches
 * after the action's ack, on whichever node holds its lease, and resumes on another (or after a
 * restart) once the lease runs out. Its scope is in the action it belongs to.
 */
const jobSchema = new Schema({
  kind: { type: String, enum: JOB_KINDS, required: true },
  actionId: { type: Schema.Types.ObjectId, required: true },
  /** Who started it (a moderator's id): they and platform moderators read its progress. */
  actorId: { type: String, required: true },
  /** The purge's scope: whose messages, where, between when. */
  userId: { type: Schema.Types.ObjectId, required: true },
  chatId: { type: Schema.Types.ObjectId, default: null },
  since: { type: Date, default: null },
  until: { type: Date, required: true },
  /** For a restore: the purge whose messages come back. */
  purgeActionId: { type: Schema.Types.ObjectId, default: null },
  /**
   * Unique: the scope while the job runs, so a second purge of the same scope meanwhile is a
   * conflict; its own id once it ended, so the scope is free again.
   */
  runningKey: { type: String, required: true },
  status: { type: String, enum: JOB_STATUSES, required: true, default: 'running' },
  /** What the scope held when the job started. */
  total: { type: Number, required: true },
  done: { type: Number, required: true, default: 0 },
  /** The last message a batch read: the next batch, on any node, starts after it. */
  cursor: { type: Schema.Types.ObjectId, default: null },
  failures: { type: [failureSchema], default: [] },
  /** Held by one node at a time (`holder`, a random id per process), renewed with every batch. */
  holder: { type: String, required: true },
  leaseUntil: { type: Date, required: true },
  startedAt: { type: Date, required: true },
  finishedAt: { type: Date, default: null },
});

jobSchema.index({ runningKey: 1 }, { unique: true });
jobSchema.index({ status: 1, leaseUntil: 1 });

export type Job = InferSchemaType<typeof jobSchema> & { _id: Types.ObjectId };
export type JobDocument = HydratedDocument<Job>;
export const JobModel = model('Job', jobSchema);
