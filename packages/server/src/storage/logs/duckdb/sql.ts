/**
 * The SQL text this backend generates, kept apart from the store so that tests can assert what is
 * generated (Kysely's `testSql` habit) and so that every piece of user input that reaches SQL
 * passes through one quoting function.
 */
import type { LineFilterPushdown } from '../interface.ts';

/** The columns of every partition table, in append order. */
export const PARTITION_COLUMNS = `(
  stream_id UINTEGER NOT NULL,
  ts BIGINT NOT NULL,
  observed_ts BIGINT NOT NULL,
  severity UTINYINT NOT NULL,
  severity_text VARCHAR NOT NULL,
  line VARCHAR NOT NULL USING COMPRESSION zstd,
  metadata VARCHAR NOT NULL USING COMPRESSION zstd,
  trace_id UHUGEINT,
  span_id UBIGINT
)`;

/** A SQL string literal: single quotes doubled, everything else verbatim (DuckDB reads no escapes in '...'). */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** True when a value can be inlined as a literal: DuckDB strings cannot hold NUL. */
export function inlinable(text: string): boolean {
  return !text.includes('\0');
}

/**
 * The WHERE condition for pushed-down line filters, or undefined when one of them cannot be
 * expressed (the caller then filters those lines itself). Patterns are inlined as literals
 * rather than bound as parameters: DuckDB compiles a constant regex once, a parameter per row.
 */
export function lineFilterSql(filters: readonly LineFilterPushdown[]): string | undefined {
  const parts: string[] = [];
  for (const f of filters) {
    const sql = oneFilter(f);
    if (sql === undefined) return undefined;
    parts.push(sql);
  }
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

function oneFilter(f: LineFilterPushdown): string | undefined {
  switch (f.kind) {
    case 'contains':
      if (!inlinable(f.text)) return undefined;
      // contains('x', '') is true, as Go's strings.Contains.
      return `${f.negate ? 'NOT ' : ''}contains(line, ${sqlString(f.text)})`;
    case 'regex':
      if (!inlinable(f.pattern)) return undefined;
      return `${f.negate ? 'NOT ' : ''}regexp_matches(line, ${sqlString(f.pattern)})`;
    case 'or': {
      const any: string[] = [];
      for (const part of f.any) {
        const sql = oneFilter(part);
        if (sql === undefined) return undefined;
        any.push(sql);
      }
      return any.length === 0 ? 'false' : `(${any.join(' OR ')})`;
    }
  }
}

/** A quoted identifier for a partition table name (names are generated, but quote anyway). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
