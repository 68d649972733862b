/** The permission table of docs/ARCHITECTURE.md §6 and the rules on top of it, decided by `can` alone (no server). */
import {
  can,
  type Actor,
  type CaseFacts,
  type ChatFacts,
  type Person,
  type Standing,
  type Verdict,
} from '../handlers/policy/access';

const now = new Date('2026-01-01T12:00:00Z');
const later = new Date('2026-01-01T13:00:00Z');
const earlier = new Date('2026-01-01T11:00:00Z');

const group: ChatFacts = { id: 'group', type: 'group', visibility: 'public' };
const channel: ChatFacts = { id: 'channel', type: 'channel', visibility: 'public' };
const privateGroup: ChatFacts = { id: 'private', type: 'group', visibility: 'private' };

const row = (role: Standing['role'], extra: Partial<Standing> = {}): Standing => ({ role, status: 'active', ...extra });

const groupMember: Actor = { id: 'member', role: 'user', membership: row('member') };
const subscriber: Actor = { id: 'subscriber', role: 'user', membership: row('member') };
const chatAdmin: Actor = { id: 'chatadmin', role: 'user', membership: row('admin') };
const owner: Actor = { id: 'owner', role: 'user', membership: row('owner') };
const moderator: Actor = { id: 'moderator', role: 'moderator', membership: null };
const platformAdmin: Actor = { id: 'admin', role: 'admin', membership: null };
const outsider: Actor = { id: 'outsider', role: 'user', membership: null };
const bannedMember: Actor = {
  id: 'banned',
  role: 'user',
  membership: { role: 'member', status: 'banned', bannedUntil: null },
};

const person = (id: string, role: Person['role'] = 'user', membership: Standing | null = row('member')): Person => ({
  id,
  role,
  membership,
});
const victim = person('victim');

const messageCase = (authorId: string, extra: Partial<CaseFacts> = {}): CaseFacts => ({
  targetType: 'message',
  targetId: 'message-1',
  chatId: 'group',
  authorId,
  concerns: [authorId],
  ...extra,
});
const userCase = (userId: string): CaseFacts => ({
  targetType: 'user',
  targetId: userId,
  chatId: null,
  authorId: null,
  concerns: [userId],
});

const allowed: Verdict = { allowed: true };
const refused = (code: string) => expect.objectContaining({ allowed: false, code });

describe('read messages and history: members of the chat, and platform moderators in any chat', () => {
  test.each([
    ['a group member', groupMember, group, allowed],
    ['a channel subscriber', subscriber, channel, allowed],
    ['a chat admin', chatAdmin, group, allowed],
    ['a platform moderator who is no member, even of a private chat', moderator, privateGroup, allowed],
    ['an outsider of a public chat', outsider, group, refused('forbidden')],
    ['an outsider of a private chat, as if it did not exist', outsider, privateGroup, refused('not_found')],
    ['a banned member', bannedMember, group, refused('banned')],
    [
      'a member whose ban ran out and who has not rejoined',
      { ...bannedMember, membership: { role: 'member', status: 'banned', bannedUntil: earlier } } as Actor,
      group,
      refused('forbidden'),
    ],
  ])('%s', (_who, actor, chat, verdict) => {
    expect(can(actor, 'chat.read', { chat }, now)).toEqual(verdict);
  });
});

describe('see a chat itself: anyone a public one; a private one its members, banned members and platform staff', () => {
  const left: Actor = { ...groupMember, membership: { role: 'member', status: 'left' } };
  const banRanOut: Actor = { ...bannedMember, membership: { role: 'member', status: 'banned', bannedUntil: earlier } };
  test.each([
    ['an outsider, a public chat', outsider, group, allowed],
    ['a subscriber, their channel', subscriber, channel, allowed],
    ['a member, their private chat', groupMember, privateGroup, allowed],
    ['a banned member, the private chat they were banned from', bannedMember, privateGroup, allowed],
    ['a platform moderator who is no member, a private chat', moderator, privateGroup, allowed],
    ['a platform admin who is no member, a private chat', platformAdmin, privateGroup, allowed],
    ['an outsider, a private chat, as if it did not exist', outsider, privateGroup, refused('not_found')],
    ['a member who left, a private chat', left, privateGroup, refused('not_found')],
    ['a member whose ban ran out, a private chat', banRanOut, privateGroup, refused('not_found')],
  ])('%s', (_who, actor, chat, verdict) => {
    expect(can(actor, 'chat.view', { chat }, now)).toEqual(verdict);
  });
});

