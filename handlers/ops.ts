/** What operators see of a running node. */
import type { Context, LimiterView } from './context';
import { StoaError } from './contract/errors';

/** Limiter settings, refusals and blocked keys: blocked keys name users and addresses, so platform admins only. */
export async function rateLimitView({ services, caller }: Context, _input: Record<string, never>): Promise<{ limiters: LimiterView[] }> {
  if (caller.user.role !== 'admin') throw new StoaError('forbidden', 'Only a platform admin sees this.');
  return { limiters: await services.limits.snapshot() };
}
