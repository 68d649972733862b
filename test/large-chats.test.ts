/**
 * Large chats: the member count is kept exact through joins, leaves, bans, races and restarts,
 * a join costs the same in a large chat as in a small one, and a large group hears counts, not
 * every join; typing and "seen by" follow suit.
 */
import mongoose, { Types } from 'mongoose';

import { ChatModel, MembershipModel } from '../models';
import {
  collect,
  disconnected,
  dropTestDatabase,
  emit,
  nextEvent,
  settle,
  sleep,
  startTestServer,
  type TestServer,
} from './support/harness';
import { bulkChannel, createChat, join, ok, person, post, type Person } from './support/world';

const LARGE = {
  LARGE_GROUP_MEMBERS: '3',
  MEMBER_COUNT_INTERVAL: '300ms',
  TYPING_INTERVAL: '200ms',
  RATE_JOINS: '100000/60s',
  RATE_TYPING: '1000/10s',
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(LARGE);
});
afterAll(async () => {
  await server.close();
  await dropTestDatabase();
});

/** The chat's kept count, and the count of its active memberships: they must agree. */
async function counts(chatId: string): Promise<{ kept: number; counted: number }> {
  const kept = (await ChatModel.findById(chatId).lean())!.memberCount!;
  const counted = await MembershipModel.countDocuments({ chatId, status: 'active' });
  return { kept, counted };
}

const refused = (code: string) => ({ ok: false, error: expect.objectContaining({ code }) });

