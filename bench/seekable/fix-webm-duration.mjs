// Contestant "fix-webm-duration" of the seekable workload (bundled by esbuild at bench time):
// writes a Duration into the file's Info, nothing else (no Cues), so it needs the duration
// from the caller: the harness gives it the true one. It returns its input unchanged when it
// cannot parse the file (it swallows the error), which the harness reports.
import { fixWebmDuration } from '@fix-webm-duration/fix';

export async function makeSeekable(blob, { durationMs }) {
  return fixWebmDuration(blob, durationMs);
}
