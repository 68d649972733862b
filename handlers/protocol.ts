/**
 * Stoa's wire contract (DESIGN.md section 5) as TypeScript types. A TypeScript
 * client gets the whole protocol by importing this module:
 *
 *   import { io, Socket } from 'socket.io-client';
 *   import type { ClientToServerEvents, ServerToClientEvents } from 'stoa/handlers/protocol';
 *   const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { auth: { token } });
 */
import type { z } from 'zod';

import type { ActionType, ActorRole, CaseStatus, ChatRole, ChatType, ChatVisibility, MembershipStatus, PlatformRole, ReportReason, TargetType } from '../models/vocabulary';
import type { WireError } from './errors';
import type * as schemas from './schemas';

export type Id = string;
/** ISO 8601. */
export type Timestamp = string;

export type { ActionType, ActorRole, CaseStatus, ChatRole, ChatType, ChatVisibility, MembershipStatus, PlatformRole, ReportReason, TargetType } from '../models/vocabulary';

export interface UserView {
  id: Id;
  username: string;
  displayName: string;
  role: PlatformRole;
  createdAt: Timestamp;
}

export interface ChatView {
  id: Id;
  type: ChatType;
  title: string;
  description: string;
  visibility: ChatVisibility;
  ownerId: Id;
  slowModeSec: number;
  memberCount: number;
  createdAt: Timestamp;
  /** In `chat:list` and `chat:join`: the caller's role. */
  role?: ChatRole;
}

export interface MembershipView {
  chatId: Id;
  userId: Id;
  role: ChatRole;
  status: MembershipStatus;
  bannedUntil: Timestamp | null;
  /** A mute with `mutedUntil` null lasts until lifted. */
  muted: boolean;
  mutedUntil: Timestamp | null;
  joinedAt: Timestamp;
}

export interface MessageView {
  id: Id;
  chatId: Id;
  seq: number;
  senderId: Id;
  text: string;
  createdAt: Timestamp;
  editedAt?: Timestamp;
  /** Platform moderators only. */
  hidden?: { at: Timestamp; by: string; reason: string };
}

export interface ReportView {
  id: Id;
  targetType: TargetType;
  targetId: Id;
  chatId?: Id;
  reason: ReportReason;
  comment?: string;
  status: CaseStatus;
  createdAt: Timestamp;
  /** Platform moderators only: chat admins never learn who reported. */
  reporterId?: Id;
  evidence?: { text?: string; senderId?: Id; seq?: number; chatId?: Id; username?: string; title?: string };
}

export interface CaseView {
  id: Id;
  targetType: TargetType;
  targetId: Id;
  chatId?: Id;
  reportCount: number;
  reasons: Partial<Record<ReportReason, number>>;
  priority: number;
  status: CaseStatus;
  firstReportedAt: Timestamp;
  lastReportedAt: Timestamp;
}

export interface ActionView {
  id: Id;
  type: ActionType;
  actorRole: ActorRole;
  /** Platform moderators only (and `system` when automatic): the people acted against and chat admins see `actorRole`. */
  actorId?: string;
  targetType: TargetType | 'case';
  targetId: Id;
  chatId?: Id;
  reason: string;
  caseId?: Id;
  durationSec?: number;
  until?: Timestamp;
  createdAt: Timestamp;
}

/** A reported target as it is now, in `mod:case`; null once it no longer exists. */
export type CaseTarget =
  | { type: 'message'; message: MessageView; deletedAt: Timestamp | null }
  | { type: 'user'; user: UserView; suspended: { until: Timestamp | null; reason: string } | null }
  | { type: 'chat'; chat: ChatView }
  | null;

export type Ack<T> = (response: ({ ok: true } & T) | { ok: false; error: WireError }) => void;
type Empty = Record<string, never>;
/** What a client sends for an event: exactly what its schema (handlers/schemas.ts) accepts. */
type In<S extends z.ZodType> = z.input<S>;

