/**
 * Where a client's address comes from: one `trust proxy` decision (TRUST_PROXY, in Express's
 * syntax) that both the HTTP app and the socket handshake apply, so limits and logs agree.
 */
import type { IncomingMessage } from 'node:http';

import proxyAddr from 'proxy-addr';

/** Whether the hop at `address`, `hops` away from this server, may tell us who sent the request. */
export type TrustProxy = (address: string, hops: number) => boolean;

/**
 * Parses TRUST_PROXY: unset or `false` trusts no proxy; `true` every hop; a whole number that
 * many hops; otherwise a comma-separated list of addresses, CIDRs or the names `loopback`,
 * `linklocal` and `uniquelocal`. Throws on anything else.
 */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  if (raw === undefined || raw === 'false') return () => false;
  if (raw === 'true') return () => true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    return (_address, hop) => hop < hops;
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('empty list');
  return proxyAddr.compile(entries);
}

/** The client's address under `trust`: the nearest hop in X-Forwarded-For that is not a trusted proxy. */
export function clientAddress(request: IncomingMessage, trust: TrustProxy): string {
  return proxyAddr(request, trust);
}
