//! Waveform peak pyramids: draw a source's waveform at any zoom without
//! touching its raw samples when zoomed out.
//!
//! # Structure
//!
//! A [`PeakPyramid`] holds, per channel, levels `n = 0, 1, …` where level `n`
//! stores one [`Peak`] (min, max) per block of `BASE << n` samples
//! ([`BASE`] = 16: level 0 has one pair per 16 samples, level 1 per 32, …),
//! up to the first level where a single pair covers the whole source. Level
//! `n + 1` is computed from level `n` (pair `i` combines pairs `2i` and
//! `2i + 1`), never from the raw samples. The last block of a level may be
//! partial; it covers the samples that exist.
//!
//! Values are stored as `i16` scaled by 32767 and clamped to ±32767
//! (so overs above full scale show as full scale). The minimum is rounded
//! down and the maximum up: a stored pair always encloses the true range of
//! its samples, and is at most 1/32767 wider on each side. NaN samples are
//! ignored; a block of only NaNs stores (0, 0). Memory is 4 bytes per
//! 16 samples on level 0 and about as much again for all higher levels
//! together: 1/8 byte per sample per channel (1/32 of the `f32` audio).
//!
//! # Queries
//!
//! * [`PeakPyramid::level_for`] picks the coarsest level whose block is no
//!   wider than a pixel column.
//! * [`PeakPyramid::columns`] fills one (min, max) per pixel column from that
//!   level without allocating.
//! * [`PeakPyramid::range`] gives min/max over any sample range at level-0
//!   precision, combining at most two pairs per level (`O(log n)`).
//! * [`PeakPyramid::range_at_level`] does the same from one chosen level.
//!
//! Ranges are widened outwards to the block boundaries of the level used
//! (and clipped to the source), so a result never misses a peak: the result
//! is exactly the min/max of the covered blocks.
//!
//! # Cache file format (version 1)
//!
//! All integers little-endian. Sizes follow from the key, so a file's
//! length is known from its header and is checked before anything is
//! allocated.
//!
//! | offset | size | content |
//! |-------:|-----:|---------|
//! | 0 | 4 | magic `DSPK` |
//! | 4 | 4 | format version, `u32` = 1 |
//! | 8 | 8 | key: source file length in bytes, `u64` |
//! | 16 | 16 | key: source modification time, ns since the Unix epoch, `i128` |
//! | 32 | 8 | key: frames, `u64` |
//! | 40 | 4 | key: channels, `u32` |
//! | 44 | 4 | key: sample rate, `u32` |
//! | 48 | 4 | [`BASE`], `u32` = 16 |
//! | 52 | 4 | number of levels, `u32` |
//! | 56 | 4 × pairs | for each channel, for each level from 0, its pairs as `i16` min, `i16` max |
//! | end − 8 | 8 | checksum, `u64`: FNV-1a 64 over 8-byte little-endian words of everything before it (the last word zero-padded), then the byte count |
//!
//! Files are written atomically: to a hidden temporary file in the same
//! directory, flushed to disk, then renamed into place.
//! [`PeakPyramid::load`] returns `Ok(None)` for a missing file, a file from
//! another format version, or a key that does not match (the source
//! changed); a damaged file is a [`MediaError::CorruptPeakCache`]. Either
//! way the caller rebuilds. Loading never panics and never allocates more
//! than the file's size.
//!
//! ```no_run
//! # use std::path::Path;
//! # use std::sync::atomic::AtomicBool;
//! # use dubstage_media::{decode_file, peaks::{CacheKey, PeakPyramid, cache_path}};
//! # fn main() -> Result<(), dubstage_media::MediaError> {
//! let source = Path::new("/media/door_close.wav");
//! let audio = decode_file(source)?.audio;
//! let key = CacheKey::for_file(source, &audio)?;
//! let cache = cache_path(Path::new("/project/peaks"), source);
//! let peaks = match PeakPyramid::load(&cache, &key) {
//!     Ok(Some(peaks)) => peaks,
//!     _ => {
//!         let peaks = PeakPyramid::build(&audio, &AtomicBool::new(false), &mut |_| {})?;
//!         peaks.save(&cache, &key)?;
//!         peaks
//!     }
//! };
//! let mut column = [(0.0f32, 0.0f32); 1200];
//! peaks.columns(0, 0.0, audio.frames() as f64 / 1200.0, &mut column);
//! # Ok(())
//! # }
//! ```

