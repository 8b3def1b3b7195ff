// Small SVG charts written by hand (no chart dependency): line charts and grouped bar
// charts with axes, ticks, labels, a legend and a caption line (command, date, Chromium,
// cores) under the title.

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export const COLORS = {
  ours: '#1f6feb',
  oursBlob: '#54aeff',
  seed: '#e36209',
  naive: '#cf222e',
  floor: '#6e7781',
  raw: '#2da44e',
  none: '#afb8c1',
  recordrtc: '#8250df',
  wasm: '#0a3069',
};

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Human units: 1234567 → "1.23 M"; with `bytes`, binary-free decimal kB/MB/GB. */
export function fmt(v, { bytes = false, digits = 3 } = {}) {
  if (v == null || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  const units = bytes ? [[1e9, ' GB'], [1e6, ' MB'], [1e3, ' kB'], [1, ' B']] : [[1e9, ' G'], [1e6, ' M'], [1e3, ' k'], [1, '']];
  if (a === 0) return bytes ? '0 B' : '0';
  for (const [d, u] of units) {
    if (a >= d) return `${Number((v / d).toPrecision(digits))}${u}`;
  }
  return `${Number(v.toPrecision(digits))}${bytes ? ' B' : ''}`;
}

function niceStep(range, count) {
  const raw = range / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

function linearScale(min, max, count = 5) {
  if (min === max) { max = min + 1; }
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { lo, hi, ticks, map: (v, a, b) => a + ((v - lo) / (hi - lo)) * (b - a) };
}

function logScale(min, max) {
  const lo = 10 ** Math.floor(Math.log10(Math.max(min, 1e-12)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(max, lo * 10)));
  const ticks = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  const L = Math.log10;
  return { lo, hi, ticks, map: (v, a, b) => a + ((L(Math.max(v, lo)) - L(lo)) / (L(hi) - L(lo))) * (b - a) };
}

function frame({ width, height, title, subtitle }) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600" fill="#1f2328">${esc(title)}</text>`,
    ...(subtitle ? [`<text x="16" y="42" font-size="11" fill="#57606a">${esc(subtitle)}</text>`] : []),
  ];
}

/** Legend items laid out left to right, wrapping at `maxX`; returns the SVG and its line count. */
function legend(series, x, y, maxX) {
  const out = [];
  let cx = x;
  let cy = y;
  let lines = 1;
  for (const s of series) {
    const w = 28 + s.name.length * 6.6;
    if (cx > x && cx + w > maxX) { cx = x; cy += 18; lines++; }
    out.push(`<rect x="${cx}" y="${cy - 9}" width="12" height="12" fill="${s.color}"${s.dash ? ' fill-opacity="0.5"' : ''}/>`);
    out.push(`<text x="${cx + 16}" y="${cy + 1}" font-size="12" fill="#1f2328">${esc(s.name)}</text>`);
    cx += w;
  }
  return { svg: out, lines };
}

/**
 * series: [{ name, color, points: [[x, y], …], dash?, dot?, step? }]
 *   dash: dashed line; dot: dotted thin line; step: drawn as a step function (the value
 *   holds until the next point).
 * bands: [{ x0, x1, label, color }] shaded x ranges drawn behind the data (e.g. a phase).
 * yLog: log10 y axis (values ≤ 0 are drawn at the bottom). yMax/yMin: fixed y range.
 */
