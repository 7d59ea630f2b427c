import { LoggerService } from '@nestjs/common';
import pino, { Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../../config/server-config.js';

/** JSON lines on stdout: what log collectors on Kubernetes expect. */
export function createRootLogger(level: LogLevel): PinoLogger {
  return pino({
    level,
    base: { service: 'entrenar-tracking' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Belt and braces: nothing we log carries these, but if a field ever does, it is masked.
    redact: {
      paths: ['*.authorization', '*.headers.authorization', '*.headers.cookie', '*.apiKey', '*.apiKeys', '*.password'],
      censor: '[redacted]',
    },
  });
}

const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Routes Nest's own log calls (bootstrap, errors) into the same JSON stream. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: PinoLogger) {}

  private child(context: unknown): PinoLogger {
    return typeof context === 'string' ? this.root.child({ context }) : this.root;
  }

  log(message: unknown, context?: unknown): void {
    // Nest's start-up chatter (every module and route) is useful only when debugging.
    const chatty = typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context);
    this.child(context)[chatty ? 'debug' : 'info'](String(message));
  }
  error(message: unknown, trace?: unknown, context?: unknown): void {
    const extra = typeof trace === 'string' && trace.length > 0 ? { stack: trace } : {};
    this.child(context ?? trace).error(extra, String(message));
  }
  warn(message: unknown, context?: unknown): void {
    this.child(context).warn(String(message));
  }
  debug(message: unknown, context?: unknown): void {
    this.child(context).debug(String(message));
  }
  verbose(message: unknown, context?: unknown): void {
    this.child(context).trace(String(message));
  }
  fatal(message: unknown, context?: unknown): void {
    this.child(context).fatal(String(message));
  }
}
