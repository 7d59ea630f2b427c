import { InvalidRequestError } from '../../common/errors.js';
import { comparatorError, numberValue, parseFilterClauses, RawClause, stringValue } from '../../common/search/clause-parser.js';
import { likeMatches, parseLikePattern } from '../../common/search/like-pattern.js';
import { syntaxError } from '../../common/search/lexer.js';
import { LoggedModelEntity, LoggedModelStatus } from './entities/logged-model.entity.js';

/** A model with what a filter or an order may look at: tags, params and each metric's latest value. */
export interface SearchableModel {
  model: LoggedModelEntity;
  experimentPublicId: string;
  tags: ReadonlyMap<string, string>;
  params: ReadonlyMap<string, string>;
  /** Latest value of each metric key (metrics/point-order.ts: step, then timestamp, then value). */
  metrics: ReadonlyMap<string, number>;
}

export type ModelPredicate = (candidate: SearchableModel) => boolean;

const SUBJECT = 'filter';

/** MLflow's status names (`READY`, or the proto's `LOGGED_MODEL_READY`) as stored. */
export function statusOfName(name: string): LoggedModelStatus | undefined {
  const bare = name.toUpperCase().replace(/^LOGGED_MODEL_/, '');
  return bare === 'PENDING' ? 'pending' : bare === 'READY' ? 'ready' : bare === 'FAILED' || bare === 'UPLOAD_FAILED' ? 'failed' : undefined;
}

export const STATUS_NAME: Readonly<Record<LoggedModelStatus, string>> = { pending: 'PENDING', ready: 'READY', failed: 'FAILED' };

type Field =
  | { kind: 'text'; read: (candidate: SearchableModel) => string | undefined }
  | { kind: 'number'; read: (candidate: SearchableModel) => number | undefined };

const ATTRIBUTES: Readonly<Record<string, Field>> = {
  name: { kind: 'text', read: (c) => c.model.name },
  model_id: { kind: 'text', read: (c) => c.model.model_id },
  status: { kind: 'text', read: (c) => STATUS_NAME[c.model.status] },
  model_type: { kind: 'text', read: (c) => c.model.model_type ?? undefined },
  source_run_id: { kind: 'text', read: (c) => c.model.source_run_id ?? undefined },
  experiment_id: { kind: 'text', read: (c) => c.experimentPublicId },
  creation_timestamp: { kind: 'number', read: (c) => c.model.created_at },
  creation_time: { kind: 'number', read: (c) => c.model.created_at },
  creation_timestamp_ms: { kind: 'number', read: (c) => c.model.created_at },
  last_updated_timestamp: { kind: 'number', read: (c) => c.model.updated_at },
  last_updated_timestamp_ms: { kind: 'number', read: (c) => c.model.updated_at },
};

/** The field an identifier (`name`, `attributes.status`, `params.alpha`, `tags.t`, `metrics.m`) names in a model. */
function fieldOf(entity: string | undefined, key: string, pos: number, subject: string): Field {
  switch (entity?.toLowerCase()) {
    case undefined:
    case 'attribute':
    case 'attributes': {
      const field = ATTRIBUTES[key];
      if (!field) {
        throw syntaxError(subject, `unknown attribute '${key}'`, pos, `use one of ${Object.keys(ATTRIBUTES).join(', ')}`);
      }
      return field;
    }
    case 'param':
    case 'params':
      return { kind: 'text', read: (c) => c.params.get(key) };
    case 'tag':
    case 'tags':
      return { kind: 'text', read: (c) => c.tags.get(key) };
    case 'metric':
    case 'metrics':
      return { kind: 'number', read: (c) => c.metrics.get(key) };
    default:
      throw syntaxError(subject, `unknown entity '${entity}'`, pos, 'use attributes, params, tags or metrics');
  }
}

