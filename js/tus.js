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
/** Longest a PATCH waits to gather recorded bytes (see #feed). */
const BATCH_MS = 1000;

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
  return {
    endpoint: url.href,
    headers: stringMap(options.headers, 'headers'),
    metadata: stringMap(options.metadata, 'metadata'),
    chunkSize: positive('chunkSize', options.chunkSize, 8 * 1024 * 1024),
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, 64 * 1024 * 1024),
    retryDelays,
  };
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

  constructor(o) {
    this.#o = o;
  }

  /** Called by the producer when the stream starts. */
  attach({ id, mimeType, report }) {
    this.#report = report;
    const source = { size: null, slice: (start, end) => this.#slice(start, end), close() {} };
    this.#upload = new Upload(source, {
      endpoint: this.#o.endpoint,
      headers: this.#o.headers,
      metadata: { filename: `${id}.${/mp4/.test(mimeType) ? 'mp4' : 'webm'}`, filetype: mimeType, ...this.#o.metadata },
      chunkSize: this.#o.chunkSize,
      retryDelays: this.#o.retryDelays,
      uploadLengthDeferred: true,
      removeFingerprintOnSuccess: true,
      storeFingerprintForResuming: false,
      fingerprint: () => Promise.resolve(null),
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
    this.#parts.push({ blob, start: this.#written, at: performance.now() });
    this.#written += blob.size;
    if (this.#state === 'idle') {
      this.#state = 'uploading';
      this.#upload.start();
    }
    this.#feed();
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
    const oldest = this.#parts.find((p) => p.start + p.blob.size > start);
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
    this.#wantData = null;
    const pieces = [];
    for (const p of this.#parts) {
      const pEnd = p.start + p.blob.size;
      if (pEnd <= start || p.start >= end) continue;
      const from = Math.max(start, p.start) - p.start;
      const to = Math.min(end, pEnd) - p.start;
      pieces.push(from === 0 && to === p.blob.size ? p.blob : p.blob.slice(from, to));
    }
    const done = this.#closed && end >= this.#written;
    want.resolve({ value: end > start ? new Blob(pieces) : null, done });
  }

  #acknowledged(offset) {
    if (offset <= this.#acked) return;
    this.#acked = offset;
    while (this.#parts.length && this.#parts[0].start + this.#parts[0].blob.size <= offset) this.#parts.shift();
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
    for (const w of this.#wantSpace.splice(0)) w.resolve();
  }
}
