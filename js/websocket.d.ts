import type { RecordingSink } from './index.js';

/** Options of webSocketSink(). */
export interface WebSocketSinkOptions {
  /** The server's WebSocket URL (ws or wss), e.g. "wss://host/video-stream". */
  url: string;
  /** The packets' streamId (default: the stream's id). */
  streamId?: string;
  /** WebSocket subprotocols. */
  protocols?: string | string[];
  /** Reconnects after the socket closes before the sink fails (default 5). */
  reconnectAttempts?: number;
  /** Milliseconds between reconnects (default 2000). */
  reconnectDelay?: number;
  /** Bytes queued or buffered in the socket before write() waits (default 4 MiB). */
  highWaterMark?: number;
}

/** A sink that sends every chunk to a WebSocket server in the origin's packet format:
 * u32 little-endian header length, UTF-8 JSON header { type: "video_frame", timestamp,
 * frameType, metadata, streamId }, the chunk's bytes; "stream_start" / "stream_stop"
 * as JSON text. Throws TypeError/RangeError naming the bad option. */
export declare function webSocketSink(options: WebSocketSinkOptions): RecordingSink;
