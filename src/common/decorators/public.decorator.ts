import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

export const IS_PUBLIC = 'entrenar:isPublic';

/**
 * The route answers without an API key, even when `--auth-type api_key` is on; its OpenAPI
 * operation says so with an empty security requirement (`security: [{}]`), which overrides the
 * document's bearer requirement.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiSecurity({}));
