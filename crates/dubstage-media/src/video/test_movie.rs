//! Movies whose frames carry their own index, for tests and benchmarks.
//!
//! Each frame shows its index in binary as [`BITS`] vertical stripes (bit 0
//! at the left; white = 1), drawn by ffmpeg's `geq` filter. The stripes are
//! wide and fully black or white, so they survive lossy codecs and scaling.

use super::{Tools, VideoError};
use std::path::Path;
use std::process::Command;

/// Stripes per frame: indices up to 2^16 - 1.
pub const BITS: u32 = 16;

/// How to encode a generated movie.
#[derive(Debug, Clone)]
pub struct MovieSpec<'a> {
    pub width: u32,
    pub height: u32,
    /// Frame rate as `num/den`.
    pub rate: (u32, u32),
    pub frames: u32,
    /// ffmpeg codec arguments, e.g. `["-c:v", "libx264", "-g", "24"]`.
    pub codec: &'a [&'a str],
    /// Start timecode to record, if any.
    pub timecode: Option<&'a str>,
    /// Add a sine tone audio stream (48 kHz stereo PCM or AAC by container).
    pub audio: bool,
}

impl Default for MovieSpec<'_> {
    fn default() -> Self {
        MovieSpec {
            width: 320,
            height: 180,
            rate: (24, 1),
            frames: 120,
            codec: &[
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                "24",
                "-pix_fmt",
                "yuv420p",
            ],
            timecode: None,
            audio: false,
        }
    }
}

/// Writes a frame-index movie to `path`.
pub fn make(tools: &Tools, path: &Path, spec: &MovieSpec<'_>) -> Result<(), VideoError> {
    let (num, den) = spec.rate;
    let duration = f64::from(spec.frames) * f64::from(den) / f64::from(num);
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args([
        "-nostdin",
        "-hide_banner",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
    ])
    .arg(format!(
        "color=black:size={}x{}:rate={num}/{den}:duration={duration:.6}",
        spec.width, spec.height
    ));
    if spec.audio {
        cmd.args(["-f", "lavfi", "-i"]).arg(format!(
            "sine=frequency=1000:sample_rate=48000:duration={duration:.6}"
        ));
    }
    cmd.arg("-vf")
        .arg(format!(
            "geq=lum='255*mod(floor(N/pow(2,floor(X*{BITS}/W))),2)':cb=128:cr=128"
        ))
        .args(["-frames:v"])
        .arg(spec.frames.to_string())
        .args(spec.codec);
    if spec.audio {
        cmd.args(["-ac", "2"]);
    }
    if let Some(tc) = spec.timecode {
        cmd.arg("-timecode").arg(tc);
    }
    cmd.arg(path);
    let out = super::probe::run(cmd, "ffmpeg", std::time::Duration::from_secs(300))?;
    if out.ok {
        Ok(())
    } else {
        Err(VideoError::Decode {
            path: path.to_owned(),
            reason: super::probe::last_line(&out.stderr)
                .unwrap_or_else(|| "ffmpeg failed".to_owned()),
        })
    }
}

/// Reads the index drawn on an RGBA frame.
pub fn read_index(width: u32, height: u32, rgba: &[u8]) -> i64 {
    let y = height as usize / 2;
    (0..BITS)
        .map(|k| {
            let x = ((f64::from(k) + 0.5) * f64::from(width) / f64::from(BITS)) as usize;
            let o = (y * width as usize + x) * 4;
            let lum = rgba.get(o).copied().unwrap_or(0);
            i64::from(lum > 128) << k
        })
        .sum()
}

/// `n` pseudo-random frame indices below `frames` (xorshift, reproducible by `seed`).
pub fn random_indices(n: usize, frames: i64, seed: u64) -> Vec<i64> {
    let mut x = seed.max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % frames.max(1) as u64) as i64
        })
        .collect()
}
