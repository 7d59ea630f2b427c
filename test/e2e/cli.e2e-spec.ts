import { SETTINGS } from '../../src/config/settings.js';
import { createTestStorage, TestStorage } from '../support/database.js';
import { runEntrenar, startEntrenar, storageArgs } from './support/entrenar-process.js';

describe('the `entrenar` command', () => {
  it('documents every flag and its ENTRENAR_* environment twin in `entrenar server --help`', async () => {
    const { code, stdout } = await runEntrenar(['server', '--help']);
    expect(code).toBe(0);
    for (const setting of SETTINGS) {
      expect(stdout).toContain(setting.flag);
      expect(stdout).toContain(setting.env);
    }
  });

  it('refuses --auth-type api_key without a key, with a message saying how to give one', async () => {
    const { code, stderr } = await runEntrenar(['server', '--auth-type', 'api_key', '--port', '0']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('--api-key');
    expect(stderr).toContain('ENTRENAR_API_KEY');
  });

  it('lists every bad setting at once, from flags and environment alike', async () => {
    const { code, stderr } = await runEntrenar(['server', '--port', 'eighty', '--request-timeout-secs', '0'], {
      ENTRENAR_MAX_BODY_SIZE: 'lots',
    });
    expect(code).toBe(2);
    expect(stderr).toContain('--port (ENTRENAR_PORT)');
    expect(stderr).toContain('--request-timeout-secs (ENTRENAR_REQUEST_TIMEOUT_SECS)');
    expect(stderr).toContain('--max-body-size (ENTRENAR_MAX_BODY_SIZE)');
  });

  describe('started from the environment alone', () => {
    let storage: TestStorage;
    beforeAll(async () => {
      storage = await createTestStorage();
    });
    afterAll(() => storage.dispose());

    it('takes API keys from ENTRENAR_API_KEY (comma-separated) so they stay out of `ps`', async () => {
      const server = await startEntrenar({
        args: storageArgs(storage),
        env: { ENTRENAR_AUTH_TYPE: 'api_key', ENTRENAR_API_KEY: 'first-key-123-456789,second-key-456-789012' },
      });
      try {
        expect((await fetch(`${server.url}/api/v1/experiments`)).status).toBe(401);
        for (const key of ['first-key-123-456789', 'second-key-456-789012']) {
          expect((await fetch(`${server.url}/api/v1/experiments`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
        }
        expect(server.output()).not.toContain('first-key-123');
        expect(server.output()).not.toContain('second-key-456');
      } finally {
        await server.stop();
      }
    });
  });
});
