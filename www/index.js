// A minimal app on the library: start, pause/resume, stop, frames arriving, download.
import { MediaRecorderProducer } from 'media-recorder-producer';

const $ = (id) => document.getElementById(id);
const friendly = {
  NotAllowedError: 'Camera or microphone permission was denied.',
  NotFoundError: 'No camera or microphone was found.',
  NotReadableError: 'The camera or microphone is in use by another program.',
  OverconstrainedError: 'No camera can provide what was asked for.',
  NotSupportedError: 'This browser cannot record this kind of media.',
  DeviceLostError: 'The camera or microphone went away; the recording was ended.',
  DataLossError: 'Some frames were dropped because they were not consumed in time.',
};
const say = (err) => { $('error').textContent = friendly[err.name] ? `${friendly[err.name]} (${err.name})` : String(err); };

const producer = new MediaRecorderProducer({ recordingInterval: 100 });
window.producer = producer; // for the e2e test and the curious
window.MediaRecorderProducer = MediaRecorderProducer;
let stream = null;
let parts = [];
let frames = 0;
let bytes = 0;

producer.onError(say);
producer.onFrame((frame) => {
  frames += 1;
  bytes += frame.size;
  parts.push(frame.data);
  $('frames').textContent = frames;
  $('bytes').textContent = bytes.toLocaleString();
  const m = frame.metadata;
  $('video').textContent = m.width ? `${m.width}×${m.height} @ ${m.frameRate} fps` : 'audio only';
  const line = document.createElement('div');
  line.textContent = `#${m.sequence} ${frame.size} B${m.isHeader ? ' (header)' : ''}`;
  $('log').prepend(line);
  while ($('log').childElementCount > 200) $('log').lastChild.remove();
});
producer.onStreamUpdate((s) => {
  $('state').textContent = s.state;
  $('dropped').textContent = s.framesDropped;
});
setInterval(() => { $('held').textContent = producer.metrics().bytesHeld.toLocaleString(); }, 500);

$('start').onclick = async () => {
  $('error').textContent = '';
  $('start').disabled = true;
  try {
    await producer.connect();
    parts = []; frames = 0; bytes = 0;
    stream = await producer.startStream({ width: 1280, height: 720 });
    $('mime').textContent = stream.mimeType;
    $('preview').srcObject = producer.getMediaStream(stream.id);
    $('pause').disabled = false; $('stop').disabled = false;
    $('download').hidden = true;
  } catch (err) {
    say(err);
    $('start').disabled = false;
  }
};
$('pause').onclick = async () => {
  const paused = $('pause').textContent === 'Resume';
  await (paused ? producer.resumeStream(stream.id) : producer.pauseStream(stream.id));
  $('pause').textContent = paused ? 'Pause' : 'Resume';
};
$('stop').onclick = async () => {
  $('pause').disabled = true; $('stop').disabled = true;
  const done = await producer.stopStream(stream.id);
  $('preview').srcObject = null;
  const blob = new Blob(parts, { type: done.mimeType });
  const a = $('download');
  a.href = URL.createObjectURL(blob);
  a.textContent = `Download (${blob.size.toLocaleString()} bytes)`;
  a.hidden = false;
  $('start').disabled = false; $('pause').textContent = 'Pause';
};
