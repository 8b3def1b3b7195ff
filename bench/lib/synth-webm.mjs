// A long MediaRecorder-like WebM made from a short real one (the seekable workload's input):
// the header (EBML header, Segment of unknown size, Info, Tracks) written once, then the
// recording's Clusters repeated, each repetition's Cluster Timestamps shifted so that time
// keeps increasing. Block timestamps are relative to their Cluster's, so rewriting the
// Cluster's Timestamp element moves every block in it; the new Timestamp may be longer
// than the old one, which is fine because Chromium writes Clusters of unknown size.
import { ID, parseHeader, readId, readSize } from './webm.mjs';

/** The Cluster spans of `b` from `start`: [{ offset, end, timestamp, tsAt, tsEnd, maxRel }]:
 * `tsAt`..`tsEnd` is the Timestamp element's bytes, `maxRel` the largest relative block
 * timestamp in it. Throws on anything it cannot parse (the source must be a whole file). */
export function clusterSpans(b, start) {
  const spans = [];
  let p = start;
  let cur = null;
  while (p < b.length) {
    const i = readId(b, p);
    const s = i && readSize(b, p + i.len);
    if (!i || !s) throw new Error(`synthetic WebM: cannot read an element at byte ${p}`);
    const data = p + i.len + s.len;
    if (i.id === ID.Cluster) {
      if (cur) cur.end = p;
      cur = { offset: p, end: null, timestamp: null, tsAt: null, tsEnd: null, maxRel: 0 };
      spans.push(cur);
      p = data;
      continue;
    }
    if (!cur) throw new Error(`synthetic WebM: element 0x${i.id.toString(16)} outside a Cluster at byte ${p}`);
    if (s.unknown || data + s.size > b.length) throw new Error(`synthetic WebM: element 0x${i.id.toString(16)} at byte ${p} has an unknown size or is cut short`);
    if (i.id === ID.Timestamp) {
      let v = 0;
      for (let k = 0; k < s.size; k++) v = v * 256 + b[data + k];
      Object.assign(cur, { timestamp: v, tsAt: p, tsEnd: data + s.size });
    } else if (i.id === ID.SimpleBlock) {
      const t = readSize(b, data); // track number, coded like a size
      const rel = (b[data + t.len] << 8) | b[data + t.len + 1];
      cur.maxRel = Math.max(cur.maxRel, rel >= 0x8000 ? rel - 0x10000 : rel);
    }
    // Chromium writes a Timestamp and SimpleBlocks only; anything else (a BlockGroup: its
    // Block's time is relative too) is copied as is but does not count towards `maxRel`.
    p = data + s.size;
  }
  if (cur) cur.end = p;
  for (const c of spans) if (c.timestamp == null || c.tsAt !== c.offset + 4 + readSize(b, c.offset + 4).len) throw new Error(`synthetic WebM: Cluster at byte ${c.offset} does not start with its Timestamp`);
  return spans;
}

/** An unsigned integer element: ID 0xE7 + a 1-byte size + the value in as few bytes as it takes. */
function timestampElement(v) {
  const bytes = [];
  do { bytes.unshift(v % 256); v = Math.floor(v / 256); } while (v > 0);
  return Buffer.from([ID.Timestamp, 0x80 | bytes.length, ...bytes]);
}

/**
 * `source` (a whole Chromium MediaRecorder WebM, a Buffer) repeated until it lasts at least
 * `targetMs` (in the file's TimestampScale units, which Chromium sets to 1 ms). Returns
 * { bytes (Buffer), repetitions, clusters, durationMs (the true duration, as far as the file
 * says: the start of the last block, its own length of ≤ 60 ms not counted), periodMs, source: { bytes, clusters, durationMs, tracks } }.
 */
export function repeatClusters(source, { targetMs }) {
  const head = parseHeader(source);
  if (!head.ok) throw new Error(`synthetic WebM: ${head.error}`);
  if (head.timestampScale !== 1_000_000) throw new Error(`synthetic WebM: TimestampScale ${head.timestampScale}, expected 1 ms`);
  const spans = clusterSpans(source, head.end);
  if (!spans.length) throw new Error('synthetic WebM: no Cluster');
  const first = spans[0].timestamp;
  // One period: from the first Cluster's time to just after the last block, rounded up to a
  // whole 20 ms (an Opus frame) so that no two repetitions overlap.
  const lastBlock = Math.max(...spans.map((c) => c.timestamp + c.maxRel)) - first;
  const periodMs = Math.ceil((lastBlock + 1) / 20) * 20;
  const repetitions = Math.max(1, Math.ceil(targetMs / periodMs));
  const parts = [source.subarray(0, head.end)];
  for (let r = 0; r < repetitions; r++) {
    for (const c of spans) {
      parts.push(source.subarray(c.offset, c.tsAt));
      parts.push(timestampElement(c.timestamp - first + r * periodMs));
      parts.push(source.subarray(c.tsEnd, c.end));
    }
  }
  const bytes = Buffer.concat(parts);
  return {
    bytes,
    repetitions,
    clusters: spans.length * repetitions,
    periodMs,
    durationMs: (repetitions - 1) * periodMs + lastBlock,
    source: { bytes: source.length, clusters: spans.length, durationMs: lastBlock, tracks: head.tracks },
  };
}
