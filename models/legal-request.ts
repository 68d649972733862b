import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

import {
  AUTHORITY_KINDS,
  DATA_CATEGORIES,
  LEGAL_INSTRUMENTS,
  LEGAL_STATUSES,
  REJECTION_GROUNDS,
  REVIEW_VERDICTS,
  TARGET_TYPES,
} from './vocabulary';

const reviewSchema = new Schema(
  {
    reviewerId: { type: Schema.Types.ObjectId, required: true },
    verdict: { type: String, enum: REVIEW_VERDICTS, required: true },
    /** What the reviewer checked: the basis, the authority's competence, the scope. */
    legalCheck: { type: String, required: true },
    reason: { type: String, required: true },
    rejectionGround: { type: String, enum: REJECTION_GROUNDS, default: null },
    at: { type: Date, required: true },
  },
  { _id: false },
);

/** One line of a request's history: who did what to it, when. */
const eventSchema = new Schema(
  {
    at: { type: Date, required: true },
    by: { type: String, required: true },
    what: { type: String, required: true },
  },
  { _id: false },
);

/** The package handed over: its canonical JSON and the hash of each part, kept with the request. */
const disclosureSchema = new Schema(
  {
    at: { type: Date, required: true },
    by: { type: Schema.Types.ObjectId, required: true },
    canonical: { type: String, required: true },
    sha256: { type: String, required: true },
    /** The categories that held something, per the targets asked about. */
    categories: { type: [String], enum: DATA_CATEGORIES, default: [] },
    /** The accounts whose data it holds. */
    accounts: { type: [Schema.Types.ObjectId], default: [] },
  },
  { _id: false },
);

/**
 * A request from an authority, as received, reviewed and answered (handlers/legal-requests.ts):
 * platform admins only. Disclosure takes two approvals by different admins (an emergency one, and
 * a second within 72 hours; a bulk request three); the people concerned are told once it closes
 * as complied or partial, after any gag.
 */
const authoritySchema = new Schema(
  {
    name: { type: String, required: true },
    /** ISO 3166-1 alpha-2. */
    country: { type: String, required: true },
    kind: { type: String, enum: AUTHORITY_KINDS, required: true },
  },
  { _id: false },
);

const legalRequestSchema = new Schema(
  {
    authority: { type: authoritySchema, required: true },
    instrument: { type: String, enum: LEGAL_INSTRUMENTS, required: true },
    legalBasis: { type: String, required: true },
    /** The authority's own reference. */
    reference: { type: String, required: true },
    receivedAt: { type: Date, required: true },
    deadline: { type: Date, default: null },
    targets: {
      type: [{ type: { type: String, enum: TARGET_TYPES, required: true }, id: { type: String, required: true } }],
      required: true,
    },
    dataRequested: { type: [String], enum: DATA_CATEGORIES, default: [] },
    gagUntil: { type: Date, default: null },
    /** Holds the targets' records from the retention sweep until `heldUntil` (preservation). */
    preserve: { type: Boolean, required: true, default: false },
    heldUntil: { type: Date, default: null },
    holdExtended: { type: Boolean, required: true, default: false },
    /** More than LEGAL_BULK_TARGETS accounts, or a chat's members: a third approval. */
    bulk: { type: Boolean, required: true },
    approvalsNeeded: { type: Number, required: true },
    status: { type: String, enum: LEGAL_STATUSES, required: true, default: 'received' },
    reviews: { type: [reviewSchema], default: [] },
    disclosure: { type: disclosureSchema, default: null },
    /** When the people concerned were told (null: not yet, or never for a rejection or no data). */
    notifiedAt: { type: Date, default: null },
    notifiedCount: { type: Number, required: true, default: 0 },
    history: { type: [eventSchema], default: [] },
    recordedBy: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { collection: 'legalrequests' },
);

legalRequestSchema.index({ status: 1, receivedAt: -1 });
legalRequestSchema.index({ receivedAt: -1 });
legalRequestSchema.index({ heldUntil: 1 });

export type LegalRequest = InferSchemaType<typeof legalRequestSchema> & { _id: Types.ObjectId };
export type LegalRequestDocument = HydratedDocument<LegalRequest>;
export const LegalRequestModel = model('LegalRequest', legalRequestSchema);
