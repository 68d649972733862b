/**
 * Flood isolation: every connection has an event budget, checked on each raw packet before
 * Socket.IO parses it, so that one flooding socket costs the server almost nothing and
 * everyone else's events keep their pace. It is Socket.IO's own packet decoder with a budget
 * in front (Socket.IO's `parser` option): a packet over budget is answered from its header
 * alone (type, namespace, ack id), and its payload is never parsed, routed or validated.
 */
import { Decoder, Encoder, PacketType, protocol } from 'socket.io-parser';

/**
 * The event a packet over budget turns into; server/socket.ts answers it `rate_limited`. A Symbol,
 * which no packet off the wire can carry: a client that sends an event of the same description
 * sends an unknown event, dropped and counted like any other.
 */
export const OVER_BUDGET_EVENT: unique symbol = Symbol('stoa.overBudget');

export interface OverBudget {
  /** When the connection may send its next event. */
  retryAfterMs: number;
  /** The connection kept sending after its refusals: it is to be closed, and this is the last event it yields. */
  exhausted: boolean;
}

/** A token bucket: `capacity` tokens, refilled continuously over `durationMs`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    private readonly capacity: number,
    durationMs: number,
    now = Date.now(),
  ) {
    this.tokens = capacity;
    this.last = now;
    this.perMs = capacity / durationMs;
  }

  /** Takes one token if there is one. */
  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Time until the next token. */
  msUntilNext(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perMs));
  }

  /** True when the bucket is full again (nothing left to remember about its key). */
  full(now = Date.now()): boolean {
    return this.tokens + (now - this.last) * this.perMs >= this.capacity;
  }
}

export interface EventBudget {
  /** Events one connection may send per window, with bursts up to the same number. */
  points: number;
  durationSec: number;
  /** Refusals tolerated per window; one more and the connection is closed. */
  refusals: number;
}

/** A Socket.IO parser whose decoder (one per connection) spends the connection's budget on each packet. */
export function budgetedParser(budget: EventBudget) {
  const windowMs = budget.durationSec * 1000;

  class BudgetedDecoder extends Decoder {
    private readonly events = new TokenBucket(budget.points, windowMs);
    private readonly refusals = new TokenBucket(budget.refusals, windowMs);
    private cutOff = false;

    override add(chunk: unknown): void {
      if (this.cutOff) return;
      // Binary attachments belong to a packet already admitted (at most maxAttachments of them).
      if (typeof chunk !== 'string' || this.events.take()) {
        super.add(chunk);
        return;
      }
      const exhausted = !this.refusals.take();
      if (exhausted) this.cutOff = true;
      const header = packetHeader(chunk);
      const verdict: OverBudget = { retryAfterMs: this.events.msUntilNext(), exhausted };
      this.emitReserved('decoded', {
        type: PacketType.EVENT,
        nsp: header?.nsp ?? '/',
        ...(header?.id !== undefined ? { id: header.id } : {}),
        data: [OVER_BUDGET_EVENT, verdict],
      });
    }
  }

  return { protocol, PacketType, Encoder, Decoder: BudgetedDecoder };
}

const MAX_NAMESPACE_LENGTH = 256;
const MAX_ID_DIGITS = 15;

/**
 * The namespace and ack id of a Socket.IO packet (`<type>[<attachments>-][<nsp>,][<id>]<json>`),
 * read without parsing its payload; undefined when it is not a packet at all.
 */
export function packetHeader(packet: string): { type: number; nsp: string; id?: number } | undefined {
  const type = packet.charCodeAt(0) - 48;
  if (!(type >= PacketType.CONNECT && type <= PacketType.BINARY_ACK)) return undefined;
  let at = 1;
  if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
    const dash = packet.indexOf('-', at);
    if (dash < 0 || dash - at > 3) return undefined;
    at = dash + 1;
  }
  let nsp = '/';
  if (packet[at] === '/') {
    const comma = packet.indexOf(',', at);
    const end = comma < 0 ? packet.length : comma;
    if (end - at > MAX_NAMESPACE_LENGTH) return undefined;
    nsp = packet.slice(at, end);
    at = end + 1;
  }
  let end = at;
  while (end < packet.length && end - at < MAX_ID_DIGITS && isDigit(packet.charCodeAt(end))) end += 1;
  return end > at ? { type, nsp, id: Number(packet.slice(at, end)) } : { type, nsp };
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;
