/** What the artifact browser can preview, from the file name first and the stored type second. */
export type PreviewKind = 'image' | 'json' | 'csv' | 'text' | 'none';

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
};
const TEXT_EXTENSIONS = new Set([
  'txt',
  'log',
  'md',
  'markdown',
  'rst',
  'yaml',
  'yml',
  'toml',
  'ini',
  'cfg',
  'conf',
  'py',
  'sh',
  'js',
  'ts',
  'html',
  'xml',
  'tsv',
  'out',
  'err',
  'jsonl',
  'ndjson',
  'properties',
  'env',
  'requirements',
  'mlmodel',
  'MLmodel',
]);

export function extensionOf(key: string): string {
  const name = baseName(key);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? name : name.slice(dot + 1).toLowerCase();
}

/** The last path segment of a key or folder ("a/b/" → "b"). */
export function baseName(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export function previewKind(key: string, contentType: string): PreviewKind {
  const extension = extensionOf(key);
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (extension in IMAGE_TYPES || /^image\/(png|jpeg|gif|webp|svg\+xml)$/.test(type)) {
    return 'image';
  }
  if (extension === 'json' || type === 'application/json') {
    return 'json';
  }
  if (extension === 'csv' || type === 'text/csv') {
    return 'csv';
  }
  if (TEXT_EXTENSIONS.has(extension) || type.startsWith('text/') || /\+(json|xml)$|yaml|toml|javascript/.test(type)) {
    return 'text';
  }
  return 'none';
}

/** The type an image blob must carry for <img> to show it (a stored octet-stream PNG still renders). */
export function imageType(key: string, contentType: string): string {
  return IMAGE_TYPES[extensionOf(key)] ?? contentType;
}

/** Breadcrumbs of a folder prefix: "a/b/" → root, "a/", "a/b/". */
export function folderTrail(prefix: string): { label: string; prefix: string }[] {
  const trail = [{ label: 'artifacts', prefix: '' }];
  let path = '';
  for (const part of prefix.split('/').filter((segment) => segment.length > 0)) {
    path += `${part}/`;
    trail.push({ label: part, prefix: path });
  }
  return trail;
}

/** Text previews read at most this much (a ranged request), so a 2 GiB log opens instantly. */
export const TEXT_PREVIEW_BYTES = 256 * 1024;
/** JSON is pretty-printed whole up to this size; beyond, it is shown as raw text. */
export const JSON_PREVIEW_BYTES = 4 * 1024 * 1024;
/** Images larger than this are offered for download only. */
export const IMAGE_PREVIEW_BYTES = 32 * 1024 * 1024;
export const CSV_PREVIEW_ROWS = 100;
