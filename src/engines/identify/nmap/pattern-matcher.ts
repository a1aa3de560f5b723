import { flagsFromLetters, translatePcre, type PcreTranslation, type PcreTranslationFailure } from './pcre-translate.js';

/**
 * Matches service responses against nmap match lines: translation and regex compilation are lazy
 * and cached per pattern, and each pattern's literal prefilters (anchored prefix, required run) run
 * before its regex, so a response usually executes a handful of the ~12k regexes.
 *
 * This class is synchronous and unguarded: a pathological pattern/response pair can block the
 * thread running it. The prober uses it inside worker threads with a time budget (match-pool.ts).
 */

/** nmap only ever matches what it read (≈4 KiB); 64 KiB bounds the subject whatever the caller. */
export const MAX_SUBJECT_BYTES = 64 * 1024;

export interface PatternSource {
  readonly pattern: string;
  /** PCRE option letters (`i`, `s`). */
  readonly flags: string;
}

export interface MatchHit {
  readonly matchId: number;
  /** PCRE-numbered captures, Latin-1: [0] the whole match, [n] group n (undefined if unset). */
  readonly captures: readonly (string | undefined)[];
}

/** A response as a Latin-1 string (one char per byte), with its ASCII-lower-cased twin on demand. */
export class PreparedSubject {
  readonly text: string;
  #lower: string | undefined;

  constructor(text: string) {
    this.text = text.length > MAX_SUBJECT_BYTES ? text.slice(0, MAX_SUBJECT_BYTES) : text;
  }

  static fromBytes(bytes: Uint8Array): PreparedSubject {
    const view = bytes.length > MAX_SUBJECT_BYTES ? bytes.subarray(0, MAX_SUBJECT_BYTES) : bytes;
    return new PreparedSubject(Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('latin1'));
  }

  get lower(): string {
    this.#lower ??= this.text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    return this.#lower;
  }
}

interface Compiled {
  readonly t: PcreTranslation;
  regex?: RegExp;
}

export interface MatcherStats {
  /** Patterns translated so far (lazily) and how many of those failed. */
  readonly translated: number;
  readonly failed: number;
  readonly compiled: number;
  readonly executed: number;
  /** Regex executions that threw (stack/size limits): counted as no match, like PCRE's match limit. */
  readonly execErrors: number;
}

export class PatternMatcher {
  readonly #patterns: readonly PatternSource[];
  readonly #cache: (Compiled | PcreTranslationFailure | undefined)[];
  #translated = 0;
  #failed = 0;
  #compiled = 0;
  #executed = 0;
  #execErrors = 0;

  constructor(patterns: readonly PatternSource[]) {
    this.#patterns = patterns;
    this.#cache = new Array<Compiled | PcreTranslationFailure | undefined>(patterns.length);
  }

  get size(): number {
    return this.#patterns.length;
  }

  /** The translation of pattern `id` (cached). */
  translation(id: number): PcreTranslation | PcreTranslationFailure {
    const c = this.#entry(id);
    return 'ok' in c ? c : c.t;
  }

  #entry(id: number): Compiled | PcreTranslationFailure {
    let c = this.#cache[id];
    if (c === undefined) {
      const src = this.#patterns[id];
      if (!src) throw new RangeError(`no pattern ${id}`);
      const t = translatePcre(src.pattern, flagsFromLetters(src.flags));
      this.#translated++;
      if (t.ok) c = { t };
      else {
        this.#failed++;
        c = t;
      }
      this.#cache[id] = c;
    }
    return c;
  }

  /** Runs pattern `id` (no prefilter); undefined for no match or an untranslatable pattern. */
  exec(id: number, subject: PreparedSubject): MatchHit | undefined {
    const c = this.#entry(id);
    if ('ok' in c) return undefined;
    if (!c.regex) {
      try {
        c.regex = new RegExp(c.t.source, c.t.flags);
        this.#compiled++;
      } catch (e) {
        const failure: PcreTranslationFailure = { ok: false, kind: 'unsupported', reason: `JavaScript rejected the translation: ${e instanceof Error ? e.message : String(e)}` };
        this.#cache[id] = failure;
        this.#failed++;
        return undefined;
      }
    }
    this.#executed++;
    let m: RegExpExecArray | null;
    try {
      m = c.regex.exec(subject.text);
    } catch {
      this.#execErrors++;
      return undefined;
    }
    if (!m) return undefined;
    const map = c.t.groupMap;
    const captures: (string | undefined)[] = [m[0]];
    for (let g = 1; g <= c.t.groupCount; g++) {
      const js = map[g] ?? -1;
      captures.push(js > 0 ? m[js] : undefined);
    }
    return { matchId: id, captures };
  }

  /** False when the literal prefilters prove pattern `id` cannot match. */
  mayMatch(id: number, subject: PreparedSubject): boolean {
    const c = this.#entry(id);
    if ('ok' in c) return false;
    const t = c.t;
    if (t.prefix !== undefined && !(t.prefixCaseless ? subject.lower : subject.text).startsWith(t.prefix)) return false;
    // The mandatory literal runs must all be there, in order (PCRE's "required character" check,
    // generalised): rejects most non-matching responses before any backtracking can start.
    let pos = 0;
    for (const l of t.literals) {
      const at = (l.caseless ? subject.lower : subject.text).indexOf(l.text, pos);
      if (at === -1) return false;
      pos = at + l.text.length;
    }
    return true;
  }

  /**
   * The first of `ids` (from position `from`) whose pattern matches. `onProgress(position)` runs
   * before each pattern is looked at (translated, prefiltered, executed) — the worker's watchdog
   * uses it to tell a pattern that hangs from a long list that is merely being worked through.
   */
  matchFirst(ids: readonly number[], subject: PreparedSubject, from = 0, onProgress?: (position: number) => void): { hit?: MatchHit; position?: number } {
    for (let i = from; i < ids.length; i++) {
      const id = ids[i]!;
      onProgress?.(i);
      if (!this.mayMatch(id, subject)) continue;
      const hit = this.exec(id, subject);
      if (hit) return { hit, position: i };
    }
    return {};
  }

  stats(): MatcherStats {
    return { translated: this.#translated, failed: this.#failed, compiled: this.#compiled, executed: this.#executed, execErrors: this.#execErrors };
  }
}
