import bcrypt from 'bcrypt';
import jwt from 'jsonwebtoken';
import { isId } from './store/db';

import type { PlatformRole } from '../models/vocabulary';
import { activeSuspension } from './policy/standing';
import { cacheKeys, cachedAccount, freshAccount, type SharedAccount } from './store/authorization-cache';
import * as chats from './store/chats';
import * as memberships from './store/memberships';
import * as users from './store/users';
import type { Context, Guest, Services } from './context';
import { StoaError } from './contract/errors';
import { rooms, type UserView } from './contract/protocol';
import { toUserView } from './views';

const ISSUER = 'stoa';
const ALGORITHM = 'HS256';

export interface TokenClaims {
  sub: string;
  /** The account's token version when issued; logout moves it on. */
  tv: number;
  exp: number;
}

export interface Session {
  user: UserView;
  token: string;
}

export function issueToken(services: Services, user: SharedAccount): string {
  return jwt.sign({ tv: user.tokenVersion }, services.jwtKey, {
    algorithm: ALGORITHM,
    issuer: ISSUER,
    subject: user.id,
    expiresIn: services.jwtTtlSec,
  });
}

/**
 * The user a token speaks for, re-read from the database: refused when the token
 * is bad, expired, issued before a logout, or the account is suspended.
 */
export async function authenticate(services: Services, token: unknown): Promise<{ user: SharedAccount; exp: number }> {
  const claims = verifyToken(services, token);
  return { user: await accountOf(claims), exp: claims.exp };
}

/** The claims of a well-signed, unexpired token of ours; no database read. */
export function verifyToken(services: Services, token: unknown): TokenClaims {
  if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw new StoaError('unauthorized');
  let claims: TokenClaims;
  try {
    claims = jwt.verify(token, services.jwtKey, { algorithms: [ALGORITHM], issuer: ISSUER }) as TokenClaims;
  } catch {
    throw new StoaError('unauthorized');
  }
  // jsonwebtoken accepts a token without `exp` as never expiring; Stoa issues none such and takes none.
  if (
    typeof claims.sub !== 'string' ||
    !isId(claims.sub) ||
    typeof claims.tv !== 'number' ||
    typeof claims.exp !== 'number'
  ) {
    throw new StoaError('unauthorized');
  }
  return claims;
}

/**
 * The account a token speaks for, re-read (and remembered, so that a new socket's first event
 * reads nothing): refused when it is gone, logged out since, or suspended (unless `allowSuspended`).
 */
export async function accountOf(claims: TokenClaims, { allowSuspended = false } = {}): Promise<SharedAccount> {
  const user = await freshAccount(claims.sub);
  if (!user || user.tokenVersion !== claims.tv) throw new StoaError('unauthorized');
  if (!allowSuspended) assertNotSuspended(user);
  return user;
}

/** The account behind an open socket, for one event: refused once it is gone or suspended. */
export async function currentUser(userId: string): Promise<SharedAccount> {
  const user = await cachedAccount(userId);
  if (!user) throw new StoaError('unauthorized');
  assertNotSuspended(user);
  return user;
}

/** The rooms a new socket joins: its account's, each chat it is an active member of, and the moderators' for staff. */
export async function connectionRooms(user: SharedAccount): Promise<string[]> {
  const chatIds = await memberships.activeChatIds(user._id);
  // A closed chat's members wait in its silent room, to be moved back if it is reopened.
  const closed = await chats.closedAmong(chatIds);
  const joined = [
    rooms.user(user.id),
    ...chatIds.map((chatId) => (closed.has(chatId.toString()) ? rooms.closedChat : rooms.chat)(chatId.toString())),
  ];
  if (user.role === 'moderator' || user.role === 'admin') joined.push(rooms.moderators);
  return joined;
}

export function assertNotSuspended(user: Pick<users.User, 'suspended'>): void {
  const suspension = activeSuspension(user);
  if (suspension) {
    const until = suspension.until ? ` until ${suspension.until.toISOString()}` : '';
    throw new StoaError('suspended', `This account is suspended${until}: ${suspension.reason}`);
  }
}

