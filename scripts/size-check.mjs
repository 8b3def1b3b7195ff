#!/usr/bin/env node
// `npm test`'s size guard: each module of the shipped library (built by
// scripts/package.mjs into dist/), gzip -9, against its line in size-budget.json. Sizes
// are deterministic for a given toolchain, so this is not a timing test. Exit 1 if a
// module is over its budget or missing.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { modules } = JSON.parse(readFileSync(join(root, 'size-budget.json'), 'utf8'));

const filesOf = (dir) => {
  const files = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/(\.wasm|\.js)$/.test(f)) files.push(p);
    }
  };
  walk(dir);
  return files.sort();
};

let ok = true;
let all = 0;
for (const [name, { dir, gzipBytes }] of Object.entries(modules)) {
  const abs = join(root, dir);
  const files = existsSync(abs) ? filesOf(abs) : [];
  if (!files.some((f) => f.endsWith('.wasm'))) {
    console.error(`size: ${name}: no .wasm in ${dir}: run node scripts/package.mjs first`);
    ok = false;
    continue;
  }
  let total = 0;
  for (const f of files) {
    const gz = gzipSync(readFileSync(f), { level: 9 }).length;
    total += gz;
    console.log(`size: ${name}: ${f.slice(root.length + 1)}: ${gz} B gzip -9`);
  }
  all += total;
  const within = total <= gzipBytes;
  ok &&= within;
  console.log(`size: ${name}: ${total} B gzip -9, budget ${gzipBytes} B: ${within ? 'within' : 'OVER'}`);
}
console.log(`size: every module together ${all} B gzip -9`);
process.exit(ok ? 0 : 1);
