// The seed review's design (shared/seed/000_8d6b83982662ccf0.txt), transcribed from its
// TypeScript to plain JS HERE, FOR COMPARISON ONLY. Never shipped, never imported by the
// library. It is "the peer a team would write instead of using us".
//
// Transcribed as written: CircularBuffer, FrameProcessor (FileReader per chunk, frame-rate
// gate, processing-time average, quality reduction), MemoryMonitor, OptimizedStreamManager
// (the stream pool), ProducerMetrics (EWMA of processing time, score, 30 s console report),
// and the constants of OptimizedMediaRecorderProducer (buffer of 10 chunks, processing every
// 50 ms, 100 MB memory threshold).
//
// Fixed only where the seed would crash or does not say:
//   [fix 1] `new FrameProcessor()` is called without the config its constructor reads
//           (TypeError on `config.targetFPS`). We pass FRAME_PROCESSING_CONFIG below
//           (30 fps: the origin's default frame rate; 33 ms max processing time).
//   [fix 2] `startPerformanceMonitoring()` is called but never defined: here it samples the
//           heap into ProducerMetrics.updateMemoryUsage every 5 s, as its name suggests.
//   [fix 3] The TS `interface ProducerMetrics` and `class ProducerMetrics` share a name;
//           in JS the class keeps the name, the interface is just the shape of `this.metrics`.
//   [glue]  The seed shows only the producer's fields and constructor. The rest
//           (connect, startStream, the 50 ms processing tick, stopStream, destroy, onFrame)
//           is written here the obvious way from the origin (ORIGIN.md) and the seed's
//           stated intent: `dataavailable` pushes into the CircularBuffer (an evicted
//           Blob counts as a dropped frame); every 50 ms the tick takes the buffer's
//           contents, asks FrameProcessor.shouldProcessFrame(timestamp) and, if allowed,
//           reads the Blob with processFrame (FileReader) and emits the frame. A tick is
//           skipped while the previous one is still reading. The buffer holds
//           `{ blob, timestamp }` because processFrame needs a timestamp the seed never
//           says where it comes from: arrival time (performance.now()) for a recorder,
//           the media time for the benchmark's synthetic feed.

export const FRAME_PROCESSING_CONFIG = {
  targetFPS: 30,
  qualityThreshold: 0.5,
  adaptiveQuality: true,
  maxProcessingTime: 33,
};

export class CircularBuffer {
  constructor(capacity) {
    this.capacity = capacity;
    this.buffer = new Array(capacity);
    this.head = 0;
    this.tail = 0;
    this.size = 0;
  }

  push(item) {
    const evicted = this.size === this.capacity ? this.buffer[this.tail] : null;
    this.buffer[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    if (this.size === this.capacity) {
      this.tail = (this.tail + 1) % this.capacity;
    } else {
      this.size++;
    }
    return evicted;
  }

  toArray() {
    const result = [];
    for (let i = 0; i < this.size; i++) {
      const index = (this.tail + i) % this.capacity;
      result.push(this.buffer[index]);
    }
    return result;
  }

  // As in the seed: the slots are not cleared, so up to `capacity` old Blobs stay referenced.
  clear() {
    this.head = 0;
    this.tail = 0;
    this.size = 0;
  }
}

export class FrameProcessor {
  constructor(config) {
    this.config = config;
    this.frameDropCount = 0;
    this.lastFrameTime = 0;
    this.processingTimes = [];
    this.currentQuality = 1.0;
    this.targetFrameInterval = 1000 / config.targetFPS;
    this.lastFrameProcessed = 0;
  }

  shouldProcessFrame(timestamp) {
    // Frame rate limiting
    if (timestamp - this.lastFrameProcessed < this.targetFrameInterval) {
      return false;
    }
    // Performance-based frame skipping
    const avgProcessingTime = this.getAverageProcessingTime();
    if (avgProcessingTime > this.config.maxProcessingTime) {
      this.frameDropCount++;
      // Adaptive quality reduction
      if (this.config.adaptiveQuality && this.frameDropCount > 5) {
        this.reduceQuality();
        this.frameDropCount = 0;
      }
      return false;
    }
    this.lastFrameProcessed = timestamp;
    return true;
  }

