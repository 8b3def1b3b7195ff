//! TypeScript declarations for every option object, result and event payload.
//! They are emitted into the package's `.d.ts` beside the generated class.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Producer config; every field is optional. See the README's config table. */
export interface MediaRecorderProducerConfig {
  /** Must be "media-recorder" if given (the origin's discriminator). */
  type?: "media-recorder";
  /** Display name of the producer. */
  name?: string;
  /** Base MediaStreamConstraints; a stream's own options overlay them. */
  constraints?: MediaStreamConstraints;
  /** Video bitrate (bits/s), 10 000 – 100 000 000. Default 2 500 000. */
  videoBitsPerSecond?: number;
  /** Audio bitrate (bits/s), 6 000 – 512 000. Default 128 000. */
  audioBitsPerSecond?: number;
  /** MediaRecorder timeslice (ms), 10 – 60 000: one frame per interval. Default 100. */
  recordingInterval?: number;
  /** Recorder types to try, most preferred first. Default vp9,opus → vp8,opus → webm → mp4. */
  mimeTypes?: string[];
  /** Most chunks held per stream, 1 – 100 000. Default 64. */
  bufferCapacity?: number;
  /** Most bytes held per stream, 1 KiB – 2 GiB. Default 8 MiB. */
  bufferMaxBytes?: number;
  /** Drain tick (ms), 1 – 10 000. Default 50. */
  chunkProcessingInterval?: number;
  /** "bounded" (default) or "all": keep the whole recording and emit it at stop (unbounded);
   * a WebM or MP4 recording is indexed as it records (one extra read of each chunk), so stopStream
   * resolves with it seekable (`recording`) without reading it again. */
  retain?: "bounded" | "all";
  /**
   * What a frame's data is: "arraybuffer" (default: the chunk's bytes, one read per
   * chunk) or "blob" (the chunk's Blob, unread: for fetch, OPFS writes, WebSocket.send).
   */
  frameData?: "arraybuffer" | "blob";
  /** Whether connect() opens the devices once to check access. Default true. */
  probeOnConnect?: boolean;
  /** Memory pressure threshold: bytes held + JS heap, 1 024 – 2^40. Default 100 MiB. */
  memoryThreshold?: number;
  /** Memory check period (ms), 50 – 600 000. Default 5 000. */
  memoryCheckInterval?: number;
  /** Least time between two relief actions (ms), 0 – 3 600 000. Default 30 000. */
  memoryWarningCooldown?: number;
  /** "none" (default) or "console": also write pressure, drops and errors to the console. */
  log?: "none" | "console";
  /** Quality follows load (default true). */
  adaptiveQuality?: boolean;
  /** Most video frames per second asked of a camera, 1 – 120. Default 30. */
  targetFps?: number;
  /** Frame processing time (ms) above which a window is overloaded, 1 – 10 000. Default 50.
   * WebCodecs engine: while the encoder takes longer per frame, every other frame is
   * dropped before encoding. */
  maxProcessingTime?: number;
  /** Lowest quality (0 – 1) the controller may step to. Default 0.3. */
  qualityFloor?: number;
  /** Length of one measurement window (ms), 50 – 60 000. Default 1 000. */
  qualityWindow?: number;
  /** Overloaded windows in a row before stepping down, 1 – 100. Default 5 (3 on mobile). */
  stepDownAfter?: number;
  /** Headroom windows in a row before stepping up, 1 – 1 000. Default 10. */
  stepUpAfter?: number;
  /** Start a new recorder (a new segment) when the level's bitrate changes. Default false. */
  restartOnBitrateChange?: boolean;
  /** Levels to use instead of the built-in ladder, best first. */
  ladder?: { width: number; height: number; frameRate: number; videoBitsPerSecond?: number }[];
  /** Caps that override the measured device profile. */
  deviceProfile?: { maxWidth?: number; maxHeight?: number; maxFrameRate?: number };
}

