/**
 * Requests from authorities, for platform admins only: a ledger of what was asked, by whom and
 * under what; reviews under a two-person rule (an emergency needs one approval and a second review
 * within 72 hours; a bulk request three approvals); a disclosure of only the named targets and
 * the requested categories, kept as a package with the SHA-256 of each part; preservation holds
 * against the retention sweep; and a notice to the people concerned once it closes, after any gag.
 * To anyone else every route answers `not_found`: the ledger does not confirm it exists.
 */
import type {
  AuthorityKind,
  DataCategory,
  LegalInstrument,
  LegalStatus,
  RejectionGround,
  TargetType,
} from '../models/vocabulary';
import * as accessLog from './store/access-log';
import * as actions from './store/actions';
import * as appeals from './store/appeals';
import * as chats from './store/chats';
import * as sealed from './store/evidence';
import { objectId } from './store/db';
import * as legalRequests from './store/legal-requests';
import * as memberships from './store/memberships';
import * as messages from './store/messages';
import * as notices from './store/notices';
import * as reports from './store/reports';
import * as users from './store/users';
import type { Caller, Context } from './context';
import { StoaError } from './contract/errors';
import { canonicalJson, sha256 } from './evidence';
import { toMessageView } from './views';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** An emergency's second review is due this long after its first. */
export const EMERGENCY_SECOND_REVIEW_MS = 72 * HOUR_MS;
/** A preservation hold lasts this long from receipt, and may be extended once by as much. */
export const PRESERVATION_MS = 90 * DAY_MS;
/** A gag postpones the notice by at most a year; a longer one is a new review. */
const MAX_GAG_MS = 366 * DAY_MS;
/** The most records one part of a package holds (a chat's messages, its members). */
const PART_LIMIT = 10_000;
/** What Stoa never stores, said in every package. */
const NOT_STORED =
  'Stoa stores no IP address, device data, connection log, e-mail address or phone number: none can be disclosed.';

type Target = { type: TargetType; id: string };

export interface LegalRequestInput {
  authority: { name: string; country: string; kind: AuthorityKind };
  instrument: LegalInstrument;
  legalBasis: string;
  reference: string;
  receivedAt: string;
  deadline?: string | undefined;
  targets: Target[];
  dataRequested: DataCategory[];
  gagUntil?: string | undefined;
  preserve?: boolean | undefined;
}

export interface LegalRequestView {
  id: string;
  authority: { name: string; country: string; kind: AuthorityKind };
  instrument: LegalInstrument;
  legalBasis: string;
  reference: string;
  receivedAt: string;
  deadline: string | null;
  targets: Target[];
  dataRequested: DataCategory[];
  gagUntil: string | null;
  preserve: boolean;
  heldUntil: string | null;
  /** The hold was extended already: it cannot be again. */
  holdExtended: boolean;
  bulk: boolean;
  approvalsNeeded: number;
  approvals: number;
  status: LegalStatus;
  /** An emergency whose second review is past due: 72 hours after its first review (or after receipt, if none). */
  overdue: boolean;
  /** The gag has passed and the people concerned are not told yet (the next sweep tells them). */
  gagLapsed: boolean;
  notifiedAt: string | null;
  reviews: Array<{
    reviewerId: string;
    verdict: 'approve' | 'reject';
    legalCheck: string;
    reason: string;
    rejectionGround: RejectionGround | null;
    at: string;
  }>;
  disclosure: { at: string; sha256: string; categories: DataCategory[]; accounts: number } | null;
  history: Array<{ at: string; by: string; what: string }>;
  createdAt: string;
}

/** Every route: platform admins only, and `not_found` to anyone else. */
function requireAdmin(caller: Caller): void {
  if (caller.user.role !== 'admin') throw new StoaError('not_found', 'Not found.');
}

