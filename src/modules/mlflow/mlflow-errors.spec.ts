import { ConflictError, DomainError, InvalidRequestError, NotFoundError } from '../../common/errors.js';
import { ExperimentNameTakenError } from '../experiments/experiments.service.js';
import { ParamChangedError } from '../params/params.service.js';
import { ExperimentNotActiveError, RunDeletedError } from '../runs/run-errors.js';
import { inMlflowTerms, mlflowError } from './mlflow-errors.js';

function reworded(error: unknown): DomainError {
  const result = mlflowError(error);
  expect(result).toBeInstanceOf(DomainError);
  return result as DomainError;
}

describe("mlflowError (domain errors in MLflow's words)", () => {
  it('words a write to a deleted run as MLflow does: 400 INVALID_PARAMETER_VALUE', () => {
    const error = reworded(new RunDeletedError('run-1'));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toBe("The run run-1 must be in the 'active' state. Current state is deleted.");
  });

  it('words a run in a deleted experiment as MLflow does', () => {
    const error = reworded(new ExperimentNotActiveError('exp-1'));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toBe("The experiment exp-1 must be in the 'active' state to create runs in it");
  });

  it('words a changed param as MLflow does, keeping INVALID_PARAMETER_VALUE', () => {
    const error = reworded(new ParamChangedError('run-1', 'lr', '0.01', '0.02', { value: '0.01', value_type: 'string' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.mlflowCode).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toBe(
      "Changing param values is not allowed. Param with key='lr' was already logged with value='0.01' for run ID='run-1'. " +
        "Attempted logging new value '0.02'.",
    );
  });

  it('words a taken experiment name as MLflow does, keeping RESOURCE_ALREADY_EXISTS', () => {
    const error = reworded(new ExperimentNameTakenError('gpt2'));
    expect(error.mlflowCode).toBe('RESOURCE_ALREADY_EXISTS');
    expect(error.message).toBe('Experiment(name=gpt2) already exists.');
  });

  it('passes anything else through as it is', async () => {
    const notFound = new NotFoundError('Run', 'run-1');
    expect(mlflowError(notFound)).toBe(notFound);
    await expect(inMlflowTerms(Promise.reject(notFound))).rejects.toBe(notFound);
    await expect(inMlflowTerms(Promise.resolve(7))).resolves.toBe(7);
  });
});
