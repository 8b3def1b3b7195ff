// Contestant "mediabunny" of the seekable workload (bundled by esbuild at bench time): a
// remux (packets copied, nothing re-encoded) from the recording into a fresh WebM written to
// memory, which has a Duration, a SeekHead and Cues. Its minimal import for this.
import { BlobSource, BufferTarget, Conversion, Input, Output, WEBM, WebMOutputFormat } from 'mediabunny';

export async function makeSeekable(blob) {
  const input = new Input({ source: new BlobSource(blob), formats: [WEBM] });
  const target = new BufferTarget();
  const output = new Output({ format: new WebMOutputFormat(), target });
  const conversion = await Conversion.init({ input, output, showWarnings: false });
  if (!conversion.isValid) throw new Error(`mediabunny: invalid conversion: ${conversion.discardedTracks.map((d) => d.reason).join(', ')}`);
  await conversion.execute();
  input.dispose?.();
  return new Blob([target.buffer], { type: 'video/webm' });
}
