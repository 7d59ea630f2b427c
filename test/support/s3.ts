import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import type { ServerConfig } from '../../src/config/server-config.js';

/** Where the real S3-compatible test server is (scripts/ensure-s3.sh starts SeaweedFS and prints these). */
export interface S3TestSettings {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * The S3 test server's settings from ENTRENAR_TEST_S3_*. Without them the S3 tests fail (they
 * are never skipped): `npm test` always provides them. Also puts the test credentials where the
 * AWS SDK's default chain finds them (the server under test reads nothing else), and turns off
 * the EC2 metadata lookup so a test can never reach beyond this machine.
 */
export function s3TestSettings(): S3TestSettings {
  const env = process.env;
  const missing = [
    'ENTRENAR_TEST_S3_ENDPOINT',
    'ENTRENAR_TEST_S3_BUCKET',
    'ENTRENAR_TEST_S3_ACCESS_KEY_ID',
    'ENTRENAR_TEST_S3_SECRET_ACCESS_KEY',
  ].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(
      `The s3 artifact store tests need a real S3-compatible server, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set. ` +
        'Run them through `npm test` (which starts SeaweedFS with scripts/ensure-s3.sh), or start it yourself: ' +
        '`set -a; eval "$(bash scripts/ensure-s3.sh)"; set +a` and run Jest again.',
    );
  }
  const settings: S3TestSettings = {
    endpoint: env.ENTRENAR_TEST_S3_ENDPOINT ?? '',
    bucket: env.ENTRENAR_TEST_S3_BUCKET ?? '',
    accessKeyId: env.ENTRENAR_TEST_S3_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.ENTRENAR_TEST_S3_SECRET_ACCESS_KEY ?? '',
    region: env.ENTRENAR_TEST_S3_REGION || 'us-east-1',
  };
  env.AWS_ACCESS_KEY_ID = settings.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = settings.secretAccessKey;
  env.AWS_EC2_METADATA_DISABLED = 'true';
  return settings;
}

/** A key prefix no other test file or run uses, so tests can count what is in "their" part of the bucket. */
export function uniqueS3Prefix(name: string): string {
  return `test-${name}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`;
}

/** Server settings for the s3 artifact store on the test server, under `prefix`. */
export function s3StoreOverrides(settings: S3TestSettings, prefix: string): Partial<ServerConfig> {
  return {
    artifactStore: 's3',
    s3Bucket: settings.bucket,
    s3Endpoint: settings.endpoint,
    s3Region: settings.region,
    s3ForcePathStyle: true,
    s3Prefix: prefix,
  };
}

/** A client of its own for the tests to look into the bucket (independent of the server's). */
export function s3TestClient(settings: S3TestSettings): S3Client {
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: true,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
  });
}

/** Every object key under `prefix`, sorted. */
export async function listS3Keys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** The keys of multipart uploads started under `prefix` and neither completed nor aborted. */
export async function listS3PendingUploads(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const page = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return (page.Uploads ?? []).flatMap((upload) => (upload.Key ? [upload.Key] : [])).sort();
}
