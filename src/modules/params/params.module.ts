import { Module } from '@nestjs/common';
import { RunsModule } from '../runs/runs.module.js';
import { ParamRepository } from './param.repository.js';
import { ParamsController } from './params.controller.js';
import { ParamsService } from './params.service.js';

@Module({
  imports: [RunsModule],
  controllers: [ParamsController],
  providers: [ParamsService, ParamRepository],
  exports: [ParamsService, ParamRepository],
})
export class ParamsModule {}
