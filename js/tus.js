// media-recorder-producer/tus: upload a recording to a tus server while it records.
//
//   import { tusSink } from 'media-recorder-producer/tus';
//   producer.startStream({ sinks: [tusSink({ endpoint: 'https://uploads.example/files/' })] });
//
// The protocol is tus-js-client's (a peer dependency: `npm install tus-js-client`). This
// module feeds it the recording as a deferred-length upload: each PATCH carries what
// was recorded since the last one, and the length is sent with the last PATCH, at stop.
// Chunks not yet acknowledged by the server stay referenced here (Blobs, not copies)
// so that a retry can send them again from the server's offset; past `maxBufferedBytes`
// of them, `write` waits, and the chunks wait in the producer's ring.
import { Upload } from 'tus-js-client';

const DEFAULT_RETRY_DELAYS = [0, 1000, 3000, 5000];
/** Least time between two progress reports that only move the byte counts. */
const REPORT_MS = 250;
/** Longest a PATCH waits to gather recorded bytes (see #feed): each PATCH costs the
 * main thread a request through tus-js-client; at 1 s that was 1.2-1.5x the main-thread
 * time of recording with no sink, at 2 s within the noise (bench/, upload). An OPFS
 * part commits every 2 s too: a crash loses at most that much on either side. */
const BATCH_MS = 2000;

/** A tus server refused the upload for good; `status` is the HTTP status (0: none). */
export class UploadError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'UploadError';
    this.status = status;
  }
}

const fail = (field, why, Kind = TypeError) => {
  throw new Kind(`tusSink: options.${field} ${why}`);
};

