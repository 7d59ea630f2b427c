import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidRequestError } from '../../common/errors.js';
import { decodePageToken, pageOf } from '../../common/paging.js';
import { SqlExecutor } from '../../database/sql-client.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
import { RunWriteTarget } from '../runs/run.repository.js';
import { RunsService } from '../runs/runs.service.js';
import { LogParamDto, ParamDto, ParamListResponseDto, ParamPageQueryDto, ParamValue } from './dto/param.dto.js';
import { ParamEntity, ParamValueType } from './entities/param.entity.js';
import { ParamRepository } from './param.repository.js';

const DEFAULT_PARAM_PAGE = 1000;

/** The text MLflow sees and the JSON type /api/v1 gives back. */
export function encodeParamValue(value: ParamValue): { value: string; value_type: ParamValueType } {
  if (typeof value === 'string') {
    return { value, value_type: 'string' };
  }
  return { value: String(value), value_type: typeof value === 'number' ? 'number' : 'boolean' };
}

export function decodeParamValue(param: Pick<ParamEntity, 'value' | 'value_type'>): ParamValue {
  switch (param.value_type) {
    case 'number':
      return Number(param.value);
    case 'boolean':
      return param.value === 'true';
    case 'string':
      return param.value;
  }
}

/**
 * How a param logged again is compared with the stored one: by value and JSON type (/api/v1,
 * where 1 and "1" differ), or as text (MLflow clients only know strings, so equal text is the same value).
 */
export type ParamComparison = 'typed' | 'text';

/** A param logged again with a different value. The MLflow adapter words it as MLflow does. */
export class ParamChangedError extends ConflictError {
  constructor(
    readonly runId: string,
    readonly key: string,
    readonly storedValue: string,
    readonly attemptedValue: string,
    stored: Pick<ParamEntity, 'value' | 'value_type'>,
  ) {
    super(`param '${key}' of run ${runId} is already ${JSON.stringify(decodeParamValue(stored))}; params cannot change once logged`);
  }
}

/** One request may set each key once: which of two values would be meant is anyone's guess. */
export function checkDistinctParamKeys(params: readonly { key: string }[]): void {
  const seen = new Set<string>();
  for (const param of params) {
    if (seen.has(param.key)) {
      throw new InvalidRequestError(`Duplicate parameter keys have been submitted: '${param.key}'`);
    }
    seen.add(param.key);
  }
}

function isKeyCursor(value: Record<string, unknown>): value is { k: string } {
  return typeof value.k === 'string';
}

@Injectable()
export class ParamsService {
  constructor(
    private readonly params: ParamRepository,
    private readonly runs: RunsService,
    private readonly changes: ChangeFeedService,
  ) {}

  /**
   * Params are write-once: logging the same value again is accepted, a different one is a
   * CONFLICT, because a run's params describe how it was trained.
   */
  async logParam(runId: string, dto: LogParamDto): Promise<ParamDto> {
    const run = await this.runs.requireWritable(runId);
    if ((await this.storeParams(run, [dto], 'typed')) > 0) {
      this.changes.runChanged(run, ['params']);
    }
    return { key: dto.key, value: dto.value };
  }

  /** MLflow's LogParam: one text param, compared as text. */
  async logTextParam(runId: string, param: { key: string; value: string }): Promise<void> {
    const run = await this.runs.requireWritable(runId);
    await this.storeParams(run, [param], 'text');
    this.changes.runChanged(run, ['params']);
  }

  /**
   * The write-once rule, for every API: each param is stored unless its key is set; the same
   * value again is accepted, a different one is a ParamChangedError. `tx` is the caller's
   * transaction (a batch). Returns how many params were new.
   */
  async storeParams(
    run: RunWriteTarget,
    params: readonly { key: string; value: ParamValue }[],
    comparison: ParamComparison,
    tx?: SqlExecutor,
  ): Promise<number> {
    const encoded = params.map((param) => ({ key: param.key, ...encodeParamValue(param.value) }));
    const result = await this.params.insertOrGetAll(
      encoded.map((param) => ({ run_id: run.id, ...param })),
      tx,
    );
    for (const param of encoded) {
      const stored = result.stored.get(param.key) as ParamEntity;
      if (stored.value !== param.value || (comparison === 'typed' && stored.value_type !== param.value_type)) {
        throw new ParamChangedError(run.public_id, param.key, stored.value, param.value, stored);
      }
    }
    const created = result.created.size;
    return created;
  }

  async listParams(runId: string, query: ParamPageQueryDto): Promise<ParamListResponseDto> {
    const run = await this.runs.requireReadable(runId);
    const limit = query.max_results ?? DEFAULT_PARAM_PAGE;
    const cursor = decodePageToken(query.page_token, isKeyCursor);
    const rows = await this.params.listByRun(run.id, { afterKey: cursor?.k, limit });
    const page = pageOf(
      rows,
      limit,
      (last) => ({ k: last.key }),
      (row) => ({ key: row.key, value: decodeParamValue(row) }),
    );
    return { params: page.items, next_page_token: page.nextPageToken };
  }
}
