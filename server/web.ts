import path from 'node:path';

import express from 'express';

import { securityHeaders, staticFiles } from './console';
import { projectRoot } from './project-root';

/** The web app's static files: plain ES modules and one stylesheet, no build step (as the console's). */
export const WEB_DIR = path.join(projectRoot(), 'server', 'web');

/** What the app and the console share (DOM helpers, the session), served at `/ui/`. */
export const UI_DIR = path.join(projectRoot(), 'server', 'ui');

/**
 * The reference web app (mount it at `/`): the page at `/` and its modules and stylesheet under `/app/`,
 * the modules it shares with the console under `/ui/`,
 * with the console's strict Content-Security-Policy. Anything else falls through to the API's 404.
 */
export function webRouter(): express.Router {
  const router = express.Router();
  router.get('/', securityHeaders, (_req, res) => {
    res.sendFile(path.join(WEB_DIR, 'index.html'), { headers: { 'Cache-Control': 'no-cache' } });
  });
  router.use('/app', securityHeaders, staticFiles(WEB_DIR));
  router.use('/ui', securityHeaders, staticFiles(UI_DIR));
  return router;
}
