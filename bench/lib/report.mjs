// Turns bench/results/*.json into BENCHMARKS.md (tables), SVG plots, and merges in the
// hand-written commentary (bench/COMMENTARY.md). Also runnable alone to regenerate the
// report from existing results: `node bench/lib/report.mjs [--quick]`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COLORS, barChart, fmt, lineChart } from './svg.mjs';

const NAMES = {
  ours: 'ours (wasm)',
  oursBlob: 'ours, frameData "blob"',
  seed: 'seed-design',
  naive: 'naive (origin)',
  floor: 'floor: arrayBuffer() loop',
  none: 'harness only',
  raw: 'raw MediaRecorder',
};

const num = (v, d = 3) => (v == null || Number.isNaN(v) ? '–' : Number(v.toPrecision(d)).toLocaleString('en-US', { maximumFractionDigits: 6 }));
const ms = (v, d = 3) => (v == null ? '–' : `${num(v, d)} ms`);
const bytes = (v) => (v == null ? '–' : `${fmt(v, { bytes: true })}`);
const exactBytes = (v) => (v == null ? '–' : `${v.toLocaleString('en-US')} B`);
const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
const rx = (v) => (v == null ? '–' : `${num(v, 3)}×`);
const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const yes = (ok) => (ok == null ? '–' : ok ? '**yes**' : '**no**');

function load(dir, name) {
  const p = join(dir, `${name}.json`);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
}

