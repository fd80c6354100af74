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
//! Plain WAV stores sizes in 32 bits, which limits a file to 4 GiB (about
//! 6 h 12 min of 48 kHz 24-bit stereo). Every file starts with a 28-byte
//! `JUNK` chunk (EBU Tech 3306's reservation): a file that passes the limit
//! is finished as RF64, the `JUNK` becoming the `ds64` chunk that holds the
//! 64-bit sizes.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
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

    fn bits(self) -> u16 {
        8 * self.bytes_per_sample() as u16
    }
}

/// The RIFF header up to and including the `data` chunk's size field:
/// `fmt ` (PCM, IEEE float, or WAVE_FORMAT_EXTENSIBLE beyond two
/// channels), then `bext` and `iXML` when given. Sizes are patched when the
/// file is finished.
fn header(format: WavFormat, sample_rate: u32, channels: u16, bwf: Option<&BwfInfo>) -> Vec<u8> {
    let mut h = Vec::with_capacity(1024);
    let chunk = |h: &mut Vec<u8>, id: &[u8; 4], body: &[u8]| {
        h.extend_from_slice(id);
        h.extend_from_slice(&(body.len() as u32).to_le_bytes());
        h.extend_from_slice(body);
        if body.len() % 2 == 1 {
            h.push(0);
        }
    };
    h.extend_from_slice(b"RIFF\0\0\0\0WAVE");
    // Room for a `ds64` chunk, should the file outgrow 32-bit sizes.
    chunk(&mut h, b"JUNK", &[0u8; DS64_LEN]);
    let block_align = channels * format.bytes_per_sample() as u16;
    let (tag, sub) = match format {
        WavFormat::Float32 => (3u16, 3u16),
        _ => (1, 1),
    };
    let extensible = channels > 2;
    let mut fmt = Vec::with_capacity(40);
    fmt.extend_from_slice(&(if extensible { 0xFFFEu16 } else { tag }).to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&sample_rate.to_le_bytes());
    fmt.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
    fmt.extend_from_slice(&block_align.to_le_bytes());
    fmt.extend_from_slice(&format.bits().to_le_bytes());
    if extensible {
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&format.bits().to_le_bytes());
        fmt.extend_from_slice(&0u32.to_le_bytes()); // no speaker positions
        // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT
        fmt.extend_from_slice(&sub.to_le_bytes());
        fmt.extend_from_slice(&[
            0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
        ]);
    } else if format == WavFormat::Float32 {
        fmt.extend_from_slice(&0u16.to_le_bytes());
    }
    chunk(&mut h, b"fmt ", &fmt);
    if let Some(info) = bwf {
        chunk(&mut h, b"bext", &info.bext_bytes());
        // An even length avoids the pad byte, which some readers do not skip
        // (trailing whitespace after the root element is allowed in XML).
        let mut ixml = info.ixml.as_deref().unwrap_or("").as_bytes().to_vec();
        if ixml.len() % 2 == 1 {
            ixml.push(b'\n');
        }
        if !ixml.is_empty() {
            chunk(&mut h, b"iXML", &ixml);
        }
    }
    h.extend_from_slice(b"data\0\0\0\0");
    h
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

/// Payload of a `ds64` chunk without a table: RIFF size, data size,
/// sample count (u64 each), table length (u32).
const DS64_LEN: usize = 28;

/// Where the reserved `JUNK` / `ds64` chunk starts.
const DS64_AT: u64 = 12;

/// Above this RIFF size a file is written as RF64 (the 32-bit field would
/// overflow).
const RF64_ABOVE: u64 = u32::MAX as u64 - 1;

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
///
/// The header (with `bext` and `iXML` for Broadcast Wave) goes first, then
/// the samples, converted a block at a time; `finish` patches the sizes.
pub struct WavFileWriter {
    path: PathBuf,
    temp_path: PathBuf,
    /// `Some` until `finish` or drop.
    file: Option<BufWriter<File>>,
    sample_rate: u32,
    format: WavFormat,
    channel_count: usize,
    /// Where the `data` chunk's size field is, once the header is written.
    data_size_at: Option<u64>,
    data_bytes: u64,
    /// Set once the temporary file has been renamed to `path`.
    published: bool,
    /// RIFF sizes above this make the file RF64.
    rf64_above: u64,
    /// Set when a write failed part-way through a block: the file then holds
    /// a partial frame, so nothing more may be written or published.
    failed: bool,
    dither: Option<Tpdf>,
    bwf: Option<BwfInfo>,
    /// The block being converted.
    bytes: Vec<u8>,
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

/// Output buffering: large writes keep the file system's work per byte low.
const WRITE_BUFFER: usize = 1 << 20;

impl WavFileWriter {
    /// Starts writing a WAV file that will appear at `path` on
    /// [`finish`](Self::finish).
    pub fn create(
        path: &Path,
        format: WavFormat,
        sample_rate: u32,
        channel_count: usize,
    ) -> Result<Self, MediaError> {
        Self::create_buffered(path, format, sample_rate, channel_count, WRITE_BUFFER)
    }

