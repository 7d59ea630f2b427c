import { describeToken, syntaxError, Token, tokenize } from './lexer.js';
import { MAX_LIKE_PATTERN_LENGTH } from './like-pattern.js';

/**
 * The shape shared by MLflow's run and experiment filters, before any entity or key is checked:
 *
 * ```
 * filter     := clause ( AND clause )*
 * clause     := identifier comparator value
 *             | identifier IS [NOT] NULL
 *             | identifier [NOT] IN '(' string ( ',' string )* ')'
 * identifier := [entity '.'] key        -- entity and key bare, `backticked` or "double-quoted"
 * comparator := = | != | < | <= | > | >= | LIKE | ILIKE
 * value      := 'string' | "string" | number
 * ```
 *
 * Keywords are case-insensitive. Each grammar (runs, experiments) then resolves entities and
 * keys and checks which comparator and value each allows, pointing at the token at fault.
 */

/** An identifier as written: `metrics.acc`, ``tags.`my tag` ``, `"run name"`, `status`. */
export interface RawIdentifier {
  /** The entity before the first dot (`metrics`, `tags`, …), if any. */
  entity?: { name: string; pos: number };
  key: string;
  keyPos: number;
  /** Start of the whole identifier. */
  pos: number;
  /** The identifier as written, for messages. */
  text: string;
}

export type RawComparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export type RawValue =
  | { kind: 'string'; value: string; pos: number; text: string }
  | { kind: 'number'; value: number; pos: number; text: string }
  | { kind: 'list'; values: string[]; pos: number; text: string }
  | { kind: 'none' };

export interface RawClause {
  identifier: RawIdentifier;
  comparator: RawComparator;
  comparatorPos: number;
  value: RawValue;
}

export interface RawOrderTerm {
  identifier: RawIdentifier;
  ascending: boolean;
}

/** Most clauses one filter may have: each is a subquery, and deeper AND chains hit SQLite's expression-depth limit. */
export const MAX_FILTER_CLAUSES = 100;

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'NULL', 'IN', 'LIKE', 'ILIKE', 'ASC', 'DESC']);
const COMPARISON_OPERATORS = new Set(['=', '!=', '<', '<=', '>', '>=']);

function isKeyword(token: Token, keyword: string): boolean {
  return token.kind === 'word' && token.value.toUpperCase() === keyword;
}

class TokenStream {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    readonly subject: string,
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') {
      this.index++;
    }
    return token;
  }

  /** The end of the previous token (to tell `a-b` from `a - b`). */
  previousEnd(): number {
    const previous = this.tokens[this.index - 1];
    return previous ? previous.pos + previous.text.length : 0;
  }

  /** `unexpected 'X' at position N; expected …`, or `unexpected end of input, expected … at position N`. */
  unexpected(token: Token, expected: string): Error {
    if (token.kind === 'end') {
      return syntaxError(this.subject, `unexpected end of input, expected ${expected}`, token.pos);
    }
    return syntaxError(this.subject, `unexpected ${describeToken(token)}`, token.pos, `expected ${expected}`);
  }
}

const KEY_HINT = 'a key such as metrics.accuracy, params.lr, tags.`my tag` or attributes.status';

/** A key after `entity.`: a bare name (dots allowed), or `backticked` / "double-quoted". */
function parseKeyAfterDot(stream: TokenStream): { key: string; pos: number } {
  const token = stream.next();
  if (token.kind === 'word' || token.kind === 'backtick' || token.kind === 'dquote') {
    return { key: token.value, pos: token.pos };
  }
  if (token.kind === 'string') {
    throw syntaxError(
      stream.subject,
      `key ${describeToken(token)} in single quotes`,
      token.pos,
      'quote keys with backticks or double quotes',
    );
  }
  throw stream.unexpected(token, 'a key after the dot');
}

function parseIdentifier(stream: TokenStream): RawIdentifier {
  const first = stream.next();
  const start = first.pos;
  const finish = (identifier: Omit<RawIdentifier, 'pos' | 'text'>, input: string): RawIdentifier => ({
    ...identifier,
    pos: start,
    text: input,
  });
  if (first.kind === 'word') {
    if (KEYWORDS.has(first.value.toUpperCase())) {
      throw stream.unexpected(first, KEY_HINT);
    }
    const dot = first.value.indexOf('.');
    if (dot >= 0) {
      return finish(
        { entity: { name: first.value.slice(0, dot), pos: first.pos }, key: first.value.slice(dot + 1), keyPos: first.pos + dot + 1 },
        first.text,
      );
    }
    if (stream.peek().kind === 'dot') {
      stream.next();
      const key = parseKeyAfterDot(stream);
      return finish({ entity: { name: first.value, pos: first.pos }, key: key.key, keyPos: key.pos }, `${first.text}.${key.key}`);
    }
    return finish({ key: first.value, keyPos: first.pos }, first.text);
  }
  if (first.kind === 'backtick' || first.kind === 'dquote') {
    if (stream.peek().kind === 'dot') {
      stream.next();
      const key = parseKeyAfterDot(stream);
      return finish({ entity: { name: first.value, pos: first.pos }, key: key.key, keyPos: key.pos }, `${first.text}.${key.key}`);
    }
    return finish({ key: first.value, keyPos: first.pos }, first.text);
  }
  if (first.kind === 'string') {
    throw syntaxError(
      stream.subject,
      `key ${describeToken(first)} in single quotes`,
      first.pos,
      'quote keys with backticks or double quotes',
    );
  }
  if (first.kind === 'lparen') {
    throw syntaxError(stream.subject, "unexpected '('", first.pos, 'parentheses are not supported; join clauses with AND');
  }
  throw stream.unexpected(first, KEY_HINT);
}

