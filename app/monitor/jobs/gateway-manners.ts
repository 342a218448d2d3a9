/**
 * How the reconciliation jobs treat a merchant's gateway: a bounded number of calls in flight per
 * store, a bounded retry of transient failures, and a circuit breaker per store so a dead gateway
 * or bad credentials cost a handful of calls and produce one error per store per run, not one per
 * order. Pure helpers: time comes in as `sleep`, results are the client's result values.
 */

/** The part of a gateway result these helpers read (app/iamport's GatewayResult satisfies it). */
export type CallOutcome = {
  ok: boolean;
  error?: { kind: string; message: string; notFound: boolean; httpStatus?: number | null };
  meta?: {
    method?: string;
    path?: string;
    calls?: unknown[];
    tokenCalls?: { method?: string; path?: string }[];
  } | null;
};

export type Manners = {
  /** Gateway calls in flight at once for one store. */
  storeConcurrency: number;
  /** Stores worked on at once. */
  storeParallelism: number;
  /** Delays before each extra attempt of a retryable or indeterminate failure (its length bounds the retries). */
  retryDelaysMs: readonly number[];
  /** Failed operations in a row (after their retries) that open a store's breaker for the rest of the run. */
  breakerThreshold: number;
  /** Cooldown after the breaker opened: base × 2^(times opened in a row − 1), at most max. */
  cooldownBaseMs: number;
  cooldownMaxMs: number;
};

export const DEFAULT_MANNERS: Manners = {
  storeConcurrency: 4,
  storeParallelism: 4,
  retryDelaysMs: [500, 2000],
  breakerThreshold: 3,
  cooldownBaseMs: 60_000,
  cooldownMaxMs: 30 * 60_000,
};

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A gateway answer that is not an answer about the payment (not-found is an answer). */
export function isFailure(result: CallOutcome): boolean {
  return !result.ok && !result.error?.notFound;
}

/** Worth another try: the network, a 5xx, a 429 or a timeout. A rejection (401, bad request) is not. */
export function isTransient(result: CallOutcome): boolean {
  return isFailure(result) && (result.error?.kind === 'retryable' || result.error?.kind === 'indeterminate');
}

/**
 * How many HTTP requests an operation cost: its data exchanges plus the token requests it waited
 * for. Concurrent operations share one token request (the client lists it on each of them):
 * pass the same `seenTokens` to count it once.
 */
export function httpCallsOf(result: CallOutcome, seenTokens?: WeakSet<object>): number {
  const meta = result.meta;
  const tokens = meta?.tokenCalls ?? [];
  let tokenRequests = 0;
  for (const call of tokens) {
    if (seenTokens && typeof call === 'object' && call !== null) {
      if (seenTokens.has(call)) continue;
      seenTokens.add(call);
    }
    tokenRequests++;
  }
  if (Array.isArray(meta?.calls) && meta.calls.length > 0) return meta.calls.length + tokenRequests;
  // When the token request failed, it was the decisive (and only) exchange.
  const last = tokens[tokens.length - 1];
  const stoppedAtToken = last !== undefined && last.path === meta?.path && last.method === meta?.method;
  return (stoppedAtToken ? 0 : 1) + tokenRequests;
}

/**
 * Calls `attempt` until it gives an answer, fails for good, or the retries run out. Every attempt
 * is handed to `onAttempt` (to record it as evidence); reads only, so retrying is always safe.
 */
export async function withRetry<R extends CallOutcome>(
  attempt: () => Promise<R>,
  options: {
    retryDelaysMs: readonly number[];
    sleep: (ms: number) => Promise<void>;
    onAttempt?: (result: R, n: number) => Promise<void> | void;
  },
): Promise<{ result: R; attempts: number }> {
  for (let n = 1; ; n++) {
    const result = await attempt();
    await options.onAttempt?.(result, n);
    const delay = options.retryDelaysMs[n - 1];
    if (!isTransient(result) || delay === undefined) return { result, attempts: n };
    await options.sleep(delay);
  }
}

/** Runs at most `limit` tasks at once. */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export type Breaker = {
  /** True once `threshold` operations failed in a row: make no more calls for this store in this run. */
  readonly isOpen: boolean;
  /**
   * The store's gateway is unavailable as a whole: the breaker opened, or every operation so far
   * failed (a store with one batch and bad credentials never reaches the threshold).
   */
  readonly unavailable: boolean;
  /** The failure that opened it (or the latest one). */
  readonly lastError: string | null;
  readonly failuresInARow: number;
  readonly failures: number;
  record: (result: CallOutcome) => void;
};

/** A store's circuit breaker for one run. Stays open once opened (the cooldown outlives the run). */
export function createBreaker(threshold: number): Breaker {
  let inARow = 0;
  let total = 0;
  let answers = 0;
  let open = false;
  let lastError: string | null = null;
  return {
    get isOpen() {
      return open;
    },
    get unavailable() {
      return open || (total > 0 && answers === 0);
    },
    get lastError() {
      return lastError;
    },
    get failuresInARow() {
      return inARow;
    },
    get failures() {
      return total;
    },
    record(result) {
      if (!isFailure(result)) {
        inARow = 0;
        answers++;
        return;
      }
      inARow++;
      total++;
      lastError = describeFailure(result);
      if (inARow >= threshold) open = true;
    },
  };
}

export function describeFailure(result: CallOutcome): string {
  const error = result.error;
  if (!error) return 'unknown gateway failure';
  const status = error.httpStatus ? ` (HTTP ${error.httpStatus})` : '';
  return `${error.kind}${status}: ${error.message}`;
}

/** How long to leave a store alone after its breaker opened `level` times in a row (level >= 1). */
export function cooldownMs(level: number, manners: Pick<Manners, 'cooldownBaseMs' | 'cooldownMaxMs'>): number {
  return Math.min(manners.cooldownMaxMs, manners.cooldownBaseMs * 2 ** Math.max(0, level - 1));
}
