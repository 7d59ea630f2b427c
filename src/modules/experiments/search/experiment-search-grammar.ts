import { InvalidRequestError } from '../../../common/errors.js';
import {
  comparatorError,
  numberValue,
  parseFilterClauses,
  parseOrderTerm,
  RawClause,
  RawIdentifier,
  stringValue,
} from '../../../common/search/clause-parser.js';
import { syntaxError } from '../../../common/search/lexer.js';
import type { NumericComparator, StringComparator } from '../../../common/search/search-sql.js';

/**
 * MLflow's experiment search grammar (SearchExperiments `filter` and `order_by`): attributes
 * `name` (string) and `creation_time`, `last_update_time` (numbers, ms), and tags (string
 * comparisons, IS [NOT] NULL); order by `name`, `experiment_id`, `creation_time`,
 * `last_update_time`. Errors name the field and point at the offending token.
 */

export type ExperimentTimeAttribute = 'creation_time' | 'last_update_time';
export type ExperimentOrderKey = 'name' | 'experiment_id' | ExperimentTimeAttribute;

export type ExperimentFilterClause =
  | { kind: 'name'; comparator: StringComparator; value: string }
  | { kind: 'time'; attribute: ExperimentTimeAttribute; comparator: NumericComparator; value: number }
  | { kind: 'tag'; key: string; comparator: StringComparator; value: string }
  | { kind: 'tag_presence'; key: string; present: boolean };

export interface ExperimentOrderTerm {
  key: ExperimentOrderKey;
  ascending: boolean;
}

const ENTITIES: Readonly<Record<string, 'attribute' | 'tag'>> = {
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  tag: 'tag',
  tags: 'tag',
};

const NUMERIC_COMPARATORS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);
const STRING_COMPARATORS: ReadonlySet<string> = new Set(['=', '!=', 'LIKE', 'ILIKE']);
const ORDER_KEYS: ReadonlySet<string> = new Set(['name', 'experiment_id', 'creation_time', 'last_update_time']);
const MAX_ORDER_TERMS = 4;

function entityOf(identifier: RawIdentifier, subject: string): 'attribute' | 'tag' {
  if (!identifier.entity) {
    return 'attribute';
  }
  const entity = Object.hasOwn(ENTITIES, identifier.entity.name) ? ENTITIES[identifier.entity.name] : undefined;
  if (!entity) {
    throw syntaxError(
      subject,
      `unknown entity '${identifier.entity.name}'`,
      identifier.entity.pos,
      'experiments are searched by attributes and tags.',
    );
  }
  return entity;
}

function toExperimentClause(clause: RawClause, subject: string): ExperimentFilterClause {
  const { identifier, comparator } = clause;
  if (entityOf(identifier, subject) === 'tag') {
    if (identifier.key === '') {
      throw syntaxError(subject, 'empty key', identifier.keyPos);
    }
    if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') {
      return { kind: 'tag_presence', key: identifier.key, present: comparator === 'IS NOT NULL' };
    }
    if (!STRING_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, '=, !=, LIKE, ILIKE or IS [NOT] NULL on tags');
    }
    return { kind: 'tag', key: identifier.key, comparator: comparator as StringComparator, value: stringValue(subject, clause) };
  }
  if (identifier.key === 'name') {
    if (!STRING_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, '=, !=, LIKE or ILIKE on name');
    }
    return { kind: 'name', comparator: comparator as StringComparator, value: stringValue(subject, clause) };
  }
  if (identifier.key === 'creation_time' || identifier.key === 'last_update_time') {
    if (!NUMERIC_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, `=, !=, <, <=, > or >= and a number (milliseconds) on ${identifier.key}`);
    }
    return { kind: 'time', attribute: identifier.key, comparator: comparator as NumericComparator, value: numberValue(subject, clause) };
  }
  throw syntaxError(
    subject,
    `unknown attribute '${identifier.key}'`,
    identifier.keyPos,
    'experiment attributes are name, creation_time and last_update_time',
  );
}

export function parseExperimentFilter(filter: string | undefined): ExperimentFilterClause[] {
  if (filter === undefined) {
    return [];
  }
  return parseFilterClauses(filter, 'filter').map((clause) => toExperimentClause(clause, 'filter'));
}

/**
 * The full order of an experiment search: the entries (default `creation_time DESC,
 * experiment_id ASC`), then `experiment_id DESC` as MLflow's tiebreak unless experiment_id is
 * already ordered. A key given twice is an error.
 */
export function parseExperimentOrderBy(orderBy: readonly string[] | undefined): ExperimentOrderTerm[] {
  if (!orderBy || orderBy.length === 0) {
    return [
      { key: 'creation_time', ascending: false },
      { key: 'experiment_id', ascending: true },
    ];
  }
  if (orderBy.length > MAX_ORDER_TERMS) {
    throw new InvalidRequestError(`order_by: at most ${MAX_ORDER_TERMS} entries, got ${orderBy.length}`, 'INVALID_PARAMETER_VALUE');
  }
  const terms: ExperimentOrderTerm[] = [];
  orderBy.forEach((entry, index) => {
    const subject = `order_by[${index}]`;
    const raw = parseOrderTerm(entry, subject);
    if (entityOf(raw.identifier, subject) !== 'attribute' || !ORDER_KEYS.has(raw.identifier.key)) {
      throw syntaxError(
        subject,
        `cannot order by '${raw.identifier.text}'`,
        raw.identifier.pos,
        'experiments are ordered by name, experiment_id, creation_time or last_update_time',
      );
    }
    const key = raw.identifier.key as ExperimentOrderKey;
    const earlier = terms.findIndex((term) => term.key === key);
    if (earlier >= 0) {
      throw syntaxError(
        subject,
        `'${raw.identifier.text}' is ordered twice`,
        raw.identifier.pos,
        `order_by[${earlier}] already orders by ${key}`,
      );
    }
    terms.push({ key, ascending: raw.ascending });
  });
  if (!terms.some((term) => term.key === 'experiment_id')) {
    terms.push({ key: 'experiment_id', ascending: false });
  }
  return terms;
}
