import { Injectable } from '@nestjs/common';
import { chunksOf, placeholders, SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { isUniqueViolation } from '../../database/sql-errors.js';
import { ExperimentEntity } from './entities/experiment.entity.js';
import type { SearchRow } from '../../common/search/search-page.js';
import { queryExperimentSearch } from './search/experiment-search.js';
import type { ExperimentSearchSpec } from './search/experiment-search.sql.js';

export type NewExperiment = Omit<ExperimentEntity, 'id'>;

const COLUMNS = 'id, public_id, name, config, artifact_location, lifecycle_stage, created_at, updated_at, deleted_at';

/** What the experiment list shows of an experiment's runs. */
export interface ExperimentRunStats {
  /** Active (not deleted) runs. */
  runCount: number;
  /** The latest creation, start, end or recorded activity of those runs (ms); null with none. */
  lastActivityAt: number | null;
}

/**
 * A run's latest sign: the greatest of its times that are set. PostgreSQL's GREATEST skips
 * NULLs; SQLite's multi-argument MAX is NULL if any argument is, so each falls back to
 * created_at, which is always set.
 */
const RUN_LATEST_TIME = {
  postgres: 'GREATEST(created_at, started_at, ended_at, last_activity_at)',
  sqlite: 'MAX(created_at, COALESCE(started_at, created_at), COALESCE(ended_at, created_at), COALESCE(last_activity_at, created_at))',
} as const;

/** What never changes about an experiment and addresses its runs' artifacts. */
export type ExperimentAddress = Pick<ExperimentEntity, 'public_id' | 'artifact_location'>;

@Injectable()
export class ExperimentRepository {
  /** internal id → public id and artifact location; all three never change, so entries never go stale. */
  private readonly addresses = new Map<number, ExperimentAddress>();

  constructor(private readonly sql: SqlClient) {}

  async publicIdOf(id: number): Promise<string> {
    return (await this.addressOf(id)).public_id;
  }

  /** The experiment's public id and artifact location (what a run's MLflow info shows), cached. */
  async addressOf(id: number): Promise<ExperimentAddress> {
    let address = this.addresses.get(id);
    if (address === undefined) {
      const row = await this.sql.queryOne<ExperimentAddress>('SELECT public_id, artifact_location FROM experiments WHERE id = ?', [id]);
      if (!row) {
        throw new Error(`experiment #${id} is missing`);
      }
      address = { public_id: row.public_id, artifact_location: row.artifact_location };
      if (this.addresses.size >= 100_000) {
        this.addresses.clear();
      }
      this.addresses.set(id, address);
    }
    return address;
  }

  /** Inserts the experiment, or reports that its name is taken (by an active or deleted one). */
  async insert(experiment: NewExperiment, db: SqlExecutor = this.sql): Promise<ExperimentEntity | 'name_taken'> {
    try {
      const row = await db.queryOne<ExperimentEntity>(
        `INSERT INTO experiments (public_id, name, config, artifact_location, lifecycle_stage, created_at, updated_at, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
        [
          experiment.public_id,
          experiment.name,
          experiment.config,
          experiment.artifact_location,
          experiment.lifecycle_stage,
          experiment.created_at,
          experiment.updated_at,
          experiment.deleted_at,
        ],
      );
      if (!row) {
        throw new Error('INSERT … RETURNING gave no row');
      }
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) {
        return 'name_taken';
      }
      throw error;
    }
  }

  findByPublicId(publicId: string, db: SqlExecutor = this.sql): Promise<ExperimentEntity | undefined> {
    return db.queryOne<ExperimentEntity>(`SELECT ${COLUMNS} FROM experiments WHERE public_id = ?`, [publicId]);
  }

  /** Internal ids of the experiments with these public ids; unknown ones are left out. */
  async idsOf(publicIds: readonly string[]): Promise<number[]> {
    const ids: number[] = [];
    for (const chunk of chunksOf(publicIds)) {
      const rows = await this.sql.query<{ id: number }>(
        `SELECT id FROM experiments WHERE public_id IN (${placeholders(chunk.length)})`,
        chunk,
      );
      ids.push(...rows.map((row) => row.id));
    }
    return ids;
  }

  findById(id: number, db: SqlExecutor = this.sql): Promise<ExperimentEntity | undefined> {
    return db.queryOne<ExperimentEntity>(`SELECT ${COLUMNS} FROM experiments WHERE id = ?`, [id]);
  }

  findByName(name: string, db: SqlExecutor = this.sql): Promise<ExperimentEntity | undefined> {
    return db.queryOne<ExperimentEntity>(`SELECT ${COLUMNS} FROM experiments WHERE name = ?`, [name]);
  }

  /** Active experiments, newest first, `limit + 1` rows so the caller can tell if more follow. */
  listActive(page: { beforeId?: number; limit: number; name?: string }): Promise<ExperimentEntity[]> {
    const byName = page.name === undefined ? '' : ' AND name = ?';
    return this.sql.query<ExperimentEntity>(
      `SELECT ${COLUMNS} FROM experiments
       WHERE lifecycle_stage = 'active' AND id < ?${byName}
       ORDER BY id DESC LIMIT ?`,
      page.name === undefined
        ? [page.beforeId ?? Number.MAX_SAFE_INTEGER, page.limit + 1]
        : [page.beforeId ?? Number.MAX_SAFE_INTEGER, page.name, page.limit + 1],
    );
  }

  /**
   * Run count and latest run activity of each experiment, in one aggregate query (the runs
   * index by experiment serves it); experiments without active runs are absent from the map.
   */
  async runStatsFor(ids: readonly number[]): Promise<Map<number, ExperimentRunStats>> {
    const stats = new Map<number, ExperimentRunStats>();
    for (const chunk of chunksOf(ids)) {
      const rows = await this.sql.queryTuples<[number, number, number | null]>(
        `SELECT experiment_id, COUNT(*), MAX(${RUN_LATEST_TIME[this.sql.dialect]}) FROM runs
         WHERE experiment_id IN (${placeholders(chunk.length)}) AND lifecycle_stage = 'active'
         GROUP BY experiment_id`,
        chunk,
      );
      for (const [experimentId, runCount, lastActivityAt] of rows) {
        stats.set(Number(experimentId), {
          runCount: Number(runCount),
          lastActivityAt: lastActivityAt === null ? null : Number(lastActivityAt),
        });
      }
    }
    return stats;
  }

  /** Renames the experiment, or reports that the name is taken. */
  async rename(id: number, name: string, now: number): Promise<'renamed' | 'name_taken'> {
    try {
      await this.sql.execute('UPDATE experiments SET name = ?, updated_at = ? WHERE id = ?', [name, now, id]);
      return 'renamed';
    } catch (error) {
      if (isUniqueViolation(error)) {
        return 'name_taken';
      }
      throw error;
    }
  }

  /**
   * Soft-deletes an experiment together with its active runs, or restores it together with the
   * runs deleted with it (those deleted on their own before stay deleted), in one transaction.
   */
  setLifecycle(id: number, stage: ExperimentEntity['lifecycle_stage'], now: number): Promise<void> {
    return this.sql.transaction(async (tx) => {
      if (stage === 'deleted') {
        await tx.execute("UPDATE experiments SET lifecycle_stage = 'deleted', deleted_at = ?, updated_at = ? WHERE id = ?", [now, now, id]);
        await tx.execute(
          "UPDATE runs SET lifecycle_stage = 'deleted', deleted_at = ?, updated_at = ? WHERE experiment_id = ? AND lifecycle_stage = 'active'",
          [now, now, id],
        );
        return;
      }
      const experiment = await tx.queryOne<{ deleted_at: number | null }>('SELECT deleted_at FROM experiments WHERE id = ?', [id]);
      await tx.execute("UPDATE experiments SET lifecycle_stage = 'active', deleted_at = NULL, updated_at = ? WHERE id = ?", [now, id]);
      await tx.execute(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_at = NULL, updated_at = ? WHERE experiment_id = ? AND lifecycle_stage = 'deleted' AND deleted_at = ?",
        [now, id, experiment?.deleted_at ?? -1],
      );
    });
  }

  async setTag(id: number, key: string, value: string, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.execute(
        'INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value',
        [id, key, value],
      );
      await tx.execute('UPDATE experiments SET updated_at = ? WHERE id = ?', [now, id]);
    });
  }

  /** Whether a tag was there to delete. */
  async deleteTag(id: number, key: string): Promise<boolean> {
    return (await this.sql.execute('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?', [id, key])) > 0;
  }

  /** Tags of several experiments, by internal experiment id. */
  async tagsFor(ids: readonly number[]): Promise<Map<number, { key: string; value: string }[]>> {
    const byExperiment = new Map<number, { key: string; value: string }[]>();
    if (ids.length === 0) {
      return byExperiment;
    }
    const rows: { experiment_id: number; key: string; value: string }[] = [];
    for (const chunk of chunksOf(ids)) {
      rows.push(
        ...(await this.sql.query<{ experiment_id: number; key: string; value: string }>(
          `SELECT experiment_id, key, value FROM experiment_tags WHERE experiment_id IN (${placeholders(chunk.length)}) ORDER BY key`,
          chunk,
        )),
      );
    }
    for (const row of rows) {
      let tags = byExperiment.get(row.experiment_id);
      if (!tags) {
        tags = [];
        byExperiment.set(row.experiment_id, tags);
      }
      tags.push({ key: row.key, value: row.value });
    }
    return byExperiment;
  }

  /**
   * One page of an experiment search (SQL in search/experiment-search.sql.ts): up to
   * `spec.limit` experiments in search order, each with its sort key for the next page token.
   */
  searchExperiments(spec: ExperimentSearchSpec): Promise<SearchRow<ExperimentEntity>[]> {
    return queryExperimentSearch(this.sql, COLUMNS.split(', '), spec);
  }
}
