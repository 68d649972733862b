/** Every limiter through the real transports: it trips at its threshold, refuses cleanly, and frees after its window. */
import { MessageModel, ReportModel, UserModel } from '../models';
import { collect, emit, settle, sleep, startTestServer, useTestServer } from './support/harness';
import { createChat, ok, person, send } from './support/world';

const server = useTestServer({
  RATE_MESSAGES: '3/1s',
  RATE_REPORTS: '2/1s',
  RATE_JOINS: '2/1s',
  RATE_CONNECTIONS: '3/1s',
  RATE_CHAT_CREATIONS: '3/1s',
  RATE_HISTORY: '3/1s',
  RATE_MODERATION_READS: '2/1s',
  MAX_SOCKETS_PER_USER: '2',
  RATE_LOGIN_CONSECUTIVE: '3/2s',
  RATE_LOGIN_DAILY: '6/2s',
});

/** Waits for a window of `seconds` to pass. */
const windowPasses = (seconds: number) => sleep(seconds * 1000 + 150);

let addresses = 0;
/** A client address of its own (sent as X-Forwarded-For, which the server trusts from loopback), so per-IP limits stay apart. */
const freshIp = () => `10.0.${Math.floor(++addresses / 250)}.${(addresses % 250) + 1}`;

/** Someone connected from an address of their own. */
const member = (prefix: string) => person(server, prefix, 'user', { ip: freshIp() });

describe('messages: 3 per second per user', () => {
  test('the fourth send is refused with retryAfterMs, stored nowhere and relayed to no one; the window frees it', async () => {
    const [sender, listener] = [await member('sender'), await member('listener')];
    const chatId = (await createChat(sender, 'group', [listener])).id;
    const heard = collect(listener.socket, 'message:new');
    for (const text of ['one', 'two', 'three']) expect((await send(sender, chatId, text)).ok).toBe(true);

    const refused = await send(sender, chatId, 'four');
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(!refused.ok && refused.error.retryAfterMs).toBeGreaterThan(0);
    expect(await MessageModel.countDocuments({ chatId })).toBe(3);
    await settle(listener.socket);
    expect(heard.map((h) => h.message.text)).toEqual(['one', 'two', 'three']);

    // Another user's budget is their own.
    expect((await send(listener, chatId, 'mine')).ok).toBe(true);

    await windowPasses(1);
    expect((await send(sender, chatId, 'five')).ok).toBe(true);
    await settle(listener.socket);
    expect(heard.map((h) => h.message.text)).toEqual(['one', 'two', 'three', 'mine', 'five']);
  });
});

describe('reports: 2 per second per user', () => {
  test('the third report is refused and stores no report; the window frees it', async () => {
    const [reporter, author] = [await member('reporter'), await member('author')];
    const chatId = (await createChat(author, 'group', [reporter])).id;
    const messages = [];
    for (const text of ['a', 'b', 'c']) {
      const ack = ok(await send(author, chatId, text));
      messages.push(ack.message);
    }
    const reportOn = (messageId: string) =>
      emit(reporter.socket, 'report:create', { targetType: 'message', targetId: messageId, reason: 'spam' });

    expect((await reportOn(messages[0]!.id)).ok).toBe(true);
    expect((await reportOn(messages[1]!.id)).ok).toBe(true);
    const refused = await reportOn(messages[2]!.id);
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(!refused.ok && refused.error.retryAfterMs).toBeGreaterThan(0);
    expect(await ReportModel.countDocuments({ targetId: messages[2]!.id })).toBe(0);

    await windowPasses(1);
    expect((await reportOn(messages[2]!.id)).ok).toBe(true);
  });
});

describe('joins: 2 per second per user', () => {
  test('the third join is refused and makes no membership; the window frees it', async () => {
    const [owner, joiner] = [await member('owner'), await member('joiner')];
    const chats = [];
    for (let i = 0; i < 3; i++) chats.push((await createChat(owner, 'group')).id);
    const joinChat = (chatId: string) => emit(joiner.socket, 'chat:join', { chatId });

    expect((await joinChat(chats[0]!)).ok).toBe(true);
    expect((await joinChat(chats[1]!)).ok).toBe(true);
    const refused = await joinChat(chats[2]!);
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(!refused.ok && refused.error.retryAfterMs).toBeGreaterThan(0);
    const listed = await emit(joiner.socket, 'chat:list', {});
    expect(listed.ok && listed.chats.map((c) => c.id).sort()).toEqual([chats[0], chats[1]].sort());

    await windowPasses(1);
    expect((await joinChat(chats[2]!)).ok).toBe(true);
  });
});

