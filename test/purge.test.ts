/**
 * Purging someone's messages: a dry run counts and changes nothing; a purge is one audited action
 * whose job hides every message in scope after the ack, sealed first, announced in batches of at
 * most 500 per chat, and undone on appeal; it finishes what it starts, across failures and nodes.
 */
import { trusted, Types } from 'mongoose';

import { EvidenceModel, JobModel, MessageModel } from '../models';
import { settled } from '../handlers/purge-jobs';
import { collect, emit, nextEvent, settle, startTestServer, useTestServer } from './support/harness';
import type { ActionView, JobView } from '../server/protocol';
import { createChat, ok, person, post, type Person } from './support/world';

const server = useTestServer();
afterEach(() => jest.restoreAllMocks());

/** The ack of a purge that started (not a dry run). */
function started<T extends { ok: boolean }>(ack: T) {
  const result = ok(ack) as unknown as { action: ActionView; job: JobView };
  if (!('job' in result)) throw new Error(`expected a started purge, got ${JSON.stringify(ack)}`);
  return result;
}

/** The count of a dry run. */
const counted = <T extends { ok: boolean }>(ack: T): number => (ok(ack) as unknown as { count: number }).count;

const refused = (code: string) => ({ ok: false, error: expect.objectContaining({ code }) });

/** `count` messages by `author` in a chat, written in bulk (as months of chatting would leave them). */
async function history(
  chatId: string,
  author: Person,
  count: number,
  sentAt = new Date(Date.now() - 3_600_000),
): Promise<void> {
  const last = await MessageModel.findOne({ chatId }).sort({ seq: -1 }).lean();
  const from = last?.seq ?? 0;
  await MessageModel.insertMany(
    Array.from({ length: count }, (_, i) => ({
      chatId: new Types.ObjectId(chatId),
      seq: from + i + 1,
      senderId: new Types.ObjectId(author.id),
      text: `bulk ${i}`,
      clientMsgId: `bulk-${chatId}-${from + i}`,
      createdAt: new Date(sentAt.getTime() + i),
    })),
  );
}

/** Waits for the job of a purge to end, as a client would: polling its progress over HTTP. */
async function finished(moderator: Person, jobId: string) {
  for (;;) {
    const { status, body } = await server.http('GET', `/api/moderation/jobs/${jobId}`, { token: moderator.token });
    expect(status).toBe(200);
    if (body.job.status !== 'running') return body.job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function scene() {
  const [moderator, owner, author, reader] = [
    await person(server, 'moderator', 'moderator'),
    await person(server, 'owner'),
    await person(server, 'author'),
    await person(server, 'reader'),
  ];
  const chatA = await createChat(owner, 'group', [author, reader]);
  const chatB = await createChat(owner, 'group', [author, reader]);
  return { moderator, owner, author, reader, chatA, chatB };
}

describe('a dry run', () => {
  test('counts what a purge would hide, per chat, and changes nothing', async () => {
    const { moderator, author, reader, chatA, chatB } = await scene();
    await history(chatA.id, author, 30);
    await history(chatB.id, author, 5);
    await post(reader, chatA.id, 'not theirs');
    const counted = ok(
      await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'spam run', dryRun: true }),
    );
    expect(counted).toEqual({
      ok: true,
      count: 35,
      chats: [
        { chatId: chatA.id, count: 30 },
        { chatId: chatB.id, count: 5 },
      ],
    });
    expect(await MessageModel.countDocuments({ senderId: author.id, hidden: trusted({ $ne: null }) })).toBe(0);
    const log = ok(await emit(moderator.socket, 'mod:log', { targetId: author.id })).actions;
    expect(log).toEqual([]);
  });

  test('someone with no messages is a count of 0, not an error', async () => {
    const { moderator, reader } = await scene();
    expect(
      ok(await emit(moderator.socket, 'mod:purge', { userId: reader.id, reason: 'check', dryRun: true })),
    ).toMatchObject({ count: 0, chats: [] });
  });
});

