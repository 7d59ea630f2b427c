import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dump, load, loadAll } from 'js-yaml';
import { DEFAULT_SERVER_CONFIG } from '../../src/config/server-config.js';
import { DATABASE_CHECK_TIMEOUT_MS } from '../../src/modules/health/health.service.js';
import { createTestStorage, TestStorage } from '../support/database.js';
import { EntrenarProcess, REPO_ROOT, startEntrenar, storageArgs } from './support/entrenar-process.js';

const K8S = path.join(REPO_ROOT, 'k8s');

interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

interface Container {
  name: string;
  image: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value: string }[];
  envFrom?: { secretRef?: { name: string } }[];
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec: { terminationGracePeriodSeconds?: number; containers: Container[] } } };
}

interface Kustomization {
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

function readManifests(file: string): Manifest[] {
  return loadAll(readFileSync(path.join(K8S, file), 'utf8')) as Manifest[];
}

const kustomization = load(readFileSync(path.join(K8S, 'kustomization.yaml'), 'utf8')) as Kustomization;
const deployment = readManifests('deployment.yaml').find((manifest) => manifest.kind === 'Deployment') as Manifest;
const podSpec = deployment.spec?.template?.spec;
const container = podSpec?.containers[0] as Container;

function envOf(name: string): string | undefined {
  return container.env?.find((variable) => variable.name === name)?.value;
}

/** The path of an image reference, without its tag or digest. */
function imageName(reference: string): string {
  return reference.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
}

/** `args` without each of `flags` and the value after it. */
function withoutFlags(args: string[], flags: string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < args.length; index++) {
    if (flags.includes(args[index])) {
      index++;
    } else {
      kept.push(args[index]);
    }
  }
  return kept;
}

describe('the Kubernetes manifests (k8s/)', () => {
  it('parse as Kubernetes objects, and the kustomization lists the ones to apply (never the example Secret)', () => {
    const files = readdirSync(K8S).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    for (const file of files) {
      for (const manifest of readManifests(file)) {
        expect(manifest).toMatchObject({
          apiVersion: expect.any(String),
          kind: expect.any(String),
          metadata: { name: expect.any(String) },
        });
      }
    }
    expect([...kustomization.resources].sort()).toEqual(files.filter((file) => file !== 'secret.example.yaml').sort());
    expect(container.envFrom).toContainEqual({ secretRef: { name: readManifests('secret.example.yaml')[0].metadata.name } });
  });

  it('probe liveness and startup on /health/live and readiness on /health/ready, through the container port', () => {
    expect(container.livenessProbe?.httpGet.path).toBe('/health/live');
    expect(container.startupProbe?.httpGet.path).toBe('/health/live');
    expect(container.readinessProbe?.httpGet.path).toBe('/health/ready');
    for (const probe of [container.livenessProbe, container.startupProbe, container.readinessProbe]) {
      expect(container.ports.map((port) => port.name)).toContain(probe?.httpGet.port);
    }
  });

  it('give each probe longer than the server waits for the database, so a slow database answers 503 rather than timing out', () => {
    for (const probe of [container.livenessProbe, container.startupProbe, container.readinessProbe]) {
      expect((probe?.timeoutSeconds ?? 1) * 1000).toBeGreaterThan(DATABASE_CHECK_TIMEOUT_MS);
    }
  });

  it('give the pod longer to stop than the preStop pause plus the server shutdown timeout', () => {
    const shutdownSecs = Number(envOf('ENTRENAR_SHUTDOWN_TIMEOUT_SECS') ?? DEFAULT_SERVER_CONFIG.shutdownTimeoutSecs);
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    const pauseSecs = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
    expect(podSpec?.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(pauseSecs + shutdownSecs);
  });

  it("let kustomize `images:` set the image: its entry names the Deployment's image", () => {
    expect(kustomization.images?.map((image) => image.name)).toEqual([imageName(container.image)]);
  });

  // kubectl is not on every machine; where it is, render the kustomization for real.
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  (kubectl ? it : it.skip)('render with `kubectl kustomize`, with the image an overlay of `images:` names', () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'entrenar-k8s-'));
    try {
      cpSync(K8S, copy, { recursive: true });
      const overridden = {
        ...kustomization,
        images: [{ name: imageName(container.image), newName: 'registry.example.com/team/entrenar', newTag: '9.9.9' }],
      };
      writeFileSync(path.join(copy, 'kustomization.yaml'), dump(overridden));
      const rendered = spawnSync('kubectl', ['kustomize', copy], { encoding: 'utf8' });
      expect(rendered.stderr).toBe('');
      expect(rendered.status).toBe(0);
      const objects = loadAll(rendered.stdout) as Manifest[];
      expect(objects.map((object) => object.kind).sort()).toEqual(['Deployment', 'PersistentVolumeClaim', 'Service']);
      const renderedDeployment = objects.find((object) => object.kind === 'Deployment');
      expect(renderedDeployment?.spec?.template?.spec.containers[0].image).toBe('registry.example.com/team/entrenar:9.9.9');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  describe("against a server started with the Deployment's arguments", () => {
    let storage: TestStorage;
    let server: EntrenarProcess;

    beforeAll(async () => {
      storage = await createTestStorage();
      // Its flags and environment, but on loopback and a free port (startEntrenar's `server --host --port`).
      const [command, ...flags] = container.args;
      expect(command).toBe('server');
      const env = Object.fromEntries(
        (container.env ?? [])
          .filter((variable) => variable.name !== 'ENTRENAR_DATA_DIR')
          .map((variable) => [variable.name, variable.value]),
      );
      server = await startEntrenar({
        args: [...withoutFlags(flags, ['--host', '--port']), ...storageArgs(storage)],
        env: { ...env, ENTRENAR_API_KEY: 'k8s-test-key-0123456789' },
      });
    });

    afterAll(async () => {
      await server.stop();
      await storage.dispose();
    });

    it.each(['livenessProbe', 'startupProbe', 'readinessProbe'] as const)('the %s path answers 200 without a key', async (probe) => {
      const response = await fetch(`${server.url}${container[probe]?.httpGet.path}`);
      expect(response.status).toBe(200);
    });
  });
});