describe('send a message: group members unless muted, channel admins, platform moderators only as members', () => {
  test.each([
    ['a group member', groupMember, group, allowed],
    ['a channel subscriber', subscriber, channel, refused('forbidden')],
    ['a channel admin', chatAdmin, channel, allowed],
    ['a platform moderator who is no member', moderator, group, refused('forbidden')],
    ['a platform moderator who is a member', { ...moderator, membership: row('member') }, group, allowed],
    ['an outsider of a private chat', outsider, privateGroup, refused('not_found')],
    ['a banned member', bannedMember, group, refused('banned')],
    [
      'a member whose mute ran out',
      { ...groupMember, membership: row('member', { mutedUntil: earlier, mutedByRole: 'chat_admin' }) },
      group,
      allowed,
    ],
  ])('%s', (_who, actor, chat, verdict) => {
    expect(can(actor, 'chat.send', { chat }, now)).toEqual(verdict);
  });

  test('a muted member is told until when; a mute until lifted has no end', () => {
    const muted = { ...groupMember, membership: row('member', { mutedUntil: later, mutedByRole: 'chat_admin' }) };
    expect(can(muted, 'chat.send', { chat: group }, now)).toEqual(refused('muted'));
    expect(can(muted, 'chat.send', { chat: group }, now)).toMatchObject({ until: later });
    const forever = {
      ...groupMember,
      membership: row('member', { mutedUntil: null, mutedByRole: 'platform_moderator' }),
    };
    expect(can(forever, 'chat.send', { chat: group }, now)).toMatchObject({
      allowed: false,
      code: 'muted',
      until: null,
    });
  });
});

describe('report anything visible to them', () => {
  test.each([
    ['a member, a message in their chat', groupMember, { chat: group, authorId: 'someone', hidden: false }, allowed],
    ['a subscriber, a channel post', subscriber, { chat: channel, authorId: 'someone', hidden: false }, allowed],
    [
      'an outsider, a message of a chat they are not in',
      outsider,
      { chat: group, authorId: 'someone', hidden: false },
      refused('not_found'),
    ],
    [
      'an outsider, a message of a private chat',
      outsider,
      { chat: privateGroup, authorId: 'someone', hidden: false },
      refused('not_found'),
    ],
    [
      'a member, a hidden message',
      groupMember,
      { chat: group, authorId: 'someone', hidden: true },
      refused('not_found'),
    ],
    [
      'a platform moderator, a hidden message anywhere',
      moderator,
      { chat: privateGroup, authorId: 'someone', hidden: true },
      allowed,
    ],
    [
      'the author, their own message',
      groupMember,
      { chat: group, authorId: 'member', hidden: false },
      refused('invalid_input'),
    ],
  ])('%s', (_who, actor, target, verdict) => {
    expect(can(actor, 'report.message', target, now)).toEqual(verdict);
  });

  test.each([
    ['someone who shares a chat with them', groupMember, { userId: 'other', sharesChat: true }, allowed],
    [
      'someone who shares no chat with them, as if they did not exist',
      groupMember,
      { userId: 'other', sharesChat: false },
      refused('not_found'),
    ],
    ['a platform moderator, anyone', moderator, { userId: 'other', sharesChat: false }, allowed],
    ['themselves', groupMember, { userId: 'member', sharesChat: true }, refused('invalid_input')],
  ])('a user reported by %s', (_who, actor, target, verdict) => {
    expect(can(actor, 'report.user', target, now)).toEqual(verdict);
  });

  test.each([
    ['a public chat, by anyone', outsider, group, allowed],
    ['a private chat, by a member', groupMember, privateGroup, allowed],
    ['a private chat, by an outsider', outsider, privateGroup, refused('not_found')],
    ['a private chat, by a platform moderator', moderator, privateGroup, allowed],
  ])('%s', (_what, actor, chat, verdict) => {
    expect(can(actor, 'report.chat', { chat }, now)).toEqual(verdict);
  });
});

