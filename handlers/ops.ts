/** What operators see of a running node. */
import type { Context, LimiterView } from './context';

/** Limiter settings, refusals and blocked keys: blocked keys name users and addresses, so platform admins only. */
export async function rateLimitView(
  { services }: Context,
  _input: Record<string, never>,
): Promise<{ limiters: LimiterView[] }> {
  return { limiters: await services.limits.snapshot() };
}
