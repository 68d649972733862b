/**
 * Every query Stoa makes on a hot path is answered from an index of the embedded database, not by
 * reading the whole collection: FerretDB's explain carries SQLite's query plan, which must SEARCH an
 * index (and, for pages, take its order from it and read only the page). The answers are checked too.
 */
import { trusted, Types, type Query } from 'mongoose';

import {
  ChatModel,
  MembershipModel,
  MessageModel,
  ModerationActionModel,
  ModerationCaseModel,
  ReportModel,
  UserModel,
} from '../models';
import { connectDatabase } from '../handlers/store/connection';
import { dropTestDatabase } from './support/harness';

const CHATS = 6;
const MESSAGES_PER_CHAT = 120;
const PAGE = 51;

/** FerretDB's explain: SQLite's plan lines and what it evaluated itself. */
interface Explained {
  queryPlanner: { Plan: string[] };
  filterPushdown: boolean;
  sortPushdown: boolean;
  limitPushdown: boolean;
}

async function explain(query: Query<unknown, unknown>): Promise<Explained> {
  return (await query.explain()) as unknown as Explained;
}

/**
 * The plan SEARCHes the named index (or, with `walk`, reads it in order from one end: a page with no
 * condition on the index's first field); with `page`, it also takes its order from it and stops at the limit.
 */