function stringMap(value, field) {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(field, 'must be an object of strings');
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`${field}.${k}`, `must be a string (got ${typeof v})`);
  }
  return { ...value };
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('tusSink: options must be an object with an endpoint');
  const known = ['endpoint', 'headers', 'metadata', 'chunkSize', 'retryDelays', 'maxBufferedBytes'];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) fail(k, `is not an option (known: ${known.join(', ')})`);
  }
  const { endpoint } = options;
  if (typeof endpoint !== 'string') fail('endpoint', `must be an http(s) URL string (got ${typeof endpoint})`);
  let url;
  try {
    url = new URL(endpoint, globalThis.location?.href);
  } catch {
    fail('endpoint', `is not a URL: "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('endpoint', `must be an http(s) URL (got ${url.protocol})`);
  const positive = (field, value, fallback) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number') fail(field, `must be a number (got ${typeof value})`);
    if (!Number.isInteger(value) || value < 1) fail(field, `must be a whole number of bytes ≥ 1 (got ${value})`, RangeError);
    return value;
  };
  let retryDelays = DEFAULT_RETRY_DELAYS;
  if (options.retryDelays !== undefined) {
    if (!Array.isArray(options.retryDelays)) fail('retryDelays', 'must be an array of milliseconds');
    for (const d of options.retryDelays) {
      if (typeof d !== 'number' || !(d >= 0) || !Number.isFinite(d)) fail('retryDelays', `must hold milliseconds ≥ 0 (got ${d})`, RangeError);
    }
    retryDelays = [...options.retryDelays];
  }
  const chunkSize = positive('chunkSize', options.chunkSize, 8 * 1024 * 1024);
  return {
    endpoint: url.href,
    headers: stringMap(options.headers, 'headers'),
    metadata: stringMap(options.metadata, 'metadata'),
    chunkSize,
    // Two PATCHes' worth by default (the one in flight and the next, ready when it is
    // acknowledged): what the server has not acknowledged beyond that waits in the
    // producer's ring, under its budget and its drop accounting.
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, 2 * chunkSize),
    retryDelays,
  };
}

/** The tus-js-client fingerprint of OPFS recording `name` uploaded to `endpoint`: the
 * key under which its upload URL is kept (localStorage) to resume it after a reload. */
const fingerprintOf = (name, endpoint) => `media-recorder-producer/${name}@${endpoint}`;

/** Recording `name`'s committed parts in the library's OPFS directory, in order, as
 * `{ file, start }` (start: its offset in the recording), and its type (its manifest's).
 * A part still being written reads as empty and ends the list: what follows it is not
 * on disk yet. */
async function committedParts(name, what) {
  let dir;
  try {
    const root = await navigator.storage.getDirectory();
    dir = await (await root.getDirectoryHandle('media-recorder-producer')).getDirectoryHandle(name);
  } catch {
    throw new DOMException(`${what}: no recording named "${name}" in OPFS`, 'NotFoundError');
  }
  const named = [];
  // Parts are named by index and container (`000000.webm`, `000000.mp4`, `.bin`).
  let mimeType = 'video/webm';
  for await (const [n, h] of dir.entries()) {
    if (h.kind !== 'file') continue;
    if (/^\d{6}\.(webm|mp4|bin)$/.test(n)) named.push([n, h]);
    else if (n === 'manifest.json') {
      try {
        mimeType = JSON.parse(await (await h.getFile()).text()).mimeType || mimeType;
      } catch {
        // An unreadable manifest: the parts are still the recording.
      }
    }
  }
  named.sort(([a], [b]) => (a < b ? -1 : 1));
  const parts = [];
  let at = 0;
  for (const [, h] of named) {
    const file = await h.getFile();
    if (file.size === 0) break;
    parts.push({ file, start: at });
    at += file.size;
  }
  return { parts, size: at, mimeType };
}

/** Bytes [start, end) of the committed parts, as a Blob of file slices (or null if none
 * of it is committed yet). */
function diskRange({ parts, size }, start, end) {
  const stop = Math.min(end, size);
  if (stop <= start) return null;
  const pieces = [];
  for (const { file, start: s } of parts) {
    const e = s + file.size;
    if (e <= start || s >= stop) continue;
    pieces.push(file.slice(Math.max(start, s) - s, Math.min(stop, e) - s));
  }
  return new Blob(pieces);
}

/** The HTTP status of a tus-js-client error (0 if there was no response). */
const statusOf = (err) => err?.originalResponse?.getStatus?.() ?? 0;
/** Worth another try: no response (network), a server error, or 409/423 (tus resumes from HEAD). */
const retriable = (status) => status === 0 || status >= 500 || status === 409 || status === 423;

/**
 * A sink for `startStream({ sinks: [...] })` that uploads the recording to a tus
 * server as it records. See the README's "Upload while recording".
 */
export function tusSink(options) {
  return new TusSink(checkOptions(options));
}

class TusSink {
  /** An outage can outlast any buffer: past the producer's ring budget, chunks this
   * sink has not taken yet are evicted, counted and reported (DataLossError), and the
   * server's file is what was kept. */
  lossless = false;
  #o;
  #upload = null;
  #report = () => {};
  #parts = []; // { blob, start, at } not yet acknowledged, in order
  #written = 0; // bytes handed to the sink
  #acked = 0; // bytes the server has acknowledged
  #sent = 0;
  #retries = 0;
  #state = 'idle'; // idle | uploading | retrying | done | failed | aborted
  #closed = false;
  #error = null;
  #wantData = null; // { resolve, reject } of a slice waiting for chunks
  #wantSpace = []; // write() calls waiting for acknowledgements
  #finished = null; // { promise, resolve, reject } of close()
  #timer = null;
  #onOnline = null;
  #reportedAt = -Infinity;
  #batchTimer = null;
  #recording = null; // the stream's OPFS recording, if any
  #held = 0; // bytes of the chunks still referenced
  #diskBytes = 0; // bytes sent from the OPFS recording

  constructor(o) {
    this.#o = o;
  }

  /** Called by the producer when the stream starts. */
  attach({ id, mimeType, recording, report }) {
    this.#report = report;
    // With an OPFS file sink on the stream, every chunk is on disk too: the sink never
    // holds the stream back, lets go of chunks past maxBufferedBytes and reads them from
    // the file when the server needs them; the upload URL is kept to resume after a
    // reload (resumeUpload).
    this.#recording = recording ?? null;
    const fingerprint = this.#recording ? fingerprintOf(this.#recording, this.#o.endpoint) : null;
    const source = { size: null, slice: (start, end) => this.#slice(start, end), close() {} };
    this.#upload = new Upload(source, {
      endpoint: this.#o.endpoint,
      headers: this.#o.headers,
      metadata: { filename: `${id}.${/mp4/.test(mimeType) ? 'mp4' : 'webm'}`, filetype: mimeType, ...this.#o.metadata },
      chunkSize: this.#o.chunkSize,
      retryDelays: this.#o.retryDelays,
      uploadLengthDeferred: true,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: fingerprint !== null,
      fingerprint: () => Promise.resolve(fingerprint),
      fileReader: { openFile: () => Promise.resolve(source) },
      // Offline is not a reason to give up: the request fails, and is tried again.
      onShouldRetry: (err) => retriable(statusOf(err)),
      onUploadUrlAvailable: () => this.#changed(),
      onProgress: (sent) => {
        this.#sent = sent;
      },
      onChunkComplete: (_size, accepted) => this.#acknowledged(accepted),
      onSuccess: () => {
        this.#acknowledged(this.#written);
        this.#state = 'done';
        this.#changed();
        this.#finished?.resolve();
        this.#cleanup();
      },
      onError: (err) => this.#failed(err),
    });
  }

  /** A chunk of the recording, in order. Waits while too much is unacknowledged. */
  write(blob) {
    if (this.#error) return Promise.reject(this.#error);
    if (!this.#upload) return Promise.reject(new TypeError('tusSink: write() before attach(); pass the sink in startStream({ sinks })'));
    this.#parts.push({ blob, start: this.#written, size: blob.size, at: performance.now() });
    this.#written += blob.size;
    this.#held += blob.size;
    if (this.#state === 'idle') {
      this.#state = 'uploading';
      this.#upload.start();
    }
    this.#feed();
    if (this.#recording) {
      // On disk as well: past the limit, the oldest held chunks are let go.
      for (const p of this.#parts) {
        if (this.#held <= this.#o.maxBufferedBytes) break;
        if (p.blob) {
          this.#held -= p.size;
          p.blob = null;
        }
      }
      return undefined;
    }
    if (this.#written - this.#acked <= this.#o.maxBufferedBytes) return undefined;
    return new Promise((resolve, reject) => this.#wantSpace.push({ resolve, reject }));
  }

  /** The stream ended. Resolves when the server has the whole recording. */
  close({ cutShort }) {
    if (cutShort) {
      // destroy(): stop at once; the server keeps what it acknowledged.
      this.#state = this.#state === 'done' ? 'done' : 'aborted';
      this.#upload?.abort(false);
      this.#wantData?.reject(new Error('tusSink: aborted'));
      this.#wantData = null;
      this.#cleanup();
      return undefined;
    }
    this.#closed = true;
    if (this.#error) return Promise.reject(this.#error);
    if (this.#state === 'done') return undefined;
    if (this.#state === 'idle') {
      // Nothing recorded: an empty upload still records that there was a stream.
      this.#state = 'uploading';
      this.#upload.start();
    }
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    this.#finished = { promise, resolve, reject };
    this.#feed();
    return promise;
  }

  #slice(start, end) {
    this.#acknowledged(start);
    const first = this.#parts[0];
    if (first && start < first.start) {
      return Promise.reject(new UploadError(`tusSink: the server asked for byte ${start}, which is no longer held`, 0));
    }
    return new Promise((resolve, reject) => {
      this.#wantData?.reject(new Error('tusSink: superseded'));
      this.#wantData = { resolve, reject, start, end };
      this.#feed();
    });
  }

  /** Answers a waiting slice with what there is past its start: at once when a whole
   * chunkSize is there, at the end, or when the oldest byte not yet sent was recorded
   * BATCH_MS ago (a backlog after an outage goes at once); else it waits for that
   * (fewer, larger PATCHes: each costs the main thread a request). */
  #feed() {
    const want = this.#wantData;
    if (!want) return;
    const { start } = want;
    const end = Math.min(want.end, this.#written);
    if (end <= start && !this.#closed) return;
    const oldest = this.#parts.find((p) => p.start + p.size > start);
    const wait = (oldest?.at ?? performance.now()) + BATCH_MS - performance.now();
    if (!this.#closed && end < want.end && wait > 0) {
      this.#batchTimer ??= setTimeout(() => {
        this.#batchTimer = null;
        this.#feed();
      }, wait);
      return;
    }
    clearTimeout(this.#batchTimer);
    this.#batchTimer = null;
    const inRange = this.#parts.filter((p) => p.start + p.size > start && p.start < end);
    if (inRange.some((p) => !p.blob)) {
      this.#fromDisk(want, start, end);
      return;
    }
    this.#wantData = null;
    const pieces = [];
    for (const p of this.#parts) {
      const pEnd = p.start + p.size;
      if (pEnd <= start || p.start >= end) continue;
      const from = Math.max(start, p.start) - p.start;
      const to = Math.min(end, pEnd) - p.start;
      pieces.push(from === 0 && to === p.size ? p.blob : p.blob.slice(from, to));
    }
    const done = this.#closed && end >= this.#written;
    want.resolve({ value: end > start ? new Blob(pieces) : null, done });
  }

  /** Answers `want` with bytes [start, end) read from the OPFS recording: what of it is
   * committed (a part commits every 2 s; until then, it asks again shortly). */
  #fromDisk(want, start, end) {
    if (want.reading) return;
    want.reading = true;
    committedParts(this.#recording, 'tusSink').then((disk) => {
      want.reading = false;
      if (this.#wantData !== want) return;
      const value = diskRange(disk, start, end);
      if (!value) {
        this.#batchTimer ??= setTimeout(() => {
          this.#batchTimer = null;
          this.#feed();
        }, 500);
        return;
      }
      this.#wantData = null;
      this.#diskBytes += value.size;
      want.resolve({ value, done: this.#closed && start + value.size >= this.#written });
    }, (e) => {
      want.reading = false;
      if (this.#wantData !== want) return;
      this.#wantData = null;
      want.reject(e);
    });
  }

  #acknowledged(offset) {
    if (offset <= this.#acked) return;
    this.#acked = offset;
    while (this.#parts.length && this.#parts[0].start + this.#parts[0].size <= offset) {
      const p = this.#parts.shift();
      if (p.blob) this.#held -= p.size;
    }
    const resumed = this.#state === 'retrying';
    if (resumed) this.#state = 'uploading';
    while (this.#wantSpace.length && this.#written - this.#acked <= this.#o.maxBufferedBytes) this.#wantSpace.shift().resolve();
    // Bytes alone are reported at most every REPORT_MS (each report is a stream update).
    if (resumed || performance.now() - this.#reportedAt >= REPORT_MS) this.#changed();
  }

  #failed(err) {
    const status = statusOf(err);
    if (retriable(status) && !this.#closed && this.#state !== 'aborted') {
      // tus-js-client's own retries are spent; while the stream records, keep trying
      // (from the server's offset): at once when the browser is back online, else
      // after the last retry delay.
      this.#retries += 1;
      this.#state = 'retrying';
      this.#changed();
      const again = () => {
        this.#cleanupRetry();
        if (this.#state === 'retrying') this.#upload.start();
      };
      if (globalThis.navigator?.onLine === false && globalThis.addEventListener) {
        this.#onOnline = again;
        globalThis.addEventListener('online', again, { once: true });
      }
      this.#timer = setTimeout(again, this.#o.retryDelays.at(-1) ?? 1000);
      return;
    }
    this.#state = 'failed';
    this.#error = new UploadError(`tusSink: the upload to ${this.#o.endpoint} failed${status ? ` (HTTP ${status})` : ''}: ${err?.message ?? err}`, status);
    this.#parts = [];
    this.#held = 0;
    this.#changed();
    for (const w of this.#wantSpace.splice(0)) w.reject(this.#error);
    this.#finished?.reject(this.#error);
    this.#cleanup();
  }

  #changed() {
    this.#reportedAt = performance.now();
    try {
      this.#report({
        type: 'tus',
        url: this.#upload?.url ?? null,
        state: this.#state,
        bytesWritten: this.#written,
        bytesSent: Math.max(this.#sent, this.#acked),
        bytesAcknowledged: this.#acked,
        retries: this.#retries,
        bytesFromDisk: this.#diskBytes,
        error: this.#error,
      });
    } catch {
      // The stream is gone; nothing to tell.
    }
  }

  #cleanupRetry() {
    clearTimeout(this.#batchTimer);
    this.#batchTimer = null;
    clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#onOnline) globalThis.removeEventListener('online', this.#onOnline);
    this.#onOnline = null;
  }

  #cleanup() {
    this.#cleanupRetry();
    this.#parts = [];
    this.#held = 0;
    for (const w of this.#wantSpace.splice(0)) w.resolve();
  }
}

