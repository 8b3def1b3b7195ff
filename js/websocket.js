// media-recorder-producer/websocket: send a recording to the origin's WebSocket
// consumer as it records (the packet format of ../README: "WebSocket format").
//
//   import { webSocketSink } from 'media-recorder-producer/websocket';
//   producer.startStream({ sinks: [webSocketSink({ url: 'wss://robot.example/video-stream' })] });
//
// One binary message per chunk: a 4-byte little-endian header length, a UTF-8 JSON
// header {type: "video_frame", timestamp, frameType, metadata, streamId}, then the
// chunk's bytes. "stream_start" and "stream_stop" go as JSON text. While the socket is
// down (it reconnects `reconnectAttempts` times, `reconnectDelay` ms apart) chunks
// queue here, and the chunks the socket had not yet sent when it closed are sent again,
// so the server gets each chunk once, in order. Past `highWaterMark` bytes queued or
// buffered, write() waits and the chunks wait in the producer's ring.

const fail = (field, why, Kind = TypeError) => {
  throw new Kind(`webSocketSink: options.${field} ${why}`);
};

function checkOptions(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('webSocketSink: options must be an object with a url');
  const known = ['url', 'streamId', 'protocols', 'reconnectAttempts', 'reconnectDelay', 'highWaterMark'];
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) fail(k, `is not an option (known: ${known.join(', ')})`);
  }
  if (typeof options.url !== 'string') fail('url', `must be a ws(s) URL string (got ${typeof options.url})`);
  let url;
  try {
    url = new URL(options.url, globalThis.location?.href);
  } catch {
    fail('url', `is not a URL: "${options.url}"`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') fail('url', `must be a ws(s) URL (got ${url.protocol})`);
  if (options.streamId !== undefined && typeof options.streamId !== 'string') fail('streamId', `must be a string (got ${typeof options.streamId})`);
  const count = (field, fallback, min) => {
    const v = options[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number') fail(field, `must be a number (got ${typeof v})`);
    if (!Number.isInteger(v) || v < min) fail(field, `must be a whole number ≥ ${min} (got ${v})`, RangeError);
    return v;
  };
  return {
    url: url.href,
    streamId: options.streamId,
    protocols: options.protocols,
    reconnectAttempts: count('reconnectAttempts', 5, 0),
    reconnectDelay: count('reconnectDelay', 2000, 0),
    highWaterMark: count('highWaterMark', 4 * 1024 * 1024, 1),
  };
}

/** A sink for `startStream({ sinks: [...] })` that sends every chunk to a WebSocket
 * server in the origin's packet format. */
export function webSocketSink(options) {
  return new WebSocketSink(checkOptions(options));
}

const encoder = new TextEncoder();

class WebSocketSink {
  /** Past the producer's ring budget, chunks this sink has not taken yet are evicted,
   * counted and reported (DataLossError), rather than held without bound. */
  lossless = false;
  #o;
  #report = () => {};
  #streamId = '';
  #mimeType = '';
  #socket = null;
  #state = 'idle'; // connecting | open | reconnecting | closed | failed | aborted
  #queue = []; // packets (Blobs) not yet handed to an open socket
  #inFlight = []; // packets handed to the socket: { blob, end } (end: bytes sent so far)
  #sentBytes = 0;
  #attempts = 0;
  #retries = 0;
  #frames = 0;
  #timer = null;
  #waiters = [];
  #ending = null; // { resolve, reject } of close()
  #error = null;

  constructor(o) {
    this.#o = o;
  }

  attach({ id, mimeType, report }) {
    this.#report = report;
    this.#streamId = this.#o.streamId ?? id;
    this.#mimeType = mimeType;
    this.#connect();
  }

  write(blob, info) {
    if (this.#error) return Promise.reject(this.#error);
    const header = encoder.encode(JSON.stringify({
      type: 'video_frame',
      timestamp: Date.now(),
      frameType: info.isHeader ? 'header' : 'data',
      metadata: { sequence: info.sequence, segment: info.segment, isHeader: info.isHeader, mimeType: this.#mimeType, size: blob.size },
      streamId: this.#streamId,
    }));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, header.length, true);
    this.#queue.push(new Blob([length, header, blob]));
    this.#flush();
    if (this.#pending() <= this.#o.highWaterMark) return undefined;
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#poll();
    });
  }

  close({ cutShort }) {
    if (cutShort || this.#error) {
      this.#state = this.#error ? 'failed' : 'aborted';
      this.#shut();
      return this.#error ? Promise.reject(this.#error) : undefined;
    }
    return new Promise((resolve, reject) => {
      this.#ending = { resolve, reject };
      this.#flush();
    });
  }

  /** Bytes queued here or buffered in the socket. */
  #pending() {
    return this.#queue.reduce((n, b) => n + b.size, 0) + (this.#socket?.bufferedAmount ?? 0);
  }

  #connect() {
    this.#state = this.#attempts ? 'reconnecting' : 'connecting';
    this.#changed();
    let socket;
    try {
      socket = new WebSocket(this.#o.url, this.#o.protocols);
    } catch (e) {
      this.#fail(e);
      return;
    }
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      this.#attempts = 0;
      this.#state = 'open';
      socket.send(JSON.stringify({ type: 'stream_start', streamId: this.#streamId, mimeType: this.#mimeType, timestamp: Date.now() }));
      this.#changed();
      this.#flush();
    };
    socket.onclose = () => this.#closed(socket);
    socket.onerror = () => {}; // a close follows
  }

  #flush() {
    const s = this.#socket;
    if (!s || s.readyState !== WebSocket.OPEN) return;
    while (this.#queue.length) {
      const blob = this.#queue.shift();
      s.send(blob);
      this.#sentBytes += blob.size;
      this.#inFlight.push({ blob, end: this.#sentBytes });
      this.#frames += 1;
    }
    this.#trimInFlight();
    if (this.#ending && s.bufferedAmount === 0) {
      s.send(JSON.stringify({ type: 'stream_stop', streamId: this.#streamId, timestamp: Date.now() }));
      this.#state = 'closed';
      this.#changed();
      const { resolve } = this.#ending;
      this.#ending = null;
      s.onclose = null;
      s.close(1000, 'stream stopped');
      this.#shut();
      resolve();
    } else if (this.#ending || this.#waiters.length) {
      this.#poll();
    }
  }

  /** Forgets packets the socket has sent on (all but the last `bufferedAmount` bytes). */
  #trimInFlight() {
    const sentOn = this.#sentBytes - (this.#socket?.bufferedAmount ?? 0);
    while (this.#inFlight.length && this.#inFlight[0].end <= sentOn) this.#inFlight.shift();
  }

  /** While chunks wait for the socket to drain: check again shortly (a WebSocket has no
   * drain event). */
  #poll() {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#socket?.readyState === WebSocket.OPEN) this.#flush();
      while (this.#waiters.length && this.#pending() <= this.#o.highWaterMark) this.#waiters.shift().resolve();
      if (this.#waiters.length || (this.#ending && this.#socket?.readyState === WebSocket.OPEN)) this.#poll();
    }, 50);
  }

  #closed(socket) {
    if (socket !== this.#socket) return;
    // What the socket had not sent on goes again, first, after the reconnect.
    this.#trimInFlight();
    this.#queue.unshift(...this.#inFlight.map((p) => p.blob));
    this.#sentBytes -= this.#inFlight.reduce((n, p) => n + p.blob.size, 0);
    this.#frames -= this.#inFlight.length;
    this.#inFlight = [];
    this.#socket = null;
    if (this.#attempts >= this.#o.reconnectAttempts) {
      this.#fail(new Error(`could not reach ${this.#o.url} (${this.#o.reconnectAttempts} reconnects)`));
      return;
    }
    this.#attempts += 1;
    this.#retries += 1;
    this.#state = 'reconnecting';
    this.#changed();
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#connect();
    }, this.#o.reconnectDelay);
  }

  #fail(cause) {
    const e = new Error(`webSocketSink: ${cause?.message ?? cause}`);
    e.name = 'UploadError';
    this.#error = e;
    this.#state = 'failed';
    this.#changed();
    for (const w of this.#waiters.splice(0)) w.reject(e);
    this.#ending?.reject(e);
    this.#ending = null;
    this.#shut();
  }

  #shut() {
    clearTimeout(this.#timer);
    this.#timer = null;
    const s = this.#socket;
    this.#socket = null;
    if (s) {
      s.onopen = s.onclose = s.onerror = null;
      if (s.readyState <= WebSocket.OPEN) s.close(1000, 'stream ended');
    }
    this.#queue = [];
    this.#inFlight = [];
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  #changed() {
    try {
      this.#report({
        type: 'websocket',
        url: this.#o.url,
        state: this.#state,
        framesSent: this.#frames,
        bytesSent: this.#sentBytes,
        retries: this.#retries,
        error: this.#error,
      });
    } catch {
      // The stream is gone; nothing to tell.
    }
  }
}
