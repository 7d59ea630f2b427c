/**
 * A small RFC 4180 CSV reader for previews: quoted fields with embedded commas, newlines and
 * doubled quotes, CRLF or LF line ends. Stops after `maxRows` rows. With `truncated` the text
 * was cut (a ranged download), so an incomplete last row is dropped rather than shown wrong.
 */
export function parseCsv(text: string, options: { maxRows?: number; truncated?: boolean; delimiter?: string } = {}): string[][] {
  const maxRows = options.maxRows ?? Infinity;
  const delimiter = options.delimiter ?? ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let rowComplete = true;
  const endRow = (): void => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
    rowComplete = true;
  };
  while (i < text.length && rows.length < maxRows) {
    const char = text[i];
    rowComplete = false;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += char;
      i++;
      continue;
    }
    if (char === '"' && field.length === 0) {
      quoted = true;
      i++;
    } else if (char === delimiter) {
      row.push(field);
      field = '';
      i++;
    } else if (char === '\r' || char === '\n') {
      endRow();
      i += char === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += char;
      i++;
    }
  }
  if (!rowComplete && rows.length < maxRows && !options.truncated) {
    endRow();
  }
  return rows;
}