  processFrame(blob, timestamp) {
    const startTime = performance.now();
    return new Promise((resolve, reject) => {
      // Use transferable objects for better performance
      const reader = new FileReader();
      reader.onload = () => {
        try {
          const arrayBuffer = reader.result;
          // Create optimized frame object
          const frame = {
            id: `frame-${timestamp}`,
            type: 'video',
            data: arrayBuffer,
            timestamp,
            size: blob.size,
            metadata: {
              quality: this.currentQuality,
              processingTime: performance.now() - startTime,
              frameDropCount: this.frameDropCount,
            },
          };
          // Track processing time
          this.recordProcessingTime(performance.now() - startTime);
          resolve(frame);
        } catch (error) {
          reject(error);
        }
      };
      reader.onerror = () => reject(reader.error);
      reader.readAsArrayBuffer(blob);
    });
  }

  recordProcessingTime(time) {
    this.processingTimes.push(time);
    // Keep only recent measurements
    if (this.processingTimes.length > 30) {
      this.processingTimes.shift();
    }
  }

  getAverageProcessingTime() {
    if (this.processingTimes.length === 0) return 0;
    const sum = this.processingTimes.reduce((a, b) => a + b, 0);
    return sum / this.processingTimes.length;
  }

  reduceQuality() {
    this.currentQuality = Math.max(0.3, this.currentQuality * 0.8);
    console.warn(`Reducing video quality to ${(this.currentQuality * 100).toFixed(0)}%`);
  }

  getCurrentQuality() {
    return this.currentQuality;
  }

  resetQuality() {
    this.currentQuality = 1.0;
    this.frameDropCount = 0;
  }
}

export class MemoryMonitor {
  constructor(thresholdMB) {
    this.checkInterval = null;
    this.lastWarningTime = 0;
    this.warningCooldown = 30000; // 30 seconds
    this.memoryThresholdMB = thresholdMB * 1024 * 1024; // Convert to bytes
    this.startMonitoring();
  }

  startMonitoring() {
    this.checkInterval = setInterval(() => {
      this.checkMemoryUsage();
    }, 5000); // Check every 5 seconds
  }

  stopMonitoring() {
    if (this.checkInterval) {
      clearInterval(this.checkInterval);
      this.checkInterval = null;
    }
  }

  checkMemoryUsage() {
    const memoryInfo = this.getMemoryInfo();
    if (memoryInfo.usedJSHeapSize > this.memoryThresholdMB) {
      const now = Date.now();
      if (now - this.lastWarningTime > this.warningCooldown) {
        console.warn('High memory usage detected:', {
          used: `${(memoryInfo.usedJSHeapSize / 1024 / 1024).toFixed(1)}MB`,
          total: `${(memoryInfo.totalJSHeapSize / 1024 / 1024).toFixed(1)}MB`,
          limit: `${(memoryInfo.jsHeapSizeLimit / 1024 / 1024).toFixed(1)}MB`,
        });
        this.lastWarningTime = now;
        // Trigger garbage collection if available
        this.requestGarbageCollection();
      }
    }
  }

  getMemoryInfo() {
    const perf = window.performance;
    const memoryInfo = perf.memory || { usedJSHeapSize: 0, totalJSHeapSize: 0, jsHeapSizeLimit: 0 };
    return {
      usedJSHeapSize: memoryInfo.usedJSHeapSize,
      totalJSHeapSize: memoryInfo.totalJSHeapSize,
      jsHeapSizeLimit: memoryInfo.jsHeapSizeLimit,
      chunkBufferSize: 0, // Will be updated by producer
      activeStreams: 0, // Will be updated by producer
    };
  }

  requestGarbageCollection() {
    // Request garbage collection if available (Chrome DevTools)
    if ('gc' in window) {
      window.gc();
    }
    // Also manually trigger some cleanup
    this.manualCleanup();
  }

  manualCleanup() {
    // Force cleanup of any large objects
    if (typeof window !== 'undefined') {
      // Clear any cached data
      setTimeout(() => {
        // This gives time for the GC to run
      }, 100);
    }
  }
}

export class OptimizedStreamManager {
  constructor() {
    this.cleanupInterval = null;
    this.streamPool = {
      availableStreams: new Map(),
      activeConnections: new Map(),
      maxPoolSize: 5,
      streamTTL: 300000, // 5 minutes
    };
    this.startPoolCleanup();
  }

