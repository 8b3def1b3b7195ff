// Contestant "ts-ebml" of the seekable workload (bundled by esbuild at bench time): its
// documented way to make a MediaRecorder WebM seekable, as RecordRTC's getSeekableBlob does
// it: decode the whole file, feed every element to a Reader, rewrite the metadata with
// Duration and Cues, then the new metadata followed by the rest of the file. One change from
// RecordRTC: the body is `blob.slice()` (no copy), not `arrayBuffer.slice()` (a copy).
import { Decoder, Reader, tools } from 'ts-ebml';

export async function makeSeekable(blob) {
  const buf = await blob.arrayBuffer();
  const decoder = new Decoder();
  const reader = new Reader();
  for (const element of decoder.decode(buf)) reader.read(element);
  reader.stop();
  const refined = tools.makeMetadataSeekable(reader.metadatas, reader.duration, reader.cues);
  return new Blob([refined, blob.slice(reader.metadataSize)], { type: blob.type || 'video/webm' });
}