export function lineChart({ title, subtitle, xLabel, yLabel, series, bands = [], yLog = false, yMin, yMax, width = 820, height = 440, xFormat = (v) => fmt(v), yFormat = (v) => fmt(v) }) {
  const m = { l: 78, r: 24, t: 78, b: 56 };
  const leg = legend(series, m.l, 62, width - m.r);
  m.t += (leg.lines - 1) * 18;
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v != null && (!yLog || v > 0));
  const xsc = linearScale(Math.min(...xs), Math.max(...xs), 6);
  const ysc = yLog ? logScale(Math.min(...ys), Math.max(...ys)) : linearScale(yMin ?? Math.min(0, ...ys), yMax ?? Math.max(...ys), 5);
  const X = (v) => m.l + xsc.map(v, 0, W);
  const Y = (v) => m.t + H - ysc.map(v, 0, H);
  const out = frame({ width, height, title, subtitle });
  out.push(...leg.svg);
  for (const b of bands) {
    const x0 = Math.max(m.l, X(b.x0));
    const x1 = Math.min(m.l + W, X(b.x1));
    out.push(`<rect x="${x0.toFixed(1)}" y="${m.t}" width="${Math.max(0, x1 - x0).toFixed(1)}" height="${H}" fill="${b.color || '#fff1e5'}"/>`);
    if (b.label) out.push(`<text x="${((x0 + x1) / 2).toFixed(1)}" y="${m.t + 14}" font-size="11" text-anchor="middle" fill="#953800">${esc(b.label)}</text>`);
  }
  for (const t of ysc.ticks) {
    out.push(`<line x1="${m.l}" x2="${m.l + W}" y1="${Y(t)}" y2="${Y(t)}" stroke="#d0d7de" stroke-width="1"/>`);
    out.push(`<text x="${m.l - 6}" y="${Y(t) + 4}" font-size="11" text-anchor="end" fill="#57606a">${esc(yFormat(t))}</text>`);
  }
  for (const t of xsc.ticks) {
    out.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.t + H}" y2="${m.t + H + 4}" stroke="#57606a"/>`);
    out.push(`<text x="${X(t)}" y="${m.t + H + 17}" font-size="11" text-anchor="middle" fill="#57606a">${esc(xFormat(t))}</text>`);
  }
  out.push(`<line x1="${m.l}" x2="${m.l + W}" y1="${m.t + H}" y2="${m.t + H}" stroke="#57606a"/>`);
  out.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + H}" stroke="#57606a"/>`);
  out.push(`<text x="${m.l + W / 2}" y="${height - 12}" font-size="12" text-anchor="middle" fill="#1f2328">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.t + H / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#1f2328">${esc(yLabel)}${yLog ? ' (log scale)' : ''}</text>`);
  for (const s of series) {
    const valid = s.points.filter((p) => p[1] != null);
    const stepped = s.step ? valid.flatMap((p, i) => (i === 0 ? [p] : [[p[0], valid[i - 1][1]], p])) : valid;
    const pts = stepped.map((p) => `${X(p[0]).toFixed(1)},${Y(yLog && p[1] <= 0 ? ysc.lo : p[1]).toFixed(1)}`);
    if (!pts.length) continue;
    const style = s.dot ? ' stroke-width="1.5" stroke-dasharray="2 3"' : ` stroke-width="${s.width ?? 2}"${s.dash ? ' stroke-dasharray="6 4"' : ''}`;
    out.push(`<polyline fill="none" stroke="${s.color}"${style} points="${pts.join(' ')}"/>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * Grouped bars: categories along x; one bar per series in each group.
 * series: [{ name, color, values: [v per category] }]
 */
export function barChart({ title, subtitle, yLabel, categories, series, yLog = false, width = 820, height = 440, yFormat = (v) => fmt(v), labelFormat = yFormat }) {
  const m = { l: 78, r: 24, t: 78, b: 56 };
  const leg = legend(series, m.l, 62, width - m.r);
  m.t += (leg.lines - 1) * 18;
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const vals = series.flatMap((s) => s.values).filter((v) => v != null && (!yLog || v > 0));
  const ysc = yLog ? logScale(Math.min(...vals), Math.max(...vals)) : linearScale(0, Math.max(...vals) * 1.08, 5);
  const Y = (v) => m.t + H - ysc.map(v, 0, H);
  const out = frame({ width, height, title, subtitle });
  out.push(...leg.svg);
  for (const t of ysc.ticks) {
    out.push(`<line x1="${m.l}" x2="${m.l + W}" y1="${Y(t)}" y2="${Y(t)}" stroke="#d0d7de"/>`);
    out.push(`<text x="${m.l - 6}" y="${Y(t) + 4}" font-size="11" text-anchor="end" fill="#57606a">${esc(yFormat(t))}</text>`);
  }
  const gw = W / categories.length;
  const bw = Math.min(56, (gw * 0.8) / series.length);
  categories.forEach((c, ci) => {
    const gx = m.l + ci * gw + (gw - bw * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (v == null) return;
      const y = Y(yLog && v <= 0 ? ysc.lo : v);
      const x = gx + si * bw;
      out.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 3).toFixed(1)}" height="${(m.t + H - y).toFixed(1)}" fill="${s.color}"/>`);
      out.push(`<text x="${(x + (bw - 3) / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" font-size="10" text-anchor="middle" fill="#1f2328">${esc(labelFormat(v))}</text>`);
    });
    out.push(`<text x="${m.l + ci * gw + gw / 2}" y="${m.t + H + 18}" font-size="12" text-anchor="middle" fill="#1f2328">${esc(c)}</text>`);
  });
  out.push(`<line x1="${m.l}" x2="${m.l + W}" y1="${m.t + H}" y2="${m.t + H}" stroke="#57606a"/>`);
  out.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + H}" stroke="#57606a"/>`);
  out.push(`<text transform="translate(16 ${m.t + H / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#1f2328">${esc(yLabel)}${yLog ? ' (log scale)' : ''}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
