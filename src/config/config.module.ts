import { DynamicModule, Global, Module } from '@nestjs/common';
import { ServerConfig } from './server-config.js';

/** Injection token of the validated ServerConfig. */
export const SERVER_CONFIG = Symbol('SERVER_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ServerConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: SERVER_CONFIG, useValue: Object.freeze({ ...config }) }],
      exports: [SERVER_CONFIG],
    };
  }
}