describe('connections: 3 per second per IP', () => {
  test('attempts count before the token is checked: after 3 bad tokens a good one is refused rate_limited; another IP is not', async () => {
    const { token } = await server.register('connector');
    const ip = freshIp();
    const from = (address: string) => ({ extraHeaders: { 'x-forwarded-for': address } });
    for (let i = 0; i < 3; i++) await expect(server.connect('not a token', from(ip))).rejects.toThrow('unauthorized');

    await expect(server.connect(token, from(ip))).rejects.toThrow('rate_limited');
    expect((await server.connect(token, from(freshIp()))).connected).toBe(true);

    await windowPasses(1);
    expect((await server.connect(token, from(ip))).connected).toBe(true);
  });
});

describe('engine.io handshakes count against the per-IP connection limit', () => {
  test('raw long-polling sessions that never CONNECT use up the limit; the next real client is refused rate_limited', async () => {
    const { token } = await server.register('rawsessions');
    const ip = freshIp();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
        headers: { 'x-forwarded-for': ip },
      });
      expect(res.status).toBe(200);
    }
    await expect(server.connect(token, { extraHeaders: { 'x-forwarded-for': ip } })).rejects.toThrow('rate_limited');
    expect((await server.connect(token, { extraHeaders: { 'x-forwarded-for': freshIp() } })).connected).toBe(true);
  });
});

describe('open sockets per account: 2', () => {
  test('a third socket of one account is refused rate_limited; closing one lets the next in', async () => {
    const { token } = await server.register('manydevices');
    const connect = () => server.connect(token, { extraHeaders: { 'x-forwarded-for': freshIp() } });
    const first = await connect();
    await connect();
    await expect(connect()).rejects.toThrow('rate_limited');
    first.close();
    await sleep(100);
    expect((await connect()).connected).toBe(true);
  });
});

describe('per-user limits on chat creation, history reads and moderation reads', () => {
  test('each refuses past its points with rate_limited on the socket and 429 over HTTP', async () => {
    const reader = await member('reader');
    const chatId = (await createChat(reader, 'group')).id;
    for (const title of ['second', 'third'])
      expect((await emit(reader.socket, 'chat:create', { type: 'group', title })).ok).toBe(true);
    expect(await emit(reader.socket, 'chat:create', { type: 'group', title: 'fourth' })).toMatchObject({
      ok: false,
      error: { code: 'rate_limited' },
    });

    for (let i = 0; i < 2; i++) expect((await emit(reader.socket, 'message:history', { chatId })).ok).toBe(true);
    const account = await UserModel.findById(reader.id);
    const token = (
      await server.http('POST', '/api/auth/login', {
        body: { username: account!.username, password: 'correct horse' },
        headers: { 'x-forwarded-for': freshIp() },
      })
    ).body.token;
    expect((await server.http('GET', `/api/chats/${chatId}/messages`, { token })).status).toBe(200);
    const refused = await server.http('GET', `/api/chats/${chatId}/messages`, { token });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();

    const moderator = await person(server, 'modreader', 'moderator', { ip: freshIp() });
    expect((await emit(moderator.socket, 'mod:cases', {})).ok).toBe(true);
    expect((await emit(moderator.socket, 'mod:log', {})).ok).toBe(true);
    expect(await emit(moderator.socket, 'mod:cases', {})).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  });
});

