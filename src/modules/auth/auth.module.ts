import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthGate } from './auth-gate.js';
import { BasicStrategy } from './basic.strategy.js';
import { BearerStrategy } from './bearer.strategy.js';

/**
 * API key authentication: the passport strategies (Bearer, and the password of HTTP Basic) and
 * the AuthGate the HTTP bootstrap runs on every request before routing (see src/server.ts).
 */
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [BearerStrategy, BasicStrategy, AuthGate],
  exports: [AuthGate],
})
export class AuthModule {}
