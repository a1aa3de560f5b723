import { parse } from 'yaml';
import { formatError } from './parser-support.js';

/**
 * YAML for lockfiles: aliases capped (billion-laughs), no custom tags, and any failure of the
 * library (including a stack overflow on absurd nesting) reported as a malformed file.
 */
export function yamlOf(path: string, text: string): unknown {
  try {
    return parse(text, { maxAliasCount: 100, prettyErrors: false, uniqueKeys: false, schema: 'core', strict: false }) as unknown;
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    throw formatError(path, `not valid YAML: ${msg.split('\n')[0] ?? msg}`);
  }
}