export interface ClientToServerEvents {
  'chat:create': (input: In<typeof schemas.chatCreateInput>, ack: Ack<{ chat: ChatView }>) => void;
  'chat:join': (input: In<typeof schemas.chatJoinInput>, ack: Ack<{ chat: ChatView; membership: MembershipView }>) => void;
  'chat:leave': (input: In<typeof schemas.chatIdInput>, ack: Ack<Empty>) => void;
  'chat:list': (input: In<typeof schemas.emptyInput>, ack: Ack<{ chats: ChatView[] }>) => void;
  'chat:invite': (input: In<typeof schemas.chatIdInput>, ack: Ack<{ inviteCode: string }>) => void;
  'chat:update': (input: In<typeof schemas.chatUpdateInput>, ack: Ack<{ chat: ChatView }>) => void;
  'chat:promote': (input: In<typeof schemas.chatPromoteInput>, ack: Ack<{ membership: MembershipView }>) => void;
  'typing:start': (input: In<typeof schemas.chatIdInput>, ack: Ack<Empty>) => void;
  'message:send': (input: In<typeof schemas.messageSendInput>, ack: Ack<{ message: MessageView }>) => void;
  'message:history': (input: In<typeof schemas.messageHistoryInput>, ack: Ack<{ messages: MessageView[]; hasMore: boolean }>) => void;
  'message:delete': (input: In<typeof schemas.messageIdInput>, ack: Ack<Empty>) => void;
  'report:create': (input: In<typeof schemas.reportCreateInput>, ack: Ack<{ report: ReportView }>) => void;
  'mod:cases': (input: In<typeof schemas.caseListInput>, ack: Ack<{ cases: CaseView[] }>) => void;
  'mod:case': (input: In<typeof schemas.caseIdInput>, ack: Ack<{ case: CaseView; reports: ReportView[]; target: CaseTarget }>) => void;
  'mod:hide': (input: In<typeof schemas.hideInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:unhide': (input: In<typeof schemas.hideInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:ban': (input: In<typeof schemas.banInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:unban': (input: In<typeof schemas.unbanInput>, ack: Ack<{ action: ActionView }>) => void;
  /** Without `durationSec` the mute lasts until `mod:unmute`. */
  'mod:mute': (input: In<typeof schemas.muteInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:unmute': (input: In<typeof schemas.unmuteInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:dismiss': (input: In<typeof schemas.dismissInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:log': (input: In<typeof schemas.logInput>, ack: Ack<{ actions: ActionView[] }>) => void;
}

export interface ServerToClientEvents {
  'message:new': (payload: { message: MessageView }) => void;
  'message:hidden': (payload: { chatId: Id; messageId: Id; seq: number }) => void;
  'message:unhidden': (payload: { message: MessageView }) => void;
  'message:deleted': (payload: { chatId: Id; messageId: Id; seq: number }) => void;
  /** Groups only; ephemeral. */
  typing: (payload: { chatId: Id; userId: Id }) => void;
  'member:joined': (payload: { chatId: Id; userId: Id }) => void;
  'member:left': (payload: { chatId: Id; userId: Id }) => void;
  'member:banned': (payload: { chatId: Id; userId: Id; until: Timestamp | null }) => void;
  'member:muted': (payload: { chatId: Id; userId: Id; until: Timestamp | null }) => void;
  'chat:removed': (payload: { chatId: Id; reason: string }) => void;
  'account:suspended': (payload: { reason: string; until: Timestamp | null }) => void;
  'report:new': (payload: { case: CaseView }) => void;
  'mod:action': (payload: { action: ActionView }) => void;
  'report:resolved': (payload: { reportId: Id; caseId: Id; outcome: 'actioned' | 'dismissed' }) => void;
  'moderation:notice': (payload: { action: ActionView }) => void;
  /** Sent before a graceful shutdown closes the socket; reconnect to another node or later. */
  'server:shutdown': (payload: { reason: string }) => void;
  /**
   * Sent just before the server closes this socket for a reason the client must act on:
   * `rate_limited` when it kept sending past its event budget; reconnect after `retryAfterMs`.
   */
  'connection:closed': (payload: { code: 'rate_limited'; message: string; retryAfterMs: number }) => void;
}

/** Per-socket state the server keeps (socket.data). */
export interface SocketData {
  userId: Id;
  role: PlatformRole;
  /** Token expiry, seconds since the epoch. */
  tokenExp: number;
}

export type ClientEventName = keyof ClientToServerEvents;
export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

/** Rooms: one per user (all their sockets), one per chat, one for platform moderators. */
export const rooms = {
  user: (userId: Id) => `user:${userId}`,
  chat: (chatId: Id) => `chat:${chatId}`,
  moderators: 'moderators',
} as const;
