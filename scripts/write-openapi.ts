// Writes openapi.json (sorted keys) from the code: `npm run openapi`. CI checks it is current.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverConfig } from '../src/config/load-config.js';
import { buildOpenApiDocument, stableJson } from '../src/openapi.js';
import { createApp } from '../src/server.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'entrenar-openapi-'));
try {
  const app = await createApp(serverConfig({ dataDir, logLevel: 'silent' }));
  await app.init();
  writeFileSync('openapi.json', stableJson(buildOpenApiDocument(app)));
  await app.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
