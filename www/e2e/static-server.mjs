// A small static file server on 127.0.0.1 for the e2e tests (correct MIME types for
// wasm and modules; optional cross-origin isolation headers).
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** A request handler serving `dir`; each request's path goes into `log`, if given. */
export function handler(dir, { isolated = false, log = null } = {}) {
  return (req, res) => {
    if (log) log.push(new URL(req.url, 'http://x').pathname);
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dir, path);
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      statSync(file);
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    const headers = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  };
}

/** Serves `dir`; resolves to `{ url, close, requests }` (`requests`: every path asked
 * for, in order: the network log). */
export function serve(dir, options = {}) {
  const requests = [];
  const server = createServer(handler(dir, { ...options, log: requests }));
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)), requests });
    });
  });
}
