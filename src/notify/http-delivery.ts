export interface RetryPolicy {
  /** Total attempts, the first included (default 5). */
  readonly attempts: number;
  /** Delay before the second attempt; doubles each time (default 1 s). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Per attempt; a slower receiver counts as a timeout and is retried (default 10 s). */
  readonly timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 10_000 };

export interface DeliveryResult {
  readonly ok: boolean;
  readonly attempts: number;
  /** HTTP status of the last attempt, if one answered. */
  readonly status: number | null;
  readonly error: string | null;
}

/** Retried: server errors, 408, 429, timeouts and connection failures. Anything else is final. */
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * POSTs one body with retries and exponential backoff (bounded attempts, capped delay, ±10% jitter so
 * many deliveries to one receiver do not retry in lockstep). Redirects are not followed: a webhook
 * URL is where the body goes, not a hint. `headersFor(attempt)` lets each attempt be re-stamped.
 */
export async function postWithRetry(
  url: string,
  body: string,
  headersFor: (attempt: number) => Record<string, string>,
  policy: RetryPolicy = defaultRetryPolicy,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<DeliveryResult> {
  let status: number | null = null;
  let error: string | null = null;
  const attempts = Math.max(1, Math.floor(policy.attempts));
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 2));
      await sleep(Math.round(base * (0.9 + Math.random() * 0.2)));
    }
    try {
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: headersFor(attempt),
        redirect: 'manual',
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      status = res.status;
      // Drain (bounded by the timeout) so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, attempts: attempt, status, error: null };
      error = `HTTP ${res.status}`;
      if (!retryable(res.status)) return { ok: false, attempts: attempt, status, error };
    } catch (e) {
      status = null;
      const err = e as Error & { cause?: { code?: string } };
      error = err.name === 'TimeoutError' ? `timed out after ${policy.timeoutMs} ms` : (err.cause?.code ?? err.message);
    }
  }
  return { ok: false, attempts, status, error };
}
