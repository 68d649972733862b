/**
 * Moderation kinds as data: how grave each report reason is, and for each action type whether it
 * restricts someone, whether it can be appealed, which action lifts it, and what it is in a
 * statement of reasons (the EU DSA transparency database's fields). Notices, statements, appeals and the transparency report read
 * this table; a new action type is one entry here and one effect (handlers/moderation-effects.ts).
 */
import type { ActionType, ReportReason } from '../../models/vocabulary';

/** Worst first: a case's priority, and a notice's reason category, start from the gravest reason reported. */
export const REASON_SEVERITY: Record<ReportReason, number> = {
  child_abuse: 10,
  terrorism: 10,
  non_consensual_imagery: 8,
  violence: 7,
  illegal_goods: 6,
  sexual_content: 5,
  scam: 5,
  hate: 5,
  harassment: 5,
  personal_data: 4,
  spam: 2,
  copyright: 2,
  other: 1,
};

/** The gravest of `reasons`; null when there are none. */
export function gravestReason(reasons: Iterable<ReportReason>): ReportReason | null {
  let worst: ReportReason | null = null;
  for (const reason of reasons) if (worst === null || REASON_SEVERITY[reason] > REASON_SEVERITY[worst]) worst = reason;
  return worst;
}

export interface ActionKind {
  /** It restricts someone: it has a statement of reasons. */
  restricts: boolean;
  /** The person it concerns may contest it. */
  appealable: boolean;
  /** The action a reversed appeal takes to undo it. */
  liftedBy?: ActionType;
  /** Its decision in the transparency database: content made invisible, service partly suspended, or the account. */
  decision?: 'visibility' | 'provision' | 'account';
  /** Found by our own systems rather than reported (the steps against unfounded reports). */
  detectedAutomatically?: true;
  /** The rule of our terms it rests on when no report reason says more. */
  rule?: string;
  /** Its category when no report reason says more. */
  category?: string;
}

export const ACTION_KINDS: Record<ActionType, ActionKind> = {
  hide_message: { restricts: true, appealable: true, liftedBy: 'unhide_message', decision: 'visibility' },
  unhide_message: { restricts: false, appealable: false },
  ban_member: { restricts: true, appealable: true, liftedBy: 'unban_member', decision: 'provision' },
  unban_member: { restricts: false, appealable: false },
  mute_member: { restricts: true, appealable: true, liftedBy: 'unmute_member', decision: 'provision' },
  unmute_member: { restricts: false, appealable: false },
  suspend_account: { restricts: true, appealable: true, liftedBy: 'unsuspend_account', decision: 'account' },
  unsuspend_account: { restricts: false, appealable: false },
  dismiss_case: { restricts: false, appealable: false },
  // A warning restricts nothing, but the person may still say it was wrong.
  warn_reporter: { restricts: false, appealable: true },
  restrict_reporter: {
    restricts: true,
    appealable: true,
    liftedBy: 'unrestrict_reporter',
    decision: 'provision',
    detectedAutomatically: true,
    rule: 'Stoa rules: repeated manifestly unfounded reports (DSA Art. 23)',
    category: 'STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE',
  },
  unrestrict_reporter: { restricts: false, appealable: false },
  decide_appeal: { restricts: false, appealable: false },
  close_chat: { restricts: true, appealable: true, liftedBy: 'reopen_chat', decision: 'visibility' },
  reopen_chat: { restricts: false, appealable: false },
  purge_messages: { restricts: true, appealable: true, liftedBy: 'restore_messages', decision: 'visibility' },
  restore_messages: { restricts: false, appealable: false },
  disclose_data: { restricts: false, appealable: false },
  // Automatic filters: found and decided by a rule, so marked automated in the statement; appealable like a moderator's.
  hold_message: {
    restricts: true,
    appealable: true,
    liftedBy: 'unhide_message',
    decision: 'visibility',
    detectedAutomatically: true,
    rule: 'Stoa rules: content caught by an automatic filter',
    category: 'STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE',
  },
  auto_mute_member: {
    restricts: true,
    appealable: true,
    liftedBy: 'unmute_member',
    decision: 'provision',
    detectedAutomatically: true,
    rule: 'Stoa rules: content caught by an automatic filter',
    category: 'STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE',
  },
  create_rule: { restricts: false, appealable: false },
  update_rule: { restricts: false, appealable: false },
  delete_rule: { restricts: false, appealable: false },
};

