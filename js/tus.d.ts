import type { RecordingSink } from './index.js';

/** Options of tusSink(). */
export interface TusSinkOptions {
  /** The tus server's creation endpoint (http or https). */
  endpoint: string;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Upload-Metadata; `filename` (`<streamId>.webm`) and `filetype` are set unless given. */
  metadata?: Record<string, string>;
  /** Most bytes per PATCH (default 8 MiB). Each PATCH carries what was recorded since
   * the previous one, up to this. */
  chunkSize?: number;
  /** tus-js-client's retry delays in ms (default [0, 1000, 3000, 5000]). While the
   * stream records, the upload keeps retrying after them (at once when the browser
   * comes back online); after stopStream, once they are spent, it fails. */
  retryDelays?: number[];
  /** Bytes not yet acknowledged by the server that the sink holds before a write waits
   * (the chunks then wait in the producer's ring, under its budget). Default: twice
   * chunkSize (the PATCH in flight and the next). With an OPFS sink on the stream the sink never waits: past
   * this, it lets go of chunks and reads them back from the file. */
  maxBufferedBytes?: number;
}

/** A tus server refused the upload for good (a 4xx other than 409/423), or it could
 * not be finished after stopStream. `status` is the HTTP status (0: no response). */
export declare class UploadError extends Error {
  readonly name: 'UploadError';
  readonly status: number;
}

/** A sink that uploads the recording to a tus server while it records (needs the
 * tus-js-client package). Throws TypeError/RangeError naming the bad option. */
export declare function tusSink(options: TusSinkOptions): RecordingSink;

/** Uploads an OPFS recording (written with `sink: { type: "opfs" }`) to a tus server,
 * resuming the upload a tusSink began for it from the server's offset if this browser
 * kept its URL (after a reload or crash); else uploads it whole. */
export declare function resumeUpload(name: string, options: TusSinkOptions): Promise<{ url: string; bytes: number }>;