/** "command · date · Chromium · cores": stated with every figure. */
function stamp(run) {
  if (!run) return '';
  const date = run.date ? run.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '?';
  return `\`${run.command}\` · ${date} · Chromium ${run.chromium ?? '?'} · ${run.cores} cores`;
}
const plainStamp = (run) => stamp(run).replace(/`/g, '');

/** A Markdown table; the first column is left-aligned, the others right-aligned (numbers)
 * unless `left` is true. */
function table(head, rows, { left = false } = {}) {
  return [`| ${head.join(' | ')} |`, `| ${head.map((h, i) => (i === 0 || left ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function figure(link, file, alt, run) {
  return `![${alt}](${link}${file})\n\n<sub>${alt} — ${stamp(run)}</sub>`;
}

// ------------------------------------------------------------------ sections

function soakSection(soak, ctx) {
  const out = ['## Soak: a 1-hour-equivalent stream'];
  if (!soak) return [...out, '', '_Not run yet: `npm run bench`._'].join('\n');
  const C = soak.contestants;
  const order = ['naive', 'floor', 'seed', 'ours'].filter((k) => C[k]);
  out.push('', `_${stamp(soak.run)}_`, '');
  out.push(`${soak.config.n.toLocaleString('en-US')} chunks at the recorded sizes (the recording's chunks in order, then its media chunks cycled), each a fresh Blob. Feed: ${soak.feed}. "Held" is what the contestant keeps referenced: ours \`metrics().bytesHeld\`, naive the sum of its array's Blob sizes, seed-design its CircularBuffer's slots (cleared slots included: \`clear()\` does not release them) plus the batch it is reading, the floor its queue. Heap is \`performance.memory.usedJSHeapSize\` (precise); "after GC" is read after a forced collection (CDP \`HeapProfiler.collectGarbage\`). Blob bytes live outside the JS heap, so the heap does not see them.`);
  out.push('');
  out.push(table(
    ['contestant', 'chunks/s', 'wall', 'held at the last sample', 'max held', 'held when drained', 'JS heap at end', 'JS heap after GC', 'wasm memory', 'delivered', 'dropped'],
    order.map((k) => {
      const c = C[k];
      const maxHeld = Math.max(...c.samples.map((s) => s.held));
      return [NAMES[k], num(c.throughput, 4), ms(c.elapsedMs, 4), bytes(c.samples.at(-1).held), bytes(maxHeld), bytes(c.settled.held), bytes(c.settled.heap), bytes(c.end.afterGc.heap), c.settled.wasm ? bytes(c.settled.wasm) : '–', c.delivered.toLocaleString('en-US'), c.dropped.toLocaleString('en-US')];
    }),
  ));
  const ua = order.filter((k) => C[k].end.uaMemory).map((k) => {
    const u = C[k].end.uaMemory;
    return `${NAMES[k]}: ${u.bytes != null ? `${bytes(u.bytes)} (took ${ms(u.ms, 3)})` : u.timedOut ? `timed out after ${u.timedOut} ms` : u.error}`;
  });
  if (ua.length) out.push('', `\`performance.measureUserAgentSpecificMemory()\` at the end (page total, JS and DOM; Blob bytes are in the browser process and not counted): ${ua.join('; ')}.`);
  const o = C.ours;
  const n = C.naive;
  if (o && n) {
    const endRatio = ratio(o.samples.at(-1).held, n.samples.at(-1).held);
    out.push('', `Ours at the end holds ${bytes(o.samples.at(-1).held)} against naive's ${bytes(n.samples.at(-1).held)}: **${num(endRatio * 100, 3)} %** (goal ≤ 1 %); drained, ours holds ${exactBytes(o.settled.held)} (the pinned header run).`);
  }
  ctx.plots.push(['soak-bytes-held.svg', lineChart({
    title: 'Soak: bytes held vs chunks fed',
    subtitle: plainStamp(soak.run),
    xLabel: 'chunks fed',
    yLabel: 'bytes held',
    yLog: true,
    series: order.map((k) => ({ name: NAMES[k], color: COLORS[k], dash: k === 'seed', points: C[k].samples.map((s) => [s.i, s.held]) })),
    yFormat: (v) => fmt(v, { bytes: true }),
  })]);
  ctx.plots.push(['soak-heap.svg', lineChart({
    title: 'Soak: JS heap (and our wasm memory) vs chunks fed',
    subtitle: plainStamp(soak.run),
    xLabel: 'chunks fed',
    yLabel: 'bytes',
    series: [
      ...order.map((k) => ({ name: `${NAMES[k]} JS heap`, color: COLORS[k], points: C[k].samples.map((s) => [s.i, s.heap]) })),
      ...(o ? [{ name: 'ours wasm memory', color: COLORS.wasm, dash: true, points: o.samples.map((s) => [s.i, s.wasm]) }] : []),
    ],
    yFormat: (v) => fmt(v, { bytes: true }),
  })]);
  ctx.plots.push(['soak-throughput.svg', lineChart({
    title: 'Soak: chunks fed vs time',
    subtitle: plainStamp(soak.run),
    xLabel: 'seconds',
    yLabel: 'chunks fed',
    series: order.map((k) => ({ name: NAMES[k], color: COLORS[k], points: C[k].samples.map((s) => [s.t / 1000, s.i]) })),
  })]);
  out.push('', figure(ctx.link, 'soak-bytes-held.svg', 'Soak: bytes held vs chunks fed (log scale)', soak.run));
  out.push('', figure(ctx.link, 'soak-heap.svg', 'Soak: JS heap and wasm memory vs chunks fed (sampled without forcing GC)', soak.run));
  out.push('', figure(ctx.link, 'soak-throughput.svg', 'Soak: progress over time (slope = throughput)', soak.run));
  return out.join('\n');
}

/** The real-time soak (issue 11): memory over a long real recording, drops, quality, and
 * whether the end of the recording decodes. Renders "not run yet" without its results file. */
function realtimeSoakSection(rs, ctx) {
  const out = ['## Real-time soak: recording camera and microphone for an hour (issue 11)'];
  if (!rs) return [...out, '', '_Not run yet: `npm run bench -- --only realtime-soak` (60 min)._'].join('\n');
  const cfg = rs.config;
  const T = rs.totals;
  const v = rs.verdict;
  const mins = (ms) => `${num(ms / 60_000, 3)} min`;
  out[0] = `## Real-time soak: recording camera and microphone for ${num(cfg.minutes, 3)} min (issue 11)`;
  out.push('', `_${stamp(rs.run)}_`, '');
  if (rs.run?.quick) out.push(`**Quick run (${num(cfg.minutes, 3)} min): a smoke test of the harness. Slopes fitted over so few samples extrapolate seconds to an hour and say little.**`, '');
  out.push(`The synthetic soak above pushes recorded chunks as fast as ours takes them; this one records in real time. Feed: ${rs.feed}. Recorded \`${rs.stream?.mimeType ?? rs.start.mimeType}\` (tracks: ${rs.start.tracks.map((t) => `${t.kind}${t.settings?.width ? ` ${t.settings.width}×${t.settings.height}@${num(t.settings.frameRate, 3)}` : ''}`).join(', ')}). Bytes held is \`memory().bytesHeld\` (the ring: Blob bytes, outside the JS heap); JS heap is \`performance.memory.usedJSHeapSize\` (precise: \`--enable-precise-memory-info\`), sampled without forcing GC and, separately, right after a forced one; wasm memory is \`memory().wasmMemoryBytes\`. Slopes are least-squares fits over the samples after a ${cfg.warmupSeconds} s warm-up, in bytes per hour.`);
  out.push('');
  const rows = [
    ['bytes held (`memory().bytesHeld`)', rs.slopes.held],
    ['JS heap, sampled every 10 s', rs.slopes.heap],
    [`JS heap right after a forced GC (every ${cfg.gcEveryMs / 1000} s)`, rs.slopes.heapAfterGc],
    ['wasm memory', rs.slopes.wasm],
  ];
  const signed = (x) => (x == null ? '–' : `${x >= 0 ? '+' : '−'}${bytes(Math.abs(x))}`);
  out.push(table(['figure', 'samples fitted', 'first', 'last', 'min', 'max', '**slope per hour**', 'r²'], rows.map(([label, s]) => [
    label, s.n ? `${s.n} (${num(s.fromSeconds / 60, 3)}–${num(s.toSeconds / 60, 3)} min)` : '0', bytes(s.first), bytes(s.last), bytes(s.min), bytes(s.max), `**${signed(s.slopePerHour)}**`, s.r2 == null ? '–' : num(s.r2, 2),
  ])));
  out.push('', `The sampled heap saw-tooths with the runner's takes (every ${cfg.pullMs / 1000} s the frames since the last take become one base64 string, about 1.3 MB at this bitrate, garbage right after): read growth from the after-GC row.`);
  if (rs.heapAfterStop != null) out.push('', `After \`stopStream()\`: bytes held ${bytes(rs.afterStop?.held)}, wasm memory ${bytes(rs.afterStop?.wasm)}; JS heap after \`destroy()\` and a forced GC: ${bytes(rs.heapAfterStop)}.`);
  const drops = T.dropped + T.seqMissing + (T.droppedEvents ?? 0);
  const mism = rs.node.checksumMismatches.length;
  out.push('', `Frames: **${T.delivered.toLocaleString('en-US')} delivered** (${num(T.framesPerSecond, 3)} a second over ${mins(rs.stopAt)}; ${bytes(T.bytes)}), ${T.recorded.toLocaleString('en-US')} recorded by \`metrics()\`; **dropped ${T.dropped}** (\`metrics().framesDropped\`), ${T.droppedEvents} in \`DataLossError\` events, ${T.seqMissing} missing from the listener's sequence numbers, ${T.outOfOrder} out of order. Goal 0 with a listener that keeps up: ${yes(drops === 0 && T.outOfOrder === 0)}. The runner received ${rs.node.frames.toLocaleString('en-US')} frames (${bytes(rs.node.bytes)}); checksums recomputed in Node: ${mism ? `**${mism} mismatched**` : 'all matched'}; sequence gaps seen in Node: ${rs.node.sequenceGaps.length}. Listener: ${ms(T.consumerMs / Math.max(1, T.delivered), 3)} per frame; arrival → listener lag mean ${ms(T.lagMs?.mean, 3)}, max ${ms(T.lagMs?.max, 3)}. Main thread (CDP, over the recording, runner's takes and GCs included): ThreadTime ${num(T.mainThreadShare * 100, 3)} %, TaskDuration ${num(T.taskShare * 100, 3)} % of wall time. The page's ${cfg.sampleMs / 1000} s sampling timer fired at most ${ms(Math.max(0, ...rs.samples.map((s) => s.late ?? 0)), 3)} late.`);
  const lv = rs.levels.map((l) => `${num(l.quality, 2)} (${l.width}×${l.height}@${l.frameRate}) from ${l.t < 1000 ? 'the start' : mins(l.t)}`).join(' → ');
  out.push('', `Quality levels seen (\`quality().level\`, every sample): ${lv || '–'}; ${T.qualityAdaptations} adaptation(s) counted by \`metrics()\`. ${rs.events.length ? `\`onQualityChange\` events: ${rs.events.map((e) => `${mins(e.t)} ${e.reason} ${num(e.from.quality, 2)} → ${num(e.to.quality, 2)} (busy ${num(e.sample?.busy, 2)}, processing ${ms(e.sample?.processingMs, 3)}, backlog ${e.sample?.backlog})`).join('; ')}.` : 'No `onQualityChange` event.'} Nothing loaded the page beyond the listener and the runner.`);
  if (rs.errors.length) out.push('', `Errors reported by \`onError\`: ${rs.errors.slice(0, 10).map((e) => `${mins(e.t)} ${e.name}: ${e.message}`).join('; ')}${rs.errors.length > 10 ? ` (and ${rs.errors.length - 10} more)` : ''}.`);
  // The decode verdict.
  out.push('', `### Is the end of the recording intact? ${v.ok ? '**Yes**' : '**No**'}`, '');
  if (v.header && v.cut) {
    const trk = v.header.tracks.map((t) => `${t.type} ${t.codec}`).join(', ');
    out.push(`File: the header run (${v.headerFrames} frame(s) with \`metadata.isHeader\`, sequence ${v.headerSeqs.join(', ')}; ${exactBytes(v.header.end)} up to the first Cluster; tracks ${trk}) + the last ${cfg.keepSeconds} s of frames (sequence ${v.tailSeqs[0]}–${v.tailSeqs[1]}, ${bytes(v.tailBytes)}), cut at the first Cluster there whose first video block is a keyframe (media time ${num(v.cut.clusterMs / 1000, 4)} s; ${v.cut.keyframeFirstBlock ? 'the keyframe is its first block' : `${v.cut.blocksBeforeKeyframe} audio block(s) of the same instant come first, which decode on their own`}; ${exactBytes(v.cut.skippedBytes)} before it dropped): ${bytes(v.file.bytes)}. The Cluster starts come from an EBML walk over the concatenated bytes (\`bench/lib/webm.mjs\`: sync on a Cluster ID followed by a Timestamp, then every element parsed to the end): ${v.walk.clusters} Clusters, ${v.walk.blocks} blocks (${v.walk.videoBlocks} video), ${v.walk.keyframeClusters} Clusters whose first video block is a keyframe (${v.walk.keyframeFirstBlock} of them as the Cluster's first block), ${v.walk.keyframesNotFirstVideo} keyframes elsewhere${v.walk.truncatedTail ? `, **the last ${v.walk.truncatedTail} bytes cut short**` : ', no element cut short at the end'}.`);
  }
  if (v.decode) {
    const said = (d) => (d.clean ? 'printed nothing, exit 0' : `**printed ${d.printedLines} line(s), exit ${d.status}**: ${d.printed.slice(0, 3).map((l) => `\`${l.replace(/\|/g, '\\|')}\``).join(' ')}`);
    out.push('', `Decode, every packet of both streams: \`${v.decode.command.replace(v.file.path, 'file.webm')}\` ${said(v.decode)}. \`-enc_time_base:v -1\` keeps the file's 1 ms time base for ffmpeg's output: without it ffmpeg 5.1 rescales video timestamps to 1/frame rate (1/20 s here), two frames that arrived less than 50 ms apart land on the same dts, and its null muxer prints "non monotonically increasing dts" though the file's timestamps increase (checked below); that depends on arrival jitter, i.e. on machine load.`);
    if (v.decodePlain) out.push('', `The plain \`${v.decodePlain.command.replace(v.file.path, 'file.webm')}\`: ${v.decodePlain.clean ? 'printed nothing, exit 0 too' : `printed ${v.decodePlain.printedLines} line(s) (exit ${v.decodePlain.status}), ${v.decodePlain.dtsArtifactLines} of them that equal-dts artifact${v.decodePlain.printedLines > v.decodePlain.dtsArtifactLines ? ` and **${v.decodePlain.printedLines - v.decodePlain.dtsArtifactLines} other(s)**` : ''}`}.`);
  }
  if (v.probe?.ok) {
    out.push('', `ffprobe (format ${v.probe.format}, duration ${v.probe.duration}: a live WebM has no Duration):`, '');
    out.push(table(['stream', 'codec', 'size / rate', 'packets', 'keyframes', 'first pts', 'last pts', 'span', 'pts not increasing', 'smallest pts step'], v.probe.streams.map((s) => [
      s.type, s.codec, s.width ? `${s.width}×${s.height}` : s.sampleRate ? `${s.sampleRate} Hz, ${s.channels} ch` : '–', String(s.packets), String(s.keyframes), `${num(s.firstPts, 5)} s`, `${num(s.lastPts, 5)} s`, `${num(s.spanSeconds, 4)} s`, String(s.nonIncreasingPts ?? '–'), s.minStepSeconds == null ? '–' : ms(s.minStepSeconds * 1000, 3),
    ])));
  }
  if (v.control) out.push('', `Control: the same header + the bytes from a Cluster whose first video block is not a keyframe (media time ${num(v.control.clusterMs / 1000, 4)} s), the same command: it printed ${v.control.printedLines} line(s)${v.control.printed.length ? ` (first: \`${v.control.printed[0]}\`)` : ''}${v.control.printedLines ? ', so the check above can fail.' : '; **this check did not catch a bad cut**.'}`);
  if (v.problems.length) out.push('', `Problems: ${v.problems.join('; ')}.`);
  out.push('', `Command: \`${rs.run?.command ?? 'npm run bench -- --only realtime-soak'}\`${rs.run?.quick ? '' : ` (${num(cfg.minutes, 3)} min; \`--minutes N\` sets the length)`}. 1-minute load average over the run: ${rs.load.length ? `${num(Math.min(...rs.load.map((l) => l.loadavg)), 3)}–${num(Math.max(...rs.load.map((l) => l.loadavg)), 3)}` : '–'} (other work shares this machine).`);
  // Plots over time, with the fitted line and the warm-up shaded.
  const t = (s) => s.t / 60_000;
  const warm = [{ x0: 0, x1: cfg.warmupSeconds / 60, label: 'warm-up (not fitted)', color: '#f6f8fa' }];
  const fit = (sl, name) => (sl.slopePerHour == null ? [] : [{ name, color: '#57606a', dot: true, points: [[sl.fromSeconds / 60, sl.mean + sl.slopePerHour * ((sl.fromSeconds - (sl.fromSeconds + sl.toSeconds) / 2) / 3600)], [sl.toSeconds / 60, sl.mean + sl.slopePerHour * ((sl.toSeconds - (sl.fromSeconds + sl.toSeconds) / 2) / 3600)]] }]);
  const sub = plainStamp(rs.run);
  const plot = (file, title, yLabel, series) => ctx.plots.push([file, lineChart({ title, subtitle: sub, xLabel: 'minutes recording', yLabel, bands: warm, series, yFormat: (y) => fmt(y, { bytes: true }) })]);
  plot('realtime-soak-bytes-held.svg', `Real-time soak: bytes held (slope ${signed(rs.slopes.held.slopePerHour)}/h)`, 'bytes held', [
    { name: 'ours: memory().bytesHeld', color: COLORS.ours, points: rs.samples.map((s) => [t(s), s.held]) },
    ...fit(rs.slopes.held, 'least-squares fit'),
  ]);
  plot('realtime-soak-heap.svg', `Real-time soak: JS heap (after GC: ${signed(rs.slopes.heapAfterGc.slopePerHour)}/h)`, 'usedJSHeapSize', [
    { name: 'sampled every 10 s', color: COLORS.ours, points: rs.samples.map((s) => [t(s), s.heap]) },
    { name: 'right after a forced GC', color: COLORS.wasm, width: 3, points: rs.gcSamples.map((s) => [t(s), s.heap]) },
    ...fit(rs.slopes.heapAfterGc, 'fit (after GC)'),
  ]);
  plot('realtime-soak-wasm.svg', `Real-time soak: wasm memory (slope ${signed(rs.slopes.wasm.slopePerHour)}/h)`, 'wasm memory', [
    { name: 'ours: memory().wasmMemoryBytes', color: COLORS.wasm, points: rs.samples.map((s) => [t(s), s.wasm]) },
    ...fit(rs.slopes.wasm, 'least-squares fit'),
  ]);
  out.push('', figure(ctx.link, 'realtime-soak-bytes-held.svg', 'Real-time soak: bytes held over time (dotted: the fit after warm-up)', rs.run));
  out.push('', figure(ctx.link, 'realtime-soak-heap.svg', 'Real-time soak: JS heap over time, sampled and right after forced GCs', rs.run));
  out.push('', figure(ctx.link, 'realtime-soak-wasm.svg', 'Real-time soak: wasm memory over time', rs.run));
  return out.join('\n');
}

function perChunkSection(pc, ctx) {
  const out = ['## Per-chunk cost: main-thread time and added latency'];
  if (!pc) return [...out, '', '_Not run yet: `npm run bench`._'].join('\n');
  const C = pc.contestants;
  const order = ['none', 'naive', 'floor', 'seed', 'ours', 'oursBlob'].filter((k) => C[k]);
  const base = C.none ? C.none.threadMsPerChunk : 0;
  const net = (k) => (C[k] ? C[k].threadMsPerChunk - base : null);
  out.push('', `_${stamp(pc.run)}_`, '');
  out.push(`${pc.config.n.toLocaleString('en-US')} chunks per contestant (after ${pc.config.warm} warm-up chunks), each in a fresh page. Feed: ${pc.feed}. "Net" subtracts the harness-only row (the same feed calling the listeners at once), leaving what the contestant adds. The naive contestant hands out the Blob unread, so its consumer still pays the floor's read; the seed design reads on a 50 ms tick, so its latency is mostly waiting for the tick.`);
  out.push('');
  out.push(table(
    ['contestant', 'delivered', 'dropped', 'main thread / chunk', 'net of harness', 'tasks / chunk', 'sync in push()', 'latency p50', 'p95', 'p99', 'max'],
    order.map((k) => {
      const c = C[k];
      return [NAMES[k], c.delivered.toLocaleString('en-US'), String(c.dropped), ms(c.threadMsPerChunk), k === 'none' ? '–' : ms(net(k)), ms(c.taskMsPerChunk), ms(c.syncPushMsPerChunk), ms(c.latencyMs.p50), ms(c.latencyMs.p95), ms(c.latencyMs.p99), ms(c.latencyMs.max)];
    }),
  ));
  if (C.ours) {
    const rows = [];
    for (const [other, goal] of [['seed', 1.0], ['floor', 1.1]]) {
      if (!C[other]) continue;
      const tr = pc.ratios?.[other]?.netThread ?? ratio(net('ours'), net(other));
      const trg = pc.ratios?.[other]?.grossThread ?? ratio(C.ours.threadMsPerChunk, C[other].threadMsPerChunk);
      const l = (p) => ratio(C.ours.latencyMs[p], C[other].latencyMs[p]);
      rows.push([`ours / ${NAMES[other]}`, `≤ ${goal.toFixed(2)}`, rx(tr), rx(trg), rx(l('p50')), rx(l('p95')), rx(l('p99')), yes(tr != null && tr <= goal && l('p50') <= goal)]);
    }
    if (C.oursBlob && C.naive) {
      const tr = pc.ratios?.blobVsNaive?.netThread ?? ratio(net('oursBlob'), net('naive'));
      const trg = pc.ratios?.blobVsNaive?.grossThread ?? ratio(C.oursBlob.threadMsPerChunk, C.naive.threadMsPerChunk);
      const l = (p) => ratio(C.oursBlob.latencyMs[p], C.naive.latencyMs[p]);
      rows.push([`${NAMES.oursBlob} / ${NAMES.naive}`, '≤ 1.50 (thread)', rx(tr), rx(trg), rx(l('p50')), rx(l('p95')), rx(l('p99')), yes(tr != null && tr <= 1.5)]);
    }
    out.push('', 'Ratios (below 1: ours is cheaper or faster):', '');
    out.push(table(['ratio', 'goal', 'main thread (net)', 'main thread (gross)', 'latency p50', 'p95', 'p99', 'goal met (net thread and p50)'], rows));
    if (pc.rounds?.length) {
      const list = (xs) => xs.map((x) => num(x, 3)).join(', ');
      out.push('', `Spread over the ${pc.rounds.length} rounds (main thread per chunk, ms): ${['none', 'naive', 'floor', 'seed', 'ours', 'oursBlob'].filter((k) => C[k]).map((k) => `${NAMES[k]} [${list(C[k].threadMsPerChunkRounds)}]`).join('; ')}. Net ratios per round: ours / seed-design [${list(pc.ratios.seed.netThreadRounds)}], ours / floor [${list(pc.ratios.floor.netThreadRounds)}]. 1-minute load average at each round's start: [${list(pc.rounds.map((r) => r.loadavg))}].`);
    }
  }
  const bb = pc.backToBack;
  if (bb) {
    const T = bb.threadMsPerChunk;
    const us = (x) => `${(x * 1000).toFixed(1)} µs`;
    out.push('', `Back to back, warm: ${bb.n.toLocaleString('en-US')} chunks × ${bb.rounds} rounds per contestant; ${bb.feed}. Without the 10 ms pause between chunks the contestant's code and the CPU's caches stay warm, so this is the cost of its own work per chunk; the paced figures above add what a cold start of that work costs every time.`, '');
    out.push(table(
      ['contestant', 'main thread / chunk', 'net of harness', 'per round'],
      ['none', 'naive', 'floor', 'ours', 'oursBlob'].filter((k) => T[k] != null).map((k) => [NAMES[k], us(T[k]), k === 'none' ? '–' : us(T[k] - T.none), bb.threadMsPerChunkRounds[k].map((x) => (x * 1000).toFixed(1)).join(', ')]),
    ));
    out.push('', `Net ratios back to back: ours / floor ${rx(bb.ratios.oursVsFloor)} (paced goal ≤ 1.10); ours, frameData "blob" / naive ${rx(bb.ratios.blobVsNaive)} (paced goal ≤ 1.50).`);
  }
  ctx.plots.push(['per-chunk-latency.svg', barChart({
    title: 'Per chunk: latency from arrival to the last listener called',
    subtitle: plainStamp(pc.run),
    yLabel: 'milliseconds',
    yLog: true,
    categories: order.map((k) => NAMES[k]),
    series: [['p50', '#54aeff'], ['p95', '#0969da'], ['p99', '#0a3069']].map(([p, color]) => ({ name: p, color, values: order.map((k) => C[k].latencyMs[p]) })),
    yFormat: (v) => `${num(v, 2)}`,
    labelFormat: (v) => num(v, 2),
  })]);
  ctx.plots.push(['per-chunk-cpu.svg', barChart({
    title: 'Per chunk: main-thread time (CDP ThreadTime / chunks)',
    subtitle: plainStamp(pc.run),
    yLabel: 'milliseconds per chunk',
    categories: order.map((k) => NAMES[k]),
    series: [{ name: 'main thread per chunk (incl. harness)', color: '#0969da', values: order.map((k) => C[k].threadMsPerChunk) }],
    yFormat: (v) => num(v, 2),
    labelFormat: (v) => num(v, 3),
  })]);
  out.push('', figure(ctx.link, 'per-chunk-latency.svg', 'Per-chunk latency p50/p95/p99 (log scale)', pc.run));
  out.push('', figure(ctx.link, 'per-chunk-cpu.svg', 'Main-thread time per chunk', pc.run));
  return out.join('\n');
}

function captureSection(cap, ctx) {
  const out = ['## Real capture from the fake camera'];
  if (!cap) return [...out, '', '_Not run yet: `npm run bench`._'].join('\n');
  const order = ['raw', 'ours', 'seed'].filter((k) => cap.runs[k]);
  out.push('', `_${stamp(cap.run)}_`, '');
  out.push(`Each contestant records ${cap.config.seconds} s (1280×720 ideal at 30 fps ideal, camera and microphone, \`video/webm;codecs=vp9,opus\`, timeslice 100 ms) in its own page: ours with \`new MediaRecorderProducer()\` (defaults: the device probe on connect), \`startStream()\` and \`onFrame\`; the raw MediaRecorder is getUserMedia + \`new MediaRecorder\` + \`start(100)\`; seed-design is the seed's producer (stream pool, 50 ms tick, FileReader). Long tasks come from a \`PerformanceObserver\` of type \`longtask\` (every entry is ≥ 50 ms). Main-thread time is CDP ThreadTime over the whole run.`);
  out.push('');
  const phases = ['connect', 'start', 'stop', 'destroy'];
  out.push(table(
    ['contestant', 'frames', 'bytes', 'dropped', 'main thread', ...phases.map((p) => `${p}`), 'long tasks (connect/start/stop/destroy)', 'long tasks while recording'],
    order.map((k) => {
      const r = cap.runs[k];
      const lt = phases.map((p) => r.phases[p].longTasks);
      return [NAMES[k], String(r.frames), bytes(r.bytes), r.dropped == null ? '–' : String(r.dropped), `${ms(r.threadMs, 3)} (${num((r.threadMs / r.phases.record.ms) * 100, 2)} % of the recording)`, ...phases.map((p) => ms(r.phases[p].ms)), lt.join(' / '), String(r.phases.record.longTasks)];
    }),
  ));
  const trials = cap.firstFrame.trials;
  const med = (k, f) => median(trials.filter((t) => t.contestant === k).map((t) => t[f]));
  const rawUseful = med('raw', 'firstUsefulMs');
  const rawFirst = med('raw', 'firstFrameMs');
  out.push('', `Start → first frame, median of ${cap.config.trials} trials each, alternating order in one page after a warm-up getUserMedia (${ms(cap.firstFrame.warmCameraMs)}). "Start" is the call to \`startStream()\` (ours, seed) or to \`getUserMedia\` (raw). The first frame is usually Chromium's 1-byte first chunk; "first useful" is the frame holding the first Cluster start (the first media), seen by a listener with the bytes (ours, seed) or as a \`dataavailable\` Blob not yet read (raw).`, '');
  out.push(table(
    ['contestant', 'start() resolved', 'first frame', 'first useful frame', 'useful vs raw'],
    order.map((k) => [NAMES[k], ms(med(k, 'startCallMs')), ms(med(k, 'firstFrameMs')), ms(med(k, 'firstUsefulMs')), k === 'raw' ? '–' : `${med(k, 'firstUsefulMs') - rawUseful >= 0 ? '+' : ''}${ms(med(k, 'firstUsefulMs') - rawUseful)}`]),
  ));
  if (cap.runs.ours) {
    const o = cap.runs.ours;
    const ltStartStop = phases.reduce((a, p) => a + o.phases[p].longTasks, 0);
    const delta = med('ours', 'firstUsefulMs') - rawUseful;
    out.push('', `Goals: start → first useful frame within +5 ms of raw: ${yes(delta <= 5)} (${delta >= 0 ? '+' : ''}${ms(delta)}; the spread between trials is larger than that, see results/capture.json); no long task during connect/start/stop/destroy: ${yes(ltStartStop === 0)} (${ltStartStop}).`);
  }
  ctx.plots.push(['capture-first-frame.svg', barChart({
    title: 'Real capture: start → first frame (median)',
    subtitle: plainStamp(cap.run),
    yLabel: 'milliseconds',
    categories: order.map((k) => NAMES[k]),
    series: [
      { name: 'start() resolved', color: '#afb8c1', values: order.map((k) => med(k, 'startCallMs')) },
      { name: 'first frame', color: '#54aeff', values: order.map((k) => med(k, 'firstFrameMs')) },
      { name: 'first useful frame', color: '#0a3069', values: order.map((k) => med(k, 'firstUsefulMs')) },
    ],
    yFormat: (v) => num(v, 3),
    labelFormat: (v) => num(v, 3),
  })]);
  out.push('', figure(ctx.link, 'capture-first-frame.svg', 'Start → first frame and first useful frame', cap.run));
  void rawFirst;
  return out.join('\n');
}

const KB = 1000; // issue 26 states its goals in KB of 1 000 B (166 694 B = "166.7 KB")
const kb = (v) => (v == null ? '–' : `${num(v / KB, 4)} KB`);

function sizeSection(size, load, ctx) {
  const out = ['## Shipped size'];
  if (!size) return [...out, '', '_Not run yet: `npm run bench`._'].join('\n');
  if (!size.modules) return oldSizeSection(size, ctx);
  const M = size.modules;
  const mb = size.mediabunny;
  const rtc = size.recordrtc;
  out.push('', `_${stamp(size.run)}_`, '');
  const intro = M.keep
    ? "**keep**, recordings users keep (the indexes behind replay's `snapshot()`, seekable output for `retain: \"all\"`, `makeSeekable`, the OPFS sink and `listRecordings`/`recoverRecording`/`deleteRecording`), a wasm-bindgen module of its own, and **codecs**, the WebCodecs engine (its encoding loop and the muxer it runs)"
    : 'so far **codecs**, the WebCodecs engine (its encoding loop and the muxer it runs)';
  const how = `\`wasm-pack build --release --target web\` with feature \`shell\` for the core${M.keep ? '; the same with feature `keep` (`--out-name keep`) for keep' : ''}; \`cargo build --features mux-abi\` + \`wasm-opt -Oz\` for codecs.wasm`;
  out.push(`Since the split (issue 26) the package is a **core** module, fetched, compiled and instantiated when the package is imported, and feature modules fetched with \`import()\` the first time a stream or a call needs one: ${intro}. Each module as built here (${how}) and as shipped (${size.shippedMethod}). gzip is node's zlib at level 9, file by file (what a server compressing each response would send).`, '');
  const fileRow = (f, label) => [label, exactBytes(f.bytes), exactBytes(f.gzip9), exactBytes(f.shipped.bytes), exactBytes(f.shipped.gzip9)];
  const label = (p) => (p.startsWith('snippets/') ? `\`${p.replace(/^snippets\/[^/]+\//, 'snippets/…/')}\`` : `\`${p}\``);
  const rows = [];
  const what = {
    core: 'core (loaded on import)',
    keep: 'keep (fetched when a stream first uses `replay: true`, `retain: "all"` or an OPFS sink, or the app first calls `makeSeekable` or an OPFS function)',
    codecs: "codecs (fetched when a stream first uses `engine: 'webcodecs'`)",
  };
  for (const [name, m] of Object.entries(M)) {
    for (const f of m.files) rows.push(fileRow(f, `${name}: ${label(f.path)}`));
    rows.push([`**${what[name] ?? name}**`, `**${exactBytes(m.bytes)}**`, `**${exactBytes(m.gzip9)}**`, `**${exactBytes(m.shipped.bytes)}**`, `**${exactBytes(m.shipped.gzip9)}**`]);
  }
  const T = size.together;
  rows.push(['**every module together**', `**${exactBytes(T.bytes)}**`, `**${exactBytes(T.gzip9)}**`, `**${exactBytes(T.shipped.bytes)}**`, `**${exactBytes(T.shipped.gzip9)}**`]);
  if (size.entry) rows.push([`the entry, ${size.entry.path.split(' + ').map((p) => `\`${p}\``).join(' + ')} (js/${size.entry.path.includes('web.js') ? 'index.js and js/web.js' : 'index.js'}: imports and initialises the core, registers the feature loaders)`, '–', '–', exactBytes(size.entry.bytes), exactBytes(size.entry.gzip9)]);
  out.push(table(['module / file', 'bytes, as built', 'gzip -9, as built', 'bytes, as shipped', 'gzip -9, as shipped'], rows));
  out.push('', `Beside RecordRTC ${rtc.version}'s \`RecordRTC.min.js\` from npm${mb ? ` and mediabunny ${mb.version}'s minimal recording import (\`${mb.entry}\`) bundled from npm with esbuild (\`--bundle --minify --format=esm\`)` : ''}, measured in the same run:`, '');
  const core = M.core.shipped.gzip9;
  out.push(table(['what an app ships', 'bytes', 'gzip -9', 'ours / it (gzip, core)'], [
    ['ours: core, as shipped', exactBytes(M.core.shipped.bytes), exactBytes(core), '–'],
    ['ours: every module together, as shipped', exactBytes(T.shipped.bytes), exactBytes(T.shipped.gzip9), '–'],
    [`RecordRTC ${rtc.version}: \`RecordRTC.min.js\``, exactBytes(rtc.bytes), exactBytes(rtc.gzip9), rx(core / rtc.gzip9)],
    ...(mb ? [[`mediabunny ${mb.version}: minimal recording import, esbuild bundle`, exactBytes(mb.bytes), exactBytes(mb.gzip9), rx(core / mb.gzip9)]] : []),
  ]));
  // Issue 26's goals: the core as a MediaRecorder page fetches it (the load workload's
  // network log; the core as shipped plus the entry where that workload has not run).
  const g = load?.config?.goal ?? { coreFetchedGzip9: 48 * KB, togetherGzip9: 120 * KB };
  const fetchedCore = load?.mediarecorder?.package?.gzip9 ?? null;
  const coreFigure = fetchedCore ?? core + (size.entry?.gzip9 ?? 0);
  out.push('', '**Goals (issue 26)**, gzip -9 (KB = 1 000 B, as the issue counts):', '');
  out.push(table(['goal', 'measured', 'met'], [
    [`bytes a page fetches when it imports the package and records ${load?.config?.recordSeconds ?? 5} s into an \`onFrame\` listener with MediaRecorder (network log) ≤ ${kb(g.coreFetchedGzip9)}, below mediabunny's minimal recording import`, `${exactBytes(coreFigure)} (${kb(coreFigure)})${fetchedCore == null ? ', the core as shipped plus the entry: the load workload has not run' : ''}${mb ? `; ${rx(coreFigure / mb.gzip9)} mediabunny's ${exactBytes(mb.gzip9)}` : ''}`, yes(coreFigure <= g.coreFetchedGzip9)],
    [`every module together ≤ ${kb(g.togetherGzip9)} (issue 26: 166.7 KB before the split)`, `${exactBytes(T.shipped.gzip9)} (${kb(T.shipped.gzip9)}) as shipped (${Object.keys(M).join(' + ')}); ${exactBytes(T.gzip9)} as built`, yes(T.shipped.gzip9 <= g.togetherGzip9)],
    ...increments(load, M).map(([what, v]) => [what, v, '– (no goal of its own)']),
  ]));
  out.push('', `Issue 13's goals (the whole package ≤ 32 KB gzip, longer-term ≤ 18 KB, RecordRTC's size) are superseded by issue 26's above: the core as shipped is ${kb(core)}, ${rx(core / (32 * 1024))} the old 32 KiB budget.`);
  if (load) out.push('', ...loadPart(load, size));
  out.push('', "Sections of the core's `.wasm`:", '');
  out.push(table(['section', 'bytes'], size.sections.map((s) => [s.name, exactBytes(s.size)])));
  contributorsPart(size.contributors, out, 'the core module');
  if (size.keepWasm) {
    out.push('', "Sections of the keep module's `.wasm`:", '');
    out.push(table(['section', 'bytes'], size.keepWasm.sections.map((s) => [s.name, exactBytes(s.size)])));
    contributorsPart(size.keepWasm.contributors, out, 'the keep module');
  }
  const cats = [...Object.keys(M).map((n) => `${n} (shipped)`), 'together (shipped)', 'RecordRTC.min.js', ...(mb ? ['mediabunny (minimal)'] : [])];
  ctx.plots.push(['size.svg', barChart({
    title: 'Shipped size per module: ours vs RecordRTC.min.js and mediabunny',
    subtitle: plainStamp(size.run),
    yLabel: 'bytes',
    categories: cats,
    series: [
      { name: 'raw', color: '#54aeff', values: [...Object.values(M).map((m) => m.shipped.bytes), T.shipped.bytes, rtc.bytes, ...(mb ? [mb.bytes] : [])] },
      { name: 'gzip -9', color: '#0a3069', values: [...Object.values(M).map((m) => m.shipped.gzip9), T.shipped.gzip9, rtc.gzip9, ...(mb ? [mb.gzip9] : [])] },
    ],
    yFormat: (v) => fmt(v, { bytes: true }),
  })]);
  out.push('', figure(ctx.link, 'size.svg', 'Shipped size per module, raw and gzip -9', size.run));
  return out.join('\n');
}