describe('see the report queue: chat admins the cases of their chats, platform moderators all', () => {
  test.each([
    ['a member who administers no chat', groupMember, { chat: null, administersAnyChat: false }, refused('forbidden')],
    ['a chat admin', chatAdmin, { chat: null, administersAnyChat: true }, allowed],
    ['a chat admin, of their chat', chatAdmin, { chat: group, administersAnyChat: true }, allowed],
    [
      'a chat admin elsewhere, of a chat they only belong to',
      groupMember,
      { chat: group, administersAnyChat: true },
      refused('forbidden'),
    ],
    [
      'a chat admin elsewhere, of a private chat they are not in',
      outsider,
      { chat: privateGroup, administersAnyChat: true },
      refused('not_found'),
    ],
    ['a platform moderator', moderator, { chat: null, administersAnyChat: false }, allowed],
  ])('%s', (_who, actor, target, verdict) => {
    expect(can(actor, 'queue.read', target, now)).toEqual(verdict);
  });

  test.each([
    ['a chat admin, a message case of their chat', chatAdmin, messageCase('victim'), allowed],
    ['a member, a message case of their chat', groupMember, messageCase('victim'), refused('forbidden')],
    ['a chat admin, a case about a user', chatAdmin, userCase('victim'), refused('forbidden')],
    ['a platform moderator, a case about a user', moderator, userCase('victim'), allowed],
  ])('a case read by %s', (_who, actor, moderationCase, verdict) => {
    expect(can(actor, 'case.read', { case: moderationCase }, now)).toEqual(verdict);
  });

  const closedGroup: ChatFacts = { ...group, closed: { byRole: 'platform_moderator', legalGround: false } };
  test.each([
    ['a chat admin, a message case of their chat', chatAdmin, messageCase('victim'), group, allowed],
    ['a member, a message case of their chat', groupMember, messageCase('victim'), group, refused('forbidden')],
    ['a platform moderator, a message case', moderator, messageCase('victim'), group, allowed],
    [
      'a chat admin, a message case of their closed chat',
      chatAdmin,
      messageCase('victim'),
      closedGroup,
      refused('chat_closed'),
    ],
    ['a platform moderator, a message case of a closed chat', moderator, messageCase('victim'), closedGroup, allowed],
    ['the author, a case about their own message', chatAdmin, messageCase('chatadmin'), group, refused('forbidden')],
    [
      'a platform moderator, a case about a user (no context)',
      moderator,
      userCase('victim'),
      group,
      refused('invalid_input'),
    ],
  ])("a case's context (mod:context) read by %s", (_who, actor, moderationCase, chat, verdict) => {
    expect(can(actor, 'case.context', { case: moderationCase, chat }, now)).toEqual(verdict);
  });

  test('the audit log: chat admins filter it by their own actions or the system only, never by a moderator', () => {
    expect(can(chatAdmin, 'log.read', { administersAnyChat: true, actorFilter: null }, now)).toEqual(allowed);
    expect(can(chatAdmin, 'log.read', { administersAnyChat: true, actorFilter: 'chatadmin' }, now)).toEqual(allowed);
    expect(can(chatAdmin, 'log.read', { administersAnyChat: true, actorFilter: 'system' }, now)).toEqual(allowed);
    expect(can(chatAdmin, 'log.read', { administersAnyChat: true, actorFilter: 'moderator' }, now)).toEqual(
      refused('forbidden'),
    );
    expect(can(groupMember, 'log.read', { administersAnyChat: false, actorFilter: null }, now)).toEqual(
      refused('forbidden'),
    );
    expect(can(moderator, 'log.read', { administersAnyChat: false, actorFilter: 'chatadmin' }, now)).toEqual(allowed);
  });
});

describe('hide / unhide a message: chat admins in their chats, platform moderators any', () => {
  const hide = (chat: ChatFacts = group) => ({ chat, messageId: 'message-1', author: victim, case: null });
  test.each([
    ['a group member', groupMember, hide(), refused('forbidden')],
    ['a channel subscriber', subscriber, hide(channel), refused('forbidden')],
    ['a chat admin', chatAdmin, hide(), allowed],
    ['the owner', owner, hide(), allowed],
    ['an admin of another chat', outsider, hide(), refused('forbidden')],
    ['an outsider, in a private chat', outsider, hide(privateGroup), refused('not_found')],
    ['a platform moderator', moderator, hide(privateGroup), allowed],
  ])('hide by %s', (_who, actor, target, verdict) => {
    expect(can(actor, 'message.hide', target, now)).toEqual(verdict);
    expect(can(actor, 'message.unhide', { ...target, hiddenBy: 'system' }, now)).toEqual(verdict);
  });
});

