//! Atomic WAV writing.
//!
//! A file is written to a hidden temporary file next to its destination
//! (`.<name>.tmp-<pid>-<n>`), flushed to disk (`fsync`) and then renamed over
//! the destination, so the destination is either the previous file or the
//! complete new one — never a partial render, even if the process dies or
//! the disk fills up. On any error, or if a [`WavFileWriter`] is dropped
//! without [`WavFileWriter::finish`], the temporary file is removed.
//!
//! Samples are planar `f32` (full scale ±1.0). Integer formats round to the
//! nearest step and clip to the format's range; `Float32` stores the values
//! unchanged (including overs above ±1.0).
//!
//! Plain WAV stores sizes in 32 bits, so a file's audio data is limited to
//! just under 4 GiB (about 6 h 12 min of 48 kHz 24-bit stereo); a write that
//! would exceed it fails with [`MediaError::Write`] instead of producing a
//! corrupt file.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::MediaError;

/// Sample format of a written WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WavFormat {
    /// 16-bit signed integer PCM.
    Int16,
    /// 24-bit signed integer PCM.
    Int24,
    /// 32-bit IEEE float.
    Float32,
}

impl WavFormat {
    fn bytes_per_sample(self) -> u64 {
        match self {
            WavFormat::Int16 => 2,
            WavFormat::Int24 => 3,
            WavFormat::Float32 => 4,
        }
    }

    fn spec(self, sample_rate: u32, channels: u16) -> hound::WavSpec {
        let (bits_per_sample, sample_format) = match self {
            WavFormat::Int16 => (16, hound::SampleFormat::Int),
            WavFormat::Int24 => (24, hound::SampleFormat::Int),
            WavFormat::Float32 => (32, hound::SampleFormat::Float),
        };
        hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample,
            sample_format,
        }
    }
}

/// Largest audio payload written to one file: the RIFF size field (32 bits)
/// must also cover the header, so keep a generous margin below `u32::MAX`.
const MAX_DATA_BYTES: u64 = u32::MAX as u64 - 4096;

/// Distinguishes temporary files of concurrent writers in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes planar `channels` (all the same length) to a WAV file at `path`,
/// atomically (see the [module documentation](self)).
pub fn write_wav(
    path: &Path,
    format: WavFormat,
    sample_rate: u32,
    channels: &[&[f32]],
) -> Result<(), MediaError> {
    check_lengths(path, channels)?;
    let mut writer = WavFileWriter::create(path, format, sample_rate, channels.len())?;
    writer.write_planar(channels)?;
    writer.finish()
}

/// Streaming, atomic WAV writer for long renders: write blocks of planar
/// audio with [`write_planar`](Self::write_planar), then
/// [`finish`](Self::finish) to publish the file. Dropping it unfinished
/// discards everything written.
pub struct WavFileWriter {
    path: PathBuf,
    temp_path: PathBuf,
    /// A second handle on the temporary file, to `fsync` it after hound has
    /// flushed and released its own.
    sync_handle: File,
    /// `Some` until `finish` or drop.
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    format: WavFormat,
    channel_count: usize,
    data_bytes: u64,
    /// Set once the temporary file has been renamed to `path`.
    published: bool,
    /// Set when a write failed part-way through a block: the file then holds
    /// a partial frame, so nothing more may be written or published.
    failed: bool,
}

impl std::fmt::Debug for WavFileWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavFileWriter")
            .field("path", &self.path)
            .field("temp_path", &self.temp_path)
            .field("format", &self.format)
            .field("channel_count", &self.channel_count)
            .field("data_bytes", &self.data_bytes)
            .finish_non_exhaustive()
    }
}

impl WavFileWriter {
    /// Starts writing a WAV file that will appear at `path` on
    /// [`finish`](Self::finish).
    pub fn create(
        path: &Path,
        format: WavFormat,
        sample_rate: u32,
        channel_count: usize,
    ) -> Result<Self, MediaError> {
        if sample_rate == 0 {
            return Err(write_error(path, "sample rate must be above 0 Hz"));
        }
        let channels = u16::try_from(channel_count)
            .ok()
            .filter(|&c| c > 0)
            .ok_or_else(|| {
                write_error(
                    path,
                    &format!("{channel_count} channels requested, 1 to 65535 are possible"),
                )
            })?;
        let Some(file_name) = path.file_name() else {
            return Err(write_error(path, "the path does not name a file"));
        };
        let (file, temp_path) = create_temp(path, file_name)?;
        let cleanup = |err: MediaError| {
            // Best effort: the original error is what matters.
            let _ = fs::remove_file(&temp_path);
            err
        };
        let sync_handle = file
            .try_clone()
            .map_err(|e| cleanup(MediaError::io(path, e)))?;
        let writer =
            hound::WavWriter::new(BufWriter::new(file), format.spec(sample_rate, channels))
                .map_err(|e| cleanup(hound_error(path, e)))?;
        Ok(WavFileWriter {
            path: path.to_path_buf(),
            temp_path,
            sync_handle,
            writer: Some(writer),
            format,
            channel_count,
            data_bytes: 0,
            published: false,
            failed: false,
        })
    }

