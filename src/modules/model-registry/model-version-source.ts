import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How MLflow reads the `source` of a new model version (its `models:/` grammar and its
 * containment checks), as pure functions; the rules that use them are in ModelRegistryService.
 */

/** What a `models:/` URI names: a logged model, or a registered model's version by number, stage, alias or as latest. */
export type ModelsUri =
  | { kind: 'logged model'; modelId: string }
  | { kind: 'version'; name: string; version: string }
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'latest'; name: string }
  | { kind: 'alias'; name: string; alias: string };

/** A URI split as Python's urlsplit does it (scheme lower-cased; no authority unless `//` follows the colon). */
export function splitUri(uri: string): { scheme: string; authority: string; path: string } {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(uri);
  if (!match) {
    return { scheme: '', authority: '', path: uri };
  }
  const rest = match[2];
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authorityEnd = end === -1 ? rest.length : end;
    return {
      scheme: match[1].toLowerCase(),
      authority: rest.slice(2, authorityEnd),
      path: rest.slice(authorityEnd).replace(/[?#].*$/s, ''),
    };
  }
  return { scheme: match[1].toLowerCase(), authority: '', path: rest.replace(/[?#].*$/s, '') };
}

/**
 * A `models:/…` path as MLflow parses it: `models:/<model id>`, `models:/<name>/<version>`,
 * `models:/<name>/latest`, `models:/<name>/<stage>`, `models:/<name>@<alias>`; undefined when
 * the path fits none of them.
 */
export function parseModelsPath(path: string): ModelsUri | undefined {
  if (!path.startsWith('/') || path.length <= 1) {
    return undefined;
  }
  const parts = path.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || parts[0].trim() === '') {
    return undefined;
  }
  if (parts.length === 2) {
    const [name, suffix] = parts;
    if (suffix.trim() === '') {
      return undefined;
    }
    if (/^\d+$/.test(suffix)) {
      return { kind: 'version', name, version: suffix };
    }
    return suffix.toLowerCase() === 'latest' ? { kind: 'latest', name } : { kind: 'stage', name, stage: suffix };
  }
  const at = parts[0].lastIndexOf('@');
  if (at !== -1) {
    const alias = parts[0].slice(at + 1);
    return alias.trim() === '' ? undefined : { kind: 'alias', name: parts[0].slice(0, at), alias };
  }
  return { kind: 'logged model', modelId: parts[0] };
}

/** A path on this machine: no scheme, or `file:` on no host or localhost. */
export function isLocalUri(uri: string): boolean {
  const { scheme, authority } = splitUri(uri);
  return scheme === '' || (scheme === 'file' && (authority === '' || authority === 'localhost'));
}

/** The absolute, normalised path of a local URI. */
export function localPath(uri: string): string {
  const { scheme, path } = splitUri(uri);
  return resolve(scheme === 'file' ? fileURLToPath(`file://${path}`) : uri);
}

/** Whether the local `source` is `root` or inside it. */
export function isLocalPathWithin(source: string, root: string): boolean {
  const inner = localPath(source);
  const outer = localPath(root);
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

function decodeFully(part: string): string {
  let value = part;
  for (;;) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      return value;
    }
    if (decoded === value) {
      return value;
    }
    value = decoded;
  }
}

function normalisedParts(uri: string): { scheme: string; authority: string; parts: string[] } {
  const { scheme, authority, path } = splitUri(uri);
  return {
    scheme,
    authority: authority.toLowerCase(),
    parts: path
      .split('/')
      .filter((part) => part !== '')
      .map(decodeFully),
  };
}

/** Whether `source` is `root` or below it: same scheme and authority, and root's path segments (decoded) lead source's. */
export function isUriWithinRoot(source: string, root: string): boolean {
  const inner = normalisedParts(source);
  const outer = normalisedParts(root);
  return (
    inner.scheme === outer.scheme &&
    inner.authority === outer.authority &&
    outer.parts.length > 0 &&
    outer.parts.every((part, index) => inner.parts[index] === part)
  );
}

const ARTIFACT_ROUTE = ['api', '2.0', 'mlflow-artifacts', 'artifacts'];

/** An address served by the artifact proxy: `mlflow-artifacts:` or an http(s) URL through its route. */
export function isArtifactProxySource(source: string): boolean {
  const { scheme, parts } = normalisedParts(source);
  if (scheme === 'mlflow-artifacts') {
    return true;
  }
  return (
    (scheme === 'http' || scheme === 'https') &&
    parts.some((_, start) => ARTIFACT_ROUTE.every((segment, offset) => parts[start + offset] === segment))
  );
}
