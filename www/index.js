// The demo app: everything a user of the library would wire up — device pickers kept
// current, preview, record/pause/stop, live plots from onMetrics, an event log, a
// playable download, and errors in words.
import { MediaRecorderProducer, StreamPool, listDevices } from 'media-recorder-producer';
import { LineChart } from './charts.js';

const $ = (id) => document.getElementById(id);
const FRIENDLY = {
  NotAllowedError: 'Camera or microphone permission was denied. Allow access in the browser and try again.',
  NotFoundError: 'No camera or microphone was found.',
  NotReadableError: 'The camera or microphone is in use by another program.',
  OverconstrainedError: 'The selected device is not available any more.',
  NotSupportedError: 'This browser cannot record this kind of media.',
  InvalidStateError: 'That is not possible right now.',
  DeviceLostError: 'The camera or microphone went away; the recording was ended.',
  DataLossError: 'Some frames were dropped because they were not consumed in time.',
  RecorderError: 'The recorder failed.',
};
const friendly = (err) => `${FRIENDLY[err?.name] ?? 'Something went wrong.'} (${err?.name ?? 'Error'})`;
const fmtBytes = (n) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(2)} MB`);

function log(text, kind = 'info') {
  const line = `${new Date().toLocaleTimeString()}  ${kind === 'error' ? '⚠ ' : ''}${text}\n`;
  const el = $('log');
  el.textContent = (line + el.textContent).slice(0, 8000);
}

const pool = new StreamPool({ maxPoolSize: 2 });
const producer = new MediaRecorderProducer({ recordingInterval: 100, memoryCheckInterval: 2000 });
producer.usePool(pool);
window.producer = producer; // for the e2e tests and the curious
window.MediaRecorderProducer = MediaRecorderProducer;

const charts = {
  fps: new LineChart($('chart-fps'), { series: [{ name: 'delivered', color: '#2456d6' }, { name: 'expected', color: '#9aa6bf' }], digits: 0 }),
  quality: new LineChart($('chart-quality'), { series: [{ name: 'quality', color: '#1f8a4c' }], max: 1, digits: 1 }),
  held: new LineChart($('chart-held'), { series: [{ name: 'held', color: '#d6731f' }, { name: 'budget', color: '#9aa6bf' }], digits: 0 }),
  memory: new LineChart($('chart-memory'), { series: [{ name: 'MB', color: '#7b3fd6' }, { name: 'drops', color: '#c62f2f' }], digits: 1 }),
};

let stream = null;
let parts = [];
let bytes = 0;
let startedAt = 0;
let pausedFor = 0;
let pausedAt = 0;
let clockTimer = 0;

// Devices: fill the pickers, keep them current.
async function fillDevices(list) {
  const devices = list ?? await listDevices();
  for (const [id, kind, label] of [['camera', 'videoinput', 'Camera'], ['microphone', 'audioinput', 'Microphone']]) {
    const select = $(id);
    const keep = select.value;
    select.length = 1;
    devices.filter((d) => d.kind === kind && d.deviceId).forEach((d, i) => {
      select.add(new Option(d.label || `${label} ${i + 1}`, d.deviceId));
    });
    select.value = [...select.options].some((o) => o.value === keep) ? keep : '';
  }
}
pool.onDeviceChange((list) => { log(`devices changed: ${list.length} device(s)`); fillDevices(list); });
fillDevices().catch(() => {});

producer.onError((err) => {
  log(`${err.name}: ${err.message}`, 'error');
  if (err.name !== 'DataLossError') $('error').textContent = friendly(err);
});
producer.onQualityChange((c) => log(`quality ${c.from.width}×${c.from.height}@${c.from.frameRate} → ${c.to.width}×${c.to.height}@${c.to.frameRate} (${c.reason})`));
producer.onMemoryPressure((e) => log(`memory pressure: ${fmtBytes(e.readings.pressureBytes)} over ${fmtBytes(e.readings.thresholdBytes)}; evicted ${e.freed.framesEvicted} frame(s)`));
producer.onStatusChange((s) => log(`status: ${s.isConnected ? 'connected' : 'disconnected'}${s.error ? ` (${s.error})` : ''}`));
producer.onStreamUpdate((s) => {
  $('state').textContent = s.state;
  $('dropped').textContent = s.framesDropped;
  if (s.state === 'ended') { log(`stream ended: ${s.endReason ?? ''}`); finish(s); }
});
producer.onFrame((frame) => {
  const m = frame.metadata;
  if (m.isComplete) return;
  parts.push({ data: frame.data, segment: m.segment ?? 0 });
  bytes += frame.size;
  $('frames').textContent = m.sequence + 1;
  $('size').textContent = fmtBytes(bytes);
  $('video').textContent = m.width ? `${m.width}×${m.height}@${Math.round(m.frameRate)}` : 'audio';
});
producer.onMetrics((m) => {
  const s = m.streams[0];
  charts.fps.push([m.deliveredFps, m.expectedFps]);
  charts.quality.push([m.qualityLevel ?? 1]);
  charts.held.push([m.bytesHeld / 1024, s ? s.budgetBytes / 1024 : NaN]);
  charts.memory.push([m.memoryTrend.at(-1) ?? 0, m.framesDropped]);
}, { intervalMs: 500 });

function tick() {
  const now = stream && $('pause').textContent === 'Resume' ? pausedAt : performance.now();
  const t = Math.max(0, now - startedAt - pausedFor) / 1000;
  $('clock').textContent = `${Math.floor(t / 60)}:${(t % 60).toFixed(1).padStart(4, '0')}`;
}

function options() {
  const source = $('source').value;
  const o = {};
  if (source === 'screen') o.source = 'screen';
  else if (source === 'microphone') o.source = 'microphone';
  else {
    o.width = 1280; o.height = 720;
    if (source === 'camera-only') o.audio = false;
    if ($('camera').value) o.deviceId = $('camera').value;
  }
  if ($('microphone').value && source !== 'screen' && source !== 'camera-only') o.audioDeviceId = $('microphone').value;
  return o;
}

$('start').onclick = async () => {
  $('error').textContent = '';
  $('start').disabled = true;
  try {
    await producer.connect();
    parts = []; bytes = 0; pausedFor = 0;
    stream = await producer.startStream(options());
    startedAt = performance.now();
    clockTimer = setInterval(tick, 100);
    $('mime').textContent = stream.mimeType;
    $('preview').srcObject = producer.getMediaStream(stream.id) ?? null;
    $('pause').disabled = false; $('stop').disabled = false;
    $('download').hidden = true;
    log(`recording ${stream.name} as ${stream.mimeType}`);
    fillDevices().catch(() => {}); // labels appear once permission is granted
  } catch (err) {
    $('error').textContent = friendly(err);
    log(`${err.name}: ${err.message}`, 'error');
    $('start').disabled = false;
  }
};

$('pause').onclick = async () => {
  const resume = $('pause').textContent === 'Resume';
  if (resume) { await producer.resumeStream(stream.id); pausedFor += performance.now() - pausedAt; } else { await producer.pauseStream(stream.id); pausedAt = performance.now(); }
  $('pause').textContent = resume ? 'Pause' : 'Resume';
};

function finish(done) {
  clearInterval(clockTimer);
  $('preview').srcObject = null;
  $('pause').disabled = true; $('stop').disabled = true; $('pause').textContent = 'Pause';
  $('start').disabled = false;
  // The download is the last segment (one unless the bitrate was changed mid-way).
  const last = Math.max(0, ...parts.map((p) => p.segment));
  const blob = new Blob(parts.filter((p) => p.segment === last).map((p) => p.data), { type: done.mimeType });
  const a = $('download');
  if (a.href) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(blob);
  a.download = `recording.${done.mimeType.includes('mp4') ? 'mp4' : 'webm'}`;
  a.textContent = `⬇ Download ${fmtBytes(blob.size)}`;
  a.hidden = blob.size === 0;
  stream = null;
}

$('stop').onclick = async () => {
  $('pause').disabled = true; $('stop').disabled = true;
  const done = await producer.stopStream(stream.id);
  log(`stopped: ${done.totalFrames} frames, ${done.framesDropped} dropped`);
  finish(done);
};
