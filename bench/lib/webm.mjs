// A small EBML walk over WebM bytes as Chromium's MediaRecorder writes them (live: Segment
// and Cluster sizes "unknown", no Cues, no SeekHead; SimpleBlocks only, BlockGroups handled
// anyway). Used by the real-time soak to cut a recording at a Cluster that begins with a
// video keyframe. Chunk edges never fall on element edges, so this walks concatenated bytes,
// never single chunks.

export const ID = {
  EBML: 0x1a45dfa3,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  ReferenceBlock: 0xfb,
  Cues: 0x1c53bb6b,
  Tags: 0x1254c367,
  Chapters: 0x1043a770,
  Attachments: 0x1941a469,
  Void: 0xec,
};

/** Level-1 elements: one of these ends a Cluster of unknown size. */
const LEVEL1 = new Set([ID.Cluster, ID.Cues, ID.Tags, ID.Chapters, ID.Attachments, ID.SeekHead, ID.Info, ID.Tracks]);

/** An element ID at `pos` (1–4 bytes, marker bits kept): { id, len } or null (truncated or invalid). */
export function readId(b, pos) {
  if (pos >= b.length) return null;
  const first = b[pos];
  const len = first >= 0x80 ? 1 : first >= 0x40 ? 2 : first >= 0x20 ? 3 : first >= 0x10 ? 4 : 0;
  if (!len || pos + len > b.length) return null;
  let id = 0;
  for (let i = 0; i < len; i++) id = id * 256 + b[pos + i];
  return { id, len };
}

/** A data size at `pos` (1–8 bytes): { size, len, unknown } or null. Sizes above 2^53 are
 * reported as unknown only when every value bit is one (the live-stream marker). */
export function readSize(b, pos) {
  if (pos >= b.length) return null;
  const first = b[pos];
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || pos + len > b.length) return null;
  let size = first & (0xff >> len);
  let allOnes = size === (0xff >> len);
  for (let i = 1; i < len; i++) {
    size = size * 256 + b[pos + i];
    if (b[pos + i] !== 0xff) allOnes = false;
  }
  return { size, len, unknown: allOnes };
}

function readUint(b, pos, len) {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + b[pos + i];
  return v;
}

function readFloat(b, pos, len) {
  const dv = new DataView(b.buffer, b.byteOffset + pos, len);
  return len === 4 ? dv.getFloat32(0) : len === 8 ? dv.getFloat64(0) : null;
}

const ascii = (b, pos, len) => String.fromCharCode(...b.subarray(pos, pos + len)).replace(/\0+$/, '');

/** Children of the element whose data is b[from, to): calls fn(id, dataPos, size) per child. */
function children(b, from, to, fn) {
  let p = from;
  while (p < to) {
    const i = readId(b, p);
    if (!i) return false;
    const s = readSize(b, p + i.len);
    if (!s || s.unknown) return false;
    const data = p + i.len + s.len;
    if (data + s.size > to) return false;
    fn(i.id, data, s.size);
    p = data + s.size;
  }
  return true;
}

/**
 * The header run: EBML header, then the Segment's children up to the first Cluster.
 * Returns { ok, end (offset of the first Cluster: the header is b[0, end)), timestampScale,
 * tracks: [{ number, type: 'video'|'audio'|n, codec, width?, height?, sampleRate?, channels? }],
 * error? }.
 */
export function parseHeader(b) {
  const out = { ok: false, end: null, timestampScale: 1_000_000, tracks: [] };
  const e = readId(b, 0);
  if (!e || e.id !== ID.EBML) return { ...out, error: 'no EBML header at byte 0' };
  const es = readSize(b, e.len);
  if (!es || es.unknown) return { ...out, error: 'bad EBML header size' };
  let p = e.len + es.len + es.size;
  const seg = readId(b, p);
  if (!seg || seg.id !== ID.Segment) return { ...out, error: `no Segment at byte ${p}` };
  const ss = readSize(b, p + seg.len);
  if (!ss) return { ...out, error: 'truncated Segment size' };
  p += seg.len + ss.len;
  for (;;) {
    const i = readId(b, p);
    if (!i) return { ...out, error: `header ends at byte ${p} before any Cluster` };
    if (i.id === ID.Cluster) break;
    const s = readSize(b, p + i.len);
    if (!s || s.unknown) return { ...out, error: `element 0x${i.id.toString(16)} at byte ${p}: unknown or truncated size` };
    const data = p + i.len + s.len;
    if (data + s.size > b.length) return { ...out, error: `element 0x${i.id.toString(16)} at byte ${p} runs past the header bytes` };
    if (i.id === ID.Info) {
      children(b, data, data + s.size, (id, d, n) => { if (id === ID.TimestampScale) out.timestampScale = readUint(b, d, n); });
    } else if (i.id === ID.Tracks) {
      children(b, data, data + s.size, (id, d, n) => {
        if (id !== ID.TrackEntry) return;
        const t = {};
        children(b, d, d + n, (cid, cd, cn) => {
          if (cid === ID.TrackNumber) t.number = readUint(b, cd, cn);
          else if (cid === ID.TrackType) t.type = ({ 1: 'video', 2: 'audio' })[readUint(b, cd, cn)] ?? readUint(b, cd, cn);
          else if (cid === ID.CodecID) t.codec = ascii(b, cd, cn);
          else if (cid === ID.Video) children(b, cd, cd + cn, (vid, vd, vn) => { if (vid === ID.PixelWidth) t.width = readUint(b, vd, vn); if (vid === ID.PixelHeight) t.height = readUint(b, vd, vn); });
          else if (cid === ID.Audio) children(b, cd, cd + cn, (aid, ad, an) => { if (aid === ID.SamplingFrequency) t.sampleRate = readFloat(b, ad, an); if (aid === ID.Channels) t.channels = readUint(b, ad, an); });
        });
        out.tracks.push(t);
      });
    }
    p = data + s.size;
  }
  return { ...out, ok: true, end: p };
}