export async function register(
  { services }: Context<Guest>,
  input: { username: string; password: string; displayName?: string | undefined },
): Promise<Session> {
  const passwordHash = await bcrypt.hash(input.password, services.bcryptRounds);
  const user = await users.create({
    username: input.username,
    passwordHash,
    displayName: input.displayName ?? input.username,
  });
  if (!user) throw new StoaError('conflict', 'That username is taken.');
  return { user: toUserView(user), token: issueToken(services, user) };
}

// Compared against when the username does not exist, so a miss costs as much as a wrong password.
let dummyHash: Promise<string> | undefined;

/** Checks a username and password; throws `unauthorized` on either being wrong and `suspended` after a right one. */
export async function verifyCredentials(
  services: Services,
  input: { username: string; password: string },
): Promise<users.UserDocument> {
  const user = await users.byUsername(input.username);
  const hash = user?.passwordHash ?? (await (dummyHash ??= bcrypt.hash('not a password', services.bcryptRounds)));
  const matches = await bcrypt.compare(input.password, hash);
  if (!user || !matches) throw new StoaError('unauthorized', 'Wrong username or password.');
  // A hash made at another cost (BCRYPT_ROUNDS changed since) would make this account's logins take
  // another time than everyone else's, unknown names included: it is brought to today's cost.
  if (bcrypt.getRounds(user.passwordHash) !== services.bcryptRounds) {
    const passwordHash = await bcrypt.hash(input.password, services.bcryptRounds);
    await users.setPasswordHash(user._id, passwordHash);
    await services.realtime.invalidate([cacheKeys.account(user.id)]);
  }
  return user;
}

/**
 * Login behind the brute-force limits: a blocked username+IP pair (or IP) is refused before the
 * password is even compared, so the right password does not get through a block either.
 */
export async function login(
  { services, caller }: Context<Guest>,
  input: { username: string; password: string },
): Promise<Session> {
  const { ip } = caller;
  await services.limits.checkLogin(input.username, ip);
  const user = await verifyCredentials(services, input).catch(async (err: unknown) => {
    if (err instanceof StoaError && err.code === 'unauthorized') await services.limits.loginFailed(input.username, ip);
    throw err;
  });
  // The password was right: that ends a run of failures, even for a suspended account.
  await services.limits.loginSucceeded(input.username, ip);
  assertNotSuspended(user);
  return { user: toUserView(user), token: issueToken(services, user) };
}

export function me({ caller }: Context): { user: UserView } {
  return { user: toUserView(caller.user) };
}

export function refresh({ services, caller }: Context): { token: string } {
  return { token: issueToken(services, caller.user) };
}

/** Every token issued before now stops working, and every open socket of the account is closed. */
export async function logout({ services, caller }: Context): Promise<Record<string, never>> {
  await users.revokeTokens(caller.user._id, caller.user.tokenVersion);
  await services.realtime.invalidate([cacheKeys.account(caller.user.id)]);
  await services.realtime.disconnect(rooms.user(caller.user.id));
  return {};
}

export async function setRole(
  { services, caller }: Context,
  input: { userId: string; role: PlatformRole },
): Promise<{ user: UserView }> {
  const user = await users.setRole(input.userId, input.role);
  if (!user) throw new StoaError('not_found', 'No such user.');
  await services.realtime.invalidate([cacheKeys.account(user.id)]);
  // Open sockets follow the new role: moderators and admins are in the moderators room.
  if (input.role === 'user' || input.role === 'trusted_flagger')
    await services.realtime.leave(rooms.user(user.id), rooms.moderators);
  else await services.realtime.join(rooms.user(user.id), rooms.moderators);
  services.log.info({ actorId: caller.user.id, userId: user.id, role: input.role }, 'platform role changed');
  return { user: toUserView(user) };
}

/** Creates the BOOTSTRAP_ADMIN account once; an existing account of that name is left alone. */
export async function bootstrapAdmin(services: Services, admin: { username: string; password: string }): Promise<void> {
  if (await users.usernameTaken(admin.username)) return;
  const passwordHash = await bcrypt.hash(admin.password, services.bcryptRounds);
  if (await users.create({ username: admin.username, passwordHash, displayName: admin.username, role: 'admin' })) {
    services.log.info({ username: admin.username }, 'bootstrap admin created');
  }
}