describe('the member count is kept, exactly', () => {
  test('joins, leaves, bans, unbans, rejoins and a deleted account each move it by one, never below', async () => {
    const owner = await person(server, 'owner');
    const [ana, bo, cy] = [await person(server, 'ana'), await person(server, 'bo'), await person(server, 'cy')];
    const chat = await createChat(owner, 'channel');
    expect(chat.memberCount).toBe(1);
    for (const someone of [ana, bo, cy]) await join(someone, chat.id);
    expect(await counts(chat.id)).toEqual({ kept: 4, counted: 4 });

    ok(await emit(ana.socket, 'chat:leave', { chatId: chat.id }));
    expect(await emit(ana.socket, 'chat:leave', { chatId: chat.id })).toMatchObject(refused('forbidden'));
    ok(await emit(owner.socket, 'mod:ban', { userId: bo.id, chatId: chat.id, reason: 'spam' }));
    // A ban of someone who never joined, or who left, counts nobody out.
    ok(await emit(owner.socket, 'mod:ban', { userId: ana.id, chatId: chat.id, reason: 'spam too' }));
    expect(await counts(chat.id)).toEqual({ kept: 2, counted: 2 });

    ok(await emit(owner.socket, 'mod:unban', { userId: bo.id, chatId: chat.id, reason: 'served' }));
    expect(await counts(chat.id)).toEqual({ kept: 2, counted: 2 });
    const rejoined = ok(await emit(bo.socket, 'chat:join', { chatId: chat.id }));
    expect(rejoined.chat.memberCount).toBe(3);

    expect((await server.http('DELETE', '/api/me', { token: cy.token })).status).toBe(204);
    expect(await counts(chat.id)).toEqual({ kept: 2, counted: 2 });
    const listed = ok(await emit(owner.socket, 'chat:list', {})).chats.find((c) => c.id === chat.id)!;
    expect(listed.memberCount).toBe(2);
  });

  test('two joins of one account at once make one membership, counted once', async () => {
    const owner = await person(server, 'owner');
    const chat = await createChat(owner, 'group');
    const twice = await person(server, 'twice');
    const second = await server.connect(twice.token);
    const [a, b] = await Promise.all([
      emit(twice.socket, 'chat:join', { chatId: chat.id }),
      emit(second, 'chat:join', { chatId: chat.id }),
    ]);
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(await MembershipModel.countDocuments({ chatId: chat.id, userId: twice.id })).toBe(1);
    expect(await counts(chat.id)).toEqual({ kept: 2, counted: 2 });
  });

  test('a join racing a ban ends banned and not counted', async () => {
    const owner = await person(server, 'owner');
    const chat = await createChat(owner, 'channel');
    const racers: Person[] = [];
    for (let i = 0; i < 8; i++) racers.push(await person(server, 'racer'));
    // Half were members and leave then rejoin while banned; half race their very first join.
    for (const racer of racers.slice(0, 4)) {
      await join(racer, chat.id);
      ok(await emit(racer.socket, 'chat:leave', { chatId: chat.id }));
    }
    await Promise.all(
      racers.map((racer) =>
        Promise.all([
          emit(racer.socket, 'chat:join', { chatId: chat.id }),
          emit(owner.socket, 'mod:ban', { userId: racer.id, chatId: chat.id, reason: 'raid' }),
        ]),
      ),
    );
    for (const racer of racers)
      expect(await MembershipModel.findOne({ chatId: chat.id, userId: racer.id }).lean()).toMatchObject({
        status: 'banned',
      });
    expect(await counts(chat.id)).toEqual({ kept: 1, counted: 1 });
  });

  test('joins arriving together into two chats are each counted once and each told a different count; a member, a banned account and a newcomer mixed in are each answered for themselves', async () => {
    const owner = await person(server, 'owner');
    const [first, second] = [await createChat(owner, 'channel'), await createChat(owner, 'group')];
    const [already, banned] = [await person(server, 'already'), await person(server, 'banned')];
    await join(already, first.id);
    ok(await emit(owner.socket, 'mod:ban', { userId: banned.id, chatId: first.id, reason: 'spam' }));
    const crowd: Person[] = [];
    for (let i = 0; i < 24; i++) crowd.push(await person(server, 'together'));

    const [intoFirst, intoSecond, again, refusedBan] = await Promise.all([
      Promise.all(crowd.map((someone) => emit(someone.socket, 'chat:join', { chatId: first.id }))),
      Promise.all(crowd.slice(0, 12).map((someone) => emit(someone.socket, 'chat:join', { chatId: second.id }))),
      emit(already.socket, 'chat:join', { chatId: first.id }),
      emit(banned.socket, 'chat:join', { chatId: first.id }),
    ]);
    const told = (acks: typeof intoFirst) => acks.map((ack) => ok(ack).chat.memberCount).sort((a, b) => a - b);
    expect(told(intoFirst)).toEqual(Array.from({ length: 24 }, (_, i) => i + 3));
    expect(told(intoSecond)).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
    expect(ok(again).membership).toMatchObject({ userId: already.id, status: 'active' });
    expect(refusedBan).toMatchObject(refused('banned'));
    expect(await counts(first.id)).toEqual({ kept: 26, counted: 26 });
    expect(await counts(second.id)).toEqual({ kept: 13, counted: 13 });
    expect(await MembershipModel.findOne({ chatId: first.id, userId: banned.id }).lean()).toMatchObject({
      status: 'banned',
    });
  });

  test('a joiner’s membership is stored with every field the schema gives a new membership, defaults included', async () => {
    const owner = await person(server, 'owner');
    const chat = await createChat(owner, 'group');
    const joiner = await person(server, 'joiner');
    const joined = ok(await emit(joiner.socket, 'chat:join', { chatId: chat.id }));
    const stored = await MembershipModel.collection.findOne({
      chatId: new Types.ObjectId(chat.id),
      userId: new Types.ObjectId(joiner.id),
    });
    // What mongoose would have written for the same join.
    const expected = new MembershipModel({ chatId: chat.id, userId: joiner.id }).toObject();
    const { _id, joinedAt, __v, ...fields } = expected as typeof expected & { __v?: number };
    expect(Object.keys(stored!).sort()).toEqual(Object.keys({ _id, joinedAt, ...fields }).sort());
    expect(stored).toMatchObject(fields);
    expect(stored!.joinedAt.toISOString()).toBe(joined.membership.joinedAt);
    expect(MembershipModel.hydrate(stored!).validateSync()).toBeUndefined();
  });

  test('many joins and leaves at once keep it exact, and it never drifts across a restart', async () => {
    const owner = await person(server, 'owner');
    const chat = await createChat(owner, 'group');
    const crowd: Person[] = [];
    for (let i = 0; i < 20; i++) crowd.push(await person(server, 'crowd'));
    await Promise.all(crowd.map((someone) => emit(someone.socket, 'chat:join', { chatId: chat.id })));
    await Promise.all(crowd.slice(0, 10).map((someone) => emit(someone.socket, 'chat:leave', { chatId: chat.id })));
    expect(await counts(chat.id)).toEqual({ kept: 11, counted: 11 });

    await server.close();
    server = await startTestServer(LARGE);
    const again = await Promise.all(crowd.map((someone) => server.connect(someone.token)));
    await Promise.all(again.map((socket, i) => emit(socket, i < 10 ? 'chat:join' : 'chat:leave', { chatId: chat.id })));
    expect(await counts(chat.id)).toEqual({ kept: 11, counted: 11 });
  });
});

