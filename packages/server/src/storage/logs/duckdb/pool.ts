import type {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBResultReader,
  DuckDBType,
  DuckDBValue,
} from '@duckdb/node-api';

/**
 * A few DuckDB connections for readers. A connection runs one statement at a time, so queries
 * wait for a free connection instead of queueing inside one; writes use their own connection and
 * never wait behind a long scan.
 */
export class ConnectionPool {
  private readonly free: DuckDBConnection[];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];

  private constructor(private readonly all: DuckDBConnection[]) {
    this.free = [...all];
  }

  static async create(instance: DuckDBInstance, size: number): Promise<ConnectionPool> {
    const conns: DuckDBConnection[] = [];
    for (let i = 0; i < size; i++) conns.push(await instance.connect());
    return new ConnectionPool(conns);
  }

  /** Runs one statement on a free connection and reads its whole result. */
  async run(
    sql: string,
    values?: Record<string, DuckDBValue>,
    types?: Record<string, DuckDBType | undefined>,
  ): Promise<DuckDBResultReader> {
    const conn = this.free.pop() ?? (await new Promise<DuckDBConnection>((r) => this.waiting.push(r)));
    try {
      return await conn.runAndReadAll(sql, values, types);
    } finally {
      const next = this.waiting.shift();
      if (next) next(conn);
      else this.free.push(conn);
    }
  }

  async close(): Promise<void> {
    for (const c of this.all) c.closeSync();
  }
}
