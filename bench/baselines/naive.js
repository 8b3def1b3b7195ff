// The origin's behaviour (shared/ORIGIN.md), written here in plain JS for comparison only.
// Never shipped. It reproduces what the seed review criticises:
//   - every `dataavailable` Blob is pushed onto an array that is cleared only at stop
//     (unbounded memory: the array holds every Blob of the recording);
//   - each Blob is also emitted at once as a frame whose `data` is the Blob itself
//     (the consumer still has to read the bytes);
//   - at stop, one last frame holds the whole recording as one Blob, then the array is cleared.
// `handleChunk(blob)` is the `ondataavailable` handler, so the benchmark can feed the same
// Blobs to every contestant. `startCamera()` is the origin's recorder path (used only by the
// real-capture workload, if at all).

export class NaiveProducer {
  constructor({ recordingInterval = 100 } = {}) {
    this.recordingInterval = recordingInterval;
    this.recordingDataChunks = [];
    this.frameCallbacks = [];
    this.streamId = `stream-${Date.now()}`;
    this.mimeType = 'video/webm;codecs=vp9,opus';
    this.mediaRecorder = null;
    this.mediaStream = null;
    this.totalFrames = 0;
  }

  onFrame(cb) {
    this.frameCallbacks.push(cb);
    return () => {
      this.frameCallbacks = this.frameCallbacks.filter((c) => c !== cb);
    };
  }

  emit(frame) {
    for (const cb of this.frameCallbacks) {
      try {
        cb(frame);
      } catch (e) {
        console.error('frame callback failed', e);
      }
    }
  }

  /** The origin's `ondataavailable`: keep the Blob forever (until stop) and emit it. */
  handleChunk(blob) {
    if (!blob || blob.size === 0) return;
    this.recordingDataChunks.push(blob);
    this.totalFrames++;
    this.emit({
      timestamp: Date.now(),
      type: 'video',
      data: blob,
      metadata: { streamId: this.streamId, mimeType: this.mimeType, size: blob.size },
    });
  }

  /** Sum of the sizes of the Blobs the array holds: what the origin keeps alive. */
  bytesHeld() {
    let n = 0;
    for (const b of this.recordingDataChunks) n += b.size;
    return n;
  }

  async startCamera(constraints, mimeType) {
    this.mediaStream = await navigator.mediaDevices.getUserMedia(constraints);
    this.mimeType = mimeType;
    this.mediaRecorder = new MediaRecorder(this.mediaStream, {
      mimeType, videoBitsPerSecond: 2_500_000, audioBitsPerSecond: 128_000,
    });
    this.mediaRecorder.ondataavailable = (e) => this.handleChunk(e.data);
    this.mediaRecorder.start(this.recordingInterval);
  }

  /** The origin's stop: one last frame with the whole recording, then clear the array. */
  async stop() {
    if (this.mediaRecorder && this.mediaRecorder.state !== 'inactive') {
      const stopped = new Promise((r) => { this.mediaRecorder.onstop = r; });
      this.mediaRecorder.stop();
      await stopped;
    }
    if (this.mediaStream) this.mediaStream.getTracks().forEach((t) => t.stop());
    if (this.recordingDataChunks.length > 0) {
      const whole = new Blob(this.recordingDataChunks, { type: this.mimeType });
      this.emit({
        timestamp: Date.now(),
        type: 'video',
        data: whole,
        metadata: { streamId: this.streamId, mimeType: this.mimeType, size: whole.size, isComplete: true },
      });
    }
    this.recordingDataChunks = [];
  }
}