function textPredicate(field: Extract<Field, { kind: 'text' }>, clause: RawClause, isStatus: boolean): ModelPredicate {
  // A status may be written as MLflow's entity prints it (`READY`) or as the proto names it (`LOGGED_MODEL_READY`).
  const normalise = (value: string): string => {
    const status = isStatus ? statusOfName(value) : undefined;
    return status ? STATUS_NAME[status] : value;
  };
  switch (clause.comparator) {
    case '=':
    case '!=': {
      const wanted = normalise(stringValue(SUBJECT, clause));
      const equal = clause.comparator === '=';
      return (c) => {
        const value = field.read(c);
        return value !== undefined && (value === wanted) === equal;
      };
    }
    case 'LIKE':
    case 'ILIKE': {
      const insensitive = clause.comparator === 'ILIKE';
      const pattern = stringValue(SUBJECT, clause);
      const atoms = parseLikePattern(insensitive ? pattern.toLowerCase() : pattern);
      return (c) => {
        const value = field.read(c);
        return value !== undefined && likeMatches(insensitive ? value.toLowerCase() : value, atoms);
      };
    }
    case 'IN':
    case 'NOT IN': {
      if (clause.value.kind !== 'list') {
        throw comparatorError(SUBJECT, clause, "a list: IN ('a', 'b')");
      }
      const values = new Set(clause.value.values.map(normalise));
      const inside = clause.comparator === 'IN';
      return (c) => {
        const value = field.read(c);
        return value !== undefined && values.has(value) === inside;
      };
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
    case 'IS NULL':
    case 'IS NOT NULL':
      throw comparatorError(SUBJECT, clause, '=, !=, LIKE, ILIKE, IN or NOT IN');
  }
}

function numberPredicate(field: Extract<Field, { kind: 'number' }>, clause: RawClause): ModelPredicate {
  const wanted = numberValue(SUBJECT, clause);
  const compare: Partial<Record<RawClause['comparator'], (a: number) => boolean>> = {
    '=': (a) => a === wanted,
    '!=': (a) => a !== wanted,
    '<': (a) => a < wanted,
    '<=': (a) => a <= wanted,
    '>': (a) => a > wanted,
    '>=': (a) => a >= wanted,
  };
  const test = compare[clause.comparator];
  if (!test) {
    throw comparatorError(SUBJECT, clause, '=, !=, <, <=, > or >=');
  }
  return (c) => {
    const value = field.read(c);
    return value !== undefined && test(value);
  };
}

/** MLflow's logged-model filter (`name = 'm' AND params.alpha = '0.1' AND metrics.acc > 0.9`) as a predicate. */
export function parseModelFilter(filter: string | undefined): ModelPredicate {
  const predicates = parseFilterClauses(filter ?? '', SUBJECT).map((clause): ModelPredicate => {
    const { entity, key, keyPos } = clause.identifier;
    const field = fieldOf(entity?.name, key, entity?.pos ?? keyPos, SUBJECT);
    const isStatus = entity === undefined || entity.name.toLowerCase().startsWith('attribute') ? key === 'status' : false;
    return field.kind === 'text' ? textPredicate(field, clause, isStatus) : numberPredicate(field, clause);
  });
  return (candidate) => predicates.every((predicate) => predicate(candidate));
}

export interface ModelOrder {
  field: string;
  ascending: boolean;
}

/** A comparison of two models by the order terms, then newest first, then by id (so pages are stable). */
export function modelComparator(order: readonly ModelOrder[]): (a: SearchableModel, b: SearchableModel) => number {
  const terms = order.map((term) => {
    const dot = term.field.indexOf('.');
    const entity = dot < 0 ? undefined : term.field.slice(0, dot);
    const key = dot < 0 ? term.field : term.field.slice(dot + 1);
    let field: Field;
    try {
      field = fieldOf(entity, key, 0, 'order_by');
    } catch {
      throw new InvalidRequestError(`order_by: unknown field '${term.field}'`, 'INVALID_PARAMETER_VALUE');
    }
    return { field, ascending: term.ascending };
  });
  return (a, b) => {
    for (const { field, ascending } of terms) {
      const left = field.read(a);
      const right = field.read(b);
      if (left === right) {
        continue;
      }
      // Models without the value go last, whichever the direction (as MLflow sorts NULLs).
      if (left === undefined) {
        return 1;
      }
      if (right === undefined) {
        return -1;
      }
      const sign = left < right ? -1 : 1;
      return ascending ? sign : -sign;
    }
    if (a.model.created_at !== b.model.created_at) {
      return b.model.created_at - a.model.created_at;
    }
    return a.model.model_id < b.model.model_id ? -1 : a.model.model_id > b.model.model_id ? 1 : 0;
  };
}
