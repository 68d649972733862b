/**
 * The matching of automatic filters (handlers/filters.ts), pure and compiled once per scope: text
 * is normalised (NFKC, marks stripped, lower case, look-alike letters, digits and symbols folded to
 * their Latin letter) and cut into Unicode words; every keyword of every rule of a scope sits in one
 * map (whole words and phrases) and two tries (`word*` prefixes, `*word` suffixes), so a message
 * costs one lookup per word however many keywords there are. Regexes run in RE2JS, a linear-time
 * engine: no pattern can stall the event loop.
 */
import { RE2JS } from 're2js';

import type { FilterAction, FilterExemptRole, FilterMode, ReportReason } from '../models/vocabulary';

/** Limits on what a rule may hold (beyond them: `invalid_input`). */
export const FILTER_LIMITS = { words: 1000, patterns: 100, patternChars: 260, programSize: 20_000, domains: 500 };

export type Trigger =
  | { type: 'keyword'; words: string[] }
  | { type: 'regex'; patterns: string[] }
  | { type: 'links'; allow?: string[] | undefined; deny?: string[] | undefined }
  | { type: 'mentions'; max: number }
  | { type: 'new_account'; minAgeSec: number; links: false };

/** A rule as the matcher needs it. */
export interface RuleSpec {
  id: string;
  chatId: string | null;
  name: string;
  trigger: Trigger;
  action: { type: FilterAction; durationSec: number | null; note: string | null; reason: ReportReason };
  mode: FilterMode;
  exemptRoles: FilterExemptRole[];
}

/** Look-alikes folded to the Latin letter they pass for: Cyrillic and Greek letters, digits and symbols. */
const LETTERS: Record<string, string> = {
  а: 'a', в: 'b', г: 'r', е: 'e', ё: 'e', і: 'i', ї: 'i', ј: 'j', к: 'k', м: 'm', н: 'h', о: 'o', п: 'n',
  р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', ь: 'b', ԁ: 'd', ԛ: 'q', ԝ: 'w',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', σ: 'o', ς: 'c', τ: 't',
  υ: 'u', χ: 'x', ω: 'w',
}; // prettier-ignore
const DIGITS: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
};
/** Symbols fold only inside or at the start of a word ("$pam", "sp@m"), never on their own ("$5", "hello!"). */
const SYMBOLS: Record<string, string> = { '@': 'a', $: 's', '!': 'i', '|': 'l' };

const WORD_CHAR = /[\p{L}\p{N}]/u;
const FORMAT_CHARS = /[\p{Cf}]/gu;
const MARKS = /\p{M}/gu;

/** NFKC, format characters removed, marks stripped, lower case, look-alike letters folded: what regexes and links see. */
export function lightNormalize(text: string): string {
  const base = text.normalize('NFKC').replace(FORMAT_CHARS, '').normalize('NFD').replace(MARKS, '').toLowerCase();
  let out = '';
  for (const ch of base) out += LETTERS[ch] ?? ch;
  return out;
}

/** The words of `text` as keywords see them: light normalisation, then digits and symbols inside words folded to letters. */
export function words(text: string): string[] {
  const chars = [...lightNormalize(text)];
  const found: string[] = [];
  let word = '';
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i]!;
    if (WORD_CHAR.test(ch)) {
      word += DIGITS[ch] ?? ch;
      continue;
    }
    const symbol = SYMBOLS[ch];
    const next = chars[i + 1];
    if (symbol !== undefined && next !== undefined && WORD_CHAR.test(next)) {
      word += symbol;
      continue;
    }
    if (word) found.push(word);
    word = '';
  }
  if (word) found.push(word);
  return found;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  rules: number[];
}
const trieNode = (): TrieNode => ({ next: new Map(), rules: [] });

function trieAdd(root: TrieNode, word: string, rule: number): void {
  let node = root;
  for (const ch of word) {
    let child = node.next.get(ch);
    if (!child) node.next.set(ch, (child = trieNode()));
    node = child;
  }
  if (!node.rules.includes(rule)) node.rules.push(rule);
}

/** Every rule whose prefix (in `chars` order) the word starts with. */
function trieWalk(root: TrieNode, chars: string[], into: Set<number>): void {
  let node: TrieNode | undefined = root;
  for (const ch of chars) {
    node = node.next.get(ch);
    if (!node) return;
    for (const rule of node.rules) into.add(rule);
  }
}

/** A keyword as entered: a whole word or phrase, or one word with `*` at its start or end. */
export function parseKeyword(raw: string): { kind: 'exact' | 'prefix' | 'suffix'; tokens: string[] } | string {
  const trimmed = raw.trim();
  const lead = trimmed.startsWith('*');
  const trail = trimmed.endsWith('*') && trimmed.length > 1;
  const core = trimmed.slice(lead ? 1 : 0, trail ? -1 : undefined);
  if (lead && trail) return `"${raw}": use * at the start or at the end of a word, not both`;
  if (core.includes('*')) return `"${raw}": * goes only at the start or the end of a word`;
  const tokens = words(core);
  if (tokens.length === 0) return `"${raw}" has no letters or digits`;
  if ((lead || trail) && tokens.length > 1) return `"${raw}": a wildcard goes on a single word`;
  return { kind: lead ? 'suffix' : trail ? 'prefix' : 'exact', tokens };
}

/** Null when RE2 accepts the pattern within the limits; otherwise why not. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > FILTER_LIMITS.patternChars)
    return `a pattern is at most ${FILTER_LIMITS.patternChars} characters`;
  try {
    const compiled = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    if (compiled.programSize() > FILTER_LIMITS.programSize) return `"${pattern}" is too large once compiled`;
    return null;
  } catch (err) {
    return `"${pattern}": ${(err as Error).message}`;
  }
}

/** Top-level domains that make a bare `name.tld` a link (with a scheme or `www.`, any is). */
const LINK_TLDS = new Set(
  'com net org io co ru de uk info biz xyz me ly gg app dev tk ml ga cf gq top site online club shop link click fr es it nl pl br cn jp in us eu tv cc ws to sh ai live store'.split(
    ' ',
  ),
);
const HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.([a-z]{2,63})$/;

