import { S3Client } from '@aws-sdk/client-s3';
import { serverConfig } from '../../config/load-config.js';
import { copyPartRanges, normalizePrefix, S3ArtifactStore, uploadPartBytes } from './s3-artifact.store.js';

// What the store does against S3 is tested on a real S3-compatible server in
// test/http/artifacts-s3.http-spec.ts; these are the decisions it takes before sending anything.

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const HASH = 'ab12' + 'c'.repeat(60);

describe('uploadPartBytes', () => {
  it('uses 8 MiB parts for uploads up to the default 100 MiB limit', () => {
    expect(uploadPartBytes(100 * MIB)).toBe(8 * MIB);
    expect(uploadPartBytes(1024)).toBe(8 * MIB);
  });

  it('grows the part, in whole MiB, so that an upload of the limit fits in 10,000 parts', () => {
    for (const limit of [100 * GIB, 500 * GIB + 12_345, 1024 * GIB]) {
      const part = uploadPartBytes(limit);
      expect(part % MIB).toBe(0);
      expect(Math.ceil(limit / part)).toBeLessThanOrEqual(10_000);
      expect(part).toBeGreaterThan(8 * MIB);
    }
  });

  it("never goes below S3's 5 MiB minimum part, nor above its 5 GiB maximum", () => {
    expect(uploadPartBytes(10 * MIB, MIB)).toBe(5 * MIB);
    expect(uploadPartBytes(Number.MAX_SAFE_INTEGER)).toBe(5 * GIB);
  });
});

describe('copyPartRanges', () => {
  it('covers every byte exactly once, in order, with inclusive ends', () => {
    const size = 12 * MIB + 5;
    const ranges = copyPartRanges(size, 5 * MIB);
    expect(ranges).toEqual([
      { start: 0, end: 5 * MIB - 1 },
      { start: 5 * MIB, end: 10 * MIB - 1 },
      { start: 10 * MIB, end: size - 1 },
    ]);
  });

  it('copies a 6 GiB blob in 512 MiB parts by default', () => {
    const ranges = copyPartRanges(6 * GIB);
    expect(ranges).toHaveLength(12);
    expect(ranges.every((range) => range.end - range.start + 1 === 512 * MIB)).toBe(true);
  });

  it('uses larger parts when 512 MiB ones would exceed 10,000 parts', () => {
    const size = 6000 * GIB;
    const ranges = copyPartRanges(size);
    expect(ranges.length).toBeLessThanOrEqual(10_000);
    expect(ranges[ranges.length - 1].end).toBe(size - 1);
  });
});

describe('normalizePrefix', () => {
  it.each([
    ['', ''],
    ['entrenar', 'entrenar/'],
    ['entrenar/', 'entrenar/'],
    ['team-a/runs', 'team-a/runs/'],
  ])('turns %j into %j', (given, expected) => {
    expect(normalizePrefix(given)).toBe(expected);
  });
});

describe('S3ArtifactStore', () => {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' } });
  afterAll(() => client.destroy());

  it('keeps blobs under <prefix>blobs/sha256/ab/cd/<hash> and staging under <prefix>tmp/', () => {
    const store = new S3ArtifactStore({ client, bucket: 'b', prefix: 'entrenar' });
    expect(store.blobKey(HASH)).toBe(`entrenar/blobs/sha256/ab/12/${HASH}`);
    expect(store.stagingPrefix).toBe('entrenar/tmp/');
    const atRoot = new S3ArtifactStore({ client, bucket: 'b' });
    expect(atRoot.blobKey(HASH)).toBe(`blobs/sha256/ab/12/${HASH}`);
  });

  it.each(['', 'AB12' + 'c'.repeat(60), '../' + 'a'.repeat(61), 'a'.repeat(63), 'a'.repeat(65)])(
    'refuses %j as a hash, so no key outside blobs/ can be built',
    (hash) => {
      expect(() => new S3ArtifactStore({ client, bucket: 'b' }).blobKey(hash)).toThrow('not a SHA-256 hex digest');
    },
  );

  it('describes where it keeps blobs from the settings, for the start-up log', () => {
    const withEndpoint = S3ArtifactStore.fromConfig(
      serverConfig({
        artifactStore: 's3',
        s3Bucket: 'ckpt',
        s3Prefix: 'team',
        s3Endpoint: 'http://127.0.0.1:9000',
        s3Region: 'us-east-1',
        s3ForcePathStyle: true,
      }),
    );
    expect(withEndpoint.describe()).toBe('s3://ckpt/team/ at endpoint http://127.0.0.1:9000');
    withEndpoint.onModuleDestroy();
    const onAws = S3ArtifactStore.fromConfig(serverConfig({ artifactStore: 's3', s3Bucket: 'ckpt', s3Region: 'eu-west-1' }));
    expect(onAws.describe()).toBe('s3://ckpt/ at AWS S3 (eu-west-1)');
    onAws.onModuleDestroy();
  });
});