/** Options of startStream(): the origin's VideoStreamConfig plus source and track switches. */
export interface VideoStreamConfig {
  /** Where the media comes from. Default "camera". */
  source?: "camera" | "microphone" | "screen" | "external";
  /** Ideal width (px), 1 – 7680. Default 1280 for cameras. */
  width?: number;
  /** Ideal height (px), 1 – 4320. Default 720 for cameras. */
  height?: number;
  /** Ideal frame rate, above 0 up to 240. Default 30 for cameras. */
  frameRate?: number;
  /** Video bitrate for this stream (bits/s); default the producer's videoBitsPerSecond. */
  bitrate?: number;
  /** Preferred codec, e.g. "vp8": recorder types naming it are tried first. */
  codec?: string;
  /** Camera direction, a preference. Default "user". */
  facingMode?: "user" | "environment" | "left" | "right";
  /** Exact camera to use; a missing one fails with OverconstrainedError. */
  deviceId?: string;
  /** Exact microphone to use. */
  audioDeviceId?: string;
  /** Record audio. Default true for camera and microphone, false for screen. */
  audio?: boolean;
  /** Record video. Default true except for the microphone. */
  video?: boolean;
  /** Exact recorder type; required for source "external". */
  mimeType?: string;
  /** Stream name. */
  name?: string;
  /**
   * Streams that take every chunk as a Blob, exactly once and in order, beside the
   * onFrame listeners (no bytes are read for them): an OPFS file's createWritable(),
   * a fetch upload body, a TransformStream's writable side. The next chunk waits for
   * each write (backpressure; chunks wait in the buffer meanwhile); a failed write is
   * reported as DataLossError and that sink gets nothing more; each is closed when the
   * stream ends. The producer takes their writers at the first chunk (a locked stream
   * is a TypeError; a startStream that fails leaves them unlocked). Sink objects
   * (RecordingSink: tusSink() from "media-recorder-producer/tus", webSocketSink()
   * from "media-recorder-producer/websocket", or the app's own) go here too.
   */
  sinks?: (WritableStream<Blob> | RecordingSink)[];
  /**
   * Instant replay (default false): delivered chunks stay in the buffer while
   * bufferMaxBytes allows (the replay window; oldest out first, never counted as
   * drops), and the recording (WebM or MP4) is indexed as it arrives (one extra read
   * of each chunk), so snapshot() can cut the last seconds at a keyframe.
   */
  replay?: boolean;
  /**
   * readable(streamId) (default false): the stream also writes every chunk (a Blob),
   * in order and once, to a ReadableStream that readable() hands out, from the
   * recording's header on. Like a sink it holds chunks while the reader is behind
   * (past the buffer's bounds that is reported as SinkBackpressure), so read it or
   * cancel it: a readable nobody reads keeps every chunk. Cancelled, it is left out as
   * a failed sink is (reported through onError). It ends with the stream.
   */
  readable?: boolean;
  /**
   * Ask the recorder for a keyframe at least every this many ms (100..60000): the
   * granularity of snapshots. Default 1000 with replay, else the browser's. Chromium
   * honours it (videoKeyFrameIntervalDuration); other browsers ignore it.
   */
  keyframeInterval?: number;
  /**
   * The built-in file sink: the recording goes to the Origin Private File System as it
   * records (committed every 2 s or 4 MiB), so memory stays within the buffer budget
   * however long it runs, and a tab that crashes or reloads loses at most the last
   * 2 s. At stop the stream's `recording` is the file, seekable (a WebM or MP4 recording is
   * indexed as it records, one extra read of each chunk, so the stop does not read the
   * file again). Find unfinished ones with listRecordings(). `name` defaults to the
   * stream id. NotSupportedError at startStream where OPFS is missing (e.g. Firefox
   * private windows). A full disk ends the stream with QuotaExceededError, keeping
   * what was written (recoverRecording). `name`: 1 to 255 bytes of UTF-8, no / \ or
   * NUL, not only dots (a TypeError naming the rule otherwise).
   */
  sink?: { type: "opfs"; name?: string };
  /**
   * What records the stream. "mediarecorder" (default): the browser's MediaRecorder.
   * "webcodecs": MediaStreamTrackProcessor → VideoEncoder/AudioEncoder (Opus) in a
   * Worker → WebM muxed by the library; the bitrate changes in place (setBitrate(),
   * quality levels) with no new segment, and frames are dropped before encoding when
   * the encoder falls behind (framesDroppedBeforeEncoding). WebM with VP8 or VP9 only;
   * NotSupportedError where the browser lacks an API (Firefox: no
   * MediaStreamTrackProcessor). "auto": WebCodecs where it can run, else MediaRecorder;
   * the stream's engine and engineReason say which and why. If the encoder fails
   * mid-recording, "webcodecs" ends the stream with an EncoderError; "auto" goes on
   * with MediaRecorder in a new segment and reports a non-fatal EncoderError.
   */
  engine?: "auto" | "mediarecorder" | "webcodecs";
  /** WebCodecs engine: ask for a hardware video encoder first, falling back to any
   * (stream.hardwareAcceleration says which was used). Default true on mobile. */
  preferHardware?: boolean;
}