describe('a large group (above LARGE_GROUP_MEMBERS) hears counts, not every join', () => {
  test('up to the threshold every member hears each join; above it only the owner and admins do, and members get one coalesced chat:members', async () => {
    const owner = await person(server, 'owner');
    const [admin, member] = [await person(server, 'admin'), await person(server, 'member')];
    const chat = await createChat(owner, 'group', [], [admin]);
    const heardByAdmin = collect(admin.socket, 'member:joined');
    const heardByOwner = collect(owner.socket, 'member:joined');

    // The third member makes 3: still not above the threshold, so the group hears the join.
    await join(member, chat.id);
    await settle(owner.socket);
    expect(heardByOwner.map((e) => e.userId)).toEqual([member.id]);
    const heardByMember = collect(member.socket, 'member:joined');
    const countsHeard = collect(member.socket, 'chat:members');

    const late = [
      await person(server, 'late'),
      await person(server, 'late'),
      await person(server, 'late'),
      await person(server, 'late'),
    ];
    for (const someone of late) await join(someone, chat.id);
    ok(await emit(late[0]!.socket, 'chat:leave', { chatId: chat.id }));
    await sleep(700);
    expect(heardByMember).toEqual([]);
    expect(heardByAdmin.map((e) => e.userId)).toEqual([member.id, ...late.map((p) => p.id)]);
    // Several changes within one interval make one announcement, of the count as it is now.
    expect(countsHeard).toEqual([{ chatId: chat.id, memberCount: 6 }]);
    await sleep(400);
    expect(countsHeard).toHaveLength(1);
  });

  test('in a large group, who hears joins follows the chat’s admins as they change: promoted, demoted, gone, banned', async () => {
    const owner = await person(server, 'owner');
    const [kept, demoted, leaver, banned, promoted] = [
      await person(server, 'kept'),
      await person(server, 'demoted'),
      await person(server, 'leaver'),
      await person(server, 'banned'),
      await person(server, 'promoted'),
    ];
    const chat = await createChat(owner, 'group', [promoted], [kept, demoted, leaver, banned]);
    const joinOne = async () => {
      const newcomer = await person(server, 'newcomer');
      await join(newcomer, chat.id);
      await settle(owner.socket);
      return newcomer.id;
    };
    // Above the threshold already: this join is told to the owner and the four admins only.
    const heard = new Map(
      [kept, demoted, leaver, banned, promoted].map((p) => [p.id, collect(p.socket, 'member:joined')]),
    );
    const first = await joinOne();

    ok(await emit(owner.socket, 'chat:promote', { chatId: chat.id, userId: promoted.id, role: 'admin' }));
    ok(await emit(owner.socket, 'chat:promote', { chatId: chat.id, userId: demoted.id, role: 'member' }));
    ok(await emit(leaver.socket, 'chat:leave', { chatId: chat.id }));
    ok(await emit(owner.socket, 'mod:ban', { userId: banned.id, chatId: chat.id, reason: 'spam' }));
    const second = await joinOne();
    await settle(kept.socket);

    const heardOf = (p: Person) => heard.get(p.id)!.map((e) => e.userId);
    expect(heardOf(kept)).toEqual([first, second]);
    expect(heardOf(promoted)).toEqual([second]);
    for (const former of [demoted, leaver, banned]) expect(heardOf(former)).toEqual([first]);
  });

  test('typing is gathered per interval, naming the typists; "seen by" is refused', async () => {
    const owner = await person(server, 'owner');
    const members = [
      await person(server, 'm'),
      await person(server, 'm'),
      await person(server, 'm'),
      await person(server, 'm'),
    ];
    const chat = await createChat(owner, 'group', members);
    // The chat's record in the authorization cache is read again with its new count.
    await ChatModel.updateOne({ _id: chat.id }, { $set: { title: 'big now' } });
    ok(await emit(owner.socket, 'chat:update', { chatId: chat.id, title: 'big now' }));
    const typing = collect(owner.socket, 'typing');
    for (const typist of members.slice(0, 3)) ok(await emit(typist.socket, 'typing:start', { chatId: chat.id }));
    await sleep(500);
    expect(typing).toEqual([
      { chatId: chat.id, userId: members[0]!.id, userIds: members.slice(0, 3).map((m) => m.id) },
    ]);

    const message = await post(members[0]!, chat.id, 'who has read this?');
    expect(await emit(owner.socket, 'message:reads', { chatId: chat.id, seq: message.seq })).toMatchObject(
      refused('forbidden'),
    );
  });
});