async function found(caller: Caller, requestId: string): Promise<legalRequests.LegalRequestDocument> {
  requireAdmin(caller);
  const request = await legalRequests.byId(requestId);
  if (!request) throw new StoaError('not_found', 'No such request.');
  return request;
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
const approvalsOf = (r: legalRequests.LegalRequest): number => r.reviews.filter((v) => v.verdict === 'approve').length;

function isOverdue(r: legalRequests.LegalRequest, now: Date): boolean {
  if (r.instrument !== 'emergency' || r.reviews.length >= 2 || r.status === 'rejected') return false;
  const first = r.reviews[0]?.at ?? r.receivedAt;
  return now.getTime() > first.getTime() + EMERGENCY_SECOND_REVIEW_MS;
}

export function toLegalRequestView(r: legalRequests.LegalRequest, now = new Date()): LegalRequestView {
  return {
    id: r._id.toString(),
    authority: { name: r.authority.name, country: r.authority.country, kind: r.authority.kind },
    instrument: r.instrument,
    legalBasis: r.legalBasis,
    reference: r.reference,
    receivedAt: r.receivedAt.toISOString(),
    deadline: iso(r.deadline),
    targets: r.targets.map((t) => ({ type: t.type, id: t.id })),
    dataRequested: [...r.dataRequested] as DataCategory[],
    gagUntil: iso(r.gagUntil),
    preserve: r.preserve,
    heldUntil: iso(r.heldUntil),
    holdExtended: r.holdExtended,
    bulk: r.bulk,
    approvalsNeeded: r.approvalsNeeded,
    approvals: approvalsOf(r),
    status: r.status,
    overdue: isOverdue(r, now),
    gagLapsed: r.gagUntil != null && r.gagUntil <= now && r.notifiedAt === null && isDisclosed(r.status),
    notifiedAt: iso(r.notifiedAt),
    reviews: r.reviews.map((v) => ({
      reviewerId: v.reviewerId.toString(),
      verdict: v.verdict,
      legalCheck: v.legalCheck,
      reason: v.reason,
      rejectionGround: v.rejectionGround ?? null,
      at: v.at.toISOString(),
    })),
    disclosure: r.disclosure
      ? {
          at: r.disclosure.at.toISOString(),
          sha256: r.disclosure.sha256,
          categories: [...r.disclosure.categories] as DataCategory[],
          accounts: r.disclosure.accounts.length,
        }
      : null,
    history: r.history.map((e) => ({ at: e.at.toISOString(), by: e.by, what: e.what })),
    createdAt: r.createdAt.toISOString(),
  };
}

const isDisclosed = (status: LegalStatus): boolean => status === 'complied' || status === 'partial';

/** Each named target must exist; a chat's members count as more accounts than any bulk limit. */
async function checkTargets(targets: Target[]): Promise<void> {
  const exists = await Promise.all(
    targets.map(async (t) => {
      if (t.type === 'user') return users.exists(t.id);
      if (t.type === 'chat') return (await chats.byId(t.id)) !== null;
      return (await messages.byId(t.id)) !== null;
    }),
  );
  const missing = exists.findIndex((e) => !e);
  if (missing >= 0) throw new StoaError('invalid_input', `targets.${missing}: no such ${targets[missing]!.type}.`);
}

/** `POST /api/legal-requests`: records a request as received. */
export async function recordRequest(
  { caller, services }: Context,
  input: LegalRequestInput,
): Promise<{ request: LegalRequestView }> {
  requireAdmin(caller);
  const now = new Date();
  const receivedAt = new Date(input.receivedAt);
  if (receivedAt > now) throw new StoaError('invalid_input', 'receivedAt: a request cannot be received in the future.');
  if (input.deadline !== undefined && new Date(input.deadline) < receivedAt)
    throw new StoaError('invalid_input', 'deadline: before the request was received.');
  const gagUntil = input.gagUntil === undefined ? null : new Date(input.gagUntil);
  if (gagUntil && (gagUntil <= now || gagUntil.getTime() > now.getTime() + MAX_GAG_MS))
    throw new StoaError('invalid_input', 'gagUntil: a date in the future, at most a year ahead.');
  const targets = dedupe(input.targets);
  await checkTargets(targets);
  const accounts = targets.filter((t) => t.type === 'user').length;
  const asksForMembers = targets.some((t) => t.type === 'chat') && input.dataRequested.includes('subscriber');
  const bulk = accounts > services.legal.bulkTargets || asksForMembers;
  const preserve = input.instrument === 'preservation' || input.preserve === true;
  const approvalsNeeded = (input.instrument === 'emergency' ? 1 : 2) + (bulk ? 1 : 0);
  const request = await legalRequests.create({
    authority: input.authority,
    instrument: input.instrument,
    legalBasis: input.legalBasis,
    reference: input.reference,
    receivedAt,
    deadline: input.deadline === undefined ? null : new Date(input.deadline),
    targets,
    dataRequested: input.dataRequested,
    gagUntil,
    preserve,
    heldUntil: preserve ? new Date(receivedAt.getTime() + PRESERVATION_MS) : null,
    bulk,
    approvalsNeeded,
    history: [{ at: now, by: caller.user.id, what: preserve ? 'recorded; targets preserved' : 'recorded' }],
    recordedBy: caller.user._id,
  });
  return { request: toLegalRequestView(request, now) };
}

function dedupe(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => !seen.has(`${t.type}:${t.id}`) && seen.add(`${t.type}:${t.id}`));
}

