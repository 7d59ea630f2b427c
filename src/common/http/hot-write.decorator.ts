import { SetMetadata } from '@nestjs/common';

export const HOT_WRITE_METADATA = 'entrenar:hotWrite';

/**
 * Marks a write route that training loops call by the thousand (metric points): the hot write
 * lane (src/http/hot-write-lane.ts) hands its requests straight to this route's handler, past
 * the scan of the whole route table. Everything else about the request is the normal path.
 */
export const HotWrite = (): MethodDecorator => SetMetadata(HOT_WRITE_METADATA, true);
