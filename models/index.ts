export * from './vocabulary';
export * from './user';
export * from './chat';
export * from './membership';
export * from './message';
export * from './report';
export * from './moderation-case';
export * from './moderation-action';
export * from './notice';
export * from './appeal';
export * from './access-entry';
export * from './statement';
export * from './user-note';
export * from './evidence';
export * from './job';
export * from './legal-request';
export * from './filter-rule';

import { ChatModel } from './chat';
import { MembershipModel } from './membership';
import { MessageModel } from './message';
import { ModerationActionModel } from './moderation-action';
import { ModerationCaseModel } from './moderation-case';
import { ReportModel } from './report';
import { UserModel } from './user';
import { AccessEntryModel } from './access-entry';
import { AppealModel } from './appeal';
import { NoticeModel } from './notice';
import { StatementModel } from './statement';
import { UserNoteModel } from './user-note';
import { EvidenceModel } from './evidence';
import { JobModel } from './job';
import { LegalRequestModel } from './legal-request';
import { FilterRuleModel, RuleHitModel } from './filter-rule';

export const ALL_MODELS = [
  UserModel,
  ChatModel,
  MembershipModel,
  MessageModel,
  ReportModel,
  ModerationCaseModel,
  ModerationActionModel,
  NoticeModel,
  AppealModel,
  AccessEntryModel,
  StatementModel,
  UserNoteModel,
  EvidenceModel,
  JobModel,
  LegalRequestModel,
  FilterRuleModel,
  RuleHitModel,
];
