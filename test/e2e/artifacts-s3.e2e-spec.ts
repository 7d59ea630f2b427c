import { createTestStorage, TestStorage } from '../support/database.js';
import { binaryPayload, hexOf, sha256 } from '../support/artifacts.js';
import { listS3Keys, S3TestSettings, s3TestClient, s3TestSettings, uniqueS3Prefix } from '../support/s3.js';
import { runEntrenar, startEntrenar, storageArgs } from './support/entrenar-process.js';

describe('`entrenar server --artifact-store s3` (the built command, on the real S3 test server)', () => {
  let settings: S3TestSettings;
  let storage: TestStorage;

  beforeAll(async () => {
    settings = s3TestSettings();
    storage = await createTestStorage();
  });
  afterAll(() => storage?.dispose());

  /** The S3 settings as the environment twins an operator would set. */
  const s3Environment = (bucket: string, prefix: string): Record<string, string> => ({
    ENTRENAR_ARTIFACT_STORE: 's3',
    ENTRENAR_S3_BUCKET: bucket,
    ENTRENAR_S3_PREFIX: prefix,
    ENTRENAR_S3_ENDPOINT: settings.endpoint,
    ENTRENAR_S3_REGION: settings.region,
    ENTRENAR_S3_FORCE_PATH_STYLE: 'true',
  });

  it('stores uploads in the bucket, configured from the environment alone', async () => {
    const prefix = uniqueS3Prefix('e2e');
    const server = await startEntrenar({ args: storageArgs(storage), env: s3Environment(settings.bucket, prefix) });
    const s3 = s3TestClient(settings);
    try {
      const experiment = await fetch(`${server.url}/api/v1/experiments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `s3-e2e-${prefix.slice(0, -1)}` }),
      });
      expect(experiment.status).toBe(201);
      const { id: experimentId } = (await experiment.json()) as { id: string };
      const run = await fetch(`${server.url}/api/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ experiment_id: experimentId }),
      });
      const { id: runId } = (await run.json()) as { id: string };

      const bytes = binaryPayload(3 * 1024 * 1024 + 1);
      const put = await fetch(`${server.url}/api/v1/runs/${runId}/artifacts/model.bin`, { method: 'PUT', body: bytes });
      expect(put.status).toBe(201);
      expect(await put.json()).toEqual({ key: 'model.bin', hash: sha256(bytes), size_bytes: bytes.length });

      const hex = hexOf(bytes);
      expect(await listS3Keys(s3, settings.bucket, prefix)).toEqual([`${prefix}blobs/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`]);
      const back = await fetch(`${server.url}/api/v1/runs/${runId}/artifacts/model.bin`);
      expect(back.status).toBe(200);
      expect(Buffer.from(await back.arrayBuffer()).equals(bytes)).toBe(true);
      expect(server.output()).toContain(`artifacts in s3://${settings.bucket}/${prefix}`);
    } finally {
      s3.destroy();
      expect(await server.stop()).toBe(0);
    }
  });

  it('refuses to start when the bucket does not exist, saying so, and exits non-zero', async () => {
    const { code, stdout, stderr } = await runEntrenar(
      ['server', '--host', '127.0.0.1', '--port', '0', ...storageArgs(storage)],
      s3Environment('entrenar-no-such-bucket', 'x/'),
    );
    expect(code).not.toBe(0);
    const output = stdout + stderr;
    expect(output).toContain("S3 bucket 'entrenar-no-such-bucket'");
    expect(output).toContain('does not exist');
    expect(output).not.toContain('listening on');
  });

  it('refuses to start when the credentials are wrong, without printing any of them', async () => {
    const wrongSecret = 'not-the-secret-5f2b9c71e0';
    const { code, stdout, stderr } = await runEntrenar(['server', '--host', '127.0.0.1', '--port', '0', ...storageArgs(storage)], {
      ...s3Environment(settings.bucket, 'x/'),
      AWS_SECRET_ACCESS_KEY: wrongSecret,
    });
    expect(code).not.toBe(0);
    const output = stdout + stderr;
    expect(output).toContain('refused access (HTTP 403)');
    expect(output).not.toContain(wrongSecret);
    expect(output).not.toContain(settings.accessKeyId);
    expect(output).not.toContain('listening on');
  });

  it('refuses to start when no region is set anywhere, saying how to set one', async () => {
    const environment = s3Environment(settings.bucket, 'x/');
    delete environment.ENTRENAR_S3_REGION;
    const { code, stdout, stderr } = await runEntrenar(['server', '--host', '127.0.0.1', '--port', '0', ...storageArgs(storage)], {
      ...environment,
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
      AWS_CONFIG_FILE: '/nonexistent/entrenar-test/aws-config',
    });
    expect(code).not.toBe(0);
    expect(stdout + stderr).toContain('no usable region: pass --s3-region (ENTRENAR_S3_REGION) or set AWS_REGION');
  });

  it('refuses --artifact-store s3 without a bucket before touching anything', async () => {
    const { code, stderr } = await runEntrenar(['server', '--port', '0', '--artifact-store', 's3', ...storageArgs(storage)]);
    expect(code).toBe(2);
    expect(stderr).toContain('--artifact-store s3 needs a bucket: pass --s3-bucket BUCKET or set ENTRENAR_S3_BUCKET');
  });
});
