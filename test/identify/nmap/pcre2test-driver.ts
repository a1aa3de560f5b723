import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs real PCRE (pcre2test from pcre2-utils) on many patterns and subjects in one process, through
 * its input-file syntax, and parses what it prints. Subjects are Latin-1 strings (one char per byte)
 * and are written with \x{hh} escapes, so any byte survives.
 */

export interface Pcre2Case {
  readonly pattern: string;
  /** nmap option letters: i, s. */
  readonly flags: string;
  /** Non-empty subjects (pcre2test ends a data block at an empty line). */
  readonly subjects: readonly string[];
}

export type SubjectOutcome =
  | { readonly kind: 'nomatch' }
  /** Capture lines as pcre2test prints them: " 0: text", " 1: <unset>", ... */
  | { readonly kind: 'match'; readonly lines: readonly string[] }
  | { readonly kind: 'error'; readonly message: string };

export type CaseOutcome =
  | { readonly kind: 'compile-error'; readonly message: string }
  | { readonly kind: 'ran'; readonly subjects: readonly SubjectOutcome[] }
  /** A pattern ending in an odd backslash cannot be written as a pcre2test line. */
  | { readonly kind: 'unsendable' };

export function pcre2testAvailable(): boolean {
  const r = spawnSync('pcre2test', ['-C'], { encoding: 'latin1' });
  return r.status === 0;
}

const DELIMITERS = ['/', '!', '%', '~', '@', '`', ';', ',', '=', '"', "'", '&'];

function patternLine(pattern: string, flags: string): string {
  const d = DELIMITERS.find((c) => !pattern.includes(c));
  let body = pattern;
  let delim = d;
  if (delim === undefined) {
    // Escape unescaped slashes (outside \Q...\E this is the same pattern).
    delim = '/';
    let out = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '\\') {
        out += c + (pattern[i + 1] ?? '');
        i++;
      } else out += c === '/' ? '\\/' : c;
    }
    body = out;
  }
  return `${delim}${body}${delim}${flags.includes('i') ? 'i' : ''}${flags.includes('s') ? 's' : ''}`;
}

export function encodeSubject(s: string): string {
  let out = '    ';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    out += (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? s[i] : `\\x{${c.toString(16).padStart(2, '0')}}`;
  }
  return out;
}

/** How pcre2test prints a captured string in 8-bit non-UTF mode. */
export function formatCapture(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f ? s[i] : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The lines pcre2test prints for a successful match with these captures. */
export function formatMatch(captures: readonly (string | undefined)[]): string[] {
  let last = 0;
  for (let i = captures.length - 1; i >= 0; i--) {
    if (captures[i] !== undefined) {
      last = i;
      break;
    }
  }
  const lines: string[] = [];
  for (let i = 0; i <= last; i++) {
    const c = captures[i];
    lines.push(`${String(i).padStart(2, ' ')}: ${c === undefined ? '<unset>' : formatCapture(c)}`);
  }
  return lines;
}

export function runPcre2Batch(cases: readonly Pcre2Case[]): CaseOutcome[] {
  const dir = mkdtempSync(join(tmpdir(), 'trawl-pcre2-'));
  try {
    const patLines: string[] = [];
    const subjLines: string[][] = [];
    const input: string[] = [];
    const unsendable = new Set<number>();
    cases.forEach((c, k) => {
      // A trailing odd backslash would escape the closing delimiter.
      if (/(^|[^\\])(\\\\)*\\$/.test(c.pattern)) unsendable.add(k);
    });
    for (const [k, c] of cases.entries()) {
      if (unsendable.has(k)) {
        patLines.push('');
        subjLines.push([]);
        continue;
      }
      const p = patternLine(c.pattern, c.flags);
      const subs = c.subjects.filter((s) => s.length > 0).map(encodeSubject);
      patLines.push(p);
      subjLines.push(subs);
      input.push(p, ...subs, '');
    }
    const inFile = join(dir, 'in.txt');
    const outFile = join(dir, 'out.txt');
    writeFileSync(inFile, input.join('\n') + '\n', 'latin1');
    const r = spawnSync('pcre2test', [inFile, outFile], { encoding: 'latin1', maxBuffer: 1 << 20 });
    if (r.status !== 0) {
      let tail = '';
      try {
        tail = readFileSync(outFile, 'latin1').split('\n').slice(-4).join(' | ');
      } catch {
        // no output
      }
      throw new Error(`pcre2test failed (${r.status}): ${r.stderr} ${tail}`);
    }
    const out = readFileSync(outFile, 'latin1').split('\n');
    let i = 1; // skip the version banner
    const results: CaseOutcome[] = [];
    const skipBlank = (): void => {
      while (i < out.length && out[i] === '') i++;
    };
    for (let k = 0; k < cases.length; k++) {
      if (unsendable.has(k)) {
        results.push({ kind: 'unsendable' });
        continue;
      }
      skipBlank();
      if (out[i] !== patLines[k]) throw new Error(`pcre2test output out of step at case ${k}: expected ${JSON.stringify(patLines[k])}, got ${JSON.stringify(out[i])}`);
      i++;
      if (out[i]?.startsWith('Failed: error') || out[i]?.startsWith('** ')) {
        const message = out[i]!;
        i++;
        while (i < out.length && out[i] !== '') i++;
        results.push({ kind: 'compile-error', message });
        continue;
      }
      const subjects: SubjectOutcome[] = [];
      for (const expectLine of subjLines[k]!) {
        if (out[i] !== expectLine) throw new Error(`pcre2test output out of step in case ${k}: expected subject echo, got ${JSON.stringify(out[i]?.slice(0, 80))}`);
        i++;
        const lines: string[] = [];
        while (i < out.length && out[i] !== '' && !out[i]!.startsWith('    ')) lines.push(out[i++]!);
        if (lines[0] === 'No match') subjects.push({ kind: 'nomatch' });
        else if (lines.length > 0 && lines.every((l) => /^ *\d+: /.test(l))) subjects.push({ kind: 'match', lines });
        else subjects.push({ kind: 'error', message: lines.join(' | ') });
      }
      results.push({ kind: 'ran', subjects });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
