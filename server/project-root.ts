import { existsSync } from 'node:fs';
import path from 'node:path';

/** The folder holding package.json, whether this runs from server/ (tests) or from dist/server/ (npm start). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