describe('ban / unban / mute a member: chat admins in their chats, not the owner; platform moderators any chat', () => {
  const against = (person: Person, chat: ChatFacts = group) => ({
    chat,
    person,
    bannedBy: null,
    mutedBy: null,
    case: null,
  });
  test.each([
    ['a group member', groupMember, against(victim), refused('forbidden')],
    ['a channel subscriber', subscriber, against(victim, channel), refused('forbidden')],
    ['a chat admin', chatAdmin, against(victim), allowed],
    [
      'a chat admin, another chat admin (strict rank: only the owner acts on admins)',
      chatAdmin,
      against(person('co-admin', 'user', row('admin'))),
      refused('forbidden'),
    ],
    ['the owner, a chat admin', owner, against(person('co-admin', 'user', row('admin'))), allowed],
    ['a platform moderator, a chat admin', moderator, against(person('co-admin', 'user', row('admin'))), allowed],
    [
      'a chat admin, an admin who has left the chat',
      chatAdmin,
      against(person('former', 'user', row('admin', { status: 'left' }))),
      allowed,
    ],
    ['a chat admin, the owner', chatAdmin, against(person('owner', 'user', row('owner'))), refused('forbidden')],
    [
      'a platform moderator, the owner',
      moderator,
      against(person('owner', 'user', row('owner'))),
      refused('forbidden'),
    ],
    ['a platform moderator, in any chat', moderator, against(victim, privateGroup), allowed],
    ['a platform moderator, someone who never joined', moderator, against(person('stranger', 'user', null)), allowed],
    ['an outsider, in a private chat', outsider, against(victim, privateGroup), refused('not_found')],
    ['anyone, themselves', chatAdmin, against(person('chatadmin', 'user', row('admin'))), refused('invalid_input')],
  ])('%s', (_who, actor, target, verdict) => {
    expect(can(actor, 'member.ban', target, now)).toEqual(verdict);
    expect(can(actor, 'member.mute', target, now)).toEqual(verdict);
  });

  test('lifting needs the same standing as imposing', () => {
    const lift = { chat: group, person: victim, bannedBy: 'chat_admin' as const, mutedBy: 'chat_admin' as const };
    for (const action of ['member.unban', 'member.unmute'] as const) {
      expect(can(chatAdmin, action, lift, now)).toEqual(allowed);
      expect(can(moderator, action, lift, now)).toEqual(allowed);
      expect(can(groupMember, action, lift, now)).toEqual(refused('forbidden'));
      expect(can(outsider, action, { ...lift, chat: privateGroup }, now)).toEqual(refused('not_found'));
      // Strict rank holds for lifting too: only the owner lifts what weighs on an admin.
      const coAdmin = { ...lift, person: person('co-admin', 'user', row('admin')) };
      expect(can(chatAdmin, action, coAdmin, now)).toEqual(refused('forbidden'));
      expect(can(owner, action, coAdmin, now)).toEqual(allowed);
    }
  });
});

describe('suspend an account and change platform roles', () => {
  test('only platform moderators suspend; only platform admins change roles', () => {
    for (const actor of [groupMember, chatAdmin, owner]) {
      expect(can(actor, 'account.suspend', { person: victim, suspendedBy: null, case: null }, now)).toEqual(
        refused('forbidden'),
      );
      expect(can(actor, 'account.unsuspend', { person: victim, suspendedBy: 'platform_moderator' }, now)).toEqual(
        refused('forbidden'),
      );
      expect(can(actor, 'role.change', { person: victim }, now)).toEqual(refused('forbidden'));
    }
    expect(can(moderator, 'account.suspend', { person: victim, suspendedBy: null, case: null }, now)).toEqual(allowed);
    expect(can(moderator, 'role.change', { person: victim }, now)).toEqual(refused('forbidden'));
    expect(can(platformAdmin, 'role.change', { person: victim }, now)).toEqual(allowed);
  });
});

