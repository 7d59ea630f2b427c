import { InvalidRequestError } from '../errors.js';
import { MAX_FILTER_CLAUSES, parseFilterClauses, parseOrderTerm, RawClause } from './clause-parser.js';
import { tokenize } from './lexer.js';

/** The InvalidRequestError `work` throws (fails the test if it throws nothing or something else). */
function errorOf(work: () => unknown): InvalidRequestError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('expected an InvalidRequestError, nothing was thrown');
}

/** Clauses reduced to what a reader checks: entity, key, comparator, value. */
function brief(clauses: RawClause[]): unknown[] {
  return clauses.map((clause) => [
    clause.identifier.entity?.name ?? null,
    clause.identifier.key,
    clause.comparator,
    clause.value.kind === 'none' ? null : clause.value.kind === 'list' ? clause.value.values : clause.value.value,
  ]);
}

describe('search lexer', () => {
  it('reads names with their dots, quoted keys, strings, numbers and operators, with positions', () => {
    const tokens = tokenize("tags.mlflow.runName = 'a''b' AND metrics.`f1 score` >= -1.5e3", 'filter');
    expect(tokens.map((token) => [token.kind, token.value, token.pos])).toEqual([
      ['word', 'tags.mlflow.runName', 0],
      ['op', '=', 20],
      ['string', "a'b", 22],
      ['word', 'AND', 29],
      ['word', 'metrics', 33],
      ['dot', '.', 40],
      ['backtick', 'f1 score', 41],
      ['op', '>=', 52],
      ['number', '-1.5e3', 55],
      ['end', '', 61],
    ]);
  });

  it.each([
    ['.5', 0.5],
    ['1.', 1],
    ['-0.25', -0.25],
    ['1e-3', 0.001],
    ['42', 42],
  ])('reads the number %s', (text, value) => {
    const [token] = tokenize(text, 'filter');
    expect(token.kind).toBe('number');
    expect(Number(token.value)).toBe(value);
  });

  it('undoes doubled quotes in every quoted form', () => {
    const tokens = tokenize('"say ""hi""" `a``b` \'it\'\'s\'', 'filter');
    expect(tokens.slice(0, 3).map((token) => token.value)).toEqual(['say "hi"', 'a`b', "it's"]);
  });

  it.each([
    ["params.x = 'open", "filter: unterminated string starting at position 11; close it with '"],
    ['metrics.`open > 1', 'filter: unterminated backticked key starting at position 8; close it with `'],
    [
      'metrics.a > 1; DROP TABLE runs',
      "filter: unexpected character ';' at position 13; a filter is one expression; join clauses with AND",
    ],
    ['metrics.a > 1abc', "filter: malformed number '1a' at position 12; keys that start with a digit must be quoted"],
    ['metrics.a # 1', "filter: unexpected character '#' at position 10"],
  ])('refuses %s, pointing at the token', (filter, message) => {
    expect(errorOf(() => tokenize(filter, 'filter')).message).toBe(message);
  });
});