/** A recording in the Origin Private File System (listRecordings()). */
export interface RecordingInfo {
  name: string;
  mimeType: string;
  startTime: Date | null;
  /** false if the recording was cut short (tab closed or crashed, destroy() without
   * stopStream()); recoverRecording() still makes it playable. */
  finished: boolean;
  /** Bytes committed to disk. */
  bytes: number;
  /** Committed parts (about 2 s each). */
  parts: number;
}

/** Options of snapshot(). */
export interface SnapshotOptions {
  /** Seconds of replay wanted (> 0); the clip starts at the latest keyframe at least
   * this long before the end. Default: all the buffer holds. */
  seconds?: number;
}

/** Options of pushChunk(). */
export interface PushChunkOptions {
  /** Pin this chunk as part of the header run (true) or never pin it (false). */
  isHeader?: boolean;
}

/** The origin's ConnectionStatus. */
export interface ConnectionStatus {
  isConnected: boolean;
  lastConnected?: Date;
  /** The last error, in words a person understands. */
  error?: string;
  /** Video bitrate of the first active stream (bits/s). */
  bitrate?: number;
  /** Video frame rate of the first active stream's track. */
  frameRate?: number;
}

/** Metadata of a frame. */
export interface SensorFrameMetadata {
  streamId: string;
  /** Per-stream chunk number from 0; consecutive unless frames were dropped. */
  sequence: number;
  /** Whether the chunk belongs to the header run (the container header). */
  isHeader: boolean;
  /** The recorder's type, e.g. "video/webm;codecs=vp9,opus". */
  mimeType: string;
  /** Container, e.g. "webm". */
  format?: string;
  codec?: string;
  width?: number;
  height?: number;
  /** The video track's frame rate (video frames per second, not SensorFrames). */
  frameRate?: number;
  bitrate?: number;
  /** Set on the last frame of a retain: "all" stream: the whole recording. */
  isComplete?: boolean;
  /** The adaptive-quality level applied to the stream (index, 0 = best) and its 0..1 value. */
  qualityLevel?: number;
  quality?: number;
  [key: string]: unknown;
}

/** One delivered unit of the recording: one MediaRecorder chunk (not one video frame). */
export interface SensorFrame {
  /** `${streamId}-${sequence}` */
  id: string;
  type: "video" | "audio" | "data";
  /** The chunk's bytes; its Blob with `frameData: "blob"`. */
  data: ArrayBuffer | Blob;
  /** Arrival time of the chunk, epoch ms. */
  timestamp: number;
  /** Bytes in data. */
  size: number;
  metadata: SensorFrameMetadata;
}

/** The origin's SensorStream, with counters. */
export interface SensorStream {
  id: string;
  name: string;
  type: "video" | "audio";
  config: VideoStreamConfig;
  active: boolean;
  state: "recording" | "paused" | "stopping" | "stopped" | "ended";
  mimeType: string;
  startTime: Date;
  endTime?: Date;
  /** Frames delivered. */
  totalFrames: number;
  framesDropped: number;
  bytesDropped: number;
  /** Why the stream ended on its own (device lost, recorder failure). */
  endReason?: string;
  /** The engine that records it (absent for source "external"). */
  engine?: "mediarecorder" | "webcodecs";
  /** Why that engine, in words. */
  engineReason?: string;
  /** WebCodecs: where the encoders run ("worker", or "main-thread" where no Worker
   * could be made or the streams could not be transferred). */
  engineMode?: "worker" | "main-thread";
  /** WebCodecs: the video encoder's hardwareAcceleration. */
  hardwareAcceleration?: "prefer-hardware" | "no-preference";
  /** WebCodecs: video frames dropped before encoding because the encoder's queue was
   * full or its time per frame over maxProcessingTime (apart from framesDropped, chunks
   * evicted from the buffer). Kept after an "auto" stream switched to MediaRecorder. */
  framesDroppedBeforeEncoding?: number;
  /**
   * retain: "all", once stopped: the whole recording as one file, made seekable (WebM:
   * Duration, SeekHead and Cues before the first Cluster; MP4: durations, mehd and sidx
   * before the first moof; the recorded bytes are referenced, not copied). Absent when the recorder was restarted for a bitrate
   * change (see recordingSegments) or memory pressure made the stream let go of it.
   */
  recording?: Blob;
  /** retain: "all", once stopped: each recorder segment as a complete (seekable) file. */
  recordingSegments?: Blob[];
  /** What each uploading sink (tusSink, webSocketSink) last reported, in sink order. */
  uploads?: UploadProgress[];
}

/**
 * A sink object for `startStream({ sinks })`, beside WritableStreams: what
 * `tusSink()` and `webSocketSink()` return, and what an app can write itself.
 */