describe('a purge', () => {
  test('hides every message in scope after the ack, announced in batches of at most 500 per chat, sealed first', async () => {
    const { moderator, owner, author, reader, chatA, chatB } = await scene();
    await history(chatA.id, author, 1100);
    await history(chatB.id, author, 3);
    await post(reader, chatA.id, 'mine stays');
    const hidden = collect(owner.socket, 'messages:hidden');
    const notices = collect(author.socket, 'moderation:notice');

    const ack = started(await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'spam bot' }));
    expect(ack.action).toMatchObject({ type: 'purge_messages', targetType: 'user', targetId: author.id, count: 1103 });
    expect(ack.job).toMatchObject({ kind: 'purge', actionId: ack.action.id, total: 1103 });
    const job = await finished(moderator, ack.job.id);
    expect(job).toMatchObject({ status: 'done', done: 1103, total: 1103, failures: [] });

    await settle(owner.socket);
    const inA = hidden.filter((e) => e.chatId === chatA.id);
    expect(inA.map((e) => e.messageIds.length).sort((a, b) => b - a)).toEqual([500, 500, 100]);
    expect(new Set(inA.flatMap((e) => e.messageIds)).size).toBe(1100);
    expect(hidden.filter((e) => e.chatId === chatB.id).map((e) => e.messageIds.length)).toEqual([3]);
    // One statement of reasons for the whole purge.
    await settle(author.socket);
    expect(notices.map((n) => n.action.type)).toEqual(['purge_messages']);

    // History keeps each as a hidden tombstone; the other member's message is untouched.
    const page = ok(await emit(reader.socket, 'message:history', { chatId: chatA.id, limit: 3 })).messages;
    expect(page.map((m) => ('hidden' in m ? 'hidden' : (m as { text: string }).text))).toEqual([
      'hidden',
      'hidden',
      'mine stays',
    ]);
    expect(await EvidenceModel.countDocuments({ actionId: ack.action.id })).toBe(1103);
  });

  test('in one chat and a time window only; since after until is invalid_input', async () => {
    const { moderator, author, chatA, chatB } = await scene();
    const old = new Date('2026-01-01T00:00:00Z');
    await history(chatA.id, author, 4, old);
    await history(chatA.id, author, 2);
    await history(chatB.id, author, 2);
    const window = { since: '2025-12-31T00:00:00Z', until: '2026-01-02T00:00:00Z' };
    const ack = started(
      await emit(moderator.socket, 'mod:purge', { userId: author.id, chatId: chatA.id, ...window, reason: 'that day' }),
    );
    expect((await finished(moderator, ack.job.id)).done).toBe(4);
    expect(await MessageModel.countDocuments({ senderId: author.id, hidden: null })).toBe(4);

    expect(
      await emit(moderator.socket, 'mod:purge', {
        userId: author.id,
        since: '2026-02-01T00:00:00Z',
        until: '2026-01-01T00:00:00Z',
        reason: 'backwards',
      }),
    ).toMatchObject(refused('invalid_input'));
    expect(
      await emit(moderator.socket, 'mod:purge', { userId: author.id, since: 'yesterday', reason: 'x' } as never),
    ).toMatchObject(refused('invalid_input'));
  });

  test('over HTTP as type purge_messages, dry run included', async () => {
    const { moderator, author, chatA } = await scene();
    await history(chatA.id, author, 3);
    const dry = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'purge_messages', userId: author.id, reason: 'check', dryRun: true },
    });
    expect(dry.status).toBe(201);
    expect(dry.body).toEqual({ count: 3, chats: [{ chatId: chatA.id, count: 3 }] });
    const real = await server.http('POST', '/api/moderation/actions', {
      token: moderator.token,
      body: { type: 'purge_messages', userId: author.id, reason: 'spam' },
    });
    expect(real.status).toBe(201);
    expect((await finished(moderator, real.body.job.id)).done).toBe(3);
  });

  test('a second purge of the same scope while one runs is conflict', async () => {
    const { moderator, author, chatA } = await scene();
    await history(chatA.id, author, 10);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const updateMany = MessageModel.collection.updateMany.bind(MessageModel.collection);
    jest
      .spyOn(MessageModel.collection, 'updateMany')
      .mockImplementationOnce(async (...args: Parameters<typeof updateMany>) => {
        await gate;
        return updateMany(...args);
      });
    const first = started(await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'spam' }));
    expect(await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'again' })).toMatchObject(
      refused('conflict'),
    );
    release();
    expect((await finished(moderator, first.job.id)).status).toBe('done');
    // Once it ended the scope is free again (and a purge of nothing left is a count of 0).
    const again = started(await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'again' }));
    expect(again.action.count).toBe(0);
  });

  test('a batch that keeps failing ends the job as failed with the failure listed; a retry completes the rest', async () => {
    const { moderator, author, chatA } = await scene();
    await history(chatA.id, author, 700);
    const updateMany = MessageModel.collection.updateMany.bind(MessageModel.collection);
    let calls = 0;
    jest
      .spyOn(MessageModel.collection, 'updateMany')
      .mockImplementation(async (...args: Parameters<typeof updateMany>) => {
        calls += 1;
        if (calls > 1) throw new Error('disk full');
        return updateMany(...args);
      });
    const ack = started(await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'spam' }));
    const failed = await finished(moderator, ack.job.id);
    expect(failed).toMatchObject({
      status: 'failed',
      done: 500,
      failures: [expect.objectContaining({ error: expect.stringContaining('disk full') })],
    });
    jest.restoreAllMocks();
    const retry = started(await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'spam, the rest' }));
    expect(retry.action.count).toBe(200);
    expect((await finished(moderator, retry.job.id)).done).toBe(200);
    expect(await MessageModel.countDocuments({ senderId: author.id, hidden: null })).toBe(0);
  });

  test('a job whose node stopped is taken up by the next node, and the first one stands down', async () => {
    const { moderator, author, chatA } = await scene();
    await history(chatA.id, author, 1200);
    let release!: () => void;
    let stalled!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inGate = new Promise<void>((resolve) => (stalled = resolve));
    const updateMany = MessageModel.collection.updateMany.bind(MessageModel.collection);
    jest
      .spyOn(MessageModel.collection, 'updateMany')
      .mockImplementationOnce(async (...args: Parameters<typeof updateMany>) => {
        stalled();
        await gate;
        return updateMany(...args);
      });
    const ack = started(await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'spam' }));
    // This node stalls in its first batch past its lease, as a node that died would.
    await inGate;
    await JobModel.updateOne({ _id: ack.job.id }, { $set: { leaseUntil: new Date(Date.now() - 1000) } });
    const { holder } = (await JobModel.findById(ack.job.id).lean())!;
    const next = await startTestServer();
    try {
      // The next node takes it up as it starts.
      while ((await JobModel.findById(ack.job.id).lean())!.holder === holder)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await settled(next.stoa.services);
      release();
      await settled(server.stoa.services);
      const job = await JobModel.findById(ack.job.id).lean();
      expect(job).toMatchObject({ status: 'done' });
      expect(await MessageModel.countDocuments({ senderId: author.id, hidden: null })).toBe(0);
      // Every message counted once, however the two nodes' batches interleaved.
      expect(job!.done).toBe(1200);
    } finally {
      await next.close();
    }
  });
});

