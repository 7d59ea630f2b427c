import { Logger } from '@nestjs/common';

/** The tables whose growth changes the plans of our reads (history, charts, search). */
export type AnalyzedTable = 'metric_points' | 'metric_rollups' | 'metric_series' | 'runs' | 'params' | 'run_tags';

/** A table is analysed again once this many rows, or as many as it held, were written since. */
const MIN_ROWS_BETWEEN_ANALYZES = 1_000;

/**
 * Keeps PostgreSQL's table statistics in step with tables that grow fast. PostgreSQL plans from
 * statistics that autovacuum refreshes at most once a minute, after 10% of a table changed; a
 * tracking database goes from empty to a million points in seconds, and until autovacuum comes
 * round the planner believes a series holds a few thousand points. It then reads a history page
 * by sorting half a million rows instead of walking the primary key (238 ms instead of 5 for one
 * 25,000-point page, measured on a freshly loaded series), and searches with nested loops.
 *
 * So the server counts the rows it writes and runs ANALYZE on a table once it has doubled since
 * the last one (at least 1,000 rows): about twenty cheap passes over a table's first million
 * rows, one at a time, in the background, never on a request's path. Autovacuum still does
 * everything else.
 */
export class PlannerStatistics {
  private readonly logger = new Logger('PlannerStatistics');
  private readonly writtenSince = new Map<AnalyzedTable, number>();
  private readonly threshold = new Map<AnalyzedTable, number>();
  private running = false;

  constructor(
    /** Runs one statement outside any transaction; resolves with the table's estimated row count afterwards. */
    private readonly analyze: (table: AnalyzedTable) => Promise<number>,
  ) {}

  noteWrites(table: AnalyzedTable, rows: number): void {
    if (rows <= 0) {
      return;
    }
    const written = (this.writtenSince.get(table) ?? 0) + rows;
    this.writtenSince.set(table, written);
    if (!this.running && written >= (this.threshold.get(table) ?? MIN_ROWS_BETWEEN_ANALYZES)) {
      this.running = true;
      this.writtenSince.set(table, 0);
      this.analyze(table)
        .then(
          (estimatedRows) => this.threshold.set(table, Math.max(MIN_ROWS_BETWEEN_ANALYZES, estimatedRows)),
          (error: unknown) => this.logger.warn(`ANALYZE ${table} failed: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          this.running = false;
        });
    }
  }
}
