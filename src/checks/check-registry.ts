/**
 * The set of checks a scan can choose from, and the `--checks` selection language:
 *   none          no checks
 *   safe          every safe check (read-only handshakes and requests)
 *   all           every check, intrusive ones included
 *   id,id,...     exactly these (keywords may be mixed in: `safe,some-intrusive-id`)
 * An unknown id is an error naming it, never silently ignored.
 */
import { TrawlError } from '../errors/index.js';
import { BUILTIN_CHECKS } from './builtin/index.js';
import type { Check } from './check.js';

const ID = /^[a-z0-9][a-z0-9-]{0,99}$/;

export class CheckRegistry {
  readonly #checks = new Map<string, Check>();

  constructor(checks: Iterable<Check> = []) {
    for (const c of checks) this.register(c);
  }

  /** Adds a check (other engines — templates, plugins — register theirs here). Ids are unique. */
  register(check: Check): this {
    if (!ID.test(check.id)) throw new TrawlError('TRAWL_E_BAD_OPTION', `check id '${check.id}' must be lower-case letters, digits and dashes`, { value: check.id });
    if (this.#checks.has(check.id)) throw new TrawlError('TRAWL_E_BAD_OPTION', `check id '${check.id}' is registered twice`, { value: check.id });
    this.#checks.set(check.id, check);
    return this;
  }

  get(id: string): Check | undefined {
    return this.#checks.get(id);
  }

  /** Every check, in registration order. */
  list(): Check[] {
    return [...this.#checks.values()];
  }
}

/** A registry holding the built-in checks. */
export function builtinRegistry(): CheckRegistry {
  return new CheckRegistry(BUILTIN_CHECKS);
}

/** Parses a `--checks` value into the checks it selects, in registry order. */
export function parseCheckSelection(spec: string, registry: CheckRegistry = builtinRegistry()): Check[] {
  const words = spec.split(',').map((w) => w.trim());
  if (spec.trim() === '' || words.some((w) => w === '')) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `--checks '${spec}' has an empty entry (use none, safe, all or check ids separated by commas)`, { value: spec });
  }
  if (words.includes('none')) {
    if (words.length > 1) throw new TrawlError('TRAWL_E_BAD_OPTION', `--checks '${spec}': 'none' cannot be combined with other entries`, { value: spec });
    return [];
  }
  const chosen = new Set<string>();
  const all = registry.list();
  for (const w of words) {
    if (w === 'all') {
      for (const c of all) chosen.add(c.id);
    } else if (w === 'safe') {
      for (const c of all) if (c.safe) chosen.add(c.id);
    } else if (registry.get(w) !== undefined) {
      chosen.add(w);
    } else {
      throw new TrawlError('TRAWL_E_BAD_OPTION', `unknown check id '${w}' in --checks (known: none, safe, all, ${all.map((c) => c.id).join(', ')})`, { value: w });
    }
  }
  return all.filter((c) => chosen.has(c.id));
}
