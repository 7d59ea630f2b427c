import { All, Controller, Get, Header, Param, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { NotImplementedError } from '../../common/errors.js';

/** The MLflow release whose client API this server speaks (clients compare versions for features). */
export const MLFLOW_COMPATIBLE_VERSION = '3.18.0';

/** What MLflow clients probe besides the tracking RPCs. */
@ApiExcludeController()
@Controller()
export class MlflowServerController {
  @Get('version')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  mlflowVersion(): string {
    return MLFLOW_COMPATIBLE_VERSION;
  }

  @Get('api/3.0/mlflow/server-info')
  mlflowServerInfo(): { store_type: string; workspaces_enabled: boolean } {
    return { store_type: 'SqlStore', workspaces_enabled: false };
  }

  /** Where MLflow 3's tracing exports spans (OpenTelemetry's OTLP/HTTP path). */
  @Post('v1/traces')
  mlflowExportTraces(): never {
    throw new NotImplementedError('POST v1/traces: tracing (OTLP span export) is not supported by entrenar-tracking');
  }
}

/** Features of MLflow this server does not offer, by the first segments of their paths. */
const UNSUPPORTED: readonly [prefix: string, feature: string][] = [
  ['runs/log-model', 'logged models (log_model)'],
  ['traces', 'tracing'],
  ['scorers', 'GenAI scorers'],
  ['gateway', 'the AI gateway'],
  ['webhooks', 'webhooks'],
  ['prompts', 'the prompt registry'],
  ['datasets', 'GenAI evaluation datasets'],
  ['experiments/search-datasets', 'dataset search'],
  ['users', "MLflow's basic-auth user management (use --auth-type api_key)"],
  ['experiments/permissions', "MLflow's basic-auth permissions"],
];

interface RequestLike {
  method?: string;
}

/**
 * The rest of MLflow's API surface, registered after every supported route: a clear
 * NOT_IMPLEMENTED (HTTP 501) in MLflow's error shape, never a crash or an HTML 404 page.
 */
@ApiExcludeController()
@Controller(['api/2.0/mlflow', 'ajax-api/2.0/mlflow', 'api/3.0/mlflow', 'ajax-api/3.0/mlflow'])
export class MlflowUnsupportedController {
  @All('*path')
  mlflowNotImplemented(@Req() request: RequestLike, @Param('path') path: string | string[]): never {
    const route = Array.isArray(path) ? path.join('/') : path;
    const feature = UNSUPPORTED.find(([prefix]) => route === prefix || route.startsWith(`${prefix}/`))?.[1];
    throw new NotImplementedError(
      feature
        ? `${request.method ?? ''} ${route}: ${feature} is not supported by entrenar-tracking`
        : `${request.method ?? ''} ${route} is not implemented by entrenar-tracking's MLflow-compatible API`,
    );
  }
}
