/**
 * The cost of automatic filters on the send path: the persisted-sends run of sends.ts (20 senders in
 * 20 chats, 4 in flight each), first with no rules, then with 100 rules facing every send (50 platform
 * rules and 50 in each chat, together 10,000 keywords and 50 regexes, enforced, none matching), on the
 * same server. Targets: the rate with rules at least 0.8x, the ack p99 at most 1.3x, of the run
 * without. Then the matcher alone: its time per message with 10 and with 10,000 keywords.
 */
import { Types } from 'mongoose';

import { FilterRuleModel, MessageModel } from '../../models';
import { ScopeMatcher, type RuleSpec } from '../../handlers/filter-matcher';
import { cacheKeys } from '../../handlers/store/authorization-cache';
import { connect, ownCpuSec, percentile, register, runInChild, withBenchServer } from './support';

const SENDERS = 20;
const SENDS_PER_SENDER = Number(process.env.BENCH_SENDS ?? 300);
const WARM_UP_SENDS = 100;
const RATE_TARGET = 0.8;
const P99_TARGET = 1.3;
/** Rules per scope (the platform's and each chat's), keywords per keyword rule, patterns per regex rule. */
const RULES_PER_SCOPE = 50;
const REGEX_RULES_PER_SCOPE = 5;
const PATTERNS_PER_RULE = 5;
const KEYWORDS_PER_RULE = 5000 / (RULES_PER_SCOPE - REGEX_RULES_PER_SCOPE);

interface SendsReport {
  acked: number;
  failed: number;
  wallSec: number;
  latenciesMs: number[];
  cpuSec: number;
}

/** sends.ts runs the senders in a child process of its own. */
const SENDS_FILE = require.resolve('./sends');

function keywordsOf(scope: string, rule: number): string[] {
  return Array.from({ length: Math.ceil(KEYWORDS_PER_RULE) }, (_, k) => {
    const word = `${scope}kw${rule.toString(36)}q${k.toString(36)}z`;
    return k % 10 === 0 ? `${word}*` : k % 10 === 1 ? `*${word}` : word;
  });
}

function patternsOf(scope: string, rule: number): string[] {
  return Array.from(
    { length: PATTERNS_PER_RULE },
    (_, p) =>
      [
        `free\\s+money\\s*${scope}${rule}${p}`,
        `(?:buy|cheap)\\s+pills?\\s+${scope}${rule}x${p}`,
        `https?://[a-z0-9.-]*${scope}${rule}y${p}\\.example`,
        `\\b(crypto|bitcoin)\\s+giveaway\\s+${scope}${rule}w${p}`,
        `(a+)+b${scope}${rule}v${p}`,
      ][p]!,
  );
}

function rulesOf(scope: string, chatId: Types.ObjectId | null) {
  return Array.from({ length: RULES_PER_SCOPE }, (_, r) => ({
    chatId,
    name: `${scope} rule ${r}`,
    trigger:
      r < REGEX_RULES_PER_SCOPE
        ? { type: 'regex', patterns: patternsOf(scope, r) }
        : { type: 'keyword', words: keywordsOf(scope, r) },
    action: { type: r % 2 === 0 ? 'block' : 'hold', durationSec: null, note: null, reason: 'spam' },
    mode: 'enforce',
    exemptRoles: [],
    createdBy: 'bench',
  }));
}

