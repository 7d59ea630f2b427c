// One server, one database: start it fresh, run workloads 1-5 in order, measure its footprint
// (workload 6), stop it. A workload that fails is recorded with its error; the rest still run.
import { Client, HttpClient, RoundRobinClient } from './http-client.js';
import { DatabaseKind, isEntrenar, ServerId, startServer, StartOptions } from './servers.js';
import {
  chatty,
  churn,
  history,
  HistoryResult,
  ingestion,
  IngestionResult,
  MlflowApi,
  PhaseHook,
  search,
  SearchResult,
  series,
  SeriesResult,
  Settings,
  Throughput,
  WorkloadError,
} from './workloads.js';

export type Outcome<T> = T | WorkloadError;

export function failed<T extends object>(outcome: Outcome<T> | undefined): outcome is WorkloadError {
  return outcome !== undefined && 'error' in outcome;
}

export interface Footprint {
  peakRssBytes: number;
  /** Peak of the summed proportional set size, sampled each second (shared pages counted once). */
  peakPssBytes: number;
  processes: number;
  databaseBytes: number;
  pointsStored: number;
  bytesPerPoint: number;
}

export interface ServerResult {
  server: ServerId;
  database: DatabaseKind;
  /** Set when the server could not be started or measured at all. */
  skipped?: string;
  command?: string;
  ingestion?: Outcome<IngestionResult>;
  chatty?: Outcome<Throughput>;
  churn?: Outcome<Throughput>;
  history?: Outcome<HistoryResult>;
  search?: Outcome<SearchResult>;
  series?: Outcome<SeriesResult>;
  footprint?: Outcome<Footprint>;
  wallSeconds?: number;
}

export type WorkloadName = 'ingestion' | 'chatty' | 'churn' | 'history' | 'search' | 'series';
export const ALL_WORKLOADS: WorkloadName[] = ['ingestion', 'chatty', 'churn', 'history', 'search', 'series'];

async function attempt<T>(label: string, work: () => Promise<T>): Promise<Outcome<T>> {
  const started = performance.now();
  process.stdout.write(`    ${label} … `);
  try {
    const result = await work();
    process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stdout.write(`FAILED: ${message.slice(0, 300)}\n`);
    return { error: message };
  }
}

/**
 * Starts `id` on a fresh `database`, runs the chosen workloads, and stops it. `workloads`
 * narrows the run (the profiling pass); history and series share the history run.
 */
export async function runServer(
  id: ServerId,
  database: DatabaseKind,
  settings: Settings,
  options: Omit<StartOptions, 'database'>,
  workloads: WorkloadName[] = ALL_WORKLOADS,
  phase: PhaseHook = () => undefined,
): Promise<ServerResult> {
  const started = performance.now();
  let server;
  try {
    server = await startServer(id, { ...options, database });
  } catch (error) {
    return { server: id, database, skipped: `could not start: ${error instanceof Error ? error.message : String(error)}` };
  }
  const result: ServerResult = { server: id, database, command: server.describe };
  // Each replica may get every concurrent client at once, so each gets the full socket budget.
  const sockets = settings.chattyClients + settings.ingestionClients + 8;
  const http: Client = server.urls.length > 1 ? new RoundRobinClient(server.urls, sockets) : new HttpClient(server.urls[0], sockets);
  const api = new MlflowApi(http);
  let pointsStored = 0;
  const wants = (name: WorkloadName) => workloads.includes(name);
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    phase(name, 'start');
    try {
      return await work();
    } finally {
      phase(name, 'end');
    }
  };
  try {
    const experimentId = await api.createExperiment(`bench-peers-${Date.now()}`);
    if (wants('ingestion')) {
      result.ingestion = await attempt('1 ingestion', async () => {
        const runIds = await Promise.all(Array.from({ length: settings.ingestionClients }, () => api.createRun(experimentId)));
        const outcome = await timed('ingestion', () => ingestion(api, settings, runIds));
        pointsStored += outcome.pointsSent;
        return outcome;
      });
    }
    if (wants('chatty')) {
      result.chatty = await attempt('2 chatty logging', async () => {
        const runId = await api.createRun(experimentId);
        const outcome = await timed('chatty', () => chatty(api, settings, runId));
        pointsStored += outcome.pointsSent;
        return outcome;
      });
    }
    if (wants('churn')) {
      result.churn = await attempt('3 run churn', () => timed('churn', () => churn(api, settings, experimentId)));
    }
    let historyRun: string | undefined;
    if (wants('history') || wants('series')) {
      result.history = await attempt('4 long history', async () => {
        historyRun = await api.createRun(experimentId);
        const outcome = await history(api, settings, historyRun, phase, { direct: server.direct });
        pointsStored += settings.historyPoints;
        return outcome;
      });
    }
    if (wants('search')) {
      result.search = await attempt('5 search', async () => {
        const outcome = await search(api, settings, phase, { direct: server.direct });
        pointsStored += outcome.pointsSent;
        return outcome;
      });
    }
    if (wants('series') && isEntrenar(id) && historyRun !== undefined) {
      const runId = historyRun;
      result.series = await attempt('  /series', () => series(http, settings, runId, phase));
    }
    result.footprint = await attempt('6 footprint', async () => {
      const databaseBytes = (await server.databaseBytes()) - server.baselineBytes;
      return {
        peakRssBytes: server.tree.peakRssBytes(),
        peakPssBytes: server.tree.peakPssBytes(),
        processes: server.tree.processCount(),
        databaseBytes,
        pointsStored,
        bytesPerPoint: databaseBytes / pointsStored,
      };
    });
  } catch (error) {
    result.skipped = `failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    http.close();
    // What was measured stands even if the clean-up fails.
    await server
      .stop()
      .catch((error: unknown) => console.log(`    stopping failed: ${error instanceof Error ? error.message : String(error)}`));
  }
  result.wallSeconds = (performance.now() - started) / 1000;
  return result;
}