    /// [`create`](Self::create) with `buffer` bytes of output buffering
    /// (at least 4 KiB): many files written at once share a memory budget.
    pub fn create_buffered(
        path: &Path,
        format: WavFormat,
        sample_rate: u32,
        channel_count: usize,
        buffer: usize,
    ) -> Result<Self, MediaError> {
        if sample_rate == 0 {
            return Err(write_error(path, "sample rate must be above 0 Hz"));
        }
        if u16::try_from(channel_count)
            .ok()
            .filter(|&c| c > 0)
            .is_none()
        {
            return Err(write_error(
                path,
                &format!("{channel_count} channels requested, 1 to 65535 are possible"),
            ));
        }
        let Some(file_name) = path.file_name() else {
            return Err(write_error(path, "the path does not name a file"));
        };
        let (file, temp_path) = create_temp(path, file_name)?;
        Ok(WavFileWriter {
            path: path.to_path_buf(),
            temp_path,
            file: Some(BufWriter::with_capacity(buffer.max(4096), file)),
            sample_rate,
            format,
            channel_count,
            data_size_at: None,
            data_bytes: 0,
            published: false,
            failed: false,
            dither: None,
            bwf: None,
            bytes: Vec::new(),
            rf64_above: RF64_ABOVE,
        })
    }