/** The feature modules' increments (what a page fetches when it first needs one): from
 * the load workload's network log, else the module as shipped. Rows [what, measured]. */
function increments(ld, M) {
  const rows = [];
  const inc = (phase, module, label) => {
    const p = ld?.[phase]?.package;
    if (p && !ld[phase].recording?.error && !p.count && !M?.[module]) rows.push([label, `nothing fetched: this build has no ${module} module (it is in the core)`]);
    else if (p && !ld[phase].recording?.error) rows.push([label, `${exactBytes(p.gzip9)} (${kb(p.gzip9)}), ${p.count} file(s) (network log)`]);
    else if (M?.[module]) rows.push([label, `${exactBytes(M[module].shipped.gzip9)} (${kb(M[module].shipped.gzip9)}), the module as shipped${p ? ': the load workload\'s stream failed' : ': the load workload has not run'}`]);
  };
  inc('webcodecs', 'codecs', "increment: what the first `engine: 'webcodecs'` stream adds (the codecs module)");
  inc('keep', 'keep', 'increment: what the first `replay: true` stream adds (the keep module)');
  if (ld?.fetchedInAll && ld.keep) rows.push(['a page that records with MediaRecorder, then WebCodecs, then replay: everything it fetched from the package (the entry included)', `${exactBytes(ld.fetchedInAll.gzip9)} (${kb(ld.fetchedInAll.gzip9)}), ${ld.fetchedInAll.count} files (network log)`]);
  return rows;
}

