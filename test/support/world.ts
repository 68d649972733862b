/** Builders for the people, chats and messages that scenarios need, on a test server or on any node (StoaClient). */
import { Types } from 'mongoose';

import { ChatModel, MembershipModel, UserModel, type PlatformRole } from '../../models';
import type { ChatView, HistoryEntry, MessageView } from '../../handlers/contract/protocol';
import { emit, type ClientSocket, type ConnectOptions, type StoaClient } from './harness';

export interface Person {
  id: string;
  username: string;
  token: string;
  socket: ClientSocket;
}

/** How old an established account is in scenarios: well past REPORT_TRUST_MIN_AGE (7 days). */
export const ESTABLISHED_AGE_MS = 30 * 86_400_000;

export interface PersonOptions {
  /** The account was registered ESTABLISHED_AGE_MS ago, as a clock would have it, so its reports weigh in full. */
  established?: boolean;
  /** The socket comes from this client address (X-Forwarded-For, which test servers trust from loopback), so per-IP limits and blocks stay apart. */
  ip?: string;
  /** The socket's transports (websocket only unless told). */
  transports?: ConnectOptions['transports'];
}

/** Registers and connects someone; a platform role is set before the socket connects, as an admin would. */
export async function person(
  server: StoaClient,
  prefix: string,
  role: PlatformRole = 'user',
  options: PersonOptions = {},
): Promise<Person> {
  const account = await server.register(prefix);
  if (role !== 'user') await UserModel.updateOne({ _id: account.id }, { $set: { role } });
  if (options.established)
    await UserModel.updateOne({ _id: account.id }, { $set: { createdAt: new Date(Date.now() - ESTABLISHED_AGE_MS) } });
  const extraHeaders = options.ip === undefined ? undefined : { 'x-forwarded-for': options.ip };
  return { ...account, socket: await server.connect(account.token, { extraHeaders, transports: options.transports }) };
}

/** A person whose account is old enough to report with full weight. */
export const established = (server: StoaClient, prefix: string, role: PlatformRole = 'user'): Promise<Person> =>
  person(server, prefix, role, { established: true });

export async function createChat(
  owner: Person,
  type: 'group' | 'channel',
  members: Person[] = [],
  admins: Person[] = [],
): Promise<ChatView> {
  const created = await emit(owner.socket, 'chat:create', { type, title: `${type} ${owner.username}` });
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  for (const member of [...members, ...admins]) await join(member, created.chat.id);
  for (const admin of admins) {
    const promoted = await emit(owner.socket, 'chat:promote', {
      chatId: created.chat.id,
      userId: admin.id,
      role: 'admin',
    });
    if (!promoted.ok) throw new Error(JSON.stringify(promoted.error));
  }
  return created.chat;
}

export async function join(member: Person, chatId: string): Promise<void> {
  const joined = await emit(member.socket, 'chat:join', { chatId });
  if (!joined.ok) throw new Error(JSON.stringify(joined.error));
}

/** Sends a message and resolves with its ack, refused or not. */
export function send(author: Person, chatId: string, text: string) {
  return emit(author.socket, 'message:send', { chatId, text, clientMsgId: `${Date.now()}-${Math.random()}` });
}

/** Sends a message that must be stored, and resolves with it. */
export async function post(
  author: Person,
  chatId: string,
  text = `hello from ${author.username}`,
): Promise<MessageView> {
  const ack = await send(author, chatId, text);
  if (!ack.ok) throw new Error(JSON.stringify(ack.error));
  return ack.message;
}

export async function report(
  reporter: Person,
  targetType: 'message' | 'user' | 'chat',
  targetId: string,
  reason: Parameters<typeof emit<'report:create'>>[2]['reason'] = 'spam',
) {
  const ack = await emit(reporter.socket, 'report:create', { targetType, targetId, reason });
  if (!ack.ok) throw new Error(JSON.stringify(ack.error));
  return ack.report;
}

/** Unwraps a successful ack, failing the test with the error otherwise. */
export function ok<T extends { ok: boolean }>(ack: T): Extract<T, { ok: true }> {
  if (!ack.ok) throw new Error(`expected ok, got ${JSON.stringify(ack)}`);
  return ack as Extract<T, { ok: true }>;
}

/** History entries that must all be messages (no tombstones), typed as messages. */
export function asMessages(entries: HistoryEntry[]): MessageView[] {
  const tombstones = entries.filter((entry) => !('text' in entry));
  if (tombstones.length > 0) throw new Error(`expected messages, got tombstones ${JSON.stringify(tombstones)}`);
  return entries as MessageView[];
}

/**
 * A channel of `size` members whose other members are written in bulk (as a chat that grew over
 * months would be), its kept count set to match; returns its id.
 */
export async function bulkChannel(owner: Person, size: number): Promise<string> {
  const chat = await createChat(owner, 'channel');
  const rows = Array.from({ length: size - 1 }, () => ({
    chatId: new Types.ObjectId(chat.id),
    userId: new Types.ObjectId(),
    role: 'member',
    status: 'active',
  }));
  await MembershipModel.insertMany(rows);
  await ChatModel.updateOne({ _id: chat.id }, { $set: { memberCount: size } });
  return chat.id;
}
