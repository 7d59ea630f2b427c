import { Injectable } from '@nestjs/common';
import { ConflictError } from '../../common/errors.js';
import { decodePageToken, pageOf } from '../../common/paging.js';
import { ChangeFeedService } from '../live/change-feed.service.js';
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
    const encoded = encodeParamValue(dto.value);
    const { stored, created } = await this.params.insertOrGet({ run_id: run.id, key: dto.key, ...encoded });
    if (created) {
      this.changes.runChanged(run, ['params']);
    }
    if (stored.value !== encoded.value || stored.value_type !== encoded.value_type) {
      throw new ConflictError(
        `param '${dto.key}' of run ${runId} is already ${JSON.stringify(decodeParamValue(stored))}; params cannot change once logged`,
      );
    }
    return { key: dto.key, value: dto.value };
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
