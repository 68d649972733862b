import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

/**
 * What an action removed, sealed before it was removed: the content as it stood, canonically
 * serialised, and the SHA-256 of that serialisation (handlers/evidence.ts). Never changed; deleted
 * RETENTION_EVIDENCE_DAYS after its action unless a preservation hold keeps it (`heldUntil`).
 */
const evidenceSchema = new Schema(
  {
    actionId: { type: Schema.Types.ObjectId, required: true },
    /** What was sealed: a message, or a whole chat. */
    kind: { type: String, enum: ['message', 'chat'], required: true },
    targetId: { type: String, required: true },
    chatId: { type: Schema.Types.ObjectId, required: true },
    /** Who wrote a sealed message (null for a chat): a preservation hold on a person keeps it. */
    authorId: { type: Schema.Types.ObjectId, default: null },
    /** The canonical serialisation (JSON, keys sorted, no spaces, UTF-8) whose hash is `sha256`. */
    canonical: { type: String, required: true },
    sha256: { type: String, required: true },
    sealedAt: { type: Date, required: true },
    /** A preservation hold keeps it past retention until then. */
    heldUntil: { type: Date, default: null },
  },
  { collection: 'evidence' },
);

evidenceSchema.index({ actionId: 1, targetId: 1 }, { unique: true });
evidenceSchema.index({ sealedAt: 1 });
evidenceSchema.index({ targetId: 1 });

export type Evidence = InferSchemaType<typeof evidenceSchema> & { _id: Types.ObjectId };
export type EvidenceDocument = HydratedDocument<Evidence>;
export const EvidenceModel = model('Evidence', evidenceSchema);