use std::fs::{self, File};
use std::io::{BufWriter, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::UNIX_EPOCH;

use crate::{AudioBuffer, MediaError};

/// Samples per pair on level 0. Level `n` has blocks of `BASE << n` samples.
pub const BASE: usize = 16;

/// Full scale of the stored `i16` values.
pub const SCALE: f32 = 32767.0;

/// File name extension of peak cache files.
pub const CACHE_EXTENSION: &str = "dspk";

const MAGIC: [u8; 4] = *b"DSPK";
const VERSION: u32 = 1;
const HEADER_LEN: u64 = 56;
const CHECKSUM_LEN: u64 = 8;
const PAIR_BYTES: u64 = 4;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Pairs processed between two checks of the cancel flag (at least).
const MIN_STEP_SAMPLES: usize = 1 << 16;

/// One stored (min, max) pair, in units of 1/32767 of full scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Peak {
    pub min: i16,
    pub max: i16,
}

impl Peak {
    /// The identity of [`union`](Self::union): contains nothing.
    const EMPTY: Peak = Peak {
        min: i16::MAX,
        max: i16::MIN,
    };

    /// The smallest pair enclosing both.
    #[inline]
    pub fn union(self, other: Peak) -> Peak {
        Peak {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    /// (min, max) in full scale (±1.0).
    #[inline]
    pub fn to_f32(self) -> (f32, f32) {
        (f32::from(self.min) / SCALE, f32::from(self.max) / SCALE)
    }

    /// Quantises a (min, max) of raw samples: min rounded down, max up,
    /// clamped to ±full scale. `min > max` (no valid sample) gives (0, 0).
    #[inline]
    fn quantise(min: f32, max: f32) -> Peak {
        if min.partial_cmp(&max).is_none_or(|o| o.is_gt()) {
            return Peak::default();
        }
        // f32 × 32767 is exact in f64, so floor/ceil round the true value.
        let lo = (f64::from(min) * f64::from(SCALE)).floor();
        let hi = (f64::from(max) * f64::from(SCALE)).ceil();
        let limit = f64::from(SCALE);
        // `as` saturates; the clamp keeps -32768 unused (symmetric scale).
        Peak {
            min: lo.clamp(-limit, limit) as i16,
            max: hi.clamp(-limit, limit) as i16,
        }
    }

    fn is_valid(self) -> bool {
        self.min <= self.max && self.min >= -(SCALE as i16)
    }
}

/// Identifies the source a peak cache was built from. A cache is used only
/// when every field matches; `frames` and `sample_rate` are those of the
/// audio the pyramid was built from (after any resampling at import), so a
/// change of project rate also invalidates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub source_len_bytes: u64,
    /// Modification time in nanoseconds since the Unix epoch (negative
    /// before it).
    pub source_mtime_ns: i128,
    pub frames: u64,
    pub channels: u32,
    pub sample_rate: u32,
}

impl CacheKey {
    /// The key for the source file at `path`, decoded (and resampled) into
    /// `audio`.
    pub fn for_file(path: &Path, audio: &AudioBuffer) -> Result<CacheKey, MediaError> {
        let meta = fs::metadata(path).map_err(|e| MediaError::io(path, e))?;
        let modified = meta.modified().map_err(|e| MediaError::io(path, e))?;
        let source_mtime_ns = match modified.duration_since(UNIX_EPOCH) {
            Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
            Err(before) => i128::try_from(before.duration().as_nanos()).map_or(i128::MIN, |n| -n),
        };
        Ok(CacheKey {
            source_len_bytes: meta.len(),
            source_mtime_ns,
            frames: audio.frames() as u64,
            channels: u32::try_from(audio.channel_count()).unwrap_or(u32::MAX),
            sample_rate: audio.sample_rate,
        })
    }