export const isAppealable = (type: ActionType): boolean => ACTION_KINDS[type].appealable;

/** The decisions that restrict someone, and so have a statement of reasons. */
export const RESTRICTIONS: ReadonlySet<ActionType> = new Set(
  (Object.keys(ACTION_KINDS) as ActionType[]).filter((type) => ACTION_KINDS[type].restricts),
);

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

export type Statement = Record<string, string | string[] | null>;

/** What a statement of reasons is made of, besides the action. */
export interface StatementFacts {
  /** The reasons of the case the action decided (none without a case). */
  reasons: ReportReason[];
  /** The action decided a case, and a trusted flagger reported in it. */
  fromCase: boolean;
  trustedFlagged: boolean;
  /** When the content acted on was posted, for a message. */
  contentDate: Date | null;
}

const day = (date: Date | null | undefined): string | null => (date ? date.toISOString().slice(0, 10) : null);

/** The statement of one restricting action, as the transparency database names its fields. */
export function statementOf(
  action: { id: string; type: ActionType; reason: string; actorRole: string; until?: Date | null; createdAt: Date },
  facts: StatementFacts,
): Statement {
  const kind = ACTION_KINDS[action.type];
  const reason = kind.detectedAutomatically ? null : gravestReason(facts.reasons);
  const legalGround = reason ? ILLEGAL_GROUND[reason] : undefined;
  const until = day(action.until);
  return {
    puid: action.id,
    decision_visibility: kind.decision === 'visibility' ? ['DECISION_VISIBILITY_CONTENT_DISABLED'] : null,
    decision_monetary: null,
    decision_provision: kind.decision === 'provision' ? 'DECISION_PROVISION_PARTIAL_SUSPENSION' : null,
    decision_account:
      kind.decision === 'account'
        ? action.until
          ? 'DECISION_ACCOUNT_SUSPENDED'
          : 'DECISION_ACCOUNT_TERMINATED'
        : null,
    decision_ground: legalGround ? 'DECISION_GROUND_ILLEGAL_CONTENT' : 'DECISION_GROUND_INCOMPATIBLE_CONTENT',
    illegal_content_legal_ground: legalGround ?? null,
    illegal_content_explanation: legalGround ? action.reason : null,
    incompatible_content_ground: legalGround ? null : (kind.rule ?? `Stoa rules: ${reason ?? 'other'}`),
    incompatible_content_explanation: legalGround ? null : action.reason,
    category: reason ? STATEMENT_CATEGORY[reason] : (kind.category ?? 'STATEMENT_CATEGORY_OTHER_VIOLATION_TC'),
    content_type: facts.contentDate ? ['CONTENT_TYPE_TEXT'] : null,
    content_date: day(facts.contentDate),
    application_date: day(action.createdAt),
    // A hide lasts until review or appeal lifts it: no end date.
    end_date_visibility_restriction: null,
    end_date_service_restriction: kind.decision === 'provision' ? until : null,
    end_date_account_restriction: kind.decision === 'account' ? until : null,
    decision_facts: action.reason,
    source_type: !facts.fromCase
      ? 'SOURCE_VOLUNTARY'
      : facts.trustedFlagged
        ? 'SOURCE_TRUSTED_FLAGGER'
        : 'SOURCE_ARTICLE_16',
    automated_detection: kind.detectedAutomatically ? 'Yes' : 'No',
    automated_decision: action.actorRole === 'system' ? 'AUTOMATED_DECISION_FULLY' : 'AUTOMATED_DECISION_NOT_AUTOMATED',
  };
}
