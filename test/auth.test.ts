import bcrypt from 'bcrypt';
import jwt from 'jsonwebtoken';

import { UserModel } from '../models';
import { disconnected, emitRaw, startTestServer, useTestServer } from './support/harness';

const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
const server = useTestServer({ BOOTSTRAP_ADMIN: 'root_admin:admin password' });

const register = (body: unknown) => server.http('POST', '/api/auth/register', { body });
const login = (body: unknown) => server.http('POST', '/api/auth/login', { body });
/** stoa_dropped_events_total, summed over its reasons. */
const droppedEvents = async () =>
  (await server.stoa.metrics.droppedEvents.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('registration and login', () => {
  test('a new user registers, logs in and reads their profile; the hash never leaves the server', async () => {
    const created = await register({ username: 'Ada_Lovelace', password: 'analytical engine', displayName: 'Ada' });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ username: 'ada_lovelace', displayName: 'Ada', role: 'user' });
    expect(JSON.stringify(created.body)).not.toMatch(/passwordHash|\$2[aby]\$/);

    const session = await login({ username: 'ADA_lovelace', password: 'analytical engine' });
    expect(session.status).toBe(200);
    const me = await server.http('GET', '/api/me', { token: session.body.token });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(created.body.user.id);
    expect(JSON.stringify(me.body)).not.toMatch(/passwordHash|\$2[aby]\$/);
  });

  test('a username taken in another case is a conflict', async () => {
    expect((await register({ username: 'grace', password: 'password one' })).status).toBe(201);
    const again = await register({ username: 'GRACE', password: 'password two' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    expect(await UserModel.countDocuments({ username: 'grace' })).toBe(1);
  });

  test.each([
    ['no body at all', undefined],
    ['a missing password', { username: 'nopass' }],
    ['a short username', { username: 'ab', password: 'long enough' }],
    ['a 33-character username', { username: 'a'.repeat(33), password: 'long enough' }],
    ['a username with a dash', { username: 'bad-name', password: 'long enough' }],
    ['a 7-byte password', { username: 'shortpass', password: '1234567' }],
    ['a 73-byte password', { username: 'longpass', password: 'x'.repeat(73) }],
    ['a password of 25 three-byte characters (75 bytes)', { username: 'utf8pass', password: '€'.repeat(25) }],
    ['a number as username', { username: 12345, password: 'long enough' }],
    ['an operator object as username', { username: { $ne: null }, password: 'long enough' }],
    ['an operator object as password', { username: 'operator', password: { $ne: null } }],
    ['an empty display name', { username: 'emptyname', password: 'long enough', displayName: '' }],
  ])('registering with %s is invalid_input and stores nothing', async (_case, body) => {
    const before = await UserModel.countDocuments();
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    expect(await UserModel.countDocuments()).toBe(before);
  });

  test('a body that is not JSON is invalid_input', async () => {
    const res = await server.http('POST', '/api/auth/register', { rawBody: '{"username": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
  });

  test('a body over 64 KiB is payload_too_large', async () => {
    const res = await register({ username: 'bigbody', password: 'long enough', displayName: 'x'.repeat(70_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  test('operator objects never reach a query at login', async () => {
    await register({ username: 'victim', password: 'victim password' });
    for (const body of [
      { username: { $ne: null }, password: 'victim password' },
      { username: 'victim', password: { $ne: null } },
      { username: { $gt: '' }, password: { $gt: '' } },
    ]) {
      const res = await login(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
    }
  });

  test("an account hashed at an older cost is brought to today's cost at its next login, so every login costs the same", async () => {
    const { username, id } = await server.register('oldcost', 'old password 1');
    await UserModel.updateOne({ _id: id }, { $set: { passwordHash: await bcrypt.hash('old password 1', 5) } });
    expect(
      (await server.http('POST', '/api/auth/login', { body: { username, password: 'old password 1' } })).status,
    ).toBe(200);
    const stored = await UserModel.findById(id);
    expect(bcrypt.getRounds(stored!.passwordHash)).toBe(4);
    expect(await bcrypt.compare('old password 1', stored!.passwordHash)).toBe(true);
  });

  test('a wrong password and an unknown user are both 401 unauthorized', async () => {
    await register({ username: 'wrongpw', password: 'the right one' });
    for (const body of [
      { username: 'wrongpw', password: 'the wrong one' },
      { username: 'nobody_here', password: 'the right one' },
    ]) {
      const res = await login(body);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });
});

describe('tokens', () => {
  let account: { id: string; token: string };
  beforeAll(async () => {
    account = await server.register('tokens');
  });

  const now = () => Math.floor(Date.now() / 1000);
  const badTokens: [string, () => string | undefined][] = [
    ['missing', () => undefined],
    ['garbage', () => 'not.a.token'],
    [
      'tampered',
      () => {
        const [header, payload, signature] = account.token.split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        const forged = Buffer.from(JSON.stringify({ ...claims, sub: '0123456789abcdef01234567' })).toString(
          'base64url',
        );
        return `${header}.${forged}.${signature}`;
      },
    ],
    [
      'alg none',
      () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        const payload = Buffer.from(
          JSON.stringify({ sub: account.id, tv: 0, iss: 'stoa', iat: now(), exp: now() + 600 }),
        ).toString('base64url');
        return `${header}.${payload}.`;
      },
    ],
    [
      'signed with another secret',
      () =>
        jwt.sign({ tv: 0 }, 'another-secret-0123456789abcdef0123456789', {
          subject: account.id,
          issuer: 'stoa',
          expiresIn: 600,
        }),
    ],
    [
      'expired',
      () => jwt.sign({ tv: 0, exp: now() - 10, iat: now() - 100 }, SECRET, { subject: account.id, issuer: 'stoa' }),
    ],
    [
      'from the wrong issuer',
      () => jwt.sign({ tv: 0 }, SECRET, { subject: account.id, issuer: 'not-stoa', expiresIn: 600 }),
    ],
    [
      'signed as HS512',
      () => jwt.sign({ tv: 0 }, SECRET, { subject: account.id, issuer: 'stoa', expiresIn: 600, algorithm: 'HS512' }),
    ],
    ['never-expiring (no exp)', () => jwt.sign({ tv: 0 }, SECRET, { subject: account.id, issuer: 'stoa' })],
  ];

  test('a well-formed token made with the test secret is accepted (so the refusals below are about the defect)', async () => {
    const token = jwt.sign({ tv: 0 }, SECRET, { subject: account.id, issuer: 'stoa', expiresIn: 600 });
    expect((await server.http('GET', '/api/me', { token })).status).toBe(200);
    const socket = await server.connect(token);
    expect(socket.connected).toBe(true);
    socket.close();
  });

  test.each(badTokens)('a %s token is refused over HTTP', async (_case, make) => {
    const res = await server.http('GET', '/api/me', { token: make() });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  test.each(badTokens)('a %s token is refused at the socket handshake', async (_case, make) => {
    await expect(server.connect(make())).rejects.toThrow('unauthorized');
  });

  test('refresh issues a working token and does not revoke the old one, which lives until its own expiry', async () => {
    const res = await server.http('POST', '/api/auth/refresh', { token: account.token });
    expect(res.status).toBe(200);
    expect((await server.http('GET', '/api/me', { token: res.body.token })).status).toBe(200);
    expect((await server.http('GET', '/api/me', { token: account.token })).status).toBe(200);
  });

  test('a socket is disconnected when its token expires', async () => {
    const short = await startTestServer({ JWT_TTL: '1' });
    try {
      const res = await short.http('POST', '/api/auth/login', {
        body: { username: 'grace', password: 'password one' },
      });
      const socket = await short.connect(res.body.token);
      expect(await disconnected(socket, 2500)).toBe('io server disconnect');
    } finally {
      await short.close();
    }
  });
});

describe('logout', () => {
  test('kills every earlier token and disconnects the open sockets of the account', async () => {
    const account = await server.register('leaver');
    const second = (await login({ username: account.username, password: 'correct horse' })).body.token as string;
    const socketA = await server.connect(account.token);
    const socketB = await server.connect(second);
    const closedA = disconnected(socketA);
    const closedB = disconnected(socketB);

    const res = await server.http('POST', '/api/auth/logout', { token: account.token });
    expect(res.status).toBe(204);
    await expect(closedA).resolves.toBe('io server disconnect');
    await expect(closedB).resolves.toBe('io server disconnect');

    for (const token of [account.token, second]) {
      expect((await server.http('GET', '/api/me', { token })).status).toBe(401);
      await expect(server.connect(token)).rejects.toThrow('unauthorized');
    }
    const fresh = await login({ username: account.username, password: 'correct horse' });
    expect((await server.http('GET', '/api/me', { token: fresh.body.token })).status).toBe(200);
  });
});

describe('platform roles', () => {
  test('the bootstrap admin exists once and can change roles', async () => {
    expect(await UserModel.countDocuments({ username: 'root_admin', role: 'admin' })).toBe(1);
    const admin = await login({ username: 'root_admin', password: 'admin password' });
    const target = await server.register('promoted');
    const res = await server.http('PUT', `/api/users/${target.id}/role`, {
      token: admin.body.token,
      body: { role: 'moderator' },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.role).toBe('moderator');
    expect((await UserModel.findById(target.id))?.role).toBe('moderator');
  });

  test('a second start with the same BOOTSTRAP_ADMIN creates nobody new', async () => {
    const again = await startTestServer({ BOOTSTRAP_ADMIN: 'root_admin:another password' });
    await again.close();
    expect(await UserModel.countDocuments({ username: 'root_admin' })).toBe(1);
    expect((await login({ username: 'root_admin', password: 'admin password' })).status).toBe(200);
  });

  test('nobody but an admin changes roles, themselves included', async () => {
    const user = await server.register('climber');
    const moderator = await server.register('mod');
    await UserModel.updateOne({ _id: moderator.id }, { $set: { role: 'moderator' } });
    for (const actor of [user, moderator]) {
      const res = await server.http('PUT', `/api/users/${user.id}/role`, {
        token: actor.token,
        body: { role: 'admin' },
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect((await UserModel.findById(user.id))?.role).toBe('user');
  });

  test('an invalid role or user id is invalid_input', async () => {
    const admin = await login({ username: 'root_admin', password: 'admin password' });
    const target = await server.register('badrole');
    for (const [id, body] of [
      [target.id, { role: 'superuser' }],
      [target.id, { role: { $ne: null } }],
      ['not-an-id', { role: 'moderator' }],
    ] as const) {
      const res = await server.http('PUT', `/api/users/${id}/role`, { token: admin.body.token, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
    }
    expect((await UserModel.findById(target.id))?.role).toBe('user');
  });
});

describe('suspended accounts', () => {
  test('get 403 suspended at login, on every call and at the socket handshake', async () => {
    const account = await server.register('suspendee');
    await UserModel.updateOne(
      { _id: account.id },
      { $set: { suspended: { until: null, reason: 'spam', by: 'test' } } },
    );

    const res = await login({ username: account.username, password: 'correct horse' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('suspended');
    const me = await server.http('GET', '/api/me', { token: account.token });
    expect(me.status).toBe(403);
    expect(me.body.error.code).toBe('suspended');
    await expect(server.connect(account.token)).rejects.toThrow('suspended');
  });

  test('a suspension that has run out no longer counts', async () => {
    const account = await server.register('expired');
    await UserModel.updateOne(
      { _id: account.id },
      { $set: { suspended: { until: new Date(Date.now() - 1000), reason: 'spam', by: 'test' } } },
    );
    expect((await login({ username: account.username, password: 'correct horse' })).status).toBe(200);
  });
});

describe('the socket never falls over on client input', () => {
  test('unknown events, events without ack and odd payloads are dropped and counted; the socket stays open', async () => {
    const account = await server.register('fuzzer');
    const socket = await server.connect(account.token);
    const droppedBefore = await droppedEvents();

    (socket.emit as (...args: unknown[]) => void)('no:such:event', { x: 1 });
    (socket.emit as (...args: unknown[]) => void)('no:such:event', { x: 1 }, () => undefined);
    (socket.emit as (...args: unknown[]) => void)('chat:list', {});
    (socket.emit as (...args: unknown[]) => void)('chat:list');

    // An event that takes an ack still answers afterwards: the socket survived.
    const ack = await emitRaw(socket, 'chat:list', 'not an object');
    expect(ack).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(socket.connected).toBe(true);
    expect((await droppedEvents()) - droppedBefore).toBe(4);
  });

  test('a frame over 64 KiB closes only that socket', async () => {
    const big = await server.connect((await server.register('big')).token);
    const other = await server.connect((await server.register('other')).token);
    const closed = disconnected(big);
    (big.emit as (...args: unknown[]) => void)('chat:list', { padding: 'x'.repeat(70 * 1024) }, () => undefined);
    await expect(closed).resolves.toBe('transport close');
    expect(other.connected).toBe(true);
  });

  test('an Origin outside CORS_ORIGIN is refused; a listed one is accepted', async () => {
    const strict = await startTestServer({ CORS_ORIGIN: 'https://chat.example.com' });
    try {
      const account = await strict.register('origin');
      await expect(
        strict.connect(account.token, { extraHeaders: { origin: 'https://evil.example.com' } }),
      ).rejects.toThrow();
      const ok = await strict.connect(account.token, { extraHeaders: { origin: 'https://chat.example.com' } });
      expect(ok.connected).toBe(true);
    } finally {
      await strict.close();
    }
  });
});