    fn to_bytes(self) -> [u8; 40] {
        let mut b = [0u8; 40];
        b[0..8].copy_from_slice(&self.source_len_bytes.to_le_bytes());
        b[8..24].copy_from_slice(&self.source_mtime_ns.to_le_bytes());
        b[24..32].copy_from_slice(&self.frames.to_le_bytes());
        b[32..36].copy_from_slice(&self.channels.to_le_bytes());
        b[36..40].copy_from_slice(&self.sample_rate.to_le_bytes());
        b
    }

    fn from_bytes(b: &[u8; 40]) -> CacheKey {
        CacheKey {
            source_len_bytes: u64::from_le_bytes(array(&b[0..8])),
            source_mtime_ns: i128::from_le_bytes(array(&b[8..24])),
            frames: u64::from_le_bytes(array(&b[24..32])),
            channels: u32::from_le_bytes(array(&b[32..36])),
            sample_rate: u32::from_le_bytes(array(&b[36..40])),
        }
    }
}

/// Copies a slice of known length into an array.
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(bytes);
    a
}

/// Peak pyramid of one source; see the [module documentation](self).
#[derive(Clone, PartialEq)]
pub struct PeakPyramid {
    sample_rate: u32,
    frames: u64,
    channels: usize,
    /// Start of each level within one channel's pairs; one entry more than
    /// there are levels, the last being the number of pairs per channel.
    offsets: Vec<usize>,
    /// Channel after channel, each its levels from 0 up.
    data: Vec<Peak>,
}

impl std::fmt::Debug for PeakPyramid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeakPyramid")
            .field("sample_rate", &self.sample_rate)
            .field("frames", &self.frames)
            .field("channels", &self.channels)
            .field("levels", &self.levels())
            .finish_non_exhaustive()
    }
}

/// Number of levels for `frames`: up to the first whose one block covers
/// everything (at least one level, even for no frames).
fn level_count(frames: u64) -> usize {
    let mut n = 0;
    while (BASE as u128) << n < u128::from(frames) {
        n += 1;
    }
    n + 1
}

/// Pairs on level `n`.
fn level_len(frames: u64, n: usize) -> u128 {
    u128::from(frames).div_ceil((BASE as u128) << n)
}

/// Level offsets within one channel (see [`PeakPyramid::offsets`]), or
/// `None` if they do not fit in memory.
fn level_offsets(frames: u64) -> Option<Vec<usize>> {
    let levels = level_count(frames);
    let mut offsets = Vec::with_capacity(levels + 1);
    let mut total = 0usize;
    offsets.push(0);
    for n in 0..levels {
        total = total.checked_add(usize::try_from(level_len(frames, n)).ok()?)?;
        offsets.push(total);
    }
    Some(offsets)
}

impl PeakPyramid {
    /// Builds the pyramid of `audio`.
    ///
    /// `cancel` is checked before starting and then after every 1 % of the
    /// work (but at most every 64 Ki samples); when set, the build stops with
    /// [`MediaError::Cancelled`]. `progress` receives increasing values in
    /// (0, 1], at most 100 times, the last being exactly 1.0 when done.
    ///
    /// Every channel is taken to have [`AudioBuffer::frames`] samples; a
    /// shorter channel (an inconsistent buffer) reads as silence (0, 0) past
    /// its end.
    pub fn build(
        audio: &AudioBuffer,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(f32),
    ) -> Result<PeakPyramid, MediaError> {
        let check = || {
            if cancel.load(Ordering::Relaxed) {
                Err(MediaError::Cancelled)
            } else {
                Ok(())
            }
        };
        check()?;
        let frames = audio.frames();
        let channels = audio.channel_count();
        let offsets = level_offsets(frames as u64)
            .expect("fewer pairs than samples, and the samples are in memory");
        let per_channel = offsets[offsets.len() - 1];
        let mut data = vec![Peak::default(); per_channel * channels];

        let total_work = frames.saturating_mul(channels).max(1);
        let step_pairs = (total_work / 100).max(MIN_STEP_SAMPLES).div_ceil(BASE);
        let mut done = 0usize;
        let mut reported = 0usize;

        for (samples, pairs) in audio
            .channels
            .iter()
            .zip(data.chunks_exact_mut(per_channel.max(1)))
        {
            let samples = &samples[..samples.len().min(frames)];
            let level0_len = offsets[1];
            let mut first = 0;
            while first < level0_len {
                check()?;
                let last = (first + step_pairs).min(level0_len);
                let from = (first * BASE).min(samples.len());
                let to = (last * BASE).min(samples.len());
                fill_level0(&samples[from..to], &mut pairs[first..last]);
                done += (last - first) * BASE;
                let percent = done.min(total_work) * 100 / total_work;
                if percent > reported && percent < 100 {
                    reported = percent;
                    progress(percent as f32 / 100.0);
                }
                first = last;
            }
            check()?;
            for n in 1..offsets.len() - 1 {
                let (lower, upper) = pairs.split_at_mut(offsets[n]);
                let below = &lower[offsets[n - 1]..];
                let here = &mut upper[..offsets[n + 1] - offsets[n]];
                combine_level(below, here);
            }
        }
        progress(1.0);
        Ok(PeakPyramid {
            sample_rate: audio.sample_rate,
            frames: frames as u64,
            channels,
            offsets,
            data,
        })
    }

