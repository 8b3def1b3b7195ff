// Node side of the real-time soak (issue 11): keeps the frames the page hands over (checking
// each one's checksum and the sequence), fits slopes to the memory samples, and proves the
// end of the recording intact: header frames + the last minute from a Cluster that begins
// with a video keyframe, decoded by ffmpeg and probed by ffprobe.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findClusterSync, parseHeader, walkClusters } from './webm.mjs';

/** FNV-1a (32 bit) over every byte: the same function as the page's listener. */
export function fnv1a(b, h = 0x811c9dc5) {
  for (let i = 0; i < b.length; i++) {
    h ^= b[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Least-squares line through points [tSeconds, y] with t ≥ fromSeconds: slope per hour,
 * plus what it rests on (n, span, mean, first/last fitted value, min, max).
 */
export function slopePerHour(points, fromSeconds) {
  const p = points.filter(([t, y]) => t >= fromSeconds && y != null);
  const n = p.length;
  if (n < 2) return { n, slopePerHour: null };
  const xs = p.map(([t]) => t / 3600);
  const ys = p.map(([, y]) => y);
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  const slope = sxx ? sxy / sxx : null;
  return {
    n,
    fromSeconds: p[0][0],
    toSeconds: p[n - 1][0],
    slopePerHour: slope,
    r2: sxx && syy ? Math.min(1, (sxy * sxy) / (sxx * syy)) : null,
    mean: my,
    min: Math.min(...ys),
    max: Math.max(...ys),
    first: ys[0],
    last: ys[n - 1],
  };
}

/**
 * Receives the page's frames in order. Checks every frame's checksum (the listener's
 * FNV-1a against one computed here over the bytes received) and that sequence numbers are
 * consecutive; keeps the header frames and a rolling window of the newest `keepMs`
 * (plus slack) of the others.
 */
export class FrameKeeper {
  constructor(keepMs) {
    this.keepMs = keepMs;
    this.headers = [];
    this.window = [];
    this.frames = 0;
    this.bytes = 0;
    this.mismatches = [];
    this.gaps = [];
    this.lastSeq = null;
    this.lastT = 0;
  }

  add(frames) {
    for (const f of frames) {
      const data = Buffer.from(f.b64, 'base64');
      const sum = fnv1a(data);
      if (sum !== f.sum && this.mismatches.length < 20) this.mismatches.push({ seq: f.seq, page: f.sum, node: sum });
      if (this.lastSeq !== null && f.seq !== this.lastSeq + 1 && this.gaps.length < 100) this.gaps.push({ after: this.lastSeq, next: f.seq, t: f.t });
      this.lastSeq = f.seq;
      this.lastT = Math.max(this.lastT, f.t);
      this.frames++;
      this.bytes += data.length;
      const kept = { seq: f.seq, t: f.t, isHeader: f.isHeader, data };
      if (f.isHeader) this.headers.push(kept);
      else this.window.push(kept);
    }
    // Slack of 30 s over the window: the last minute is cut exactly at the end.
    while (this.window.length && this.window[0].t < this.lastT - this.keepMs - 30_000) this.window.shift();
  }

  /** The header frames and the non-header frames of the last `keepMs` (by arrival time). */
  lastMinute() {
    const from = this.lastT - this.keepMs;
    return { headers: this.headers, tail: this.window.filter((f) => f.t >= from), from };
  }
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) return { missing: r.error.code === 'ENOENT', error: String(r.error.message), status: null, stdout: '', stderr: '' };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** ffprobe's view of a file: streams, format, and per stream the packet count and pts span. */
function probe(file) {
  const args = ['-v', 'error', '-of', 'json', '-show_entries', 'stream=index,codec_type,codec_name,profile,width,height,sample_rate,channels:format=format_name,duration,start_time:packet=stream_index,pts_time,flags', file];
  const r = run('ffprobe', args);
  if (r.status !== 0) return { ok: false, command: `ffprobe ${args.join(' ')}`, status: r.status, error: r.error ?? r.stderr.trim().split('\n').slice(0, 10) };
  const j = JSON.parse(r.stdout);
  const streams = (j.streams ?? []).map((s) => {
    const pk = (j.packets ?? []).filter((p) => p.stream_index === s.index && p.pts_time != null).map((p) => ({ t: Number(p.pts_time), key: String(p.flags ?? '').includes('K') }));
    const ts = pk.map((p) => p.t);
    let nonIncreasing = 0;
    for (let i = 1; i < ts.length; i++) if (ts[i] <= ts[i - 1]) nonIncreasing++;
    return {
      index: s.index, type: s.codec_type, codec: s.codec_name, profile: s.profile ?? null,
      width: s.width ?? null, height: s.height ?? null, sampleRate: s.sample_rate ? Number(s.sample_rate) : null, channels: s.channels ?? null,
      packets: pk.length, keyframes: pk.filter((p) => p.key).length,
      firstPts: ts.length ? Math.min(...ts) : null, lastPts: ts.length ? Math.max(...ts) : null,
      spanSeconds: ts.length ? Math.max(...ts) - Math.min(...ts) : null,
      nonIncreasingPts: nonIncreasing,
      minStepSeconds: ts.length > 1 ? Math.min(...ts.slice(1).map((t, i) => t - ts[i])) : null,
    };
  });
  return {
    ok: true,
    command: `ffprobe -v error -of json -show_entries stream=…:format=…:packet=stream_index,pts_time,flags ${file}`,
    format: j.format?.format_name ?? null,
    duration: j.format?.duration ?? 'N/A',
    startTime: j.format?.start_time != null ? Number(j.format.start_time) : null,
    streams,
    stderr: r.stderr.trim(),
  };
}

const DTS_ARTIFACT = /non monotonically increasing dts to muxer/;

/**
 * Decodes every stream with ffmpeg at `-v error` into the null muxer; a clean file prints
 * nothing. `exact` keeps the input's time base for the video encoder (`-enc_time_base:v -1`,
 * 1 ms in WebM): without it ffmpeg (5.1) rescales video timestamps to 1/frame rate (1/20 s
 * for the fake camera), so two frames that arrive less than 50 ms apart (jitter on a loaded
 * machine) get the same dts and the null muxer prints "non monotonically increasing dts":
 * a timing artifact of ffmpeg's output, not of the file. Decoder and demuxer errors print
 * either way.
 */
function decode(file, { exact = true } = {}) {
  const args = ['-nostdin', '-v', 'error', '-i', file, ...(exact ? ['-enc_time_base:v', '-1'] : []), '-f', 'null', '-'];
  const r = run('ffmpeg', args);
  const lines = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').filter(Boolean);
  return {
    command: `ffmpeg ${args.join(' ')}`,
    missing: !!r.missing,
    status: r.status,
    printedLines: lines.length,
    dtsArtifactLines: lines.filter((l) => DTS_ARTIFACT.test(l)).length,
    printed: lines.slice(0, 20),
    clean: r.status === 0 && !lines.length,
  };
}

const concat = (frames) => Buffer.concat(frames.map((f) => f.data));

/**
 * Builds header + last minute (from the first Cluster whose first video block is a
 * keyframe) into `dir`/realtime-soak-last-minute.webm, decodes and probes it. Also decodes
 * a control file cut at a Cluster that does NOT begin with a keyframe, to show the decode
 * check can fail. Returns the verdict and everything it rests on.
 */
export function verifyLastMinute(keeper, dir) {
  const { headers, tail, from } = keeper.lastMinute();
  const out = { ok: false, problems: [], headerFrames: headers.length, tailFrames: tail.length, tailFromT: from };
  const fail = (why) => { out.problems.push(why); return out; };
  if (!headers.length) return fail('no header frames (metadata.isHeader) were delivered');
  if (!tail.length) return fail('no frames in the last minute');
  for (let i = 1; i < headers.length; i++) if (headers[i].seq !== headers[i - 1].seq + 1) return fail(`header frames not consecutive (${headers[i - 1].seq} → ${headers[i].seq})`);
  for (let i = 1; i < tail.length; i++) if (tail[i].seq !== tail[i - 1].seq + 1) return fail(`a gap in the last minute: sequence ${tail[i - 1].seq} → ${tail[i].seq}`);
  out.headerSeqs = headers.map((f) => f.seq);
  out.tailSeqs = [tail[0].seq, tail.at(-1).seq];
  const hb = concat(headers);
  const h = parseHeader(hb);
  out.header = { bytes: hb.length, end: h.end, timestampScale: h.timestampScale, tracks: h.tracks, error: h.error ?? null };
  if (!h.ok) return fail(`header: ${h.error}`);
  const video = h.tracks.find((t) => t.type === 'video');
  const audio = h.tracks.find((t) => t.type === 'audio');
  if (!video) return fail('the header has no video track');
  if (!audio) out.problems.push('the header has no audio track');
  const tb = concat(tail);
  out.tailBytes = tb.length;
  // Sync into the tail (it begins mid-element) and walk every element to its end. A sync
  // point counts only if the walk from it parses every element up to the last byte; a
  // false match in block payload fails or claims a huge element, so the next one is tried.
  let walk = null;
  let sync = -1;
  let fallback = null;
  for (let from = 0, tries = 0; tries < 64; tries++) {
    const at = findClusterSync(tb, from);
    if (at < 0) break;
    const w = walkClusters(tb, at, video.number);
    if (w.ok && !w.truncatedTail) { walk = w; sync = at; break; }
    if (w.ok && !fallback) fallback = { w, at };
    from = at + 1;
  }
  if (!walk && fallback) ({ w: walk, at: sync } = fallback);
  if (sync < 0 || !walk?.ok) return fail(`no Cluster walk through the last minute${walk?.error ? `: ${walk.error}` : ''}`);
  const ms = (c) => (c.timestamp == null ? null : (c.timestamp * h.timestampScale) / 1e6);
  const cl = walk.clusters;
  out.walk = {
    syncOffset: sync, clusters: cl.length, end: walk.end, truncatedTail: walk.truncatedTail,
    blocks: cl.reduce((a, c) => a + c.blocks, 0), videoBlocks: cl.reduce((a, c) => a + c.videoBlocks, 0),
    keyframeClusters: cl.filter((c) => c.firstVideo?.key).length,
    keyframeFirstBlock: cl.filter((c) => c.firstBlock?.track === video.number && c.firstBlock.key).length,
    keyframesNotFirstVideo: cl.reduce((a, c) => a + c.videoKeyframes, 0) - cl.filter((c) => c.firstVideo?.key).length,
    firstClusterMs: ms(cl[0]), lastClusterMs: ms(cl.at(-1)),
  };
  if (walk.truncatedTail) out.problems.push(`the last ${walk.truncatedTail} bytes are an element cut short`);
  // A Cluster whose first video block is a keyframe. Chromium starts a Cluster at each
  // keyframe, but its audio blocks of the same instant often come first; Opus packets decode
  // on their own, so those are fine. Whether the keyframe was the very first block is reported.
  const ki = cl.findIndex((c) => c.firstVideo?.key);
  if (ki < 0) return fail('no Cluster in the last minute begins (in video) with a keyframe');
  const key = cl[ki];
  out.cut = { clusterIndex: ki, offsetInTail: key.offset, clusterMs: ms(key), skippedBytes: key.offset, bytes: tb.length - key.offset, keyframeFirstBlock: key.firstBlock?.track === video.number && key.firstBlock.key, blocksBeforeKeyframe: key.firstVideo.index };
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'realtime-soak-last-minute.webm');
  const body = Buffer.concat([hb.subarray(0, h.end), tb.subarray(key.offset)]);
  writeFileSync(file, body);
  out.file = { path: file, bytes: body.length };
  out.decode = decode(file);
  if (out.decode.missing) return fail('ffmpeg is not installed (scripts/setup.sh installs it)');
  out.decodePlain = decode(file, { exact: false });
  out.probe = probe(file);
  // Control: the same header + bytes from a Cluster whose first video block is not a keyframe.
  const ci = cl.findIndex((c, i) => i !== ki && c.firstVideo && !c.firstVideo.key);
  if (ci >= 0) {
    const cfile = join(dir, 'realtime-soak-control.webm');
    writeFileSync(cfile, Buffer.concat([hb.subarray(0, h.end), tb.subarray(cl[ci].offset)]));
    const d = decode(cfile);
    out.control = { command: d.command.replace(cfile, 'control.webm'), clusterIndex: ci, clusterMs: ms(cl[ci]), path: cfile, status: d.status, printedLines: d.printedLines, printed: d.printed.slice(0, 3) };
  }
  if (!out.decode.clean) out.problems.push(`ffmpeg printed ${out.decode.printedLines} line(s), exit ${out.decode.status}`);
  // The plain command's lines other than the dts artifact are decode problems too.
  const plainOther = out.decodePlain.printedLines - out.decodePlain.dtsArtifactLines;
  if (out.decodePlain.status !== 0 || plainOther) out.problems.push(`plain ffmpeg printed ${plainOther} line(s) other than the dts artifact, exit ${out.decodePlain.status}`);
  if (!out.probe.ok) out.problems.push('ffprobe failed');
  const types = out.probe.ok ? out.probe.streams.map((s) => s.type) : [];
  if (out.probe.ok && !types.includes('video')) out.problems.push('ffprobe found no video stream');
  if (out.probe.ok && !types.includes('audio')) out.problems.push('ffprobe found no audio stream');
  const backwards = out.probe.ok ? out.probe.streams.reduce((a, x) => a + x.nonIncreasingPts, 0) : 0;
  if (backwards) out.problems.push(`${backwards} packet timestamp(s) not increasing within their stream`);
  out.ok = out.problems.length === 0 && out.decode.clean && out.probe.ok && types.includes('video') && types.includes('audio') && !walk.truncatedTail;
  return out;
}
