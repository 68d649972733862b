/**
 * Automatic filters and raid protection: rules tried in shadow, then enforced (block, hold, alert,
 * mute), matching that sees through disguise, linear-time regexes, bad input refused with nothing
 * stored, and raid mode entered and left; over both transports.
 */
import { FilterRuleModel, NoticeModel, MessageModel } from '../models';
import { ScopeMatcher, domainsIn, words, type RuleSpec } from '../handlers/filter-matcher';
import { collect, emit, nextEvent, settle, sleep, useTestServer } from './support/harness';
import { createChat, join, ok, person, post, send, type Person } from './support/world';

const server = useTestServer();

const refused = (code: string) => ({ ok: false, error: expect.objectContaining({ code }) });
let unique = 0;
/** A word no other test's rule holds. */
const word = (stem: string) => `${stem}${String.fromCharCode(97 + (unique++ % 26))}${unique}x`.replace(/\d/g, 'q');

async function group() {
  const [moderator, owner, member] = [
    await person(server, 'moderator', 'moderator'),
    await person(server, 'owner'),
    await person(server, 'member'),
  ];
  const chat = await createChat(owner, 'group', [member]);
  return { moderator, owner, member, chat };
}

function rule(creator: Person, input: Parameters<typeof emit<'mod:rule-create'>>[2]) {
  return emit(creator.socket, 'mod:rule-create', input);
}

