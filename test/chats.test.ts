import { ChatModel, MembershipModel } from '../models';
import { collect, emit, emitRaw, nextEvent, settle, useTestServer, type ClientSocket } from './support/harness';
import { ok, person } from './support/world';

const server = useTestServer();

const user = (prefix = 'member') => person(server, prefix);

const createChat = async (socket: ClientSocket, input: Parameters<typeof emit<'chat:create'>>[2]) =>
  ok(await emit(socket, 'chat:create', input)).chat;

describe('groups', () => {
  test('the creator owns a new group; others join it, see member:joined, and it shows in their chat list', async () => {
    const owner = await user('owner');
    const chat = await createChat(owner.socket, { type: 'group', title: 'Hikers', description: 'Weekend trips' });
    expect(chat).toMatchObject({
      type: 'group',
      title: 'Hikers',
      visibility: 'public',
      ownerId: owner.id,
      memberCount: 1,
      slowModeSec: 0,
    });

    const joiner = await user('joiner');
    const joined = nextEvent(owner.socket, 'member:joined');
    const ack = await emit(joiner.socket, 'chat:join', { chatId: chat.id });
    expect(ack).toMatchObject({
      ok: true,
      chat: { id: chat.id, memberCount: 2 },
      membership: { role: 'member', status: 'active' },
    });
    await expect(joined).resolves.toEqual({ chatId: chat.id, userId: joiner.id });

    const list = await emit(joiner.socket, 'chat:list', {});
    expect(list.ok && list.chats).toEqual([expect.objectContaining({ id: chat.id, role: 'member', memberCount: 2 })]);
  });

  test('joining twice changes nothing; leaving tells the group and drops the member count', async () => {
    const owner = await user('owner');
    const chat = await createChat(owner.socket, { type: 'group', title: 'Twice' });
    const member = await user();
    await emit(member.socket, 'chat:join', { chatId: chat.id });
    const again = await emit(member.socket, 'chat:join', { chatId: chat.id });
    expect(again).toMatchObject({ ok: true, chat: { memberCount: 2 } });
    expect(await MembershipModel.countDocuments({ chatId: chat.id })).toBe(2);

    const left = nextEvent(owner.socket, 'member:left');
    expect(await emit(member.socket, 'chat:leave', { chatId: chat.id })).toEqual({ ok: true });
    await expect(left).resolves.toEqual({ chatId: chat.id, userId: member.id });
    const list = await emit(owner.socket, 'chat:list', {});
    expect(list.ok && list.chats.find((c) => c.id === chat.id)?.memberCount).toBe(1);
  });

  test('the owner cannot leave until ownership is handed over; then the old owner is an admin and may leave', async () => {
    const owner = await user('owner');
    const heir = await user('heir');
    const chat = await createChat(owner.socket, { type: 'group', title: 'Succession' });
    await emit(heir.socket, 'chat:join', { chatId: chat.id });

    expect(await emit(owner.socket, 'chat:leave', { chatId: chat.id })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await emit(heir.socket, 'chat:promote', { chatId: chat.id, userId: heir.id, role: 'admin' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });

    const handover = await emit(owner.socket, 'chat:promote', { chatId: chat.id, userId: heir.id, role: 'owner' });
    expect(handover).toMatchObject({ ok: true, membership: { userId: heir.id, role: 'owner' } });
    expect((await ChatModel.findById(chat.id))?.ownerId.toString()).toBe(heir.id);
    expect((await MembershipModel.findOne({ chatId: chat.id, userId: owner.id }))?.role).toBe('admin');

    // An admin cannot demote the owner; the new owner can demote the old one.
    expect(
      await emit(owner.socket, 'chat:promote', { chatId: chat.id, userId: heir.id, role: 'member' }),
    ).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await emit(owner.socket, 'chat:leave', { chatId: chat.id })).toEqual({ ok: true });
  });

  test('chat:update is for admins; members get forbidden and nothing changes', async () => {
    const owner = await user('owner');
    const member = await user();
    const chat = await createChat(owner.socket, { type: 'group', title: 'Before' });
    await emit(member.socket, 'chat:join', { chatId: chat.id });

    expect(await emit(member.socket, 'chat:update', { chatId: chat.id, title: 'Hijacked' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect((await ChatModel.findById(chat.id))?.title).toBe('Before');
    const ack = await emit(owner.socket, 'chat:update', {
      chatId: chat.id,
      title: 'After',
      description: 'new',
      slowModeSec: 30,
    });
    expect(ack).toMatchObject({ ok: true, chat: { title: 'After', description: 'new', slowModeSec: 30 } });
  });
});

describe('private chats', () => {
  test('to outsiders a private chat does not exist by id; the invite code from an admin lets people in', async () => {
    const owner = await user('owner');
    const chat = await createChat(owner.socket, { type: 'group', title: 'Secret', visibility: 'private' });
    const outsider = await user('outsider');

    expect(await emit(outsider.socket, 'chat:join', { chatId: chat.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await emit(outsider.socket, 'chat:invite', { chatId: chat.id })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await emit(outsider.socket, 'chat:join', { inviteCode: 'not-a-real-code' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await MembershipModel.countDocuments({ chatId: chat.id })).toBe(1);

    const invite = ok(await emit(owner.socket, 'chat:invite', { chatId: chat.id }));
    expect(await emit(owner.socket, 'chat:invite', { chatId: chat.id })).toEqual(invite);
    const ack = await emit(outsider.socket, 'chat:join', { inviteCode: invite.inviteCode });
    expect(ack).toMatchObject({ ok: true, chat: { id: chat.id, memberCount: 2 } });
  });
});

describe('channels', () => {
  test('subscribers join silently: no member:joined or member:left in channels', async () => {
    const owner = await user('owner');
    const channel = await createChat(owner.socket, { type: 'channel', title: 'News' });
    const joinedEvents = collect(owner.socket, 'member:joined');
    const leftEvents = collect(owner.socket, 'member:left');
    const subscriber = await user('subscriber');
    await emit(subscriber.socket, 'chat:join', { chatId: channel.id });
    await emit(subscriber.socket, 'chat:leave', { chatId: channel.id });
    await settle(owner.socket);
    expect(joinedEvents).toEqual([]);
    expect(leftEvents).toEqual([]);
  });
});

describe('bad input', () => {
  test.each([
    ['chat:create', {}],
    ['chat:create', { type: 'forum', title: 'x' }],
    ['chat:create', { type: 'group', title: '' }],
    ['chat:create', { type: 'group', title: 'x'.repeat(129) }],
    ['chat:create', { type: 'group', title: { $gt: '' } }],
    ['chat:join', {}],
    ['chat:join', { chatId: { $ne: null } }],
    ['chat:join', { chatId: 'abc' }],
    ['chat:join', { chatId: '0123456789abcdef01234567', inviteCode: 'x' }],
    ['chat:update', { chatId: '0123456789abcdef01234567', slowModeSec: -1 }],
    ['chat:promote', { chatId: '0123456789abcdef01234567', userId: '0123456789abcdef01234567', role: 'king' }],
  ])('%s with %j is invalid_input and stores nothing', async (event, input) => {
    const { socket } = await user('bad');
    const chats = await ChatModel.countDocuments();
    const memberships = await MembershipModel.countDocuments();
    expect(await emitRaw(socket, event, input)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await ChatModel.countDocuments()).toBe(chats);
    expect(await MembershipModel.countDocuments()).toBe(memberships);
  });

  test('an unknown chat is not_found', async () => {
    const { socket } = await user('lost');
    for (const event of ['chat:join', 'chat:leave', 'chat:invite', 'chat:update'] as const) {
      expect(await emitRaw(socket, event, { chatId: '0123456789abcdef01234567' })).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      });
    }
  });
});
