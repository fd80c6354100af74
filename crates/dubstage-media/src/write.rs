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

/// Broadcast Wave metadata (EBU Tech 3285 `bext`, plus an optional `iXML`
/// chunk), written before the audio data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BwfInfo {
    /// Up to 256 ASCII characters.
    pub description: String,
    /// Up to 32 characters (the program or company).
    pub originator: String,
    /// Up to 32 characters.
    pub originator_reference: String,
    /// `yyyy-mm-dd`.
    pub origination_date: String,
    /// `hh:mm:ss`.
    pub origination_time: String,
    /// The first sample's position, in samples since midnight (this is how
    /// a file lands at 01:00:00:00 in another DAW).
    pub time_reference: u64,
    /// An iXML document, written as its own chunk when set.
    pub ixml: Option<String>,
}

impl BwfInfo {
    /// The `bext` chunk body: version 2, no UMID, loudness fields unset.
    pub fn bext_bytes(&self) -> Vec<u8> {
        fn field(s: &str, n: usize) -> Vec<u8> {
            let mut v: Vec<u8> = s.bytes().filter(u8::is_ascii).take(n).collect();
            v.resize(n, 0);
            v
        }
        let mut b = Vec::with_capacity(602);
        b.extend(field(&self.description, 256));
        b.extend(field(&self.originator, 32));
        b.extend(field(&self.originator_reference, 32));
        b.extend(field(&self.origination_date, 10));
        b.extend(field(&self.origination_time, 8));
        b.extend_from_slice(&(self.time_reference as u32).to_le_bytes());
        b.extend_from_slice(&((self.time_reference >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&[0u8; 64]); // UMID
        // LoudnessValue, LoudnessRange, MaxTruePeakLevel, MaxMomentaryLoudness,
        // MaxShortTermLoudness: 0x7FFF marks "not given" in version 2.
        for _ in 0..5 {
            b.extend_from_slice(&0x7FFFu16.to_le_bytes());
        }
        b.extend_from_slice(&[0u8; 180]); // reserved
        b
    }
}

/// TPDF dither of ±1 LSB for integer formats: the sum of two independent
/// uniform values, from a small fixed-seed generator (reproducible renders).
#[derive(Debug, Clone)]
pub(crate) struct Tpdf {
    state: u64,
}

impl Tpdf {
    pub(crate) fn new() -> Tpdf {
        Tpdf {
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn next_uniform(&mut self) -> f64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let v = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (v >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Triangular noise in (-1, 1) LSB.
    fn next(&mut self) -> f64 {
        self.next_uniform() - self.next_uniform()
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
    dither: Option<Tpdf>,
    bwf: Option<BwfInfo>,
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
            dither: None,
            bwf: None,
        })
    }

    /// Adds TPDF dither (±1 LSB) when reducing to 16 or 24 bits. No effect
    /// on 32-bit float files.
    pub fn with_dither(mut self, on: bool) -> Self {
        self.dither = (on && self.format != WavFormat::Float32).then(Tpdf::new);
        self
    }

    /// Writes `bext` (and `iXML`) chunks before the audio: a Broadcast Wave file.
    pub fn with_bwf(mut self, info: BwfInfo) -> Self {
        self.bwf = Some(info);
        self
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
                    WavFormat::Int16 => {
                        writer.write_sample(to_int_dithered(x, 16, self.dither.as_mut()) as i16)
                    }
                    WavFormat::Int24 => {
                        writer.write_sample(to_int_dithered(x, 24, self.dither.as_mut()))
                    }
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
        if let Some(info) = self.bwf.take() {
            let with_chunks = insert_chunks(&self.path, &self.temp_path, &info)?;
            let _ = fs::remove_file(&self.temp_path);
            self.temp_path = with_chunks;
            self.sync_handle =
                File::open(&self.temp_path).map_err(|e| MediaError::io(&self.path, e))?;
        }
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

pub(crate) fn to_int_dithered(x: f32, bits: u32, dither: Option<&mut Tpdf>) -> i32 {
    match dither {
        None => to_int(x, bits),
        Some(d) => {
            let scale = (1i64 << (bits - 1)) as f64;
            let v = (f64::from(x) * scale + d.next()).round();
            v.clamp(-scale, scale - 1.0) as i32
        }
    }
}

/// Copies the finished WAV at `temp` into a new temporary file beside
/// `path` with `bext` (and `iXML`) chunks placed between `fmt ` and `data`.
fn insert_chunks(path: &Path, temp: &Path, info: &BwfInfo) -> Result<PathBuf, MediaError> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let io = |e: std::io::Error| MediaError::io(path, e);
    let mut src = File::open(temp).map_err(io)?;
    let mut head = [0u8; 12];
    src.read_exact(&mut head).map_err(io)?;
    let mut fmt: Option<Vec<u8>> = None;
    let mut data: Option<(u64, u64)> = None;
    let mut pos = 12u64;
    let len = src.metadata().map_err(io)?.len();
    while pos + 8 <= len && data.is_none() {
        let mut ch = [0u8; 8];
        src.read_exact(&mut ch).map_err(io)?;
        let size = u64::from(u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]));
        if &ch[..4] == b"fmt " {
            let mut b = vec![0u8; size as usize];
            src.read_exact(&mut b).map_err(io)?;
            fmt = Some(b);
        } else if &ch[..4] == b"data" {
            data = Some((pos + 8, size));
        }
        pos += 8 + size + (size & 1);
        src.seek(SeekFrom::Start(pos)).map_err(io)?;
    }
    let (Some(fmt), Some((data_at, data_len))) = (fmt, data) else {
        return Err(write_error(
            path,
            "the written file has no fmt or data chunk",
        ));
    };
    let file_name = path.file_name().unwrap_or_default();
    let (out, out_path) = create_temp(path, file_name)?;
    let result = (|| -> std::io::Result<()> {
        let mut w = BufWriter::new(out);
        let chunk = |w: &mut BufWriter<File>, id: &[u8; 4], body: &[u8]| -> std::io::Result<()> {
            w.write_all(id)?;
            w.write_all(&(body.len() as u32).to_le_bytes())?;
            w.write_all(body)?;
            if body.len() % 2 == 1 {
                w.write_all(&[0])?;
            }
            Ok(())
        };
        let bext = info.bext_bytes();
        // An even length avoids the pad byte, which some readers do not skip
        // (trailing whitespace after the root element is allowed in XML).
        let mut ixml = info.ixml.as_deref().unwrap_or("").as_bytes().to_vec();
        if ixml.len() % 2 == 1 {
            ixml.push(b'\n');
        }
        let ixml = ixml.as_slice();
        let pad = |n: usize| (n + (n & 1)) as u64;
        let mut riff = 4 + 8 + pad(fmt.len()) + 8 + pad(bext.len()) + 8 + data_len + (data_len & 1);
        if !ixml.is_empty() {
            riff += 8 + pad(ixml.len());
        }
        w.write_all(b"RIFF")?;
        w.write_all(&(riff as u32).to_le_bytes())?;
        w.write_all(b"WAVE")?;
        chunk(&mut w, b"fmt ", &fmt)?;
        chunk(&mut w, b"bext", &bext)?;
        if !ixml.is_empty() {
            chunk(&mut w, b"iXML", ixml)?;
        }
        w.write_all(b"data")?;
        w.write_all(&(data_len as u32).to_le_bytes())?;
        src.seek(SeekFrom::Start(data_at))?;
        let copied = std::io::copy(&mut (&mut src).take(data_len), &mut w)?;
        if copied != data_len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the audio data is shorter than its header says",
            ));
        }
        if data_len & 1 == 1 {
            w.write_all(&[0])?;
        }
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&out_path);
        return Err(io(e));
    }
    Ok(out_path)
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
