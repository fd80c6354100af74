//! Picture: probing movies with `ffprobe` and decoding their frames with
//! `ffmpeg`, always in child processes, so a broken movie can make a decode
//! fail but never take the editor down.
//!
//! * [`Tools`] finds `ffmpeg` and `ffprobe` on `PATH` (or says how to install
//!   them).
//! * [`probe`] reads what the editor needs to place a movie: frame rate
//!   (rational), frame count, size, start timecode, audio streams.
//! * [`FrameServer`] delivers the frame for a frame index: from a memory
//!   cache around the playhead, from the picture proxy (an all-intra MJPEG
//!   copy at viewer resolution, built once in the background and cached on
//!   disk, see [`proxy`]), or — until the proxy reaches that frame — from a
//!   long-lived `ffmpeg` stream that is restarted with an accurate seek on
//!   locate.
//!
//! Arguments are always passed as an argument vector (never through a
//! shell), and input paths are given as `file:<absolute path>` so names with
//! spaces, quotes, `$` or a leading `-` are read as names.

mod probe;
pub mod proxy;
mod server;
mod stream;
#[doc(hidden)]
pub mod test_movie;

pub use probe::{AudioStream, VideoInfo, probe};
pub use server::{Frame, FrameServer, FrameSource, ServerConfig, Thumbnail};
pub use stream::RawStream;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The command that installs the picture tools on Debian/Ubuntu.
pub const INSTALL_HINT: &str = "sudo apt install ffmpeg";

/// Why a movie could not be probed or decoded. Messages are one line and
/// start with the file they concern (or the missing tool).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum VideoError {
    #[error("{tool} was not found on PATH: picture needs it (install with `{INSTALL_HINT}`)")]
    ToolMissing { tool: &'static str },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path}: not a movie ffmpeg can read ({reason})")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path}: has no video stream")]
    NoVideo { path: PathBuf },
    #[error("{path}: decoding failed ({reason})")]
    Decode { path: PathBuf, reason: String },
    #[error("could not start {tool}: {reason}")]
    Spawn { tool: &'static str, reason: String },
}

/// Where `ffmpeg` and `ffprobe` are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
}

impl Tools {
    /// Finds both tools on this process's `PATH`.
    pub fn locate() -> Result<Tools, VideoError> {
        Tools::locate_in(std::env::var_os("PATH").as_deref())
    }

    /// Finds both tools in a `PATH`-style list of folders.
    pub fn locate_in(path_var: Option<&OsStr>) -> Result<Tools, VideoError> {
        let find = |tool: &'static str| {
            path_var
                .into_iter()
                .flat_map(std::env::split_paths)
                .map(|dir| dir.join(tool))
                .find(|p| is_executable(p))
                .ok_or(VideoError::ToolMissing { tool })
        };
        Ok(Tools {
            ffmpeg: find("ffmpeg")?,
            ffprobe: find("ffprobe")?,
        })
    }
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// The input argument for a path: `file:` + absolute path, so that no part of
/// the name is read as an option, a protocol or stdin.
pub(crate) fn input_arg(path: &Path) -> OsString {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut s = OsString::from("file:");
    s.push(abs.as_os_str());
    s
}

/// A rational number of frames per second, as ffprobe reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    pub num: u32,
    pub den: u32,
}