describe('levels: a decision is undone only at or above the level of whoever made it', () => {
  const unhide = (hiddenBy: 'system' | 'chat_admin' | 'platform_moderator' | 'platform_admin') => ({
    chat: group,
    messageId: 'message-1',
    author: victim,
    hiddenBy,
    case: null,
  });
  test.each([
    ['a chat admin', chatAdmin, { system: true, chat_admin: true, platform_moderator: false, platform_admin: false }],
    [
      'a platform moderator',
      moderator,
      { system: true, chat_admin: true, platform_moderator: true, platform_admin: false },
    ],
    [
      'a platform admin',
      platformAdmin,
      { system: true, chat_admin: true, platform_moderator: true, platform_admin: true },
    ],
  ] as const)('%s', (_who, actor, undoes) => {
    for (const [level, expected] of Object.entries(undoes) as [keyof typeof undoes, boolean][]) {
      expect(can(actor, 'message.unhide', unhide(level), now).allowed).toBe(expected);
      // Bans and mutes are never automatic.
      if (level === 'system') continue;
      expect(can(actor, 'member.unban', { chat: group, person: victim, bannedBy: level }, now).allowed).toBe(expected);
      expect(can(actor, 'member.unmute', { chat: group, person: victim, mutedBy: level }, now).allowed).toBe(expected);
    }
  });

  test('a chat admin cannot unhide what a platform moderator hid, nor unban whom one banned', () => {
    expect(can(chatAdmin, 'message.unhide', unhide('platform_moderator'), now)).toEqual(refused('forbidden'));
    expect(
      can(chatAdmin, 'member.unban', { chat: group, person: victim, bannedBy: 'platform_moderator' }, now),
    ).toEqual(refused('forbidden'));
  });

  test('a new ban, mute or suspension replaces the one in force only at its level or above', () => {
    expect(
      can(chatAdmin, 'member.ban', { chat: group, person: victim, bannedBy: 'platform_moderator', case: null }, now),
    ).toEqual(refused('forbidden'));
    expect(
      can(chatAdmin, 'member.mute', { chat: group, person: victim, mutedBy: 'platform_moderator', case: null }, now),
    ).toEqual(refused('forbidden'));
    expect(
      can(chatAdmin, 'member.ban', { chat: group, person: victim, bannedBy: 'chat_admin', case: null }, now),
    ).toEqual(allowed);
    expect(
      can(moderator, 'account.suspend', { person: victim, suspendedBy: 'platform_admin', case: null }, now),
    ).toEqual(refused('forbidden'));
  });

  test('a moderator cannot lift an admin’s suspension; lifting follows the rule for imposing', () => {
    expect(can(moderator, 'account.unsuspend', { person: victim, suspendedBy: 'platform_admin' }, now)).toEqual(
      refused('forbidden'),
    );
    expect(can(moderator, 'account.unsuspend', { person: victim, suspendedBy: 'platform_moderator' }, now)).toEqual(
      allowed,
    );
    expect(
      can(
        moderator,
        'account.unsuspend',
        { person: person('admin-2', 'admin', null), suspendedBy: 'platform_admin' },
        now,
      ),
    ).toEqual(refused('forbidden'));
    expect(
      can(
        platformAdmin,
        'account.unsuspend',
        { person: person('admin-2', 'admin', null), suspendedBy: 'platform_admin' },
        now,
      ),
    ).toEqual(allowed);
  });
});

describe('no judge in their own cause', () => {
  test('the author of a reported message neither reads nor dismisses its case, whatever their role', () => {
    for (const author of [owner, chatAdmin, moderator, platformAdmin]) {
      const own = messageCase(author.id);
      expect(can(author, 'case.read', { case: own }, now)).toEqual(refused('forbidden'));
      expect(can(author, 'case.dismiss', { case: own }, now)).toEqual(refused('forbidden'));
    }
  });

  test('nobody hides or unhides their own message, nor lifts their own ban or mute', () => {
    const ownMessage = {
      chat: group,
      messageId: 'message-1',
      author: person('owner', 'user', row('owner')),
      case: null,
    };
    expect(can(owner, 'message.hide', ownMessage, now)).toEqual(refused('forbidden'));
    expect(can(owner, 'message.unhide', { ...ownMessage, hiddenBy: 'system' }, now)).toEqual(refused('forbidden'));
    const self = person('moderator', 'moderator', row('member'));
    expect(can(moderator, 'member.unban', { chat: group, person: self, bannedBy: 'chat_admin' }, now)).toEqual(
      refused('forbidden'),
    );
    expect(can(moderator, 'member.unmute', { chat: group, person: self, mutedBy: 'chat_admin' }, now)).toEqual(
      refused('forbidden'),
    );
    expect(can(moderator, 'account.unsuspend', { person: self, suspendedBy: 'platform_moderator' }, now)).toEqual(
      refused('forbidden'),
    );
  });

  test('a case about a chat is never for the people who run it, platform staff included', () => {
    const aboutChat: CaseFacts = {
      targetType: 'chat',
      targetId: 'group',
      chatId: null,
      authorId: null,
      concerns: ['owner', 'moderator'],
    };
    expect(can(owner, 'case.read', { case: aboutChat }, now)).toEqual(refused('forbidden'));
    expect(can(moderator, 'case.read', { case: aboutChat }, now)).toEqual(refused('forbidden'));
    expect(can(platformAdmin, 'case.read', { case: aboutChat }, now)).toEqual(allowed);
  });
});

