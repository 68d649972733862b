/**
 * Who may take which moderation action (docs/ARCHITECTURE.md §6), every role against
 * every action; a refusal is `forbidden` and leaves the stored state as it was.
 */
import { MembershipModel, MessageModel, ModerationActionModel, ModerationCaseModel, UserModel } from '../models';
import { emit, emitRaw, useTestServer } from './support/harness';
import { createChat, join, ok, person, post, type Person } from './support/world';

const server = useTestServer({ RATE_REPORTS: '1000/60s', RATE_JOINS: '1000/60s', RATE_MESSAGES: '1000/10s' });
let owner: Person;
let chatAdmin: Person;
let member: Person;
let subscriber: Person;
let moderator: Person;
let platformAdmin: Person;
let outsider: Person;
let groupId: string;
let channelId: string;

beforeAll(async () => {
  owner = await person(server, 'owner');
  chatAdmin = await person(server, 'chatadmin');
  member = await person(server, 'member');
  subscriber = await person(server, 'subscriber');
  moderator = await person(server, 'moderator', 'moderator');
  platformAdmin = await person(server, 'admin', 'admin');
  outsider = await person(server, 'outsider');
  groupId = (await createChat(owner, 'group', [member], [chatAdmin])).id;
  channelId = (await createChat(owner, 'channel', [subscriber], [chatAdmin])).id;
});

type Role = 'member' | 'subscriber' | 'chat admin' | 'chat owner' | 'moderator' | 'admin' | 'non-member';
const actor = (role: Role): Person =>
  ({
    member,
    subscriber,
    'chat admin': chatAdmin,
    'chat owner': owner,
    moderator,
    admin: platformAdmin,
    'non-member': outsider,
  })[role];
/** A subscriber acts in the channel; everyone else in the group. */
const chatOf = (role: Role) => (role === 'subscriber' ? channelId : groupId);

/** A fresh member to act against, with a message of theirs and an open case about it. */
async function victimIn(chatId: string, reporter: Person = owner) {
  const victim = await person(server, 'victim');
  await join(victim, chatId);
  if (chatId === channelId) ok(await emit(owner.socket, 'chat:promote', { chatId, userId: victim.id, role: 'admin' }));
  const message = await post(victim, chatId);
  const reported = ok(
    await emit(reporter.socket, 'report:create', { targetType: 'message', targetId: message.id, reason: 'spam' }),
  );
  const caseId = (await ModerationCaseModel.findOne({ targetId: message.id }))!.id as string;
  expect(reported.report.targetId).toBe(message.id);
  return { victim, message, caseId, chatId };
}

type Victim = Awaited<ReturnType<typeof victimIn>>;
interface ActionCase {
  event: string;
  /** Puts the target into the state the action changes (e.g. hidden, for unhide). */
  prepare?: (v: Victim) => Promise<unknown>;
  input: (v: Victim) => object;
  /** The stored state the action would change, read back. */
  state: (v: Victim) => Promise<unknown>;
  platformOnly?: boolean;
}

const actions: Record<string, ActionCase> = {
  hide: {
    event: 'mod:hide',
    input: (v) => ({ messageId: v.message.id, reason: 'spam' }),
    state: async (v) => (await MessageModel.findById(v.message.id))!.hidden,
  },
  unhide: {
    event: 'mod:unhide',
    prepare: (v) =>
      MessageModel.updateOne(
        { _id: v.message.id },
        { $set: { hidden: { at: new Date(), by: 'system', byRole: 'system', reason: 'setup' } } },
      ),
    input: (v) => ({ messageId: v.message.id, reason: 'mistake' }),
    state: async (v) => (await MessageModel.findById(v.message.id))!.hidden?.reason ?? null,
  },
  ban: {
    event: 'mod:ban',
    input: (v) => ({ userId: v.victim.id, chatId: v.chatId, reason: 'spam' }),
    state: async (v) => (await MembershipModel.findOne({ chatId: v.chatId, userId: v.victim.id }))!.status,
  },
  unban: {
    event: 'mod:unban',
    prepare: (v) =>
      MembershipModel.updateOne(
        { chatId: v.chatId, userId: v.victim.id },
        { $set: { status: 'banned', bannedByRole: 'chat_admin' } },
      ),
    input: (v) => ({ userId: v.victim.id, chatId: v.chatId, reason: 'appeal' }),
    state: async (v) => (await MembershipModel.findOne({ chatId: v.chatId, userId: v.victim.id }))!.status,
  },
  mute: {
    event: 'mod:mute',
    input: (v) => ({ userId: v.victim.id, chatId: v.chatId, durationSec: 60, reason: 'flooding' }),
    state: async (v) => (await MembershipModel.findOne({ chatId: v.chatId, userId: v.victim.id }))!.mutedUntil,
  },
  unmute: {
    event: 'mod:unmute',
    prepare: (v) =>
      MembershipModel.updateOne(
        { chatId: v.chatId, userId: v.victim.id },
        { $set: { mutedUntil: null, mutedByRole: 'chat_admin' } },
      ),
    input: (v) => ({ userId: v.victim.id, chatId: v.chatId, reason: 'calmer now' }),
    state: async (v) => (await MembershipModel.findOne({ chatId: v.chatId, userId: v.victim.id }))!.mutedByRole,
  },
  dismiss: {
    event: 'mod:dismiss',
    input: (v) => ({ caseId: v.caseId, reason: 'not spam' }),
    state: async (v) => (await ModerationCaseModel.findById(v.caseId))!.status,
  },
  suspend: {
    event: 'mod:ban',
    input: (v) => ({ userId: v.victim.id, reason: 'spam everywhere' }),
    state: async (v) => (await UserModel.findById(v.victim.id))!.suspended,
    platformOnly: true,
  },
  unsuspend: {
    event: 'mod:unban',
    prepare: (v) =>
      UserModel.updateOne(
        { _id: v.victim.id },
        { $set: { suspended: { until: null, reason: 'setup', by: 'setup', byRole: 'platform_moderator' } } },
      ),
    input: (v) => ({ userId: v.victim.id, reason: 'appeal' }),
    state: async (v) => (await UserModel.findById(v.victim.id))!.suspended?.reason ?? null,
    platformOnly: true,
  },
};