/** The load workload (issue 26): what a page fetches, and import → ready. */
function loadPart(ld, size) {
  const out = ['### What a page fetches, from a network log', '', `_${stamp(ld.run)}_`, ''];
  const c = ld.config;
  const mr = ld.mediarecorder;
  const wc = ld.webcodecs;
  const kp = ld.keep;
  const agree = mr.logsAgree && wc.logsAgree && (!kp || kp.logsAgree);
  out.push(`A fresh browser context (cold cache; the bench server answers \`Cache-Control: no-store\`) opens a minimal page (\`/load.html\`, served by the harness, not counted) that imports the package as shipped (\`bench/pkg-shipped/index.js\`, with a dynamic \`import()\`, as a plain \`<script type="module">\` app would), then records ${c.recordSeconds} s with \`new MediaRecorderProducer({ recordingInterval: 100 })\`, an \`onFrame\` listener, \`connect()\` and \`startStream({ width: 640, height: 360 })\`, and stops. Then, in the same page, a stream with \`engine: 'webcodecs'\` for ${c.webcodecsSeconds} s${kp ? `; then one with \`replay: true\` for ${c.keepSeconds} s, a \`snapshot(id, { seconds: ${c.snapshotSeconds} })\` before it stops` : ''}. The server logs every request; each file's gzip -9 is computed on disk (the server sends it uncompressed). The browser's own request log (Playwright, context-wide) ${agree ? 'lists the same paths' : '**does not list the same paths**'}.`, '');
  const fileRows = (files) => files.map((f) => [`\`${f.path.replace(/\/snippets\/[^/]+\//, '/snippets/…/')}\`${f.what === 'package' ? '' : ' (the harness\'s page, not counted)'}`, String(f.requests), exactBytes(f.bytes), exactBytes(f.gzip9)]);
  out.push(table(['fetched by the MediaRecorder page', 'requests', 'bytes', 'gzip -9'], [
    ...fileRows(mr.files),
    [`**the package: ${mr.package.count} files**`, '', `**${exactBytes(mr.package.bytes)}**`, `**${exactBytes(mr.package.gzip9)}**`],
  ]));
  const r = mr.recording ?? {};
  out.push('', `The recording: ${r.frames ?? '–'} frames (${bytes(r.bytes)}) through the listener, engine \`${r.engine ?? '?'}\`; requests while it recorded: ${mr.requestsDuringRecording} (no feature module fetched). Console messages on the page: ${ld.console?.length ?? 0}${ld.problems?.length ? `; page errors: ${ld.problems.join('; ')}` : ''}.`, '');
  const w = wc.recording ?? {};
  out.push(table(["what `engine: 'webcodecs'` adds", 'requests', 'bytes', 'gzip -9'], [
    ...fileRows(wc.files),
    [`**the increment: ${wc.package.count} files**`, '', `**${exactBytes(wc.package.bytes)}**`, `**${exactBytes(wc.package.gzip9)}**`],
  ]));
  out.push('', w.error ? `The WebCodecs stream failed: ${w.error}.` : `The WebCodecs stream: ${w.frames} frames (${bytes(w.bytes)}), engine \`${w.engine}\`, mode \`${w.engineMode}\`. Fetched in all by a page that records with both engines: ${exactBytes(mr.package.gzip9 + wc.package.gzip9)} gzip -9.`);
  if (kp) {
    const k = kp.recording ?? {};
    out.push('', table(['what the first `replay: true` stream adds', 'requests', 'bytes', 'gzip -9'], [
      ...fileRows(kp.files),
      [`**the increment: ${kp.package.count} files**`, '', `**${exactBytes(kp.package.bytes)}**`, `**${exactBytes(kp.package.gzip9)}**`],
    ]));
    out.push('', k.error ? `The replay stream failed: ${k.error}.` : `The replay stream: ${k.frames} frames (${bytes(k.bytes)}); its snapshot of the last ${k.snapshot?.seconds} s: ${bytes(k.snapshot?.bytes)} (\`${k.snapshot?.type || '?'}\`). Fetched in all by a page that records with MediaRecorder, then WebCodecs, then replay: **${exactBytes(ld.fetchedInAll.gzip9)}** gzip -9 in ${ld.fetchedInAll.count} files (${exactBytes(ld.fetchedInAll.bytes)} raw), the entry included.`);
  }
  const I = ld.importReady;
  if (I?.ours || I?.mediabunny) {
    out.push('', `**Import → module ready**, cold: \`performance.now()\` around \`await import(url)\` in the same minimal page, a fresh context each trial, ${c.trials} trials each, alternating; ours is the entry above (its top-level await fetches, compiles and instantiates the core and registers the feature modules' loaders), mediabunny's is its minimal recording import bundle (the size table's, one file). Served from 127.0.0.1, so this is mostly compile and evaluation, not transfer. This machine is shared and noisy (2 cores): medians and their ratio only, no threshold.`, '');
    const row = (name, x) => [name, x ? `**${ms(x.median)}**` : '–', x ? ms(x.min) : '–', x ? ms(x.max) : '–', x ? String(x.n) : '–', x ? `${x.files.length} (${exactBytes(x.gzip9)} gzip -9)` : '–'];
    out.push(table(['import → ready', 'median', 'min', 'max', 'trials', 'files fetched'], [
      row('ours (core)', I.ours),
      row(`mediabunny${size?.mediabunny ? ` ${size.mediabunny.version}` : ''} (minimal recording import)`, I.mediabunny),
    ]));
    out.push('', `Ours / mediabunny, medians: **${rx(I.ratio)}**.`);
  }
  return out;
}

function contributorsPart(c, out, what) {
  if (c?.available) {
    out.push('', `Largest contributors to ${what} (${c.method}; the named build's code section is ${c.sameCode ? 'byte-for-byte the same size as' : 'not the same size as'} the shipped one). Sizes are uncompressed function bodies.`, '');
    out.push(table(['crate', 'code bytes', 'share of code'], c.byCrate.slice(0, 12).map((x) => [x.name, exactBytes(x.size), `${num((x.size / c.codeBytes) * 100, 2)} %`])));
    out.push('', table(['module of ours', 'code bytes'], c.byModule.slice(0, 12).map((x) => [`\`${x.name}\``, exactBytes(x.size)])));
    out.push('', table(['largest functions', 'bytes'], c.topFunctions.map((x) => [`\`${x.name.replace(/\|/g, '\\|')}\``, exactBytes(x.size)])));
  } else {
    out.push('', `Largest contributors: not available in this run (${c?.why || 'unknown reason'}).`);
  }
}

/** Results from before the split (one module): the table as it was. */
function oldSizeSection(size, ctx) {
  const out = ['## Shipped size'];
  const o = size.ours;
  out.push('', `_${stamp(size.run)}_`, '');
  const mb = size.mediabunny;
  out.push(`_Results from before the split (issue 26): one module._ Our release package (\`wasm-pack build --release --target web\`, \`opt-level = "z"\`, LTO, \`wasm-opt -Oz --strip-debug\`) beside RecordRTC ${size.recordrtc.version}'s \`RecordRTC.min.js\` from npm${mb ? ` and mediabunny ${mb.version}'s minimal recording import (\`${mb.entry}\`) bundled from npm with esbuild (\`--bundle --minify --format=esm\`)` : ''}, measured in the same run; gzip is node's zlib at level 9.`, '');
  out.push(table(['file', 'bytes', 'gzip -9'], [
    ['ours: `media_recorder_producer_bg.wasm`', exactBytes(o.wasm.bytes), exactBytes(o.wasm.gzip9)],
    ['ours: `media_recorder_producer.js` (glue)', exactBytes(o.js.bytes), exactBytes(o.js.gzip9)],
    ['**ours: total**', `**${exactBytes(o.total.bytes)}**`, `**${exactBytes(o.total.gzip9)}**`],
    [`RecordRTC ${size.recordrtc.version}: \`RecordRTC.min.js\``, exactBytes(size.recordrtc.bytes), exactBytes(size.recordrtc.gzip9)],
    ...(mb ? [[`mediabunny ${mb.version}: minimal recording import, esbuild bundle`, exactBytes(mb.bytes), exactBytes(mb.gzip9)]] : []),
  ]));
  out.push('', `Issue 13's goals (≤ 32 KB gzip; longer-term ≤ 18 KB) are superseded by issue 26's (a MediaRecorder page fetches ≤ 48 KB; every module together ≤ 120 KB). Ours is ${num(o.total.gzip9 / 1024, 3)} KiB: ${rx(o.total.gzip9 / size.recordrtc.gzip9)} RecordRTC's${mb ? `, ${rx(o.total.gzip9 / mb.gzip9)} mediabunny's minimal recording import` : ''}.`);
  out.push('', 'Sections of the shipped `.wasm`:', '');
  out.push(table(['section', 'bytes'], size.sections.map((s) => [s.name, exactBytes(s.size)])));
  contributorsPart(size.contributors, out, 'the `.wasm`');
  return out.join('\n');
}

function inputSection(input) {
  if (!input) return '';
  const cb = input.chunkBytes;
  return [
    '## Input',
    '',
    `_${stamp(input.run)}_`,
    '',
    `Recorded first in the same run: ${input.seconds} s from Chromium's fake camera and microphone (${input.video.width}×${input.video.height} at ${input.video.frameRate} fps asked 1280×720@30), \`${input.mimeType}\`, timeslice 100 ms.`,
    '',
    table(['chunks', 'bytes', 'bitrate', 'chunk every', 'chunk min', 'p50', 'p95', 'max', 'mean'], [[
      String(input.chunks), exactBytes(input.bytes), `${num(input.bitrateKbps, 3)} kbit/s`, ms(input.meanIntervalMs), exactBytes(cb.min), exactBytes(cb.p50), exactBytes(cb.p95), exactBytes(cb.max), exactBytes(Math.round(cb.mean)),
    ]]),
  ].join('\n');
}