    /// Sample frames of the source.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Channels of the source.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Sample rate of the source.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Number of levels (at least 1).
    pub fn levels(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Samples per pair on `level`: `BASE << level`.
    pub fn block_size(level: usize) -> u64 {
        (BASE as u64) << level
    }

    /// Bytes of peak data held (all channels and levels).
    pub fn memory_bytes(&self) -> usize {
        self.data.len() * std::mem::size_of::<Peak>()
    }

    /// The pairs of one channel and level (`None` if either is out of range).
    pub fn pairs(&self, channel: usize, level: usize) -> Option<&[Peak]> {
        (channel < self.channels && level < self.levels()).then(|| self.level(channel, level))
    }

    fn level(&self, channel: usize, level: usize) -> &[Peak] {
        let base = channel * self.offsets[self.offsets.len() - 1];
        &self.data[base + self.offsets[level]..base + self.offsets[level + 1]]
    }

    /// The coarsest level whose block size is at most `samples_per_pixel`
    /// (level 0 when zoomed in further, or for NaN), capped at the top level.
    pub fn level_for(&self, samples_per_pixel: f64) -> usize {
        if samples_per_pixel.is_nan() || samples_per_pixel < BASE as f64 {
            return 0;
        }
        // `as` saturates (infinity → u64::MAX); block sizes are integers, so
        // `BASE << n <= spp` is `BASE << n <= floor(spp)`.
        let whole = samples_per_pixel as u64;
        let level = (whole / BASE as u64).ilog2() as usize;
        level.min(self.levels() - 1)
    }

    /// `[start, end)` clipped to the source, or `None` if that is empty.
    fn clip(&self, start: i64, end: i64) -> Option<(u64, u64)> {
        let start = u64::try_from(start.max(0)).ok()?;
        let end = u64::try_from(end.max(0)).ok()?.min(self.frames);
        (start < end).then_some((start, end))
    }

    /// Min/max of `channel` over samples `[start, end)`, at level-0
    /// precision: the result covers the range widened outwards to multiples
    /// of [`BASE`] (and clipped to the source), so a range narrower than
    /// [`BASE`] gives the level-0 pair(s) containing it. Combines at most two
    /// pairs per level. `None` if the channel does not exist or the range
    /// holds no sample of the source.
    pub fn range(&self, channel: usize, start: i64, end: i64) -> Option<(f32, f32)> {
        if channel >= self.channels {
            return None;
        }
        let (start, end) = self.clip(start, end)?;
        // Block indices fit in usize: the pairs are in memory.
        let mut lo = (start / BASE as u64) as usize;
        let mut hi = end.div_ceil(BASE as u64) as usize;
        let mut acc = Peak::EMPTY;
        let mut level = 0;
        // Bottom-up segment-tree walk: pair i of level n+1 is pairs 2i and
        // 2i+1 of level n, so an even-aligned run moves up a level whole;
        // `hi` never exceeds the level's length.
        while lo < hi {
            let pairs = self.level(channel, level);
            if lo % 2 == 1 {
                acc = acc.union(pairs[lo]);
                lo += 1;
            }
            if hi % 2 == 1 {
                hi -= 1;
                acc = acc.union(pairs[hi]);
            }
            lo /= 2;
            hi /= 2;
            level += 1;
        }
        Some(acc.to_f32())
    }

    /// Min/max of `channel` over samples `[start, end)` from the pairs of one
    /// `level` (capped at the top level): the range is widened outwards to
    /// that level's blocks. Costs one step per covered pair. `None` as for
    /// [`range`](Self::range).
    pub fn range_at_level(
        &self,
        channel: usize,
        level: usize,
        start: i64,
        end: i64,
    ) -> Option<(f32, f32)> {
        if channel >= self.channels {
            return None;
        }
        let (start, end) = self.clip(start, end)?;
        let level = level.min(self.levels() - 1);
        let block = Self::block_size(level);
        let pairs = self.level(channel, level);
        let first = (start / block) as usize;
        let last = end.div_ceil(block) as usize;
        let peak = pairs[first..last]
            .iter()
            .fold(Peak::EMPTY, |acc, &p| acc.union(p));
        Some(peak.to_f32())
    }

    /// Fills `out` with one (min, max) per pixel column of `channel`: column
    /// `i` covers samples `[start + i·spp, start + (i+1)·spp)` (fractional
    /// positions allowed). It is read from level
    /// [`level_for(spp)`](Self::level_for), widened outwards to that level's
    /// blocks — at least the one block containing the column's start — and
    /// clipped to the source. Columns entirely outside the source, and all
    /// columns for a missing channel or a non-finite or non-positive `spp` or
    /// `start`, get (0, 0). Does not allocate.
    pub fn columns(
        &self,
        channel: usize,
        start: f64,
        samples_per_pixel: f64,
        out: &mut [(f32, f32)],
    ) {
        let spp = samples_per_pixel;
        if channel >= self.channels
            || self.frames == 0
            || !start.is_finite()
            || !spp.is_finite()
            || spp <= 0.0
        {
            out.fill((0.0, 0.0));
            return;
        }
        let level = self.level_for(spp);
        let pairs = self.level(channel, level);
        let block = Self::block_size(level) as f64;
        let frames = self.frames as f64;
        let last_pair = pairs.len() - 1;
        for (i, column) in out.iter_mut().enumerate() {
            let x0 = start + i as f64 * spp;
            let x1 = start + (i + 1) as f64 * spp;
            if !(x1 > 0.0 && x0 < frames) {
                *column = (0.0, 0.0);
                continue;
            }
            // Saturating casts; x0 < frames keeps `first` in range up to
            // rounding, which the `min` absorbs.
            let first = ((x0 / block).floor().max(0.0) as usize).min(last_pair);
            let end = ((x1 / block).ceil() as usize).clamp(first + 1, pairs.len());
            *column = pairs[first..end]
                .iter()
                .fold(Peak::EMPTY, |acc, &p| acc.union(p))
                .to_f32();
        }
    }

    /// Writes the pyramid to `path` atomically (see the
    /// [module documentation](self) for the format), creating the directory
    /// if needed. `key` must describe this pyramid's frames, channels and
    /// sample rate (build it with [`CacheKey::for_file`] from the same audio).
    pub fn save(&self, path: &Path, key: &CacheKey) -> Result<(), MediaError> {
        if key.frames != self.frames
            || u64::from(key.channels) != self.channels as u64
            || key.sample_rate != self.sample_rate
        {
            return Err(MediaError::Write {
                path: path.to_path_buf(),
                reason: format!(
                    "the cache key ({} frames, {} channels, {} Hz) does not describe these peaks \
                     ({} frames, {} channels, {} Hz)",
                    key.frames,
                    key.channels,
                    key.sample_rate,
                    self.frames,
                    self.channels,
                    self.sample_rate
                ),
            });
        }
        let Some(file_name) = path.file_name() else {
            return Err(MediaError::Write {
                path: path.to_path_buf(),
                reason: "the path does not name a file".to_string(),
            });
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|e| MediaError::io(path, e))?;
        }
        let (file, temp_path) = create_temp(path, file_name)?;
        let result = self.write_to(file, key).and_then(|()| {
            fs::rename(&temp_path, path)?;
            sync_parent_dir(path);
            Ok(())
        });
        result.map_err(|e| {
            // Best effort: the original error is what matters.
            let _ = fs::remove_file(&temp_path);
            MediaError::io(path, e)
        })
    }

