#!/usr/bin/env node
// Builds the embedded database (FerretDB + SQLite, see embedded-db/) with the
// machine's Go into .stoa-db/, which git ignores. Without Go this only warns:
// a deployment that sets MONGODB_URI needs no embedded database.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const output = path.join(root, '.stoa-db', 'stoa-db');

const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  console.warn('stoa: Go is not installed, so the embedded database was not built; install Go 1.24+ and run `npm run build:db`, or set MONGODB_URI.');
  process.exit(0);
}

console.log(`stoa: building the embedded database with ${probe.stdout.trim()}`);
const build = spawnSync('go', ['build', '-trimpath', '-o', output, '.'], {
  cwd: path.join(root, 'embedded-db'),
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('stoa: building the embedded database failed (see the Go output above).');
  process.exit(build.status ?? 1);
}
console.log(`stoa: embedded database built at ${path.relative(root, output)}`);
