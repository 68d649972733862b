import path from 'node:path';

import express, { type NextFunction, type Request, type Response } from 'express';

import { projectRoot } from './project-root';

/** The moderation console's static files: plain ES modules and one stylesheet, no build step. */
export const CONSOLE_DIR = path.join(projectRoot(), 'server', 'console');

/** No inline script or style; the socket's websocket is same-origin, which `connect-src 'self'` covers. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** The moderation console at `/console` (mount it there): the page, its modules and its stylesheet. */
export function consoleRouter(): express.Router {
  const router = express.Router();
  router.use(securityHeaders);
  router.get('/', (_req, res) => {
    res.sendFile(path.join(CONSOLE_DIR, 'index.html'), { headers: { 'Cache-Control': 'no-cache' } });
  });
  router.use(staticFiles(CONSOLE_DIR));
  return router;
}

/** A folder of page files. Not fingerprinted: browsers keep them but revalidate (ETag), so a deploy shows at once. */
export function staticFiles(dir: string): express.Handler {
  return express.static(dir, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders: (res) => res.set('Cache-Control', 'no-cache'),
  });
}

/** The headers of every page file: the strict CSP, no sniffing, no referrer. */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  next();
}
