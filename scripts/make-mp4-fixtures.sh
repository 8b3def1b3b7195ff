#!/usr/bin/env bash
# Makes the fragmented-MP4 fixtures of tests/core_mp4_writers.rs with ffmpeg, an
# independent writer (Safari records fragmented MP4 with H.264 and AAC but cannot run
# here; these are the layouts it and other writers use):
#
#   ffmpeg-frag.mp4        H.264 (B-frames, so an edit list) + AAC,
#                          -movflags frag_keyframe+empty_moov+default_base_moof:
#                          a fragment per keyframe (1 s), both tracks in each moof
#   ffmpeg-every-frame.mp4 the same with +frag_every_frame: a fragment per frame, most
#                          not starting with a keyframe, one track per moof
#   ffmpeg-negcts.mp4      H.264 with B-frames + AAC, +negative_cts_offsets: trun
#                          version 1 with negative composition offsets, no edit list
#   ffmpeg-aac.mp4         AAC only, a fragment per second (-frag_duration)
#   ffmpeg-cmaf-video.mp4  the dash muxer's CMAF output, H.264: the init segment and
#   ffmpeg-cmaf-audio.mp4  the media segments (styp, sidx, moof, mdat) concatenated
#                          into one file, as a recording would be; the dash muxer
#                          writes a representation (so a file) per stream: AAC here
#   ffmpeg-abs-offset.mp4  AAC only, frag_keyframe+empty_moov without
#                          default_base_moof: each tfhd gives an absolute
#                          base_data_offset (fragments that cannot be moved; the
#                          library refuses them)
#
# 64-bit box sizes, free/skip boxes between fragments and several trun per traf are
# layouts ffmpeg does not write: tests/core_mp4_writers.rs derives them from these
# files by small byte rewrites.
#
# Deterministic: testsrc/sine, fixed sizes and rates, one x264 thread with fixed
# parameters, -fflags +bitexact and bitexact codec flags (no encoder version strings in
# the container, no creation times), no metadata. A rerun with the same ffmpeg and x264
# gives the same bytes (checked: the script prints their sha256). Needs ffmpeg with
# libx264 and its native aac encoder (scripts/setup.sh installs Debian's).
#
# Run from anywhere: bash scripts/make-mp4-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 3 s of 160x120 testsrc at 25 fps, a keyframe every second (25 frames, no scene-cut
# keyframes), two B-frames between references always (b-adapt=0: composition offsets
# in every fragment), and 3 s of a 48 kHz mono sine.
video=(-f lavfi -i "testsrc=size=160x120:rate=25:duration=3")
audio=(-f lavfi -i "sine=frequency=440:sample_rate=48000:duration=3")
x264=(-c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p -threads 1
  -g 25 -keyint_min 25 -sc_threshold 0 -bf 2 -crf 30
  -x264-params "rc-lookahead=10:sliced-threads=0:b-adapt=0")
aac=(-c:a aac -b:a 32k -ac 1)
exact=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

ff "${video[@]}" "${audio[@]}" "${x264[@]}" "${aac[@]}" "${exact[@]}" \
  -movflags frag_keyframe+empty_moov+default_base_moof \
  "$out/ffmpeg-frag.mp4"

ff "${video[@]}" "${audio[@]}" "${x264[@]}" "${aac[@]}" "${exact[@]}" \
  -movflags frag_keyframe+empty_moov+default_base_moof+frag_every_frame \
  "$out/ffmpeg-every-frame.mp4"

ff "${video[@]}" "${audio[@]}" "${x264[@]}" "${aac[@]}" "${exact[@]}" \
  -movflags frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets \
  "$out/ffmpeg-negcts.mp4"

ff "${audio[@]}" "${aac[@]}" "${exact[@]}" \
  -movflags empty_moov+default_base_moof -frag_duration 1000000 \
  "$out/ffmpeg-aac.mp4"

ff "${audio[@]}" "${aac[@]}" "${exact[@]}" -t 2 \
  -movflags empty_moov -frag_duration 1000000 \
  "$out/ffmpeg-abs-offset.mp4"

# The dash muxer: CMAF segments of 1 s, a representation per stream, each its init
# segment and numbered media segments in files of their own.
ff "${video[@]}" "${audio[@]}" "${x264[@]}" "${aac[@]}" "${exact[@]}" \
  -f dash -dash_segment_type mp4 -seg_duration 1 -use_template 1 -use_timeline 0 \
  -init_seg_name 'init-$RepresentationID$.m4s' \
  -media_seg_name 'seg-$RepresentationID$-$Number%03d$.m4s' \
  "$tmp/manifest.mpd"
for rep in 0:video 1:audio; do
  cat "$tmp/init-${rep%%:*}.m4s" "$tmp"/seg-"${rep%%:*}"-*.m4s >"$out/ffmpeg-cmaf-${rep#*:}.mp4"
done

ls -l "$out"/ffmpeg-*.mp4
sha256sum "$out"/ffmpeg-*.mp4
