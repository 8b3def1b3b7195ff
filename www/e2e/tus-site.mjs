// The page's origin and a tus server (@tus/server + @tus/file-store, at /files/) on one
// 127.0.0.1 port, for the e2e tests that upload; and tus-js-client as one ES module for
// their pages.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Server as TusServer } from '@tus/server';
import { FileStore } from '@tus/file-store';
import { root } from './scratch.mjs';
import { handler as staticHandler } from './static-server.mjs';

/** One origin for the page and the tus server (at /files/), on a fixed port so that
 * it can be stopped and started again. */
export function site(dir, store, tusOptions = {}) {
  const tus = new TusServer({ path: '/files', datastore: new FileStore({ directory: store }), ...tusOptions });
  const serveStatic = staticHandler(dir);
  let server = null;
  let port = 0;
  let tusDown = false;
  const start = () => new Promise((resolve) => {
    server = createServer((req, res) => {
      if (!req.url.startsWith('/files')) return serveStatic(req, res);
      // Down: the tus server unreachable (connection reset), the page's origin still up.
      if (tusDown) return req.socket.destroy();
      return tus.handle(req, res);
    });
    server.listen(port, '127.0.0.1', () => {
      port = server.address().port;
      resolve();
    });
  });
  const stop = () => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });
  return { start, stop, url: () => `http://127.0.0.1:${port}/`, setTusDown: (v) => { tusDown = v; } };
}

/** tus-js-client as one ES module in `dir` (a user would bundle it, or map it to a CDN
 * build). */
export async function buildTusClient(dir) {
  await build({
    entryPoints: [join(root, 'node_modules/tus-js-client/lib.esm/browser/index.js')],
    bundle: true, format: 'esm', outfile: join(dir, 'tus-js-client.js'), logLevel: 'error',
  });
}