export async function filtersBench(): Promise<string[]> {
  const env = {
    RATE_MESSAGES: '1000000/1s',
    RATE_CONNECTIONS: '10000/60s',
    RATE_REGISTRATIONS: '10000/60s',
    RATE_SOCKET_EVENTS: '1000000/10s',
  };
  return withBenchServer(
    'filters',
    env,
    async ({ stoa, url }) => {
      await MessageModel.init();
      const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => senderWithChat(url, i)));
      const run = async (round: string) => {
        await runInChild<SendsReport>(SENDS_FILE, { url, senders, sends: WARM_UP_SENDS, round: `${round}-warm` });
        const cpu = ownCpuSec();
        const report = await runInChild<SendsReport>(SENDS_FILE, { url, senders, sends: SENDS_PER_SENDER, round });
        if (report.failed > 0) throw new Error(`${report.failed} sends were refused in ${round}`);
        return { ...report, serverUs: ((ownCpuSec() - cpu) * 1e6) / report.acked };
      };

      // A first run only warms the server up, so that neither measured run pays for a fresh process.
      await run('prime');
      const bare = await run('bare');
      const chatIds = senders.map((s) => new Types.ObjectId(s.chatId));
      await FilterRuleModel.insertMany([
        ...rulesOf('p', null),
        ...chatIds.flatMap((chatId, i) => rulesOf(`c${i}`, chatId)),
      ]);
      await stoa.services.realtime.invalidate([
        cacheKeys.rules('platform'),
        ...senders.map((s) => cacheKeys.rules(s.chatId)),
      ]);
      const filtered = await run('filtered');

      const rate = (r: SendsReport) => r.acked / r.wallSec;
      const p = (r: SendsReport, q: number) => percentile(r.latenciesMs, q);
      const rateRatio = rate(filtered) / rate(bare);
      const p99Ratio = p(filtered, 0.99) / p(bare, 0.99);
      return [
        `filters on the send path: ${SENDERS} senders in ${SENDERS} chats, ${SENDERS * SENDS_PER_SENDER} sends a run; every send faces ${2 * RULES_PER_SCOPE} rules (${2 * Math.round(KEYWORDS_PER_RULE * (RULES_PER_SCOPE - REGEX_RULES_PER_SCOPE))} keywords, ${2 * REGEX_RULES_PER_SCOPE * PATTERNS_PER_RULE} regexes), none matching`,
        `  acked sends/s: ${Math.round(rate(filtered))} with rules vs ${Math.round(rate(bare))} without = ${rateRatio.toFixed(2)}x (target >= ${RATE_TARGET}x)${rateRatio >= RATE_TARGET ? '' : ' UNDER'}`,
        `  ack p50 ${p(filtered, 0.5).toFixed(1)} vs ${p(bare, 0.5).toFixed(1)} ms; p99 ${p(filtered, 0.99).toFixed(1)} vs ${p(bare, 0.99).toFixed(1)} ms = ${p99Ratio.toFixed(2)}x (target <= ${P99_TARGET}x)${p99Ratio <= P99_TARGET ? '' : ' OVER'}`,
        `  server CPU per send: ${filtered.serverUs.toFixed(0)} us with rules vs ${bare.serverUs.toFixed(0)} us without`,
        matcherScaling(),
      ];
    },
    'warn',
  );
}

/** The matcher alone: microseconds per message with 10 and with 10,000 keywords (and no regex). */
function matcherScaling(): string {
  const spec = (words: string[]): RuleSpec => ({
    id: 'r',
    chatId: null,
    name: 'r',
    trigger: { type: 'keyword', words },
    action: { type: 'block', durationSec: null, note: null, reason: 'spam' },
    mode: 'enforce',
    exemptRoles: [],
  });
  const text = 'an ordinary message of a dozen words, like most of what people send here';
  const time = (matcher: ScopeMatcher) => {
    for (let i = 0; i < 2000; i += 1) matcher.match({ text, accountAgeSec: 1e9 });
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i += 1) matcher.match({ text, accountAgeSec: 1e9 });
    return Number(process.hrtime.bigint() - started) / 1e3 / 20_000;
  };
  const few = time(new ScopeMatcher([spec(Array.from({ length: 10 }, (_, i) => `w${i}zz`))]));
  const many = time(new ScopeMatcher([spec(Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}zz`))]));
  return `  matcher alone: ${few.toFixed(1)} us a message with 10 keywords, ${many.toFixed(1)} us with 10,000 (${(many / few).toFixed(2)}x)`;
}

async function senderWithChat(url: string, i: number): Promise<{ token: string; chatId: string }> {
  const { token } = await register(url, `filter${i}`);
  const socket = await connect(url, token);
  const created = await socket.emitWithAck('chat:create', { type: 'group', title: `Filters ${i}` });
  socket.close();
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  return { token, chatId: created.chat.id };
}
