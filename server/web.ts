import path from 'node:path';

import express, { type NextFunction, type Request, type Response } from 'express';

import { CONSOLE_CSP } from './console';
import { projectRoot } from './project-root';

/** The web app's static files: plain ES modules and one stylesheet, no build step (as the console's). */
export const WEB_DIR = path.join(projectRoot(), 'server', 'web');

/**
 * The reference web app (mount it at `/`): the page at `/` and its modules and stylesheet under `/app/`,
 * with the console's strict Content-Security-Policy. Anything else falls through to the API's 404.
 */
export function webRouter(): express.Router {
  const router = express.Router();
  router.get('/', securityHeaders, (_req, res) => {
    res.sendFile(path.join(WEB_DIR, 'index.html'), { headers: { 'Cache-Control': 'no-cache' } });
  });
  router.use(
    '/app',
    securityHeaders,
    // Not fingerprinted: browsers keep the files but revalidate (ETag), so a deploy shows at once.
    express.static(WEB_DIR, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (res) => res.set('Cache-Control', 'no-cache'),
    }),
  );
  return router;
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  next();
}
