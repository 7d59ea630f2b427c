import { listingPage, RowSource } from './artifact-listing.js';
import type { PathBound } from './artifact.repository.js';

/** An in-memory table sorted bytewise, answering like ArtifactRepository.listFrom, counting its queries. */
function table(keys: string[]): { source: RowSource<{ path: string }>; queries: PathBound[] } {
  const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const queries: PathBound[] = [];
  const source: RowSource<{ path: string }> = (from, limit) => {
    queries.push(from);
    const after = (path: string) => {
      const order = Buffer.compare(Buffer.from(path), Buffer.from(from.path));
      return from.inclusive ? order >= 0 : order > 0;
    };
    return Promise.resolve(
      sorted
        .filter(after)
        .slice(0, limit)
        .map((path) => ({ path })),
    );
  };
  return { source, queries };
}

function shown(entries: Awaited<ReturnType<typeof listingPage>>['entries']): string[] {
  return entries.map((entry) => (entry.kind === 'file' ? entry.row.path : entry.folder));
}

async function walkAll(
  keys: string[],
  options: { prefix: string; delimiter?: '/'; limit: number },
): Promise<{ pages: string[][]; queries: number }> {
  const { source, queries } = table(keys);
  const pages: string[][] = [];
  let start: PathBound | undefined;
  do {
    const page = await listingPage(source, { ...options, start });
    pages.push(shown(page.entries));
    start = page.next;
  } while (start && pages.length < 100);
  return { pages, queries: queries.length };
}

describe('listingPage', () => {
  const keys = ['a.txt', 'ckpt/e1/model.bin', 'ckpt/e1/opt.bin', 'ckpt/e2/model.bin', 'ckpt/readme.md', 'ckpt2.txt', 'logs/x.log'];

  it('lists every key under the prefix without a delimiter, stopping at the first key outside it', async () => {
    const { source } = table(keys);
    const page = await listingPage(source, { prefix: 'ckpt/', limit: 100 });
    expect(shown(page.entries)).toEqual(['ckpt/e1/model.bin', 'ckpt/e1/opt.bin', 'ckpt/e2/model.bin', 'ckpt/readme.md']);
    expect(page.next).toBeUndefined();
  });

  it('groups deeper keys into folders with the delimiter', async () => {
    const { source } = table(keys);
    expect(shown((await listingPage(source, { prefix: '', delimiter: '/', limit: 100 })).entries)).toEqual([
      'a.txt',
      'ckpt/',
      'ckpt2.txt',
      'logs/',
    ]);
    expect(shown((await listingPage(source, { prefix: 'ckpt/', delimiter: '/', limit: 100 })).entries)).toEqual([
      'ckpt/e1/',
      'ckpt/e2/',
      'ckpt/readme.md',
    ]);
  });

  it('pages one entry at a time, never repeating or skipping an entry', async () => {
    const { pages } = await walkAll(keys, { prefix: '', delimiter: '/', limit: 1 });
    expect(pages).toEqual([['a.txt'], ['ckpt/'], ['ckpt2.txt'], ['logs/']]);
  });

  it('ends a page exactly at the limit, with no empty last page when the entries run out', async () => {
    const { pages } = await walkAll(keys, { prefix: 'ckpt', limit: 5 });
    expect(pages).toEqual([['ckpt/e1/model.bin', 'ckpt/e1/opt.bin', 'ckpt/e2/model.bin', 'ckpt/readme.md', 'ckpt2.txt']]);
  });

  it('seeks past a large folder instead of reading it: the number of queries does not grow with its size', async () => {
    const big = Array.from({ length: 5000 }, (_unused, index) => `big/${String(index).padStart(5, '0')}.bin`);
    const { pages, queries } = await walkAll(['a.bin', ...big, 'c.bin'], { prefix: '', delimiter: '/', limit: 10 });
    expect(pages).toEqual([['a.bin', 'big/', 'c.bin']]);
    expect(queries).toBeLessThanOrEqual(3);
  });

  it('treats a folder whose name sorts around "/" correctly (a-b, a/, a0)', async () => {
    const { pages } = await walkAll(['a-b', 'a/x', 'a/y/z', 'a0', 'a.txt'], { prefix: '', delimiter: '/', limit: 2 });
    expect(pages.flat()).toEqual(['a-b', 'a.txt', 'a/', 'a0']);
  });

  it('lists nothing for a prefix no key has', async () => {
    const { source } = table(keys);
    const page = await listingPage(source, { prefix: 'zzz/', delimiter: '/', limit: 10 });
    expect(page.entries).toEqual([]);
    expect(page.next).toBeUndefined();
  });
});
