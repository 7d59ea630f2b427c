import { startupWarnings } from './server.js';

describe('startupWarnings', () => {
  it.each(['0.0.0.0', '::', '192.168.1.20', 'tracking.internal'])('warns when %s is bound with auth off', (host) => {
    const warnings = startupWarnings({ host, authType: 'none' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`listening on ${host} with authentication off`);
    expect(warnings[0]).toContain('--auth-type api_key');
  });

  it.each(['127.0.0.1', '127.0.0.2', 'localhost', '::1'])('stays quiet on the loopback address %s', (host) => {
    expect(startupWarnings({ host, authType: 'none' })).toEqual([]);
  });

  it('stays quiet on a reachable address when API keys are required', () => {
    expect(startupWarnings({ host: '0.0.0.0', authType: 'api_key' })).toEqual([]);
  });
});
