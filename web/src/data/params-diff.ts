/** One param key across the compared runs: its value in each (undefined where a run lacks it). */
export interface ParamDiffRow {
  key: string;
  values: (string | undefined)[];
  differs: boolean;
}

/** Side-by-side params of several runs, keys in order; a row differs when any two runs disagree (a missing value counts). */
export function diffParams(runs: readonly (readonly { key: string; value: string }[])[]): ParamDiffRow[] {
  const maps = runs.map((params) => new Map(params.map((param) => [param.key, param.value])));
  const keys = [...new Set(runs.flatMap((params) => params.map((param) => param.key)))].sort(compareKeys);
  return keys.map((key) => {
    const values = maps.map((map) => map.get(key));
    return { key, values, differs: values.some((value) => value !== values[0]) };
  });
}

/** Natural order for keys: "layer2" before "layer10". */
export function compareKeys(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);
}
