import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { CommanderError } from 'commander';
import { buildCli } from './config/cli.js';
import { ConfigError } from './config/config-validation.js';
import { RunningServer, startServer } from './server.js';

const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * V8 lets the old generation grow by up to 4x between full collections by default, so a server
 * that churns through short-lived request garbage sits on hundreds of MiB it no longer uses.
 * Doubling at most keeps the peak RSS of the peer benchmark (npm run bench:peers) under 250 MiB
 * instead of 350-400. Measured: 50-75% collects so often that large artifact transfers, which
 * allocate a buffer per chunk, lose half their speed (GC took 21% of a download); 100% does not.
 * The factor is read at every collection, so setting it here, before the app loads, works.
 */
const HEAP_GROWING_PERCENT = 100;

function writeError(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function serve(running: Promise<RunningServer>): Promise<void> {
  const server = await running;
  const stop = (signal: NodeJS.Signals) => {
    const deadline = setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        writeError(`error while stopping after ${signal}: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** `entrenar server [flags]`: the command behind `npm start` and the Docker image. */
export async function main(argv: string[]): Promise<void> {
  const program = buildCli((config) => {
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    return serve(startServer(config));
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof ConfigError) {
      writeError(error.message);
      process.exitCode = 2;
      return;
    }
    writeError(`entrenar failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  }
}
