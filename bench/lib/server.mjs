// A tiny static server for bench/: cross-origin isolated (COOP/COEP), so the page gets
// 5 µs timers and performance.measureUserAgentSpecificMemory(); plus the input recording
// served from memory at /input.json and /input.bin; and POSTs to /upload/<name> written to
// files when asked for (the seekable workload sends its outputs back for ffprobe). While
// `log` is an array, every request is appended to it (the load workload's network log).
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.webm': 'video/webm',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Serves `root` on 127.0.0.1 (a free port). `memory` maps URL paths to Buffers/strings.
 * `uploads`, a Map of URL path → file path, says where a POST to that path is written.
 * `extra(req, res)` may answer a request first (returning true). */
export async function serve(root, memory = new Map(), uploads = new Map(), extra = () => false) {
  const api = { log: null };
  const server = createServer(async (req, res) => {
    if (api.log) {
      const entry = { t: Date.now(), method: req.method, path: decodeURIComponent(new URL(req.url, 'http://x').pathname), status: null };
      api.log.push(entry);
      res.on('finish', () => { entry.status = res.statusCode; });
    }
    // Another handler first (the upload workload's tus server); it says if it answered.
    if (extra(req, res)) return;
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const send = (status, body, type) => {
      res.writeHead(status, { ...ISOLATION, 'Content-Type': type });
      res.end(body);
    };
    if (req.method === 'POST') {
      if (!uploads.has(path)) return send(404, 'not found', 'text/plain');
      try {
        await pipeline(req, createWriteStream(uploads.get(path)));
        return send(204, '', 'text/plain');
      } catch (e) {
        return send(500, String(e), 'text/plain');
      }
    }
    if (memory.has(path)) return send(200, memory.get(path), TYPES[extname(path)] || 'application/octet-stream');
    const file = normalize(join(root, path === '/' ? 'page.html' : path));
    if (file !== root && !file.startsWith(root + sep)) return send(403, 'forbidden', 'text/plain');
    try {
      send(200, await readFile(file), TYPES[extname(file)] || 'application/octet-stream');
    } catch {
      send(404, 'not found', 'text/plain');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(api, { url: `http://127.0.0.1:${server.address().port}/`, memory, uploads, close: () => new Promise((r) => server.close(r)) });
}