function poolSection(pool, ctx) {
  const out = ['## Stream pool (issue 3)'];
  if (!pool) return [...out, '', '_Not run yet: `npm run bench`._'].join('\n');
  if (pool.skipped) return [...out, '', `_Skipped: ${pool.skipped}._`].join('\n');
  const S = pool.acquire.summary;
  out.push('', `_${stamp(pool.run)}_`, '');
  out.push(`Acquire time, ${pool.config.rounds} rounds each in one page after a warm-up getUserMedia (${ms(pool.warmCameraMs)}), asking 1280×720 at 30 fps with audio: a raw \`getUserMedia\` (tracks stopped each round); our \`StreamPool\` with \`maxPoolSize: 0\` (nothing kept: every acquire opens the devices) and with the defaults (after one creation, every acquire reuses the released stream); the seed's \`OptimizedStreamManager\` fresh (a new manager each round) and reused.`, '');
  const rows = [['raw', 'raw getUserMedia'], ['oursFresh', 'ours: StreamPool, nothing pooled'], ['oursPooled', 'ours: StreamPool, reused'], ['seedFresh', 'seed-design: OptimizedStreamManager, fresh'], ['seedPooled', 'seed-design: OptimizedStreamManager, reused']];
  out.push(table(['acquire', 'p50', 'p95', 'min', 'max'], rows.filter(([k]) => S[k]).map(([k, label]) => [label, ms(S[k].p50), ms(S[k].p95), ms(S[k].min), ms(S[k].max)])));
  const r50 = ratio(S.oursPooled.p50, S.oursFresh.p50);
  const r95 = ratio(S.oursPooled.p95, S.oursFresh.p95);
  out.push('', `Ours pooled / fresh: p50 ${rx(r50)}, p95 ${rx(r95)} (goal ≤ 0.005: ${yes(r50 <= 0.005)}); pooled / raw getUserMedia p50 ${rx(ratio(S.oursPooled.p50, S.raw.p50))}; ours pooled / seed-design reused p50 ${rx(ratio(S.oursPooled.p50, S.seedPooled.p50))}. Pool stats after the reuse rounds: ${Object.entries(pool.acquire.oursStats).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  const ff = pool.firstFrame;
  const med = (kind, f) => median(ff.filter((t) => t.kind === kind).map((t) => t[f]));
  out.push('', `Start → first frame through a producer with \`usePool(pool)\`, median of ${pool.config.trials} trials: cold (the pool is empty, so \`startStream()\` opens the devices) and then warm (the cold stream was stopped, so the pool holds its MediaStream).`, '');
  out.push(table(['pool', 'start() resolved', 'first frame', 'first useful frame'], ['cold', 'warm'].map((k) => [k, ms(med(k, 'startCallMs')), ms(med(k, 'firstFrameMs')), ms(med(k, 'firstUsefulMs'))])));
  const series = [['raw', 'raw gUM'], ['oursFresh', 'ours fresh'], ['oursPooled', 'ours pooled'], ['seedFresh', 'seed fresh'], ['seedPooled', 'seed reused']].filter(([k]) => S[k]);
  ctx.plots.push(['pool-acquire.svg', barChart({
    title: 'Stream pool: acquire time (p50 and p95)',
    subtitle: plainStamp(pool.run),
    yLabel: 'milliseconds',
    yLog: true,
    categories: series.map(([, l]) => l),
    series: [
      { name: 'p50', color: '#54aeff', values: series.map(([k]) => S[k].p50) },
      { name: 'p95', color: '#0a3069', values: series.map(([k]) => S[k].p95) },
    ],
    yFormat: (v) => num(v, 2),
    labelFormat: (v) => num(v, 2),
  })]);
  out.push('', figure(ctx.link, 'pool-acquire.svg', 'Acquire time, fresh vs pooled (log scale)', pool.run));
  return out.join('\n');
}

function metricsSection(mt, ctx) {
  const out = ['## Memory monitor and metrics (issue 4): per-chunk cost before and after'];
  if (!mt) return [...out, '', '_Not run yet: `npm run bench`._'].join('\n');
  const V = mt.variants;
  const c = mt.commits;
  out.push('', `_${stamp(mt.run)}_`, '');
  if (c.quickSelfTest) out.push('**Quick run: both variants are the build under test (a smoke test of the harness, no extra builds); the ratio says nothing about the monitor.**', '');
  out.push(`The monitor and the metrics are always on in the library (no switch turns them off), so "without" is the commit just before they landed and "with" is the commit that added them: \`${c.before.slice(0, 10)}\` vs \`${c.after.slice(0, 10)}\` (${c.subject.length > 90 ? `${c.subject.slice(0, 90)}…` : c.subject}), both built here. Same feed and measure as the per-chunk workload (ours through \`pushChunk\`, one chunk every ${mt.config.paceMs} ms, CDP ThreadTime), ${mt.config.rounds} rounds of ${Math.ceil(mt.config.n / mt.config.rounds)} chunks, the three pages in rotating order each round; net = minus the harness-only page of the same round.`, '');
  out.push(table(['build', 'main thread / chunk (median)', 'per round', 'latency p50 (median)', 'delivered', 'dropped'], [['harness only', 'none'], ['without (before)', 'before'], ['with (after)', 'after']].map(([label, k]) => [label, ms(V[k].threadMsPerChunk), V[k].threadMsPerChunkRounds.map((x) => num(x, 3)).join(', '), k === 'none' ? '–' : ms(V[k].latencyP50Ms), V[k].delivered.toLocaleString('en-US'), String(V[k].dropped)])));
  out.push('', `Net main-thread time with / without, median of the per-round ratios: **${rx(mt.netRatio)}** (goal ≤ 1.02: ${yes(mt.netRatio <= 1.02)}); per round: ${mt.rounds.map((r) => num(r.ratio, 3)).join(', ')}; gross ${rx(mt.grossRatio)}. The per-round spread is the noise floor of this measure on this machine: a difference smaller than it is not resolved.`);
  ctx.plots.push(['metrics-before-after.svg', barChart({
    title: 'Monitor and metrics: main-thread time per chunk, before vs after',
    subtitle: plainStamp(mt.run),
    yLabel: 'ms per chunk',
    categories: mt.rounds.map((_, i) => `round ${i + 1}`),
    series: [
      { name: 'harness only', color: COLORS.none, values: V.none.threadMsPerChunkRounds },
      { name: 'without (before)', color: '#54aeff', values: V.before.threadMsPerChunkRounds },
      { name: 'with (after)', color: COLORS.ours, values: V.after.threadMsPerChunkRounds },
    ],
    yFormat: (v) => num(v, 2),
    labelFormat: (v) => num(v, 2),
  })]);
  out.push('', figure(ctx.link, 'metrics-before-after.svg', 'Main-thread time per chunk before and after the monitor and metrics, per round', mt.run));
  return out.join('\n');
}

const SCENARIO_TITLES = {
  light: 'light consumer: one FNV-1a pass + MessageChannel post per frame (the consumer issue 5 names)',
  heavy: 'heavy consumer: the same checksum repeated so that a mean-size frame costs ≈ 10 ms unthrottled',
};
const PHASE_NAMES = { before: 'unthrottled', throttled: 'throttled', after: 'unthrottled again' };

/** "ours steps down / comes back" numbers of one scenario, for the section and the headline. */
function adaptiveGoals(sc) {
  const o = sc.contestants.ours;
  const sd = sc.contestants.seed;
  if (!o || !sd) return null;
  const th = (c) => c.phases.find((p) => p.name === 'throttled');
  // One chunk of slack: a phase's edges fall between chunks, so equal cadences can differ by one.
  return { cadenceOurs: th(o).cadence, cadenceSeed: th(sd).cadence, framesOurs: th(o).frames, framesSeed: th(sd).frames, cadenceMet: th(o).frames >= th(sd).frames - 1, recovery: o.recovery };
}

function adaptiveSection(ad, ctx) {
  const out = ['## Adaptive quality under CPU throttling (issue 5)'];
  if (!ad) return [...out, '', '_Not run yet: `npm run bench -- --only adaptive`._'].join('\n');
  const cfg = ad.config;
  out.push('', `_${stamp(ad.run)}_`, '');
  out.push(`Feed: ${ad.feed}. The throttled phase is Chrome DevTools CPU throttling (\`Emulation.setCPUThrottlingRate\`, rate ${cfg.rate}): it slows the page's main thread, not the camera or the encoder, so it loads the page only as much as the page works. "Quality" is ours' \`metrics().qualityLevel\` (1 = the top rung of its ladder), and the seed design's \`FrameProcessor.currentQuality\`, a number its \`reduceQuality()\` multiplies by 0.8 and that nothing reads: it changes nothing the camera or the recorder produces, and nothing in the seed ever raises it again. Chunks/s counts frames that reached the consumer. Drops are ours' \`metrics().framesDropped\` and seed-design's dropped count (evictions from its CircularBuffer plus chunks its FrameProcessor skipped: every one is a hole in the recording). Main-thread busy is CDP \`TaskDuration\` over the phase's wall time (throttling stretches tasks, so it shows what the library's busy signal can see); long tasks come from a \`longtask\` observer in the page; "sampler late" is how late the page's ${cfg.sampleMs} ms sampling timer fired (p95).`);
  for (const [name, sc] of Object.entries(ad.scenarios)) {
    const C = sc.contestants;
    const order = ad.order.filter((k) => C[k]);
    const ph = sc.phases;
    out.push('', `### ${name === 'light' ? 'Light' : name === 'heavy' ? 'Heavy' : name} consumer`, '');
    out.push(`${SCENARIO_TITLES[name] ?? name}. Phases: ${ph.before} s unthrottled, ${ph.throttled} s throttled ${cfg.rate}×, ${ph.after} s unthrottled.${sc.calibration ? ` ${sc.passes} passes per frame (${num(sc.calibration.msPerPass, 3)} ms per pass over ${sc.calibration.bytes} B, calibrated unthrottled in this page before the scenario).` : ''}`, '');
    const rows = [];
    for (const k of order) {
      for (const p of C[k].phases) {
        const st = p.settingsAtEnd;
        rows.push([
          NAMES[k], PHASE_NAMES[p.name] ?? p.name, num(p.seconds, 3), String(p.frames), `**${num(p.cadence, 3)}**`, bytes(p.bytes / Math.max(1, p.frames)), ms(p.maxGapMs, 3), String(p.dropped),
          p.quality.min == null ? '–' : `${num(p.quality.min, 2)} / ${num(p.quality.end, 2)}`,
          st ? `${st.width}×${st.height}@${num(st.frameRate, 3)}` : '–',
          ms(p.consumerMsPerFrame, 3), p.processingMs?.mean == null ? '–' : ms(p.processingMs.mean, 3),
          `${num(p.taskShare * 100, 2)} %`, `${p.longTasks} (${ms(p.longTaskMs, 3)})`, ms(p.samplerLateMs.p95, 2),
        ]);
      }
    }
    out.push(table(['contestant', 'phase', 's', 'chunks', 'chunks/s', 'bytes / chunk', 'longest gap', 'dropped', 'quality min / end', 'track settings at end', 'consumer / frame', 'processing (mean)', 'main thread busy', 'long tasks', 'sampler late p95'], rows));
    out.push('', '"processing (mean)": ours\' `metrics().averageProcessingTime` (arrival → every listener done, EWMA), seed-design\'s `FrameProcessor.getAverageProcessingTime()` (its FileReader read only, the consumer excluded), averaged over the phase\'s samples.');
    const o = C.ours;
    if (o) {
      const ev = o.raw.events;
      const thAt = o.raw.marks.find((m) => m.name === 'throttled').t;
      if (ev.length) {
        out.push('', `Ours' \`onQualityChange\` events (time from the start of throttling; the sample is the window that tipped it, \`sample.busy\` the library's main-thread busy share, overloaded above 0.5):`, '');
        out.push(table(['t', 'reason', 'from → to (ladder)', 'processing', 'backlog', 'busy', 'track after'], ev.map((e) => [
          `${num((e.t - thAt) / 1000, 3)} s`, e.reason, `${num(e.from.quality, 2)} → ${num(e.to.quality, 2)} (${e.to.width}×${e.to.height}@${e.to.frameRate})`,
          ms(e.sample.processingMs, 3), String(e.sample.backlog), num(e.sample.busy, 2),
          e.streams.map((x) => `${x.width}×${x.height}@${num(x.frameRate, 3)}`).join(', '),
        ])));
      } else {
        out.push('', '**Ours never changed level in this scenario: no `onQualityChange` event**, so the library\'s own busy sample is not visible; the busy, long-task and lateness columns above are what its signal could see.');
      }
      out.push('', `Ours' track \`getSettings()\` over time (sampled every ${cfg.sampleMs} ms; time from the start of throttling): ${o.settings.map((x) => `${num((x.t - thAt) / 1000, 3)} s ${x.width}×${x.height}@${num(x.frameRate, 3)}`).join(' → ')}.`);
    }
    const g = adaptiveGoals(sc);
    if (g) {
      const r = g.recovery;
      const back = !r.steppedDown ? 'not tested: ours never stepped down' : r.ms == null ? `**no**: ${r.text}` : `${yes(r.ms <= 10_000)} (${num(r.ms / 1000, 3)} s)`;
      out.push('', `Goals: chunks/s while throttled, ours ≥ seed-design (one chunk of slack: a phase's edges fall between chunks): ${yes(g.cadenceMet)} (${num(g.cadenceOurs, 3)} vs ${num(g.cadenceSeed, 3)}, ${g.framesOurs} vs ${g.framesSeed} chunks); full quality back within 10 s of the load ending: ${back}. ${o?.firstStepDownMs != null ? `Ours first stepped down ${num(o.firstStepDownMs / 1000, 3)} s after throttling began. ` : ''}Seed-design: ${C.seed.recovery.text}. Dropped over the whole run, counted after stop: ours ${o?.droppedAtStop ?? '–'}, seed-design ${C.seed.droppedAtStop ?? '–'}.`);
    }
    // Plots: quality over time (aligned on the start of throttling), and chunks per second.
    const align = (c) => c.raw.marks.find((m) => m.name === 'throttled').t;
    const band = [{ x0: 0, x1: ph.throttled, label: `CPU throttled ${cfg.rate}×` }];
    const qs = (k) => C[k].raw.samples.map((x) => [(x.t - align(C[k])) / 1000, x.quality ?? x.levelQuality ?? null]);
    const series = [];
    if (C.ours) {
      const top = C.ours.settings[0]?.height || 720;
      series.push({ name: 'ours: metrics().qualityLevel', color: COLORS.ours, step: true, width: 3, points: qs('ours') });
      series.push({ name: `ours: track height / ${top} (getSettings)`, color: '#0a3069', dot: true, step: true, points: C.ours.raw.samples.map((x) => [(x.t - align(C.ours)) / 1000, x.height == null ? null : x.height / top]) });
    }
    if (C.seed) series.push({ name: 'seed-design: currentQuality (changes nothing)', color: COLORS.seed, dash: true, step: true, points: qs('seed') });
    const qfile = `adaptive-quality-${name}.svg`;
    ctx.plots.push([qfile, lineChart({
      title: `Adaptive quality, ${name} consumer: quality level over time`,
      subtitle: plainStamp(ad.run),
      xLabel: 'seconds from the start of throttling',
      yLabel: 'quality level (1 = top)',
      yMin: 0, yMax: 1,
      bands: band,
      series,
      yFormat: (v) => num(v, 2),
    })]);
    const bins = (k) => {
      const c = C[k];
      const a = align(c);
      const end = c.raw.marks.find((m) => m.name === 'end').t;
      const first = c.raw.marks.find((m) => m.name === 'before').t;
      const pts = [];
      for (let t = first; t + 1000 <= end + 1; t += 1000) {
        const n = c.raw.arrivals.filter(([x]) => x >= t && x < t + 1000).length;
        pts.push([(t + 500 - a) / 1000, n]);
      }
      return pts;
    };
    const cfile = `adaptive-cadence-${name}.svg`;
    ctx.plots.push([cfile, lineChart({
      title: `Adaptive quality, ${name} consumer: chunks delivered per second`,
      subtitle: plainStamp(ad.run),
      xLabel: 'seconds from the start of throttling (1 s bins)',
      yLabel: 'chunks delivered to the consumer per second',
      yMin: 0,
      bands: band,
      series: order.map((k) => ({ name: NAMES[k], color: COLORS[k], dash: k === 'seed', points: bins(k) })),
      yFormat: (v) => num(v, 2),
    })]);
    out.push('', figure(ctx.link, qfile, `Quality level over time, ${name} consumer (shaded: CPU throttled ${cfg.rate}×)`, ad.run));
    out.push('', figure(ctx.link, cfile, `Chunks delivered per second, ${name} consumer (shaded: CPU throttled ${cfg.rate}×)`, ad.run));
  }
  return out.join('\n');
}