describe('filter clause parser', () => {
  it('parses comparisons joined by AND, keywords in any case', () => {
    const clauses = parseFilterClauses(
      `metrics.acc > 0.5 and params.lr = '0.01' AnD tags."my tag" like 'x%' AND attributes.run_name ILIKE "%Bert%"`,
    );
    expect(brief(clauses)).toEqual([
      ['metrics', 'acc', '>', 0.5],
      ['params', 'lr', '=', '0.01'],
      ['tags', 'my tag', 'LIKE', 'x%'],
      ['attributes', 'run_name', 'ILIKE', '%Bert%'],
    ]);
  });

  it('parses IS NULL, IS NOT NULL, IN and NOT IN', () => {
    const clauses = parseFilterClauses("params.a IS NULL and tags.b is not null and run_id IN ('r1', \"r2\") and run_id not in ('r3')");
    expect(brief(clauses)).toEqual([
      ['params', 'a', 'IS NULL', null],
      ['tags', 'b', 'IS NOT NULL', null],
      [null, 'run_id', 'IN', ['r1', 'r2']],
      [null, 'run_id', 'NOT IN', ['r3']],
    ]);
  });

  it('reads every identifier form: bare, dotted, backticked entity and key, double-quoted key, no entity', () => {
    const clauses = parseFilterClauses(
      "`metrics`.acc = 1 AND metrics.`val-loss` < 2 AND params.\"batch size\" = '8' AND tags.mlflow.user = 'me' AND \"Run Name\" = 'x' AND status = 'RUNNING'",
    );
    expect(clauses.map((clause) => [clause.identifier.entity?.name ?? null, clause.identifier.key])).toEqual([
      ['metrics', 'acc'],
      ['metrics', 'val-loss'],
      ['params', 'batch size'],
      ['tags', 'mlflow.user'],
      [null, 'Run Name'],
      [null, 'status'],
    ]);
  });

  it('treats an empty or blank filter as no clauses', () => {
    expect(parseFilterClauses('')).toEqual([]);
    expect(parseFilterClauses('  \n\t ')).toEqual([]);
  });

  it('keeps quotes, comment markers and SQL inside a string value as data', () => {
    const [clause] = parseFilterClauses("params.x = 'a'' OR 1=1 --'");
    expect(clause.value).toMatchObject({ kind: 'string', value: "a' OR 1=1 --" });
    const [other] = parseFilterClauses('tags.t = "x\'); DROP TABLE runs; --"');
    expect(other.value).toMatchObject({ kind: 'string', value: "x'); DROP TABLE runs; --" });
  });

  it.each([
    ["metrics.acc > 0.5 OR params.lr = '0.01'", "filter: unexpected 'OR' at position 18; OR is not supported; only AND can join clauses"],
    [
      "(metrics.acc > 0.5) AND params.a = 'b'",
      "filter: unexpected '(' at position 0; parentheses are not supported; join clauses with AND",
    ],
    ['metrics.acc > 0.5 metrics.b > 1', "filter: unexpected 'metrics.b' at position 18; expected AND or the end of the filter"],
    ['metrics.acc >', 'filter: unexpected end of input, expected a value at position 13'],
    ['metrics.acc <> 1', "filter: unexpected '<>' at position 12; use '!=' for not equal"],
    ['metrics.acc == 1', "filter: unexpected '==' at position 12; use '=' for equal"],
    ['params.a = NULL', "filter: '= NULL' at position 11; use IS NULL or IS NOT NULL"],
    ['tags.t = abc', "filter: unquoted value 'abc' at position 9; quote string values with ' or \""],
    ['tags.t = `abc`', "filter: value '`abc`' in backticks at position 9; quote values with ' or \""],
    ["tags.'t' = 'x'", "filter: key ''t'' in single quotes at position 5; quote keys with backticks or double quotes"],
    ["params.a NOT LIKE 'x'", "filter: unexpected 'NOT LIKE' at position 9; NOT LIKE and NOT ILIKE are not supported"],
    ["params.a IS 'x'", "filter: unexpected ''x'' at position 12; expected NULL or NOT NULL"],
    ['run_id IN (1, 2)', "filter: unexpected '1' at position 11; expected a quoted string in the list"],
    ["run_id IN ('a' 'b')", "filter: unexpected ''b'' at position 15; expected ',' or ')'"],
    [
      'metrics.my-key > 1',
      'filter: unexpected character \'-\' at position 10; keys with characters such as - / : or spaces must be quoted: metrics.`my-key` or metrics."my-key"',
    ],
    ['metrics.lr-2 > 1', "filter: unexpected '-2' right after 'metrics.lr' at position 10"],
    [
      'AND metrics.a > 1',
      "filter: unexpected 'AND' at position 0; expected a key such as metrics.accuracy, params.lr, tags.`my tag` or attributes.status",
    ],
    ['metrics. > 1', "filter: unexpected '>' at position 9; expected a key after the dot"],
    [
      "metrics.a 'x'",
      "filter: unexpected ''x'' at position 10; expected a comparison: =, !=, <, <=, >, >=, LIKE, ILIKE, IS [NOT] NULL or [NOT] IN",
    ],
  ])('refuses %s and points at the offending token', (filter, message) => {
    expect(errorOf(() => parseFilterClauses(filter)).message).toEqual(expect.stringContaining(message));
  });

  it('reports INVALID_PARAMETER_VALUE for MLflow clients', () => {
    expect(errorOf(() => parseFilterClauses('metrics.a > 1 OR metrics.b > 1')).mlflowCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it(`accepts ${MAX_FILTER_CLAUSES} clauses and refuses one more`, () => {
    const clauses = (count: number) => Array.from({ length: count }, (_, index) => `metrics.m${index} > 0`).join(' AND ');
    expect(parseFilterClauses(clauses(MAX_FILTER_CLAUSES))).toHaveLength(MAX_FILTER_CLAUSES);
    expect(errorOf(() => parseFilterClauses(clauses(MAX_FILTER_CLAUSES + 1))).message).toMatch(/more than 100 clauses/);
  });
});

describe('order_by term parser', () => {
  it.each([
    ['metrics.acc', 'metrics', 'acc', true],
    ['metrics.acc DESC', 'metrics', 'acc', false],
    ['params.`learning rate` asc', 'params', 'learning rate', true],
    ['tags."a b" desc', 'tags', 'a b', false],
    ['start_time', undefined, 'start_time', true],
  ])('parses %s', (text, entity, key, ascending) => {
    const term = parseOrderTerm(text, 'order_by[0]');
    expect([term.identifier.entity?.name, term.identifier.key, term.ascending]).toEqual([entity, key, ascending]);
  });

  it.each([
    ['', 'order_by[2]: empty order_by entry at position 0'],
    ['metrics.acc DOWN', "order_by[2]: unexpected 'DOWN' at position 12; expected ASC or DESC"],
    ['metrics.acc DESC ASC', "order_by[2]: unexpected 'ASC' at position 17; expected the end of the order_by entry"],
  ])('refuses %j', (text, message) => {
    expect(errorOf(() => parseOrderTerm(text, 'order_by[2]')).message).toEqual(expect.stringContaining(message));
  });
});