/** `GET /api/legal-requests?status=`: newest first, with the overdue and lapsed-gag flags. */
export async function listRequests(
  { caller }: Context,
  input: { status?: LegalStatus | undefined; before?: string | undefined; limit?: number | undefined },
): Promise<{ requests: LegalRequestView[]; hasMore: boolean }> {
  requireAdmin(caller);
  const limit = input.limit ?? 50;
  const page = await legalRequests.page(input.status, input.before, limit);
  const now = new Date();
  return { requests: page.slice(0, limit).map((r) => toLegalRequestView(r, now)), hasMore: page.length > limit };
}

export async function getRequest({ caller }: Context, input: { requestId: string }) {
  return { request: toLegalRequestView(await found(caller, input.requestId)) };
}

/**
 * `POST /api/legal-requests/:id/reviews`. Approvals by different admins until the request has
 * the approvals it needs (`approved`); a rejection closes it (`rejected`) with its ground. An
 * emergency disclosed on one approval takes its second review afterwards.
 */
export async function reviewRequest(
  { caller }: Context,
  input: {
    requestId: string;
    verdict: 'approve' | 'reject';
    legalCheck: string;
    reason: string;
    rejectionGround?: RejectionGround | undefined;
  },
): Promise<{ request: LegalRequestView }> {
  const request = await found(caller, input.requestId);
  const secondOfEmergency = request.instrument === 'emergency' && request.reviews.length < 2;
  const open = request.status === 'received' || request.status === 'approved';
  if (!open && !(secondOfEmergency && request.status !== 'rejected'))
    throw new StoaError('conflict', `This request is ${request.status}: it takes no more reviews.`);
  // Two people: each admin reviews a request once, so no one approves twice or settles an emergency's second review alone.
  if (request.reviews.some((r) => r.reviewerId.equals(caller.user._id)))
    throw new StoaError('conflict', 'You reviewed this request already: another admin must review it.');
  if (input.verdict === 'reject' && !input.rejectionGround)
    throw new StoaError('invalid_input', 'rejectionGround: say why it is rejected.');
  const now = new Date();
  const review = {
    reviewerId: caller.user._id,
    verdict: input.verdict,
    legalCheck: input.legalCheck,
    reason: input.reason,
    rejectionGround: input.verdict === 'reject' ? input.rejectionGround! : null,
    at: now,
  };
  const approvals = approvalsOf(request) + (input.verdict === 'approve' ? 1 : 0);
  let status: LegalStatus = request.status;
  if (open)
    status = input.verdict === 'reject' ? 'rejected' : approvals >= request.approvalsNeeded ? 'approved' : 'received';
  const what = input.verdict === 'approve' ? 'approved' : `rejected (${input.rejectionGround})`;
  const saved = await legalRequests.addReview(
    request._id,
    { status: request.status, reviews: request.reviews.length },
    review,
    status,
    { at: now, by: caller.user.id, what },
  );
  if (!saved) throw new StoaError('conflict', 'Another admin reviewed this request meanwhile: read it again.');
  return { request: toLegalRequestView((await legalRequests.byId(input.requestId))!, now) };
}

