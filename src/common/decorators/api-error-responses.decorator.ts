import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse, ApiResponseOptions, getSchemaPath } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger';

export class ErrorDetailDto {
  @ApiProperty({
    enum: ['NOT_FOUND', 'INVALID_REQUEST', 'UNAUTHORIZED', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'NOT_IMPLEMENTED', 'INTERNAL_ERROR'],
    example: 'NOT_FOUND',
  })
  code!: string;

  @ApiProperty({ example: 'Run not found: run-xyz789' })
  message!: string;
}

/** The seed's error envelope: `{"error":{"code","message"}}`. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: ErrorDetailDto })
  error!: ErrorDetailDto;
}

/** Documents one error status of a route with the envelope schema. */
export function ApiError(
  status: number,
  description: string,
  options: Pick<ApiResponseOptions, 'headers'> = {},
): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description, type: ErrorEnvelopeDto, ...options });
}

/** An error status added to a document after generation (see declareMiddlewareResponses). */
export function errorResponse(description: string): ResponseObject {
  return { description, content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } } } };
}

/** The errors every protected route can answer with. */
export function ApiErrorResponses(): ClassDecorator {
  return applyDecorators(
    ApiError(401, 'UNAUTHORIZED: API key missing or wrong (only when --auth-type api_key)', {
      headers: {
        'WWW-Authenticate': { description: 'the scheme to use: `Bearer realm="entrenar"`', schema: { type: 'string' }, required: true },
      },
    }),
    ApiError(500, 'INTERNAL_ERROR: the server failed; the message names the request id'),
  );
}
