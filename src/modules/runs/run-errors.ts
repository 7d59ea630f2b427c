import { ConflictError, ResourceNotFoundError } from '../../common/errors.js';

/** A write to a deleted run. The MLflow adapter words it as MLflow does. */
export class RunDeletedError extends ConflictError {
  constructor(readonly runId: string) {
    super(`run ${runId} is deleted; restore it before writing to it`);
  }
}

/** A new run in a deleted experiment. The MLflow adapter words it as MLflow does. */
export class ExperimentNotActiveError extends ConflictError {
  constructor(readonly experimentId: string) {
    super(`experiment ${experimentId} is deleted; restore it before adding runs`);
  }
}

export class RunTagNotFoundError extends ResourceNotFoundError {
  constructor(runId: string, key: string) {
    super(`No tag with name: ${key} in run with id ${runId}`);
  }
}
