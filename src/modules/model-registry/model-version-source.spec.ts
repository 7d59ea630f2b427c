import {
  isArtifactProxySource,
  isLocalPathWithin,
  isLocalUri,
  isUriWithinRoot,
  parseModelsPath,
  splitUri,
} from './model-version-source.js';

describe('reading a model version source as MLflow does', () => {
  it('tells a logged model id from a registered version, stage, latest and alias', () => {
    expect(parseModelsPath('/m-0123')).toEqual({ kind: 'logged model', modelId: 'm-0123' });
    expect(parseModelsPath('/clf/3')).toEqual({ kind: 'version', name: 'clf', version: '3' });
    expect(parseModelsPath('/clf/Latest')).toEqual({ kind: 'latest', name: 'clf' });
    expect(parseModelsPath('/clf/Production')).toEqual({ kind: 'stage', name: 'clf', stage: 'Production' });
    expect(parseModelsPath('/clf@champion')).toEqual({ kind: 'alias', name: 'clf', alias: 'champion' });
  });

  it('finds no model in malformed paths', () => {
    for (const path of ['', '/', 'clf/1', '/clf/1/extra', '/clf/', '/ /1', '/clf@']) {
      expect(parseModelsPath(path)).toBeUndefined();
    }
  });

  it('splits the authority only after //, and lower-cases the scheme', () => {
    expect(splitUri('models:/clf/1')).toEqual({ scheme: 'models', authority: '', path: '/clf/1' });
    expect(splitUri('MODELS://ws/clf/1')).toEqual({ scheme: 'models', authority: 'ws', path: '/clf/1' });
    expect(splitUri('/tmp/model')).toEqual({ scheme: '', authority: '', path: '/tmp/model' });
  });

  it('holds a source to a root by decoded path segments, scheme and authority', () => {
    const root = 'mlflow-artifacts:/exp-1/models/m-1/artifacts';
    expect(isUriWithinRoot(`${root}/MLmodel`, root)).toBe(true);
    expect(isUriWithinRoot(root, root)).toBe(true);
    expect(isUriWithinRoot('mlflow-artifacts:/exp-1/models/m-1/artifacts%2F..%2Fother', root)).toBe(false);
    expect(isUriWithinRoot('mlflow-artifacts:/exp-1/models/m-2/artifacts/MLmodel', root)).toBe(false);
    expect(isUriWithinRoot('s3://exp-1/models/m-1/artifacts', root)).toBe(false);
  });

  it('knows artifact-proxy addresses and local paths', () => {
    expect(isArtifactProxySource('mlflow-artifacts:/exp/x')).toBe(true);
    expect(isArtifactProxySource('https://host/api/2.0/mlflow-artifacts/artifacts/exp/x')).toBe(true);
    expect(isArtifactProxySource('s3://bucket/x')).toBe(false);
    expect(isLocalUri('/tmp/model')).toBe(true);
    expect(isLocalUri('file:///tmp/model')).toBe(true);
    expect(isLocalUri('s3://bucket/model')).toBe(false);
    expect(isLocalPathWithin('file:///data/m/artifacts/MLmodel', '/data/m/artifacts')).toBe(true);
    expect(isLocalPathWithin('/data/m/artifacts/../other', '/data/m/artifacts')).toBe(false);
    expect(isLocalPathWithin('/data/m/artifacts-2', '/data/m/artifacts')).toBe(false);
  });
});
