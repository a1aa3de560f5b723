/**
 * `{{…}}` markers in request parts, words and variables. A marker holding a known variable name is
 * replaced by its value; anything else is evaluated as a DSL expression (helpers such as
 * `{{base64(user + ":" + pass)}}`). A marker that does not parse as an expression stays literal, as
 * nuclei leaves it; a marker naming an undefined variable makes the whole text unresolved
 * (DslUnresolvedError) so the caller can skip that request the way nuclei does.
 */
import { DslUnresolvedError, type DslLookup, evaluateDsl, parseCached } from './dsl-eval.js';
import { toDslString } from './dsl-value.js';
import { canonicalDsl } from './dsl-bytes.js';
import { TrawlError } from '../../../errors/trawl-error.js';

const MARKER = /\{\{([\s\S]{1,4096}?)\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `{{x-wp-nonce}}`: a variable with that name when one exists, else the expression x - wp - nonce. */
const DASHED_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+$/;

/** The inner texts of every marker (for load-time checks). */
export function markersIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(MARKER)) out.push(m[1]!.trim());
  return out;
}

/** True when the marker body parses as an expression (non-parsing markers are literal text). */
export function markerIsExpression(inner: string): boolean {
  try {
    parseCached(inner);
    return true;
  } catch {
    return false;
  }
}

export interface InterpolateOptions {
  readonly allowRandom?: boolean;
}

export function interpolate(text: string, lookup: DslLookup, opts: InterpolateOptions = { allowRandom: true }): string {
  if (!text.includes('{{')) return text;
  // Canonical: bytes from neighbouring markers ({{hex_decode("c3")}}{{hex_decode("a9")}}) may form a character.
  return canonicalDsl(replaceMarkers(text, lookup, opts));
}

function replaceMarkers(text: string, lookup: DslLookup, opts: InterpolateOptions): string {
  return text.replace(MARKER, (whole, rawInner: string) => {
    const inner = rawInner.trim();
    if (NAME.test(inner)) {
      const v = lookup(inner);
      if (v === undefined) throw new DslUnresolvedError(inner);
      return toDslString(v);
    }
    if (DASHED_NAME.test(inner)) {
      const v = lookup(inner);
      if (v !== undefined) return toDslString(v);
    }
    try {
      parseCached(inner);
    } catch (e) {
      if (e instanceof TrawlError) return whole;
      throw e;
    }
    return toDslString(evaluateDsl(inner, lookup, { allowRandom: opts.allowRandom ?? true }));
  });
}
