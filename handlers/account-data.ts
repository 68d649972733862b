/**
 * A person's own data: the reports they filed, everything stored about them as JSON (export),
 * and deleting the account. Deletion keeps their messages in their chats, written by
 * "Deleted account": the account document stays, anonymised, so each message keeps an author
 * and the audit log its targets.
 */
import { randomBytes } from 'node:crypto';

import bcrypt from 'bcrypt';
import * as appeals from './store/appeals';
import { cacheKeys } from './store/authorization-cache';
import * as chats from './store/chats';
import type { Id } from './store/db';
import * as memberships from './store/memberships';
import * as messages from './store/messages';
import * as notices from './store/notices';
import * as reports from './store/reports';
import * as users from './store/users';
import type { Context, Services } from './context';
import { toAppealView, toNoticeView } from './views';
import { StoaError } from './contract/errors';
import {
  rooms,
  type AppealView,
  type MembershipView,
  type MessageView,
  type NoticeView,
  type ReportView,
  type UserView,
} from './contract/protocol';
import { memberNews } from './member-news';
import { toMembershipView, toMessageView, toReportView, toUserView } from './views';

/** The reports I filed, newest first; their `status` is the outcome. No other reporter, no evidence. */
export async function myReports(
  { caller }: Context,
  input: { before?: string | undefined; limit?: number | undefined },
): Promise<{ reports: ReportView[]; hasMore: boolean }> {
  const limit = input.limit ?? 50;
  const page = await reports.filedBy(caller.user._id, input.before, limit);
  return {
    reports: page.slice(0, limit).map((r) => toReportView(r, { withReporter: false, withEvidence: false })),
    hasMore: page.length > limit,
  };
}

export interface AccountExport {
  exportedAt: string;
  account: UserView & { suspended: { until: string | null; reason: string } | null };
  memberships: MembershipView[];
  messages: Array<Omit<MessageView, 'hidden'> & { deletedAt: string | null; hidden: boolean }>;
  reports: ReportView[];
  notices: NoticeView[];
  appeals: AppealView[];
}

/** Everything stored about the caller (DSA and GDPR access): no password hash, nothing about other reporters. */
export async function exportMyData({ caller }: Context): Promise<AccountExport> {
  const userId = caller.user._id;
  const [rows, written, filed, kept, appealed] = await Promise.all([
    memberships.allOf(userId),
    messages.byAuthor(userId),
    reports.allFiledBy(userId),
    notices.allOf(userId),
    appeals.allBy(userId),
  ]);
  const suspended = caller.user.suspended;
  return {
    exportedAt: new Date().toISOString(),
    account: {
      ...toUserView(caller.user),
      suspended: suspended ? { until: suspended.until?.toISOString() ?? null, reason: suspended.reason } : null,
    },
    memberships: rows.map(toMembershipView),
    // Their own words, hidden or deleted ones included: it is data about them.
    messages: written.map((m) => ({
      ...toMessageView(m),
      deletedAt: m.deletedAt?.toISOString() ?? null,
      hidden: m.hidden !== null,
    })),
    reports: filed.map((r) => toReportView(r, { withReporter: false, withEvidence: false })),
    notices: kept.map(toNoticeView),
    appeals: appealed.map((a) => toAppealView(a)),
  };
}

export const DELETED_DISPLAY_NAME = 'Deleted account';

/**
 * The name a deleted account keeps: outside the username grammar (no one can register it first)
 * and unique (it carries the id), so the one write that deletes an account cannot be blocked.
 */
export const deletedUsername = (userId: string): string => `deleted-${userId}`;

/**
 * Deletes the caller's account: refused (`conflict`) while they own a chat, until they hand it
 * over (`chat:promote`). One write anonymises the account and kills every token: from then on the
 * account is deleted whatever happens next. What follows (leaving every chat, dropping the
 * notices, closing the sockets) is idempotent; if a step fails, `finishPendingDeletions` (run by
 * the hourly sweep) completes it. Their reports and appeals stay (cases and decisions rest on them).
 */
export async function deleteAccount({ services, caller }: Context): Promise<Record<string, never>> {
  const user = caller.user;
  if (await memberships.ownsAChat(user._id)) {
    throw new StoaError('conflict', 'Hand over the chats you own (chat:promote) before deleting your account.');
  }
  // An unguessable password nobody holds: the account can never sign in again.
  const passwordHash = await bcrypt.hash(randomBytes(32).toString('base64url'), services.bcryptRounds);
  await users.anonymise(user._id, {
    username: deletedUsername(user.id),
    displayName: DELETED_DISPLAY_NAME,
    passwordHash,
    tokenVersion: user.tokenVersion + 1,
  });
  await services.realtime.invalidate([cacheKeys.account(user.id)]);
  services.log.info({ userId: user.id }, 'account deleted');
  try {
    await finishDeletion(services, user._id);
  } catch (err) {
    // The account is deleted; the sweep finishes the rest.
    services.log.error(
      { err, userId: user.id },
      'account deleted, but leaving its chats failed; the next sweep finishes it',
    );
  }
  return {};
}

/** What follows the deleting write, each step safe to repeat: out of every chat, notices gone, sockets closed. */
async function finishDeletion(services: Services, userId: Id): Promise<void> {
  const id = userId.toString();
  await services.realtime.disconnect(rooms.user(id));
  const left = await memberships.leaveEvery(userId);
  if (left.length > 0) {
    await services.realtime.invalidate(
      left.flatMap(({ chatId }) => [
        cacheKeys.membership(chatId.toString(), id),
        cacheKeys.chatAdmins(chatId.toString()),
      ]),
    );
    const groups = new Set(await chats.groupIdsAmong(left.map(({ chatId }) => chatId)));
    for (const { chatId, memberCount } of left) {
      if (groups.has(chatId.toString()))
        await memberNews(services, { id: chatId.toString(), type: 'group' }, 'member:left', id, memberCount);
    }
  }
  await notices.eraseAllOf(userId);
  await users.deletionFinished(userId);
}

/** Completes every deletion whose steps after the deleting write did not all succeed; returns how many it finished. */
export async function finishPendingDeletions(services: Services): Promise<number> {
  const pending = await users.deletionsPending(1000);
  for (const userId of pending) await finishDeletion(services, userId);
  return pending.length;
}
