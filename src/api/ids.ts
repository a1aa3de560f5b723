import { newScanId } from '../scan/scan-id.js';

/** Time-sortable ids (the scans' format), so "created order" and "id order" agree. */
export function newId(now = Date.now()): string {
  return newScanId(now);
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** JSON text columns read back; a malformed one is a bug, reported as such. */
export function parseJsonColumn<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
