import { ConflictError, InvalidRequestError } from '../../common/errors.js';
import { ExperimentNameTakenError } from '../experiments/experiments.service.js';
import { ParamChangedError } from '../params/params.service.js';
import { ExperimentNotActiveError, RunDeletedError } from '../runs/run-errors.js';

/**
 * A domain error in MLflow's words, where MLflow clients know them (the rule is the domain's;
 * only the message is MLflow's). Anything else passes through unchanged.
 */
export function mlflowError(error: unknown): unknown {
  if (error instanceof RunDeletedError) {
    return new InvalidRequestError(`The run ${error.runId} must be in the 'active' state. Current state is deleted.`);
  }
  if (error instanceof ExperimentNotActiveError) {
    return new InvalidRequestError(`The experiment ${error.experimentId} must be in the 'active' state to create runs in it`);
  }
  if (error instanceof ExperimentNameTakenError) {
    return new ConflictError(`Experiment(name=${error.experimentName}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
  }
  if (error instanceof ParamChangedError) {
    return new ConflictError(
      `Changing param values is not allowed. Param with key='${error.key}' was already logged with value='${error.storedValue}' ` +
        `for run ID='${error.runId}'. Attempted logging new value '${error.attemptedValue}'.`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return error;
}

/** Runs `work`, rewording what it throws for MLflow clients. */
export async function inMlflowTerms<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw mlflowError(error);
  }
}
