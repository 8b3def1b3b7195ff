//! Helpers of the host (not wasm) tests of the recording formats: the recordings that
//! proptest mutates, files put together from a header and parts, and FFmpeg's verdict
//! on a file (ffprobe/ffmpeg, installed by scripts/setup.sh).
#![allow(dead_code)]

use media_recorder_producer::core::container::Part;
use proptest::sample::Index;

/// `bytes` with a byte set at each of `flips`, then cut after the byte at `cut`.
pub fn mutate(bytes: &[u8], flips: Vec<(Index, u8)>, cut: Index) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    for (at, v) in flips {
        let i = at.index(bytes.len());
        bytes[i] = v;
    }
    let keep = cut.index(bytes.len()) + 1;
    bytes.truncate(keep);
    bytes
}

/// A file: `header`, then `parts`, their ranges resolved against `bytes`.
pub fn assemble(header: &[u8], parts: &[Part], bytes: &[u8]) -> Vec<u8> {
    let mut file = header.to_vec();
    for p in parts {
        match p {
            Part::Bytes(b) => file.extend(b),
            Part::Range(r) => file.extend(&bytes[r.start as usize..r.end as usize]),
        }
    }
    file
}

/// `file` written to a fresh temporary path, `<name>.<ext>`.
pub fn temp_file(name: &str, ext: &str, file: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mrp-host-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.{ext}"));
    std::fs::write(&path, file).unwrap();
    path
}

/// What ffprobe reads as the file's duration (s), after checking that ffprobe says
/// nothing else and that ffmpeg decodes every packet without a word (from `seek` s on,
/// if given).
pub fn probe_duration(name: &str, path: &std::path::Path) -> f64 {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe (scripts/setup.sh installs it)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "{name}: ffprobe said {stderr}");
    decodes_cleanly(name, path, None);
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// ffmpeg decodes every packet of `path` (from `seek` s on, if given) without a word.
pub fn decodes_cleanly(name: &str, path: &std::path::Path, seek: Option<f64>) {
    let mut cmd = std::process::Command::new("ffmpeg");
    cmd.args(["-v", "error"]);
    if let Some(ss) = seek {
        cmd.args(["-ss", &format!("{ss:.3}")]);
    }
    let out = cmd
        .arg("-i")
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "{name} (from {seek:?} s): ffmpeg said {err}"
    );
}
