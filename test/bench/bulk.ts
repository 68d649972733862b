/**
 * What the benchmarks of large chats, takedowns and several nodes share: no rate limit in the
 * way, accounts and memberships written in bulk, the descriptor limit, a CPU profile on demand.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

import bcrypt from 'bcrypt';
import { Types } from 'mongoose';

import { issueToken } from '../../handlers/auth';
import type { Services } from '../../handlers/context';
import { newMembership } from '../../handlers/store/memberships';
import { ChatModel, MembershipModel, UserModel } from '../../models';
import type { ChatRole } from '../../models/vocabulary';

/** Every limiter a benchmark's clients would run into, raised out of reach. */
export const UNLIMITED_RATES = {
  RATE_JOINS: '1000000/1s',
  RATE_CONNECTIONS: '1000000/1s',
  RATE_MESSAGES: '1000000/1s',
  RATE_HISTORY: '1000000/1s',
  RATE_SOCKET_EVENTS: '1000000/1s',
  RATE_HTTP_REQUESTS: '1000000/1s',
  RATE_CHAT_CREATIONS: '1000000/1s',
  RATE_MODERATION_READS: '1000000/1s',
};

export interface Account {
  id: string;
  token: string;
}

/** Documents per insertMany when filling the database. */
const BULK_BATCH = 5_000;

/**
 * Accounts written in bulk through the model (one bcrypt hash shared by all), each with a token as
 * a login issues it: registering thousands over HTTP would take minutes and measure nothing here.
 */
export async function createAccounts(
  services: Pick<Services, 'jwtKey' | 'jwtTtlSec'>,
  count: number,
  prefix: string,
  role: (i: number) => 'user' | 'moderator' = () => 'user',
): Promise<Account[]> {
  const passwordHash = await bcrypt.hash('bench password', 4);
  const accounts: Account[] = [];
  for (let start = 0; start < count; start += 1000) {
    const docs = await UserModel.insertMany(
      Array.from({ length: Math.min(1000, count - start) }, (_, k) => {
        const username = `${prefix}${start + k}`;
        return { username, passwordHash, displayName: username, role: role(start + k) };
      }),
    );
    for (const doc of docs) accounts.push({ id: doc.id as string, token: issueToken(services as Services, doc) });
  }
  return accounts;
}

/** Active members written through the driver, each row as a join writes it; the chat's count moves with them. */
export async function addMembers(
  chatId: string | Types.ObjectId,
  userIds: Array<string | Types.ObjectId>,
  role: ChatRole = 'member',
): Promise<void> {
  const chat = new Types.ObjectId(chatId);
  for (let start = 0; start < userIds.length; start += BULK_BATCH) {
    const batch = userIds.slice(start, start + BULK_BATCH).map((userId) => newMembership(chat, userId, role));
    await MembershipModel.collection.insertMany(batch, { ordered: false });
  }
  await ChatModel.collection.updateOne({ _id: chat }, { $inc: { memberCount: userIds.length } });
}

/** `count` members with no account behind them. */
export const strangers = (count: number): Types.ObjectId[] => Array.from({ length: count }, () => new Types.ObjectId());

/** Open descriptors this process may hold (`ulimit -n`), and the limit as the shell says it. */
export function descriptorLimit(): { limit: number; said: string } {
  const said = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  return { limit: said === 'unlimited' ? Infinity : Number(said), said };
}

/** Runs `work` with this process's CPU profiled, written to `dir` as `<name>.cpuprofile`. */
export async function profiled<T>(dir: string, name: string, work: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: object };
    const file = path.join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    console.log(`(CPU profile of the server over the ${name}: ${file})`);
    session.disconnect();
  }
}
