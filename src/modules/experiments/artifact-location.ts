import path from 'node:path';

const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** `relative` joined onto the absolute `directory` as Python's pathlib joins: "." and empty segments dropped, ".." kept. */
function joinOnto(directory: string, relative: string): string {
  const segments = relative.split('/').filter((segment) => segment !== '' && segment !== '.');
  return [directory.replace(/\/+$/, ''), ...segments].join('/') || '/';
}

/**
 * An experiment's artifact location as MLflow's tracking server stores it
 * (`resolve_uri_if_local` in its SQL store): a relative local path, or a `file:` URI with a
 * relative path, is resolved against the server's working directory; anything else (an absolute
 * path, `file:///…`, `s3://…`, `mlflow-artifacts:/…`) is kept as given.
 *
 * The server never writes to such a location: MLflow clients write there themselves, so only a
 * location that means the same place to every client is useful. Resolved once, on the server, a
 * relative path names one folder (on the server's machine, or on a file system it shares with
 * its clients), as it does with `mlflow server`; kept relative, each client would resolve it
 * against its own working directory and the run's files would be scattered. Refusing it would
 * break scripts that work against MLflow.
 */
export function resolveArtifactLocation(location: string, workingDirectory: string): string {
  const scheme = URI_SCHEME.exec(location)?.[1];
  if (scheme === undefined) {
    return path.posix.isAbsolute(location) ? location : joinOnto(workingDirectory, location);
  }
  if (scheme.toLowerCase() !== 'file') {
    return location;
  }
  const rest = location.slice(scheme.length + 1);
  if (rest.startsWith('/')) {
    return location;
  }
  const suffixAt = rest.search(/[?#]/);
  const relative = suffixAt < 0 ? rest : rest.slice(0, suffixAt);
  const suffix = suffixAt < 0 ? '' : rest.slice(suffixAt);
  return `file://${joinOnto(workingDirectory, relative)}${suffix}`;
}
