/**
 * Stoa's wire types (docs/ARCHITECTURE.md §11), each the `z.output` of its schema in
 * wire-schemas.ts, so a type and what the API documents say of it cannot differ. Clients import
 * them, with `ClientToServerEvents` derived from the operation table, from server/protocol.ts.
 */
import type { z } from 'zod';

import type { WireError } from './errors';
import type * as wire from './wire-schemas';

export type Id = string;
/** ISO 8601. */
export type Timestamp = string;

export type {
  ActionTargetType,
  AppealOutcome,
  AppealStatus,
  ActionType,
  ActorRole,
  CaseStatus,
  ChatRole,
  ChatType,
  ChatVisibility,
  MembershipStatus,
  PlatformRole,
  ReportReason,
  TargetType,
} from '../../models/vocabulary';
export type { WireError } from './errors';

/** An account as its owner (and platform staff) see it. */
export type UserView = z.output<typeof wire.userView>;
/** What anyone who shares a chat with a person (or platform staff) sees of them. */
export type PublicUserView = z.output<typeof wire.publicUserView>;
export type ChatView = z.output<typeof wire.chatView>;
/** One of my chats in `chat:list`: what a client needs to catch up on it. */
export type ChatListEntry = z.output<typeof wire.chatListEntry>;
export type MembershipView = z.output<typeof wire.membershipView>;
export type MessageView = z.output<typeof wire.messageView>;
/**
 * What stands in history for a message members may no longer see: its place in `seq`, nothing
 * of its content or author. Platform moderators see hidden messages in full instead.
 */
export type MessageTombstone = z.output<typeof wire.messageTombstone>;
/** One entry of history: a message, or a tombstone (no `text`). */
export type HistoryEntry = z.output<typeof wire.historyEntry>;
export type ReportView = z.output<typeof wire.reportView>;
export type CaseView = z.output<typeof wire.caseView>;
export type ActionView = z.output<typeof wire.actionView>;
export type JobView = z.output<typeof wire.jobView>;
/** A reported target as it is now, in `mod:case`; null once it no longer exists. */
export type CaseTarget = z.output<typeof wire.caseTarget>;

// Due process: what the people acted against are told and may contest.
/** A stored statement of reasons (DSA Art. 17). */
export type NoticeView = z.output<typeof wire.noticeView>;
/** A platform moderator's private note on an account. */
export type UserNoteView = z.output<typeof wire.userNoteView>;
export type AppealView = z.output<typeof wire.appealView>;

/** The ack callback of every client event: `{ok: true, ...result}` or `{ok: false, error}`. */
export type Ack<T> = (response: ({ ok: true } & T) | { ok: false; error: WireError }) => void;

/** Every server event and its payload (wire-schemas.ts `serverEvents`). */
export type ServerToClientEvents = {
  [E in keyof typeof wire.serverEvents]: (payload: z.output<(typeof wire.serverEvents)[E]>) => void;
};

/** Per-socket state the server keeps (socket.data). */
export interface SocketData {
  /** The account; its role and standing are read per event (the authorization cache), never kept here. */
  userId: Id;
  /** Token expiry, seconds since the epoch. */
  tokenExp: number;
}

export type ServerEventName = keyof ServerToClientEvents;
export type ServerEventPayload<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0];

/** Rooms: one per user (all their sockets), one per chat, one for platform moderators. */
export const rooms = {
  user: (userId: Id) => `user:${userId}`,
  chat: (chatId: Id) => `chat:${chatId}`,
  /** Where a closed chat's members' sockets wait, silent, until it is reopened. */
  closedChat: (chatId: Id) => `closed:${chatId}`,
  moderators: 'moderators',
} as const;
