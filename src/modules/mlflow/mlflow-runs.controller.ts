import { Controller, Get, HttpCode, HttpStatus, Post, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HotWrite } from '../../common/http/hot-write.decorator.js';
import type { MlflowEmpty, MlflowMetric, MlflowRun, MlflowRunInfo } from './dto/mlflow.dto.js';
import { MlflowRequest } from './mlflow-request.js';
import type { MlflowFields } from './mlflow-request.js';
import { MlflowRunsService } from './mlflow-runs.service.js';

/** MLflow's run and metric RPCs (service.proto), under /api/2.0/mlflow and the UI's /ajax-api twin. */
@ApiExcludeController()
@Controller(['api/2.0/mlflow', 'ajax-api/2.0/mlflow'])
export class MlflowRunsController {
  constructor(private readonly runs: MlflowRunsService) {}

  @Post('runs/create')
  @HttpCode(HttpStatus.OK)
  mlflowCreateRun(@MlflowRequest() fields: MlflowFields): Promise<{ run: MlflowRun }> {
    return this.runs.create(fields);
  }

  @Get('runs/get')
  mlflowGetRun(@MlflowRequest() fields: MlflowFields): Promise<{ run: MlflowRun }> {
    return this.runs.get(fields);
  }

  @Post('runs/update')
  @HttpCode(HttpStatus.OK)
  mlflowUpdateRun(@MlflowRequest() fields: MlflowFields): Promise<{ run_info: MlflowRunInfo }> {
    return this.runs.update(fields);
  }

  @Post('runs/delete')
  @HttpCode(HttpStatus.OK)
  mlflowDeleteRun(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.runs.delete(fields);
  }

  @Post('runs/restore')
  @HttpCode(HttpStatus.OK)
  mlflowRestoreRun(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.runs.restore(fields);
  }

  @Post('runs/search')
  @HttpCode(HttpStatus.OK)
  mlflowSearchRuns(@MlflowRequest() fields: MlflowFields): Promise<{ runs?: MlflowRun[]; next_page_token?: string }> {
    return this.runs.search(fields);
  }

  @Post('runs/log-metric')
  @HotWrite()
  @HttpCode(HttpStatus.OK)
  mlflowLogMetric(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.runs.logMetric(fields);
  }

  @Post('runs/log-parameter')
  @HttpCode(HttpStatus.OK)
  mlflowLogParameter(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.runs.logParam(fields);
  }

  @Post('runs/log-batch')
  @HotWrite()
  @HttpCode(HttpStatus.OK)
  mlflowLogBatch(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.runs.logBatch(fields);
  }

  @Post('runs/set-tag')
  @HttpCode(HttpStatus.OK)
  mlflowSetTag(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.runs.setTag(fields);
  }

  @Post('runs/delete-tag')
  @HttpCode(HttpStatus.OK)
  mlflowDeleteTag(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.runs.deleteTag(fields);
  }

  @Post('runs/log-inputs')
  @HttpCode(HttpStatus.OK)
  mlflowLogInputs(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.runs.logInputs(fields);
  }

  @Get('metrics/get-history')
  async mlflowGetMetricHistory(@MlflowRequest() fields: MlflowFields): Promise<StreamableFile> {
    const body = Buffer.from(await this.runs.metricHistoryJson(fields));
    return new StreamableFile(body, { type: 'application/json; charset=utf-8', length: body.length });
  }

  @Get('metrics/get-history-bulk-interval')
  mlflowGetMetricHistoryBulkInterval(@MlflowRequest() fields: MlflowFields): Promise<{ metrics?: MlflowMetric[] }> {
    return this.runs.metricHistoryBulkInterval(fields);
  }
}

/** Routes MLflow's server has only under /ajax-api, for its web UI. */
@ApiExcludeController()
@Controller('ajax-api/2.0/mlflow')
export class MlflowUiController {
  constructor(private readonly runs: MlflowRunsService) {}

  @Get('metrics/get-history-bulk')
  mlflowGetMetricHistoryBulk(@MlflowRequest() fields: MlflowFields): Promise<{ metrics: MlflowMetric[] }> {
    return this.runs.metricHistoryBulk(fields);
  }
}
