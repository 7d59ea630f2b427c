import { Module } from '@nestjs/common';
import { ChangeFeedModule } from '../live/change-feed.module.js';
import { RunsModule } from '../runs/runs.module.js';
import { ParamRepository } from './param.repository.js';
import { ParamsController } from './params.controller.js';
import { ParamsService } from './params.service.js';

@Module({
  imports: [RunsModule, ChangeFeedModule],
  controllers: [ParamsController],
  providers: [ParamsService, ParamRepository],
  exports: [ParamsService, ParamRepository],
})
export class ParamsModule {}
