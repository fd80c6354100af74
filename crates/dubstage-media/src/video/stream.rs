//! A long-lived `ffmpeg` child that decodes a movie from a frame onwards into
//! raw RGBA frames at a fixed size.

use super::probe::{last_line, spawn_error};
use super::{Tools, VideoError, VideoInfo, input_arg};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

/// Decodes frames `first, first+1, …` of a movie, sequentially.
pub struct RawStream {
    child: Child,
    stdout: ChildStdout,
    stderr: StderrTail,
    path: PathBuf,
    next: i64,
    width: u32,
    height: u32,
}

impl RawStream {
    /// Starts ffmpeg at frame `first` (an accurate seek: the first frame read
    /// is exactly `first`, not the keyframe before it).
    pub fn open(
        tools: &Tools,
        info: &VideoInfo,
        first: i64,
        (width, height): (u32, u32),
    ) -> Result<RawStream, VideoError> {
        let seek = (first > 0).then(|| {
            // Half a frame early: frame `first` starts at first/fps, the one
            // before it at (first-1)/fps, so rounding cannot pick either wrong.
            (first as f64 - 0.5) * f64::from(info.rate.den) / f64::from(info.rate.num)
        });
        let (child, stdout, stderr) = spawn_decoder(
            tools,
            info,
            seek,
            &format!("scale={width}:{height}:flags=bilinear,setsar=1,format=rgba"),
            &["-f", "rawvideo", "pipe:1"],
        )?;
        Ok(RawStream {
            child,
            stdout,
            stderr,
            path: info.path.clone(),
            next: first,
            width,
            height,
        })
    }

    /// The index of the frame the next read returns.
    pub fn next_index(&self) -> i64 {
        self.next
    }

    pub fn frame_bytes(&self) -> usize {
        self.width as usize * self.height as usize * 4
    }

    /// Reads the next frame into `buf` (resized to one frame). `Ok(None)` at
    /// the end of the movie; an error when ffmpeg stopped on a decode error.
    pub fn read_frame(&mut self, buf: &mut Vec<u8>) -> Result<Option<i64>, VideoError> {
        buf.resize(self.frame_bytes(), 0);
        let mut filled = 0;
        while filled < buf.len() {
            match self.stdout.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(VideoError::Decode {
                        path: self.path.clone(),
                        reason: e.to_string(),
                    });
                }
            }
        }
        if filled == buf.len() {
            let index = self.next;
            self.next += 1;
            return Ok(Some(index));
        }
        // End of output: a clean end or a failure, as ffmpeg's status says.
        let status = self.child.wait().ok();
        let message = self.stderr.lock().ok().and_then(|e| last_line(&e));
        match (status, message) {
            (Some(s), _) if s.success() && filled == 0 => Ok(None),
            (_, Some(m)) => Err(VideoError::Decode {
                path: self.path.clone(),
                reason: m,
            }),
            _ if filled == 0 => Ok(None),
            _ => Err(VideoError::Decode {
                path: self.path.clone(),
                reason: format!("the stream stopped inside frame {}", self.next),
            }),
        }
    }
}

impl Drop for RawStream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child's stderr, kept by a draining thread (the last 16 KB).
pub(crate) type StderrTail = Arc<Mutex<Vec<u8>>>;

/// Starts ffmpeg decoding `info`'s video stream (from `seek` seconds, an
/// accurate seek) through the filter `vf`, writing `output` to its stdout.
/// Returns the child, its stdout and its (drained) stderr.
pub(crate) fn spawn_decoder(
    tools: &Tools,
    info: &VideoInfo,
    seek: Option<f64>,
    vf: &str,
    output: &[&str],
) -> Result<(Child, ChildStdout, StderrTail), VideoError> {
    let mut cmd = Command::new(&tools.ffmpeg);
    cmd.args(["-nostdin", "-hide_banner", "-v", "error"]);
    if let Some(t) = seek {
        cmd.arg("-ss").arg(format!("{t:.6}"));
    }
    cmd.arg("-i")
        .arg(input_arg(&info.path))
        .arg("-map")
        .arg(format!("0:{}", info.stream_index))
        .args(["-vsync", "passthrough", "-vf", vf])
        .args(output);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error("ffmpeg", &e))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let stderr = drain(child.stderr.take().expect("stderr was piped"));
    Ok((child, stdout, stderr))
}

/// Reads a child's stderr to the end on a thread, keeping the last 16 KB.
pub(crate) fn drain(mut r: impl Read + Send + 'static) -> StderrTail {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let out = buf.clone();
    let _ = std::thread::Builder::new()
        .name("dubstage-ffmpeg-stderr".into())
        .spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = r.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                if let Ok(mut b) = out.lock() {
                    b.extend_from_slice(&chunk[..n]);
                    let excess = b.len().saturating_sub(16 * 1024);
                    b.drain(..excess);
                }
            }
        });
    buf
}
