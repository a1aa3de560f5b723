import { sql, type RawBuilder } from 'kysely';

/** `column LIKE '%"value"%'` over a JSON array of strings, wildcards in `value` escaped. */
export function jsonArrayContains(column: string, value: string): RawBuilder<boolean> {
  const escaped = JSON.stringify(value).replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<boolean>`${sql.ref(column)} like ${`%${escaped}%`} escape '\\'`;
}
