// The upload workload's server side (issue 15): a real tus server (@tus/server with
// @tus/file-store, files in a temporary directory in memory where possible) answering under /files on the bench
// page's own origin, with a switch that takes it "down" (every request's connection
// reset, as when the network goes away) and a log of the PATCHes it completed.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

export function tusServer() {
  // In memory (/dev/shm) where there is one: the workload measures the clients, and a
  // disk's write-back of gigabytes of uploads would time the disk instead.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'mrp-bench-tus-'));
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
  const ctl = {
    down: false,
    /** performance time (ms, Date.now()) of each PATCH answered 204. */
    patches: [],
    /** Handles `req` if it is a tus request; returns whether it did. */
    handle(req, res) {
      if (!req.url.startsWith('/files')) return false;
      if (ctl.down) {
        req.socket.destroy();
        return true;
      }
      if (req.method === 'PATCH') res.on('finish', () => { if (res.statusCode === 204) ctl.patches.push(Date.now()); });
      tus.handle(req, res);
      return true;
    },
    /** Deletes the uploads stored so far. */
    clear() {
      for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
    },
    close() { rmSync(dir, { recursive: true, force: true }); },
  };
  return ctl;
}

/** bench/pkg/upload.js: the shipped tus sink (js/tus.js) and tus-js-client, one module. */
export async function bundleUpload(root, outFile) {
  await build({
    stdin: { contents: "export { tusSink } from './js/tus.js';\nexport { Upload } from 'tus-js-client';\n", resolveDir: root, loader: 'js' },
    bundle: true, format: 'esm', outfile: outFile, logLevel: 'error',
    alias: { 'tus-js-client': join(root, 'node_modules/tus-js-client/lib.esm/browser/index.js') },
  });
}
