import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'entrenar:isPublic';

/** The route answers without an API key, even when `--auth-type api_key` is on. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