/** Block header inside a SimpleBlock/Block's data: track number, relative timestamp, flags. */
function blockHead(b, d, n) {
  const t = readSize(b, d); // the track number is coded like a size
  if (!t || t.len + 3 > n) return null;
  const rel = (b[d + t.len] << 8) | b[d + t.len + 1];
  return { track: t.size, rel: rel >= 0x8000 ? rel - 0x10000 : rel, flags: b[d + t.len + 2] };
}

/** The first offset ≥ `from` where a Cluster ID, a size and a Timestamp child follow one
 * another (`1F 43 B6 75`, a size, `E7`): where a walk can begin in bytes that start
 * mid-element. A false match is possible in principle; walkClusters() from it then fails
 * (it must parse every element to the end). */
export function findClusterSync(b, from = 0) {
  for (let p = from; p + 6 <= b.length; p++) {
    if (b[p] !== 0x1f || b[p + 1] !== 0x43 || b[p + 2] !== 0xb6 || b[p + 3] !== 0x75) continue;
    const s = readSize(b, p + 4);
    if (!s) return -1;
    if (b[p + 4 + s.len] === ID.Timestamp) return p;
  }
  return -1;
}

/**
 * Walks Clusters from `start` (which must be a Cluster start) to the end of `b`.
 * `videoTrack` is the video track number (from the header). Returns { ok, clusters, end,
 * truncatedTail, error? }; each cluster: { offset, timestamp (in TimestampScale units),
 * blocks, videoBlocks, firstBlock: { track, key }, firstVideo: { key, index } | null,
 * videoKeyframes }.
 * The walk stops with ok=false at the first thing it cannot parse; a last element cut
 * short by the end of the bytes is reported as truncatedTail (bytes), not as an error.
 */
export function walkClusters(b, start, videoTrack) {
  const clusters = [];
  let p = start;
  let cur = null;
  let truncatedTail = 0;
  const fail = (error) => ({ ok: false, clusters, end: p, truncatedTail, error });
  while (p < b.length) {
    const i = readId(b, p);
    if (!i) { truncatedTail = b.length - p; break; }
    const s = readSize(b, p + i.len);
    if (!s) { truncatedTail = b.length - p; break; }
    const data = p + i.len + s.len;
    if (i.id === ID.Cluster) {
      cur = { offset: p, timestamp: null, blocks: 0, videoBlocks: 0, firstBlock: null, firstVideo: null, videoKeyframes: 0 };
      clusters.push(cur);
      p = data; // its children follow (sized or not, the walk goes on element by element)
      continue;
    }
    if (LEVEL1.has(i.id)) {
      if (s.unknown) return fail(`level-1 element 0x${i.id.toString(16)} of unknown size at byte ${p}`);
      if (data + s.size > b.length) { truncatedTail = b.length - p; break; }
      cur = null;
      p = data + s.size;
      continue;
    }
    if (!cur) return fail(`element 0x${i.id.toString(16)} outside a Cluster at byte ${p}`);
    if (s.unknown) return fail(`element 0x${i.id.toString(16)} of unknown size at byte ${p}`);
    if (data + s.size > b.length) { truncatedTail = b.length - p; break; }
    if (i.id === ID.Timestamp) {
      cur.timestamp = readUint(b, data, s.size);
    } else if (i.id === ID.SimpleBlock || i.id === ID.BlockGroup) {
      let head;
      let key;
      if (i.id === ID.SimpleBlock) {
        head = blockHead(b, data, s.size);
        if (!head) return fail(`bad SimpleBlock at byte ${p}`);
        key = (head.flags & 0x80) !== 0;
      } else {
        let ref = false;
        children(b, data, data + s.size, (cid, cd, cn) => {
          if (cid === ID.Block) head = blockHead(b, cd, cn);
          if (cid === ID.ReferenceBlock) ref = true;
        });
        if (!head) return fail(`bad BlockGroup at byte ${p}`);
        key = !ref;
      }
      if (!cur.firstBlock) cur.firstBlock = { track: head.track, key };
      if (head.track === videoTrack) {
        if (!cur.firstVideo) cur.firstVideo = { key, index: cur.blocks };
        cur.videoBlocks++;
        if (key) cur.videoKeyframes++;
      }
      cur.blocks++;
    }
    // Other Cluster children (Void, Position, PrevSize, …) are skipped by size.
    p = data + s.size;
  }
  return { ok: true, clusters, end: p, truncatedTail };
}
