export const MAX_ARTIFACT_KEY_LENGTH = 1024;

/** Whether `text` holds a C0 control (NUL included), DEL or a C1 control. */
export function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    // C0 controls, DEL and the C1 controls (U+0080–U+009F).
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      return true;
    }
  }
  return false;
}

/**
 * Why `key` cannot name an artifact, or undefined if it can. A key is a relative path inside
 * the run's folder: `/` separates folders; `..`, `.`, empty segments, absolute paths,
 * backslashes, NUL and other control characters are refused so a key can never escape.
 */
export function artifactKeyProblem(key: string): string | undefined {
  if (key.length === 0) {
    return 'must not be empty';
  }
  if (key.length > MAX_ARTIFACT_KEY_LENGTH) {
    return `must be at most ${MAX_ARTIFACT_KEY_LENGTH} characters`;
  }
  if (hasControlCharacter(key)) {
    return 'must not contain NUL or control characters';
  }
  if (key.includes('\\')) {
    return 'must not contain backslashes; use / between folders';
  }
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) {
    return 'must be a relative path';
  }
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'must not contain empty, "." or ".." segments';
  }
  return undefined;
}

/**
 * The key an artifact path of MLflow's API names ('' for the run's artifact root), or undefined
 * when the path is refused. MLflow's server checks these paths with `validate_path_is_safe` and
 * then joins them onto a folder, so the operating system's path rules decide what they mean;
 * this is the same meaning, spelled out.
 *
 * Accepted, and normalised as MLflow's local-disk store normalises them:
 * - `.` segments and empty segments: `.`, `./`, `./a`, `a/./b`, `a//b` and `a/` mean the root,
 *   `a`, `a/b` and `a` (MLflow's clients send `.` for "the whole run", e.g.
 *   `download_artifacts(artifact_path=".")`, and join paths that end in `/`).
 * - Anything else a key may hold: spaces, `#`, `%`, `:` after the first segment, Unicode.
 *   (MLflow refuses `#` and decodes `%xx` again because it re-reads the path as a URL; this
 *   server never does, so `#` and `%2e%2e` are plain characters of a name, and safe.)
 *
 * Refused, as by MLflow or because they are unsafe here:
 * - a `..` segment anywhere, even one that would stay inside (`a/../b`): MLflow refuses these too;
 * - an absolute path (`/x`) and a drive prefix (`C:x`, `C:/x`): they escape the folder they are
 *   joined to (a drive prefix does on Windows, where MLflow refuses it; on a Windows client, a
 *   download of such a key would leave the destination folder);
 * - a backslash: on Windows it separates folders, so `a\..\..\x` escapes a Windows client's
 *   download folder (MLflow on Windows refuses it; on Linux it would keep it as a character);
 * - NUL and other control characters: no file system takes NUL, and they corrupt headers and
 *   logs (MLflow does not keep them either: it rewrites them as `%xx`, a different name);
 * - a key longer than MAX_ARTIFACT_KEY_LENGTH (this server's limit for every key).
 */
export function mlflowArtifactKey(artifactPath: string): string | undefined {
  if (hasControlCharacter(artifactPath) || artifactPath.includes('\\') || artifactPath.startsWith('/')) {
    return undefined;
  }
  const segments = artifactPath.split('/');
  if (segments.includes('..')) {
    return undefined;
  }
  const key = segments.filter((segment) => segment !== '' && segment !== '.').join('/');
  return key === '' || artifactKeyProblem(key) === undefined ? key : undefined;
}

/** Whether an MLflow artifact path names a folder by its form (`a/`, `a/.`, `.`, or nothing). */
export function namesFolder(artifactPath: string): boolean {
  const last = artifactPath.split('/').pop() ?? '';
  return last === '' || last === '.';
}
