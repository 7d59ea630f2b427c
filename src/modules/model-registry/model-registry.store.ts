import { chunksOf, placeholders, SqlClient, SqlExecutor } from '../../database/sql-client.js';
import { isUniqueViolation } from '../../database/sql-errors.js';
import { joinParts, SQL_OPERATOR, SqlPart, stringComparison, type SearchSqlDialect } from '../../common/search/search-sql.js';
import type { ModelStage, ModelVersionEntity } from './entities/model-version.entity.js';
import type { RegisteredModelEntity } from './entities/registered-model.entity.js';
import type { RegistryFilterClause, RegistryOrderKey, RegistryOrderTerm } from './model-registry-search.js';

export interface Tag {
  key: string;
  value: string;
}

/** A version row with its model's name, as every read returns it. */
export type ModelVersionRow = ModelVersionEntity & { name: string };

export type NewModelVersion = Pick<
  ModelVersionEntity,
  'source' | 'storage_location' | 'run_id' | 'run_link' | 'logged_model_id' | 'description' | 'user_id'
>;

/** One page of a registry search: `offset` rows skipped, `limit` rows returned. */
export interface RegistrySearchSpec {
  clauses: readonly RegistryFilterClause[];
  order: readonly RegistryOrderTerm[];
  offset: number;
  limit: number;
}

const MODEL_FIELDS = ['id', 'name', 'description', 'user_id', 'last_version', 'created_at', 'updated_at'];
const MODEL_COLUMNS = MODEL_FIELDS.map((field) => `m.${field}`).join(', ');
const VERSION_COLUMNS =
  'v.id, v.model_id, v.version, v.source, v.storage_location, v.run_id, v.run_link, v.logged_model_id, v.description, v.current_stage, v.status, v.user_id, v.created_at, v.updated_at, m.name';
const SELECT_VERSIONS = `SELECT ${VERSION_COLUMNS} FROM model_versions v JOIN registered_models m ON m.id = v.model_id`;

const ORDER_COLUMN: Readonly<Record<RegistryOrderKey, { models: string; versions: string; text: boolean }>> = {
  name: { models: 'm.name', versions: 'm.name', text: true },
  version_number: { models: 'm.last_version', versions: 'v.version', text: false },
  creation_timestamp: { models: 'm.created_at', versions: 'v.created_at', text: false },
  last_updated_timestamp: { models: 'm.updated_at', versions: 'v.updated_at', text: false },
};

/**
 * The registry's rows: registered models, their versions, tags and aliases. The SQL is the same
 * on both databases except for how search compares and sorts text, which each subclass gives
 * (`search`); perDialectProvider picks the subclass of the configured database.
 */
export abstract class ModelRegistryStore {
  protected abstract readonly search: SearchSqlDialect;

