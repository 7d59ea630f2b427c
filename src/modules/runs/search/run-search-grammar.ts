import { InvalidRequestError, NotImplementedError } from '../../../common/errors.js';
import {
  comparatorError,
  numberValue,
  parseFilterClauses,
  parseOrderTerm,
  stringValue,
  RawClause,
  RawIdentifier,
  RawOrderTerm,
} from '../../../common/search/clause-parser.js';
import { syntaxError } from '../../../common/search/lexer.js';
import type { NumericComparator, StringComparator } from '../../../common/search/search-sql.js';

/**
 * MLflow's run search grammar (SearchRuns `filter` and `order_by`), checked and resolved into a
 * typed tree. Entities: metrics (latest values, numeric comparisons), params and tags (string
 * comparisons, IS [NOT] NULL), attributes (run_id, run_name, user_id, status, artifact_uri as
 * strings, `run_id [NOT] IN (…)`; start_time, end_time as numbers). Every error names the
 * request field and points at the offending token.
 */

export type RunStringAttribute = 'run_id' | 'run_name' | 'user_id' | 'status' | 'artifact_uri';
export type RunNumericAttribute = 'start_time' | 'end_time';
export type RunAttribute = RunStringAttribute | RunNumericAttribute;

export type RunFilterClause =
  | { kind: 'metric'; key: string; comparator: NumericComparator; value: number }
  | { kind: 'param' | 'tag'; key: string; comparator: StringComparator; value: string }
  | { kind: 'presence'; entity: 'param' | 'tag'; key: string; present: boolean }
  | { kind: 'string_attribute'; attribute: RunStringAttribute; comparator: StringComparator; value: string }
  | { kind: 'run_id_list'; negated: boolean; values: string[] }
  | { kind: 'numeric_attribute'; attribute: RunNumericAttribute; comparator: NumericComparator; value: number };

export type RunOrderTerm =
  | { kind: 'metric' | 'param' | 'tag'; key: string; ascending: boolean }
  | { kind: 'attribute'; attribute: RunAttribute; ascending: boolean };

type RunEntityKind = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

/** MLflow's entity names and their aliases (exact, lowercase, optionally in backticks). */
const ENTITIES: Readonly<Record<string, RunEntityKind>> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

/** Attribute names and MLflow's aliases for them. */
const ATTRIBUTES: Readonly<Record<string, RunAttribute>> = {
  run_id: 'run_id',
  run_name: 'run_name',
  'run name': 'run_name',
  'Run name': 'run_name',
  'Run Name': 'run_name',
  user_id: 'user_id',
  status: 'status',
  artifact_uri: 'artifact_uri',
  start_time: 'start_time',
  created: 'start_time',
  Created: 'start_time',
  end_time: 'end_time',
};

const NUMERIC_ATTRIBUTES: ReadonlySet<RunAttribute> = new Set(['start_time', 'end_time']);
const NUMERIC_COMPARATORS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);
const STRING_COMPARATORS: ReadonlySet<string> = new Set(['=', '!=', 'LIKE', 'ILIKE']);

/** Most order_by entries: each one is a join and a sort column. */
export const MAX_ORDER_TERMS = 20;

const ATTRIBUTE_LIST = 'run_id, run_name, user_id, status, artifact_uri, start_time, end_time';

type Resolved =
  | { kind: 'metric'; key: string }
  | { kind: 'param'; key: string }
  | { kind: 'tag'; key: string }
  | { kind: 'attribute'; attribute: RunAttribute };

function resolveIdentifier(identifier: RawIdentifier, subject: string): Resolved {
  let kind: RunEntityKind = 'attribute';
  if (identifier.entity) {
    const entity = ENTITIES[identifier.entity.name] as RunEntityKind | undefined;
    if (!entity) {
      throw syntaxError(
        subject,
        `unknown entity '${identifier.entity.name}'`,
        identifier.entity.pos,
        'use metrics., params., tags. or attributes. (keys with dots or symbols after a bare name must be quoted)',
      );
    }
    kind = entity;
  }
  if (kind === 'dataset') {
    throw new NotImplementedError(`${subject}: searching runs by dataset (${identifier.text}) is not supported by this server`);
  }
  if (kind !== 'attribute') {
    if (identifier.key === '') {
      throw syntaxError(subject, 'empty key', identifier.keyPos);
    }
    return { kind, key: identifier.key };
  }
  const attribute = Object.hasOwn(ATTRIBUTES, identifier.key) ? ATTRIBUTES[identifier.key] : undefined;
  if (!attribute) {
    throw syntaxError(subject, `unknown attribute '${identifier.key}'`, identifier.keyPos, `attributes are ${ATTRIBUTE_LIST}`);
  }
  return { kind: 'attribute', attribute };
}

