import { errorCatalogue, type TrawlErrorCode } from './error-catalogue.js';

/** The only error type Trawl throws on purpose. `message` names the offending value. */
export class TrawlError extends Error {
  readonly code: TrawlErrorCode;
  /** Structured context (the offending value, a line number...) for API problem responses. */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: TrawlErrorCode, message: string, detail: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TrawlError';
    this.code = code;
    this.detail = detail;
  }

  get exitCode(): number {
    return errorCatalogue[this.code].exitCode;
  }

  get httpStatus(): number {
    return errorCatalogue[this.code].httpStatus;
  }

  /** RFC 9457 problem details. */
  toProblem(): { type: string; title: string; status: number; detail: string; code: TrawlErrorCode } & Record<string, unknown> {
    const entry = errorCatalogue[this.code];
    return { ...this.detail, type: `urn:trawl:error:${this.code}`, title: entry.title, status: entry.httpStatus, detail: this.message, code: this.code };
  }
}

export function isTrawlError(e: unknown): e is TrawlError {
  return e instanceof TrawlError;
}
