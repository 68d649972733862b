/**
 * Statements of reasons, kept: every `moderation:notice` is stored for the person it concerns
 * (handlers/enactment.ts), listed on request and delivered unread on the next connection, so that
 * someone offline when an action was taken still learns what was done, why, and until when they
 * may appeal.
 */
import * as notices from './store/notices';
import type { Context } from './context';
import type { NoticeView } from './contract/protocol';
import { toNoticeView } from './views';

/** How many unread notices a new connection receives at most. */
const UNREAD_ON_CONNECT = 100;

export async function listNotices(
  { caller }: Context,
  input: { unreadOnly?: boolean | undefined; before?: string | undefined; limit?: number | undefined },
): Promise<{ notices: NoticeView[]; hasMore: boolean }> {
  const limit = input.limit ?? 50;
  const page = await notices.page(caller.user._id, { ...input, limit });
  return { notices: page.slice(0, limit).map(toNoticeView), hasMore: page.length > limit };
}

export async function markNoticesRead({ caller }: Context, input: { ids: string[] }): Promise<{ read: number }> {
  return { read: await notices.markRead(caller.user._id, input.ids) };
}

/** A new connection's unread notices, oldest first; they stay unread until `notices:read`. */
export async function unreadNotices(userId: string): Promise<NoticeView[]> {
  return (await notices.unread(userId, UNREAD_ON_CONNECT)).map(toNoticeView);
}