export interface RecordingSink {
  /** Called once when the stream starts, before any chunk. `report(progress)` shows
   * the progress on the stream (`uploads`) and fires onStreamUpdate. */
  attach?(stream: { id: string; mimeType: string; report(progress: UploadProgress): void }): void;
  /** Every chunk, in order, exactly once. A returned Promise holds back the next chunk
   * (the chunks wait in the buffer); a rejection (or throw) fails the sink, reported
   * through onError with its error's name, and the stream goes on without it. */
  write(chunk: Blob, info: { sequence: number; segment: number; isHeader: boolean }): void | Promise<void>;
  /** The stream ended: `cutShort` when by destroy() (stop at once; stopStream is not
   * waiting). After a stop, stopStream waits for the returned Promise. */
  close(info: { cutShort: boolean }): void | Promise<void>;
  /** Default true: nothing is evicted before this sink has it (the buffer's bounds give
   * way, reported as SinkBackpressure). false (tusSink, webSocketSink): past the
   * buffer's bounds, chunks it has not taken are evicted, counted and reported as
   * DataLossError, so an outage cannot grow memory without bound. */
  lossless?: boolean;
}

/** An uploading sink's progress (stream.uploads[i]). */
export interface UploadProgress {
  /** "tus" | "websocket" (or an app sink's own). */
  type: string;
  /** The upload's URL (tus: known once the server created it). */
  url?: string | null;
  /** "idle" | "uploading" | "retrying" | "done" | "failed" | "aborted" (tus);
   * "connecting" | "open" | "reconnecting" | "closed" | "failed" (websocket). */
  state?: string;
  bytesWritten?: number;
  bytesSent?: number;
  bytesAcknowledged?: number;
  retries?: number;
  /** tus with an OPFS sink: bytes sent from the file on disk (let go of in memory). */
  bytesFromDisk?: number;
  error?: Error | null;
  [key: string]: unknown;
}

/** Counters of one stream's buffer, for the stream's life. */
export interface StreamMetricsSnapshot {
  streamId: string;
  active: boolean;
  /** The ring's byte budget now (bufferMaxBytes, or less under memory pressure). */
  budgetBytes: number;
  pushedChunks: number;
  pushedBytes: number;
  deliveredChunks: number;
  deliveredBytes: number;
  droppedChunks: number;
  droppedBytes: number;
  heldChunks: number;
  heldBytes: number;
  pinnedBytes: number;
  pendingChunks: number;
}

/** metrics(): counters since construction or resetMetrics(), what is held now, rates, score. */
export interface ProducerMetricsSnapshot {
  /** Frames (chunks) that entered the producer: recorded or pushed. */
  framesRecorded: number;
  bytesRecorded: number;
  /** Frames delivered to listeners (the seed's totalFramesProcessed). */
  framesDelivered: number;
  bytesDelivered: number;
  /** Frames evicted or discarded before delivery (the seed's totalFramesDropped). */
  framesDropped: number;
  bytesDropped: number;
  bytesHeld: number;
  chunksHeld: number;
  /** bytesHeld / the rings' byte budgets. */
  ringOccupancy: number;
  /** EWMA (weight 0.1) of delivery start → every listener done, awaited Promises included (ms). */
  averageProcessingTime: number;
  /** Delivered frames per second over the last 5 s. */
  deliveredFps: number;
  /** Frames per second the recorders should deliver (1000 / recordingInterval each). */
  expectedFps: number;
  /** Video frames per second of the first active video track. */
  trackFrameRate: number | null;
  /** Quality level 0..1; null until adaptive quality acts. */
  qualityLevel: number | null;
  qualityAdaptations: number;
  connectionReuses: number;
  streamCreations: number;
  /** Last ≤ 60 memory readings (MB of bytes held + JS heap), oldest first. */
  memoryTrend: number[];
  /** 0..100: 50 % delivery rate vs expected, 30 % drops, 20 % stream reuse. */
  performanceScore: number;
  /** Epoch ms of construction or the last resetMetrics(). */
  lastResetTime: number;
  streams: StreamMetricsSnapshot[];
}

/** Options of onMetrics(). */
export interface MetricsOptions {
  /** Period (ms), 50 – 600 000. Default 1 000. */
  intervalMs?: number;
}

/** memory(): readings in bytes; null where this browser does not report it. */
export interface MemoryReadings {
  /** Bytes the rings hold (Blob bytes live outside the JS heap: this is what grows). */
  bytesHeld: number;
  wasmMemoryBytes: number;
  /** performance.memory.usedJSHeapSize (Chromium). */
  jsHeapUsed: number | null;
  jsHeapLimit: number | null;
  /** Last performance.measureUserAgentSpecificMemory() (cross-origin-isolated pages, Chromium). */
  uaMemoryBytes: number | null;
  liveStreams: number;
  /** bytesHeld + jsHeapUsed: compared with the threshold. */
  pressureBytes: number;
  thresholdBytes: number;
}

