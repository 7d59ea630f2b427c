#!/usr/bin/env node
// `npm test`: every test, in order. Builds the server (end-to-end tests run the real `entrenar`
// command) and the web dashboard, runs the dashboard's data-layer tests (Vitest), makes sure the S3-compatible test server runs (scripts/ensure-s3.sh), runs all Jest
// tiers on SQLite, runs the HTTP and end-to-end tiers again on PostgreSQL
// (started by scripts/ensure-postgres.sh unless ENTRENAR_TEST_DATABASE_URL is set),
// then the Python suite that drives the real MLflow client, when it exists, and the schemathesis
// run that holds the server to its OpenAPI document on both databases.
// `npm test -- --only sqlite` (or postgres) narrows the run while developing.
// Every child that runs JavaScript (the compiler, Jest, the servers the Python suite starts) runs
// on this same Node.js, which must satisfy package.json "engines" (scripts/ensure-node.sh).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import semver from 'semver';

const supportedNode = JSON.parse(readFileSync('package.json', 'utf8')).engines.node;
if (!semver.satisfies(process.version, supportedNode)) {
  process.stderr.write(
    `Node.js ${process.version} is older than package.json "engines" (${supportedNode}): ` +
      'run `eval "$(bash scripts/ensure-node.sh)"` first\n',
  );
  process.exit(1);
}
process.stdout.write(`=== Node.js ${process.version} at ${process.execPath} (engines ${supportedNode})\n`);

const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const jestArgs = onlyIndex >= 0 ? args.filter((_, index) => index !== onlyIndex && index !== onlyIndex + 1) : args;

function run(title, command, commandArgs, env = {}) {
  process.stdout.write(`\n=== ${title}\n`);
  const result = spawnSync(command, commandArgs, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    process.stdout.write(`\n=== FAILED: ${title}\n`);
    process.exit(result.status ?? 1);
  }
}

function capture(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) {
    process.stdout.write(`\n=== FAILED: ${command} ${commandArgs.join(' ')}\n`);
    process.exit(result.status ?? 1);
  }
  return result.stdout.trim();
}

const jest = ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js'];

run('build', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
run('build: web dashboard', process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts']);
run('vitest: web dashboard data layer', process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'web/vite.config.ts']);

// The s3 artifact store is tested against a real S3-compatible server (SeaweedFS on 127.0.0.1,
// built once from the Go module proxy); the S3 tests fail rather than skip without it.
process.stdout.write('\n=== S3-compatible test server (scripts/ensure-s3.sh)\n');
const s3Env = Object.fromEntries(
  capture('bash', ['scripts/ensure-s3.sh'])
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
if (s3Env.ENTRENAR_TEST_S3_STARTED_PID) {
  // Started here, so stopped here, however the run ends.
  process.on('exit', () => spawnSync('bash', ['scripts/ensure-s3.sh', '--stop'], { stdio: 'inherit' }));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  }
}

if (!only || only === 'sqlite') {
  run('jest: unit, http and e2e on SQLite', process.execPath, [...jest, ...jestArgs], { ENTRENAR_TEST_DB: 'sqlite', ...s3Env });
}
if (!only || only === 'postgres') {
  const url = capture('bash', ['scripts/ensure-postgres.sh']);
  run('jest: http and e2e on PostgreSQL', process.execPath, [...jest, '--selectProjects', 'http', 'e2e', ...jestArgs], {
    ENTRENAR_TEST_DB: 'postgres',
    ENTRENAR_TEST_DATABASE_URL: url,
    ...s3Env,
  });
}
if (!only && existsSync('test/mlflow/run.sh')) {
  // NODE: the node that starts `entrenar server` for the Python suite (test/mlflow/entrenar_support.py).
  run('pytest: the real MLflow client', 'bash', ['test/mlflow/run.sh'], { NODE: process.execPath });
}
if (existsSync('test/schemathesis/run.sh')) {
  run('schemathesis: the server against its OpenAPI document', 'bash', ['test/schemathesis/run.sh', ...(only ? ['--only', only] : [])]);
}
process.stdout.write('\n=== all tests passed\n');
