import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { DomainError, InvalidRequestError, NotFoundError, NotImplementedError } from '../../common/errors.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { runArtifactUri } from '../mlflow/mlflow-json.js';
import { RunsService } from '../runs/runs.service.js';
import { artifactKeyProblem, mlflowArtifactKey, namesFolder } from './artifact-key.js';
import { ArtifactTransferAdapter } from './artifact-transfer.adapter.js';
import { ArtifactsService, StoredFile } from './artifacts.service.js';
import { LoggedModelsService } from '../logged-models/logged-models.service.js';
import type { ListingEntry } from './artifact-listing.js';

/** MLflow's FileInfo. `file_size` is left out for folders, as MLflow does. */
export interface MlflowFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface MlflowFileList {
  files?: MlflowFileInfo[];
}

export interface MlflowRunArtifactList extends MlflowFileList {
  root_uri: string;
}

/** Served as text/plain by `/get-artifact`, as MLflow's server does (so the UI previews them). */
const TEXT_EXTENSIONS = new Set([
  'txt',
  'log',
  'err',
  'cfg',
  'conf',
  'yaml',
  'yml',
  'json',
  'js',
  'py',
  'sh',
  'csv',
  'tsv',
  'md',
  'rst',
  'mlmodel',
  'mlproject',
]);

/** A proxy path that names a run's artifact folder or a file in it. */
export interface RunArtifactPath {
  runId: string;
  /** Inside the run's artifact folder; '' for the folder itself. */
  key: string;
}

/** A proxy path that names a logged model's artifact folder or a file in it. */
export interface ModelArtifactPath {
  modelId: string;
  /** Inside the model's artifact folder; '' for the folder itself. */
  key: string;
}

/** What a proxy path names: a run's files or a logged model's. */
export type ProxyTarget = ({ kind: 'run' } & RunArtifactPath) | ({ kind: 'model' } & ModelArtifactPath);

/** MLflow's logged model ids: `m-` and 32 hex digits. */
const MODEL_ID = /^m-[0-9a-f]{32}$/;

export function invalidPath(): InvalidRequestError {
  return new InvalidRequestError('Invalid path', 'INVALID_PARAMETER_VALUE');
}

/**
 * An MLflow artifact path as a key ('' for the root), or "Invalid path" (MLflow's answer): see
 * mlflowArtifactKey for what is accepted and refused, and why.
 */
function requireSafePath(artifactPath: string): string {
  const key = mlflowArtifactKey(artifactPath);
  if (key === undefined) {
    throw invalidPath();
  }
  return key;
}

/**
 * The proxy path an experiment's artifact location stands for: `mlflow-artifacts:/1` → `1`,
 * `mlflow-artifacts://host/a/b` → `a/b`, `http://host/api/2.0/mlflow-artifacts/artifacts/a` → `a`;
 * undefined for a location the client writes to directly (s3://…), which the proxy never serves.
 */
export function proxiedLocationPath(location: string): string | undefined {
  let rest: string;
  if (location.startsWith('mlflow-artifacts:')) {
    rest = location.slice('mlflow-artifacts:'.length);
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      rest = slash < 0 ? '' : rest.slice(slash);
    }
  } else {
    const marker = '/mlflow-artifacts/artifacts';
    const at = location.indexOf(marker);
    if (!/^https?:\/\//.test(location) || at < 0) {
      return undefined;
    }
    rest = location.slice(at + marker.length);
  }
  return rest.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** A query string as Express parses it: MLflow reads unknown keys as nothing. */
export type MlflowQuery = Readonly<Record<string, unknown>>;