/** One part of a package: what is stored about one target in one category. */
interface Part {
  target: string;
  category: DataCategory;
  records: unknown[];
  /** More was stored than one part holds. */
  truncated?: true;
}

/**
 * `POST /api/legal-requests/:id/disclosure`: once approved, the package of only the named targets
 * and only the requested categories, only what is stored; kept with the request. `complied` when
 * every requested category held something, `partial` when some held nothing, `no_data` when none did.
 */
export async function discloseRequest(
  ctx: Context,
  input: { requestId: string },
): Promise<{ request: LegalRequestView; package: DisclosurePackage }> {
  const { caller } = ctx;
  const request = await found(caller, input.requestId);
  if (request.instrument === 'preservation')
    throw new StoaError('forbidden', 'A preservation request holds data; it discloses nothing.');
  if (request.status !== 'approved') {
    if (request.status === 'received')
      throw new StoaError(
        'forbidden',
        `This request needs ${request.approvalsNeeded} approvals by different admins; it has ${approvalsOf(request)}.`,
      );
    throw new StoaError('conflict', `This request is ${request.status}: nothing more is disclosed.`);
  }
  const now = new Date();
  const parts: Part[] = [];
  const accounts = new Set<string>();
  for (const target of request.targets)
    for (const category of request.dataRequested as DataCategory[])
      parts.push(await partOf({ type: target.type, id: target.id }, category, accounts));
  const held = new Set(parts.filter((p) => p.records.length > 0).map((p) => p.category));
  const status: LegalStatus =
    held.size === 0 ? 'no_data' : held.size === request.dataRequested.length ? 'complied' : 'partial';
  const pack = packageOf(request, parts, now);
  const canonical = canonicalJson(pack);
  const disclosedTo = status === 'no_data' ? [] : [...accounts];
  const saved = await legalRequests.recordDisclosure(
    request._id,
    {
      at: now,
      by: caller.user._id,
      canonical,
      sha256: sha256(canonical),
      categories: [...held],
      accounts: disclosedTo.map((id) => objectId(id)),
    },
    status,
    { at: now, by: caller.user.id, what: `disclosed (${status})` },
  );
  if (!saved) throw new StoaError('conflict', 'This request was disclosed meanwhile.');
  await accessLog.record(caller.user._id, 'legal_disclosure', request.id as string, null);
  // The people concerned are told now, unless a gag holds it back (then the sweep does, once it lapses).
  await sendNoticesDue(now);
  return { request: toLegalRequestView((await legalRequests.byId(input.requestId))!, now), package: pack };
}

export interface DisclosurePackage {
  requestId: string;
  reference: string;
  authority: { name: string; country: string; kind: string };
  instrument: string;
  producedAt: string;
  canonicalization: string;
  note: string;
  manifest: Array<{ target: string; category: DataCategory; records: number; sha256: string; truncated?: true }>;
  parts: Part[];
}

function packageOf(request: legalRequests.LegalRequest, parts: Part[], at: Date): DisclosurePackage {
  return {
    requestId: request._id.toString(),
    reference: request.reference,
    authority: { name: request.authority.name, country: request.authority.country, kind: request.authority.kind },
    instrument: request.instrument,
    producedAt: at.toISOString(),
    canonicalization:
      'SHA-256 of the UTF-8 bytes of each part as JSON: object keys sorted, no whitespace, dates as ISO 8601, ids as hex',
    note: NOT_STORED,
    manifest: parts.map((p) => ({
      target: p.target,
      category: p.category,
      records: p.records.length,
      sha256: sha256(canonicalJson(p)),
      ...(p.truncated ? { truncated: true as const } : {}),
    })),
    parts,
  };
}