describe('rank: nobody acts against someone of a higher platform role', () => {
  test.each([
    ['a moderator bans an admin', moderator, person('admin-2', 'admin'), false],
    ['a moderator bans another moderator', moderator, person('moderator-2', 'moderator'), true],
    ['a chat admin bans a platform moderator', chatAdmin, person('moderator-2', 'moderator'), false],
    ['a chat admin bans a platform admin', chatAdmin, person('admin-2', 'admin'), false],
    ['an admin bans an admin', platformAdmin, person('admin-2', 'admin'), true],
  ])('%s: allowed %s', (_what, actor, target, expected) => {
    expect(can(actor, 'member.ban', { chat: group, person: target, bannedBy: null, case: null }, now).allowed).toBe(
      expected,
    );
    expect(can(actor, 'member.mute', { chat: group, person: target, mutedBy: null, case: null }, now).allowed).toBe(
      expected,
    );
  });

  test('a moderator suspends neither an admin nor themselves; an admin suspends an admin', () => {
    expect(
      can(
        moderator,
        'account.suspend',
        { person: person('admin-2', 'admin', null), suspendedBy: null, case: null },
        now,
      ),
    ).toEqual(refused('forbidden'));
    expect(
      can(
        moderator,
        'account.suspend',
        { person: person('moderator', 'moderator', null), suspendedBy: null, case: null },
        now,
      ),
    ).toEqual(refused('invalid_input'));
    expect(
      can(
        platformAdmin,
        'account.suspend',
        { person: person('admin-2', 'admin', null), suspendedBy: null, case: null },
        now,
      ),
    ).toEqual(allowed);
  });
});

describe('cases bind to targets', () => {
  test('a hide decides only the case about that message', () => {
    const hide = (moderationCase: CaseFacts) => ({
      chat: group,
      messageId: 'message-1',
      author: victim,
      case: moderationCase,
    });
    expect(can(chatAdmin, 'message.hide', hide(messageCase('victim')), now)).toEqual(allowed);
    expect(can(chatAdmin, 'message.hide', hide(messageCase('victim', { targetId: 'message-2' })), now)).toEqual(
      refused('invalid_input'),
    );
    expect(can(moderator, 'message.hide', hide(userCase('victim')), now)).toEqual(refused('invalid_input'));
  });

  test('a ban or mute decides the case about the person, or about a message of theirs in that chat', () => {
    for (const action of ['member.ban', 'member.mute'] as const) {
      const ban = (moderationCase: CaseFacts) => ({
        chat: group,
        person: victim,
        bannedBy: null,
        mutedBy: null,
        case: moderationCase,
      });
      expect(can(chatAdmin, action, ban(messageCase('victim')), now)).toEqual(allowed);
      expect(can(moderator, action, ban(userCase('victim')), now)).toEqual(allowed);
      expect(can(chatAdmin, action, ban(messageCase('someone-else')), now)).toEqual(refused('invalid_input'));
      expect(can(moderator, action, ban(messageCase('victim', { chatId: 'another-chat' })), now)).toEqual(
        refused('invalid_input'),
      );
      expect(can(moderator, action, ban(userCase('someone-else')), now)).toEqual(refused('invalid_input'));
      // A case about a user is for platform moderators: a chat admin may ban, but not close it.
      expect(can(chatAdmin, action, ban(userCase('victim')), now)).toEqual(refused('forbidden'));
    }
  });

  test('a suspension decides the case about the person or about any message of theirs', () => {
    expect(
      can(moderator, 'account.suspend', { person: victim, suspendedBy: null, case: userCase('victim') }, now),
    ).toEqual(allowed);
    expect(
      can(
        moderator,
        'account.suspend',
        { person: victim, suspendedBy: null, case: messageCase('victim', { chatId: 'anywhere' }) },
        now,
      ),
    ).toEqual(allowed);
    expect(
      can(moderator, 'account.suspend', { person: victim, suspendedBy: null, case: messageCase('someone-else') }, now),
    ).toEqual(refused('invalid_input'));
  });
});

