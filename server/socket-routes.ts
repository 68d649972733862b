/** Every client event: its input schema and the one handler it calls. */
import type { z } from 'zod';

import * as chats from '../handlers/chats';
import type { Caller, LimiterName, Services } from '../handlers/context';
import * as messages from '../handlers/messages';
import * as moderation from '../handlers/moderation';
import type { ClientEventName, ClientToServerEvents } from '../handlers/protocol';
import * as reports from '../handlers/reports';
import * as schemas from './schemas';

type AckArgument<E extends ClientEventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
export type AckResult<E extends ClientEventName> = Omit<Extract<AckArgument<E>, { ok: true }>, 'ok'>;

export interface SocketRoute<E extends ClientEventName = ClientEventName, S extends z.ZodType = z.ZodType> {
  event: E;
  schema: S;
  /**
   * Counted per user right after validation, before any database read, so that a
   * flood is refused at almost no cost (and refused events store and relay nothing).
   */
  limiter?: LimiterName;
  handle(services: Services, caller: Caller, input: z.output<S>): Promise<AckResult<E>> | AckResult<E>;
}

/** Declares one route, with its input type inferred from the schema. */
function route<E extends ClientEventName, S extends z.ZodType>(event: E, definition: Omit<SocketRoute<E, S>, 'event'>): SocketRoute {
  return { event, ...definition } as unknown as SocketRoute;
}

export const socketRoutes: SocketRoute[] = [
  route('chat:create', { schema: schemas.chatCreateInput, limiter: 'chat_creations', handle: chats.createChat }),
  route('chat:join', { schema: schemas.chatJoinInput, limiter: 'joins', handle: chats.joinChat }),
  route('chat:leave', { schema: schemas.chatIdInput, handle: chats.leaveChat }),
  route('chat:list', { schema: schemas.emptyInput, handle: (_services, caller) => chats.listChats(caller) }),
  route('chat:invite', { schema: schemas.chatIdInput, handle: chats.inviteToChat }),
  route('chat:update', { schema: schemas.chatUpdateInput, handle: chats.updateChat }),
  route('chat:promote', { schema: schemas.chatPromoteInput, handle: chats.promoteMember }),
  route('message:send', { schema: schemas.messageSendInput, limiter: 'messages', handle: messages.sendMessage }),
  route('message:history', { schema: schemas.messageHistoryInput, limiter: 'history', handle: (_services, caller, input) => messages.messageHistory(caller, input) }),
  route('message:delete', { schema: schemas.messageIdInput, handle: messages.deleteMessage }),
  route('report:create', { schema: schemas.reportCreateInput, limiter: 'reports', handle: reports.createReport }),
  route('mod:cases', { schema: schemas.caseListInput, limiter: 'moderation_reads', handle: (_services, caller, input) => reports.listCases(caller, input) }),
  route('mod:case', { schema: schemas.caseIdInput, limiter: 'moderation_reads', handle: (_services, caller, input) => reports.getCase(caller, input) }),
  route('mod:hide', { schema: schemas.hideInput, handle: moderation.hideMessage }),
  route('mod:unhide', { schema: schemas.hideInput, handle: moderation.unhideMessage }),
  route('mod:ban', { schema: schemas.banInput, handle: moderation.banMember }),
  route('mod:unban', { schema: schemas.unbanInput, handle: moderation.unbanMember }),
  route('mod:mute', { schema: schemas.muteInput, handle: moderation.muteMember }),
  route('mod:unmute', { schema: schemas.unmuteInput, handle: moderation.unmuteMember }),
  route('mod:dismiss', { schema: schemas.dismissInput, handle: moderation.dismissCase }),
  route('mod:log', { schema: schemas.logInput, limiter: 'moderation_reads', handle: (_services, caller, input) => moderation.moderationLog(caller, input) }),
];

/** The handler of each `POST /api/moderation/actions` type. */
export const moderationActions = {
  hide: moderation.hideMessage,
  unhide: moderation.unhideMessage,
  ban: moderation.banMember,
  unban: moderation.unbanMember,
  mute: moderation.muteMember,
  unmute: moderation.unmuteMember,
  dismiss: moderation.dismissCase,
} as const;
