/**
 * Statements of reasons in the shape of the EU DSA transparency database (Art. 24(5)): one per
 * decision that restricts someone, written where every decision is enacted (handlers/enactment.ts,
 * from the table of handlers/policy/moderation-kinds.ts) and exported to platform admins without
 * personal data (no user ids, usernames or message text).
 */
import type { Statement } from './policy/moderation-kinds';
import * as statements from './store/statements';
import type { Context } from './context';

export async function exportStatements(
  _ctx: Context,
  input: { from?: string | undefined; to?: string | undefined },
): Promise<{ from: string; to: string; statements: Statement[] }> {
  const to = input.to ? new Date(input.to) : new Date();
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - 30 * 86_400_000);
  return { from: from.toISOString(), to: to.toISOString(), statements: await statements.madeIn(from, to) };
}
