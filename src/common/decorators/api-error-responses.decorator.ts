import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

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
export function ApiError(status: number, description: string): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description, type: ErrorEnvelopeDto });
}

/** The errors every protected route can answer with. */
export function ApiErrorResponses(): ClassDecorator {
  return applyDecorators(
    ApiError(401, 'UNAUTHORIZED: API key missing or wrong (only when --auth-type api_key)'),
    ApiError(500, 'INTERNAL_ERROR: the server failed; the message names the request id'),
  );
}
