import { AnalyzedTable, PlannerStatistics } from './planner-statistics.js';

/** An ANALYZE that the test finishes by hand, reporting the row estimate it is given. */
function manualAnalyze(): {
  analyze: (table: AnalyzedTable) => Promise<number>;
  calls: AnalyzedTable[];
  finish: (rows: number) => Promise<void>;
} {
  const calls: AnalyzedTable[] = [];
  let resolve: ((rows: number) => void) | undefined;
  return {
    calls,
    analyze: (table) => {
      calls.push(table);
      return new Promise((done) => (resolve = done));
    },
    finish: async (rows) => {
      resolve?.(rows);
      // Let the bookkeeping after the ANALYZE run.
      await new Promise((done) => setImmediate(done));
    },
  };
}

describe('PlannerStatistics', () => {
  it('analyses a table once 1,000 rows were written, not before', () => {
    const fake = manualAnalyze();
    const statistics = new PlannerStatistics(fake.analyze);
    statistics.noteWrites('metric_points', 600);
    statistics.noteWrites('metric_points', 399);
    expect(fake.calls).toEqual([]);
    statistics.noteWrites('metric_points', 1);
    expect(fake.calls).toEqual(['metric_points']);
  });

  it('waits for the table to double before the next ANALYZE', async () => {
    const fake = manualAnalyze();
    const statistics = new PlannerStatistics(fake.analyze);
    statistics.noteWrites('runs', 1_000);
    await fake.finish(8_000);
    statistics.noteWrites('runs', 7_999);
    expect(fake.calls).toEqual(['runs']);
    statistics.noteWrites('runs', 1);
    expect(fake.calls).toEqual(['runs', 'runs']);
  });

  it('runs one ANALYZE at a time; writes meanwhile count towards the next', async () => {
    const fake = manualAnalyze();
    const statistics = new PlannerStatistics(fake.analyze);
    statistics.noteWrites('params', 1_000);
    statistics.noteWrites('run_tags', 5_000);
    statistics.noteWrites('params', 5_000);
    expect(fake.calls).toEqual(['params']);
    await fake.finish(1_000);
    statistics.noteWrites('run_tags', 1);
    expect(fake.calls).toEqual(['params', 'run_tags']);
  });

  it('keeps going after an ANALYZE fails', async () => {
    const calls: AnalyzedTable[] = [];
    const statistics = new PlannerStatistics((table) => {
      calls.push(table);
      return Promise.reject(new Error('permission denied'));
    });
    statistics.noteWrites('metric_series', 1_000);
    await new Promise((done) => setImmediate(done));
    statistics.noteWrites('metric_series', 1_000);
    expect(calls).toEqual(['metric_series', 'metric_series']);
  });

  it('ignores writes that added nothing', () => {
    const fake = manualAnalyze();
    const statistics = new PlannerStatistics(fake.analyze);
    statistics.noteWrites('runs', 0);
    statistics.noteWrites('runs', -5);
    expect(fake.calls).toEqual([]);
    // Nor did they count against the threshold: 1,000 real rows still trigger the ANALYZE.
    statistics.noteWrites('runs', 1_000);
    expect(fake.calls).toEqual(['runs']);
  });
});
