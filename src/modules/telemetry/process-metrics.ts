import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | undefined;

/**
 * prom-client's default metrics (CPU, memory, heap, handles, GC, event-loop lag `nodejs_eventloop_lag_*`),
 * collected once per process: they describe the process, not an app, and prom-client starts
 * monitors for them (an event-loop delay timer, a GC observer) that it offers no way to stop, so
 * an app per test would leave one more running each time. Every app's registry shows these.
 */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