describe('who may purge', () => {
  test('a chat admin in their chat only, never across chats nor against a platform moderator or a co-admin', async () => {
    const moderator = await person(server, 'moderator', 'moderator');
    const owner = await person(server, 'owner');
    const admin = await person(server, 'admin');
    const coAdmin = await person(server, 'coadmin');
    const member = await person(server, 'member');
    const chat = await createChat(owner, 'group', [member, moderator], [admin, coAdmin]);
    await post(member, chat.id, 'spam');
    await post(moderator, chat.id, 'a moderator chatting');
    const purge = (who: Person, userId: string, chatId?: string) =>
      emit(who.socket, 'mod:purge', { userId, ...(chatId ? { chatId } : {}), reason: 'spam', dryRun: true });

    expect(await purge(admin, member.id)).toMatchObject(refused('forbidden'));
    expect(await purge(admin, moderator.id, chat.id)).toMatchObject(refused('forbidden'));
    expect(await purge(admin, coAdmin.id, chat.id)).toMatchObject(refused('forbidden'));
    expect(await purge(member, admin.id, chat.id)).toMatchObject(refused('forbidden'));
    expect(counted(await purge(admin, member.id, chat.id))).toBe(1);
    expect(counted(await purge(owner, coAdmin.id, chat.id))).toBe(0);
    const stranger = await person(server, 'stranger');
    const secret = ok(
      await emit(owner.socket, 'chat:create', { type: 'group', title: 'Secret', visibility: 'private' }),
    ).chat;
    expect(await purge(stranger, member.id, secret.id)).toMatchObject(refused('not_found'));
    expect(await purge(moderator, new Types.ObjectId().toString())).toMatchObject(refused('not_found'));

    // The one who started a job reads its progress; nobody else but platform moderators.
    const begun = started(
      await emit(admin.socket, 'mod:purge', { userId: member.id, chatId: chat.id, reason: 'spam' }),
    );
    expect(ok(await emit(admin.socket, 'mod:job', { jobId: begun.job.id })).job.id).toBe(begun.job.id);
    expect(await emit(member.socket, 'mod:job', { jobId: begun.job.id })).toMatchObject(refused('not_found'));
    await settled(server.stoa.services);
  });
});