impl Rate {
    pub fn fps(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    /// Seconds from the start of the movie to the start of frame `index`.
    pub fn frame_time(self, index: i64) -> f64 {
        index as f64 * f64::from(self.den) / f64::from(self.num)
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fps = self.fps();
        if (fps - fps.round()).abs() < 1e-9 {
            write!(f, "{}", fps.round())
        } else {
            write!(f, "{fps:.3}")
        }
    }
}

/// The size frames are decoded at for a movie of `width`×`height` (square
/// pixels after `sar`) in a box of `max_w`×`max_h`: aspect kept, never
/// enlarged, even dimensions (as the encoders need).
pub fn fit_size(width: u32, height: u32, sar: (u32, u32), max_w: u32, max_h: u32) -> (u32, u32) {
    let display_w = if sar.0 > 0 && sar.1 > 0 {
        f64::from(width) * f64::from(sar.0) / f64::from(sar.1)
    } else {
        f64::from(width)
    };
    let h = f64::from(height.max(1));
    let scale = (f64::from(max_w) / display_w)
        .min(f64::from(max_h) / h)
        .min(1.0);
    let even = |v: f64| ((v / 2.0).round() as u32 * 2).max(2);
    (even(display_w * scale), even(h * scale))
}

/// Writes audio stream `audio_index` (among the movie's audio streams) of
/// `movie` to `out` as a 32-bit float WAV at its own rate, atomically. Used
/// for guide tracks when the movie's audio is not one symphonia decodes.
pub fn extract_audio(
    tools: &Tools,
    movie: &Path,
    audio_index: u32,
    out: &Path,
) -> Result<(), VideoError> {
    let io = |e: std::io::Error| VideoError::Io {
        path: out.to_owned(),
        message: e.to_string(),
    };
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let temp = out.with_extension("partial.wav");
    let mut cmd = std::process::Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-hide_banner", "-v", "error", "-y", "-i"])
        .arg(input_arg(movie))
        .arg("-map")
        .arg(format!("0:a:{audio_index}"))
        .args(["-c:a", "pcm_f32le", "-f", "wav"])
        .arg(input_arg(&temp));
    let result = probe::run(cmd, "ffmpeg", std::time::Duration::from_secs(3600))?;
    if !result.ok {
        let _ = std::fs::remove_file(&temp);
        return Err(VideoError::Decode {
            path: movie.to_owned(),
            reason: probe::last_line(&result.stderr)
                .unwrap_or_else(|| "ffmpeg could not extract the audio".to_owned()),
        });
    }
    std::fs::rename(&temp, out).map_err(io)
}

/// Writes a review copy: the movie's picture (copied, not re-encoded) with
/// `audio` as its sound, the audio's first sample landing `offset` seconds
/// after the movie's first frame (negative: the audio starts before the
/// picture and its beginning is cut). `.mov` gets 24-bit PCM, anything else
/// AAC at 320 kbit/s. Written to a temporary file, then renamed.
pub fn mux_review(
    tools: &Tools,
    movie: &Path,
    audio: &Path,
    offset: f64,
    out: &Path,
) -> Result<(), VideoError> {
    let mov = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mov"));
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mp4".to_owned());
    // A hidden temp beside the output (same folder, so the rename is
    // atomic), keeping the extension ffmpeg picks the container from.
    let name = out
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = out.with_file_name(format!(".{name}.tmp-{}.{ext}", std::process::id()));
    let mut cmd = std::process::Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-hide_banner", "-v", "error", "-y", "-i"])
        .arg(input_arg(movie));
    if offset >= 0.0 {
        cmd.arg("-itsoffset").arg(format!("{offset:.6}"));
    } else {
        cmd.arg("-ss").arg(format!("{:.6}", -offset));
    }
    cmd.arg("-i")
        .arg(input_arg(audio))
        .args(["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy"]);
    if mov {
        cmd.args(["-c:a", "pcm_s24le"]);
    } else {
        cmd.args(["-c:a", "aac", "-b:a", "320k"]);
    }
    // Like every input, the output goes as an absolute `file:` URL: a name
    // such as `-y.mov`, `pipe:1.mov` or `http:x.mov` is a file, never an
    // option, stdout or the network.
    cmd.arg(input_arg(&temp));
    let result = probe::run(cmd, "ffmpeg", std::time::Duration::from_secs(3600));
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
    };
    if !result.ok {
        let _ = std::fs::remove_file(&temp);
        return Err(VideoError::Decode {
            path: out.to_owned(),
            reason: probe::last_line(&result.stderr)
                .unwrap_or_else(|| "ffmpeg could not write the review copy".to_owned()),
        });
    }
    std::fs::rename(&temp, out).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        VideoError::Io {
            path: out.to_owned(),
            message: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit_size(1920, 1080, (1, 1), 960, 540), (960, 540));
        assert_eq!(fit_size(320, 180, (1, 1), 960, 540), (320, 180));
        assert_eq!(fit_size(1998, 1080, (1, 1), 960, 540), (960, 518));
        // Anamorphic 720x576 with 64:45 pixels displays as 1024x576.
        assert_eq!(fit_size(720, 576, (64, 45), 960, 540), (960, 540));
        // NTSC 4:3: 720x480 with 8:9 pixels displays as 640x480.
        assert_eq!(fit_size(720, 480, (8, 9), 960, 540), (640, 480));
    }

    #[test]
    fn missing_tools_are_named_with_the_install_command() {
        let err = Tools::locate_in(Some(OsStr::new("/nonexistent-dir"))).unwrap_err();
        assert_eq!(err, VideoError::ToolMissing { tool: "ffmpeg" });
        assert!(err.to_string().contains("sudo apt install ffmpeg"));
        assert!(Tools::locate_in(None).is_err());
    }

    #[test]
    fn input_arg_is_an_absolute_file_url() {
        let a = input_arg(Path::new("-odd name $x.mov"));
        let s = a.to_string_lossy();
        assert!(s.starts_with("file:/"), "{s}");
        assert!(s.ends_with("/-odd name $x.mov"), "{s}");
    }
}