describe('outsiders of a private chat are told it does not exist', () => {
  test.each(['chat.send', 'chat.leave', 'chat.manage', 'chat.promote', 'chat.moderate'] as const)('%s', (action) => {
    expect(can(outsider, action, { chat: privateGroup }, now)).toEqual(refused('not_found'));
    expect(can(outsider, action, { chat: group }, now)).toEqual(refused('forbidden'));
  });

  test('joining: by id only public chats; a private one by invite code; banned members never', () => {
    expect(can(outsider, 'chat.join', { chat: group, viaInvite: false }, now)).toEqual(allowed);
    expect(can(outsider, 'chat.join', { chat: privateGroup, viaInvite: false }, now)).toEqual(refused('not_found'));
    expect(can(outsider, 'chat.join', { chat: privateGroup, viaInvite: true }, now)).toEqual(allowed);
    expect(can(moderator, 'chat.join', { chat: privateGroup, viaInvite: false }, now)).toEqual(refused('forbidden'));
    expect(can(bannedMember, 'chat.join', { chat: privateGroup, viaInvite: true }, now)).toEqual(refused('banned'));
  });
});

describe('chat management', () => {
  test('invites and settings are for the chat’s admins; roles for its owner, who cannot leave', () => {
    expect(can(chatAdmin, 'chat.manage', { chat: group }, now)).toEqual(allowed);
    expect(can(groupMember, 'chat.manage', { chat: group }, now)).toEqual(refused('forbidden'));
    expect(can(owner, 'chat.promote', { chat: group }, now)).toEqual(allowed);
    expect(can(chatAdmin, 'chat.promote', { chat: group }, now)).toEqual(refused('forbidden'));
    expect(can(owner, 'chat.leave', { chat: group }, now)).toEqual(refused('forbidden'));
    expect(can(groupMember, 'chat.leave', { chat: group }, now)).toEqual(allowed);
  });
});

describe('a trusted flagger is a user in everything but reporting', () => {
  const flagger: Actor = { id: 'flagger', role: 'trusted_flagger', membership: row('member') };
  test('no queue, no moderation, no suspensions', () => {
    expect(can(flagger, 'queue.read', { chat: null, administersAnyChat: false }, now)).toEqual(refused('forbidden'));
    expect(can(flagger, 'chat.moderate', { chat: group }, now)).toEqual(refused('forbidden'));
    expect(can(flagger, 'account.moderate', {}, now)).toEqual(refused('forbidden'));
  });
  test('a chat admin may ban them, as any member', () => {
    expect(
      can(
        chatAdmin,
        'member.ban',
        { chat: group, person: person('flagger', 'trusted_flagger'), bannedBy: null, case: null },
        now,
      ),
    ).toEqual(allowed);
  });
});

