/**
 * Evidence sealed before anything is removed: every hide, purge and close writes the content it
 * removes (a message with its edit history; a chat's title, description, owner and member count)
 * as a canonical serialisation with its SHA-256, before the removal is written. Platform
 * moderators read the records and a package with a manifest of hashes and each record's access
 * history (the chain of custody); every read is in the access log. Anyone can recompute a hash:
 * the canonical form is JSON with object keys sorted, no spaces, dates as ISO 8601 strings and
 * ids as hex strings, in UTF-8.
 */
import { createHash } from 'node:crypto';

import * as accessLog from './store/access-log';
import * as evidence from './store/evidence';
import type { Caller, Context } from './context';
import { StoaError } from './contract/errors';
import * as actions from './store/actions';

/** How many records one read returns at most (a purge of 100,000 messages is read a page at a time in the package). */
const MAX_RECORDS = 10_000;

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** Dates as ISO strings, ids as hex, keys sorted: the form whose bytes are hashed. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(plain(value));
}

function plain(value: unknown): Plain {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && typeof (value as { toHexString?: unknown }).toHexString === 'function') {
    return (value as { toHexString(): string }).toHexString();
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, plain(v)]));
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

interface SealableMessage {
  _id: unknown;
  chatId: unknown;
  senderId: unknown;
  seq: number;
  text: string;
  createdAt: Date;
  editedAt?: Date | null;
  edits?: Array<{ text: string; editedAt: Date }> | null;
}

interface SealableChat {
  _id: unknown;
  title: string;
  description?: string | null;
  ownerId: unknown;
  type: string;
  visibility: string;
  createdAt: Date;
}

const record = (
  kind: 'message' | 'chat',
  targetId: string,
  chatId: string,
  content: object,
  authorId: string | null = null,
): evidence.NewEvidence => {
  const canonical = canonicalJson({ kind, ...content });
  return { kind, targetId, chatId, authorId, canonical, sha256: sha256(canonical) };
};

/** Seals the messages an action removes: text, author, chat, seq, when sent, and every earlier text. */
export function sealMessages(actionId: unknown, sealedAt: Date, messages: SealableMessage[]): Promise<void> {
  const records = messages.map((m) => {
    const id = String(m._id);
    const chatId = String(m.chatId);
    const senderId = String(m.senderId);
    return record(
      'message',
      id,
      chatId,
      {
        messageId: id,
        chatId,
        senderId,
        seq: m.seq,
        text: m.text,
        sentAt: m.createdAt,
        editedAt: m.editedAt ?? null,
        edits: (m.edits ?? []).map((e) => ({ text: e.text, replacedAt: e.editedAt })),
      },
      senderId,
    );
  });
  return evidence.seal(String(actionId), sealedAt, records);
}

/** Seals a chat an action closes: its title, description, owner, kind and member count. */
export function sealChat(actionId: unknown, sealedAt: Date, chat: SealableChat, memberCount: number): Promise<void> {
  const chatId = String(chat._id);
  return evidence.seal(String(actionId), sealedAt, [
    record('chat', chatId, chatId, {
      chatId,
      title: chat.title,
      description: chat.description ?? '',
      ownerId: String(chat.ownerId),
      type: chat.type,
      visibility: chat.visibility,
      createdAt: chat.createdAt,
      memberCount,
    }),
  ]);
}

export const withdrawSeal = (actionId: unknown): Promise<void> => evidence.withdraw(String(actionId));

export interface EvidenceRecord {
  id: string;
  actionId: string;
  kind: 'message' | 'chat';
  targetId: string;
  chatId: string;
  sealedAt: string;
  heldUntil: string | null;
  sha256: string;
  /** The canonical serialisation, exactly the bytes hashed. */
  canonical: string;
  content: unknown;
}

const toRecord = (e: evidence.EvidenceDocument): EvidenceRecord => ({
  id: e._id.toString(),
  actionId: e.actionId.toString(),
  kind: e.kind,
  targetId: e.targetId,
  chatId: e.chatId.toString(),
  sealedAt: e.sealedAt.toISOString(),
  heldUntil: e.heldUntil?.toISOString() ?? null,
  sha256: e.sha256,
  canonical: e.canonical,
  content: JSON.parse(e.canonical) as unknown,
});

/** The records of an action, each read in the access log. */
async function readSealed(caller: Caller, actionId: string): Promise<evidence.EvidenceDocument[]> {
  const action = await actions.byId(actionId);
  if (!action) throw new StoaError('not_found', 'No such action.');
  const records = await evidence.ofAction(action._id, MAX_RECORDS);
  await accessLog.recordMany(
    caller.user._id,
    'sealed_evidence',
    records.map((r) => ({ targetId: r._id.toString(), chatId: r.chatId })),
  );
  return records;
}

/** `GET /api/moderation/evidence?actionId=`: what an action sealed, with the hashes (platform moderators). */
export async function listEvidence(
  { caller }: Context,
  input: { actionId: string },
): Promise<{ records: EvidenceRecord[] }> {
  return { records: (await readSealed(caller, input.actionId)).map(toRecord) };
}

export interface EvidencePackage {
  actionId: string;
  packagedAt: string;
  /** How to check a record: hash its `canonical` text as UTF-8 with SHA-256 and compare with the manifest. */
  canonicalization: string;
  manifest: Array<{ id: string; sha256: string }>;
  records: EvidenceRecord[];
  /** Every read of each record, oldest first: who (an account id), when. */
  custody: Array<{ id: string; reads: Array<{ actorId: string; at: string }> }>;
}

/** `GET /api/moderation/evidence/package?actionId=`: the records, a manifest of hashes and each record's chain of custody. */
export async function evidencePackage({ caller }: Context, input: { actionId: string }): Promise<EvidencePackage> {
  const sealed = await readSealed(caller, input.actionId);
  const reads = await accessLog.readsOf(
    'sealed_evidence',
    sealed.map((r) => r._id.toString()),
  );
  return {
    actionId: input.actionId,
    packagedAt: new Date().toISOString(),
    canonicalization:
      'SHA-256 of the UTF-8 bytes of `canonical`: JSON, object keys sorted, no whitespace, dates as ISO 8601, ids as hex',
    manifest: sealed.map((r) => ({ id: r._id.toString(), sha256: r.sha256 })),
    records: sealed.map(toRecord),
    custody: sealed.map((r) => ({ id: r._id.toString(), reads: reads.get(r._id.toString()) ?? [] })),
  };
}