  constructor(protected readonly sql: SqlClient) {}

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.sql.transaction(work);
  }

  /** Inserts the model with its tags, or reports that the name is taken. */
  async insertModel(
    name: string,
    description: string | null,
    tags: readonly Tag[],
    now: number,
  ): Promise<RegisteredModelEntity | 'name_taken'> {
    try {
      return await this.sql.transaction(async (tx) => {
        const row = await tx.queryOne<RegisteredModelEntity>(
          `INSERT INTO registered_models (name, description, user_id, last_version, created_at, updated_at)
           VALUES (?, ?, NULL, 0, ?, ?) RETURNING ${MODEL_FIELDS.join(', ')}`,
          [name, description, now, now],
        );
        if (!row) {
          throw new Error('INSERT … RETURNING gave no row');
        }
        for (const tag of tags) {
          await this.upsertModelTag(tx, row.id, tag);
        }
        return row;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        return 'name_taken';
      }
      throw error;
    }
  }

  findModel(name: string, db: SqlExecutor = this.sql): Promise<RegisteredModelEntity | undefined> {
    return db.queryOne<RegisteredModelEntity>(`SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE m.name = ?`, [name]);
  }

  async renameModel(id: number, newName: string, now: number): Promise<'renamed' | 'name_taken'> {
    try {
      await this.sql.execute('UPDATE registered_models SET name = ?, updated_at = ? WHERE id = ?', [newName, now, id]);
      return 'renamed';
    } catch (error) {
      if (isUniqueViolation(error)) {
        return 'name_taken';
      }
      throw error;
    }
  }

  async updateModelDescription(id: number, description: string, now: number): Promise<void> {
    await this.sql.execute('UPDATE registered_models SET description = ?, updated_at = ? WHERE id = ?', [description, now, id]);
  }

  async touchModel(id: number, now: number, db: SqlExecutor = this.sql): Promise<void> {
    await db.execute('UPDATE registered_models SET updated_at = ? WHERE id = ?', [now, id]);
  }

  /** Deletes the model, its versions, tags and aliases: registry rows only, never a run or its artifacts. */
  async deleteModel(id: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.execute('DELETE FROM registered_model_aliases WHERE model_id = ?', [id]);
      await tx.execute('DELETE FROM model_version_tags WHERE version_id IN (SELECT id FROM model_versions WHERE model_id = ?)', [id]);
      await tx.execute('DELETE FROM model_versions WHERE model_id = ?', [id]);
      await tx.execute('DELETE FROM registered_model_tags WHERE model_id = ?', [id]);
      await tx.execute('DELETE FROM registered_models WHERE id = ?', [id]);
    });
  }

  private async upsertModelTag(db: SqlExecutor, modelId: number, tag: Tag): Promise<void> {
    await db.execute(
      'INSERT INTO registered_model_tags (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value',
      [modelId, tag.key, tag.value],
    );
  }

  async setModelTag(id: number, tag: Tag, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await this.upsertModelTag(tx, id, tag);
      await this.touchModel(id, now, tx);
    });
  }

  /** Whether a tag was there to delete. */
  async deleteModelTag(id: number, key: string): Promise<boolean> {
    return (await this.sql.execute('DELETE FROM registered_model_tags WHERE model_id = ? AND key = ?', [id, key])) > 0;
  }

  modelTagsFor(ids: readonly number[]): Promise<Map<number, Tag[]>> {
    return this.grouped<{ owner: number; key: string; value: string }, Tag>(
      ids,
      (list) => `SELECT model_id AS owner, key, value FROM registered_model_tags WHERE model_id IN (${list}) ORDER BY key`,
      (row) => ({ key: row.key, value: row.value }),
    );
  }

  /** Aliases of each model with the version number each points at, by alias. */
  modelAliasesFor(ids: readonly number[]): Promise<Map<number, { alias: string; version: number }[]>> {
    return this.grouped<{ owner: number; alias: string; version: number }, { alias: string; version: number }>(
      ids,
      (list) =>
        `SELECT a.model_id AS owner, a.alias, v.version FROM registered_model_aliases a JOIN model_versions v ON v.id = a.version_id
         WHERE a.model_id IN (${list}) ORDER BY a.alias`,
      (row) => ({ alias: row.alias, version: Number(row.version) }),
    );
  }

  /** Points `alias` of the model at a version, moving it if it pointed elsewhere. */
  async setAlias(modelId: number, alias: string, versionId: number, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO registered_model_aliases (model_id, alias, version_id) VALUES (?, ?, ?)
         ON CONFLICT (model_id, alias) DO UPDATE SET version_id = excluded.version_id`,
        [modelId, alias, versionId],
      );
      await this.touchModel(modelId, now, tx);
    });
  }

  /** Whether the alias was there to delete. */
  async deleteAlias(modelId: number, alias: string): Promise<boolean> {
    return (await this.sql.execute('DELETE FROM registered_model_aliases WHERE model_id = ? AND alias = ?', [modelId, alias])) > 0;
  }

  findVersionByAlias(modelId: number, alias: string): Promise<ModelVersionRow | undefined> {
    return this.sql.queryOne<ModelVersionRow>(
      `${SELECT_VERSIONS} JOIN registered_model_aliases a ON a.version_id = v.id WHERE a.model_id = ? AND a.alias = ?`,
      [modelId, alias],
    );
  }

  /**
   * Gives the model its next version number and inserts the version with its tags, in one
   * transaction: the number comes from the model's row, which the update locks, so two
   * concurrent creates never get the same number.
   */
  async insertVersion(modelId: number, version: NewModelVersion, tags: readonly Tag[], now: number): Promise<ModelVersionRow> {
    return this.sql.transaction(async (tx) => {
      const numbered = await tx.queryOne<{ last_version: number }>(
        'UPDATE registered_models SET last_version = last_version + 1, updated_at = ? WHERE id = ? RETURNING last_version',
        [now, modelId],
      );
      if (!numbered) {
        throw new Error(`registered model #${modelId} is missing`);
      }
      const inserted = await tx.queryOne<{ id: number }>(
        `INSERT INTO model_versions (model_id, version, source, storage_location, run_id, run_link, logged_model_id, description, current_stage, status, user_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'None', 'READY', ?, ?, ?) RETURNING id`,
        [
          modelId,
          Number(numbered.last_version),
          version.source,
          version.storage_location,
          version.run_id,
          version.run_link,
          version.logged_model_id,
          version.description,
          version.user_id,
          now,
          now,
        ],
      );
      if (!inserted) {
        throw new Error('INSERT … RETURNING gave no row');
      }
      for (const tag of tags) {
        await this.upsertVersionTag(tx, inserted.id, tag);
      }
      const row = await tx.queryOne<ModelVersionRow>(`${SELECT_VERSIONS} WHERE v.id = ?`, [inserted.id]);
      if (!row) {
        throw new Error(`model version #${inserted.id} vanished`);
      }
      return row;
    });
  }

  findVersion(modelId: number, version: number, db: SqlExecutor = this.sql): Promise<ModelVersionRow | undefined> {
    return db.queryOne<ModelVersionRow>(`${SELECT_VERSIONS} WHERE v.model_id = ? AND v.version = ?`, [modelId, version]);
  }

  /** Every version of the models, newest first. */
  versionsOf(modelIds: readonly number[]): Promise<ModelVersionRow[]> {
    return this.chunked(modelIds, (list) => `${SELECT_VERSIONS} WHERE v.model_id IN (${list}) ORDER BY v.version DESC`);
  }

  async updateVersionDescription(versionId: number, modelId: number, description: string, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.execute('UPDATE model_versions SET description = ?, updated_at = ? WHERE id = ?', [description, now, versionId]);
      await this.touchModel(modelId, now, tx);
    });
  }

  /** Moves a version to `stage`; with `archiveOthers`, the model's other versions in that stage go to Archived. */
  async transitionStage(version: ModelVersionRow, stage: ModelStage, archiveOthers: boolean, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      if (archiveOthers) {
        await tx.execute(
          "UPDATE model_versions SET current_stage = 'Archived', updated_at = ? WHERE model_id = ? AND current_stage = ? AND id <> ?",
          [now, version.model_id, stage, version.id],
        );
      }
      await tx.execute('UPDATE model_versions SET current_stage = ?, updated_at = ? WHERE id = ?', [stage, now, version.id]);
      await this.touchModel(version.model_id, now, tx);
    });
  }

  /** Deletes the version with its tags and the aliases pointing at it. */
  async deleteVersion(version: ModelVersionRow, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.execute('DELETE FROM registered_model_aliases WHERE version_id = ?', [version.id]);
      await tx.execute('DELETE FROM model_version_tags WHERE version_id = ?', [version.id]);
      await tx.execute('DELETE FROM model_versions WHERE id = ?', [version.id]);
      await this.touchModel(version.model_id, now, tx);
    });
  }

  private async upsertVersionTag(db: SqlExecutor, versionId: number, tag: Tag): Promise<void> {
    await db.execute(
      'INSERT INTO model_version_tags (version_id, key, value) VALUES (?, ?, ?) ON CONFLICT (version_id, key) DO UPDATE SET value = excluded.value',
      [versionId, tag.key, tag.value],
    );
  }

  async setVersionTag(versionId: number, tag: Tag, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await this.upsertVersionTag(tx, versionId, tag);
      await tx.execute('UPDATE model_versions SET updated_at = ? WHERE id = ?', [now, versionId]);
    });
  }

  /** Whether a tag was there to delete. */
  async deleteVersionTag(versionId: number, key: string): Promise<boolean> {
    return (await this.sql.execute('DELETE FROM model_version_tags WHERE version_id = ? AND key = ?', [versionId, key])) > 0;
  }

  versionTagsFor(ids: readonly number[]): Promise<Map<number, Tag[]>> {
    return this.grouped<{ owner: number; key: string; value: string }, Tag>(
      ids,
      (list) => `SELECT version_id AS owner, key, value FROM model_version_tags WHERE version_id IN (${list}) ORDER BY key`,
      (row) => ({ key: row.key, value: row.value }),
    );
  }

  versionAliasesFor(ids: readonly number[]): Promise<Map<number, string[]>> {
    return this.grouped<{ owner: number; alias: string }, string>(
      ids,
      (list) => `SELECT version_id AS owner, alias FROM registered_model_aliases WHERE version_id IN (${list}) ORDER BY alias`,
      (row) => row.alias,
    );
  }

  /** One page of a registered-model search. */
  searchModels(spec: RegistrySearchSpec): Promise<RegisteredModelEntity[]> {
    return this.page<RegisteredModelEntity>(`SELECT ${MODEL_COLUMNS} FROM registered_models m`, spec, 'models');
  }

  /** One page of a model-version search. */
  searchVersions(spec: RegistrySearchSpec): Promise<ModelVersionRow[]> {
    return this.page<ModelVersionRow>(SELECT_VERSIONS, spec, 'versions');
  }

  private async page<Row>(select: string, spec: RegistrySearchSpec, target: 'models' | 'versions'): Promise<Row[]> {
    this.search.prepare(this.sql);
    const where = joinParts(
      spec.clauses.map((clause) => this.condition(clause, target)),
      ' AND ',
    );
    const order = spec.order
      .map((term) => {
        const column = ORDER_COLUMN[term.key][target];
        const expr = ORDER_COLUMN[term.key].text ? this.search.sortableText(column) : column;
        return `${expr} ${term.ascending ? 'ASC' : 'DESC'}`;
      })
      .join(', ');
    const tiebreak = target === 'models' ? 'm.id' : 'v.id';
    return this.sql.query<Row>(
      `${select}${where.sql === '' ? '' : ` WHERE ${where.sql}`} ORDER BY ${order}, ${tiebreak} ASC LIMIT ? OFFSET ?`,
      [...where.params, spec.limit, spec.offset],
    );
  }

  private condition(clause: RegistryFilterClause, target: 'models' | 'versions'): SqlPart {
    switch (clause.kind) {
      case 'name':
        return stringComparison(this.search, 'm.name', clause.comparator, clause.value);
      case 'source_path':
        return stringComparison(this.search, 'v.source', clause.comparator, clause.value);
      case 'run_id':
        return clause.comparator === '='
          ? { sql: 'v.run_id = ?', params: [clause.value] }
          : { sql: '(v.run_id IS NULL OR v.run_id <> ?)', params: [clause.value] };
      case 'run_id_in':
        return this.search.inTextList('v.run_id', clause.values, clause.negated);
      case 'version_number':
        return { sql: `v.version ${SQL_OPERATOR[clause.comparator]} ${this.search.numberParam(clause.value)}`, params: [clause.value] };
      case 'tag': {
        const tags =
          target === 'models'
            ? { table: 'registered_model_tags', owner: 'model_id', outer: 'm.id' }
            : { table: 'model_version_tags', owner: 'version_id', outer: 'v.id' };
        // `tags.k != 'v'` holds when no tag k has value v, untagged rows included: MLflow 3 clients
        // send `tags.mlflow.prompt.is_prompt != 'true'` with every search to leave prompts out.
        const negated = clause.comparator === '!=';
        const value = stringComparison(this.search, 't.value', negated ? '=' : clause.comparator, clause.value);
        return {
          sql: `${negated ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${tags.table} t WHERE t.${tags.owner} = ${tags.outer} AND t.key = ? AND ${value.sql})`,
          params: [clause.key, ...value.params],
        };
      }
    }
  }

  private async chunked<Row>(ids: readonly number[], sqlFor: (list: string) => string): Promise<Row[]> {
    const rows: Row[] = [];
    for (const chunk of chunksOf(ids)) {
      rows.push(...(await this.sql.query<Row>(sqlFor(placeholders(chunk.length)), chunk)));
    }
    return rows;
  }

  private async grouped<Row extends { owner: number }, Item>(
    ids: readonly number[],
    sqlFor: (list: string) => string,
    itemOf: (row: Row) => Item,
  ): Promise<Map<number, Item[]>> {
    const byOwner = new Map<number, Item[]>();
    for (const row of await this.chunked<Row>(ids, sqlFor)) {
      const owner = Number(row.owner);
      let items = byOwner.get(owner);
      if (!items) {
        items = [];
        byOwner.set(owner, items);
      }
      items.push(itemOf(row));
    }
    return byOwner;
  }
}
