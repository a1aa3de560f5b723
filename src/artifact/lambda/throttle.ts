/** Error names AWS uses for rate limiting, across services and protocols. */
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException', 'SlowDown', 'RequestThrottled', 'RequestThrottledException']);

export function isThrottling(error: unknown): boolean {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean }; status?: number } | null;
  if (e === null || typeof e !== 'object') return false;
  return (typeof e.name === 'string' && THROTTLING.has(e.name)) || e.$metadata?.httpStatusCode === 429 || e.status === 429 || e.$retryable?.throttling === true;
}

export interface RetryOptions {
  /** Attempts in all, the first included (default 6). */
  readonly attempts?: number;
  /** First backoff; doubles per attempt up to maxDelayMs, with full jitter (default 200 ms). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Called before each wait, for counting and logs. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn`, retrying only throttling errors (ThrottlingException, 429...) with exponential backoff
 * and full jitter; any other error is final at once. The SDK clients are built with maxAttempts 1 so
 * this is the one retry policy.
 */
export async function withThrottleRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 6);
  const base = opts.baseDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 20_000;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts || !isThrottling(e)) throw e;
      const delay = Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1)));
      opts.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
