/**
 * Keeps one channel's trouble in that channel. The watch notifier's Web API client neither waits
 * out rate limits nor retries on its own (either would hold the poll that called it, and with it
 * every other channel's news); instead this gate remembers, per channel, when Slack may be asked
 * again, and the notifier refuses at once, without a call, while a channel must wait. The poller
 * leaves that channel's events in the outbox and goes on with the others.
 *
 * - A 429 on a `chat.*` call blocks that channel for Retry-After (Slack limits chat.postMessage per
 *   channel); a 429 on any other method blocks that method everywhere (its tier is per workspace).
 * - A server error or a timeout blocks the channel for 2 s, doubling per failure in a row up to 60 s.
 *
 * Slack's own limits are obeyed as Slack states them (Retry-After), not guessed in advance: its
 * per-channel message limit allows bursts, and a guess would hold back people's own requests.
 *
 * In memory, per replica, on purpose: a limit is advice about the near future, not state that
 * must survive a restart; a replica that has not seen the 429 learns it from its own next call.
 */

/** The shortest wait after a 429 (a Retry-After of 0 still means "not now"). */
const MIN_WAIT_MS = 1000;
const FIRST_BACKOFF_MS = 2000;
const MAX_BACKOFF_MS = 60_000;
/** Channels remembered at most (the least recently touched are forgotten first). */
const MAX_CHANNELS = 10_000;

interface ChannelState {
  blockedUntil: number;
  failures: number;
}

export class DeliveryGate {
  private readonly channels = new Map<string, ChannelState>();
  private readonly methods = new Map<string, number>();

  /** @param now the clock (Date.now; tests move it). */
  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until `method` may be called for `channel` (0: now). */
  waitMs(channel: string, method = 'chat.postMessage'): number {
    const at = this.now();
    const methodWait = Math.max(0, (this.methods.get(method) ?? 0) - at);
    const state = this.channels.get(channel);
    return Math.max(methodWait, state ? state.blockedUntil - at : 0);
  }

  /** Slack answered 429 with Retry-After `retryAfterMs`. */
  rateLimited(channel: string | null, method: string, retryAfterMs: number): void {
    const until = this.now() + Math.max(retryAfterMs, MIN_WAIT_MS);
    if (channel !== null && method.startsWith('chat.')) {
      const state = this.stateOf(channel);
      state.blockedUntil = Math.max(state.blockedUntil, until);
      return;
    }
    this.methods.set(method, Math.max(this.methods.get(method) ?? 0, until));
  }

  /** A server error or a timeout in `channel`: it waits, longer after each failure in a row. Returns the wait. */
  failed(channel: string): number {
    const state = this.stateOf(channel);
    state.failures += 1;
    const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (state.failures - 1));
    state.blockedUntil = Math.max(state.blockedUntil, this.now() + backoff);
    return backoff;
  }

  /** A call in `channel` went through: its failure streak ends. */
  succeeded(channel: string): void {
    const state = this.channels.get(channel);
    if (state) state.failures = 0;
  }

  private stateOf(channel: string): ChannelState {
    let state = this.channels.get(channel);
    if (state) {
      // Most recently used last, so the oldest is the first key when the map is trimmed.
      this.channels.delete(channel);
    } else {
      state = { blockedUntil: 0, failures: 0 };
      if (this.channels.size >= MAX_CHANNELS) this.channels.delete(this.channels.keys().next().value!);
    }
    this.channels.set(channel, state);
    return state;
  }

}