const roles: Role[] = ['member', 'subscriber', 'chat admin', 'chat owner', 'moderator', 'admin', 'non-member'];
const allowed = (role: Role, action: ActionCase): boolean =>
  role === 'moderator' ||
  role === 'admin' ||
  (!action.platformOnly && (role === 'chat admin' || role === 'chat owner'));

const matrix = roles.flatMap((role) =>
  Object.keys(actions).map((name) => [role, name, allowed(role, actions[name]!)] as const),
);

test.each(matrix)('%s -> %s: allowed %s', async (role, name, expected) => {
  const action = actions[name]!;
  const v = await victimIn(chatOf(role));
  await action.prepare?.(v);
  const before = await action.state(v);
  const auditBefore = await ModerationActionModel.countDocuments();

  const ack = await emitRaw(actor(role).socket, action.event, action.input(v));
  if (expected) {
    // Platform staff see who acted; a chat admin's copy says only the level that acted.
    const seen =
      role === 'moderator' || role === 'admin'
        ? { actorId: actor(role).id, actorRole: `platform_${role}` }
        : { actorRole: 'chat_admin' };
    expect(ack).toMatchObject({ ok: true, action: seen });
    if (!('actorId' in seen)) expect(ack.action.actorId).toBeUndefined();
    expect(await action.state(v)).not.toEqual(before);
    expect(await ModerationActionModel.countDocuments()).toBe(auditBefore + 1);
  } else {
    expect(ack).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await action.state(v)).toEqual(before);
    expect(await ModerationActionModel.countDocuments()).toBe(auditBefore);
  }
});

describe.each(roles)('%s reading the queue and the log', (role) => {
  const reads = role === 'moderator' || role === 'admin' || role === 'chat admin' || role === 'chat owner';
  test(`mod:cases and mod:log are ${reads ? 'allowed' : 'forbidden'}`, async () => {
    for (const event of ['mod:cases', 'mod:log'] as const) {
      const ack = await emitRaw(actor(role).socket, event, {});
      expect(ack.ok).toBe(reads);
      if (!reads) expect(ack.error.code).toBe('forbidden');
    }
  });
});

describe('limits that hold for every role', () => {
  test('nobody bans or mutes the owner of a chat, not even a platform moderator', async () => {
    for (const who of [chatAdmin, moderator]) {
      expect(await emit(who.socket, 'mod:ban', { userId: owner.id, chatId: groupId, reason: 'x' })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
      expect(
        await emit(who.socket, 'mod:mute', { userId: owner.id, chatId: groupId, durationSec: 60, reason: 'x' }),
      ).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    }
    expect((await MembershipModel.findOne({ chatId: groupId, userId: owner.id }))!.status).toBe('active');
  });

  test('a chat admin acts only in their own chats', async () => {
    const otherOwner = await person(server, 'elsewhere');
    const other = await createChat(otherOwner, 'group');
    const v = await victimIn(other.id, otherOwner);
    expect(await emit(chatAdmin.socket, 'mod:hide', { messageId: v.message.id, reason: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await emit(chatAdmin.socket, 'mod:case', { caseId: v.caseId })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect(await emit(chatAdmin.socket, 'mod:cases', { chatId: other.id })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect((await MessageModel.findById(v.message.id))!.hidden).toBeNull();
  });

  test('a moderator cannot suspend an admin', async () => {
    expect(await emit(moderator.socket, 'mod:ban', { userId: platformAdmin.id, reason: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    expect((await UserModel.findById(platformAdmin.id))!.suspended).toBeNull();
  });

  test.each([
    ['mod:hide', { messageId: { $ne: null }, reason: 'x' }],
    ['mod:hide', { messageId: '0123456789abcdef01234567' }],
    ['mod:ban', { userId: 'me', reason: 'x' }],
    ['mod:ban', { userId: '0123456789abcdef01234567', reason: 'x', durationSec: -5 }],
    [
      'mod:mute',
      { userId: '0123456789abcdef01234567', chatId: '0123456789abcdef01234567', reason: 'x', durationSec: 0 },
    ],
    ['mod:unmute', { userId: '0123456789abcdef01234567', chatId: '0123456789abcdef01234567' }],
    ['mod:dismiss', { caseId: '0123456789abcdef01234567', reason: '' }],
    ['mod:log', { before: 'yesterday' }],
    ['mod:cases', { status: 'closed' }],
  ])('%s with %j is invalid_input and writes nothing', async (event, input) => {
    const before = await ModerationActionModel.countDocuments();
    expect(await emitRaw(moderator.socket, event, input)).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    expect(await ModerationActionModel.countDocuments()).toBe(before);
  });

  test('actions on things that do not exist are not_found', async () => {
    const missing = '0123456789abcdef01234567';
    expect(await emit(moderator.socket, 'mod:hide', { messageId: missing, reason: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await emit(moderator.socket, 'mod:ban', { userId: missing, chatId: groupId, reason: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await emit(moderator.socket, 'mod:dismiss', { caseId: missing, reason: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });
});