async function expectIndexed(
  query: Query<unknown, unknown>,
  index: string,
  options: { page?: boolean; walk?: boolean } = {},
): Promise<void> {
  const explained = await explain(query);
  const plan = explained.queryPlanner.Plan.join('\n');
  const access = options.walk ? 'SCAN' : 'SEARCH';
  expect(plan).toMatch(new RegExp(`${access} \\S+ USING (COVERING )?INDEX \\S+_${escape(index)}( |$)`, 'm'));
  if (options.page) {
    expect(plan).not.toContain('TEMP B-TREE');
    expect(explained).toMatchObject({ sortPushdown: true, limitPushdown: true });
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

const ids = {
  users: Array.from({ length: 40 }, () => new Types.ObjectId()),
  chats: Array.from({ length: CHATS }, () => new Types.ObjectId()),
  cases: Array.from({ length: 30 }, () => new Types.ObjectId()),
};
const start = new Date('2025-01-01T00:00:00Z').getTime();
const minutes = (n: number) => new Date(start + n * 60_000);

beforeAll(async () => {
  await connectDatabase(process.env.STOA_TEST_MONGODB_URI!, 'test_embedded_db_indexes');

  // Seeded through the driver: the plans depend on the stored fields, not on each model's validation.
  await UserModel.collection.insertMany(
    ids.users.map((_id, i) => ({
      _id,
      username: `user${i}`,
      passwordHash: 'x',
      displayName: `User ${i}`,
      role: 'user',
      suspended: null,
      tokenVersion: 0,
      createdAt: minutes(i),
    })),
  );
  await ChatModel.collection.insertMany(
    ids.chats.map((_id, i) => ({
      _id,
      type: 'group',
      title: `Chat ${i}`,
      description: '',
      visibility: 'public',
      ownerId: ids.users[i],
      slowModeSec: 0,
      inviteCode: `code${i}`,
      createdAt: minutes(i),
    })),
  );
  await MembershipModel.collection.insertMany(
    ids.chats.flatMap((chatId, c) =>
      ids.users.slice(0, 20).map((userId, u) => ({
        chatId,
        userId,
        role: u === c ? 'owner' : u === c + 1 ? 'admin' : 'member',
        status: u % 7 === 3 ? 'left' : 'active',
        bannedUntil: null,
        mutedUntil: null,
        joinedAt: minutes(u),
      })),
    ),
  );
  await MessageModel.collection.insertMany(
    ids.chats.flatMap((chatId, c) =>
      Array.from({ length: MESSAGES_PER_CHAT }, (_, i) => ({
        chatId,
        seq: i + 1,
        senderId: ids.users[i % 20],
        text: `message ${i + 1} in chat ${c}`,
        clientMsgId: `c${c}-m${i + 1}`,
        createdAt: minutes(i),
        editedAt: null,
        deletedAt: i % 10 === 4 ? minutes(i + 1) : null,
        hidden: i % 10 === 7 ? { at: minutes(i + 1), by: 'system', reason: 'spam', actionId: null } : null,
      })),
    ),
  );
  await ModerationCaseModel.collection.insertMany(
    ids.cases.map((_id, i) => ({
      _id,
      targetType: 'message',
      targetId: `target${i}`,
      chatId: ids.chats[i % CHATS],
      reportedUserId: ids.users[i % 20]!.toString(),
      reportCount: 1 + (i % 4),
      reasons: { spam: 1 },
      priority: (i * 7) % 5,
      status: i % 3 === 0 ? 'dismissed' : 'open',
      firstReportedAt: minutes(i),
      lastReportedAt: minutes(100 + i),
    })),
  );
  await ReportModel.collection.insertMany(
    ids.cases.flatMap((caseId, i) =>
      ids.users.slice(0, 3).map((reporterId, r) => ({
        reporterId,
        targetType: 'message',
        targetId: `target${i}`,
        chatId: ids.chats[i % CHATS],
        reason: 'spam',
        comment: null,
        evidence: {
          text: 'x',
          senderId: null,
          seq: i,
          chatId: null,
          username: null,
          displayName: null,
          title: null,
          createdAt: null,
        },
        status: 'open',
        caseId,
        createdAt: minutes(i * 3 + r),
        resolvedAt: null,
        resolvedBy: null,
      })),
    ),
  );
  await ModerationActionModel.collection.insertMany(
    Array.from({ length: 90 }, (_, i) => ({
      type: 'hide_message',
      actorId: ids.users[i % 3]!.toString(),
      actorRole: 'platform_moderator',
      targetType: 'message',
      targetId: `target${i % 30}`,
      chatId: ids.chats[i % CHATS],
      reason: 'spam',
      caseId: ids.cases[i % 30],
      durationSec: null,
      until: null,
      dedupKey: `dedup${i}`,
      createdAt: minutes(i),
    })),
  );
});

afterAll(() => dropTestDatabase());

describe('lookups by id and by key use their index', () => {
  test('findById on every collection', async () => {
    for (const model of [
      UserModel,
      ChatModel,
      MembershipModel,
      MessageModel,
      ReportModel,
      ModerationCaseModel,
      ModerationActionModel,
    ] as const) {
      const some = await (model as typeof UserModel).findOne().skip(5).lean();
      await expectIndexed((model as typeof UserModel).findById(some!._id), '_id_');
      expect(await (model as typeof UserModel).findById(some!._id).lean()).toEqual(some);
    }
  });

  test('an update by _id touches the one document, found through the _id index', async () => {
    const user = ids.users[7];
    await expectIndexed(UserModel.find({ _id: user }), '_id_');
    await UserModel.updateOne({ _id: user }, { $set: { tokenVersion: 1 } });
    expect(await UserModel.countDocuments({ tokenVersion: 1 })).toBe(1);
    expect((await UserModel.findById(user).lean())!.tokenVersion).toBe(1);
  });

  test('a user by username', async () => {
    await expectIndexed(UserModel.findOne({ username: 'user12' }), 'username_1');
    expect((await UserModel.findOne({ username: 'user12' }).lean())!._id).toEqual(ids.users[12]);
  });

  test('a chat by invite code', async () => {
    await expectIndexed(ChatModel.findOne({ inviteCode: 'code3' }), 'inviteCode_1');
    expect((await ChatModel.findOne({ inviteCode: 'code3' }).lean())!._id).toEqual(ids.chats[3]);
  });

  test("memberships: one member of a chat, a user's active chats, a chat's admins", async () => {
    const [chatId, userId] = [ids.chats[2], ids.users[3]];
    await expectIndexed(MembershipModel.findOne({ chatId, userId }), 'chatId_1_userId_1');
    await expectIndexed(MembershipModel.findOne({ chatId, userId, status: 'active' }), 'chatId_1_userId_1');
    expect(await MembershipModel.findOne({ chatId, userId }).lean()).toMatchObject({
      chatId,
      userId,
      role: 'admin',
      status: 'left',
    });

    await expectIndexed(MembershipModel.find({ userId: ids.users[5], status: 'active' }), 'userId_1_status_1');
    expect(await MembershipModel.countDocuments({ userId: ids.users[5], status: 'active' })).toBe(CHATS);

    const admins = () =>
      MembershipModel.find({ chatId, status: 'active', role: trusted({ $in: ['owner', 'admin'] }) }, { userId: 1 });
    // A chat of 200,000 members finds its few admins without reading its members.
    await expectIndexed(admins(), 'chatId_1_role_1_status_1');
    expect((await admins().lean()).map((m) => m.userId)).toEqual([ids.users[2]]);
  });

  test('a message replayed by its client id', async () => {
    const query = () => MessageModel.findOne({ senderId: ids.users[9], chatId: ids.chats[1], clientMsgId: 'c1-m30' });
    await expectIndexed(query(), 'senderId_1_chatId_1_clientMsgId_1');
    expect(await query().lean()).toMatchObject({ seq: 30, text: 'message 30 in chat 1' });
  });

  test("a case's reports, and the case of a target", async () => {
    const caseId = ids.cases[4];
    await expectIndexed(ReportModel.find({ caseId }).sort({ createdAt: 1 }), 'caseId_1');
    await expectIndexed(ReportModel.find({ caseId, status: 'open' }, { reporterId: 1 }), 'caseId_1');
    expect((await ReportModel.find({ caseId }).sort({ createdAt: 1 }).lean()).map((r) => r.reporterId)).toEqual(
      ids.users.slice(0, 3),
    );

    await expectIndexed(
      ModerationCaseModel.findOne({ targetType: 'message', targetId: 'target4' }),
      'targetType_1_targetId_1',
    );
    expect((await ModerationCaseModel.findOne({ targetType: 'message', targetId: 'target4' }).lean())!._id).toEqual(
      caseId,
    );
  });
});

describe('pages read only the page, in the order of an index', () => {
  const chatId = ids.chats[3];
  const visible = (seq: number) => seq % 10 !== 5 && seq % 10 !== 8;
  const history = (seq: Record<string, number> | null, direction: 1 | -1) =>
    MessageModel.find({ chatId, deletedAt: null, hidden: null, ...(seq ? { seq: trusted(seq) } : {}) })
      .sort({ seq: direction })
      .limit(PAGE);

  test('a history page as handlers/messages.ts asks it (chat and seq range only): the page and nothing else, tombstones included', async () => {
    const asked = (seq: Record<string, number>) =>
      MessageModel.find({ chatId, seq: trusted(seq) })
        .sort({ seq: -1 })
        .limit(PAGE);
    await expectIndexed(asked({ $lt: 60 }), 'chatId_1_seq_1', { page: true });
    expect((await asked({ $lt: 60 }).lean()).map((m) => m.seq)).toEqual(range(59, 1).slice(0, PAGE));
  });

  test('the latest page of a chat', async () => {
    await expectIndexed(history(null, -1), 'chatId_1_seq_1', { page: true });
    const seqs = (await history(null, -1).lean()).map((m) => m.seq);
    expect(seqs).toEqual(range(MESSAGES_PER_CHAT, 1).filter(visible).slice(0, PAGE));
  });

  test('the page before a message, and the page after one', async () => {
    await expectIndexed(history({ $lt: 60 }, -1), 'chatId_1_seq_1', { page: true });
    expect((await history({ $lt: 60 }, -1).lean()).map((m) => m.seq)).toEqual(
      range(59, 1).filter(visible).slice(0, PAGE),
    );

    await expectIndexed(history({ $gt: 60 }, 1), 'chatId_1_seq_1', { page: true });
    expect((await history({ $gt: 60 }, 1).lean()).map((m) => m.seq)).toEqual(
      range(61, MESSAGES_PER_CHAT).filter(visible).slice(0, PAGE),
    );
  });

  test("a chat's latest seq", async () => {
    const latest = () => MessageModel.findOne({ chatId }, { seq: 1 }).sort({ seq: -1 });
    await expectIndexed(latest(), 'chatId_1_seq_1', { page: true });
    expect((await latest().lean())!.seq).toBe(MESSAGES_PER_CHAT);
  });

  test('the moderation queue, for moderators and for the admins of some chats', async () => {
    const me = ids.users[1]!.toString();
    const queue = (filter: Record<string, unknown>) =>
      ModerationCaseModel.find({ reportedUserId: trusted({ $ne: me }), ...filter })
        .sort({ priority: -1, lastReportedAt: -1 })
        .limit(10);
    const open = (i: number) => i % 3 !== 0;
    const expected = (keep: (i: number) => boolean) =>
      range(0, 29)
        .filter((i) => i % 20 !== 1 && keep(i))
        .sort((a, b) => ((b * 7) % 5) - ((a * 7) % 5) || b - a)
        .slice(0, 10)
        .map((i) => ids.cases[i]);

    await expectIndexed(queue({ status: 'open' }), 'status_1_priority_-1_lastReportedAt_-1', { page: true });
    expect((await queue({ status: 'open' }).lean()).map((c) => c._id)).toEqual(expected(open));

    const adminOf = [ids.chats[0], ids.chats[2]];
    const forAdmins = () => queue({ status: 'open', chatId: trusted({ $in: adminOf }), targetType: 'message' });
    await expectIndexed(forAdmins(), 'status_1_priority_-1_lastReportedAt_-1', { page: true });
    expect((await forAdmins().lean()).map((c) => c._id)).toEqual(
      expected((i) => open(i) && (i % CHATS === 0 || i % CHATS === 2)),
    );

    await expectIndexed(queue({}), 'priority_-1_lastReportedAt_-1', { page: true, walk: true });
    expect((await queue({}).lean()).map((c) => c._id)).toEqual(expected(() => true));
  });

  test('the audit log, whole or by target, actor, chats, and before a date', async () => {
    const log = (filter: Record<string, unknown>) =>
      ModerationActionModel.find(filter).sort({ createdAt: -1 }).limit(20);
    const expected = (keep: (i: number) => boolean) =>
      range(89, 0)
        .filter(keep)
        .slice(0, 20)
        .map((i) => `dedup${i}`);
    const keys = async (filter: Record<string, unknown>) => (await log(filter).lean()).map((a) => a.dedupKey);

    await expectIndexed(log({ createdAt: trusted({ $lt: minutes(50) }) }), 'createdAt_-1', { page: true });
    expect(await keys({ createdAt: trusted({ $lt: minutes(50) }) })).toEqual(expected((i) => i < 50));

    await expectIndexed(log({}), 'createdAt_-1', { page: true, walk: true });
    expect(await keys({})).toEqual(expected(() => true));

    await expectIndexed(log({ targetId: 'target7' }), 'targetId_1_createdAt_-1', { page: true });
    expect(await keys({ targetId: 'target7' })).toEqual(expected((i) => i % 30 === 7));

    const actor = ids.users[2]!.toString();
    await expectIndexed(log({ actorId: actor, createdAt: trusted({ $lt: minutes(60) }) }), 'actorId_1_createdAt_-1', {
      page: true,
    });
    expect(await keys({ actorId: actor, createdAt: trusted({ $lt: minutes(60) }) })).toEqual(
      expected((i) => i % 3 === 2 && i < 60),
    );

    const chats = trusted({ $in: [ids.chats[1], ids.chats[4]] });
    const byChats = await explain(log({ chatId: chats }));
    expect(byChats.queryPlanner.Plan.join('\n')).toMatch(/(SEARCH|SCAN) \S+ USING INDEX/);
    expect(byChats.limitPushdown).toBe(true);
    expect(await keys({ chatId: chats })).toEqual(expected((i) => i % CHATS === 1 || i % CHATS === 4));
  });
});

/** from..to inclusive, either way. */
function range(from: number, to: number): number[] {
  const step = from <= to ? 1 : -1;
  return Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => from + i * step);
}
