//! `ffprobe`: what a movie holds.

use super::{Rate, Tools, VideoError, input_arg};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long ffprobe may take before the movie is declared unreadable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// What the editor needs to know of a movie.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub path: PathBuf,
    /// Container, as ffprobe names it (`mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `mxf`).
    pub container: String,
    /// Video codec (`h264`, `hevc`, `prores`, `dnxhd`, `mjpeg`, …).
    pub codec: String,
    /// Index of the video stream among all streams.
    pub stream_index: u32,
    pub width: u32,
    pub height: u32,
    /// Sample (pixel) aspect ratio, `(1, 1)` for square pixels.
    pub sar: (u32, u32),
    pub rate: Rate,
    /// Number of frames.
    pub frames: i64,
    /// Timestamp of the first video frame, seconds.
    pub start_time: f64,
    /// The movie's own start timecode (from a `tmcd` track or metadata), as
    /// written (`01:00:00:00`, or with `;` for drop-frame).
    pub timecode: Option<String>,
    pub audio: Vec<AudioStream>,
}

impl VideoInfo {
    pub fn duration_seconds(&self) -> f64 {
        self.rate.frame_time(self.frames)
    }
}

/// One audio stream of a movie.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioStream {
    /// Index among all streams.
    pub stream_index: u32,
    /// Index among audio streams (what ffmpeg's `0:a:N` selects).
    pub audio_index: u32,
    pub codec: String,
    pub channels: u16,
    pub sample_rate: u32,
    /// Timestamp of the first sample, seconds.
    pub start_time: f64,
}

/// Probes `path` with ffprobe.
pub fn probe(tools: &Tools, path: &Path) -> Result<VideoInfo, VideoError> {
    std::fs::metadata(path).map_err(|e| VideoError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let entries = "stream=index,codec_type,codec_name,width,height,sample_aspect_ratio,\
                   r_frame_rate,avg_frame_rate,nb_frames,duration,start_time,channels,sample_rate:\
                   stream_tags=timecode:stream_disposition=attached_pic:\
                   format=format_name,duration,start_time:format_tags=timecode";
    let mut cmd = Command::new(&tools.ffprobe);
    cmd.args(["-v", "error", "-show_entries", entries, "-of", "flat", "-i"])
        .arg(input_arg(path));
    let out = run(cmd, "ffprobe", PROBE_TIMEOUT)?;
    if !out.ok {
        return Err(VideoError::Unreadable {
            path: path.to_owned(),
            reason: last_line(&out.stderr).unwrap_or_else(|| "ffprobe failed".to_owned()),
        });
    }
    let mut info = parse(path, &String::from_utf8_lossy(&out.stdout))?;
    if info.frames <= 0 {
        info.frames = count_frames(tools, path, info.stream_index).unwrap_or(0);
    }
    if info.frames <= 0 {
        return Err(VideoError::Unreadable {
            path: path.to_owned(),
            reason: "no video frames".to_owned(),
        });
    }
    Ok(info)
}

/// Counts the video packets of stream `index` (demuxing only), for
/// containers that do not store a frame count (Matroska).
fn count_frames(tools: &Tools, path: &Path, index: u32) -> Option<i64> {
    let mut cmd = Command::new(&tools.ffprobe);
    cmd.args(["-v", "error", "-count_packets", "-select_streams"])
        .arg(index.to_string())
        .args([
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "flat",
            "-i",
        ])
        .arg(input_arg(path));
    let out = run(cmd, "ffprobe", PROBE_TIMEOUT).ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    flat(&text)
        .into_iter()
        .find(|(k, _)| k.ends_with("nb_read_packets"))
        .and_then(|(_, v)| v.parse().ok())
}

pub(crate) struct Output {
    pub ok: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs a tool to completion (killing it after `timeout`), collecting its output.
pub(crate) fn run(
    mut cmd: Command,
    tool: &'static str,
    timeout: Duration,
) -> Result<Output, VideoError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(tool, &e))?;
    let mut stdout = child.stdout.take().expect("stdout was piped");
    let mut stderr = child.stderr.take().expect("stderr was piped");
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let stdout = out_thread.join().unwrap_or_default();
    let mut stderr = err_thread.join().unwrap_or_default();
    if status.is_none() {
        stderr.extend_from_slice(format!("{tool} did not finish in {timeout:?}").as_bytes());
    }
    Ok(Output {
        ok: status.is_some_and(|s| s.success()),
        stdout,
        stderr,
    })
}

pub(crate) fn spawn_error(tool: &'static str, e: &std::io::Error) -> VideoError {
    if e.kind() == std::io::ErrorKind::NotFound {
        VideoError::ToolMissing { tool }
    } else {
        VideoError::Spawn {
            tool,
            reason: e.to_string(),
        }
    }
}

/// The last non-empty line of a tool's error output, with the `file:` URL
/// prefix that ffmpeg echoes removed.
pub(crate) fn last_line(stderr: &[u8]) -> Option<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(|l| l.replace("file:", ""))
}

/// Parses ffprobe's `flat` output (`streams.stream.0.codec_name="h264"`).
fn flat(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            (
                k.trim().to_owned(),
                v.replace("\\\"", "\"").replace("\\\\", "\\"),
            )
        })
        .collect()
}