  async getOptimizedStream(config) {
    const configKey = this.getConfigKey(config);
    // Try to reuse existing stream
    const cachedStream = this.streamPool.availableStreams.get(configKey);
    if (cachedStream && this.isStreamValid(cachedStream)) {
      this.streamPool.availableStreams.delete(configKey);
      this.streamPool.activeConnections.set(configKey, { stream: cachedStream, lastUsed: Date.now() });
      console.log(`Reusing cached media stream: ${configKey}`);
      return cachedStream;
    }
    // Create new stream with optimized constraints
    const optimizedConstraints = this.optimizeConstraints(config);
    const stream = await navigator.mediaDevices.getUserMedia(optimizedConstraints);
    this.streamPool.activeConnections.set(configKey, { stream, lastUsed: Date.now() });
    console.log(`Created new media stream: ${configKey}`);
    return stream;
  }

  releaseStream(stream, config) {
    const configKey = this.getConfigKey(config);
    const connection = this.streamPool.activeConnections.get(configKey);
    if (connection && connection.stream === stream) {
      this.streamPool.activeConnections.delete(configKey);
      // Add to available pool if under limit
      if (this.streamPool.availableStreams.size < this.streamPool.maxPoolSize) {
        this.streamPool.availableStreams.set(configKey, stream);
        console.log(`Cached media stream: ${configKey}`);
      } else {
        this.stopStream(stream);
        console.log(`Disposed media stream: ${configKey}`);
      }
    }
  }

  optimizeConstraints(config) {
    // Optimize constraints based on device capabilities
    const isHighEnd = this.isHighEndDevice();
    return {
      video: {
        width: { ideal: config.width, max: isHighEnd ? 1920 : 1280 },
        height: { ideal: config.height, max: isHighEnd ? 1080 : 720 },
        frameRate: { ideal: config.frameRate, max: isHighEnd ? 60 : 30 },
        facingMode: config.facingMode || 'user',
        ...(config.deviceId && { deviceId: config.deviceId }),
      },
      audio: {
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
        sampleRate: { ideal: 48000 },
      },
    };
  }

  isHighEndDevice() {
    // Simple heuristic for device capability detection
    const memory = navigator.deviceMemory || 4;
    const cores = navigator.hardwareConcurrency || 4;
    return memory >= 8 && cores >= 8;
  }

  getConfigKey(config) {
    return `${config.width}x${config.height}@${config.frameRate}fps`;
  }

  isStreamValid(stream) {
    return stream.active && stream.getTracks().every((track) => track.readyState === 'live');
  }

  stopStream(stream) {
    stream.getTracks().forEach((track) => {
      track.stop();
    });
  }

  startPoolCleanup() {
    this.cleanupInterval = setInterval(() => {
      this.cleanupExpiredStreams();
    }, 60000); // Cleanup every minute
  }

  cleanupExpiredStreams() {
    const now = Date.now();
    for (const [key, connection] of this.streamPool.activeConnections) {
      if (now - connection.lastUsed > this.streamPool.streamTTL) {
        this.streamPool.activeConnections.delete(key);
        this.stopStream(connection.stream);
        console.log(`Cleaned up expired stream: ${key}`);
      }
    }
    // Also cleanup available streams
    for (const [key, stream] of this.streamPool.availableStreams) {
      if (!this.isStreamValid(stream)) {
        this.streamPool.availableStreams.delete(key);
        this.stopStream(stream);
        console.log(`Cleaned up invalid stream: ${key}`);
      }
    }
  }

  destroy() {
    if (this.cleanupInterval) {
      clearInterval(this.cleanupInterval);
    }
    // Clean up all streams
    for (const connection of this.streamPool.activeConnections.values()) {
      this.stopStream(connection.stream);
    }
    for (const stream of this.streamPool.availableStreams.values()) {
      this.stopStream(stream);
    }
    this.streamPool.activeConnections.clear();
    this.streamPool.availableStreams.clear();
  }
}

// [fix 3] The seed's `interface ProducerMetrics` is the shape of `this.metrics` below.
export class ProducerMetrics {
  constructor() {
    this.reportingInterval = null;
    this.metrics = {
      totalFramesProcessed: 0,
      totalFramesDropped: 0,
      averageProcessingTime: 0,
      memoryUsageTrend: [],
      qualityAdaptations: 0,
      connectionReuses: 0,
      streamCreations: 0,
      lastResetTime: Date.now(),
    };
    this.startReporting();
  }

  recordFrameProcessed(processingTime) {
    this.metrics.totalFramesProcessed++;
    // Update rolling average
    const weight = 0.1;
    this.metrics.averageProcessingTime =
      this.metrics.averageProcessingTime * (1 - weight) + processingTime * weight;
  }

  recordFrameDropped() {
    this.metrics.totalFramesDropped++;
  }

  recordQualityAdaptation() {
    this.metrics.qualityAdaptations++;
  }