describe('a join costs the same whatever the chat’s size', () => {
  interface Command {
    name: string;
    collection: unknown;
  }

  async function commandsOfJoin(chatId: string, joiner: Person): Promise<Command[]> {
    const client = mongoose.connection.getClient();
    const seen: Command[] = [];
    const listener = (event: { commandName: string; command: Record<string, unknown> }) =>
      seen.push({ name: event.commandName, collection: event.command[event.commandName] });
    client.on('commandStarted', listener);
    try {
      ok(await emit(joiner.socket, 'chat:join', { chatId }));
    } finally {
      client.off('commandStarted', listener);
    }
    return seen;
  }

  const chatOf = async (size: number) => bulkChannel(await person(server, 'owner'), size);

  test('the same database commands, none of them a count or an aggregation, in a chat of 20 and of 2,000', async () => {
    const [small, large] = [await chatOf(20), await chatOf(2000)];
    const [a, b] = [await person(server, 'joiner'), await person(server, 'joiner')];
    const inSmall = await commandsOfJoin(small, a);
    const inLarge = await commandsOfJoin(large, b);
    expect(inLarge.map((c) => c.name)).toEqual(inSmall.map((c) => c.name));
    expect(inLarge.map((c) => c.name)).not.toContain('aggregate');
    expect(inLarge.map((c) => c.name)).not.toContain('count');
    expect(await counts(large)).toEqual({ kept: 2001, counted: 2001 });
  });

  test('a newcomer’s join right after connecting reads nothing: one insert of the membership, one move of the count', async () => {
    const owner = await person(server, 'owner');
    const chat = await createChat(owner, 'channel');
    // Someone joins first, so that this node has read the chat itself.
    await join(await person(server, 'first'), chat.id);
    // The handshake read the joiner's account; their row in the chat is not read, the insert finds out.
    const newcomer = await person(server, 'newcomer');
    const commands = await commandsOfJoin(chat.id, newcomer);
    expect(commands).toEqual([
      { name: 'insert', collection: 'memberships' },
      { name: 'findAndModify', collection: 'chats' },
    ]);
  });
});

test('the socket of a member who joined is in the room at once', async () => {
  const owner = await person(server, 'owner');
  const chat = await createChat(owner, 'group');
  const newcomer = await person(server, 'newcomer');
  await join(newcomer, chat.id);
  const heard = nextEvent(newcomer.socket, 'message:new');
  await post(owner, chat.id, 'welcome');
  expect((await heard).message.text).toBe('welcome');
  newcomer.socket.close();
  await disconnected(newcomer.socket).catch(() => undefined);
});
