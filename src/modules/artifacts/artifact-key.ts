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
