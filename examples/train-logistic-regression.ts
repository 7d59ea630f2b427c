// A small but real training job: logistic regression on two noisy Gaussian blobs that it
// generates itself, trained by mini-batch gradient descent, logged to entrenar-tracking.
//
//   npm run build && node dist/examples/train-logistic-regression.js --url http://127.0.0.1:5000
//
// Options: --url URL (or ENTRENAR_URL), --api-key KEY (or ENTRENAR_API_KEY), --experiment NAME,
// --steps N, --lr X, --batch N, --seed N, --step-delay-ms N (slow it down to watch it live).
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TrackingClient } from '../src/client/index.js';
import { uploadArtifactFile } from '../src/client/node.js';

/** A small deterministic generator (mulberry32), so runs are reproducible from their seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

interface Dataset {
  x: [number, number][];
  y: number[];
}

/** Class 0 around (-1, -1), class 1 around (1.2, 0.8), unit variance: not linearly separable. */
function makeBlobs(count: number, next: () => number): Dataset {
  const x: [number, number][] = [];
  const y: number[] = [];
  for (let index = 0; index < count; index++) {
    const label = index % 2;
    const [cx, cy] = label === 0 ? [-1, -1] : [1.2, 0.8];
    x.push([cx + gaussian(next), cy + gaussian(next)]);
    y.push(label);
  }
  return { x, y };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Mean cross-entropy and accuracy of weights (w1, w2, b) on a dataset. */
function evaluate(weights: number[], data: Dataset): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let index = 0; index < data.y.length; index++) {
    const p = sigmoid(weights[0] * data.x[index][0] + weights[1] * data.x[index][1] + weights[2]);
    const clipped = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
    loss -= data.y[index] * Math.log(clipped) + (1 - data.y[index]) * Math.log(1 - clipped);
    correct += (p >= 0.5 ? 1 : 0) === data.y[index] ? 1 : 0;
  }
  return { loss: loss / data.y.length, accuracy: correct / data.y.length };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.ENTRENAR_URL ?? 'http://127.0.0.1:5000' },
      'api-key': { type: 'string', default: process.env.ENTRENAR_API_KEY },
      experiment: { type: 'string', default: 'logistic-regression' },
      'run-name': { type: 'string' },
      steps: { type: 'string', default: '300' },
      lr: { type: 'string', default: '0.1' },
      batch: { type: 'string', default: '32' },
      seed: { type: 'string', default: '7' },
      'step-delay-ms': { type: 'string', default: '0' },
    },
  });
  const steps = Number(values.steps);
  const lr = Number(values.lr);
  const batchSize = Number(values.batch);
  const seed = Number(values.seed);
  const stepDelayMs = Number(values['step-delay-ms']);

  const client = new TrackingClient(values.url, { apiKey: values['api-key'] });
  const logger = await client.trackRun({
    experiment: values.experiment,
    name: values['run-name'],
    params: { model: 'logistic_regression', learning_rate: lr, batch_size: batchSize, steps, seed },
    onError: (error) => process.stderr.write(`tracking: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  process.stdout.write(`run ${logger.run.id} in experiment ${logger.experiment.id}\n`);

  const next = random(seed);
  const train = makeBlobs(2000, next);
  const test = makeBlobs(500, next);
  const weights = [0, 0, 0];
  for (let step = 0; step < steps; step++) {
    const gradient = [0, 0, 0];
    for (let sample = 0; sample < batchSize; sample++) {
      const index = Math.floor(next() * train.y.length);
      const [x1, x2] = train.x[index];
      const error = sigmoid(weights[0] * x1 + weights[1] * x2 + weights[2]) - train.y[index];
      gradient[0] += error * x1;
      gradient[1] += error * x2;
      gradient[2] += error;
    }
    for (let parameter = 0; parameter < 3; parameter++) {
      weights[parameter] -= (lr * gradient[parameter]) / batchSize;
    }
    const metrics = evaluate(weights, train);
    logger.log({ loss: metrics.loss, accuracy: metrics.accuracy }, step);
    if (step % 50 === 49 || step === steps - 1) {
      const held = evaluate(weights, test);
      logger.log({ test_loss: held.loss, test_accuracy: held.accuracy }, step);
    }
    if (stepDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, stepDelayMs));
    }
  }

  const directory = await mkdtemp(path.join(os.tmpdir(), 'entrenar-example-'));
  const file = path.join(directory, 'weights.json');
  await writeFile(file, JSON.stringify({ w: weights.slice(0, 2), b: weights[2] }, null, 2));
  await logger.flush();
  await uploadArtifactFile(client, logger.run.id, file, { key: 'model/weights.json', contentType: 'application/json' });
  await rm(directory, { recursive: true, force: true });
  const run = await logger.finish('success');
  const final = evaluate(weights, test);
  process.stdout.write(`finished ${run.id}: ${run.status}, test accuracy ${final.accuracy.toFixed(3)}, sent ${logger.stats.sent} points\n`);
}

await main();
