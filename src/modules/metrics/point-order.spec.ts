import {
  historyOrderSql,
  isLaterPoint,
  LAST_POINT_COLUMNS,
  latestFirstSql,
  latestPointParams,
  POINT_COLUMNS,
  pointColumns,
  takeLaterPointSql,
} from './point-order.js';

describe('isLaterPoint', () => {
  it('takes the later step whatever the timestamps and values', () => {
    expect(isLaterPoint(2, 1, 0, 1, 999, 9)).toBe(true);
    expect(isLaterPoint(1, 999, 9, 2, 1, 0)).toBe(false);
  });

  it('on the same step takes the later timestamp whatever the values', () => {
    expect(isLaterPoint(5, 20, 0, 5, 10, 9)).toBe(true);
    expect(isLaterPoint(5, 10, 9, 5, 20, 0)).toBe(false);
  });

  it('on the same step and timestamp takes the greater value', () => {
    expect(isLaterPoint(5, 10, 2, 5, 10, 1)).toBe(true);
    expect(isLaterPoint(5, 10, 1, 5, 10, 2)).toBe(false);
  });

  it('keeps the point held on a tie of all three', () => {
    expect(isLaterPoint(5, 10, 1, 5, 10, 1)).toBe(false);
  });
});

describe('point order SQL', () => {
  it('orders latest first by step, timestamp, then value', () => {
    expect(latestFirstSql()).toBe('step DESC, timestamp DESC, value DESC');
    expect(latestFirstSql('p.')).toBe('p.step DESC, p.timestamp DESC, p.value DESC');
  });

  it('orders history by the whole primary key after the series', () => {
    expect(historyOrderSql('p.')).toBe('p.step, p.timestamp, p.value, p.is_nan');
  });

  it('replaces the held point only when the candidate compares later as a row value', () => {
    const sql = takeLaterPointSql(
      ['step', 'isNan'],
      LAST_POINT_COLUMNS,
      pointColumns('l.', POINT_COLUMNS),
      pointColumns('s.', LAST_POINT_COLUMNS),
      's.last_step IS NULL',
    );
    expect(sql).toBe(
      'last_step = CASE WHEN s.last_step IS NULL OR (l.step, l.timestamp, l.value) > (s.last_step, s.last_timestamp, s.last_value) THEN l.step ELSE s.last_step END,\n' +
        '  last_is_nan = CASE WHEN s.last_step IS NULL OR (l.step, l.timestamp, l.value) > (s.last_step, s.last_timestamp, s.last_value) THEN l.is_nan ELSE s.last_is_nan END',
    );
  });

  it('binds a candidate as its comparison key then the assigned field, per assignment', () => {
    expect(latestPointParams(['step', 'isNan'], { step: 3, timestamp: 40, value: 0.5, isNan: 0 })).toEqual([3, 40, 0.5, 3, 3, 40, 0.5, 0]);
    expect(latestPointParams(['step'], undefined)).toEqual([null, null, null, null]);
  });
});
