/**
 * Prometheus' text exposition format (version 0.0.4), read strictly: every line must be a
 * comment (`# HELP`/`# TYPE` well-formed), blank, or a sample `name{label="value",…} value [timestamp]`.
 */

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
/** A label value: any character but `"`, `\` and newline, which come escaped. */
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABEL = `${LABEL_NAME}=${LABEL_VALUE}`;
const FLOAT = '(?:NaN|[+-]?Inf|[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)';
const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})? (${FLOAT})(?: -?\\d+)?$`);
const HELP_LINE = new RegExp(`^# HELP (${METRIC_NAME})(?: .*)?$`);
const TYPE_LINE = new RegExp(`^# TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL_PAIR = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family name → type, from the `# TYPE` lines. */
  types: Map<string, string>;
  /** Lines that are none of a comment, a blank line or a well-formed sample. */
  invalidLines: string[];
}

function unescapeLabelValue(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(["\\n])/g, (_match, escaped: string) => (escaped === 'n' ? '\n' : escaped));
}

function parseValue(text: string): number {
  if (text === 'NaN') {
    return NaN;
  }
  if (/^[+-]?Inf$/.test(text)) {
    return text.startsWith('-') ? -Infinity : Infinity;
  }
  return Number(text);
}

/** The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to the histogram. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) {
    return name;
  }
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.has(base) ? base : undefined;
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const invalidLines: string[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  } else {
    invalidLines.push('(the text does not end with a newline)');
  }
  for (const line of lines) {
    if (line === '') {
      continue;
    }
    if (line.startsWith('#')) {
      const type = TYPE_LINE.exec(line);
      if (type) {
        types.set(type[1], type[2]);
      } else if (line.startsWith('# TYPE') || (line.startsWith('# HELP') && !HELP_LINE.test(line))) {
        invalidLines.push(line);
      }
      continue;
    }
    const sample = SAMPLE_LINE.exec(line);
    // A sample must follow its family's TYPE line.
    if (!sample || familyOf(sample[1], types) === undefined) {
      invalidLines.push(line);
      continue;
    }
    const labels: Record<string, string> = {};
    for (const [, name, quoted] of (sample[2] ?? '').matchAll(LABEL_PAIR)) {
      labels[name] = unescapeLabelValue(quoted);
    }
    samples.push({ name: sample[1], labels, value: parseValue(sample[3]) });
  }
  return { samples, types, invalidLines };
}

function sameLabels(actual: Record<string, string>, expected: Record<string, string>): boolean {
  const keys = Object.keys(expected);
  return Object.keys(actual).length === keys.length && keys.every((key) => actual[key] === expected[key]);
}

/** The value of the sample with exactly these labels; 0 when there is none (a series not yet created). */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exposition.samples.find((sample) => sample.name === name && sameLabels(sample.labels, labels))?.value ?? 0;
}

/** Every sample of the metric `name`. */
export function samplesOf(exposition: Exposition, name: string): Sample[] {
  return exposition.samples.filter((sample) => sample.name === name);
}
