import type { NestExpressApplication } from '@nestjs/platform-express';
import supertest from 'supertest';
import { serverConfig } from '../../src/config/load-config.js';
import type { ServerConfig } from '../../src/config/server-config.js';
import { AppOptions, startServer } from '../../src/server.js';
import { createTestStorage, TestStorage } from './database.js';

/** An app listening on 127.0.0.1 on a free port, on fresh storage of the database under test. */
export interface TestApp {
  app: NestExpressApplication;
  config: ServerConfig;
  url: string;
  storage: TestStorage;
  /** supertest bound to this server. */
  http: () => supertest.Agent;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /**
   * Serve another app's storage instead of fresh storage: a second replica on the same
   * database. The storage stays the other app's to dispose, so close this one first.
   */
  sharedStorage?: TestStorage;
  /** Added to the app before its routes are built (see AppOptions.configure): e.g. a global guard. */
  configure?: AppOptions['configure'];
}

export async function startTestApp(overrides: Partial<ServerConfig> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const storage = options.sharedStorage ?? (await createTestStorage());
  const ownsStorage = options.sharedStorage === undefined;
  const config = serverConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir: storage.dataDir,
    databaseUrl: storage.databaseUrl,
    logLevel: process.env.ENTRENAR_TEST_LOG === '1' ? 'debug' : 'silent',
    ...overrides,
  });
  const running = await startServer(config, { configure: options.configure });
  const app = running.app as NestExpressApplication;
  const server = app.getHttpServer();
  return {
    app,
    config,
    url: running.url,
    storage,
    http: () => supertest.agent(server),
    close: async () => {
      await running.close();
      if (ownsStorage) {
        await storage.dispose();
      }
    },
  };
}
