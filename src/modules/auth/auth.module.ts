import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeyGuard } from './api-key.guard.js';
import { BasicStrategy } from './basic.strategy.js';
import { BearerStrategy } from './bearer.strategy.js';

@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [BearerStrategy, BasicStrategy, { provide: APP_GUARD, useClass: ApiKeyGuard }],
})
export class AuthModule {}