function parseValue(stream: TokenStream, comparator: string): RawValue {
  const token = stream.next();
  switch (token.kind) {
    case 'string':
    case 'dquote':
      return { kind: 'string', value: token.value, pos: token.pos, text: token.text };
    case 'number': {
      const value = Number(token.text);
      if (!Number.isFinite(value)) {
        throw syntaxError(stream.subject, `number '${token.text}' out of range`, token.pos);
      }
      return { kind: 'number', value, pos: token.pos, text: token.text };
    }
    case 'backtick':
      throw syntaxError(stream.subject, `value ${describeToken(token)} in backticks`, token.pos, 'quote values with \' or "');
    case 'word':
      if (isKeyword(token, 'NULL')) {
        throw syntaxError(stream.subject, `'${comparator} NULL'`, token.pos, 'use IS NULL or IS NOT NULL');
      }
      throw syntaxError(stream.subject, `unquoted value ${describeToken(token)}`, token.pos, 'quote string values with \' or "');
    case 'op':
    case 'dot':
    case 'lparen':
    case 'rparen':
    case 'comma':
    case 'end':
      throw stream.unexpected(token, 'a value');
  }
}

function parseList(stream: TokenStream): RawValue {
  const open = stream.next();
  if (open.kind !== 'lparen') {
    throw stream.unexpected(open, "a parenthesised list such as ('a', 'b')");
  }
  const values: string[] = [];
  for (;;) {
    const item = stream.next();
    if (item.kind !== 'string' && item.kind !== 'dquote') {
      throw stream.unexpected(item, 'a quoted string in the list');
    }
    values.push(item.value);
    const separator = stream.next();
    if (separator.kind === 'rparen') {
      return { kind: 'list', values, pos: open.pos, text: `(${values.length} values)` };
    }
    if (separator.kind !== 'comma') {
      throw stream.unexpected(separator, "',' or ')'");
    }
  }
}

function parseComparison(stream: TokenStream, identifier: RawIdentifier): RawClause {
  const identifierEnd = stream.previousEnd();
  const token = stream.next();
  const clause = (comparator: RawComparator, value: RawValue): RawClause => ({ identifier, comparator, comparatorPos: token.pos, value });
  if (token.kind === 'op') {
    if (token.text === '<>') {
      throw syntaxError(stream.subject, "unexpected '<>'", token.pos, "use '!=' for not equal");
    }
    if (token.text === '==') {
      throw syntaxError(stream.subject, "unexpected '=='", token.pos, "use '=' for equal");
    }
    if (COMPARISON_OPERATORS.has(token.text)) {
      return clause(token.text as RawComparator, parseValue(stream, token.text));
    }
  }
  if (isKeyword(token, 'LIKE') || isKeyword(token, 'ILIKE')) {
    return clause(token.value.toUpperCase() as RawComparator, parseValue(stream, token.value.toUpperCase()));
  }
  if (isKeyword(token, 'IN')) {
    return clause('IN', parseList(stream));
  }
  if (isKeyword(token, 'IS')) {
    const next = stream.next();
    if (isKeyword(next, 'NULL')) {
      return clause('IS NULL', { kind: 'none' });
    }
    if (isKeyword(next, 'NOT') && isKeyword(stream.peek(), 'NULL')) {
      stream.next();
      return clause('IS NOT NULL', { kind: 'none' });
    }
    throw stream.unexpected(isKeyword(next, 'NOT') ? stream.peek() : next, isKeyword(next, 'NOT') ? 'NULL' : 'NULL or NOT NULL');
  }
  if (isKeyword(token, 'NOT')) {
    const next = stream.next();
    if (isKeyword(next, 'IN')) {
      return clause('NOT IN', parseList(stream));
    }
    if (isKeyword(next, 'LIKE') || isKeyword(next, 'ILIKE')) {
      throw syntaxError(
        stream.subject,
        `unexpected 'NOT ${next.value.toUpperCase()}'`,
        token.pos,
        'NOT LIKE and NOT ILIKE are not supported',
      );
    }
    throw stream.unexpected(next, 'IN after NOT');
  }
  const expected = 'a comparison: =, !=, <, <=, >, >=, LIKE, ILIKE, IS [NOT] NULL or [NOT] IN';
  if (token.kind !== 'end' && token.pos === identifierEnd && token.kind !== 'op') {
    // `metrics.my-key`, `params.lr/2`: part of the key, which then needed quotes.
    throw syntaxError(
      stream.subject,
      `unexpected ${describeToken(token)} right after '${identifier.text}'`,
      token.pos,
      'keys with characters such as - / : or spaces must be quoted: metrics.`my-key` or metrics."my-key"',
    );
  }
  throw stream.unexpected(token, expected);
}

