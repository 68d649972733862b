import { Schema, type Types, model, type HydratedDocument, type InferSchemaType } from 'mongoose';

/**
 * A statement of reasons as the EU transparency database takes it (handlers/statements.ts), one per
 * restricting action; `statement` holds only its snake_case fields, none of them personal data.
 */
const statementSchema = new Schema(
  {
    actionId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
    statement: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'statements', minimize: false },
);

statementSchema.index({ actionId: 1 }, { unique: true });
statementSchema.index({ createdAt: 1 });

export type StatementRecord = InferSchemaType<typeof statementSchema> & { _id: Types.ObjectId };
export type StatementDocument = HydratedDocument<StatementRecord>;
export const StatementModel = model('Statement', statementSchema);
