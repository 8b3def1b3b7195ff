// `npm run build`: one npm package, a core module and feature modules loaded on first use.
//   media-recorder-producer       → index.js: the core module (wasm-pack's `web` build of
//                                   the crate with feature `shell`), initialised on import
//                                   (a top-level await), for bundlers (webpack 5, Vite: just
//                                   import it; the glue's `new URL(wasm, import.meta.url)`
//                                   is theirs to emit) and plain ES modules alike; it
//                                   registers the feature modules' loaders
//   media-recorder-producer/web   → web.js: the same without the top-level await (call
//                                   init() yourself, e.g. with your own URL or bytes)
//   keep/                         → the module for recordings users keep (replay
//                                   indexes, seekable output, makeSeekable, OPFS): the
//                                   crate with feature `keep`, a wasm-bindgen `web` build
//                                   of its own, fetched when first needed
//   codecs/                       → the WebCodecs engine's module: js/codecs.js and its
//                                   muxer, codecs.wasm (the crate with feature `mux-abi`
//                                   alone: plain exports, no wasm-bindgen), fetched with
//                                   import() when a stream first chooses that engine
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
for (const target of ['web']) {
  // The core module: the shell, without the browser tests' linked codecs module. A
  // release ships without console_error_panic_hook (a default feature, for dev and test
  // builds): in release a panic traps, and the lints keep panics unreachable.
  const features = ['--', '--no-default-features', '--features', profile === '--release' ? 'shell' : 'shell,console_error_panic_hook'];
  execFileSync('wasm-pack', ['build', profile, '--target', target, '--out-dir', join(dist, target), '--out-name', 'media_recorder_producer', ...features], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
  });
  // wasm-pack writes a package.json, README and .gitignore per target: one package here.
  // (snippets/ holds the library's inline JS modules, imported by the glue.)
  for (const f of readdirSync(join(dist, target))) {
    if (f !== 'snippets' && !/\.(js|wasm|d\.ts)$/.test(f)) rmSync(join(dist, target, f), { recursive: true, force: true });
  }
}

// The keep module: wasm-pack again, feature `keep` alone, in a target directory of its
// own (the core's build is not redone). Only its JS, wasm and snippets ship (its .d.ts
// describe internals).
{
  const out = join(dist, 'keep');
  const features = ['--', '--no-default-features', '--features', profile === '--release' ? 'keep' : 'keep,console_error_panic_hook'];
  execFileSync('wasm-pack', ['build', profile, '--target', 'web', '--out-dir', out, '--out-name', 'keep', ...features], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CARGO_TARGET_DIR: join(root, 'target', 'keep') },
  });
  for (const f of readdirSync(out)) {
    if (f !== 'snippets' && !/\.(js|wasm)$/.test(f)) rmSync(join(out, f), { recursive: true, force: true });
  }
}

// The codecs module: its muxer (no wasm-bindgen: cargo and wasm-opt alone, in a target
// directory of its own so that the core's build is not redone) and its JS.
{
  const out = join(dist, 'codecs');
  mkdirSync(out, { recursive: true });
  const release = profile === '--release';
  execFileSync('cargo', ['build', '--lib', '--target', 'wasm32-unknown-unknown', ...(release ? ['--release'] : []),
    '--no-default-features', '--features', 'mux-abi', '--target-dir', join(root, 'target', 'mux')], {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
  });
  const built = join(root, 'target', 'mux', 'wasm32-unknown-unknown', release ? 'release' : 'debug', 'media_recorder_producer.wasm');
  if (release) {
    execFileSync('wasm-opt', ['-Oz', '--converge', '--low-memory-unused', '--strip-debug', '--strip-producers', built, '-o', join(out, 'codecs.wasm')], {
      cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
    });
  } else {
    cpSync(built, join(out, 'codecs.wasm'));
  }
  cpSync(join(root, 'js', 'codecs.js'), join(out, 'codecs.js'));
}

// A release ships its JS minified (esbuild: whitespace, syntax, local names; exports,
// globals and property names stay), the glue, the snippets and the codecs module alike.
// The sources and the .d.ts keep their comments. (codecs.js starts its Worker from a
// function's own source: a minified function is still a whole function.)
if (profile === '--release') {
  {
    const { transformSync } = await import('esbuild');
    const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]);
    // Test hooks (between `// <test-hook>` and `// </test-hook>` lines) are for the
    // browser tests, which run the sources: the package leaves them out.
    const hooks = /^[ \t]*\/\/ <test-hook>[^\n]*\n[\s\S]*?^[ \t]*\/\/ <\/test-hook>[^\n]*\n/gm;
    for (const f of ['web', 'keep', 'codecs'].flatMap((d) => walk(join(dist, d))).filter((f) => f.endsWith('.js') && !f.endsWith('.d.js'))) {
      const source = readFileSync(f, 'utf8').replace(hooks, '');
      if (source.includes('test-hook')) throw new Error(`${f}: an unmatched test-hook marker`);
      const { code } = transformSync(source, { minify: true, format: 'esm', target: 'es2022' });
      writeFileSync(f, code);
    }
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
  main: './index.js',
  module: './index.js',
  types: './index.d.ts',
  exports: {
    '.': {
      types: './index.d.ts',
      default: './index.js',
    },
    './web': {
      types: './web.d.ts',
      default: './web.js',
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
  files: ['index.js', 'index.d.ts', 'web.js', 'web.d.ts', 'tus.js', 'tus.d.ts', 'websocket.js', 'websocket.d.ts', 'web/*.js', 'web/*.wasm', 'web/*.d.ts', 'web/snippets/**/*.js', 'keep/*.js', 'keep/*.wasm', 'keep/snippets/**/*.js', 'codecs/codecs.js', 'codecs/codecs.wasm'],
  // The main entry instantiates the wasm module on import.
  sideEffects: ['./index.js', './web.js'],
};
writeFileSync(join(dist, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
for (const f of ['index.js', 'index.d.ts', 'web.js', 'web.d.ts', 'tus.js', 'tus.d.ts', 'websocket.js', 'websocket.d.ts']) cpSync(join(root, 'js', f), join(dist, f));
cpSync(join(root, 'README.md'), join(dist, 'README.md'));
cpSync(join(root, 'LICENSE'), join(dist, 'LICENSE'));
mkdirSync(dist, { recursive: true });
const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dist], { cwd: dist, encoding: 'utf8' }).trim();
console.log(`packed ${join(dist, out.split('\n').pop())}`);
