/**
 * Statements of reasons in the shape of the EU DSA transparency database (Art. 24(5)): one per
 * decision that restricts someone, written at the one audit point of moderation-effects and
 * exported to platform admins without personal data (no user ids, usernames or message text).
 */
import { trusted } from 'mongoose';

import { MessageModel, ReportModel, StatementModel, type ActionType, type ModerationActionDocument, type ModerationCaseDocument, type ReportReason } from '../models';
import type { Context } from './context';
import { StoaError } from './contract/errors';
import { gravestReason } from './policy/severity';

/** The transparency database's category for each of our reasons. */
export const STATEMENT_CATEGORY: Record<ReportReason, string> = {
  child_abuse: 'STATEMENT_CATEGORY_PROTECTION_OF_MINORS',
  terrorism: 'STATEMENT_CATEGORY_VIOLENCE',
  violence: 'STATEMENT_CATEGORY_VIOLENCE',
  hate: 'STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH',
  scam: 'STATEMENT_CATEGORY_SCAMS_AND_FRAUD',
  personal_data: 'STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS',
  copyright: 'STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS',
  non_consensual_imagery: 'STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR',
  sexual_content: 'STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT',
  illegal_goods: 'STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS',
  harassment: 'STATEMENT_CATEGORY_CYBER_VIOLENCE',
  spam: 'STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE',
  other: 'STATEMENT_CATEGORY_OTHER_VIOLATION_TC',
};

/** Reasons that are illegal content as such, with the legal ground named; the rest break our rules. */
export const ILLEGAL_GROUND: Partial<Record<ReportReason, string>> = {
  child_abuse: 'Child sexual abuse material (Directive 2011/93/EU)',
  terrorism: 'Terrorist content (Regulation (EU) 2021/784)',
  non_consensual_imagery: 'Non-consensual sharing of intimate images (Directive (EU) 2024/1385)',
  illegal_goods: 'Sale of illegal goods under national law',
  scam: 'Fraud under national criminal law',
  copyright: 'Copyright infringement (Directive (EU) 2019/790)',
};

/** The decisions that restrict someone, and so have a statement; lifting, dismissing, warning and appeals do not. */
export const RESTRICTIONS: ReadonlySet<ActionType> = new Set<ActionType>(['hide_message', 'ban_member', 'mute_member', 'suspend_account', 'restrict_reporter']);

export type Statement = Record<string, string | string[] | null>;

const day = (date: Date | null | undefined): string | null => (date ? date.toISOString().slice(0, 10) : null);

/** The statement of one restricting action, as the transparency database names its fields. */
export async function statementOf(action: ModerationActionDocument, moderationCase: ModerationCaseDocument | null): Promise<Statement> {
  const reasons = moderationCase?.reasons ? ([...moderationCase.reasons.keys()] as ReportReason[]) : [];
  const reason = action.type === 'restrict_reporter' ? null : gravestReason(reasons);
  const legalGround = reason ? ILLEGAL_GROUND[reason] : undefined;
  const trustedFlagged = moderationCase ? (await ReportModel.exists({ caseId: moderationCase._id, trustedFlagger: true })) !== null : false;
  const message = action.targetType === 'message' ? await MessageModel.findById(action.targetId, { createdAt: 1 }).lean() : null;
  const until = day(action.until);
  const automatic = action.actorRole === 'system';
  return {
    puid: action.id,
    decision_visibility: action.type === 'hide_message' ? ['DECISION_VISIBILITY_CONTENT_DISABLED'] : null,
    decision_monetary: null,
    decision_provision: action.type === 'ban_member' || action.type === 'mute_member' || action.type === 'restrict_reporter' ? 'DECISION_PROVISION_PARTIAL_SUSPENSION' : null,
    decision_account: action.type === 'suspend_account' ? (action.until ? 'DECISION_ACCOUNT_SUSPENDED' : 'DECISION_ACCOUNT_TERMINATED') : null,
    decision_ground: legalGround ? 'DECISION_GROUND_ILLEGAL_CONTENT' : 'DECISION_GROUND_INCOMPATIBLE_CONTENT',
    illegal_content_legal_ground: legalGround ?? null,
    illegal_content_explanation: legalGround ? action.reason : null,
    incompatible_content_ground: legalGround ? null : ruleOf(action.type, reason),
    incompatible_content_explanation: legalGround ? null : action.reason,
    category: reason ? STATEMENT_CATEGORY[reason] : action.type === 'restrict_reporter' ? 'STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE' : 'STATEMENT_CATEGORY_OTHER_VIOLATION_TC',
    content_type: message ? ['CONTENT_TYPE_TEXT'] : null,
    content_date: day(message?.createdAt),
    application_date: day(action.createdAt),
    // A hide lasts until review or appeal lifts it: no end date.
    end_date_visibility_restriction: null,
    end_date_service_restriction: action.type === 'ban_member' || action.type === 'mute_member' || action.type === 'restrict_reporter' ? until : null,
    end_date_account_restriction: action.type === 'suspend_account' ? until : null,
    decision_facts: action.reason,
    source_type: !moderationCase ? 'SOURCE_VOLUNTARY' : trustedFlagged ? 'SOURCE_TRUSTED_FLAGGER' : 'SOURCE_ARTICLE_16',
    automated_detection: action.type === 'restrict_reporter' ? 'Yes' : 'No',
    automated_decision: automatic ? 'AUTOMATED_DECISION_FULLY' : 'AUTOMATED_DECISION_NOT_AUTOMATED',
  };
}

/** The rule of our terms a decision rests on, when it is not illegal content as such. */
function ruleOf(type: ActionType, reason: ReportReason | null): string {
  if (type === 'restrict_reporter') return 'Stoa rules: repeated manifestly unfounded reports (DSA Art. 23)';
  return `Stoa rules: ${reason ?? 'other'}`;
}

/** Writes the statement of a restricting action, once (its puid is the action's id). */
export async function recordStatement(action: ModerationActionDocument, moderationCase: ModerationCaseDocument | null): Promise<void> {
  if (!RESTRICTIONS.has(action.type)) return;
  await StatementModel.create({ actionId: action._id, createdAt: action.createdAt, statement: await statementOf(action, moderationCase) });
}

export async function exportStatements({ caller }: Context, input: { from?: string | undefined; to?: string | undefined }): Promise<{ from: string; to: string; statements: Statement[] }> {
  if (caller.user.role !== 'admin') throw new StoaError('forbidden', 'Only platform admins export statements of reasons.');
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - 30 * 86_400_000);
  const rows = await StatementModel.find({ createdAt: trusted({ $gte: from, $lt: to }) }).sort({ createdAt: 1 }).lean();
  return { from: from.toISOString(), to: to.toISOString(), statements: rows.map((row) => row.statement as Statement) };
}