const SEEKABLE_NAMES = {
  ours: 'ours: `makeSeekable(blob)`',
  'ts-ebml': 'ts-ebml: Decoder + Reader + `tools.makeMetadataSeekable`',
  'fix-webm-duration': '@fix-webm-duration/fix: `fixWebmDuration(blob, ms)`',
  mediabunny: 'mediabunny: `Conversion` remux to WebM',
};

/** The seekable workload (issue 14): four ways to make a long MediaRecorder WebM seekable,
 * side by side. Renders "not run yet" without its results file. */
function seekableSection(sk) {
  const out = ['## Making a long recording seekable (issue 14)'];
  if (!sk) return [...out, '', '_Not run yet: `npm run bench -- --only seekable`._'].join('\n');
  const cfg = sk.config;
  const inp = sk.input;
  const mib = (v) => (v == null ? '–' : `${num(v / 2 ** 20, 3)} MiB`);
  out.push('', `_${stamp(sk.run)}_`, '');
  if (sk.run?.quick) out.push(`**Quick run: a ${num(inp.bytes / 1e6, 3)} MB input instead of the issue's 200 MB; a smoke test of the harness.**`, '');
  const rec = inp.recorded;
  out.push(`Input: a plain MediaRecorder recording from the fake camera and microphone (${rec.seconds} s asked, \`${rec.mimeType}\`, ${rec.video.width}×${rec.video.height}, ${num(rec.bitrateKbps, 3)} kbit/s, ${rec.clusters} Clusters in ${num(rec.mediaMs / 1000, 3)} s of media), its Clusters repeated ${inp.repetitions} times with shifted Cluster Timestamps (\`bench/lib/synth-webm.mjs\`): **${num(inp.bytes / 1e6, 4)} MB, ${num(inp.durationMs / 60_000, 4)} min, ${inp.clusters.toLocaleString('en-US')} Clusters**, no Duration, no Cues (issue 14's anchor: 200 MB, 75 min, about 4 557 Clusters). Before use: ffprobe reports duration ${inp.probe.duration ?? 'N/A'} and a demux of every packet (\`ffmpeg -v error -i f -c copy -f null -\`) ${inp.probe.clean ? 'prints nothing' : `prints ${inp.probe.printedLines} line(s)`}. The page fetches it into a Blob.`);
  out.push('', `Feed: ${sk.feed}. Time is the median over the completed trials (a contestant whose first call took over ${num((cfg.slowMs ?? 30_000) / 1000, 3)} s gets ${cfg.slowTrials ?? 3} trials, not ${cfg.trials}). **Peak memory** is the renderer process's peak resident set during the call above its resident set just before (Linux \`VmHWM\` after \`clear_refs\`): everything the page's process touched, JS heap, ArrayBuffers, wasm memory, decoder state. The JS heap column is \`performance.memory.usedJSHeapSize\` sampled every ${cfg.sampleMs} ms by a timer, which cannot fire while a contestant runs synchronously (the longest gap between samples is given: where it is as long as the call, the column shows before/after only). Blob bytes (the input, and outputs that reference it) live in the browser process's blob storage and are counted by neither. The output is checked once (first trial): a \`<video>\` reports its duration after \`loadedmetadata\`, then a seek to the middle (${num(sk.truthS / 2, 4)} s) must fire \`seeked\` within ${cfg.checkTimeoutMs / 1000} s; the bytes go back to Node for ffprobe. True duration: ${num(sk.truthS, 5)} s (the start of the last block); "within 10 %" compares with it.`);
  out.push('');
  const order = Object.keys(sk.contestants);
  const C = sk.contestants;
  const dur = (c) => {
    const d = c.check?.duration;
    if (d == null) return '–';
    return typeof d === 'number' ? `${num(d, 5)} s ${c.durationOk ? '(within 10 %)' : '**(off by more than 10 %)**'}` : `**${d}**`;
  };
  out.push(table(
    ['contestant', 'trials', '**time** (median)', '**peak memory** (renderer RSS rise)', 'JS heap peak rise (sampled; longest gap)', 'wasm memory growth', 'output', '`<video>` duration', 'seek to the middle', 'ffprobe', 'bundle, minified / gzip -9'],
    order.map((k) => {
      const c = C[k];
      const v = c.size?.version ? ` ${c.size.version}` : '';
      const fail = c.failure ? `**${c.failure.what}**${c.failure.error ? `: ${c.failure.error.replace(/\|/g, '\\|').slice(0, 120)}` : ''}${c.failure.rssPeakRise != null ? ` (RSS +${mib(c.failure.rssPeakRise)} when it ${c.failure.what === 'crashed' ? 'crashed' : 'stopped'})` : ''}` : null;
      const seek = c.check?.seeked == null ? '–' : c.check.seeked === true ? `yes (at ${num(c.check.currentTime, 4)} s, ${ms(c.check.seekMs, 3)})` : c.check.seeked === false ? '**no: error**' : '**no: timed out**';
      const probe = c.probe ? `${c.probe.duration == null ? '**duration N/A**' : `${num(c.probe.duration, 5)} s${c.probeDurationOk ? '' : ' **(off)**'}`}${c.probe.clean ? ', demux clean' : `, printed ${c.probe.printedLines} line(s): \`${(c.probe.printed[0] ?? '').replace(/^\[[^\]]*\] /, '').replace(/\|/g, '\\|')}\``}` : '–';
      return [
        `${SEEKABLE_NAMES[k] ?? k}${v}`,
        `${c.completed}/${c.trials}`,
        fail ?? `**${ms(c.ms, 3)}**`,
        c.rssPeakRise == null ? '–' : `**${mib(c.rssPeakRise)}**`,
        c.heapPeakRise == null ? '–' : `${mib(c.heapPeakRise)} (${ms(c.maxSamplerGapMs, 3)})`,
        c.wasmRise == null ? '–' : k === 'ours' ? `${mib(c.wasmRise)} (to ${mib(c.wasmAfter)}${c.size?.keep ? ', core + keep modules' : ''})` : 'none (no wasm)',
        c.outBytes == null ? '–' : `${num(c.outBytes / 1e6, 4)} MB${c.unchanged ? ' **(its input, unchanged)**' : ''}`,
        dur(c), seek, probe,
        c.size ? `${bytes(c.size.bytes)} / **${bytes(c.size.gzip9)}**` : '–',
      ];
    }),
  ));
  const o = C.ours;
  const g = sk.goal;
  if (o) out.push('', `Issue 13's goal for ours on its 200 MB anchor (here ${num(inp.bytes / 1e6, 3)} MB): ≤ ${num(g.ms / 1000, 2)} s: ${yes(g.msMet)} (${ms(o.ms, 3)}${o.msTrials?.length ? `; trials ${o.msTrials.map((x) => num(x, 3)).join(', ')} ms` : ''}); ≤ 32 MiB peak: ${yes(g.bytesMet)} (renderer RSS +${mib(o.rssPeakRise)}, of which wasm memory grew ${mib(o.wasmRise)} and the sampled JS heap peaked ${mib(o.heapPeakRise)} above its start)${sk.run?.quick ? ' — measured on the quick run\'s small file, not the 200 MB one' : ''}.`);
  const failed = order.filter((k) => C[k].failure || !C[k].durationOk || !C[k].seekOk || !C[k].probeDurationOk || C[k].unchanged);
  if (failed.length) out.push('', `Not right: ${failed.map((k) => `${k} (${[C[k].failure && C[k].failure.what, C[k].unchanged && 'returned its input', C[k].check && !C[k].durationOk && 'duration', C[k].check && !C[k].seekOk && 'seek', C[k].probe && !C[k].probeDurationOk && 'ffprobe duration'].filter(Boolean).join(', ')})`).join('; ')}.`);
  const b = sk.bundles;
  out.push('', `Bundle sizes: ${b.method}, esbuild ${b.esbuild}. ${order.map((k) => `${k}: ${C[k].size?.what ?? '–'}`).join('; ')}. Issue 13's other reference points, measured the same way: ${Object.values(b.others).map((x) => `${x.what} ${x.version}: ${bytes(x.bytes)} / **${bytes(x.gzip9)}** gzip -9`).join('; ')}.`);
  const ok = C.ours?.size?.keep;
  if (ok) {
    const z = C.ours.size;
    out.push('', `Ours since the keep split (issue 26): \`makeSeekable\` is in the core as a thin wrapper that fetches the keep module on its first call, so an app that uses it fetches both: the core ${bytes(z.core.bytes)} / **${bytes(z.core.gzip9)}** gzip -9 (glue ${bytes(z.js.gzip9)}, .wasm ${bytes(z.wasm.gzip9)}) and keep ${bytes(z.keep.bytes)} / **${bytes(z.keep.gzip9)}** gzip -9 (keep.js ${bytes(z.keep.js.gzip9)}, .wasm ${bytes(z.keep.wasm.gzip9)}), ${bytes(z.gzip9)} in all. The page loads the keep module before the call (through the loader it registers as the package's entry does), as the others' bundles are loaded before theirs: ${C.ours.keepLoadMs != null ? `median ${ms(C.ours.keepLoadMs, 3)}, ` : ''}not in the time above. Wasm memory for ours is the core's plus the keep module's (makeSeekable runs in the keep module's).`);
  }
  const st = sk.stopLatency;
  if (st?.trials?.length) {
    out.push('', `### stopStream with retain "all"`, '');
    out.push(`Ours recording the fake camera and microphone (default config, adaptive quality off) for ${st.config.seconds} s, then \`stopStream()\` timed to its resolution; retain "all" resolves with \`recording\`, the seekable Blob (${bytes(st.recordingBytes)} here), so it includes a \`makeSeekable\` pass. ${st.config.trials} trial(s) each, alternating, one page. Median: bounded ${ms(st.bounded, 3)}, all ${ms(st.all, 3)}: **retain "all" adds ${ms(st.extraMs, 3)}** (trials: ${st.trials.map((x) => `${x.retain} ${num(x.ms, 3)}`).join(', ')} ms).`);
  }
  return out.join('\n');
}

/** The upload workload (issue 15): ours (tusSink) vs tus-js-client on a finished Blob,
 * main-thread cost of a tus sink while recording, and resume after outages. */
function uploadSection(up) {
  const out = ['## Upload while recording (issue 15)'];
  if (!up) return [...out, '', '_Not run yet: `npm run bench -- --only upload`._'].join('\n');
  const c = up.config;
  out.push('', `_${stamp(up.run)}_`, '');
  if (up.run?.quick) out.push('**Quick run: small N; a smoke test of the harness.**', '');
  out.push(`Against a real tus server (\`@tus/server\` 2.4 with \`@tus/file-store\`, on the bench page's origin on 127.0.0.1, files on the local disk). Throughput: ${num(c.bytes / 2 ** 20, 3)} MiB of incompressible bytes, **tus-js-client 4.3 uploading the finished Blob** vs **ours**: the same bytes pushed as ${num(c.pushBytes / 1024, 3)} KiB chunks into an external stream with a \`tusSink\`, timed to \`stopStream\` resolving (the server has it all); ${num(c.chunkSize / 1e6, 3)} MB PATCHes for both, ${c.trials} trial(s) each, alternating, a fresh page each; median MiB/s.`, '');
  const T = up.throughput;
  out.push(table(['contestant', 'MiB/s (median)', 'trials (ms)'], [
    ['tus-js-client, finished Blob', num(T.tus, 3), T.trials.filter((x) => x.contestant === 'tus-js-client').map((x) => num(x.ms, 4)).join(', ')],
    ['ours, tusSink fed chunk by chunk', num(T.ours, 3), T.trials.filter((x) => x.contestant === 'ours').map((x) => num(x.ms, 4)).join(', ')],
  ]));
  out.push('', `Ours / tus-js-client: **${rx(T.ratio)}** (goal ≥ ${c.goal.throughput}); every byte acknowledged in every trial of ours: ${yes(T.complete)}.`);
  const M = up.mainThread;
  out.push('', `Main-thread time (CDP \`Performance.getMetrics\` TaskDuration over the page) per recorded second, recording the fake camera and microphone for ${c.recordSeconds} s (adaptive quality off), with a \`tusSink\` to the server, with a sink object that does nothing, and with no sink, ${c.recordTrials} trial(s) each, rotating: none **${ms(M.none)}**, no-op sink ${ms(M.noop)}, tus **${ms(M.tus)}**: tus / none **${rx(M.ratio)}** (goal ≤ ${c.goal.mainThread}); no-op sink / none ${rx(ratio(M.noop, M.none))} (what any consumer costs: the stream's delivery loop runs for it).`);
  const R = up.resume;
  out.push('', `Resume: one recording with a \`tusSink\` (\`retryDelays: [${c.retryDelays.join(', ')}]\`); the server taken down ${c.outages} times for ${c.downMs} ms (every connection reset, as when the network goes away), ${c.upMs} ms apart. Time from the server back to its next acknowledged PATCH: **p50 ${ms(R.p50)}**, max ${ms(R.max)} (goal ≤ ${ms(c.goal.resumeMs)}: 1 s plus the last retry delay)${R.missed ? `; ${R.missed} outage(s) without a PATCH within 30 s` : ''}. Each: ${R.latencies.map((x) => (x == null ? '–' : num(x, 3))).join(', ')} ms. At stop the upload was \`${R.end?.state}\` after ${R.end?.retries} retries, ${num(R.end?.bytesAcknowledged, 6)} bytes acknowledged, ${R.end?.dropped} chunks dropped.`);
  return out.join('\n');
}

/** The codecs workload (issue 16): the WebCodecs engine against the MediaRecorder engine,
 * raw MediaRecorder and the seed design. */
function codecsSection(cd) {
  const out = ['## The WebCodecs engine (issue 16)'];
  if (!cd) return [...out, '', '_Not run yet: `npm run bench -- --only codecs`._'].join('\n');
  const c = cd.config;
  out.push('', `_${stamp(cd.run)}_`, '');
  if (cd.run?.quick) out.push('**Quick run: small N; a smoke test of the harness.**', '');
  out.push(`Recording the fake camera (640×480 ideal, 20 fps) and microphone, VP8 + Opus, ${num(c.step.from / 1000, 3)} kbit/s video, 100 ms timeslice, a fresh page per recording. Contestants: **raw MediaRecorder** (a hand-written loop keeping its Blobs), **ours, MediaRecorder engine**, **ours, WebCodecs engine** (\`engine: "webcodecs"\`: the encoders in a Worker, the WebM muxed by the library), and for cadence the **seed design** (its producer reads every chunk). Ours with \`frameData: "blob"\` and adaptive quality off, so no contestant reads its chunks.`, '');
  const M = cd.mainThread;
  out.push('### Main-thread time per recorded second', '');
  out.push(`CDP \`Performance.getMetrics\` TaskDuration over ${c.seconds} s of recording, from ${num(c.warmMs / 1000, 2)} s after the start (setup and stop excluded); ${c.trials} trial(s) each, rotating; median.`, '');
  out.push(table(['contestant', 'ms per recorded s (median)', 'trials', 'long tasks (≥ 50 ms) while recording, per trial'], ['raw', 'mediarecorder', 'webcodecs'].map((w) => [
    { raw: 'raw MediaRecorder', mediarecorder: 'ours, MediaRecorder engine', webcodecs: 'ours, WebCodecs engine (Worker)' }[w],
    ms(M[w], 3),
    M.trials.filter((x) => x.contestant === w).map((x) => num(x.perSecond, 3)).join(', '),
    M.trials.filter((x) => x.contestant === w).map((x) => (x.longTasks == null ? '–' : x.longTasks)).join(', '),
  ])));
  out.push('', `WebCodecs / raw MediaRecorder: **${rx(M.ratio)}** (goal ≤ ${c.goal.mainThread}): ${yes(cd.goals.mainThread)}. Encoders ran in a \`${M.trials.find((x) => x.contestant === 'webcodecs')?.info?.engineMode ?? '?'}\`.`);
  const L = cd.loaded;
  out.push('', '### Cadence and drops under load', '');
  out.push(`CDP CPU throttling ${c.loaded.throttle}× and the main thread busy ${c.loaded.busyMs} ms of every 100 ms, ${c.loaded.seconds} s. Video fps: ffprobe's video packets in the recording over the time recorded; gaps: time between chunks arriving; drops before encoding: frames the WebCodecs engine did not encode because its encoder's queue was full; after encoding: chunks evicted from the buffer (ours) or dropped by the seed design's frame processor.`, '');
  out.push(table(['contestant', 'video fps in the file', 'chunk gaps p50 / p95 / max (ms)', 'chunks', 'dropped before encoding', 'dropped after encoding', 'ffprobe'],
    ['seed', 'raw', 'mediarecorder', 'webcodecs'].filter((w) => L[w]).map((w) => {
      const x = L[w];
      return [{ seed: 'seed design', raw: 'raw MediaRecorder', mediarecorder: 'ours, MediaRecorder engine', webcodecs: 'ours, WebCodecs engine' }[w],
        x.videoFps == null || Number.isNaN(x.videoFps) ? '–' : num(x.videoFps, 3),
        `${num(x.gaps.p50, 3)} / ${num(x.gaps.p95, 3)} / ${num(x.gaps.max, 3)}`,
        x.chunks, x.droppedBeforeEncoding ?? '–', x.droppedAfterEncoding ?? '–', x.probe?.error ? `error: ${String(x.probe.error).split('\n')[0].slice(0, 80)}` : 'clean'];
    })));
  const S = cd.step;
  out.push('', '### Bitrate step', '');
  out.push(`Video only, ${num(c.step.from / 1000, 3)} → ${num(c.step.to / 1000, 3)} kbit/s with \`setBitrate()\` ${num(c.step.atMs / 1000, 2)} s into a ${c.step.seconds} s recording. Response: from the request to the end of the first ${c.step.windowMs} ms window (sliding by 100 ms) whose bytes/s are within ±${c.step.tolerance * 100} % of the new target.`, '');
  out.push(table(['engine', 'how', 'bit/s before', 'bit/s after (1 s on)', 'response', 'longest gap between chunks after the request'], ['webcodecs', 'mediarecorder'].filter((w) => S[w]).map((w) => [
    w === 'webcodecs' ? 'ours, WebCodecs' : 'ours, MediaRecorder', S[w].how, num(S[w].before, 4), num(S[w].after, 4), S[w].responseMs == null ? 'never' : ms(S[w].responseMs), ms(S[w].longestGapAfterMs),
  ])));
  out.push('', `WebCodecs step response ≤ ${ms(c.goal.stepMs)}: ${yes(cd.goals.step)}.`);
  return out.join('\n');
}

/** The keep workload (issue 14): snapshot latency of a replay stream, and an OPFS
 * recording's memory and stopStream time. */
function keepSection(kp) {
  const out = ['## Recordings you keep (issue 14)'];
  if (!kp) return [...out, '', '_Not run yet: `npm run bench -- --only keep`._'].join('\n');
  const c = kp.config;
  const S = kp.snapshot;
  const O = kp.opfs;
  const mib = (v) => (v == null ? '–' : `${num(v / 2 ** 20, 3)} MiB`);
  const len = (sec) => (sec == null ? '?' : sec >= 120 ? `${num(sec / 60, 3)} min` : `${num(sec, 3)} s`);
  const dur = (ch) => (ch?.duration == null ? (ch?.loaded === null ? 'timed out' : '–') : typeof ch.duration === 'number' ? `${num(ch.duration, 4)} s` : `**${ch.duration}**`);
  out.push('', `_${stamp(kp.run)}_`, '');
  if (kp.run?.quick) out.push(`**Quick run: ${S.recordSeconds} s of replay instead of 40, a ${len(O.long.seconds)} OPFS recording instead of 10 min; a smoke test of the harness.**`, '');
  out.push(`Ours only, recording the fake camera and microphone (${S.video?.width ?? '?'}×${S.video?.height ?? '?'}, \`${S.mimeType ?? '?'}\`), the default config unless stated, one page per part.${S.keepModule ? ' Since the keep split (issue 26) this is the keep module\'s work: each page fetches it through the loader it registers as the package\'s entry does, when its first stream starts (replay, or the OPFS sink), before anything here is timed.' : ''}`, '');
  out.push('### Instant replay: snapshot()', '');
  out.push(`A \`startStream({ replay: true, keyframeInterval: 1000 })\` stream with \`bufferMaxBytes\` ${mib(c.snapshot.bufferMaxBytes)} and \`bufferCapacity\` ${c.snapshot.bufferCapacity} (the default 64 chunks hold 6.4 s at the 100 ms timeslice), recorded for ${S.recordSeconds} s (the ring then held ${bytes(S.held.bytesHeld)} in ${S.held.chunksHeld} chunks of the ${bytes(S.held.bytesRecorded)} recorded; ${S.held.framesDropped} frames dropped), then \`snapshot(id, { seconds: ${S.seconds} })\` ${S.times.length} times, ${c.snapshot.gapMs} ms apart, each timed with \`performance.now()\` from the call until its Blob resolves. The first clip's duration is what a \`<video>\` reports after \`loadedmetadata\`.`, '');
  out.push(table(['snapshot of the last ' + S.seconds + ' s', 'p50', 'p95', 'max', 'min', 'clip size (median)', '`<video>` duration (first clip)'], [
    ['ours', `**${ms(S.p50)}**`, ms(S.p95), ms(S.max), ms(S.min), bytes(S.bytes), `${dur(S.check)}${S.check?.duration != null && !S.durationOk ? ' **(shorter than asked)**' : ''}`],
  ]));
  out.push('', `Each: ${S.times.map((x) => num(x, 3)).join(', ')} ms. Goal: p50 ≤ ${ms(c.goal.snapshotP50Ms)} for 30 s of replay: ${kp.run?.quick ? `– (this quick run cut ${S.seconds} s)` : yes(kp.goals.snapshotP50)}.`);
  out.push('', '### Long recordings to OPFS: memory and stopStream', '');
  const L = O.long;
  const sh = O.short;
  out.push(`One stream with \`sink: { type: 'opfs', name }\` (default config: a ring budget of ${mib(O.budget)}, ${bytes(O.budget)}) for ${len(L.seconds)}, sampled every ${c.opfs.sampleMs / 1000} s: \`metrics().bytesHeld\`, the stream's \`budgetBytes\`, \`performance.memory.usedJSHeapSize\`, wasm memory, and the bytes committed to the file so far (the \`bytes\` of its \`listRecordings()\` entry, which reads a recording still being written as its committed parts). Then \`stopStream()\` timed until it resolves with \`recording\`, the file made seekable; the same for a ${len(sh.seconds)} OPFS recording first, in the same page. Both recordings are deleted afterwards (\`deleteRecording\`).`, '');
  out.push(table(['', 'first sample', 'last sample', 'max'], [
    ['bytes held', bytes(O.held.first), bytes(O.held.last), `**${bytes(O.held.max)}**`],
    ['ring budget', bytes(L.samples[0]?.budgetBytes), bytes(L.samples.at(-1)?.budgetBytes), '–'],
    ['JS heap', bytes(O.heap.first), bytes(O.heap.last), bytes(O.heap.max)],
    [L.samples.some((x) => x.wasmKeep != null) ? 'wasm memory (core + keep modules)' : 'wasm memory', bytes(L.samples[0]?.wasm), bytes(L.samples.at(-1)?.wasm), bytes(Math.max(...L.samples.map((x) => x.wasm)))],
    ['file on disk (committed)', bytes(O.file.first), bytes(O.file.last), '–'],
  ]));
  out.push('', `Bytes held stay within the ring budget (max ${bytes(O.held.max)} of ${bytes(O.budget)}) while the file grows to ${bytes(L.listed?.bytes ?? O.file.last)}: ${yes(O.heldWithinBudget)}. Frames dropped: ${L.framesDropped}.${L.samples.some((x) => x.listError) ? ` \`listRecordings()\` failed while recording: ${L.samples.find((x) => x.listError).listError}.` : ''}`, '');
  out.push(table(['OPFS recording', 'stopStream', 'recording (a File)', '`<video>` duration', 'listed after stop', 'deleted'], [sh, L].map((r) => [
    len(r.seconds), `**${ms(r.ms)}**`, `${bytes(r.recordingBytes)}${r.isFile ? '' : ' **(not a File)**'}`, dur(r.check),
    r.listed ? `${bytes(r.listed.bytes)} in ${r.listed.parts} parts, finished ${r.listed.finished}` : '–', r.deleted ? 'yes' : `**no**${r.deleteError ? ` (${r.deleteError})` : ''}`,
  ])));
  out.push('', `stopStream after ${len(L.seconds)} / after ${len(sh.seconds)}: **${rx(O.stopRatio)}** (${ms(L.ms)} and ${ms(sh.ms)}; one recording each). Goal: ≤ ${ms(c.goal.stopMs)} whatever the length: ${kp.run?.quick ? '– (a quick run; the goal is about the 10 min recording)' : yes(kp.goals.stop)}.`);
  return out.join('\n');
}

function headline(ctx) {
  const { soak, pc, cap, size } = ctx.data;
  const rows = [];
  if (soak?.contestants.ours && soak.contestants.naive) {
    const o = soak.contestants.ours;
    const maxHeld = Math.max(...o.samples.map((s) => s.held));
    const bound = 8 * 1024 * 1024;
    rows.push(['soak: ours\' bytes held stay within its bound (8 MiB + one chunk)', `max ${bytes(maxHeld)}`, yes(maxHeld <= bound + 1024 * 1024)]);
    const r = ratio(o.samples.at(-1).held, soak.contestants.naive.samples.at(-1).held);
    rows.push(['soak: ours ≤ 1 % of naive\'s bytes held at the end', `${num(r * 100, 3)} %`, yes(r <= 0.01)]);
  }
  if (pc?.contestants.ours) {
    const C = pc.contestants;
    const base = C.none ? C.none.threadMsPerChunk : 0;
    for (const [other, goal] of [['seed', 1.0], ['floor', 1.1]]) {
      if (!C[other]) continue;
      const t = pc.ratios?.[other]?.netThread ?? ratio(C.ours.threadMsPerChunk - base, C[other].threadMsPerChunk - base);
      const l = ratio(C.ours.latencyMs.p50, C[other].latencyMs.p50);
      rows.push([`per chunk: main thread, ours / ${NAMES[other]} ≤ ${goal.toFixed(2)}`, rx(t), yes(t <= goal)]);
      rows.push([`per chunk: latency p50, ours / ${NAMES[other]} ≤ ${goal.toFixed(2)}`, rx(l), yes(l <= goal)]);
    }
    if (C.oursBlob && C.naive) {
      const t = pc.ratios?.blobVsNaive?.netThread ?? ratio(C.oursBlob.threadMsPerChunk - base, C.naive.threadMsPerChunk - base);
      rows.push([`per chunk: main thread, ${NAMES.oursBlob} / ${NAMES.naive} ≤ 1.50`, rx(t), yes(t <= 1.5)]);
    }
  }
  if (cap?.runs.ours && cap.runs.raw) {
    const trials = cap.firstFrame.trials;
    const med = (k) => median(trials.filter((t) => t.contestant === k).map((t) => t.firstUsefulMs));
    const d = med('ours') - med('raw');
    rows.push(['capture: start → first useful frame ≤ raw + 5 ms', `${d >= 0 ? '+' : ''}${ms(d)}`, yes(d <= 5)]);
    const lt = ['connect', 'start', 'stop', 'destroy'].reduce((a, p) => a + cap.runs.ours.phases[p].longTasks, 0);
    rows.push(['capture: no long task (≥ 50 ms) in connect/start/stop/destroy', String(lt), yes(lt === 0)]);
    rows.push(['capture: drops in the long run', String(cap.runs.ours.dropped), yes(cap.runs.ours.dropped === 0)]);
  }
  const { pool, metrics } = ctx.data;
  if (pool?.acquire) {
    const S = pool.acquire.summary;
    const r = ratio(S.oursPooled.p50, S.oursFresh.p50);
    rows.push(['pool: acquire p50, pooled / fresh ≤ 0.005', rx(r), yes(r <= 0.005)]);
  }
  if (metrics?.netRatio != null && !metrics.commits?.quickSelfTest) rows.push(['monitor and metrics: main thread per chunk, with / without ≤ 1.02', rx(metrics.netRatio), yes(metrics.netRatio <= 1.02)]);
  const { adaptive } = ctx.data;
  for (const [name, sc] of Object.entries(adaptive?.scenarios ?? {})) {
    const g = adaptiveGoals(sc);
    if (!g) continue;
    rows.push([`adaptive (${name} consumer): chunks/s while throttled, ours ≥ seed-design (± 1 chunk)`, `${num(g.cadenceOurs, 3)} vs ${num(g.cadenceSeed, 3)}`, yes(g.cadenceMet)]);
    const r = g.recovery;
    rows.push([`adaptive (${name} consumer): full quality back ≤ 10 s after the load`, !r.steppedDown ? 'never stepped down' : r.ms == null ? r.text : `${num(r.ms / 1000, 3)} s`, !r.steppedDown ? '– (not tested)' : yes(r.ms != null && r.ms <= 10_000)]);
  }
  const { seekable } = ctx.data;
  if (seekable?.contestants?.ours && !seekable.run?.quick) {
    const o = seekable.contestants.ours;
    rows.push([`seekable (issue 14): makeSeekable on the ${num(seekable.input.bytes / 1e6, 3)} MB file ≤ 0.5 s`, ms(o.ms, 3), yes(seekable.goal.msMet)]);
    rows.push(['seekable (issue 14): its peak memory ≤ 32 MiB (renderer RSS rise)', o.rssPeakRise == null ? '–' : `${num(o.rssPeakRise / 2 ** 20, 3)} MiB`, yes(seekable.goal.bytesMet)]);
    rows.push(['seekable (issue 14): output duration within 10 % and a seek to the middle', `${typeof o.check?.duration === 'number' ? `${num(o.check.duration, 5)} s` : o.check?.duration ?? '–'}, seeked ${o.check?.seeked ?? '–'}`, yes(o.durationOk && o.seekOk)]);
  }
  const { upload } = ctx.data;
  if (upload?.goals && !upload.run?.quick) {
    rows.push(['upload (issue 15): throughput, tusSink / tus-js-client on a finished Blob ≥ 0.9', rx(upload.throughput.ratio), yes(upload.goals.throughput)]);
    rows.push(['upload (issue 15): main thread per recorded second, tus sink / none ≤ 1.2', rx(upload.mainThread.ratio), yes(upload.goals.mainThread)]);
    rows.push([`upload (issue 15): server back → upload resumed, p50 ≤ ${ms(upload.config.goal.resumeMs)}`, ms(upload.resume.p50), yes(upload.goals.resume)]);
  }
  const { keep } = ctx.data;
  if (keep?.goals && !keep.run?.quick) {
    rows.push([`keep (issue 14): snapshot of the last ${keep.config.snapshot.seconds} s, p50 ≤ ${ms(keep.config.goal.snapshotP50Ms)}`, ms(keep.snapshot.p50), yes(keep.goals.snapshotP50)]);
    rows.push([`keep (issue 14): bytes held within the ring budget over a ${num(keep.opfs.long.seconds / 60, 3)} min OPFS recording`, `max ${bytes(keep.opfs.held.max)} of ${bytes(keep.opfs.budget)}`, yes(keep.goals.heldWithinBudget)]);
    rows.push([`keep (issue 14): stopStream of the ${num(keep.opfs.long.seconds / 60, 3)} min OPFS recording ≤ ${ms(keep.config.goal.stopMs)}`, `${ms(keep.opfs.long.ms)} (${rx(keep.opfs.stopRatio)} the ${num(keep.opfs.short.seconds, 3)} s one)`, yes(keep.goals.stop)]);
  }
  const { codecs } = ctx.data;
  if (codecs?.goals && !codecs.run?.quick) {
    rows.push(['webcodecs (issue 16): main thread per recorded second, WebCodecs engine / raw MediaRecorder ≤ 1.0', rx(codecs.mainThread.ratio), yes(codecs.goals.mainThread)]);
    rows.push([`webcodecs (issue 16): bitrate step response ≤ ${ms(codecs.config.goal.stepMs)}`, codecs.step.webcodecs.responseMs == null ? 'never' : ms(codecs.step.webcodecs.responseMs), yes(codecs.goals.step)]);
  }
  const { load: ld } = ctx.data;
  if (size || ld?.mediarecorder) {
    // Issue 26 (superseding issue 13's ≤ 32 KB and ≤ 18 KB): the core as a MediaRecorder
    // page fetches it (network log; else the core as shipped), every module together.
    const fetchedCore = ld?.mediarecorder?.package?.gzip9 ?? (size?.modules ? size.modules.core.shipped.gzip9 + (size.entry?.gzip9 ?? 0) : size.ours.total.gzip9);
    const how = ld?.mediarecorder ? 'network log' : 'the core as shipped: no network log yet';
    rows.push(['size (issue 26): a page recording with MediaRecorder fetches ≤ 48 KB gzip -9', `${kb(fetchedCore)} (${how})`, yes(fetchedCore <= 48 * KB)]);
  }
  if (size) {
    const together = size.together ? size.together.shipped.gzip9 : size.ours.total.gzip9;
    rows.push(['size (issue 26): every module together ≤ 120 KB gzip -9', kb(together), yes(together <= 120 * KB)]);
  }
  if (!rows.length) return '';
  return ['## Goals of issue 8 at a glance', '', 'Measured in the runs below (the tables state each run); "no" means we miss the goal, and the commentary says why.', '', table(['goal', 'measured', 'met'], rows)].join('\n');
}

/** Writes `md` (BENCHMARKS.md) and the plots into `plots`, linking them as `${link}x.svg`. */
export function writeReport({ results, commentary, md, plots, link }) {
  const data = {
    meta: load(results, 'meta'),
    input: load(results, 'input'),
    soak: load(results, 'soak'),
    pc: load(results, 'per-chunk'),
    cap: load(results, 'capture'),
    size: load(results, 'size'),
    load: load(results, 'load'),
    pool: load(results, 'pool'),
    metrics: load(results, 'metrics'),
    adaptive: load(results, 'adaptive'),
    realtimeSoak: load(results, 'realtime-soak'),
    seekable: load(results, 'seekable'),
    upload: load(results, 'upload'),
    keep: load(results, 'keep'),
    codecs: load(results, 'codecs'),
  };
  const ctx = { data, link, plots: [] };
  const m = data.meta;
  const body = [
    '# Benchmarks',
    '',
    '<!-- Generated by bench/run.mjs (npm run bench) from bench/results/*.json; edit bench/COMMENTARY.md or the generator, not this file. -->',
    '',
    'Ours (the wasm package, fed through `pushChunk`, the path MediaRecorder chunks take) against the alternatives a user would pick, in one headless Chromium run with fake devices: **naive** (the origin\'s behaviour: every Blob kept until stop, frames carry the Blob; `bench/baselines/naive.js`), **seed-design** (the seed review\'s classes transcribed to plain JS, fixed only where they would crash; `bench/baselines/seed-design.js`), the **floor** (a loop that awaits `blob.arrayBuffer()` per chunk and calls the listeners), and for real capture a **raw MediaRecorder**. All are fed the same chunks, from a recording made at the start of the run.',
    '',
    m ? `Last run${m.only ? ` (only ${m.only.join(', ')}; the other sections keep their earlier runs)` : ''}: ${stamp(m)} (${m.cpuModel ?? 'cpu ?'}, ${m.memoryGiB} GiB, node ${m.node}); library built from the ${m.built}${m.commit ? ` at ${m.commit.slice(0, 10)}` : ''}${m.dirty ? ' with uncommitted changes under src/' : ''}; page cross-origin isolated (timer step ${m.page?.timerStepUs ?? '?'} µs). Each section states the run that produced it.` : '',
    '',
    'Reproduce: `npm run bench` (full, ~120 min of which 60 are the real-time soak, 10 the seekable workload, 12 the upload workload, 11–12 the keep workload, 3–4 the codecs workload and under 1 the load workload, rewrites this file) or `npm run bench -- --quick` (small N, ~4–5 min, writes only to the git-ignored `bench/results/quick/`); `--only <workloads>` runs some of them, `--minutes N` sets the real-time soak\'s length. No test asserts a timing: timings are reported here, as ratios where they are compared.',
    '',
    headline(ctx),
    '',
    inputSection(data.input),
    '',
    soakSection(data.soak, ctx),
    '',
    realtimeSoakSection(data.realtimeSoak, ctx),
    '',
    perChunkSection(data.pc, ctx),
    '',
    captureSection(data.cap, ctx),
    '',
    sizeSection(data.size, data.load, ctx),
    '',
    poolSection(data.pool, ctx),
    '',
    metricsSection(data.metrics, ctx),
    '',
    adaptiveSection(data.adaptive, ctx),
    '',
    seekableSection(data.seekable),
    '',
    uploadSection(data.upload),
    '',
    keepSection(data.keep),
    '',
    codecsSection(data.codecs),
    '',
    existsSync(commentary) ? readFileSync(commentary, 'utf8').trim() : '## Commentary\n\n_bench/COMMENTARY.md is missing._',
    '',
  ].join('\n');
  mkdirSync(plots, { recursive: true });
  for (const [file, svg] of ctx.plots) writeFileSync(join(plots, file), svg);
  mkdirSync(dirname(md), { recursive: true });
  writeFileSync(md, body.replace(/\n{3,}/g, '\n\n'));
  return { md, plots: ctx.plots.map(([f]) => f) };
}

// Standalone: regenerate from existing results.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const quick = process.argv.includes('--quick');
  const results = quick ? join(BENCH, 'results', 'quick') : join(BENCH, 'results');
  const r = writeReport(quick
    ? { results, commentary: join(BENCH, 'COMMENTARY.md'), md: join(results, 'BENCHMARKS.md'), plots: join(results, 'plots'), link: 'plots/' }
    : { results, commentary: join(BENCH, 'COMMENTARY.md'), md: join(BENCH, '..', 'BENCHMARKS.md'), plots: join(BENCH, 'plots'), link: 'bench/plots/' });
  console.log(`wrote ${r.md} and ${r.plots.length} plots`);
}