    fn write_to(&self, file: File, key: &CacheKey) -> std::io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 16, file);
        let mut sum = Checksum::new();
        let mut header = Vec::with_capacity(HEADER_LEN as usize);
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&key.to_bytes());
        header.extend_from_slice(&(BASE as u32).to_le_bytes());
        let levels = u32::try_from(self.levels()).expect("at most 61 levels for u64 frames");
        header.extend_from_slice(&levels.to_le_bytes());
        debug_assert_eq!(header.len() as u64, HEADER_LEN);
        sum.update(&header);
        out.write_all(&header)?;

        const PAIRS_PER_CHUNK: usize = 1 << 14;
        let mut bytes = Vec::with_capacity(PAIRS_PER_CHUNK * PAIR_BYTES as usize);
        for chunk in self.data.chunks(PAIRS_PER_CHUNK) {
            bytes.clear();
            for p in chunk {
                bytes.extend_from_slice(&p.min.to_le_bytes());
                bytes.extend_from_slice(&p.max.to_le_bytes());
            }
            sum.update(&bytes);
            out.write_all(&bytes)?;
        }
        out.write_all(&sum.finish().to_le_bytes())?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }

    /// Reads the cache at `path` if it was built for `expected`.
    ///
    /// `Ok(None)`: no file, a file of another format version, or a stale key
    /// (the source or its import changed). `Err`:
    /// [`MediaError::CorruptPeakCache`] for a damaged file (truncated, wrong
    /// magic, sizes inconsistent with the key or the file length, values out
    /// of range, bad checksum), [`MediaError::Io`] if it cannot be read.
    /// Sizes are checked against the file's length before anything is
    /// allocated.
    pub fn load(path: &Path, expected: &CacheKey) -> Result<Option<PeakPyramid>, MediaError> {
        let corrupt = |reason: String| MediaError::CorruptPeakCache {
            path: path.to_path_buf(),
            reason,
        };
        let read_error = |e: std::io::Error| {
            if e.kind() == ErrorKind::UnexpectedEof {
                corrupt("truncated".to_string())
            } else {
                MediaError::io(path, e)
            }
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(MediaError::io(path, e)),
        };
        let file_len = file.metadata().map_err(|e| MediaError::io(path, e))?.len();
        if file_len < HEADER_LEN + CHECKSUM_LEN {
            return Err(corrupt(format!(
                "truncated: {file_len} bytes, shorter than any peak cache"
            )));
        }
        let mut header = [0u8; HEADER_LEN as usize];
        file.read_exact(&mut header).map_err(read_error)?;
        if header[0..4] != MAGIC {
            return Err(corrupt("not a peak cache (wrong magic)".to_string()));
        }
        if u32::from_le_bytes(array(&header[4..8])) != VERSION {
            return Ok(None);
        }
        let key = CacheKey::from_bytes(&array(&header[8..48]));
        if key != *expected {
            return Ok(None);
        }
        let base = u32::from_le_bytes(array(&header[48..52]));
        if base as usize != BASE {
            return Err(corrupt(format!("block size {base}, expected {BASE}")));
        }
        let levels = u32::from_le_bytes(array(&header[52..56]));
        let expected_levels = level_count(key.frames);
        if levels as usize != expected_levels {
            return Err(corrupt(format!(
                "{levels} levels, {} frames need {expected_levels}",
                key.frames
            )));
        }
        // All sizes in u128: no overflow for any header.
        let per_channel: u128 = (0..expected_levels).map(|n| level_len(key.frames, n)).sum();
        let total_pairs = per_channel * u128::from(key.channels);
        let needed = u128::from(HEADER_LEN)
            + total_pairs * u128::from(PAIR_BYTES)
            + u128::from(CHECKSUM_LEN);
        if needed != u128::from(file_len) {
            return Err(corrupt(format!(
                "{} frames × {} channels need {needed} bytes, the file has {file_len}",
                key.frames, key.channels
            )));
        }
        // The file is that long, so these fit in memory (or the platform's
        // usize says so); offsets too, being smaller.
        let (Ok(total_pairs), Some(offsets), Ok(channels)) = (
            usize::try_from(total_pairs),
            level_offsets(key.frames),
            usize::try_from(key.channels),
        ) else {
            return Err(corrupt("too large for this platform".to_string()));
        };

        let mut sum = Checksum::new();
        sum.update(&header);
        let mut data = Vec::with_capacity(total_pairs);
        let mut bytes = vec![0u8; 1 << 16];
        let mut remaining = total_pairs * PAIR_BYTES as usize;
        while remaining > 0 {
            let chunk = &mut bytes[..remaining.min(1 << 16)];
            file.read_exact(chunk).map_err(read_error)?;
            sum.update(chunk);
            for pair in chunk.chunks_exact(PAIR_BYTES as usize) {
                let peak = Peak {
                    min: i16::from_le_bytes([pair[0], pair[1]]),
                    max: i16::from_le_bytes([pair[2], pair[3]]),
                };
                if !peak.is_valid() {
                    return Err(corrupt(format!(
                        "invalid pair ({}, {}) at pair {}",
                        peak.min,
                        peak.max,
                        data.len()
                    )));
                }
                data.push(peak);
            }
            remaining -= chunk.len();
        }
        let mut stored = [0u8; CHECKSUM_LEN as usize];
        file.read_exact(&mut stored).map_err(read_error)?;
        if u64::from_le_bytes(stored) != sum.finish() {
            return Err(corrupt("checksum mismatch".to_string()));
        }
        Ok(Some(PeakPyramid {
            sample_rate: key.sample_rate,
            frames: key.frames,
            channels,
            offsets,
            data,
        }))
    }
}

