/**
 * Stoa's wire contract (docs/ARCHITECTURE.md §11) as TypeScript types. A TypeScript
 * client gets the whole protocol by importing this module:
 *
 *   import { io, Socket } from 'socket.io-client';
 *   import type { ClientToServerEvents, ServerToClientEvents } from 'stoa/handlers/protocol';
 *   const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { auth: { token } });
 */
import type { z } from 'zod';

import type { ActionTargetType, AppealStatus, ActionType, ActorRole, CaseStatus, ChatRole, ChatType, ChatVisibility, MembershipStatus, PlatformRole, ReportReason, TargetType } from '../../models/vocabulary';
import type { WireError } from './errors';
import type * as schemas from './schemas';

export type Id = string;
/** ISO 8601. */
export type Timestamp = string;

export type { ActionTargetType, AppealOutcome, AppealStatus, ActionType, ActorRole, CaseStatus, ChatRole, ChatType, ChatVisibility, MembershipStatus, PlatformRole, ReportReason, TargetType } from '../../models/vocabulary';

export interface UserView {
  id: Id;
  username: string;
  displayName: string;
  role: PlatformRole;
  createdAt: Timestamp;
}

/** What anyone who shares a chat with a person (or platform staff) sees of them. */
export interface PublicUserView {
  id: Id;
  username: string;
  displayName: string;
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

/** One of my chats in `chat:list`: what a client needs to catch up on it. */
export interface ChatListEntry extends ChatView {
  role: ChatRole;
  /** The seq of the chat's latest message; 0 when it has none. */
  lastSeq: number;
  /** The latest message, or its tombstone when it was deleted or hidden; null when the chat has none. */
  lastMessage: HistoryEntry | null;
  /** My read position (`chat:read`); 0 until I mark one. */
  readSeq: number;
  /** `lastSeq - readSeq`: tombstones and my own messages count until I mark them read. */
  unreadCount: number;
  /** A mute with `mutedUntil` null lasts until lifted. */
  muted: boolean;
  mutedUntil: Timestamp | null;
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
  /** In `mod:case` only: the earlier texts, oldest first, each with when it was replaced. */
  edits?: Array<{ text: string; editedAt: Timestamp }>;
}

/**
 * What stands in history for a message members may no longer see: its place in `seq`, nothing
 * of its content or author. Platform moderators see hidden messages in full instead.
 */
export type MessageTombstone = { id: Id; chatId: Id; seq: number; deleted: true } | { id: Id; chatId: Id; seq: number; hidden: true };
/** One entry of history: a message, or a tombstone (no `text`). */
export type HistoryEntry = MessageView | MessageTombstone;

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
  /** Sum of the reports' weights in established-reporter units: what automatic hiding compares with its threshold. */
  weight: number;
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
  targetType: ActionTargetType;
  targetId: Id;
  chatId?: Id;
  reason: string;
  caseId?: Id;
  durationSec?: number;
  until?: Timestamp;
  createdAt: Timestamp;
}

// Due process: what the people acted against are told and may contest.
/** A stored statement of reasons (DSA Art. 17). */
export interface NoticeView {
  id: Id;
  actionId: Id;
  actionType: ActionType;
  /** The level that acted, never a moderator's id. */
  actorRole: ActorRole;
  targetType: ActionTargetType;
  targetId: Id;
  chatId?: Id;
  reason: string;
  /** The gravest reason reported, when the action decided a case. */
  reasonCategory: ReportReason | null;
  automatic: boolean;
  until: Timestamp | null;
  appeal: { appealable: boolean; deadline: Timestamp | null };
  createdAt: Timestamp;
  readAt: Timestamp | null;
}

/** A platform moderator's private note on an account. */
export interface UserNoteView {
  id: Id;
  userId: Id;
  authorId: Id;
  text: string;
  createdAt: Timestamp;
}