/** Parses a filter into clauses (empty or blank → none). Throws InvalidRequestError pointing at the first bad token. */
export function parseFilterClauses(input: string, subject = 'filter'): RawClause[] {
  const stream = new TokenStream(tokenize(input, subject), subject);
  const clauses: RawClause[] = [];
  if (stream.peek().kind === 'end') {
    return clauses;
  }
  for (;;) {
    const identifier = parseIdentifier(stream);
    clauses.push(parseComparison(stream, identifier));
    const next = stream.next();
    if (next.kind === 'end') {
      return clauses;
    }
    if (isKeyword(next, 'AND')) {
      if (clauses.length >= MAX_FILTER_CLAUSES) {
        throw syntaxError(subject, `more than ${MAX_FILTER_CLAUSES} clauses`, next.pos);
      }
      continue;
    }
    if (isKeyword(next, 'OR')) {
      throw syntaxError(subject, "unexpected 'OR'", next.pos, 'OR is not supported; only AND can join clauses');
    }
    if (next.kind === 'lparen' || next.kind === 'rparen') {
      throw syntaxError(subject, `unexpected ${describeToken(next)}`, next.pos, 'parentheses are not supported; join clauses with AND');
    }
    throw stream.unexpected(next, 'AND or the end of the filter');
  }
}

/** Parses one order_by entry: `identifier [ASC|DESC]`. */
export function parseOrderTerm(input: string, subject: string): RawOrderTerm {
  const stream = new TokenStream(tokenize(input, subject), subject);
  if (stream.peek().kind === 'end') {
    throw syntaxError(subject, 'empty order_by entry', 0, 'give a key such as metrics.accuracy DESC');
  }
  const identifier = parseIdentifier(stream);
  let ascending = true;
  const direction = stream.next();
  if (isKeyword(direction, 'ASC') || isKeyword(direction, 'DESC')) {
    ascending = direction.value.toUpperCase() === 'ASC';
  } else if (direction.kind !== 'end') {
    throw stream.unexpected(direction, 'ASC or DESC');
  }
  const end = stream.next();
  if (end.kind !== 'end') {
    throw stream.unexpected(end, 'the end of the order_by entry');
  }
  return { identifier, ascending };
}

/** The error for a comparator the identifier does not take, saying which it does. */
export function comparatorError(subject: string, clause: RawClause, allowed: string): Error {
  return syntaxError(subject, `${clause.comparator} is not allowed on '${clause.identifier.text}'`, clause.comparatorPos, `use ${allowed}`);
}

/** The clause's value as a number, or an error pointing at it. */
export function numberValue(subject: string, clause: RawClause): number {
  const value = clause.value;
  if (value.kind !== 'number') {
    const shown = value.kind === 'string' || value.kind === 'list' ? value.text : '';
    throw syntaxError(
      subject,
      `'${clause.identifier.text}' needs a number, got ${shown}`,
      value.kind === 'none' ? clause.comparatorPos : value.pos,
      'numbers are written without quotes',
    );
  }
  return value.value;
}

/** The clause's value as a quoted string (a LIKE pattern of bounded length), or an error pointing at it. */
export function stringValue(subject: string, clause: RawClause): string {
  const value = clause.value;
  if (value.kind !== 'string') {
    const shown = value.kind === 'number' ? value.text : '';
    throw syntaxError(
      subject,
      `'${clause.identifier.text}' needs a quoted string, got ${shown}`,
      value.kind === 'none' ? clause.comparatorPos : value.pos,
      `quote it: ${clause.identifier.text} ${clause.comparator} '${shown}'`,
    );
  }
  if ((clause.comparator === 'LIKE' || clause.comparator === 'ILIKE') && value.value.length > MAX_LIKE_PATTERN_LENGTH) {
    throw syntaxError(subject, `${clause.comparator} pattern longer than ${MAX_LIKE_PATTERN_LENGTH} characters`, value.pos);
  }
  return value.value;
}
