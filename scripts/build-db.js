#!/usr/bin/env node
// Builds the embedded database (FerretDB + SQLite, see embedded-db/) with the
// machine's Go into .stoa-db/, which git ignores. Without Go this only warns:
// a deployment that sets MONGODB_URI needs no embedded database.
//
// FerretDB is built from a copy of its pinned module with embedded-db/patches/
// applied (embedded-db/.patched/, which git ignores), so the committed go.mod
// stays the plain upstream requirement.
//
//   node scripts/build-db.js [--output FILE] [--test]
//
// --test also runs the Go tests of the packages the patches change.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const moduleDir = path.join(root, 'embedded-db');
const patchesDir = path.join(moduleDir, 'patches');
const workDir = path.join(moduleDir, '.patched');
const sourceDir = path.join(workDir, 'ferretdb');
const modFile = path.join(workDir, 'go.mod');
const FERRETDB = 'github.com/FerretDB/FerretDB';

const args = process.argv.slice(2);
const outputArg = args.indexOf('--output');
const output = outputArg >= 0 ? path.resolve(args[outputArg + 1]) : path.join(root, '.stoa-db', 'stoa-db');
const runTests = args.includes('--test');

const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  console.warn(
    'stoa: Go is not installed, so the embedded database was not built; install Go 1.24+ and run `npm run build:db`, or set MONGODB_URI.',
  );
  process.exit(0);
}

console.log(`stoa: building the embedded database with ${probe.stdout.trim()}`);
preparePatchedSource();
run('go', ['build', '-trimpath', `-modfile=${modFile}`, '-o', output, '.'], 'building the embedded database');
console.log(
  `stoa: embedded database built at ${output.startsWith(root + path.sep) ? path.relative(root, output) : output}`,
);

if (runTests) {
  // FerretDB's own tests refuse to start without the version file its release build generates.
  fs.writeFileSync(path.join(sourceDir, 'build', 'version', 'version.txt'), `${version()}\n`);
  const patched = [
    'internal/backends/sqlite/...',
    'internal/handler',
    'internal/handler/sjson/...',
    'internal/handler/common/...',
    'internal/util/resource/...',
  ];
  run(
    'go',
    ['test', `-modfile=${modFile}`, '-count=1', ...patched.map((pkg) => `${FERRETDB}/${pkg}`)],
    'testing the patched FerretDB',
  );
}

/** Copies the pinned FerretDB module, applies the patches, and writes a go.mod that replaces the module by that copy. */
function preparePatchedSource() {
  const { Dir: pristine } = pinnedModule();

  removeTree(workDir);
  fs.cpSync(pristine, sourceDir, { recursive: true });
  makeWritable(sourceDir); // the module cache is read-only

  for (const patch of fs
    .readdirSync(patchesDir)
    .filter((name) => name.endsWith('.patch'))
    .sort()) {
    // The ceiling keeps git from treating the copy as part of Stoa's repository: paths are relative to the copy.
    run(
      'git',
      ['apply', '--whitespace=nowarn', path.join(patchesDir, patch)],
      `applying ${patch} to FerretDB ${version()}`,
      {
        cwd: sourceDir,
        env: { ...process.env, GIT_CEILING_DIRECTORIES: workDir },
      },
    );
  }

  const goMod = fs.readFileSync(path.join(moduleDir, 'go.mod'), 'utf8');
  fs.writeFileSync(modFile, `${goMod}\nreplace ${FERRETDB} ${version()} => ${sourceDir}\n`);
  fs.copyFileSync(path.join(moduleDir, 'go.sum'), path.join(workDir, 'go.sum'));
}

/** The FerretDB module that go.mod pins: its version and its directory in the module cache. */
function pinnedModule() {
  pinnedModule.cached ??= JSON.parse(
    run('go', ['mod', 'download', '-json', FERRETDB], 'downloading FerretDB', { capture: true }),
  );
  return pinnedModule.cached;
}

function version() {
  return pinnedModule().Version;
}

function run(command, argv, what, options = {}) {
  const res = spawnSync(command, argv, {
    cwd: options.cwd ?? moduleDir,
    env: options.env ?? process.env,
    encoding: 'utf8',
    stdio: options.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
  });
  if (res.error || res.status !== 0) {
    console.error(`stoa: ${what} failed${res.error ? `: ${res.error.message}` : ' (see the output above)'}.`);
    process.exit(res.status || 1);
  }
  return res.stdout;
}

function removeTree(dir) {
  if (!fs.existsSync(dir)) return;
  makeWritable(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

function makeWritable(dir) {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(file);
    else if (entry.isFile()) fs.chmodSync(file, 0o644);
  }
}
