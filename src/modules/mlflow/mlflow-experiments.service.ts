import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidRequestError, ResourceNotFoundError } from '../../common/errors.js';
import { newPublicId } from '../../common/ids.js';
import { keyProblem } from '../../common/validation.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { ExperimentRepository } from '../experiments/experiment.repository.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { MlflowEmpty, MlflowExperiment, MlflowTag, MlflowViewType, VIEW_TYPE_NUMBERS } from './dto/mlflow.dto.js';
import { experimentJson, nonEmpty } from './mlflow-json.js';
import { MlflowFields, optionalEnum, optionalInt64, optionalString, requiredString, stringList, tagList } from './mlflow-request.js';

export const MAX_EXPERIMENT_NAME_LENGTH = 500;
const MAX_ARTIFACT_LOCATION_LENGTH = 2048;
const MAX_EXPERIMENT_TAG_VALUE_LENGTH = 5000;
const DEFAULT_EXPERIMENT_ID = '0';
const MAX_SEARCH_RESULTS = 50_000;

function checkExperimentName(name: string, field: string): void {
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH) {
    throw new InvalidRequestError(`${field}: must be at most ${MAX_EXPERIMENT_NAME_LENGTH} characters`);
  }
}

export function checkExperimentTag(tag: MlflowTag): void {
  const problem = keyProblem(tag.key);
  if (problem) {
    throw new InvalidRequestError(`Invalid tag key '${tag.key}': ${problem}`);
  }
  if (tag.value.length > MAX_EXPERIMENT_TAG_VALUE_LENGTH) {
    throw new InvalidRequestError(`Tag '${tag.key}': value must be at most ${MAX_EXPERIMENT_TAG_VALUE_LENGTH} characters`);
  }
}

/** MLflow's experiment endpoints over our experiments: same rows, MLflow's JSON and rules. */
@Injectable()
export class MlflowExperimentsService {
  constructor(
    private readonly experiments: ExperimentRepository,
    private readonly experimentsService: ExperimentsService,
  ) {}

  async create(fields: MlflowFields): Promise<{ experiment_id: string }> {
    const name = requiredString(fields, 'name');
    checkExperimentName(name, 'name');
    const artifactLocation = optionalString(fields, 'artifact_location');
    if (artifactLocation !== undefined) {
      if (artifactLocation.length > MAX_ARTIFACT_LOCATION_LENGTH) {
        throw new InvalidRequestError(`artifact_location: must be at most ${MAX_ARTIFACT_LOCATION_LENGTH} characters`);
      }
      if (artifactLocation.startsWith('runs:')) {
        throw new InvalidRequestError("artifact_location: 'runs:' URIs are not accepted as an experiment's artifact location");
      }
    }
    const tags = tagList(fields);
    tags.forEach(checkExperimentTag);
    const now = Date.now();
    const publicId = newPublicId('exp');
    const created = await this.experiments.insert({
      public_id: publicId,
      name,
      config: null,
      artifact_location: artifactLocation || `mlflow-artifacts:/${publicId}`,
      lifecycle_stage: 'active',
      created_at: now,
      updated_at: now,
      deleted_at: null,
    });
    if (created === 'name_taken') {
      throw new ConflictError(`Experiment(name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    }
    for (const tag of tags) {
      await this.experiments.setTag(created.id, tag.key, tag.value, now);
    }
    return { experiment_id: created.public_id };
  }

  async get(fields: MlflowFields): Promise<{ experiment: MlflowExperiment }> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    return { experiment: await this.withTags(experiment) };
  }

  async getByName(fields: MlflowFields): Promise<{ experiment: MlflowExperiment }> {
    const name = requiredString(fields, 'experiment_name');
    const experiment = await this.experiments.findByName(name);
    if (!experiment) {
      throw new ResourceNotFoundError(`Could not find experiment with name '${name}'`);
    }
    return { experiment: await this.withTags(experiment) };
  }

  async search(fields: MlflowFields): Promise<{ experiments?: MlflowExperiment[]; next_page_token?: string }> {
    const maxResults = optionalInt64(fields, 'max_results') ?? 1000;
    if (maxResults < 1 || maxResults > MAX_SEARCH_RESULTS) {
      throw new InvalidRequestError(`max_results: must be between 1 and ${MAX_SEARCH_RESULTS}, got ${maxResults}`);
    }
    const page = await this.experimentsService.searchExperiments({
      filter: optionalString(fields, 'filter') || undefined,
      orderBy: stringList(fields, 'order_by'),
      viewType: optionalEnum<MlflowViewType>(fields, 'view_type', VIEW_TYPE_NUMBERS) ?? 'ACTIVE_ONLY',
      maxResults,
      pageToken: optionalString(fields, 'page_token') || undefined,
    });
    const tags = await this.experiments.tagsFor(page.experiments.map((experiment) => experiment.id));
    return {
      experiments: nonEmpty(page.experiments.map((experiment) => experimentJson(experiment, tags.get(experiment.id)))),
      next_page_token: page.nextPageToken,
    };
  }

  async update(fields: MlflowFields): Promise<MlflowEmpty> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    const newName = requiredString(fields, 'new_name');
    checkExperimentName(newName, 'new_name');
    if (experiment.lifecycle_stage !== 'active') {
      throw new InvalidRequestError(`Cannot rename a non-active experiment (${experiment.public_id} is deleted)`);
    }
    if ((await this.experiments.rename(experiment.id, newName, Date.now())) === 'name_taken') {
      throw new ConflictError(`Experiment(name=${newName}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    }
    return {};
  }

  async delete(fields: MlflowFields): Promise<MlflowEmpty> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    if (experiment.public_id === DEFAULT_EXPERIMENT_ID) {
      throw new InvalidRequestError("Cannot delete the default experiment '0'");
    }
    if (experiment.lifecycle_stage !== 'active') {
      throw new ResourceNotFoundError(`Experiment ${experiment.public_id} is already deleted`);
    }
    await this.experiments.setLifecycle(experiment.id, 'deleted', Date.now());
    return {};
  }

  async restore(fields: MlflowFields): Promise<MlflowEmpty> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    if (experiment.lifecycle_stage !== 'deleted') {
      throw new ResourceNotFoundError(`Experiment ${experiment.public_id} is not deleted`);
    }
    await this.experiments.setLifecycle(experiment.id, 'active', Date.now());
    return {};
  }

  async setTag(fields: MlflowFields): Promise<MlflowEmpty> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    const tag = { key: requiredString(fields, 'key'), value: optionalString(fields, 'value') ?? '' };
    checkExperimentTag(tag);
    if (experiment.lifecycle_stage !== 'active') {
      throw new InvalidRequestError(`The experiment ${experiment.public_id} must be in the 'active' state`);
    }
    await this.experiments.setTag(experiment.id, tag.key, tag.value, Date.now());
    return {};
  }

  async deleteTag(fields: MlflowFields): Promise<MlflowEmpty> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    const key = requiredString(fields, 'key');
    if (experiment.lifecycle_stage !== 'active') {
      throw new InvalidRequestError(`The experiment ${experiment.public_id} must be in the 'active' state`);
    }
    if (!(await this.experiments.deleteTag(experiment.id, key))) {
      throw new ResourceNotFoundError(`No tag with name: ${key} in experiment with id ${experiment.public_id}`);
    }
    return {};
  }

  private async withTags(experiment: ExperimentEntity): Promise<MlflowExperiment> {
    const tags = await this.experiments.tagsFor([experiment.id]);
    return experimentJson(experiment, tags.get(experiment.id));
  }
}
