/** JSON has no NaN or Infinity: those are written as MLflow writes them, as strings. */
export function metricValueJson(value: number, isNan: boolean | number): number | string {
  if (isNan) {
    return 'NaN';
  }
  if (value === Infinity) {
    return 'Infinity';
  }
  if (value === -Infinity) {
    return '-Infinity';
  }
  return value;
}
