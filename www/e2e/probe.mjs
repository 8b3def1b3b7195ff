// FFmpeg's verdict on a file the library wrote (Debian's ffprobe/ffmpeg, installed by
// scripts/setup.sh): its duration in seconds, after asserting it decodes cleanly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export function probe(path) {
  const p = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  assert.equal(p.stderr.trim(), '', `ffprobe ${path}: ${p.stderr}`);
  const d = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
  assert.equal(d.status, 0, d.stderr);
  // Firefox's recorder, under load, gave two frames the same millisecond (seen in an
  // `npm test` run): the null muxer then says "non monotonically increasing dts". Those
  // are the recorder's own block timestamps, which the library references unchanged (a
  // snapshot shifts whole Clusters). FFmpeg folds a repeat of that line into "Last
  // message repeated N times". Every other line is a failure.
  const said = d.stderr.split('\n').filter((l) => l.trim() && !/non monotonically increasing dts to muxer|^\s*Last message repeated \d+ times$/.test(l));
  assert.deepEqual(said, [], `ffmpeg ${path}: ${d.stderr}`);
  return Number(p.stdout.trim());
}