export interface AppealView {
  id: Id;
  actionId: Id;
  actionType: ActionType;
  chatId?: Id;
  text: string;
  status: AppealStatus;
  createdAt: Timestamp;
  decidedAt: Timestamp | null;
  decisionReason: string | null;
  /** Platform moderators only. */
  appellantId?: Id;
  /** In `mod:appeals`: the action appealed, with who took it. */
  action?: ActionView;
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
  /** Newest chat first (by chat id), `limit` (default and at most 100) per page. */
  'chat:list': (input: In<typeof schemas.chatListInput>, ack: Ack<{ chats: ChatListEntry[]; hasMore: boolean }>) => void;
  /** Public chats whose title has a word starting with each word of `q`, newest first. */
  'chat:search': (input: In<typeof schemas.chatSearchInput>, ack: Ack<{ chats: ChatView[]; hasMore: boolean }>) => void;
  /** Moves my read position forward; a lower seq changes nothing and acks the stored one. */
  'chat:read': (input: In<typeof schemas.chatReadInput>, ack: Ack<{ chatId: Id; seq: number }>) => void;
  'chat:invite': (input: In<typeof schemas.chatIdInput>, ack: Ack<{ inviteCode: string }>) => void;
  'chat:update': (input: In<typeof schemas.chatUpdateInput>, ack: Ack<{ chat: ChatView }>) => void;
  'chat:promote': (input: In<typeof schemas.chatPromoteInput>, ack: Ack<{ membership: MembershipView }>) => void;
  'typing:start': (input: In<typeof schemas.chatIdInput>, ack: Ack<Empty>) => void;
  'message:send': (input: In<typeof schemas.messageSendInput>, ack: Ack<{ message: MessageView }>) => void;
  /** Gap-free in `seq`: deleted and hidden messages come as tombstones. */
  'message:history': (input: In<typeof schemas.messageHistoryInput>, ack: Ack<{ messages: HistoryEntry[]; hasMore: boolean }>) => void;
  'message:edit': (input: In<typeof schemas.messageEditInput>, ack: Ack<{ message: MessageView }>) => void;
  /** Groups only: how many members have read up to `seq` or beyond. */
  'message:reads': (input: In<typeof schemas.messageReadsInput>, ack: Ack<{ count: number }>) => void;
  /** Public profiles of the people I share a chat with (staff: anyone); other ids are left out. */
  'users:get': (input: In<typeof schemas.usersGetInput>, ack: Ack<{ users: PublicUserView[] }>) => void;
  'message:delete': (input: In<typeof schemas.messageIdInput>, ack: Ack<Empty>) => void;
  'report:create': (input: In<typeof schemas.reportCreateInput>, ack: Ack<{ report: ReportView }>) => void;
  'mod:cases': (input: In<typeof schemas.caseListInput>, ack: Ack<{ cases: CaseView[] }>) => void;
  /** `notes`: platform moderators only, the notes on the account the case is about. */
  'mod:case': (input: In<typeof schemas.caseIdInput>, ack: Ack<{ case: CaseView; reports: ReportView[]; target: CaseTarget; notes?: UserNoteView[] }>) => void;
  'mod:hide': (input: In<typeof schemas.hideInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:unhide': (input: In<typeof schemas.hideInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:ban': (input: In<typeof schemas.banInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:unban': (input: In<typeof schemas.unbanInput>, ack: Ack<{ action: ActionView }>) => void;
  /** Without `durationSec` the mute lasts until `mod:unmute`. */
  'mod:mute': (input: In<typeof schemas.muteInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:unmute': (input: In<typeof schemas.unmuteInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:dismiss': (input: In<typeof schemas.dismissInput>, ack: Ack<{ action: ActionView }>) => void;
  'mod:log': (input: In<typeof schemas.logInput>, ack: Ack<{ actions: ActionView[] }>) => void;

  // Due process: statements of reasons, my reports, appeals.
  /** My statements of reasons, newest first. */
  'notices:list': (input: In<typeof schemas.noticeListInput>, ack: Ack<{ notices: NoticeView[]; hasMore: boolean }>) => void;
  /** Marks my notices read; ids that are not mine or already read are left alone. */
  'notices:read': (input: In<typeof schemas.noticeReadInput>, ack: Ack<{ read: number }>) => void;
  /** The reports I filed, newest first, each with its outcome (`status`). */
  'reports:mine': (input: In<typeof schemas.myReportsInput>, ack: Ack<{ reports: ReportView[]; hasMore: boolean }>) => void;
  'appeal:create': (input: In<typeof schemas.appealCreateInput>, ack: Ack<{ appeal: AppealView }>) => void;
  /** Platform moderators: appeals, oldest first, leaving out those on their own actions and their own appeals. */
  'mod:appeals': (input: In<typeof schemas.appealListInput>, ack: Ack<{ appeals: AppealView[] }>) => void;
  /** One appeal a platform moderator may decide, with what it acted on as it is now (a message read this way is audited). */
  'mod:appeal-get': (input: In<typeof schemas.appealIdInput>, ack: Ack<{ appeal: AppealView; target: CaseTarget }>) => void;
  'mod:appeal-decide': (input: In<typeof schemas.appealDecideInput>, ack: Ack<{ appeal: AppealView }>) => void;
  /** Platform moderators: a private note on an account (at most 2000 characters). */
  'mod:note-add': (input: In<typeof schemas.noteAddInput>, ack: Ack<{ note: UserNoteView }>) => void;
  /** Platform moderators: the notes on an account, newest first; each read is audited. */
  'mod:notes': (input: In<typeof schemas.userIdInput>, ack: Ack<{ notes: UserNoteView[] }>) => void;
}

export interface ServerToClientEvents {
  'message:new': (payload: { message: MessageView }) => void;
  'message:hidden': (payload: { chatId: Id; messageId: Id; seq: number }) => void;
  'message:unhidden': (payload: { message: MessageView }) => void;
  'message:deleted': (payload: { chatId: Id; messageId: Id; seq: number }) => void;
  'message:edited': (payload: { message: MessageView }) => void;
  /** To my own sockets: I read a chat up to `seq` (elsewhere). */
  'chat:read': (payload: { chatId: Id; seq: number }) => void;
  /** To the members of the person's chats, and to the person: a profile changed. */
  'user:updated': (payload: { user: PublicUserView }) => void;
  /** Groups only; ephemeral: show it for about 5 s unless it comes again. */
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
  /** The statement of reasons, live; the same `notice` is stored and listed by `notices:list`. */
  'moderation:notice': (payload: { action: ActionView; notice: NoticeView }) => void;
  // Due process.
  /** On connection, when I have unread statements of reasons: all of them (up to 100), oldest first. */
  'notices:unread': (payload: { notices: NoticeView[] }) => void;
  /** To the appellant: their appeal was decided. */
  'appeal:decided': (payload: { appeal: AppealView }) => void;
  /**
   * To platform moderators, in their `mod:appeals` view, when an appeal is filed and when it is decided;
   * never to the one who took the action appealed, nor to the appellant.
   */
  'mod:appeal': (payload: { appeal: AppealView }) => void;
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
  /** The account; its role and standing are read per event (the authorization cache), never kept here. */
  userId: Id;
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
