/**
 * Evidence sealed before anything is removed: what a hide removed can be read back with its
 * hash, recomputed by anyone from the package, and every read of it is on record.
 */
import { createHash } from 'node:crypto';

import { EvidenceModel, MessageModel } from '../models';
import { sweepRetention } from '../handlers/retention';
import { emit, useTestServer } from './support/harness';
import { createChat, ok, person, post } from './support/world';

const server = useTestServer();
afterEach(() => jest.restoreAllMocks());

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

test('a hide seals the message, its edits included, before hiding it; the package lets anyone check each hash', async () => {
  const moderator = await person(server, 'moderator', 'moderator');
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const chat = await createChat(owner, 'group', [author]);
  const message = await post(author, chat.id, 'first words');
  ok(await emit(author.socket, 'message:edit', { messageId: message.id, text: 'worse words' }));
  const { action } = ok(await emit(moderator.socket, 'mod:hide', { messageId: message.id, reason: 'abuse' }));

  const read = await server.http('GET', `/api/moderation/evidence?actionId=${action.id}`, { token: moderator.token });
  expect(read.status).toBe(200);
  const [sealed] = read.body.records;
  expect(read.body.records).toHaveLength(1);
  expect(sealed).toMatchObject({ kind: 'message', targetId: message.id, chatId: chat.id, actionId: action.id });
  expect(sealed.content).toMatchObject({
    messageId: message.id,
    senderId: author.id,
    seq: message.seq,
    text: 'worse words',
    edits: [{ text: 'first words', replacedAt: expect.any(String) }],
  });
  expect(sha256(sealed.canonical)).toBe(sealed.sha256);

  const pack = await server.http('GET', `/api/moderation/evidence/package?actionId=${action.id}`, {
    token: moderator.token,
  });
  expect(pack.status).toBe(200);
  for (const record of pack.body.records) {
    const listed = pack.body.manifest.find((m: { id: string }) => m.id === record.id);
    expect(sha256(record.canonical)).toBe(listed.sha256);
  }
  // The chain of custody: the list read and the package read, by this moderator.
  const custody = pack.body.custody.find((c: { id: string }) => c.id === sealed.id);
  expect(custody.reads.map((r: { actorId: string }) => r.actorId)).toEqual([moderator.id, moderator.id]);

  const admin = await person(server, 'admin', 'admin');
  const log = await server.http('GET', `/api/moderation/access-log?actorId=${moderator.id}`, { token: admin.token });
  expect(log.body.entries).toEqual(
    expect.arrayContaining([expect.objectContaining({ what: 'sealed_evidence', targetId: sealed.id })]),
  );
});

test('only platform moderators read evidence; an unknown action is not_found', async () => {
  const owner = await person(server, 'owner');
  const moderator = await person(server, 'moderator', 'moderator');
  const other = await person(server, 'other');
  const chat = await createChat(owner, 'group', [other]);
  const message = await post(other, chat.id, 'hmm');
  const { action } = ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'off topic' }));
  expect(
    (await server.http('GET', `/api/moderation/evidence?actionId=${action.id}`, { token: owner.token })).status,
  ).toBe(403);
  expect(
    (await server.http('GET', `/api/moderation/evidence?actionId=${'0'.repeat(24)}`, { token: moderator.token }))
      .status,
  ).toBe(404);
  expect((await server.http('GET', '/api/moderation/evidence?actionId=nope', { token: moderator.token })).status).toBe(
    400,
  );
});

test('a hide that cannot be written leaves no seal behind', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const chat = await createChat(owner, 'group', [author]);
  const message = await post(author, chat.id, 'rude');
  jest.spyOn(MessageModel, 'updateOne').mockRejectedValueOnce(new Error('disk full'));
  expect(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'rude' })).toMatchObject({ ok: false });
  expect(await EvidenceModel.countDocuments({ targetId: message.id })).toBe(0);
});

test('evidence outlives the hidden content for RETENTION_EVIDENCE_DAYS, longer under a preservation hold', async () => {
  const owner = await person(server, 'owner');
  const author = await person(server, 'author');
  const chat = await createChat(owner, 'group', [author]);
  const [kept, gone] = [await post(author, chat.id, 'held'), await post(author, chat.id, 'not held')];
  for (const message of [kept, gone])
    ok(await emit(owner.socket, 'mod:hide', { messageId: message.id, reason: 'spam' }));
  const day = 86_400_000;
  await EvidenceModel.updateOne({ targetId: kept.id }, { $set: { heldUntil: new Date(Date.now() + 400 * day) } });
  const settings = { evidenceDays: 180, auditDays: 730 };
  await sweepRetention(settings, new Date(Date.now() + 179 * day));
  expect(await EvidenceModel.countDocuments({ targetId: kept.id })).toBe(1);
  expect(await EvidenceModel.countDocuments({ targetId: gone.id })).toBe(1);
  await sweepRetention(settings, new Date(Date.now() + 181 * day));
  expect(await EvidenceModel.countDocuments({ targetId: gone.id })).toBe(0);
  expect(await EvidenceModel.countDocuments({ targetId: kept.id })).toBe(1);
});