  recordConnectionReuse() {
    this.metrics.connectionReuses++;
  }

  recordStreamCreation() {
    this.metrics.streamCreations++;
  }

  updateMemoryUsage(memoryMB) {
    this.metrics.memoryUsageTrend.push(memoryMB);
    // Keep only recent memory samples
    if (this.metrics.memoryUsageTrend.length > 60) {
      this.metrics.memoryUsageTrend.shift();
    }
  }

  getMetrics() {
    return { ...this.metrics };
  }

  getPerformanceScore() {
    const frameRate = this.metrics.totalFramesProcessed / ((Date.now() - this.metrics.lastResetTime) / 1000);
    const dropRate = this.metrics.totalFramesDropped / Math.max(1, this.metrics.totalFramesProcessed);
    const reuseRate = this.metrics.connectionReuses / Math.max(1, this.metrics.streamCreations);
    // Calculate weighted score (0-100)
    const frameRateScore = Math.min(100, frameRate * 3.33); // 30fps = 100
    const dropRateScore = Math.max(0, 100 - dropRate * 500); // 20% drops = 0
    const reuseScore = reuseRate * 100;
    return frameRateScore * 0.5 + dropRateScore * 0.3 + reuseScore * 0.2;
  }

  startReporting() {
    this.reportingInterval = setInterval(() => {
      const score = this.getPerformanceScore();
      console.log(`MediaRecorder Performance Score: ${score.toFixed(1)}/100`, {
        framesProcessed: this.metrics.totalFramesProcessed,
        framesDropped: this.metrics.totalFramesDropped,
        avgProcessingTime: `${this.metrics.averageProcessingTime.toFixed(2)}ms`,
        qualityAdaptations: this.metrics.qualityAdaptations,
        connectionReuses: this.metrics.connectionReuses,
      });
    }, 30000); // Report every 30 seconds
  }

  reset() {
    this.metrics = {
      totalFramesProcessed: 0,
      totalFramesDropped: 0,
      averageProcessingTime: 0,
      memoryUsageTrend: [],
      qualityAdaptations: 0,
      connectionReuses: 0,
      streamCreations: 0,
      lastResetTime: Date.now(),
    };
  }

  destroy() {
    if (this.reportingInterval) {
      clearInterval(this.reportingInterval);
    }
  }
}

const ORIGIN_MIME_TYPES = ['video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8,opus', 'video/webm'];

export class OptimizedMediaRecorderProducer {
  constructor(config = {}) {
    this.type = 'producer';
    this._status = { isConnected: false };
    this.config = config;
    this.id = `optimized-media-recorder-${Date.now()}`;
    this.name = 'Optimized MediaRecorder Producer';
    this.mediaStream = null;
    this.mediaRecorder = null;
    this.chunkProcessingInterval = null;
    this.lastChunkProcessTime = 0;
    // Configuration constants
    this.maxChunkBufferSize = 10; // Maximum chunks in buffer
    this.chunkProcessingIntervalMs = 50; // Process chunks every 50ms
    this.memoryThresholdMB = 100; // Alert at 100MB memory usage
    // Initialize optimized components
    this.chunkBuffer = new CircularBuffer(this.maxChunkBufferSize);
    this.frameProcessor = new FrameProcessor(FRAME_PROCESSING_CONFIG); // [fix 1]
    this.memoryMonitor = new MemoryMonitor(this.memoryThresholdMB);
    this.performanceMetrics = new ProducerMetrics();
    this.startPerformanceMonitoring();
    // [glue] below
    this.streamManager = new OptimizedStreamManager();
    this.frameCallbacks = [];
    this.processing = false;
    this.inFlight = [];
    this.streamConfig = null;
    this.framesDelivered = 0;
  }

  // [fix 2] Called by the seed's constructor, never defined there.
  startPerformanceMonitoring() {
    this.performanceMonitoringInterval = setInterval(() => {
      const info = this.memoryMonitor.getMemoryInfo();
      this.performanceMetrics.updateMemoryUsage(info.usedJSHeapSize / 1024 / 1024);
    }, 5000);
  }

  get status() {
    return this._status;
  }

  onFrame(cb) {
    this.frameCallbacks.push(cb);
    return () => {
      this.frameCallbacks = this.frameCallbacks.filter((c) => c !== cb);
    };
  }

  // [glue] The origin's connect(): probe getUserMedia once, then release the tracks.
  async connect() {
    const probe = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    probe.getTracks().forEach((t) => t.stop());
    this._status = { isConnected: true, lastConnected: new Date() };
  }