function toRunClause(clause: RawClause, subject: string): RunFilterClause {
  const target = resolveIdentifier(clause.identifier, subject);
  const { comparator } = clause;
  if (target.kind === 'metric') {
    if (!NUMERIC_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, '=, !=, <, <=, > or >= and a number on metrics');
    }
    return { kind: 'metric', key: target.key, comparator: comparator as NumericComparator, value: numberValue(subject, clause) };
  }
  if (target.kind === 'param' || target.kind === 'tag') {
    if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') {
      return { kind: 'presence', entity: target.kind, key: target.key, present: comparator === 'IS NOT NULL' };
    }
    if (!STRING_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, `=, !=, LIKE, ILIKE or IS [NOT] NULL on ${target.kind}s`);
    }
    return { kind: target.kind, key: target.key, comparator: comparator as StringComparator, value: stringValue(subject, clause) };
  }
  const { attribute } = target;
  if (NUMERIC_ATTRIBUTES.has(attribute)) {
    if (!NUMERIC_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, `=, !=, <, <=, > or >= and a number (milliseconds) on ${attribute}`);
    }
    return {
      kind: 'numeric_attribute',
      attribute: attribute as RunNumericAttribute,
      comparator: comparator as NumericComparator,
      value: numberValue(subject, clause),
    };
  }
  if (comparator === 'IN' || comparator === 'NOT IN') {
    if (attribute !== 'run_id') {
      throw comparatorError(subject, clause, '=, !=, LIKE or ILIKE (only run_id takes IN and NOT IN)');
    }
    if (clause.value.kind !== 'list') {
      throw comparatorError(subject, clause, "a list such as ('run-1', 'run-2')");
    }
    return { kind: 'run_id_list', negated: comparator === 'NOT IN', values: clause.value.values };
  }
  if (!STRING_COMPARATORS.has(comparator)) {
    throw comparatorError(subject, clause, `=, !=, LIKE or ILIKE on ${attribute}${attribute === 'run_id' ? ', or [NOT] IN' : ''}`);
  }
  return {
    kind: 'string_attribute',
    attribute: attribute as RunStringAttribute,
    comparator: comparator as StringComparator,
    value: stringValue(subject, clause),
  };
}

/** The filter as a list of clauses, all of which a run must satisfy (empty: every run). */
export function parseRunFilter(filter: string | undefined): RunFilterClause[] {
  if (filter === undefined) {
    return [];
  }
  return parseFilterClauses(filter, 'filter').map((clause) => toRunClause(clause, 'filter'));
}

function termName(term: RunOrderTerm): string {
  return term.kind === 'attribute' ? `attributes.${term.attribute}` : `${term.kind}s.${term.key}`;
}

/**
 * The full order of a run search: the order_by entries, then MLflow's tiebreaks, start_time
 * DESC (unless start_time is already ordered) and run_id ASC (unless run_id is), so the order
 * is total and keyset paging is exact. A field given twice is an error.
 */
export function parseRunOrderBy(orderBy: readonly string[] | undefined): RunOrderTerm[] {
  const entries = orderBy ?? [];
  if (entries.length > MAX_ORDER_TERMS) {
    throw new InvalidRequestError(`order_by: at most ${MAX_ORDER_TERMS} entries, got ${entries.length}`, 'INVALID_PARAMETER_VALUE');
  }
  const terms: RunOrderTerm[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const subject = `order_by[${index}]`;
    const raw: RawOrderTerm = parseOrderTerm(entry, subject);
    const target = resolveIdentifier(raw.identifier, subject);
    const term: RunOrderTerm =
      target.kind === 'attribute'
        ? { kind: 'attribute', attribute: target.attribute, ascending: raw.ascending }
        : { kind: target.kind, key: target.key, ascending: raw.ascending };
    const name = termName(term);
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw syntaxError(
        subject,
        `'${raw.identifier.text}' is ordered twice`,
        raw.identifier.pos,
        `order_by[${earlier}] already orders by ${name}`,
      );
    }
    seen.set(name, index);
    terms.push(term);
  });
  if (!seen.has('attributes.start_time')) {
    terms.push({ kind: 'attribute', attribute: 'start_time', ascending: false });
  }
  if (!seen.has('attributes.run_id')) {
    terms.push({ kind: 'attribute', attribute: 'run_id', ascending: true });
  }
  return terms;
}
