// `npm run build`: one npm package with both wasm-pack targets.
//   media-recorder-producer       → the bundler build (webpack 5, Vite: just import it)
//   media-recorder-producer/web   → the `web` build (plain <script type="module">, call init())
// Output: dist/ (the package) and dist/media-recorder-producer-<version>.tgz (npm pack).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const profile = process.argv.includes('--dev') ? '--dev' : '--release';
const cargo = readFileSync(join(root, 'Cargo.toml'), 'utf8');
const field = (k) => cargo.match(new RegExp(`^${k} = "([^"]*)"`, 'm'))?.[1];

rmSync(dist, { recursive: true, force: true });
for (const target of ['bundler', 'web']) {
  // A release build ships without console_error_panic_hook (a default feature, for dev
  // and test builds): in release a panic traps, and the lints keep panics unreachable.
  const features = profile === '--release' ? ['--', '--no-default-features'] : [];
  execFileSync('wasm-pack', ['build', profile, '--target', target, '--out-dir', join(dist, target), '--out-name', 'media_recorder_producer', ...features], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
  });
  // wasm-pack writes a package.json, README and .gitignore per target: one package here.
  // (snippets/ holds the library's inline JS modules, imported by the glue.)
  for (const f of readdirSync(join(dist, target))) {
    if (f !== 'snippets' && !/\.(js|wasm|d\.ts)$/.test(f)) rmSync(join(dist, target, f), { recursive: true, force: true });
  }
}

const pkg = {
  name: 'media-recorder-producer',
  version: field('version'),
  description: field('description'),
  license: field('license'),
  repository: { type: 'git', url: field('repository') },
  keywords: ['mediarecorder', 'getusermedia', 'webm', 'recording', 'streaming', 'webassembly', 'camera', 'screen-capture'],
  type: 'module',
  main: './bundler/media_recorder_producer.js',
  module: './bundler/media_recorder_producer.js',
  types: './bundler/media_recorder_producer.d.ts',
  exports: {
    '.': {
      types: './bundler/media_recorder_producer.d.ts',
      default: './bundler/media_recorder_producer.js',
    },
    './web': {
      types: './web/media_recorder_producer.d.ts',
      default: './web/media_recorder_producer.js',
    },
    // The upload sinks: plain JS modules beside the wasm (no bytes in it).
    './tus': { types: './tus.d.ts', default: './tus.js' },
    './websocket': { types: './websocket.d.ts', default: './websocket.js' },
    './package.json': './package.json',
  },
  // tusSink drives tus-js-client; only apps that import "media-recorder-producer/tus"
  // need it installed.
  peerDependencies: { 'tus-js-client': '^4.3.1' },
  peerDependenciesMeta: { 'tus-js-client': { optional: true } },
  files: ['tus.js', 'tus.d.ts', 'websocket.js', 'websocket.d.ts', 'bundler/*.js', 'bundler/*.wasm', 'bundler/*.d.ts', 'bundler/snippets/**/*.js', 'web/*.js', 'web/*.wasm', 'web/*.d.ts', 'web/snippets/**/*.js'],
  // The bundler entry instantiates the wasm module on import.
  sideEffects: ['./bundler/media_recorder_producer.js'],
};
writeFileSync(join(dist, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
for (const f of ['tus.js', 'tus.d.ts', 'websocket.js', 'websocket.d.ts']) cpSync(join(root, 'js', f), join(dist, f));
cpSync(join(root, 'README.md'), join(dist, 'README.md'));
cpSync(join(root, 'LICENSE'), join(dist, 'LICENSE'));
mkdirSync(dist, { recursive: true });
const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dist], { cwd: dist, encoding: 'utf8' }).trim();
console.log(`packed ${join(dist, out.split('\n').pop())}`);