  // [glue] Camera stream through the seed's stream pool and a MediaRecorder (origin defaults).
  async startStream(config = {}) {
    const cfg = { width: 1280, height: 720, frameRate: 30, facingMode: 'user', ...config };
    this.streamConfig = cfg;
    this.mediaStream = await this.streamManager.getOptimizedStream(cfg);
    this.performanceMetrics.recordStreamCreation();
    const mimeType = ORIGIN_MIME_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || '';
    this.mediaRecorder = new MediaRecorder(this.mediaStream, {
      mimeType,
      videoBitsPerSecond: this.config.videoBitsPerSecond ?? 2_500_000,
      audioBitsPerSecond: this.config.audioBitsPerSecond ?? 128_000,
    });
    this.mediaRecorder.ondataavailable = (event) => this.handleChunk(event.data, performance.now());
    this.startChunkProcessing();
    this.mediaRecorder.start(this.config.recordingInterval ?? 100);
    return { id: `stream-${Date.now()}`, active: true, mimeType };
  }

  // [glue] Feeds the benchmark's chunks through the same path as `dataavailable`.
  startExternal() {
    this.startChunkProcessing();
  }

  // [glue] `dataavailable`: into the circular buffer; an evicted chunk is a dropped frame.
  handleChunk(blob, timestamp) {
    if (!blob || blob.size === 0) return;
    const evicted = this.chunkBuffer.push({ blob, timestamp });
    if (evicted) this.performanceMetrics.recordFrameDropped();
  }

  startChunkProcessing() {
    if (this.chunkProcessingInterval) return;
    this.chunkProcessingInterval = setInterval(() => {
      this.processChunks();
    }, this.chunkProcessingIntervalMs);
  }

  // [glue] The 50 ms tick.
  async processChunks() {
    if (this.processing) return;
    const entries = this.chunkBuffer.toArray();
    if (entries.length === 0) return;
    this.chunkBuffer.clear();
    this.processing = true;
    this.inFlight = entries;
    this.lastChunkProcessTime = performance.now();
    try {
      for (const { blob, timestamp } of entries) {
        if (!this.frameProcessor.shouldProcessFrame(timestamp)) {
          this.performanceMetrics.recordFrameDropped();
          continue;
        }
        const frame = await this.frameProcessor.processFrame(blob, timestamp);
        this.performanceMetrics.recordFrameProcessed(frame.metadata.processingTime);
        this.framesDelivered++;
        for (const cb of this.frameCallbacks) {
          try {
            cb(frame);
          } catch (e) {
            console.error('frame callback failed', e);
          }
        }
      }
    } finally {
      this.inFlight = [];
      this.processing = false;
    }
  }

  /** Bytes of every Blob this design keeps referenced: the buffer's slots (cleared
   * slots included, since clear() does not release them) and the batch being read. */
  bytesHeld() {
    let n = 0;
    for (const e of this.chunkBuffer.buffer) if (e) n += e.blob.size;
    for (const e of this.inFlight) n += e.blob.size;
    return n;
  }

  /** Bytes of the chunks still waiting (the buffer's live entries and the batch being read). */
  bytesPending() {
    let n = 0;
    for (const e of this.chunkBuffer.toArray()) n += e.blob.size;
    for (const e of this.inFlight) n += e.blob.size;
    return n;
  }

  framesDropped() {
    return this.performanceMetrics.metrics.totalFramesDropped;
  }

  // [glue] Stop: last chunk, drain what is buffered, give the stream back to the pool.
  async stopStream() {
    if (this.mediaRecorder && this.mediaRecorder.state !== 'inactive') {
      const stopped = new Promise((r) => { this.mediaRecorder.onstop = r; });
      this.mediaRecorder.stop();
      await stopped;
    }
    while (this.processing || this.chunkBuffer.size > 0) {
      await this.processChunks();
      if (this.processing) await new Promise((r) => setTimeout(r, 5));
    }
    if (this.mediaStream) this.streamManager.releaseStream(this.mediaStream, this.streamConfig);
    this.mediaRecorder = null;
    this.mediaStream = null;
  }

  destroy() {
    clearInterval(this.chunkProcessingInterval);
    this.chunkProcessingInterval = null;
    clearInterval(this.performanceMonitoringInterval);
    this.memoryMonitor.stopMonitoring();
    this.performanceMetrics.destroy();
    this.streamManager.destroy();
    this.frameCallbacks = [];
  }
}
