/**
 * Gives up on a service that keeps failing, as nuclei's -max-host-error does: after `max`
 * consecutive failed exchanges (timeouts, refusals, answers in another protocol) with one
 * (ip, port, protocol), the remaining templates for it are not sent. Without this a silent or
 * banner-first port costs every template its full timeout, which over a large collection is hours.
 * An answered exchange resets the count, so a slow but working service is never cut off.
 */
export class HostErrors {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  /** `max` 0: never give up. */
  constructor(max: number) {
    this.#max = max;
  }

  static key(ip: string, port: number, protocol: string): string {
    return `${ip}|${port}|${protocol}`;
  }

  tripped(key: string): boolean {
    return this.#max > 0 && (this.#counts.get(key) ?? 0) >= this.#max;
  }

  failed(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  answered(key: string): void {
    if (!this.tripped(key)) this.#counts.delete(key);
  }

  get max(): number {
    return this.#max;
  }
}
