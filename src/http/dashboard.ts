import type { NextFunction, Request, Response } from 'express';
import expressStaticGzip from 'express-static-gzip';
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { isDashboardPath } from '../common/http/dashboard-paths.js';
import { PACKAGE_ROOT } from '../common/version.js';

/** Where `npm run build` puts the dashboard (vite, web/vite.config.ts). */
export const DASHBOARD_DIR = path.join(PACKAGE_ROOT, 'dist', 'web');

const YEAR_SECONDS = 365 * 24 * 3600;

// The page loads nothing from elsewhere (no CDN); previews of artifacts are blob: URLs it fetched itself.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * Serves the web dashboard at `/`: the hashed files under /assets/ with a year-long immutable
 * cache, index.html revalidated on every load (it names the current hashes), each as the .br or
 * .gz the build compressed beforehand when the browser accepts it (express-static-gzip).
 */
export function createDashboard(directory = DASHBOARD_DIR): (request: Request, response: Response, next: NextFunction) => void {
  const built = existsSync(path.join(directory, 'index.html'));
  const serve = expressStaticGzip(directory, {
    enableBrotli: true,
    orderPreference: ['br', 'gzip'],
    index: 'index.html',
    serveStatic: {
      fallthrough: true,
      redirect: false,
      setHeaders: (response: ServerResponse, file: string) => {
        const immutable = file.includes(`${path.sep}assets${path.sep}`);
        response.setHeader('Cache-Control', immutable ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache');
        response.setHeader('X-Content-Type-Options', 'nosniff');
        if (/\.html(\.br|\.gz)?$/.test(file)) {
          response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
          response.setHeader('Referrer-Policy', 'no-referrer');
        }
      },
    },
  }) as (request: Request, response: Response, next: NextFunction) => void;
  return (request, response, next) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !isDashboardPath(request.path)) {
      next();
      return;
    }
    if (!built) {
      response
        .status(404)
        .json({ error: { code: 'NOT_FOUND', message: 'the web dashboard is not built: `npm run build` builds it into dist/web' } });
      return;
    }
    serve(request, response, next);
  };
}
