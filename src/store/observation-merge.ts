import { sql, type RawBuilder } from 'kysely';
import type { PortState } from '../model/observation.js';

/**
 * Which observation a row keeps when the same (scan, type, ip, port, proto) is observed twice in one
 * scan — a retry, a redelivered batch, a resumed range.
 *
 * States only strengthen: open > closed > filtered. A later observation replaces the stored one only
 * when its state ranks strictly higher, and then it replaces it whole (state, evidence, rtt, ts,
 * worker), because `ts` says when *that* state was seen; the row always describes one real
 * observation. Hence:
 *  - an open port is never downgraded by a later closed/filtered (a lost SYN-ACK on a retry, a
 *    firewall rate limit) — the handshake happened, that is the fact;
 *  - a reset beats silence (silence after an answer is loss, not evidence);
 *  - equal ranks keep the first, so re-committing the same batch changes nothing (idempotent).
 * The final state is the maximum over all deliveries whatever their order; `ts` is that of the first
 * delivery reaching it. A hostname, once known, is kept if the replacing observation has none.
 */
export const stateRank: Readonly<Record<PortState, number>> = { filtered: 1, closed: 2, open: 3 };

export function supersedes(next: PortState, current: PortState): boolean {
  return stateRank[next] > stateRank[current];
}

/** The rank in SQL, for the upsert's `do update ... where`. Unknown states rank lowest (CHECKs reject them anyway). */
export function stateRankSql(column: string): RawBuilder<number> {
  return sql<number>`(case ${sql.ref(column)} when 'open' then 3 when 'closed' then 2 else 1 end)`;
}

/**
 * Applies the rule inside one batch, in delivery order, so a single multi-row upsert never touches
 * the same row twice (PostgreSQL refuses that; SQLite would apply it row by row).
 */
export function collapseByIdentity<T extends { readonly state: PortState; readonly hostname: string | null }>(
  items: readonly T[],
  identity: (item: T) => string,
): T[] {
  const kept = new Map<string, T>();
  for (const item of items) {
    const key = identity(item);
    const current = kept.get(key);
    if (current === undefined) kept.set(key, item);
    else if (supersedes(item.state, current.state)) kept.set(key, { ...item, hostname: item.hostname ?? current.hostname });
  }
  return [...kept.values()];
}
