// Scratch projects for the e2e tests: the packed tarball (dist/*.tgz, from
// `npm run build`) installed as a user would, in temporary directories removed after.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist');
const made = [];

export const tarball = () => {
  const t = readdirSync(dist).find((f) => f.endsWith('.tgz'));
  assert.ok(t, 'npm run build has packed dist/*.tgz');
  return join(dist, t);
};

/** A temporary directory, removed by cleanupScratch(). */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `mrp-${prefix}-`));
  made.push(dir);
  return dir;
}

/** A scratch project with the tarball installed (no registry needed: it has no
 * dependencies, and its one peer dependency, tus-js-client, is optional). */
export function scratch(name) {
  const dir = tempDir(name);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `scratch-${name}`, private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball()], { cwd: dir, stdio: 'ignore' });
  return dir;
}

export function cleanupScratch() {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
