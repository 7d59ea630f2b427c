import { Injectable } from '@nestjs/common';
import { InvalidRequestError } from '../../common/errors.js';
import { keyProblem } from '../../common/validation.js';
import { ExperimentEntity } from '../experiments/entities/experiment.entity.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { MlflowEmpty, MlflowExperiment, MlflowTag, MlflowViewType, VIEW_TYPE_NUMBERS } from './dto/mlflow.dto.js';
import { inMlflowTerms } from './mlflow-errors.js';
import { experimentJson, nonEmpty } from './mlflow-json.js';
import { MlflowFields, optionalEnum, optionalInt64, optionalString, requiredString, stringList, tagList } from './mlflow-request.js';

export const MAX_EXPERIMENT_NAME_LENGTH = 500;
const MAX_ARTIFACT_LOCATION_LENGTH = 2048;
const MAX_EXPERIMENT_TAG_VALUE_LENGTH = 5000;
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

/** MLflow's experiment endpoints: MLflow's requests to ExperimentsService, its results to MLflow's JSON. */
@Injectable()
export class MlflowExperimentsService {
  constructor(private readonly experimentsService: ExperimentsService) {}

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
    const created = await inMlflowTerms(this.experimentsService.createWithTags({ name, artifactLocation, tags }));
    return { experiment_id: created.public_id };
  }

  async get(fields: MlflowFields): Promise<{ experiment: MlflowExperiment }> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    return { experiment: await this.withTags(experiment) };
  }

  async getByName(fields: MlflowFields): Promise<{ experiment: MlflowExperiment }> {
    const experiment = await this.experimentsService.requireByName(requiredString(fields, 'experiment_name'));
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
    const tags = await this.experimentsService.tagsFor(page.experiments.map((experiment) => experiment.id));
    return {
      experiments: nonEmpty(page.experiments.map((experiment) => experimentJson(experiment, tags.get(experiment.id)))),
      next_page_token: page.nextPageToken,
    };
  }

  async update(fields: MlflowFields): Promise<MlflowEmpty> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    const newName = requiredString(fields, 'new_name');
    checkExperimentName(newName, 'new_name');
    await inMlflowTerms(this.experimentsService.rename(experiment, newName));
    return {};
  }

  async delete(fields: MlflowFields): Promise<MlflowEmpty> {
    await this.experimentsService.delete(await this.experimentsService.require(requiredString(fields, 'experiment_id')));
    return {};
  }

  async restore(fields: MlflowFields): Promise<MlflowEmpty> {
    await this.experimentsService.restore(await this.experimentsService.require(requiredString(fields, 'experiment_id')));
    return {};
  }

  async setTag(fields: MlflowFields): Promise<MlflowEmpty> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    const tag = { key: requiredString(fields, 'key'), value: optionalString(fields, 'value') ?? '' };
    checkExperimentTag(tag);
    await this.experimentsService.setTag(experiment, tag);
    return {};
  }

  async deleteTag(fields: MlflowFields): Promise<MlflowEmpty> {
    const experiment = await this.experimentsService.require(requiredString(fields, 'experiment_id'));
    await this.experimentsService.deleteTag(experiment, requiredString(fields, 'key'));
    return {};
  }

  private async withTags(experiment: ExperimentEntity): Promise<MlflowExperiment> {
    const tags = await this.experimentsService.tagsFor([experiment.id]);
    return experimentJson(experiment, tags.get(experiment.id));
  }
}
