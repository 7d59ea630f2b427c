import 'reflect-metadata';
import type { Server as HttpServer } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { Logger } from '@nestjs/common';
import { CommanderError } from 'commander';
import { describeInFlight, InFlightRequests } from './common/shutdown/in-flight-requests.js';
import { buildCli } from './config/cli.js';
import { ConfigError } from './config/config-validation.js';
import { RunningServer, startServer } from './server.js';

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

/**
 * SIGTERM or SIGINT: stop accepting, let the requests in flight finish, close the database and
 * exit 0. Requests still running after --shutdown-timeout-secs are cut: the log says which, and
 * the exit code is 1. A repeated signal changes nothing (npm forwards a Ctrl-C the terminal has
 * already sent to the whole process group, so the server gets it twice).
 */
async function serve(running: Promise<RunningServer>): Promise<void> {
  const server = await running;
  // Nothing can arrive between listen() and here: no I/O runs while startServer's promise settles.
  const inFlight = InFlightRequests.watch(server.app.getHttpServer() as HttpServer);
  const logger = new Logger('Shutdown');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      return;
    }
    stopping = true;
    const timeoutSecs = server.config.shutdownTimeoutSecs;
    const waitingFor = inFlight.size === 0 ? 'none in flight' : `waiting up to ${timeoutSecs} s for ${describeInFlight(inFlight.list())}`;
    logger.log(`${signal}: no longer accepting requests; ${waitingFor}`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown deadline of ${timeoutSecs} s passed: cutting ${describeInFlight(inFlight.list())}`);
      process.exit(1);
    }, timeoutSecs * 1000);
    deadline.unref();
    server.close().then(
      () => {
        logger.log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        writeError(`error while stopping after ${signal}: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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