/** The domains of the links in `text` (lower case, without `www.`). */
export function domainsIn(text: string): string[] {
  const found: string[] = [];
  for (let token of lightNormalize(text).split(/\s+/)) {
    token = token.replace(/^[("'<[]+/, '');
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(token);
    if (scheme) token = token.slice(scheme[0].length);
    else if (token.includes('@')) continue; // an address or a mention, not a link
    const host = token.split(/[/?#:]/, 1)[0]!.replace(/[.,;!)"'>\]]+$/, '');
    const tld = HOST.exec(host)?.[1];
    if (tld === undefined) continue;
    if (!scheme && !host.startsWith('www.') && !LINK_TLDS.has(tld)) continue;
    found.push(host.replace(/^www\./, ''));
  }
  return found;
}

const onList = (domain: string, list: readonly string[]): boolean =>
  list.some((entry) => domain === entry || domain.endsWith(`.${entry}`));

const MENTION = /(?:^|[^\w@])@[A-Za-z0-9_]{3,32}/g;
export const mentionsIn = (text: string): number => text.match(MENTION)?.length ?? 0;

/** What the sender's message is judged on besides its text. */
export interface Sending {
  text: string;
  accountAgeSec: number;
}

/** The compiled rules of one scope (the platform, or one chat). */
export class ScopeMatcher {
  readonly rules: RuleSpec[];
  private readonly exact = new Map<string, Array<{ rest: string[]; rule: number }>>();
  private readonly prefixes = trieNode();
  private readonly suffixes = trieNode();
  private readonly regexes: Array<{ rule: number; patterns: RE2JS[] }> = [];
  /** All patterns of the scope in one program: one pass answers "any?" before each is asked. */
  private readonly anyRegex: RE2JS | null = null;
  private readonly others: number[] = [];
  private readonly hasKeywords: boolean;

  constructor(rules: RuleSpec[]) {
    this.rules = rules;
    const allPatterns: string[] = [];
    rules.forEach((rule, i) => {
      const trigger = rule.trigger;
      if (trigger.type === 'keyword') {
        for (const raw of trigger.words) {
          const parsed = parseKeyword(raw);
          if (typeof parsed === 'string') continue; // refused when the rule was written
          const [first, ...rest] = parsed.tokens;
          if (parsed.kind === 'prefix') trieAdd(this.prefixes, first!, i);
          else if (parsed.kind === 'suffix') trieAdd(this.suffixes, [...first!].reverse().join(''), i);
          else {
            const list = this.exact.get(first!) ?? [];
            list.push({ rest, rule: i });
            this.exact.set(first!, list);
          }
        }
      } else if (trigger.type === 'regex') {
        const compiled = trigger.patterns.flatMap((p) => (patternProblem(p) ? [] : [p]));
        this.regexes.push({ rule: i, patterns: compiled.map((p) => RE2JS.compile(p, RE2JS.CASE_INSENSITIVE)) });
        allPatterns.push(...compiled.map((p) => `(?:${p})`));
      } else this.others.push(i);
    });
    this.hasKeywords = this.exact.size > 0 || this.prefixes.next.size > 0 || this.suffixes.next.size > 0;
    if (allPatterns.length > 0) this.anyRegex = RE2JS.compile(allPatterns.join('|'), RE2JS.CASE_INSENSITIVE);
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** The indexes of the rules `sending` matches. */
  match(sending: Sending): Set<number> {
    const hits = new Set<number>();
    if (this.rules.length === 0) return hits;
    if (this.hasKeywords) this.matchWords(words(sending.text), hits);
    if (this.anyRegex) {
      const light = lightNormalize(sending.text);
      if (this.anyRegex.test(light)) {
        for (const { rule, patterns } of this.regexes) if (patterns.some((p) => p.test(light))) hits.add(rule);
      }
    }
    if (this.others.length > 0) {
      let domains: string[] | null = null;
      const linksOf = () => (domains ??= domainsIn(sending.text));
      for (const i of this.others) if (triggered(this.rules[i]!.trigger, sending, linksOf)) hits.add(i);
    }
    return hits;
  }

  private matchWords(tokens: string[], hits: Set<number>): void {
    for (let t = 0; t < tokens.length; t += 1) {
      const token = tokens[t]!;
      const entries = this.exact.get(token);
      if (entries) {
        for (const { rest, rule } of entries) if (rest.every((word, k) => tokens[t + 1 + k] === word)) hits.add(rule);
      }
      if (this.prefixes.next.size > 0) trieWalk(this.prefixes, [...token], hits);
      if (this.suffixes.next.size > 0) trieWalk(this.suffixes, [...token].reverse(), hits);
    }
  }
}

function triggered(trigger: Trigger, sending: Sending, linksOf: () => string[]): boolean {
  switch (trigger.type) {
    case 'links': {
      const domains = linksOf();
      if (domains.length === 0) return false;
      if (trigger.deny?.length && domains.some((d) => onList(d, trigger.deny!))) return true;
      if (trigger.allow?.length) return domains.some((d) => !onList(d, trigger.allow!));
      return !trigger.deny?.length;
    }
    case 'mentions':
      return mentionsIn(sending.text) > trigger.max;
    case 'new_account':
      return sending.accountAgeSec < trigger.minAgeSec && linksOf().length > 0;
    default:
      return false;
  }
}