/**
 * Uploads OPFS recording `name` (one the producer wrote with `sink: { type: "opfs" }`)
 * to a tus server, resuming the upload a `tusSink` began for it, from the server's
 * offset, if this browser kept its URL (after a reload or a crash; the server may even
 * hold more than the disk, whose last part a crash loses: the upload then ends there).
 * Without one, it uploads the recording whole. Resolves with `{ url, bytes }`;
 * `NotFoundError` without such a recording, `UploadError` if the server refuses.
 */
export async function resumeUpload(name, options) {
  if (typeof name !== 'string' || name === '') throw new TypeError(`resumeUpload: name must be a recording's name (got ${typeof name})`);
  const o = checkOptions(options);
  const disk = await committedParts(name, 'resumeUpload');
  const source = {
    size: null,
    slice: (start, end) => Promise.resolve({ value: diskRange(disk, start, end), done: end >= disk.size }),
    close() {},
  };
  const fingerprint = fingerprintOf(name, o.endpoint);
  return new Promise((resolve, reject) => {
    const upload = new Upload(source, {
      endpoint: o.endpoint,
      headers: o.headers,
      metadata: { filename: `${name}.${/mp4/.test(disk.mimeType) ? 'mp4' : 'webm'}`, filetype: disk.mimeType, ...o.metadata },
      chunkSize: o.chunkSize,
      retryDelays: o.retryDelays,
      uploadLengthDeferred: true,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      fingerprint: () => Promise.resolve(fingerprint),
      fileReader: { openFile: () => Promise.resolve(source) },
      onShouldRetry: (err) => retriable(statusOf(err)),
      onSuccess: (done) => resolve({ url: upload.url, bytes: Number(done?.lastResponse?.getHeader?.('Upload-Offset')) || disk.size }),
      onError: (err) => {
        const status = statusOf(err);
        reject(new UploadError(`resumeUpload: the upload to ${o.endpoint} failed${status ? ` (HTTP ${status})` : ''}: ${err?.message ?? err}`, status));
      },
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, reject);
  });
}
