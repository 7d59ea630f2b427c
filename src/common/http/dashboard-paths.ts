/** A built bundle: one file name of letters, digits, `-`, `_` and dots, never `..`. */
const ASSET_FILE = /^\/assets\/(?!.*\.\.)[A-Za-z0-9._-]+$/;

/**
 * The web dashboard's own files (index.html, the favicon and the hashed bundles under /assets/):
 * public, since the page itself asks for the API key; everything else under / is the API's.
 */
export function isDashboardPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/index.html' || pathname === '/favicon.svg' || ASSET_FILE.test(pathname);
}
