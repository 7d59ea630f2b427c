import { InvalidRequestError } from '../errors.js';

/**
 * Tokens of MLflow's search grammar (run and experiment filters, order_by entries).
 *
 * - `word`: a bare name, dots included (`metrics.acc`, `tags.mlflow.runName`, `AND`, `start_time`);
 * - `backtick` / `dquote`: `` `my key` `` / `"my key"` (`value` is unquoted, doubled quotes undone);
 * - `string`: `'text'` (`''` is one quote);
 * - `number`: `1`, `-0.5`, `.5`, `1e-3`;
 * - `op`: `=`, `!=`, `<`, `<=`, `>`, `>=` (and `==`, `<>`, lexed only to be refused with a hint);
 * - `dot`: a `.` between a name and a quoted key (`metrics."f1 score"`);
 * - `lparen`, `rparen`, `comma`, and `end` (position = length of the text).
 */
export type TokenKind = 'word' | 'backtick' | 'dquote' | 'string' | 'number' | 'op' | 'dot' | 'lparen' | 'rparen' | 'comma' | 'end';

export interface Token {
  kind: TokenKind;
  /** The token as written. */
  text: string;
  /** Quoted tokens: the text between the quotes, unescaped. Others: same as `text`. */
  value: string;
  /** Offset of the token's first character in the input (0-based, UTF-16 code units). */
  pos: number;
}

/** Longest token text quoted back in an error message. */
const MAX_QUOTED = 40;

/** How a token is named in an error message: `'OR'`, `end of input`. */
export function describeToken(token: Token): string {
  if (token.kind === 'end') {
    return 'end of input';
  }
  const text = token.text.length > MAX_QUOTED ? `${token.text.slice(0, MAX_QUOTED)}…` : token.text;
  return `'${text}'`;
}

/**
 * A search-syntax error. `subject` names the request field (`filter`, `order_by[1]`), so the
 * message reads e.g. `filter: unexpected 'OR' at position 17; only AND can join clauses`.
 */
export function syntaxError(subject: string, problem: string, pos: number, hint?: string): InvalidRequestError {
  return new InvalidRequestError(`${subject}: ${problem} at position ${pos}${hint ? `; ${hint}` : ''}`, 'INVALID_PARAMETER_VALUE');
}

const WORD_START = /[\p{L}_]/u;
/** A name with its dotted segments: `tags.mlflow.runName`, `metrics.f1`, `params.layer.0`. */
const WORD = /[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}\p{N}_]+)*/uy;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y;
const NUMBER_TAIL = /[\p{L}\p{N}_.]/u;
const OPERATORS = ['!=', '<=', '>=', '<>', '==', '=', '<', '>'];

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/** Reads a quoted token starting at `start`; a doubled quote inside stands for one. */
function readQuoted(input: string, start: number, quote: string, subject: string): { end: number; value: string } {
  let value = '';
  let index = start + 1;
  for (;;) {
    const next = input.indexOf(quote, index);
    if (next < 0) {
      const what = quote === "'" ? 'string' : quote === '"' ? 'double-quoted text' : 'backticked key';
      throw syntaxError(subject, `unterminated ${what} starting`, start, `close it with ${quote}`);
    }
    value += input.slice(index, next);
    if (input[next + 1] === quote) {
      value += quote;
      index = next + 2;
      continue;
    }
    return { end: next + 1, value };
  }
}

/** Splits `input` into tokens, ending with an `end` token. Throws at the first character that starts no token. */
export function tokenize(input: string, subject: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  const push = (kind: TokenKind, end: number, value?: string) => {
    const text = input.slice(index, end);
    tokens.push({ kind, text, value: value ?? text, pos: index });
    index = end;
  };
  while (index < input.length) {
    const char = input[index];
    if (/\s/u.test(char)) {
      index++;
      continue;
    }
    if (char === "'" || char === '"' || char === '`') {
      const { end, value } = readQuoted(input, index, char, subject);
      push(char === "'" ? 'string' : char === '"' ? 'dquote' : 'backtick', end, value);
      continue;
    }
    if (
      isDigit(char) ||
      ((char === '-' || char === '.') && (isDigit(input[index + 1]) || (input[index + 1] === '.' && isDigit(input[index + 2]))))
    ) {
      NUMBER.lastIndex = index;
      const match = NUMBER.exec(input);
      if (match) {
        const end = index + match[0].length;
        if (end < input.length && NUMBER_TAIL.test(input[end])) {
          throw syntaxError(
            subject,
            `malformed number '${input.slice(index, end + 1)}'`,
            index,
            'keys that start with a digit must be quoted',
          );
        }
        push('number', end);
        continue;
      }
    }
    if (WORD_START.test(char)) {
      WORD.lastIndex = index;
      const match = WORD.exec(input) as RegExpExecArray;
      push('word', index + match[0].length);
      continue;
    }
    if (char === '.') {
      push('dot', index + 1);
      continue;
    }
    if (char === '(' || char === ')' || char === ',') {
      push(char === '(' ? 'lparen' : char === ')' ? 'rparen' : 'comma', index + 1);
      continue;
    }
    const operator = OPERATORS.find((candidate) => input.startsWith(candidate, index));
    if (operator) {
      push('op', index + operator.length);
      continue;
    }
    const shown = String.fromCodePoint(input.codePointAt(index) ?? 0);
    const hint =
      char === ';'
        ? 'a filter is one expression; join clauses with AND'
        : char === '-' || char === '/' || char === ':'
          ? 'keys with characters such as - / : or spaces must be quoted: metrics.`my-key` or metrics."my-key"'
          : undefined;
    throw syntaxError(subject, `unexpected character '${shown}'`, index, hint);
  }
  tokens.push({ kind: 'end', text: '', value: '', pos: input.length });
  return tokens;
}
