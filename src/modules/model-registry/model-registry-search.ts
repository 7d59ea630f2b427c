import { InvalidRequestError } from '../../common/errors.js';
import {
  comparatorError,
  numberValue,
  parseFilterClauses,
  parseOrderTerm,
  RawClause,
  RawIdentifier,
  stringValue,
} from '../../common/search/clause-parser.js';
import { syntaxError } from '../../common/search/lexer.js';
import type { NumericComparator, StringComparator } from '../../common/search/search-sql.js';

/**
 * MLflow's registry search grammars. Registered models: `name` and `tags.<key>` with =, !=,
 * LIKE, ILIKE; ordered by `name` or `last_updated_timestamp` (alias `timestamp`). Model
 * versions: also `run_id` (=, !=, IN, NOT IN), `source_path` (string comparisons) and
 * `version_number` (numbers); ordered by name, version_number, creation_timestamp or
 * last_updated_timestamp.
 */

export type RegistryFilterClause =
  | { kind: 'name'; comparator: StringComparator; value: string }
  | { kind: 'source_path'; comparator: StringComparator; value: string }
  | { kind: 'run_id'; comparator: '=' | '!='; value: string }
  | { kind: 'run_id_in'; values: string[]; negated: boolean }
  | { kind: 'version_number'; comparator: NumericComparator; value: number }
  | { kind: 'tag'; key: string; comparator: StringComparator; value: string };

export type RegistryOrderKey = 'name' | 'version_number' | 'creation_timestamp' | 'last_updated_timestamp';

export interface RegistryOrderTerm {
  key: RegistryOrderKey;
  ascending: boolean;
}

export type RegistrySubject = 'registered models' | 'model versions';

const STRING_COMPARATORS: ReadonlySet<string> = new Set(['=', '!=', 'LIKE', 'ILIKE']);
const NUMERIC_COMPARATORS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);
const MAX_ORDER_TERMS = 4;

function isTag(identifier: RawIdentifier, subject: string): boolean {
  const entity = identifier.entity?.name;
  if (entity === undefined || entity === 'attribute' || entity === 'attributes' || entity === 'attr') {
    return false;
  }
  if (entity === 'tag' || entity === 'tags') {
    return true;
  }
  throw syntaxError(subject, `unknown entity '${entity}'`, identifier.entity?.pos ?? identifier.pos, 'use an attribute or tags.<key>');
}

function toClause(clause: RawClause, what: RegistrySubject): RegistryFilterClause {
  const subject = 'filter';
  const { identifier, comparator } = clause;
  if (isTag(identifier, subject)) {
    if (!STRING_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, '=, !=, LIKE or ILIKE on tags');
    }
    return { kind: 'tag', key: identifier.key, comparator: comparator as StringComparator, value: stringValue(subject, clause) };
  }
  const key = identifier.key;
  const versions = what === 'model versions';
  if (key === 'name' || (versions && key === 'source_path')) {
    if (!STRING_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, `=, !=, LIKE or ILIKE on ${key}`);
    }
    return { kind: key, comparator: comparator as StringComparator, value: stringValue(subject, clause) };
  }
  if (versions && key === 'run_id') {
    if (comparator === 'IN' || comparator === 'NOT IN') {
      if (clause.value.kind !== 'list') {
        throw comparatorError(subject, clause, "IN ('id', …) on run_id");
      }
      return { kind: 'run_id_in', values: clause.value.values, negated: comparator === 'NOT IN' };
    }
    if (comparator !== '=' && comparator !== '!=') {
      throw comparatorError(subject, clause, '=, !=, IN or NOT IN on run_id');
    }
    return { kind: 'run_id', comparator, value: stringValue(subject, clause) };
  }
  if (versions && key === 'version_number') {
    if (!NUMERIC_COMPARATORS.has(comparator)) {
      throw comparatorError(subject, clause, '=, !=, <, <=, > or >= and a number on version_number');
    }
    return { kind: 'version_number', comparator: comparator as NumericComparator, value: numberValue(subject, clause) };
  }
  throw syntaxError(
    subject,
    `invalid attribute '${key}'`,
    identifier.keyPos,
    versions
      ? 'model versions are searched by name, run_id, source_path, version_number and tags'
      : 'registered models are searched by name and tags',
  );
}

export function parseRegistryFilter(filter: string | undefined, what: RegistrySubject): RegistryFilterClause[] {
  if (filter === undefined || filter.trim() === '') {
    return [];
  }
  return parseFilterClauses(filter, 'filter').map((clause) => toClause(clause, what));
}

const ORDER_KEYS: Readonly<Record<RegistrySubject, Readonly<Record<string, RegistryOrderKey>>>> = {
  'registered models': { name: 'name', timestamp: 'last_updated_timestamp', last_updated_timestamp: 'last_updated_timestamp' },
  'model versions': {
    name: 'name',
    version_number: 'version_number',
    creation_timestamp: 'creation_timestamp',
    timestamp: 'last_updated_timestamp',
    last_updated_timestamp: 'last_updated_timestamp',
  },
};

/**
 * The full order of a registry search: the entries, then MLflow's defaults as tiebreaks
 * (registered models: name ascending; versions: last update descending, name ascending, version
 * descending), each key once, so paging is stable.
 */
export function parseRegistryOrderBy(orderBy: readonly string[], what: RegistrySubject): RegistryOrderTerm[] {
  if (orderBy.length > MAX_ORDER_TERMS) {
    throw new InvalidRequestError(`order_by: at most ${MAX_ORDER_TERMS} entries, got ${orderBy.length}`, 'INVALID_PARAMETER_VALUE');
  }
  const keys = ORDER_KEYS[what];
  const terms: RegistryOrderTerm[] = [];
  orderBy.forEach((entry, index) => {
    const subject = `order_by[${index}]`;
    const raw = parseOrderTerm(entry, subject);
    const key = raw.identifier.entity === undefined && Object.hasOwn(keys, raw.identifier.key) ? keys[raw.identifier.key] : undefined;
    if (key === undefined) {
      throw syntaxError(
        subject,
        `invalid order_by key '${raw.identifier.text}'`,
        raw.identifier.pos,
        `${what} are ordered by ${Object.keys(keys).join(', ')}`,
      );
    }
    if (terms.some((term) => term.key === key)) {
      throw syntaxError(subject, `'${raw.identifier.text}' is ordered twice`, raw.identifier.pos);
    }
    terms.push({ key, ascending: raw.ascending });
  });
  const defaults: RegistryOrderTerm[] =
    what === 'registered models'
      ? [{ key: 'name', ascending: true }]
      : [
          { key: 'last_updated_timestamp', ascending: false },
          { key: 'name', ascending: true },
          { key: 'version_number', ascending: false },
        ];
  for (const term of defaults) {
    if (!terms.some((existing) => existing.key === term.key)) {
      terms.push(term);
    }
  }
  return terms;
}
