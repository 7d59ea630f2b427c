import 'reflect-metadata';
import { CommanderError } from 'commander';
import { buildCli } from './config/cli.js';
import { ConfigError } from './config/config-validation.js';
import { RunningServer, startServer } from './server.js';

const SHUTDOWN_DEADLINE_MS = 15_000;

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
  const program = buildCli((config) => serve(startServer(config)));
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