describe('login: 3 consecutive failures block the username+IP pair for 2 s; 6 failures per IP per window', () => {
  const loginFrom = (ip: string, username: string, password: string) =>
    server.http('POST', '/api/auth/login', { body: { username, password }, headers: { 'x-forwarded-for': ip } });

  test('after 3 wrong passwords even the right one is refused with 429 and retry headers, from that IP only, until the block ends', async () => {
    const { username } = await server.register('target');
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await loginFrom(ip, username, 'wrong password')).status).toBe(401);

    const blocked = await loginFrom(ip, username, 'correct horse');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    expect(blocked.body.error.retryAfterMs).toBeGreaterThan(0);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(blocked.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(blocked.headers.get('x-ratelimit-reset')).toBe(blocked.headers.get('retry-after'));
    expect(blocked.body.token).toBeUndefined();

    expect((await loginFrom(freshIp(), username, 'correct horse')).status).toBe(200);

    await windowPasses(2);
    expect((await loginFrom(ip, username, 'correct horse')).status).toBe(200);
  });

  test('a success before the third failure starts the count again', async () => {
    const { username } = await server.register('forgetful');
    const ip = freshIp();
    for (let i = 0; i < 2; i++) expect((await loginFrom(ip, username, 'wrong password')).status).toBe(401);
    expect((await loginFrom(ip, username, 'correct horse')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await loginFrom(ip, username, 'wrong password')).status).toBe(401);
    expect((await loginFrom(ip, username, 'correct horse')).status).toBe(200);

    for (let i = 0; i < 3; i++) await loginFrom(ip, username, 'wrong password');
    expect((await loginFrom(ip, username, 'correct horse')).status).toBe(429);
  });

  test('unknown usernames count too: an IP guessing across names is blocked for every name, other IPs are not', async () => {
    const { username } = await server.register('bystander');
    const ip = freshIp();
    for (let i = 0; i < 6; i++) expect((await loginFrom(ip, `ghost_${i % 3}`, 'wrong password')).status).toBe(401);

    const refused = await loginFrom(ip, username, 'correct horse');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect((await loginFrom(freshIp(), username, 'correct horse')).status).toBe(200);

    await windowPasses(2);
    expect((await loginFrom(ip, username, 'correct horse')).status).toBe(200);
  });
});

describe('slow mode', () => {
  test('with slowModeSec 1 a member’s second message is refused slow_mode; the owner, chat admins and platform moderators are exempt; the window frees it', async () => {
    const [owner, chatAdmin, moderator, talker, listener] = [
      await member('owner'),
      await member('chatadmin'),
      await person(server, 'moderator', 'moderator', { ip: freshIp() }),
      await member('talker'),
      await member('quiet'),
    ];
    const chatId = (await createChat(owner, 'group', [chatAdmin, moderator, talker, listener])).id;
    const promoted = await emit(owner.socket, 'chat:promote', { chatId, userId: chatAdmin.id, role: 'admin' });
    expect(promoted.ok).toBe(true);
    const updated = await emit(owner.socket, 'chat:update', { chatId, slowModeSec: 1 });
    expect(updated.ok && updated.chat.slowModeSec).toBe(1);
    const heard = collect(listener.socket, 'message:new');

    expect((await send(talker, chatId, 'first')).ok).toBe(true);
    const refused = await send(talker, chatId, 'too soon');
    expect(refused).toMatchObject({ ok: false, error: { code: 'slow_mode' } });
    expect(!refused.ok && refused.error.retryAfterMs).toBeGreaterThan(0);
    expect(!refused.ok && refused.error.retryAfterMs).toBeLessThanOrEqual(1000);

    for (const exempt of [owner, chatAdmin, moderator]) {
      expect((await send(exempt, chatId, 'admin one')).ok).toBe(true);
      expect((await send(exempt, chatId, 'admin two')).ok).toBe(true);
    }
    await settle(listener.socket);
    expect(heard.map((h) => h.message.text)).not.toContain('too soon');
    expect(await MessageModel.countDocuments({ chatId, text: 'too soon' })).toBe(0);

    await windowPasses(1);
    expect((await send(talker, chatId, 'second')).ok).toBe(true);
  });
});

describe('registrations: 2 per second per IP', () => {
  test('the third registration from one address is refused with 429 and stores nothing; another address is free', async () => {
    const strict = await startTestServer({ RATE_REGISTRATIONS: '2/1s' });
    try {
      const ip = freshIp();
      const register = (username: string, from = ip) =>
        strict.http('POST', '/api/auth/register', {
          body: { username, password: 'long enough' },
          headers: { 'x-forwarded-for': from },
        });
      const names = [1, 2, 3].map((i) => `signup_${i}_${Date.now() % 100000}`);
      expect((await register(names[0]!)).status).toBe(201);
      expect((await register(names[1]!)).status).toBe(201);
      const refused = await register(names[2]!);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await UserModel.countDocuments({ username: names[2] })).toBe(0);
      expect((await register(names[2]!, freshIp())).status).toBe(201);
    } finally {
      await strict.close();
    }
  });
});
