/** Requests from authorities: the ledger's records, their reviews, disclosures, holds and notices. */
import { trusted } from 'mongoose';

import type {
  AuthorityKind,
  DataCategory,
  LegalInstrument,
  LegalStatus,
  RejectionGround,
  TargetType,
} from '../../models/vocabulary';
import { LegalRequestModel, type LegalRequest, type LegalRequestDocument } from '../../models';
import { isId, objectId, type Id, type Types } from './db';

export type { LegalRequest, LegalRequestDocument };

export interface LegalTarget {
  type: TargetType;
  id: string;
}
export interface Review {
  reviewerId: Types.ObjectId;
  verdict: 'approve' | 'reject';
  legalCheck: string;
  reason: string;
  rejectionGround: RejectionGround | null;
  at: Date;
}
/** One line of a request's history. */
export interface Event {
  at: Date;
  by: string;
  what: string;
}
export interface NewLegalRequest {
  authority: { name: string; country: string; kind: AuthorityKind };
  instrument: LegalInstrument;
  legalBasis: string;
  reference: string;
  receivedAt: Date;
  deadline: Date | null;
  targets: LegalTarget[];
  dataRequested: DataCategory[];
  gagUntil: Date | null;
  preserve: boolean;
  heldUntil: Date | null;
  bulk: boolean;
  approvalsNeeded: number;
  history: Event[];
  recordedBy: Types.ObjectId;
}
export interface Disclosure {
  at: Date;
  by: Types.ObjectId;
  canonical: string;
  sha256: string;
  categories: DataCategory[];
  accounts: Types.ObjectId[];
}

export function create(fields: NewLegalRequest): Promise<LegalRequestDocument> {
  return LegalRequestModel.create(fields);
}

export function byId(requestId: string): Promise<LegalRequestDocument | null> {
  return isId(requestId) ? LegalRequestModel.findById(requestId).exec() : Promise.resolve(null);
}

/** Newest recorded first (`before`: a request id); `limit` + 1 are read. */
export function page(status: LegalStatus | undefined, before: string | undefined, limit: number) {
  const filter: Record<string, unknown> = {};
  if (status) filter.status = status;
  if (before) filter._id = trusted({ $lt: objectId(before) });
  return LegalRequestModel.find(filter, { disclosure: 0 })
    .sort({ _id: -1 })
    .limit(limit + 1)
    .exec();
}

/**
 * Adds a review while the request is still as the reviewer read it (`status`, and as many reviews):
 * of two admins reviewing at once, one wins and the other is told to read it again.
 */
export async function addReview(
  requestId: Id,
  seen: { status: LegalStatus; reviews: number },
  review: Review,
  status: LegalStatus,
  event: Event,
): Promise<boolean> {
  const { modifiedCount } = await LegalRequestModel.updateOne(
    { _id: objectId(requestId), status: seen.status, reviews: trusted({ $size: seen.reviews }) },
    { $push: { reviews: review, history: event }, $set: { status } },
  );
  return modifiedCount > 0;
}

/** Keeps a disclosure, once: the request must still be approved. */
export async function recordDisclosure(
  requestId: Id,
  disclosure: Disclosure,
  status: LegalStatus,
  event: Event,
): Promise<boolean> {
  const { modifiedCount } = await LegalRequestModel.updateOne(
    { _id: objectId(requestId), status: 'approved' },
    { $set: { disclosure, status }, $push: { history: event } },
  );
  return modifiedCount > 0;
}

/** Extends a preservation hold, once. */
export async function extendHold(requestId: Id, heldUntil: Date, event: Event): Promise<boolean> {
  const { modifiedCount } = await LegalRequestModel.updateOne(
    { _id: objectId(requestId), holdExtended: false, heldUntil: trusted({ $ne: null }) },
    { $set: { heldUntil, holdExtended: true }, $push: { history: event } },
  );
  return modifiedCount > 0;
}

/** Disclosed requests whose people are not told yet and whose gag (if any) has lapsed by `now`. */
export function noticesDue(now: Date, limit: number): Promise<LegalRequestDocument[]> {
  return LegalRequestModel.find({
    status: trusted({ $in: ['complied', 'partial'] }),
    notifiedAt: null,
    $or: [{ gagUntil: null }, { gagUntil: trusted({ $lte: now }) }],
  })
    .limit(limit)
    .exec();
}

/** Marks the people told, once. */
export async function markNotified(requestId: Id, count: number, at: Date): Promise<boolean> {
  const { modifiedCount } = await LegalRequestModel.updateOne(
    { _id: objectId(requestId), notifiedAt: null },
    { $set: { notifiedAt: at, notifiedCount: count }, $push: { history: { at, by: 'system', what: 'notified' } } },
  );
  return modifiedCount > 0;
}

/** The targets of every preservation hold in force at `now`. */
export async function heldTargets(now: Date): Promise<LegalTarget[]> {
  const held = await LegalRequestModel.find({ heldUntil: trusted({ $gt: now }) }, { targets: 1 }).lean();
  return held.flatMap((r) => r.targets);
}

/** Requests received in [from, to), for the transparency report. */
export function receivedIn(from: Date, to: Date): Promise<LegalRequest[]> {
  return LegalRequestModel.find(
    { receivedAt: trusted({ $gte: from, $lt: to }) },
    { 'disclosure.canonical': 0 },
  ).lean() as Promise<LegalRequest[]>;
}