/** A query value as text: MLflow reads the first of repeated keys. */
export function queryText(query: MlflowQuery, name: string): string | undefined {
  const value = query[name];
  const first: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/** `run_id`, or the deprecated `run_uuid` that MLflow still accepts. */
function runIdOf(query: MlflowQuery): string {
  const runId = queryText(query, 'run_id') || queryText(query, 'run_uuid');
  if (runId === undefined || runId === '') {
    throw new InvalidRequestError(
      "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
    );
  }
  return runId;
}

/**
 * MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/…`) and the tracking API's artifact
 * endpoints on top of the one artifact store: a run's `artifact_uri` is
 * `mlflow-artifacts:/<experiment>/<run>/artifacts`, so proxy paths are
 * `<experiment>/<run>/artifacts/<key>` and `<key>` is the same key the seed API shows.
 */
@Injectable()
export class MlflowArtifactsService {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly runs: RunsService,
    private readonly experiments: ExperimentsService,
    private readonly models: LoggedModelsService,
    private readonly transfer: ArtifactTransferAdapter,
  ) {}

  /** PUT …/artifacts/<path>: the raw body becomes the file; an existing file is replaced, as MLflow does. */
  async upload(artifactPath: string, request: IncomingMessage): Promise<Record<string, never>> {
    let target: ProxyTarget;
    try {
      target = await this.requireTarget(requireSafePath(artifactPath));
      // `a/` or `a/.` names a folder: a file cannot be written there.
      if (target.key === '' || namesFolder(artifactPath)) {
        throw invalidPath();
      }
    } catch (error) {
      this.transfer.refuseBody(request);
      throw error;
    }
    if (target.kind === 'run') {
      const located = { runId: target.runId, key: target.key };
      await this.artifacts.uploadBody(request, true, () => Promise.resolve(located));
      return {};
    }
    const { modelId, key } = target;
    await this.artifacts.uploadBodyTo(
      request,
      async () => {
        await this.models.requireForArtifacts(modelId);
      },
      (blob) =>
        this.models.recordArtifact({
          model_id: modelId,
          path: key,
          hash: blob.hash,
          size_bytes: blob.sizeBytes,
          content_type: blob.contentType,
          created_at: Date.now(),
        }),
    );
    return {};
  }

  /** GET …/artifacts/<path>: the file's bytes (Range and ETag work as on the seed API). */
  async download(artifactPath: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = await this.requireTarget(requireSafePath(artifactPath));
    if (target.kind === 'run') {
      await this.sendFile(target.runId, target.key, artifactPath, request, response);
      return;
    }
    const row = target.key === '' ? undefined : await this.models.findArtifact(target.modelId, target.key);
    await this.sendRow(row, artifactPath, request, response);
  }

  /** GET …/artifacts?path=<dir>: the entries directly in the folder, by base name; `{}` when none (or no such folder). */
  async list(query: MlflowQuery): Promise<MlflowFileList> {
    const artifactPath = queryText(query, 'path');
    const proxyPath = artifactPath === undefined ? '' : requireSafePath(artifactPath);
    if (proxyPath === '') {
      return {};
    }
    const target = await this.locate(proxyPath);
    if (!target) {
      return {};
    }
    const entries: ListingEntry<StoredFile>[] =
      target.kind === 'run'
        ? await this.artifacts.listFolder((await this.runs.requireReadable(target.runId)).id, target.key)
        : await this.artifacts.listFolderOf((from, limit) => this.models.listArtifactsFrom(target.modelId, from, limit), target.key);
    const files = entries.map((entry): MlflowFileInfo => {
      if (entry.kind === 'file') {
        return { path: path.posix.basename(entry.row.path), is_dir: false, file_size: entry.row.size_bytes };
      }
      return { path: path.posix.basename(entry.folder.slice(0, -1)), is_dir: true };
    });
    return files.length > 0 ? { files } : {};
  }

  /** DELETE …/artifacts/<path>: the file, or the folder with everything in it; `{}` also when nothing was there. */
  async delete(artifactPath: string): Promise<Record<string, never>> {
    const target = await this.requireTarget(requireSafePath(artifactPath));
    if (target.kind === 'run') {
      const run = await this.runs.requireWritable(target.runId);
      await this.artifacts.removeFileOrFolder(run, target.key);
      return {};
    }
    await this.models.requireForArtifacts(target.modelId);
    await this.artifacts.releaseBlobs(await this.models.removeArtifacts(target.modelId, target.key));
    return {};
  }

  /** The run and key (inside its artifact folder, '' for the folder) a proxy path names; RESOURCE_DOES_NOT_EXIST if none. */
  async resolveRunPath(artifactPath: string): Promise<RunArtifactPath> {
    const target = await this.requireTarget(requireSafePath(artifactPath));
    if (target.kind !== 'run') {
      throw new NotImplementedError('multipart uploads of logged model files are not supported by entrenar-tracking; upload them whole');
    }
    return { runId: target.runId, key: target.key };
  }

  /**
   * GET /api/2.0/mlflow/artifacts/list: `{root_uri, files}`, each path the given `path` joined
   * with the entry's name as MLflow joins them (`.` lists the root as `./<name>`, `a/` as `a/<name>`).
   */
  async listRunArtifacts(query: MlflowQuery): Promise<MlflowRunArtifactList> {
    const id = runIdOf(query);
    const folder = queryText(query, 'path') ?? '';
    const key = requireSafePath(folder);
    const prefix = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
    const run = await this.runs.get(id);
    const experiment = await this.experiments.require(run.experiment_id);
    const target = await this.runs.requireReadable(id);
    const files = (await this.artifacts.listFolder(target.id, key)).map((entry): MlflowFileInfo => {
      if (entry.kind === 'file') {
        return { path: prefix + path.posix.basename(entry.row.path), is_dir: false, file_size: entry.row.size_bytes };
      }
      return { path: prefix + path.posix.basename(entry.folder.slice(0, -1)), is_dir: true };
    });
    return files.length > 0 ? { root_uri: runArtifactUri(experiment, id), files } : { root_uri: runArtifactUri(experiment, id) };
  }

  /**
   * GET logged-models/<id>/artifacts/directories?artifact_directory_path=: the entries directly in
   * a folder of the model's files, with paths relative to the model's root, and the root's URI.
   */
  async listModelArtifacts(modelId: string, query: MlflowQuery): Promise<MlflowRunArtifactList> {
    const folder = queryText(query, 'artifact_directory_path') ?? '';
    const key = requireSafePath(folder);
    const model = await this.models.require(modelId, true);
    const entries = await this.artifacts.listFolderOf((from, limit) => this.models.listArtifactsFrom(model.model_id, from, limit), key);
    const prefix = key === '' ? '' : `${key}/`;
    const files = entries.map((entry): MlflowFileInfo => {
      if (entry.kind === 'file') {
        return { path: entry.row.path, is_dir: false, file_size: entry.row.size_bytes };
      }
      return { path: prefix + path.posix.basename(entry.folder.slice(0, -1)), is_dir: true };
    });
    return files.length > 0 ? { root_uri: model.artifact_location, files } : { root_uri: model.artifact_location };
  }

  /** GET logged-models/<id>/artifacts/files?artifact_file_path= (the UI's view of a model's file). */
  async getModelArtifact(modelId: string, query: MlflowQuery, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const shown = queryText(query, 'artifact_file_path');
    if (shown === undefined || shown === '') {
      throw new InvalidRequestError(
        "Missing value for required parameter 'artifact_file_path'. See the API docs for more information about request parameters.",
      );
    }
    const key = requireSafePath(shown);
    const model = await this.models.require(modelId, true);
    await this.sendRow(key === '' ? undefined : await this.models.findArtifact(model.model_id, key), shown, request, response);
  }

  /** GET /get-artifact?run_id=&path= (the UI's download link): always an attachment; text files as text/plain. */
  async getArtifact(query: MlflowQuery, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const id = runIdOf(query);
    const key = queryText(query, 'path');
    if (key === undefined || key === '') {
      throw new InvalidRequestError(
        "Missing value for required parameter 'path'. See the API docs for more information about request parameters.",
      );
    }
    await this.sendFile(id, requireSafePath(key), key, request, response);
  }

  private async sendFile(runId: string, key: string, shownPath: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const run = await this.runs.requireReadable(runId);
    const row = key === '' ? undefined : await this.artifacts.findFile(run.id, key);
    await this.sendRow(row, shownPath, request, response);
  }

  private async sendRow(row: StoredFile | undefined, shownPath: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!row) {
      throw new DomainError('NOT_FOUND', `No artifact at path '${shownPath}'`);
    }
    const extension = path.posix.extname(row.path).slice(1).toLowerCase() || path.posix.basename(row.path).toLowerCase();
    const contentType = TEXT_EXTENSIONS.has(extension) ? 'text/plain; charset=utf-8' : row.content_type;
    await this.artifacts.sendFile(request, response, row, contentType);
  }

  private async requireTarget(artifactPath: string): Promise<ProxyTarget> {
    const located = await this.locate(artifactPath);
    if (!located) {
      throw new DomainError(
        'NOT_FOUND',
        `No run artifact folder at path '${artifactPath}': paths look like <experiment_id>/<run_id>/artifacts/<file> or <experiment_id>/models/<model_id>/artifacts/<file>`,
      );
    }
    return located;
  }

  /**
   * The run and key a proxy path names: `<location>/<run_id>/artifacts[/<key>]`, where
   * `<location>` is what the run's experiment's artifact location stands for (normally its id).
   * Undefined when no run matches; "Invalid path" when the part inside the run's folder is no key.
   *
   * The scope is narrower than MLflow's: its proxy is a file server over the whole artifact
   * destination (`PUT …/artifacts/a.txt` writes a file belonging to nothing), while every file
   * here belongs to a run (listed, served, deleted and garbage-collected with it), so a path
   * outside a run's folder is RESOURCE_DOES_NOT_EXIST. MLflow's clients only use run paths for
   * run artifacts.
   */
  private async locate(artifactPath: string): Promise<ProxyTarget | undefined> {
    const segments = artifactPath.split('/');
    const model = await this.locateModel(segments);
    if (model) {
      return model;
    }
    for (let index = 1; index + 1 < segments.length; index++) {
      if (segments[index + 1] !== 'artifacts') {
        continue;
      }
      const runId = segments[index];
      let experimentId: string;
      try {
        experimentId = (await this.runs.get(runId)).experiment_id;
      } catch (error) {
        if (error instanceof NotFoundError) {
          continue;
        }
        throw error;
      }
      const experiment = await this.experiments.require(experimentId);
      if (proxiedLocationPath(experiment.artifact_location) === segments.slice(0, index).join('/')) {
        const key = segments.slice(index + 2).join('/');
        // The whole path was checked; the key is checked again on its own, where a rule about
        // its start (no drive prefix: `C:x`) applies.
        if (key !== '' && artifactKeyProblem(key) !== undefined) {
          throw invalidPath();
        }
        return { kind: 'run', runId, key };
      }
    }
    return undefined;
  }

  /**
   * The logged model and key a proxy path names: `<location>/models/<model_id>/artifacts[/<key>]`,
   * the model's artifact location (see LoggedModelsService.create), where `<location>` is what
   * the model's experiment's artifact location stands for.
   */
  private async locateModel(segments: readonly string[]): Promise<ProxyTarget | undefined> {
    for (let index = 0; index + 2 < segments.length; index++) {
      if (segments[index] !== 'models' || !MODEL_ID.test(segments[index + 1]) || segments[index + 2] !== 'artifacts') {
        continue;
      }
      const prefix = segments.slice(0, index).join('/');
      const model = await this.models.findInLocation(segments[index + 1], (location) => proxiedLocationPath(location) === prefix);
      if (model) {
        const key = segments.slice(index + 3).join('/');
        if (key !== '' && artifactKeyProblem(key) !== undefined) {
          throw invalidPath();
        }
        return { kind: 'model', modelId: model.model_id, key };
      }
    }
    return undefined;
  }
}