test('the author appeals; a reversal shows every purged message again, announced in batches', async () => {
  const { moderator, owner, author, chatA, chatB } = await scene();
  await history(chatA.id, author, 600);
  await history(chatB.id, author, 2);
  // One message was hidden on its own before: that hide is not the purge's to undo.
  const alone = await MessageModel.findOne({ chatId: chatA.id, text: 'bulk 599' }).lean();
  ok(await emit(moderator.socket, 'mod:hide', { messageId: alone!._id.toString(), reason: 'rude' }));
  const ack = started(await emit(moderator.socket, 'mod:purge', { userId: author.id, reason: 'looked like spam' }));
  await finished(moderator, ack.job.id);
  const { appeal } = ok(
    await emit(author.socket, 'appeal:create', { actionId: ack.action.id, text: 'I am not a bot.' }),
  );
  const reviewer = await person(server, 'reviewer', 'moderator');
  const unhidden = collect(owner.socket, 'messages:unhidden');
  const decided = nextEvent(author.socket, 'appeal:decided');
  ok(
    await emit(reviewer.socket, 'mod:appeal-decide', { appealId: appeal.id, outcome: 'reversed', reason: 'A person.' }),
  );
  await decided;
  await settled(server.stoa.services);
  await settle(owner.socket);
  const stillHidden = await MessageModel.find({ senderId: author.id, hidden: trusted({ $ne: null }) }).lean();
  expect(stillHidden.map((m) => m.text)).toEqual(['bulk 599']);
  const sizes = unhidden.filter((e) => e.chatId === chatA.id).map((e) => e.messages.length);
  expect(sizes.sort((a, b) => b - a)).toEqual([500, 99]);
  expect(unhidden.find((e) => e.chatId === chatB.id)?.messages.map((m) => m.text)).toEqual(['bulk 0', 'bulk 1']);
  const restore = await JobModel.findOne({ kind: 'restore', purgeActionId: ack.action.id }).lean();
  expect(restore).toMatchObject({ status: 'done', done: 601 });
});
