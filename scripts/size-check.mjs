#!/usr/bin/env node
// `npm test`'s size guard: the shipped library (dist/web, built by scripts/package.mjs),
// gzip -9, against the budget in size-budget.json. Sizes are deterministic for a given
// toolchain, so this is not a timing test. Exit 1 over budget.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'dist', 'web');
const budget = JSON.parse(readFileSync(join(root, 'size-budget.json'), 'utf8')).gzipBytes;

const files = [];
const walk = (dir) => {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (/(\.wasm|\.js)$/.test(f)) files.push(p);
  }
};
walk(web);
if (!files.some((f) => f.endsWith('.wasm'))) {
  console.error(`size: no .wasm in ${web}: run node scripts/package.mjs first`);
  process.exit(1);
}
let total = 0;
for (const f of files.sort()) {
  const gz = gzipSync(readFileSync(f), { level: 9 }).length;
  total += gz;
  console.log(`size: ${f.slice(root.length + 1)}: ${gz} B gzip -9`);
}
const verdict = total <= budget ? 'within' : 'OVER';
console.log(`size: total ${total} B gzip -9, budget ${budget} B (size-budget.json): ${verdict}`);
process.exit(total <= budget ? 0 : 1);