describe('close and reopen a whole chat: platform moderators; a closed chat is read-only to everyone else', () => {
  const closedFor = (legalGround: boolean): ChatFacts => ({
    ...group,
    closed: { byRole: 'platform_moderator', legalGround },
  });
  const chatCase: CaseFacts = { targetType: 'chat', targetId: 'group', chatId: 'group', authorId: null, concerns: [] };

  test.each([
    ['a member', groupMember, group, refused('forbidden')],
    ['the owner', owner, group, refused('forbidden')],
    ['a chat admin', chatAdmin, group, refused('forbidden')],
    ['an outsider, a private chat', outsider, privateGroup, refused('not_found')],
    ['a platform moderator', moderator, group, allowed],
    ['a platform moderator, a private chat', moderator, privateGroup, allowed],
  ])('closed by %s', (_who, actor, chat, verdict) => {
    expect(can(actor, 'chat.close', { chat, case: null }, now)).toEqual(verdict);
  });

  test('a named case must be about the chat', () => {
    expect(can(moderator, 'chat.close', { chat: group, case: chatCase }, now)).toEqual(allowed);
    expect(can(moderator, 'chat.close', { chat: group, case: messageCase('victim') }, now)).toEqual(
      refused('invalid_input'),
    );
  });

  test.each([
    ['a chat admin', chatAdmin, 'platform_moderator', refused('forbidden')],
    ['the owner', owner, 'platform_moderator', refused('forbidden')],
    ['a platform moderator, what a moderator closed', moderator, 'platform_moderator', allowed],
    ['a platform moderator, what a platform admin closed', moderator, 'platform_admin', refused('forbidden')],
    ['a platform admin, what a platform admin closed', platformAdmin, 'platform_admin', allowed],
  ] as const)('reopened by %s', (_who, actor, closedBy, verdict) => {
    expect(can(actor, 'chat.reopen', { chat: closedFor(false), closedBy }, now)).toEqual(verdict);
  });

  test('members may not send, join, read, manage or moderate; 451 when closed on a ground of illegal content', () => {
    const closed = closedFor(true);
    for (const action of ['chat.send', 'chat.read', 'chat.manage', 'chat.promote'] as const) {
      expect(can(owner, action, { chat: closed }, now)).toEqual(
        expect.objectContaining({ allowed: false, code: 'chat_closed', legalReasons: true }),
      );
    }
    expect(can(outsider, 'chat.join', { chat: closed, viaInvite: true }, now)).toEqual(refused('chat_closed'));
    expect(can(chatAdmin, 'chat.moderate', { chat: closedFor(false) }, now)).toEqual(
      expect.objectContaining({ code: 'chat_closed', legalReasons: false }),
    );
    // They may still see it (its notice), leave it and report it; platform moderators still read it.
    expect(can(groupMember, 'chat.view', { chat: closed }, now)).toEqual(allowed);
    expect(can(groupMember, 'chat.leave', { chat: closed }, now)).toEqual(allowed);
    expect(can(groupMember, 'report.chat', { chat: closed }, now)).toEqual(allowed);
    expect(can(moderator, 'chat.read', { chat: closed }, now)).toEqual(allowed);
    expect(can(moderator, 'chat.moderate', { chat: closed }, now)).toEqual(allowed);
  });
});

describe('purge a person’s messages: platform moderators anywhere, a chat’s admins in it, by rank', () => {
  const platformModerator = person('platform-mod', 'moderator', row('member'));
  test.each([
    ['a platform moderator, across chats', moderator, null, victim, allowed],
    ['a chat admin, across chats', chatAdmin, null, victim, refused('forbidden')],
    ['a chat admin, a member of their chat', chatAdmin, group, victim, allowed],
    ['a chat admin, a platform moderator’s messages', chatAdmin, group, platformModerator, refused('forbidden')],
    ['a chat admin, a co-admin', chatAdmin, group, person('co-admin', 'user', row('admin')), refused('forbidden')],
    ['a chat admin, the owner', chatAdmin, group, person('owner', 'user', row('owner')), refused('forbidden')],
    ['the owner, an admin', owner, group, person('co-admin', 'user', row('admin')), allowed],
    ['a platform moderator, the owner', moderator, group, person('owner', 'user', row('owner')), allowed],
    ['a member', groupMember, group, victim, refused('forbidden')],
    ['an outsider, in a private chat', outsider, privateGroup, victim, refused('not_found')],
    ['a platform moderator, a platform admin', moderator, null, person('boss', 'admin', null), refused('forbidden')],
    ['anyone, themselves', moderator, null, person('moderator', 'moderator', null), refused('invalid_input')],
  ] as const)('%s', (_who, actor, chat, target, verdict) => {
    expect(can(actor, 'messages.purge', { chat, person: target }, now)).toEqual(verdict);
  });
});

describe('manage automatic filters: platform rules platform moderators, a chat’s rules its owner and admins', () => {
  const closedGroup: ChatFacts = { ...group, closed: { byRole: 'platform_moderator', legalGround: false } };
  test.each([
    ['a platform moderator, platform rules', moderator, null, allowed],
    ['a platform admin, platform rules', platformAdmin, null, allowed],
    ['a chat admin, platform rules', chatAdmin, null, refused('forbidden')],
    ['the owner, platform rules', owner, null, refused('forbidden')],
    ['a chat admin, their chat', chatAdmin, group, allowed],
    ['the owner, their chat', owner, group, allowed],
    ['a platform moderator, any chat', moderator, group, allowed],
    ['a member, their chat', groupMember, group, refused('forbidden')],
    ['an admin of another chat', { ...outsider, membership: null }, group, refused('forbidden')],
    ['an outsider, a private chat', outsider, privateGroup, refused('not_found')],
    ['a chat admin, their closed chat', chatAdmin, closedGroup, refused('chat_closed')],
  ] as const)('%s', (_who, actor, chat, verdict) => {
    expect(can(actor, 'rules.manage', { chat }, now)).toEqual(verdict);
  });
});