    /// Appends one block of planar audio: one slice per channel, all the same
    /// length (which may differ from block to block).
    ///
    /// After an I/O error (e.g. disk full) the writer is unusable: later
    /// calls and [`finish`](Self::finish) fail, and dropping it removes the
    /// temporary file.
    pub fn write_planar(&mut self, channels: &[&[f32]]) -> Result<(), MediaError> {
        self.check_not_failed()?;
        if channels.len() != self.channel_count {
            return Err(write_error(
                &self.path,
                &format!(
                    "{} channels given to a {}-channel file",
                    channels.len(),
                    self.channel_count
                ),
            ));
        }
        let frames = check_lengths(&self.path, channels)?;
        let block_bytes =
            frames as u64 * self.channel_count as u64 * self.format.bytes_per_sample();
        if self.data_bytes + block_bytes > MAX_DATA_BYTES {
            return Err(write_error(
                &self.path,
                "the file would exceed the 4 GiB size limit of WAV",
            ));
        }
        let path = &self.path;
        let format = self.format;
        let writer = self
            .writer
            .as_mut()
            .expect("the writer is present until finish or drop consume self");
        for frame in 0..frames {
            for channel in channels {
                let x = channel[frame];
                let result = match format {
                    WavFormat::Int16 => writer.write_sample(to_int(x, 16) as i16),
                    WavFormat::Int24 => writer.write_sample(to_int(x, 24)),
                    WavFormat::Float32 => writer.write_sample(x),
                };
                if let Err(e) = result {
                    self.failed = true;
                    return Err(hound_error(path, e));
                }
            }
        }
        self.data_bytes += block_bytes;
        Ok(())
    }

    /// Completes the header, flushes the file to disk and renames it to its
    /// destination, replacing any file there.
    pub fn finish(mut self) -> Result<(), MediaError> {
        self.check_not_failed()?;
        let writer = self
            .writer
            .take()
            .expect("the writer is present until finish or drop consume self");
        writer.finalize().map_err(|e| hound_error(&self.path, e))?;
        self.sync_handle
            .sync_all()
            .map_err(|e| MediaError::io(&self.path, e))?;
        fs::rename(&self.temp_path, &self.path).map_err(|e| MediaError::io(&self.path, e))?;
        self.published = true;
        sync_parent_dir(&self.path);
        Ok(())
    }

    fn check_not_failed(&self) -> Result<(), MediaError> {
        if self.failed {
            Err(write_error(
                &self.path,
                "an earlier write to this file failed",
            ))
        } else {
            Ok(())
        }
    }

    /// Where the file will appear.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Frames written so far.
    pub fn frames_written(&self) -> u64 {
        self.data_bytes / (self.channel_count as u64 * self.format.bytes_per_sample())
    }
}

impl Drop for WavFileWriter {
    fn drop(&mut self) {
        // Close hound's handle first (it rewrites the header on drop), then
        // remove the unpublished temporary file. Errors cannot be reported
        // from drop; the file is hidden and clearly named if removal fails.
        drop(self.writer.take());
        if !self.published {
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}

/// Creates a new, empty temporary file next to `path`. A name left over by
/// an earlier process with the same id is skipped, never overwritten.
pub(crate) fn create_temp(
    path: &Path,
    file_name: &std::ffi::OsStr,
) -> Result<(File, PathBuf), MediaError> {
    const ATTEMPTS: usize = 16;
    let mut last_error = None;
    for _ in 0..ATTEMPTS {
        let temp_path = path.with_file_name(temp_name(file_name));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => return Ok((file, temp_path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(MediaError::io(path, e)),
        }
    }
    let error = last_error.expect("the loop ran at least once and only continues on an error");
    Err(MediaError::io(path, error))
}

/// `.<name>.tmp-<pid>-<n>`
fn temp_name(file_name: &std::ffi::OsStr) -> OsString {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = OsString::from(".");
    name.push(file_name);
    name.push(format!(".tmp-{}-{n}", std::process::id()));
    name
}

/// Makes the rename durable. Best effort: not all platforms and file
/// systems allow opening or syncing a directory, and the data itself is
/// already on disk.
pub(crate) fn sync_parent_dir(path: &Path) {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
}

/// Rounds `x` (full scale ±1.0) to a `bits`-bit signed integer, clipping.
/// NaN becomes 0.
fn to_int(x: f32, bits: u32) -> i32 {
    let scale = (1i64 << (bits - 1)) as f64;
    let v = (f64::from(x) * scale).round();
    // `as` saturates and maps NaN to 0; the clamp bounds it to the format.
    v.clamp(-scale, scale - 1.0) as i32
}

fn check_lengths(path: &Path, channels: &[&[f32]]) -> Result<usize, MediaError> {
    let frames = channels.first().map_or(0, |c| c.len());
    if channels.iter().any(|c| c.len() != frames) {
        return Err(write_error(path, "channels have different lengths"));
    }
    Ok(frames)
}

fn write_error(path: &Path, reason: &str) -> MediaError {
    MediaError::Write {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn hound_error(path: &Path, err: hound::Error) -> MediaError {
    match err {
        hound::Error::IoError(e) => MediaError::io(path, e),
        other => write_error(path, &other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_conversion_rounds_and_clips() {
        assert_eq!(to_int(0.0, 16), 0);
        assert_eq!(to_int(1.0, 16), 32767);
        assert_eq!(to_int(-1.0, 16), -32768);
        assert_eq!(to_int(2.5, 16), 32767);
        assert_eq!(to_int(-7.0, 24), -8_388_608);
        assert_eq!(to_int(0.4 / 32768.0, 16), 0);
        assert_eq!(to_int(0.6 / 32768.0, 16), 1);
        assert_eq!(to_int(-0.6 / 32768.0, 16), -1);
        assert_eq!(to_int(f32::NAN, 24), 0);
        assert_eq!(to_int(f32::INFINITY, 24), 8_388_607);
    }

    #[test]
    fn temp_names_are_hidden_and_unique() {
        let a = temp_name("mix.wav".as_ref());
        let b = temp_name("mix.wav".as_ref());
        assert_ne!(a, b);
        let a = a.to_string_lossy();
        assert!(a.starts_with(".mix.wav.tmp-"), "{a}");
    }
}
