import { Logger } from '@nestjs/common';
import path from 'node:path';
import type { ServerConfig } from '../../config/server-config.js';
import { ArtifactStore } from './artifact-store.js';
import { LocalArtifactStore } from './local-artifact.store.js';

/**
 * The artifact store the settings choose: `local` under the data directory, or `s3`. An s3
 * store is checked before the server starts (the bucket exists and the credentials may use it),
 * so a wrong setting stops the start with a message saying what to fix. The AWS SDK is loaded
 * only then: it adds about 20 MiB to every server that keeps artifacts on local disk.
 */
export async function createArtifactStore(config: ServerConfig): Promise<ArtifactStore> {
  const logger = new Logger('ArtifactStore');
  if (config.artifactStore === 's3') {
    const { S3ArtifactStore } = await import('./s3-artifact.store.js');
    const store = S3ArtifactStore.fromConfig(config);
    try {
      await store.checkBucket();
    } catch (error) {
      store.onModuleDestroy();
      throw error;
    }
    logger.log(`artifacts in ${store.describe()}`);
    return store;
  }
  const root = path.resolve(config.dataDir, 'artifacts');
  const store = new LocalArtifactStore(root);
  await store.init();
  logger.log(`artifacts in ${root}`);
  return store;
}
