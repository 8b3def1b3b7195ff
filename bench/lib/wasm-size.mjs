// Sizes of a .wasm file: its sections, and (if the file has a "name" section) each
// function's body size by name, grouped by crate. No dependency: a small reader of the
// binary format (https://webassembly.github.io/spec/core/binary/).

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount', 'tag'];

class Reader {
  constructor(buf, pos = 0) { this.buf = buf; this.pos = pos; }
  byte() { return this.buf[this.pos++]; }
  u32() {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  name() {
    const len = this.u32();
    const s = Buffer.from(this.buf.subarray(this.pos, this.pos + len)).toString('utf8');
    this.pos += len;
    return s;
  }
  limits() {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** Sections in file order: { id, name, size, start } (size of the contents). */
export function sections(buf) {
  const r = new Reader(buf, 8);
  const out = [];
  while (r.pos < buf.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    let name = SECTION_NAMES[id] ?? `unknown-${id}`;
    if (id === 0) name = `custom:${new Reader(buf, start).name()}`;
    out.push({ id, name, size, start });
    r.pos = start + size;
  }
  return out;
}

function importedFunctions(buf, secs) {
  const s = secs.find((x) => x.id === 2);
  if (!s) return 0;
  const r = new Reader(buf, s.start);
  let funcs = 0;
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    r.name();
    r.name();
    const kind = r.byte();
    if (kind === 0) { r.u32(); funcs++; } else if (kind === 1) { r.byte(); r.limits(); } else if (kind === 2) { r.limits(); } else if (kind === 3) { r.byte(); r.byte(); } else if (kind === 4) { r.byte(); r.u32(); }
  }
  return funcs;
}

function functionNames(buf, secs) {
  const s = secs.find((x) => x.name === 'custom:name');
  const names = new Map();
  if (!s) return names;
  const r = new Reader(buf, s.start);
  r.name();
  const end = s.start + s.size;
  while (r.pos < end) {
    const id = r.byte();
    const size = r.u32();
    const next = r.pos + size;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const idx = r.u32();
        names.set(idx, r.name());
      }
    }
    r.pos = next;
  }
  return names;
}

/** Each defined function's body size (bytes, with its size prefix) and name if known. */
export function functions(buf) {
  const secs = sections(buf);
  const code = secs.find((x) => x.id === 10);
  if (!code) return [];
  const imported = importedFunctions(buf, secs);
  const names = functionNames(buf, secs);
  const r = new Reader(buf, code.start);
  const n = r.u32();
  const out = [];
  for (let i = 0; i < n; i++) {
    const before = r.pos;
    const size = r.u32();
    r.pos += size;
    const idx = imported + i;
    out.push({ index: idx, size: r.pos - before, name: names.get(idx) ?? null });
  }
  return out;
}

/** A demangled Rust symbol without its hash and crate disambiguators:
 * `core[c593…]::fmt::write::h0123…` → `core::fmt::write`. */
export function cleanName(name) {
  return name.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{16}\]/g, '');
}

/** Splits `<X as Y>::rest` (generics nest) into [X, Y]; [X, null] for `<X>::rest`. */
function qualified(n) {
  let depth = 0;
  let as = -1;
  for (let i = 1; i < n.length; i++) {
    const ch = n[i];
    if (ch === '<') depth++;
    else if (ch === '>') {
      if (depth === 0) return as < 0 ? [n.slice(1, i), null] : [n.slice(1, as), n.slice(as + 4, i)];
      depth--;
    } else if (depth === 0 && as < 0 && n.startsWith(' as ', i)) as = i;
  }
  return [n.slice(1), null];
}

/** The crate a function belongs to, from its demangled name (best effort): for a trait
 * impl `<X as Y>::f`, X's crate unless X is a primitive (then Y's); wasm-bindgen's
 * generated exports and shims as "wasm-bindgen glue". */
export function crateOf(name) {
  if (!name) return '(unnamed)';
  let n = cleanName(name).trim();
  if (/shim|^__wbg|^__wbindgen|^wasm_bindgen::|^[a-z]+_[A-Za-z]+ externref/.test(n)) return 'wasm-bindgen glue';
  n = n.replace(/^(&|\*const |\*mut |dyn |impl |mut )+/, '');
  if (n.startsWith('<')) {
    const [x, y] = qualified(n);
    const cx = x.replace(/^(&|\*const |\*mut |dyn |mut |\[|\()+/, '');
    if (cx.includes('::') || y === null) return crateOf(cx);
    return crateOf(y);
  }
  const i = n.indexOf('::');
  if (i < 0) {
    if (/^(mediarecorderproducer_|__externref|__wbindgen)/.test(n)) return 'wasm-bindgen glue';
    if (/^(char|str|bool|[iu](8|16|32|64|128|size)|f32|f64)$/.test(n)) return 'core';
    return '(other)';
  }
  return n.slice(0, i);
}

/** For our own crate: the module (`media_recorder_producer::web::stream`). */
export function moduleOf(name, crate) {
  let n = cleanName(name).trim();
  if (n.startsWith('<')) {
    const [x, y] = qualified(n);
    n = x.includes(`${crate}::`) || !y ? x : y;
    n = n.replace(/^(&|\*const |\*mut |dyn |mut )+/, '');
  }
  if (!n.startsWith(`${crate}::`)) return null;
  const parts = n.split('::');
  return parts.slice(0, Math.min(3, parts.length - 1)).join('::');
}

/** Summary: sections, top functions, bytes per crate and per module of `ownCrate`. */
export function analyze(buf, { top = 15, ownCrate = 'media_recorder_producer' } = {}) {
  const secs = sections(buf).map(({ name, size }) => ({ name, size }));
  const fns = functions(buf);
  const codeBytes = fns.reduce((a, f) => a + f.size, 0);
  const byCrate = new Map();
  const byModule = new Map();
  for (const f of fns) {
    const c = crateOf(f.name);
    byCrate.set(c, (byCrate.get(c) ?? 0) + f.size);
    const m = f.name ? moduleOf(f.name, ownCrate) : null;
    if (m) byModule.set(m, (byModule.get(m) ?? 0) + f.size);
  }
  const sorted = (m) => [...m].map(([name, size]) => ({ name, size })).sort((a, b) => b.size - a.size);
  return {
    sections: secs,
    functionCount: fns.length,
    named: fns.some((f) => f.name),
    codeBytes,
    topFunctions: [...fns].sort((a, b) => b.size - a.size).slice(0, top).map((f) => ({ name: f.name ? cleanName(f.name) : `func[${f.index}]`, size: f.size })),
    byCrate: sorted(byCrate),
    byModule: sorted(byModule),
  };
}