/** What is stored about one target in one category; `accounts` gathers whose data it holds. */
async function partOf(target: Target, category: DataCategory, accounts: Set<string>): Promise<Part> {
  const part = (records: unknown[], limit = Infinity): Part => ({
    target: `${target.type}:${target.id}`,
    category,
    records: records.slice(0, limit),
    ...(records.length > limit ? { truncated: true as const } : {}),
  });
  const about = (userIds: string[]) => userIds.forEach((id) => accounts.add(id));
  if (target.type === 'user') {
    const user = await users.byId(target.id);
    if (!user) return part([]);
    about([target.id]);
    if (category === 'subscriber')
      return part([
        {
          id: user.id,
          username: user.username,
          displayName: user.displayName,
          role: user.role,
          createdAt: user.createdAt,
          deleted: user.deletedAt !== null && user.deletedAt !== undefined,
        },
      ]);
    if (category === 'content') return part((await messages.byAuthor(target.id)).map(contentOf), PART_LIMIT);
    if (category === 'traffic')
      return part(
        (await memberships.allOf(target.id)).map((m) => ({
          chatId: m.chatId.toString(),
          role: m.role,
          status: m.status,
          joinedAt: m.joinedAt,
        })),
      );
    const [acted, filed, against, told, appealed] = await Promise.all([
      actions.about(target.id, PART_LIMIT),
      reports.allFiledBy(target.id),
      reports.about(target.id, PART_LIMIT),
      notices.allOf(target.id),
      appeals.allBy(target.id),
    ]);
    return part([
      ...acted.map(actionRecord),
      ...filed.map((r) => ({ kind: 'report filed', targetType: r.targetType, targetId: r.targetId, reason: r.reason })),
      ...against.map((r) => ({ kind: 'report about', reason: r.reason, status: r.status, at: r.createdAt })),
      ...told.map((n) => ({ kind: 'notice', actionType: n.actionType, reason: n.reason, at: n.createdAt })),
      ...appealed.map((a) => ({ kind: 'appeal', actionType: a.actionType, status: a.status, at: a.createdAt })),
    ]);
  }
  if (target.type === 'message') {
    const message = await messages.byId(target.id);
    if (!message) return part([]);
    const authorId = message.senderId.toString();
    if (category === 'subscriber') {
      about([authorId]);
      const author = await users.byId(authorId);
      return part(author ? [{ id: author.id, username: author.username, displayName: author.displayName }] : []);
    }
    if (category === 'content') return part([contentOf(message)]);
    if (category === 'traffic')
      return part([
        {
          messageId: message.id,
          chatId: message.chatId.toString(),
          senderId: authorId,
          seq: message.seq,
          sentAt: message.createdAt,
          editedAt: message.editedAt ?? null,
          deletedAt: message.deletedAt ?? null,
        },
      ]);
    const [acted, reported] = await Promise.all([
      actions.about(target.id, PART_LIMIT),
      reports.about(target.id, PART_LIMIT),
    ]);
    return part([
      ...acted.map(actionRecord),
      ...reported.map((r) => ({ kind: 'report', reason: r.reason, status: r.status, at: r.createdAt })),
    ]);
  }
  const chat = await chats.byId(target.id);
  if (!chat) return part([]);
  if (category === 'subscriber') {
    const members = await memberships.membersOf(chat._id, PART_LIMIT + 1);
    about(members.map((m) => m.userId.toString()));
    return part(
      [
        {
          chatId: chat.id,
          title: chat.title,
          type: chat.type,
          visibility: chat.visibility,
          ownerId: chat.ownerId.toString(),
          createdAt: chat.createdAt,
          memberCount: chat.memberCount ?? 0,
        },
        ...members.map((m) => ({ member: m.userId.toString(), role: m.role, joinedAt: m.joinedAt })),
      ],
      PART_LIMIT + 1,
    );
  }
  if (category === 'content') {
    const written = await messages.ofChat(chat._id, PART_LIMIT + 1);
    return part(written.map(contentOf), PART_LIMIT);
  }
  // A chat itself has no traffic data: its members' memberships are subscriber data above.
  if (category === 'traffic') return part([]);
  return part((await actions.about(target.id, PART_LIMIT)).map(actionRecord));
}

/** An action as a package lists it: what, at what level, why, when (never who). */
const actionRecord = (a: actions.ModerationAction) => ({
  kind: 'action',
  type: a.type,
  actorRole: a.actorRole,
  reason: a.reason,
  at: a.createdAt,
});