/** What onMemoryPressure listeners receive. */
export interface MemoryPressureEvent {
  /** Readings that crossed the threshold. */
  readings: MemoryReadings;
  /** Readings after the relief action. */
  after: MemoryReadings;
  freed: {
    /** Delivered chunks released (retain: "all" streams stop keeping them). */
    bytesReleased: number;
    /** Undelivered chunks evicted (also counted as dropped, reported as DataLossError). */
    bytesEvicted: number;
    framesEvicted: number;
    budgets: { streamId: string; budgetBytes: number }[];
    /** Idle streams of the producer's pool that were stopped. */
    streamsReleased: number;
  };
  timestamp: number;
}

/** new StreamPool(config): every field optional. */
export interface StreamPoolConfig {
  /** Idle streams kept, 0 – 100 (0: nothing is pooled). Default 5; overflow stops the least recently used. */
  maxPoolSize?: number;
  /** How long an idle stream is kept (ms), 0 – 86 400 000. Default 300 000. */
  streamTtl?: number;
  /** Expiry sweep period (ms), 10 – 3 600 000. Default 60 000. */
  cleanupInterval?: number;
}

/** StreamPool.stats(). */
export interface StreamPoolStats {
  /** Idle streams held now. */
  pooled: number;
  /** Streams handed out and not yet released. */
  active: number;
  /** Streams opened from a device. */
  creations: number;
  /** Acquisitions served by an idle stream. */
  reuses: number;
  /** Idle streams stopped for overflow (LRU), invalidity or a vanished device. */
  evictions: number;
  /** Idle streams stopped when their time to live ran out. */
  expirations: number;
  /** Released streams stopped instead of pooled (ended, or constraints not restorable). */
  discarded: number;
}

/** One media device (ids and labels are empty until the page has permission). */
export interface DeviceInfo {
  kind: "videoinput" | "audioinput" | "audiooutput" | string;
  deviceId: string;
  label: string;
  groupId: string;
}

/** One rung of the quality ladder. */
export interface QualityLevel {
  /** 0 is the best. */
  index: number;
  /** 1 at the top, 0 at the lowest rung. */
  quality: number;
  width: number;
  height: number;
  frameRate: number;
  videoBps: number;
}

/** The device class and its capture caps. */
export interface DeviceProfile {
  highEnd: boolean;
  mobile: boolean;
  lowBattery: boolean;
  maxWidth: number;
  maxHeight: number;
  maxFrameRate: number;
  stepDownAfter: number;
}

/** quality(). */
export interface QualityState {
  enabled: boolean;
  level: QualityLevel;
  floor: QualityLevel;
  ladder: QualityLevel[];
  profile: DeviceProfile;
}

/** What onQualityChange listeners receive. */
export interface QualityChangeEvent {
  from: QualityLevel;
  to: QualityLevel;
  /** "overload", "headroom" or "cap" (the device cap changed, e.g. low battery). */
  reason: "overload" | "headroom" | "cap";
  /** The window that tipped it: mean processing ms, backlog chunks, main-thread busy
   * share; with the WebCodecs engine also its video encoder's deepest queue, mean
   * encode() → output ms, and frames dropped before encoding (0 otherwise). */
  sample: { processingMs: number; backlog: number; busy: number; encodeQueue: number; encodeMs: number; encodeDrops: number };
  /** Each capturing stream's video settings after the change. */
  streams: { streamId: string; width?: number; height?: number; frameRate?: number }[];
}

/** Names of the errors the library throws, rejects with or reports. */
export type ProducerErrorName =
  | "NotAllowedError" | "NotFoundError" | "NotReadableError" | "OverconstrainedError"
  | "NotSupportedError" | "InvalidStateError" | "TypeError" | "RangeError"
  | "DeviceLostError" | "DataLossError" | "AbortError" | "SecurityError"
  | "RecorderError" | "ListenerError" | "DataError" | "UploadError" | "QuotaExceededError";

/** What onError listeners receive: an Error (or DOMException) with a name. */
export type ProducerErrorEvent = Error & {
  name: ProducerErrorName | string;
  /** OverconstrainedError: the constraint that failed. */
  constraint?: string;
  /** DataLossError: the stream and what was lost in this event. */
  streamId?: string;
  framesDropped?: number;
  bytesDropped?: number;
};
"#;