/// Level 0 from raw samples: `samples` holds the samples of `out`'s blocks
/// (the last may be partial; blocks past the samples are left as they are).
fn fill_level0(samples: &[f32], out: &mut [Peak]) {
    let mut blocks = samples.chunks_exact(BASE);
    let mut out = out.iter_mut();
    for (block, peak) in (&mut blocks).zip(&mut out) {
        let block: &[f32; BASE] = block.try_into().expect("chunks_exact yields BASE samples");
        let (min, max) = min_max_block(block);
        *peak = Peak::quantise(min, max);
    }
    let rest = blocks.remainder();
    if let (false, Some(peak)) = (rest.is_empty(), out.next()) {
        let (min, max) = rest
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
                (if x < lo { x } else { lo }, if x > hi { x } else { hi })
            });
        *peak = Peak::quantise(min, max);
    }
}

/// Min and max of one block, ignoring NaN (+inf, -inf if all NaN). Written
/// as independent lanes so that it vectorises.
#[inline]
fn min_max_block(block: &[f32; BASE]) -> (f32, f32) {
    const LANES: usize = 8;
    let mut lo = [f32::INFINITY; LANES];
    let mut hi = [f32::NEG_INFINITY; LANES];
    for part in block.chunks_exact(LANES) {
        for i in 0..LANES {
            let x = part[i];
            lo[i] = if x < lo[i] { x } else { lo[i] };
            hi[i] = if x > hi[i] { x } else { hi[i] };
        }
    }
    let mut min = lo[0];
    let mut max = hi[0];
    for i in 1..LANES {
        min = if lo[i] < min { lo[i] } else { min };
        max = if hi[i] > max { hi[i] } else { max };
    }
    (min, max)
}