const contentOf = (m: messages.Message) => ({
  ...toMessageView(m, false, true),
  deletedAt: m.deletedAt ?? null,
  hidden: m.hidden !== null && m.hidden !== undefined,
});

/** `GET /api/legal-requests/:id/disclosure`: the package as handed over; every read is in the access log. */
export async function readDisclosure(
  { caller }: Context,
  input: { requestId: string },
): Promise<{ package: DisclosurePackage; sha256: string }> {
  const request = await found(caller, input.requestId);
  if (!request.disclosure) throw new StoaError('not_found', 'Nothing was disclosed for this request.');
  await accessLog.record(caller.user._id, 'legal_disclosure', request.id as string, null);
  return { package: JSON.parse(request.disclosure.canonical) as DisclosurePackage, sha256: request.disclosure.sha256 };
}

/** `POST /api/legal-requests/:id/hold`: extends a preservation hold once, by another 90 days. */
export async function extendHold({ caller }: Context, input: { requestId: string }) {
  const request = await found(caller, input.requestId);
  if (!request.heldUntil) throw new StoaError('conflict', 'This request holds nothing.');
  const now = new Date();
  const until = new Date(request.heldUntil.getTime() + PRESERVATION_MS);
  const extended = await legalRequests.extendHold(request._id, until, {
    at: now,
    by: caller.user.id,
    what: `hold extended to ${until.toISOString()}`,
  });
  if (!extended) throw new StoaError('conflict', 'A hold is extended once; a longer one is a new request.');
  return { request: toLegalRequestView((await legalRequests.byId(input.requestId))!, now) };
}

/**
 * Tells the people concerned of every disclosed request whose gag (if any) has lapsed by `now`:
 * one stored notice each, listed in `GET /api/me/notices`. Run after each disclosure and by the
 * hourly sweep; returns how many requests it closed out.
 */
export async function sendNoticesDue(now = new Date()): Promise<number> {
  const due = await legalRequests.noticesDue(now, 100);
  for (const request of due) {
    const accounts = request.disclosure?.accounts.map((id) => id.toString()) ?? [];
    const categories = request.disclosure?.categories ?? [];
    const reason =
      `Data about you was disclosed to a ${request.authority.kind} authority (${request.authority.country}) ` +
      `under ${INSTRUMENT_NAMES[request.instrument]}: ${categories.join(', ')}.`;
    await Promise.all(
      accounts.map((userId) =>
        notices.storeOnce({
          userId: objectId(userId),
          actionId: request._id,
          actionType: 'disclose_data',
          targetType: 'user',
          targetId: userId,
          chatId: null,
          actorRole: 'platform_admin',
          reason,
          reasonCategory: null,
          automatic: false,
          until: null,
          appealable: false,
          appealDeadline: null,
          createdAt: now,
        }),
      ),
    );
    await legalRequests.markNotified(request._id, accounts.length, now);
  }
  return due.length;
}

/** How an instrument is named to the people concerned. */
export const INSTRUMENT_NAMES: Record<LegalInstrument, string> = {
  dsa_art9: 'an order to act against illegal content (EU Digital Services Act, Art. 9)',
  dsa_art10: 'an order to provide information (EU Digital Services Act, Art. 10)',
  epoc: 'a European Production Order (e-Evidence Regulation)',
  epoc_pr: 'a European Preservation Order (e-Evidence Regulation)',
  subpoena: 'a subpoena',
  court_order: 'a court order',
  warrant: 'a warrant',
  emergency: 'an emergency request',
  preservation: 'a preservation request',
  informal: 'an informal request',
};

/**
 * The ids the preservation holds in force at `now` keep from the retention sweep: their targets,
 * and for a person the messages of theirs that moderation acted on (their evidence, their audit entries).
 */
export async function heldIds(now: Date): Promise<Set<string>> {
  const targets = await legalRequests.heldTargets(now);
  const people = targets.filter((t) => t.type === 'user').map((t) => t.id);
  return new Set([...targets.map((t) => t.id), ...(await sealed.targetsByAuthors(people))]);
}