    /// Writes RF64 once the file's RIFF size passes `bytes` (0: always).
    /// By default only a file that plain WAV cannot hold becomes RF64.
    pub fn rf64_above(mut self, bytes: u64) -> Self {
        self.rf64_above = bytes.min(RF64_ABOVE);
        self
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

    /// Writes the header before the first samples.
    fn start(&mut self) -> Result<(), MediaError> {
        if self.data_size_at.is_some() {
            return Ok(());
        }
        let h = header(
            self.format,
            self.sample_rate,
            self.channel_count as u16,
            self.bwf.as_ref(),
        );
        let file = self
            .file
            .as_mut()
            .expect("the file is open until finish or drop consume self");
        if let Err(e) = file.write_all(&h) {
            self.failed = true;
            return Err(MediaError::io(&self.path, e));
        }
        self.data_size_at = Some(h.len() as u64 - 4);
        Ok(())
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
        self.start()?;
        self.bytes.clear();
        self.bytes.reserve(block_bytes as usize);
        let dither = &mut self.dither;
        let bytes = &mut self.bytes;
        // One loop per format, so the conversion is not re-chosen per sample.
        match self.format {
            WavFormat::Int16 => {
                for frame in 0..frames {
                    for channel in channels {
                        let v = to_int_dithered(channel[frame], 16, dither.as_mut()) as i16;
                        bytes.extend_from_slice(&v.to_le_bytes());
                    }
                }
            }
            WavFormat::Int24 => {
                for frame in 0..frames {
                    for channel in channels {
                        let v = to_int_dithered(channel[frame], 24, dither.as_mut());
                        bytes.extend_from_slice(&v.to_le_bytes()[..3]);
                    }
                }
            }
            WavFormat::Float32 => {
                for frame in 0..frames {
                    for channel in channels {
                        bytes.extend_from_slice(&channel[frame].to_le_bytes());
                    }
                }
            }
        }
        let file = self
            .file
            .as_mut()
            .expect("the file is open until finish or drop consume self");
        if let Err(e) = file.write_all(&self.bytes) {
            self.failed = true;
            return Err(MediaError::io(&self.path, e));
        }
        self.data_bytes += block_bytes;
        Ok(())
    }

    /// Completes the header, flushes the file to disk and renames it to its
    /// destination, replacing any file there.
    pub fn finish(self) -> Result<(), MediaError> {
        self.seal()?.publish()
    }

    /// Completes the header and flushes the file to disk under its
    /// temporary name: [`Sealed::publish`] then renames it into place. A set
    /// of files (a master and its stems) is sealed first and published
    /// together, so an interruption while rendering leaves the old set.
    pub fn seal(mut self) -> Result<Sealed, MediaError> {
        self.check_not_failed()?;
        self.start()?;
        let data_size_at = self
            .data_size_at
            .expect("start() wrote the header and set its data size position");
        let data_bytes = self.data_bytes;
        let frames = self.frames_written();
        let rf64 = self.rf64_above;
        let file = self
            .file
            .take()
            .expect("the file is open until finish or drop consume self");
        let result = (|| -> std::io::Result<()> {
            let mut file = file.into_inner().map_err(|e| e.into_error())?;
            let mut end = data_size_at + 4 + data_bytes;
            if data_bytes % 2 == 1 {
                file.write_all(&[0])?;
                end += 1;
            }
            let riff = end - 8;
            if riff > rf64 {
                // RF64: the sizes go to `ds64`, the 32-bit fields say "see
                // there".
                file.seek(SeekFrom::Start(0))?;
                file.write_all(b"RF64")?;
                file.write_all(&u32::MAX.to_le_bytes())?;
                file.seek(SeekFrom::Start(DS64_AT))?;
                let mut ds64 = Vec::with_capacity(8 + DS64_LEN);
                ds64.extend_from_slice(b"ds64");
                ds64.extend_from_slice(&(DS64_LEN as u32).to_le_bytes());
                ds64.extend_from_slice(&riff.to_le_bytes());
                ds64.extend_from_slice(&data_bytes.to_le_bytes());
                ds64.extend_from_slice(&frames.to_le_bytes());
                ds64.extend_from_slice(&0u32.to_le_bytes());
                file.write_all(&ds64)?;
                file.seek(SeekFrom::Start(data_size_at))?;
                file.write_all(&u32::MAX.to_le_bytes())?;
            } else {
                file.seek(SeekFrom::Start(4))?;
                file.write_all(&(riff as u32).to_le_bytes())?;
                file.seek(SeekFrom::Start(data_size_at))?;
                file.write_all(&(data_bytes as u32).to_le_bytes())?;
            }
            file.sync_all()
        })();
        result.map_err(|e| MediaError::io(&self.path, e))?;
        // The sealed file takes over the temporary name (and its removal).
        self.published = true;
        Ok(Sealed {
            temp: std::mem::take(&mut self.temp_path),
            path: std::mem::take(&mut self.path),
            published: false,
        })
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
        // Close the handle, then remove the unpublished temporary file.
        // Errors cannot be reported from drop; the file is hidden and
        // clearly named if removal fails.
        drop(self.file.take());
        if !self.published {
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}

/// A written, flushed file under its temporary name, waiting to be renamed
/// into place. Dropped unpublished, the temporary file is removed.
#[derive(Debug)]
pub struct Sealed {
    temp: PathBuf,
    path: PathBuf,
    published: bool,
}

impl Sealed {
    pub(crate) fn new(temp: PathBuf, path: PathBuf) -> Sealed {
        Sealed {
            temp,
            path,
            published: false,
        }
    }

    /// Where the file will appear.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file into place, replacing any file there.
    pub fn publish(mut self) -> Result<(), MediaError> {
        fs::rename(&self.temp, &self.path).map_err(|e| MediaError::io(&self.path, e))?;
        self.published = true;
        sync_parent_dir(&self.path);
        Ok(())
    }
}

impl Drop for Sealed {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_file(&self.temp);
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
            clamp_bits(round_half_away(f64::from(x) * scale + d.next()), bits)
        }
    }
}

/// Rounds half away from zero, like `f64::round`, without a library call:
/// `as` truncates toward zero (saturating; NaN gives 0).
fn round_half_away(v: f64) -> i64 {
    (v + 0.5f64.copysign(v)) as i64
}

fn clamp_bits(v: i64, bits: u32) -> i32 {
    let top = 1i64 << (bits - 1);
    v.clamp(-top, top - 1) as i32
}

/// Rounds `x` (full scale ±1.0) to a `bits`-bit signed integer, clipping.
/// NaN becomes 0.
fn to_int(x: f32, bits: u32) -> i32 {
    let scale = (1i64 << (bits - 1)) as f64;
    clamp_bits(round_half_away(f64::from(x) * scale), bits)
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
