import type { PathBound } from './artifact.repository.js';
import { folderEnd } from './artifact.repository.js';

/** One entry of a listing: a file (an artifact row) or a folder (`name/`, relative to nothing: the full key prefix). */
export type ListingEntry<Row> = { kind: 'file'; row: Row } | { kind: 'folder'; folder: string };

export interface ListingPage<Row> {
  entries: ListingEntry<Row>[];
  /** Where the next page starts, if there is one. */
  next?: PathBound;
}

/** Reads up to `limit` rows in key order starting at `from`. */
export type RowSource<Row> = (from: PathBound, limit: number) => Promise<Row[]>;

/**
 * One page of a run's artifacts whose keys start with `prefix`, in key order. Without a
 * delimiter every such key is a file entry. With delimiter `/`, keys with a further `/` after
 * the prefix are grouped into one folder entry each (`prefix…/`), as S3's ListObjectsV2 does,
 * and the walk seeks past each folder rather than reading its contents, so a page costs one
 * query per batch of rows plus one per large folder.
 *
 * Keys sort bytewise in the database; keys starting with `prefix` form one contiguous range from
 * `prefix` on, so the walk stops at the first key outside it.
 */
export async function listingPage<Row extends { path: string }>(
  source: RowSource<Row>,
  options: { prefix: string; delimiter?: '/'; start?: PathBound; limit: number },
): Promise<ListingPage<Row>> {
  const { prefix, delimiter, limit } = options;
  const entries: ListingEntry<Row>[] = [];
  const bounds: PathBound[] = [];
  let from: PathBound = options.start ?? { path: prefix, inclusive: true };
  let skipInside: string | undefined;
  const batch = limit + 1;

  let previous: PathBound | undefined;
  walk: for (;;) {
    if (previous && previous.path === from.path && previous.inclusive === from.inclusive) {
      throw new Error(`artifact listing made no progress at ${JSON.stringify(from)}`);
    }
    previous = from;
    const rows = await source(from, batch);
    for (const row of rows) {
      if (skipInside !== undefined && row.path.startsWith(skipInside)) {
        continue;
      }
      if (!row.path.startsWith(prefix)) {
        break walk;
      }
      const slash = delimiter ? row.path.indexOf(delimiter, prefix.length) : -1;
      if (slash < 0) {
        entries.push({ kind: 'file', row });
        from = { path: row.path, inclusive: false };
      } else {
        const folder = row.path.slice(0, slash + 1);
        entries.push({ kind: 'folder', folder });
        skipInside = folder;
        from = { path: folderEnd(folder), inclusive: true };
      }
      bounds.push(from);
      if (entries.length > limit) {
        break walk;
      }
    }
    if (rows.length < batch) {
      break;
    }
    // Every row of the batch was taken or lies in the last folder: `from` is already past them.
  }

  if (entries.length > limit) {
    return { entries: entries.slice(0, limit), next: bounds[limit - 1] };
  }
  return { entries };
}
