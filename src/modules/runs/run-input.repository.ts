import { Injectable } from '@nestjs/common';
import { chunksOf, placeholders, SqlClient } from '../../database/sql-client.js';
import { DatasetEntity } from './entities/run-input.entity.js';

export interface DatasetInput {
  dataset: Omit<DatasetEntity, 'id' | 'experiment_id' | 'created_at'>;
  tags: { key: string; value: string }[];
}

@Injectable()
export class RunInputRepository {
  constructor(private readonly sql: SqlClient) {}

  /** Records that a run used these datasets (creating each dataset once per experiment). */
  record(runId: number, experimentId: number, inputs: readonly DatasetInput[], now: number): Promise<void> {
    return this.sql.transaction(async (tx) => {
      for (const input of inputs) {
        const { name, digest, source_type, source, schema, profile } = input.dataset;
        await tx.execute(
          `INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, profile, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) DO NOTHING`,
          [experimentId, name, digest, source_type, source, schema, profile, now],
        );
        const dataset = await tx.queryOne<{ id: number }>('SELECT id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?', [
          experimentId,
          name,
          digest,
        ]);
        if (!dataset) {
          throw new Error('dataset vanished between insert and read');
        }
        await tx.execute(
          'INSERT INTO run_inputs (run_id, dataset_id, tags) VALUES (?, ?, ?) ON CONFLICT (run_id, dataset_id) DO UPDATE SET tags = excluded.tags',
          [runId, dataset.id, JSON.stringify(input.tags)],
        );
      }
    });
  }

  /** Dataset inputs of several runs by internal run id. */
  async inputsFor(runIds: readonly number[]): Promise<Map<number, DatasetInput[]>> {
    const byRun = new Map<number, DatasetInput[]>();
    for (const chunk of chunksOf(runIds)) {
      const rows = await this.sql.query<DatasetEntity & { run_id: number; tags: string }>(
        `SELECT ri.run_id, ri.tags, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
         FROM run_inputs ri JOIN datasets d ON d.id = ri.dataset_id
         WHERE ri.run_id IN (${placeholders(chunk.length)}) ORDER BY ri.run_id, d.name, d.digest`,
        chunk,
      );
      for (const row of rows) {
        let inputs = byRun.get(row.run_id);
        if (!inputs) {
          inputs = [];
          byRun.set(row.run_id, inputs);
        }
        inputs.push({
          dataset: {
            name: row.name,
            digest: row.digest,
            source_type: row.source_type,
            source: row.source,
            schema: row.schema,
            profile: row.profile,
          },
          tags: JSON.parse(row.tags) as { key: string; value: string }[],
        });
      }
    }
    return byRun;
  }
}
