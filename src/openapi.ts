import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject, ParameterObject, ReferenceObject, ResponsesObject, SchemaObject } from '@nestjs/swagger';
import { errorResponse } from './common/decorators/api-error-responses.decorator.js';
import { VERSION } from './common/version.js';
import { isPublicRequest } from './modules/auth/public-paths.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** `Idempotency-Key`: what IdempotencyInterceptor (and idempotency.service.ts) accept. */
const IDEMPOTENCY_KEY: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'makes a retried write safe: the first outcome is kept 24 hours and a repeat with the same key and body gets it back ' +
    '(with Idempotent-Replayed: true) without being applied again; the same key with a different body is a 409',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
};

const REPLAYED_HEADER = {
  'Idempotent-Replayed': {
    description: '`true` when this is the stored outcome of an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
};

function isJsonMediaType(type: string): boolean {
  return /^application\/([\w.+-]+\+)?json$/.test(type);
}

/**
 * The validation pipe refuses any field a request DTO does not declare (forbidNonWhitelisted;
 * metric points are checked by hand to the same rule), so the schemas of JSON request bodies,
 * and the schemas they contain, are closed. Free-form objects (an experiment's config) say
 * `additionalProperties: true` themselves and are left open.
 */
function closeRequestSchemas(document: OpenAPIObject, roots: (SchemaObject | ReferenceObject)[]): void {
  const schemas = document.components?.schemas ?? {};
  const seen = new Set<SchemaObject>();
  const close = (schema: SchemaObject | ReferenceObject | undefined): void => {
    const target = schema && '$ref' in schema ? schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
    if (!target || '$ref' in target || seen.has(target)) {
      return;
    }
    seen.add(target);
    if (target.properties) {
      target.additionalProperties ??= false;
      Object.values(target.properties).forEach(close);
    }
    close(target.items);
  };
  roots.forEach(close);
}

/**
 * What the server does around its routes, so no route's own decorators name it: the front door
 * (a URL that does not decode → 400; with API keys, 401 and 429 except on the public requests,
 * which get an empty security requirement); the JSON body parser (malformed JSON → 400, a body
 * over --max-json-body-size → 413) on every route that takes a JSON body; the validation pipe (an unknown or invalid query parameter → 400) on every route
 * that takes query parameters; and Idempotency-Key on every write without an upload body. A
 * route's own description of the same status is kept.
 */
export function declareServerWideBehaviour(document: OpenAPIObject): OpenAPIObject {
  const requestSchemas: (SchemaObject | ReferenceObject)[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) {
        continue;
      }
      const responses: ResponsesObject = operation.responses;
      const bodyContent = operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : {};
      const bodyTypes = Object.keys(bodyContent);
      const parameters = operation.parameters ?? [];
      const takesJson = bodyTypes.some(isJsonMediaType);
      const takesQuery = parameters.some((parameter: ParameterObject | ReferenceObject) => 'in' in parameter && parameter.in === 'query');
      if (takesJson) {
        requestSchemas.push(...bodyTypes.filter(isJsonMediaType).flatMap((type) => bodyContent[type]?.schema ?? []));
        responses['400'] ??= errorResponse('INVALID_REQUEST: malformed JSON, or a body that does not match the schema');
        responses['413'] ??= errorResponse('PAYLOAD_TOO_LARGE: the body is larger than --max-json-body-size');
      }
      if (takesQuery) {
        responses['400'] ??= errorResponse('INVALID_REQUEST: an unknown or invalid query parameter');
      }
      // The front door (src/http/front-door.ts), before any route: a URL that cannot be decoded
      // anywhere, and with --auth-type api_key the key, checked on everything but what
      // isPublicRequest names, counting failures per address.
      responses['400'] ??= errorResponse('INVALID_REQUEST: a malformed %-escape, an encoded NUL or a URL that is not UTF-8');
      if (isPublicRequest(method.toUpperCase(), path, { metricsPublic: false })) {
        operation.security = [{}];
      } else {
        responses['401'] ??= errorResponse('UNAUTHORIZED: missing or invalid API key (with --auth-type api_key)');
        responses['429'] ??= {
          ...errorResponse('TOO_MANY_REQUESTS: too many failed authentications from this address; retry after Retry-After seconds'),
          headers: { 'Retry-After': { description: 'seconds until this address may try again', schema: { type: 'integer', minimum: 1 } } },
        };
      }
      if (method !== 'get' && (bodyTypes.length === 0 || takesJson)) {
        operation.parameters = [...parameters, IDEMPOTENCY_KEY];
        responses['400'] ??= errorResponse('INVALID_REQUEST: an Idempotency-Key that is not 1 to 255 visible ASCII characters');
        responses['409'] ??= errorResponse('CONFLICT: the Idempotency-Key was already used for a different request');
        for (const [status, response] of Object.entries(responses)) {
          if (status.startsWith('2') && response && 'description' in response) {
            response.headers = { ...response.headers, ...REPLAYED_HEADER };
          }
        }
      }
    }
  }
  closeRequestSchemas(document, requestSchemas);
  return document;
}

/** The OpenAPI document, generated from the controllers and DTOs. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('entrenar-tracking')
    .setDescription(
      'Experiment tracking over HTTP: experiments, runs, params, metrics and artifacts. ' +
        'Errors use the envelope {"error":{"code","message"}}. With --auth-type api_key, send "Authorization: Bearer <key>".',
    )
    .setVersion(VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an API key given with --api-key' })
    .addSecurityRequirements('bearer')
    .build();
  return declareServerWideBehaviour(
    SwaggerModule.createDocument(app, config, {
      operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
    }),
  );
}

/** Keys sorted at every level, so the committed document diffs cleanly. */
export function stableJson(value: unknown): string {
  const sort = (node: unknown): unknown => {
    if (Array.isArray(node)) {
      return node.map(sort);
    }
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(
        Object.keys(node)
          .sort()
          .map((key) => [key, sort((node as Record<string, unknown>)[key])]),
      );
    }
    return node;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

/** Swagger UI at /docs and the JSON at /docs-json, both public. */
export function mountOpenApi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