describe('matching', () => {
  const spec = (trigger: RuleSpec['trigger']): RuleSpec => ({
    id: 'r',
    chatId: null,
    name: 'r',
    trigger,
    action: { type: 'block', durationSec: null, note: null, reason: 'spam' },
    mode: 'enforce',
    exemptRoles: [],
  });
  const hits = (matcher: ScopeMatcher, text: string) => matcher.match({ text, accountAgeSec: 1e9 }).size > 0;

  test('sees through full-width, Cyrillic look-alikes, digits and symbols; whole words only', () => {
    const matcher = new ScopeMatcher([
      spec({ type: 'keyword', words: ['spam', 'hell', 'free money', 'crypto*', '*coin'] }),
    ]);
    for (const text of [
      'ｓｐａｍ',
      'SP4M',
      'ѕраm',
      '$pam!',
      'sp@m',
      'Spám',
      'go to hell',
      'FREE   money',
      'cryptos',
      'bitcoin',
    ])
      expect([text, hits(matcher, text)]).toEqual([text, true]);
    for (const text of ['hello', 'spammer', 'shell', 'free', 'money free', 'coins', 'cryptic'])
      expect([text, hits(matcher, text)]).toEqual([text, false]);
  });

  test('finds links by domain, and counts mentions', () => {
    expect(domainsIn('see https://Evil.example.org/x, www.foo.test and bar.com. not file.txt nor a@b.com')).toEqual([
      'evil.example.org',
      'foo.test',
      'bar.com',
    ]);
    const links = new ScopeMatcher([spec({ type: 'links', allow: ['good.org'] })]);
    expect(hits(links, 'https://good.org/a and https://docs.good.org')).toBe(false);
    expect(hits(links, 'https://bad.com')).toBe(true);
    expect(hits(new ScopeMatcher([spec({ type: 'mentions', max: 2 })]), '@ann @bob @cyd')).toBe(true);
    expect(words('Ｈｅｌｌｏ  wörld')).toEqual(['hello', 'world']);
  });

  test('a matcher of 10,000 keywords costs what one of 10 does per message', () => {
    const many = new ScopeMatcher([
      spec({ type: 'keyword', words: Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}zz`) }),
    ]);
    const few = new ScopeMatcher([spec({ type: 'keyword', words: Array.from({ length: 10 }, (_, i) => `w${i}zz`) })]);
    const text = 'an ordinary message of some ten words or so, nothing to see here';
    const time = (m: ScopeMatcher) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 5000; i += 1) m.match({ text, accountAgeSec: 1e9 });
      return Number(process.hrtime.bigint() - t0);
    };
    time(many);
    time(few);
    expect(time(many)).toBeLessThan(time(few) * 3);
  });
});

describe('rules', () => {
  test('a new rule is in shadow: it records what it would have done, with the excerpt, and does nothing else', async () => {
    const { moderator, owner, member, chat } = await group();
    const bad = word('shadow');
    const created = ok(
      await rule(owner, {
        chatId: chat.id,
        name: 'shadowed',
        trigger: { type: 'keyword', words: [bad] },
        action: { type: 'block' },
      }),
    );
    expect(created.rule).toMatchObject({ mode: 'shadow', chatId: chat.id });
    expect(created.action).toMatchObject({ type: 'create_rule', targetType: 'rule', targetId: created.rule.id });
    const delivered = nextEvent(owner.socket, 'message:new');
    ok(await send(member, chat.id, `well ${bad.toUpperCase()} indeed`));
    await delivered;
    await sleep(100);
    const { rule: seen, hits } = ok(await emit(owner.socket, 'mod:rule-hits', { ruleId: created.rule.id }));
    expect(seen.stats).toMatchObject({ hits: 1, shadowHits: 1 });
    expect(hits[0]).toMatchObject({
      mode: 'shadow',
      action: 'block',
      excerpt: `well ${bad.toUpperCase()} indeed`,
      messageId: null,
    });
    // Over HTTP too, and in the audit log.
    const http = await server.http('GET', `/api/moderation/rules/${created.rule.id}/hits`, { token: moderator.token });
    expect(http.status).toBe(200);
    expect(http.body.hits).toHaveLength(1);
    const log = ok(await emit(moderator.socket, 'mod:log', { targetId: created.rule.id }));
    expect(log.actions.map((a) => a.type)).toEqual(['create_rule']);
  });

  test('enforced, block refuses disguised spellings with the note and stores nothing; "hello" passes', async () => {
    const { owner, member, chat } = await group();
    const created = ok(
      await rule(owner, {
        chatId: chat.id,
        name: 'no hell',
        trigger: { type: 'keyword', words: ['hell', 'spam'] },
        action: { type: 'block', note: 'Mind your language.' },
        mode: 'enforce',
      }),
    );
    for (const text of ['ｓｐａｍ', 'SP4M', 'what the HELL', 'ѕраm here'])
      expect(await send(member, chat.id, text)).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'filtered', message: 'Mind your language.' }),
      });
    ok(await send(member, chat.id, 'hello there'));
    expect(await MessageModel.countDocuments({ chatId: chat.id })).toBe(1);
    // Changed back to shadow, it lets them through.
    ok(await emit(owner.socket, 'mod:rule-update', { ruleId: created.rule.id, mode: 'shadow' }));
    ok(await send(member, chat.id, 'spam'));
  });

  test('hold stores the message hidden, pending for its author, opens a case with the rule as reporter; appealable, and a reversal counts against the rule', async () => {
    const { moderator, owner, member, chat } = await group();
    const bad = word('hold');
    const created = ok(
      await rule(moderator, {
        chatId: chat.id,
        name: 'held',
        trigger: { type: 'keyword', words: [bad] },
        action: { type: 'hold', reason: 'scam' },
        mode: 'enforce',
      }),
    );
    const ownerHears = collect(owner.socket, 'message:new');
    const reported = nextEvent(moderator.socket, 'report:new');
    const notice = nextEvent(member.socket, 'moderation:notice');
    const sent = ok(await send(member, chat.id, `buy ${bad} now`));
    expect(sent.message.pending).toBe(true);
    expect((await reported).case).toMatchObject({ targetId: sent.message.id, reasons: { scam: 1 } });
    const told = await notice;
    expect(told.action).toMatchObject({ type: 'hold_message', actorRole: 'system' });
    expect(told.notice).toMatchObject({ automatic: true, appeal: { appealable: true } });
    await settle(owner.socket);
    expect(ownerHears).toEqual([]);
    const history = ok(await emit(owner.socket, 'message:history', { chatId: chat.id }));
    expect(history.messages).toEqual([{ id: sent.message.id, chatId: chat.id, seq: 1, hidden: true }]);
    // The statement of reasons marks detection and decision as automated.
    const statements = await server.http('GET', '/api/transparency/statements', {
      token: (await person(server, 'admin', 'admin')).token,
    });
    const statement = statements.body.statements.find((s: { puid: string }) => s.puid === told.action.id);
    expect(statement).toMatchObject({ automated_detection: 'Yes', automated_decision: 'AUTOMATED_DECISION_FULLY' });
    // The author appeals; another moderator reverses it: the message is shown, and the rule's precision falls.
    const appeal = ok(await emit(member.socket, 'appeal:create', { actionId: told.action.id, text: 'It was a joke.' }));
    const judge = await person(server, 'judge', 'moderator');
    const shown = nextEvent(owner.socket, 'message:unhidden');
    ok(
      await emit(judge.socket, 'mod:appeal-decide', {
        appealId: appeal.appeal.id,
        outcome: 'reversed',
        reason: 'harmless',
      }),
    );
    expect((await shown).message.id).toBe(sent.message.id);
    await sleep(50);
    const listed = ok(await emit(moderator.socket, 'mod:rules', { chatId: chat.id }));
    expect(listed.rules.find((r) => r.id === created.rule.id)?.stats).toMatchObject({
      hits: 1,
      reversed: 1,
      precision: 0,
    });
  });

  test('alert delivers the message and opens a case; a moderator actioning it counts for the rule', async () => {
    const { moderator, owner, member, chat } = await group();
    const bad = word('alert');
    const created = ok(
      await rule(owner, {
        chatId: chat.id,
        name: 'watch',
        trigger: { type: 'keyword', words: [bad] },
        action: { type: 'alert' },
        mode: 'enforce',
      }),
    );
    const delivered = nextEvent(owner.socket, 'message:new');
    const reported = nextEvent(moderator.socket, 'report:new');
    const sent = ok(await send(member, chat.id, `${bad}!`));
    expect(sent.message.pending).toBeUndefined();
    await delivered;
    const moderationCase = (await reported).case;
    ok(
      await emit(moderator.socket, 'mod:hide', {
        messageId: sent.message.id,
        reason: 'confirmed',
        caseId: moderationCase.id,
      }),
    );
    await sleep(50);
    const listed = ok(await emit(owner.socket, 'mod:rules', { chatId: chat.id }));
    expect(listed.rules.find((r) => r.id === created.rule.id)?.stats).toMatchObject({ actioned: 1, precision: 1 });
  });

  test('mute refuses the send and mutes its author for durationSec, through enact', async () => {
    const { owner, member, chat } = await group();
    const bad = word('mute');
    ok(
      await rule(owner, {
        chatId: chat.id,
        name: 'mute',
        trigger: { type: 'keyword', words: [bad] },
        action: { type: 'mute', durationSec: 600 },
        mode: 'enforce',
      }),
    );
    const notice = nextEvent(member.socket, 'moderation:notice');
    expect(await send(member, chat.id, bad)).toEqual(refused('filtered'));
    expect((await notice).action).toMatchObject({ type: 'auto_mute_member', actorRole: 'system', durationSec: 600 });
    expect(await send(member, chat.id, 'sorry')).toEqual(refused('muted'));
  });

  test('a regex rule runs in linear time: a catastrophic pattern answers a long input in milliseconds', async () => {
    const { owner, member, chat } = await group();
    ok(
      await rule(owner, {
        chatId: chat.id,
        name: 'backtracking',
        trigger: { type: 'regex', patterns: ['(a+)+$', 'free\\s+m[o0]ney'] },
        action: { type: 'block' },
        mode: 'enforce',
      }),
    );
    await post(member, chat.id, 'warm up');
    const started = Date.now();
    ok(await send(member, chat.id, `${'a'.repeat(3999)}!`));
    expect(Date.now() - started).toBeLessThan(250);
    expect(await send(member, chat.id, 'FREE   money')).toEqual(refused('filtered'));
    expect(await send(member, chat.id, 'aaaa')).toEqual(refused('filtered'));
  });

  test('platform rules apply in every chat; exempt roles pass; over HTTP', async () => {
    const { moderator, owner, member, chat } = await group();
    const bad = word('platform');
    const created = await server.http('POST', '/api/moderation/rules', {
      token: moderator.token,
      body: {
        name: 'everywhere',
        trigger: { type: 'keyword', words: [`${bad}*`] },
        action: { type: 'block' },
        mode: 'enforce',
        exemptRoles: ['chat_owner'],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.rule.chatId).toBeNull();
    try {
      expect(await send(member, chat.id, `${bad}ing`)).toEqual(refused('filtered'));
      ok(await send(owner, chat.id, `${bad}ing`));
      const listed = await server.http('GET', '/api/moderation/rules', { token: moderator.token });
      expect(listed.body.rules.map((r: { id: string }) => r.id)).toContain(created.body.rule.id);
      const patched = await server.http('PATCH', `/api/moderation/rules/${created.body.rule.id}`, {
        token: moderator.token,
        body: { mode: 'shadow' },
      });
      expect(patched.body.rule.mode).toBe('shadow');
    } finally {
      const deleted = await server.http('DELETE', `/api/moderation/rules/${created.body.rule.id}`, {
        token: moderator.token,
      });
      expect(deleted.status).toBe(200);
      expect(deleted.body.action.type).toBe('delete_rule');
    }
    ok(await send(member, chat.id, `${bad}ing`));
  });

  test('who may: a chat admin neither creates platform rules nor rules of another chat', async () => {
    const { owner, chat } = await group();
    const other = await group();
    const input = {
      name: 'x',
      trigger: { type: 'keyword' as const, words: ['x'] },
      action: { type: 'block' as const },
    };
    expect(await rule(owner, input)).toEqual(refused('forbidden'));
    expect(await rule(owner, { ...input, chatId: other.chat.id })).toEqual(refused('forbidden'));
    expect(await rule(other.member, { ...input, chatId: other.chat.id })).toEqual(refused('forbidden'));
    const http = await server.http('POST', '/api/moderation/rules', { token: owner.token, body: input });
    expect(http.status).toBe(403);
    ok(await rule(owner, { ...input, chatId: chat.id }));
  });

  test('bad input: invalid_input, nothing stored', async () => {
    const { owner, chat } = await group();
    const before = await FilterRuleModel.countDocuments();
    const base = { chatId: chat.id, name: 'bad', action: { type: 'block' } };
    const bad: unknown[] = [
      { ...base, trigger: { type: 'keyword', words: [] } },
      { ...base, trigger: { type: 'keyword', words: ['*both*'] } },
      { ...base, trigger: { type: 'keyword', words: Array.from({ length: 1001 }, (_, i) => `w${i}`) } },
      { ...base, trigger: { type: 'regex', patterns: ['(a)\\1'] } },
      { ...base, trigger: { type: 'regex', patterns: ['(?<=a)b'] } },
      { ...base, trigger: { type: 'regex', patterns: ['a'.repeat(261)] } },
      { ...base, trigger: { type: 'sentiment', words: ['x'] } },
      { ...base, trigger: { type: 'keyword', words: ['x'] }, action: { type: 'shadowban' } },
      { ...base, trigger: { type: 'keyword', words: ['x'] }, action: { type: 'mute' } },
    ];
    for (const input of bad) {
      expect(await emit(owner.socket, 'mod:rule-create', input as never)).toEqual(refused('invalid_input'));
      const http = await server.http('POST', '/api/moderation/rules', { token: owner.token, body: input });
      expect(http.status).toBe(400);
    }
    expect(await FilterRuleModel.countDocuments()).toBe(before);
  });
});

describe('raid protection', () => {
  test('too many joins enter raid mode: admins are alerted, joins wait for approval or the cooldown, new members post no links', async () => {
    const services = server.stoa.services;
    const saved = services.raid;
    services.raid = { joins: 3, windowSec: 60, cooldownSec: 2 };
    try {
      const { moderator, owner, member, chat } = await group();
      const crowd = await Promise.all(Array.from({ length: 4 }, (_, i) => person(server, `raider${i}`)));
      const alerted = nextEvent(owner.socket, 'chat:raid');
      const staffAlerted = nextEvent(moderator.socket, 'chat:raid');
      for (const raider of crowd.slice(0, 3)) await join(raider, chat.id);
      const raid = await alerted;
      // The member's own join counts too: four joins are more than three.
      expect(raid).toMatchObject({ chatId: chat.id, joins: 4 });
      await staffAlerted;
      const late = crowd[3]!;
      const refusedJoin = await emit(late.socket, 'chat:join', { chatId: chat.id });
      expect(refusedJoin).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'rate_limited', retryAfterMs: expect.any(Number) }),
      });
      // New members cannot post links; the chat's admins can.
      expect(await send(crowd[0]!, chat.id, 'visit https://spam.example.com')).toEqual(refused('filtered'));
      ok(await send(crowd[0]!, chat.id, 'no links here'));
      ok(await send(owner, chat.id, 'see https://docs.example.com'));
      // An admin lets one in.
      expect(await emit(member.socket, 'chat:raid-approve', { chatId: chat.id, userId: late.id })).toEqual(
        refused('forbidden'),
      );
      ok(await emit(owner.socket, 'chat:raid-approve', { chatId: chat.id, userId: late.id }));
      ok(await emit(late.socket, 'chat:join', { chatId: chat.id }));
      const another = await person(server, 'after');
      expect(await emit(another.socket, 'chat:join', { chatId: chat.id })).toEqual(refused('rate_limited'));
      // The cooldown ends raid mode.
      await sleep(Date.parse(raid.until) - Date.now() + 50);
      ok(await emit(another.socket, 'chat:join', { chatId: chat.id }));
      ok(await send(crowd[0]!, chat.id, 'visit https://fine.example.com'));
    } finally {
      services.raid = saved;
    }
  });

  test('a chat’s admins set its own thresholds', async () => {
    const { owner, member, chat } = await group();
    expect(await emit(member.socket, 'chat:raid-settings', { chatId: chat.id, joins: 5 })).toEqual(
      refused('forbidden'),
    );
    const set = ok(await emit(owner.socket, 'chat:raid-settings', { chatId: chat.id, joins: 5, windowSec: 30 }));
    expect(set).toMatchObject({ joins: 5, windowSec: 30, until: null });
    expect(await NoticeModel.countDocuments({ chatId: chat.id })).toBe(0);
  });
});
