/**
 * Group commit of sends: whatever arrives while one insert is in flight is stored by the
 * next, one `insertMany` for every chat it holds. Seqs are handed out here, in memory, per
 * chat; the unique (chatId, seq) index stays the guard across nodes (FerretDB has no atomic
 * $inc), and the unique (senderId, chatId, clientMsgId) index catches retried sends.
 */
import { Types } from 'mongoose';

import { MessageModel, type Message } from '../../models';
import { isDuplicateKeyError, writeErrorsOf } from './db';
import { latestSeq, sentAs } from './messages';
import { LruMap } from './lru';

const MAX_ATTEMPTS = 100;
/** Chats whose next seq this node remembers; the least recently used are forgotten (and re-read when needed). */
const MAX_CHATS = 50_000;

export interface StoredMessage {
  message: Message;
  /** True when this send was a retry of a message already stored: nothing is relayed again. */
  replay: boolean;
}

interface PendingSend {
  doc: Message;
  resolve(stored: StoredMessage): void;
  reject(err: unknown): void;
  /** Retries of this very send that arrived in the same batch: they get its message as a replay. */
  retries: PendingSend[];
}

/** How often a seq claim lost a race and had to retry, since start (for metrics and benchmarks). */
export const seqClaimStats = { retries: 0 };

/** The next seq this node hands out per chat; lowered to the truth whenever a claim collides. */
const nextSeq = new LruMap<string, number>(MAX_CHATS);
let waiting: PendingSend[] = [];
let writing = false;
let scheduled = false;

/**
 * Stores one message with the next seq of its chat; resolves once it is stored. The fields
 * come validated from the wire, so the document is written as it stands, without a mongoose
 * document's casting and validation: the hottest write skips about a third of its CPU.
 */
export function storeMessage(fields: {
  chatId: Types.ObjectId;
  senderId: Types.ObjectId;
  text: string;
  clientMsgId: string;
  /** Stored hidden from the start: an automatic filter held it for review (handlers/filters.ts). */
  hidden?: Message['hidden'];
}): Promise<StoredMessage> {
  // Every field the schema stores, with its default (test/messages.test.ts holds the two together).
  const doc: Message = {
    _id: new Types.ObjectId(),
    ...fields,
    seq: 0,
    createdAt: new Date(),
    editedAt: null,
    deletedAt: null,
    hidden: fields.hidden ?? null,
  };
  return new Promise((resolve, reject) => {
    waiting.push({ doc, resolve, reject, retries: [] });
    scheduleWrite();
  });
}

function scheduleWrite(): void {
  if (writing || scheduled || waiting.length === 0) return;
  scheduled = true;
  // The sends that arrived in this turn of the event loop go together.
  setImmediate(() => {
    scheduled = false;
    writing = true;
    const batch = waiting;
    waiting = [];
    void writeBatch(batch).finally(() => {
      writing = false;
      scheduleWrite();
    });
  });
}

async function writeBatch(batch: PendingSend[]): Promise<void> {
  let pending = withoutRetries(batch);
  try {
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`could not claim seqs after ${MAX_ATTEMPTS} attempts`);
      pending = await insertInOrder(pending);
    }
  } catch (err) {
    for (const send of pending) {
      nextSeq.delete(send.doc.chatId.toString());
      settle(send, err);
    }
  }
}

/** A send retried before its first try was stored rides on that first try. */
function withoutRetries(batch: PendingSend[]): PendingSend[] {
  const firsts = new Map<string, PendingSend>();
  const kept: PendingSend[] = [];
  for (const send of batch) {
    const key = `${send.doc.senderId.toString()}:${send.doc.chatId.toString()}:${send.doc.clientMsgId}`;
    const first = firsts.get(key);
    if (first) first.retries.push(send);
    else {
      firsts.set(key, send);
      kept.push(send);
    }
  }
  return kept;
}

/**
 * Numbers the sends from each chat's next seq and inserts them in order. An ordered insert
 * stops at its first failure, so the sends after it are not stored yet and are numbered
 * again on the next attempt: a failure never leaves a hole. Returns the sends still to store.
 */
async function insertInOrder(pending: PendingSend[]): Promise<PendingSend[]> {
  await knowNextSeqs(pending);
  const numbered = new Map<string, number>();
  for (const { doc } of pending) {
    const chatId = doc.chatId.toString();
    const seq = numbered.get(chatId) ?? nextSeq.get(chatId)!;
    doc.seq = seq;
    numbered.set(chatId, seq + 1);
  }
  let storedCount = pending.length;
  let failure: unknown = null;
  try {
    await MessageModel.collection.insertMany(
      pending.map((send) => send.doc),
      { ordered: true },
    );
  } catch (err) {
    // An ordered insert stops at its first failure.
    const first = writeErrorsOf(err)?.[0];
    if (!first) throw err;
    storedCount = first.index;
    failure = first.error;
  }
  for (const send of pending.slice(0, storedCount)) {
    nextSeq.set(send.doc.chatId.toString(), send.doc.seq + 1);
    settle(send, null);
  }
  if (storedCount === pending.length) return [];
  const failed = pending[storedCount]!;
  const answered = await answerFailure(failed, failure);
  return pending.slice(answered ? storedCount + 1 : storedCount);
}

/**
 * A duplicate is either this very send, stored before (a retry: answered with the stored
 * message), or a seq another node took (the chat's next seq is read again and the send
 * tries again: returns false). Anything else refuses that one send.
 */
async function answerFailure(failed: PendingSend, failure: unknown): Promise<boolean> {
  const { doc } = failed;
  if (!isDuplicateKeyError(failure)) {
    settle(failed, failure);
    return true;
  }
  const earlier = await sentAs(doc.senderId, doc.chatId, doc.clientMsgId);
  if (earlier) {
    for (const send of [failed, ...failed.retries]) send.resolve({ message: earlier, replay: true });
    return true;
  }
  seqClaimStats.retries += 1;
  nextSeq.set(doc.chatId.toString(), (await latestSeq(doc.chatId)) + 1);
  return false;
}

/** Resolves a stored send (and its retries in the batch), or rejects it with `err`. */
function settle(send: PendingSend, err: unknown): void {
  if (err) {
    for (const each of [send, ...send.retries]) each.reject(err);
    return;
  }
  send.resolve({ message: send.doc, replay: false });
  for (const retry of send.retries) retry.resolve({ message: send.doc, replay: true });
}

/** Reads the latest seq of each chat this node has no next seq for. */
async function knowNextSeqs(pending: PendingSend[]): Promise<void> {
  const unknown = [...new Set(pending.map((send) => send.doc.chatId.toString()))].filter(
    (chatId) => !nextSeq.has(chatId),
  );
  await Promise.all(
    unknown.map(async (chatId) => {
      const latest = await latestSeq(new Types.ObjectId(chatId));
      if (!nextSeq.has(chatId)) nextSeq.set(chatId, latest + 1);
    }),
  );
}
