import { isRawUploadRequest } from './raw-upload-routes.js';

describe('isRawUploadRequest', () => {
  it.each([
    ['/api/v1/runs/run-1/artifacts/model.bin'],
    ['/api/v1/runs/run-1/artifacts/a/b/c.json?overwrite=true'],
    ['/api/2.0/mlflow-artifacts/artifacts/0/run-1/artifacts/model/MLmodel'],
    ['/ajax-api/2.0/mlflow-artifacts/artifacts/exp-1/run-1/artifacts/x.json'],
    ['/api/2.0/mlflow-artifacts/mpu/parts/0123456789abcdef0123456789abcdef/3'],
  ])('treats PUT %s as a raw upload', (url) => {
    expect(isRawUploadRequest('PUT', url)).toBe(true);
  });

  it.each([
    ['PUT', '/api/v1/runs/run-1/artifacts'],
    ['PUT', '/api/v1/runs/run-1/artifacts/'],
    ['PUT', '/api/v1/runs/run-1/artifacts?x=1'],
    ['POST', '/api/v1/runs/run-1/artifacts/model.bin'],
    ['GET', '/api/v1/runs/run-1/artifacts/model.bin'],
    ['POST', '/api/2.0/mlflow-artifacts/mpu/create/0/run/artifacts/x'],
    ['PUT', '/api/2.0/mlflow/runs/update'],
    ['PUT', '/api/v1/experiments/exp-1'],
    ['PUT', undefined],
  ])('leaves %s %s to the JSON parser', (method, url) => {
    expect(isRawUploadRequest(method, url)).toBe(false);
  });
});
