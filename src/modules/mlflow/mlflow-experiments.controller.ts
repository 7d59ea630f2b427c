import { Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { MlflowEmpty, MlflowExperiment } from './dto/mlflow.dto.js';
import { MlflowExperimentsService } from './mlflow-experiments.service.js';
import { MlflowRequest } from './mlflow-request.js';
import type { MlflowFields } from './mlflow-request.js';

/** MLflow's experiment RPCs (service.proto), under /api/2.0/mlflow and the UI's /ajax-api twin. */
@ApiExcludeController()
@Controller(['api/2.0/mlflow/experiments', 'ajax-api/2.0/mlflow/experiments'])
export class MlflowExperimentsController {
  constructor(private readonly experiments: MlflowExperimentsService) {}

  @Post('create')
  @HttpCode(HttpStatus.OK)
  mlflowCreateExperiment(@MlflowRequest() fields: MlflowFields): Promise<{ experiment_id: string }> {
    return this.experiments.create(fields);
  }

  @Get('get')
  mlflowGetExperiment(@MlflowRequest() fields: MlflowFields): Promise<{ experiment: MlflowExperiment }> {
    return this.experiments.get(fields);
  }

  @Get('get-by-name')
  mlflowGetExperimentByName(@MlflowRequest() fields: MlflowFields): Promise<{ experiment: MlflowExperiment }> {
    return this.experiments.getByName(fields);
  }

  @Post('search')
  @HttpCode(HttpStatus.OK)
  mlflowSearchExperiments(@MlflowRequest() fields: MlflowFields): Promise<{ experiments?: MlflowExperiment[]; next_page_token?: string }> {
    return this.experiments.search(fields);
  }

  /** The UI searches with GET. */
  @Get('search')
  mlflowSearchExperimentsByGet(
    @MlflowRequest() fields: MlflowFields,
  ): Promise<{ experiments?: MlflowExperiment[]; next_page_token?: string }> {
    return this.experiments.search(fields);
  }

  @Post('update')
  @HttpCode(HttpStatus.OK)
  mlflowUpdateExperiment(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.experiments.update(fields);
  }

  @Post('delete')
  @HttpCode(HttpStatus.OK)
  mlflowDeleteExperiment(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.experiments.delete(fields);
  }

  @Post('restore')
  @HttpCode(HttpStatus.OK)
  mlflowRestoreExperiment(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.experiments.restore(fields);
  }

  @Post('set-experiment-tag')
  @HttpCode(HttpStatus.OK)
  mlflowSetExperimentTag(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.experiments.setTag(fields);
  }

  @Post('delete-experiment-tag')
  @HttpCode(HttpStatus.OK)
  mlflowDeleteExperimentTag(@MlflowRequest() fields: MlflowFields): Promise<MlflowEmpty> {
    return this.experiments.deleteTag(fields);
  }
}