/// Level n+1 from level n: pair i combines pairs 2i and 2i+1 (if present).
fn combine_level(below: &[Peak], here: &mut [Peak]) {
    let mut pairs = below.chunks_exact(2);
    let mut here_iter = here.iter_mut();
    for (two, peak) in (&mut pairs).zip(&mut here_iter) {
        *peak = two[0].union(two[1]);
    }
    if let (Some(&last), Some(peak)) = (pairs.remainder().first(), here_iter.next()) {
        *peak = last;
    }
}

/// FNV-1a 64 over 8-byte little-endian words, the last zero-padded, then
/// the byte count. Each step is a bijection of the state, so any change of
/// a single word changes the result.
struct Checksum {
    state: u64,
    pending: [u8; 8],
    pending_len: usize,
    bytes: u64,
}

impl Checksum {
    fn new() -> Self {
        Checksum {
            state: FNV_OFFSET,
            pending: [0; 8],
            pending_len: 0,
            bytes: 0,
        }
    }

    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(FNV_PRIME);
    }

    fn update(&mut self, mut data: &[u8]) {
        self.bytes += data.len() as u64;
        if self.pending_len > 0 {
            let take = (8 - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < 8 {
                return;
            }
            self.mix(u64::from_le_bytes(self.pending));
            self.pending_len = 0;
        }
        let mut words = data.chunks_exact(8);
        for word in &mut words {
            self.mix(u64::from_le_bytes(array(word)));
        }
        let rest = words.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    fn finish(mut self) -> u64 {
        if self.pending_len > 0 {
            self.pending[self.pending_len..].fill(0);
            self.mix(u64::from_le_bytes(self.pending));
        }
        let bytes = self.bytes;
        self.mix(bytes);
        self.state
    }
}

/// FNV-1a 64 of `bytes` (byte-wise, the standard definition).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// Where the peak cache of `source` lives in `dir`:
/// `<dir>/<stem>-<hash>.dspk`, with `<hash>` the FNV-1a 64 (16 hex digits) of
/// the source's absolute path (made absolute against the current directory
/// without touching the file system or resolving symlinks; hashed as
/// [`OsStr::as_encoded_bytes`](std::ffi::OsStr::as_encoded_bytes), i.e. the
/// raw bytes on Unix) and
/// `<stem>` its file stem with unusual characters replaced by `_` and cut to
/// 64 characters, e.g. `door_close-1a2b3c4d5e6f7081.dspk`.
pub fn cache_path(dir: &Path, source: &Path) -> PathBuf {
    let absolute = std::path::absolute(source).unwrap_or_else(|_| source.to_path_buf());
    let hash = fnv1a64(absolute.as_os_str().as_encoded_bytes());
    let stem: String = source
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let stem = if stem.is_empty() { "source" } else { &stem };
    dir.join(format!("{stem}-{hash:016x}.{CACHE_EXTENSION}"))
}

use crate::write::{create_temp, sync_parent_dir};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn checksum_is_independent_of_chunking() {
        let data: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37)).collect();
        let mut whole = Checksum::new();
        whole.update(&data);
        let whole = whole.finish();
        for split in [0, 1, 3, 7, 8, 9, 50, 99, 100] {
            let mut parts = Checksum::new();
            parts.update(&data[..split]);
            parts.update(&data[split..]);
            assert_eq!(parts.finish(), whole, "split at {split}");
        }
        // A trailing zero byte changes it (length is mixed in).
        let mut longer = Checksum::new();
        longer.update(&data);
        longer.update(&[0]);
        assert_ne!(longer.finish(), whole);
    }

    #[test]
    fn level_counts() {
        assert_eq!(level_count(0), 1);
        assert_eq!(level_count(16), 1);
        assert_eq!(level_count(17), 2);
        assert_eq!(level_count(32), 2);
        assert_eq!(level_count(33), 3);
        assert_eq!(level_count(u64::MAX), 61);
        assert_eq!(level_len(u64::MAX, 60), 1);
    }

    #[test]
    fn quantise_rounds_outwards_and_clamps() {
        assert_eq!(Peak::quantise(0.0, 0.0), Peak { min: 0, max: 0 });
        assert_eq!(
            Peak::quantise(-1.0, 1.0),
            Peak {
                min: -32767,
                max: 32767
            }
        );
        assert_eq!(
            Peak::quantise(-7.0, 3.0),
            Peak {
                min: -32767,
                max: 32767
            }
        );
        assert_eq!(
            Peak::quantise(0.5, 0.5),
            Peak {
                min: 16383,
                max: 16384
            }
        );
        assert_eq!(
            Peak::quantise(f32::NEG_INFINITY, f32::INFINITY),
            Peak {
                min: -32767,
                max: 32767
            }
        );
        assert_eq!(
            Peak::quantise(f32::INFINITY, f32::NEG_INFINITY),
            Peak::default()
        );
        assert_eq!(Peak::quantise(f32::NAN, 0.5), Peak::default());
    }
}