fn parse_rate(s: &str) -> Option<Rate> {
    let (n, d) = s.split_once('/')?;
    let (num, den): (u32, u32) = (n.parse().ok()?, d.parse().ok()?);
    (num > 0 && den > 0).then_some(Rate { num, den })
}

fn parse(path: &Path, text: &str) -> Result<VideoInfo, VideoError> {
    let map = flat(text);
    let field = |i: u32, name: &str| map.get(&format!("streams.stream.{i}.{name}")).cloned();
    let mut video: Option<u32> = None;
    let mut audio = Vec::new();
    let mut timecode = None;
    let mut i = 0;
    while let Some(kind) = field(i, "codec_type") {
        if timecode.is_none() {
            timecode = field(i, "tags.timecode");
        }
        let attached = field(i, "disposition.attached_pic").as_deref() == Some("1");
        match kind.as_str() {
            "video" if video.is_none() && !attached => video = Some(i),
            "audio" => audio.push(AudioStream {
                stream_index: i,
                audio_index: audio.len() as u32,
                codec: field(i, "codec_name").unwrap_or_default(),
                channels: field(i, "channels")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                sample_rate: field(i, "sample_rate")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                start_time: field(i, "start_time")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0.0),
            }),
            _ => {}
        }
        i += 1;
    }
    let timecode = timecode.or_else(|| map.get("format.tags.timecode").cloned());
    let Some(v) = video else {
        return Err(VideoError::NoVideo {
            path: path.to_owned(),
        });
    };
    let num = |name: &str| field(v, name).and_then(|s| s.parse::<u32>().ok());
    let rate = field(v, "avg_frame_rate")
        .and_then(|s| parse_rate(&s))
        .or_else(|| field(v, "r_frame_rate").and_then(|s| parse_rate(&s)))
        .ok_or_else(|| VideoError::Unreadable {
            path: path.to_owned(),
            reason: "the video stream has no frame rate".to_owned(),
        })?;
    let (width, height) = match (num("width"), num("height")) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => {
            return Err(VideoError::Unreadable {
                path: path.to_owned(),
                reason: "the video stream has no picture size".to_owned(),
            });
        }
    };
    let sar = field(v, "sample_aspect_ratio")
        .and_then(|s| {
            let (a, b) = s.split_once(':')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .filter(|&(a, b): &(u32, u32)| a > 0 && b > 0)
        .unwrap_or((1, 1));
    let duration = field(v, "duration")
        .and_then(|s| s.parse::<f64>().ok())
        .or_else(|| map.get("format.duration").and_then(|s| s.parse().ok()));
    let frames = field(v, "nb_frames")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|&n| n > 0)
        .or_else(|| duration.map(|d| (d * rate.fps()).round() as i64))
        .unwrap_or(0);
    Ok(VideoInfo {
        path: path.to_owned(),
        container: map.get("format.format_name").cloned().unwrap_or_default(),
        codec: field(v, "codec_name").unwrap_or_default(),
        stream_index: v,
        width,
        height,
        sar,
        rate,
        frames,
        start_time: field(v, "start_time")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0),
        timecode: timecode.filter(|t| !t.is_empty()),
        audio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOV: &str = r#"streams.stream.0.index=0
streams.stream.0.codec_name="h264"
streams.stream.0.codec_type="video"
streams.stream.0.width=320
streams.stream.0.height=180
streams.stream.0.sample_aspect_ratio="1:1"
streams.stream.0.r_frame_rate="24000/1001"
streams.stream.0.avg_frame_rate="24000/1001"
streams.stream.0.start_time="0.000000"
streams.stream.0.duration="3.003000"
streams.stream.0.nb_frames="72"
streams.stream.0.disposition.attached_pic=0
streams.stream.0.tags.timecode="01:00:00:00"
streams.stream.1.index=1
streams.stream.1.codec_name="aac"
streams.stream.1.codec_type="audio"
streams.stream.1.sample_rate="44100"
streams.stream.1.channels=2
streams.stream.1.start_time="0.021000"
format.format_name="mov,mp4,m4a,3gp,3g2,mj2"
format.duration="3.003000"
"#;

    #[test]
    fn parses_ffprobe_flat_output() {
        let info = parse(Path::new("a.mov"), MOV).unwrap();
        assert_eq!(
            info.rate,
            Rate {
                num: 24000,
                den: 1001
            }
        );
        assert_eq!(info.frames, 72);
        assert_eq!((info.width, info.height), (320, 180));
        assert_eq!(info.timecode.as_deref(), Some("01:00:00:00"));
        assert_eq!(info.audio.len(), 1);
        assert_eq!(info.audio[0].channels, 2);
        assert_eq!(info.audio[0].sample_rate, 44100);
        assert!((info.audio[0].start_time - 0.021).abs() < 1e-9);
    }

    #[test]
    fn frame_count_falls_back_to_duration() {
        let text = MOV.replace("streams.stream.0.nb_frames=\"72\"\n", "");
        assert_eq!(parse(Path::new("a.mkv"), &text).unwrap().frames, 72);
    }

    #[test]
    fn audio_only_is_refused() {
        let text: String = MOV
            .lines()
            .filter(|l| !l.starts_with("streams.stream.0"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(matches!(
            parse(Path::new("a.m4a"), &text),
            Err(VideoError::NoVideo { .. })
        ));
    }
}
