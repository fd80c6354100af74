//! Decoding audio files into planar `f32` with symphonia.
//!
//! Tested: WAV/BWF (16/24/32-bit int, 32/64-bit float, plain and
//! `WAVE_FORMAT_EXTENSIBLE`, mono to 5.1), AIFF, FLAC, MP3, Ogg Vorbis and
//! AAC-LC in MP4/M4A. Whatever else symphonia's `all` feature reads (A-law,
//! µ-law and ADPCM WAV, MP1/MP2, ADTS AAC, ALAC, CAF, Matroska/WebM) goes
//! through the same path.
//!
//! # Failure policy
//!
//! * Anything that prevents getting *any* audio (missing, empty, unknown or
//!   corrupt header, zero frames, absurd parameters) is an `Err` naming the
//!   file and the cause.
//! * Damage *after* audio started flowing keeps what was decoded:
//!   - a packet the codec rejects (symphonia's `DecodeError`) is replaced by
//!     silence of the packet's duration, so later audio stays in sync, and
//!     counted ([`MediaError::DamagedPackets`]);
//!   - a stream that stops early (file cut off, unreadable tail) ends there
//!     ([`MediaError::Truncated`]).
//!
//!   Either is returned as [`Decoded::warning`].
//! * A WAV file whose `data` chunk claims more bytes than the file holds (a
//!   recording or copy that was cut off) is read up to the last complete frame
//!   on disk (`repair.rs`). The same goes for AIFF, and for an
//!   MP4/M4A file whose media data is cut off.
//! * Encoder delay and padding are removed: symphonia does it for MP3 (LAME
//!   tag) and Ogg Vorbis (granule positions); for MP4/M4A this crate applies
//!   the edit list itself (`mp4.rs`), which symphonia 0.6 ignores.
//! * Decoding never panics: stream parameters (channel count, sample rate)
//!   are validated before a decoder is created, and as a last resort a panic
//!   inside symphonia is caught and reported as [`MediaError::Corrupt`].
//!   (symphonia 0.6's WAV format-chunk parser does overflow on some
//!   malformed headers; with overflow checks on, as in debug builds, that is
//!   a panic.)

use std::any::Any;
use std::fs::File;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, Track, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::packet::Packet;

use crate::source::FileSource;
use crate::{AudioBuffer, MediaError, mp4, repair, resample};

/// Most channels accepted in one file (a 9.1.6 bed has 16; leave headroom for
/// ambisonics and poly-wav recorders).
pub const MAX_CHANNELS: usize = 64;

/// Highest sample rate accepted, in Hz.
pub const MAX_SAMPLE_RATE: u32 = 768_000;

/// Lowest sample rate accepted, in Hz. Nothing real is recorded below it; a
/// header that says 1 Hz is damage, and taken at its word it turns a
/// kilobyte of data into hours that the resampler would then expand.
pub const MIN_SAMPLE_RATE: u32 = 4_000;

/// Decoded audio (planar `f32`) one file may occupy, in bytes, when the
/// machine's memory cannot be read.
const FALLBACK_MEMORY_BUDGET: u64 = 8 << 30;

/// Bytes one file's decoded (and resampled) audio may occupy: half the
/// machine's physical memory (from `/proc/meminfo`), else 8 GiB. A file
/// that would need more is refused, naming it, instead of exhausting memory.
pub fn memory_budget() -> u64 {
    static BUDGET: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *BUDGET.get_or_init(|| {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| {
                let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(kib * 1024 / 2)
            })
            .filter(|&b| b > 0)
            .unwrap_or(FALLBACK_MEMORY_BUDGET)
    })
}

/// Bytes of planar `f32` for `frames` frames of `channels` channels.
fn decoded_bytes(frames: u64, channels: usize) -> u64 {
    frames.saturating_mul(channels as u64).saturating_mul(4)
}

/// Longest stretch of silence substituted for one damaged packet or skipped
/// region, in seconds. A longer claim is itself corrupt and substitutes
/// nothing (it is still reported).
const MAX_SUBSTITUTE_SECONDS: u64 = 10;

/// Frames reserved up front from the declared length (per channel); beyond
/// this the buffers grow as data actually arrives, so a lying header cannot
/// make us allocate gigabytes.
const MAX_PREALLOCATED_FRAMES: u64 = 48_000 * 60 * 10;

/// What the file was, as opposed to what it was converted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Container, as symphonia names it: `"wave"`, `"aiff"`, `"flac"`,
    /// `"mp3"`, `"ogg"`, `"isomp4"`, …
    pub container: String,
    /// Codec, as symphonia names it: `"pcm_s24le"`, `"pcm_f32le"`, `"flac"`,
    /// `"mp3"`, `"vorbis"`, `"aac"`, …
    pub codec: String,
    /// Sample rate of the file, in Hz.
    pub sample_rate: u32,
    /// Number of channels in the file.
    pub channels: usize,
    /// Bits per sample of the stored PCM (int or float), if the format has
    /// such a notion (lossy codecs do not).
    pub bits_per_sample: Option<u32>,
    /// Frames decoded from the file, at `sample_rate` (after removing encoder
    /// delay and padding).
    pub frames: u64,
}

/// The result of decoding a file.
#[derive(Debug)]
pub struct Decoded {
    /// The audio. Its `sample_rate` equals `info.sample_rate` after
    /// [`decode_file`], and the project rate after [`load_for_project`].
    pub audio: AudioBuffer,
    /// What the file was.
    pub info: SourceInfo,
    /// Set when the file was damaged but some audio could be recovered:
    /// [`MediaError::Truncated`] or [`MediaError::DamagedPackets`].
    pub warning: Option<MediaError>,
}

/// Decodes a whole audio file into planar `f32` at its own sample rate.
///
/// See the [module documentation](self) for the error and warning policy.
pub fn decode_file(path: &Path) -> Result<Decoded, MediaError> {
    decode_file_within(path, memory_budget())
}

/// [`decode_file`] with an explicit memory budget in bytes for the decoded
/// audio: a file whose header or decoded data would pass it is refused with
/// [`MediaError::TooLarge`] before (or as soon as) the budget is reached.
pub fn decode_file_within(path: &Path, budget: u64) -> Result<Decoded, MediaError> {
    IN_DECODE_GUARD.with(|g| g.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| decode_unguarded(path, budget)));
    IN_DECODE_GUARD.with(|g| g.set(false));
    match outcome {
        Ok(result) => result,
        // Every piece of state touched by the decoder is local to the closure
        // and dropped here, so nothing observable is left half-updated.
        Err(payload) => Err(MediaError::Corrupt {
            path: path.to_path_buf(),
            reason: format!(
                "the decoder crashed on malformed data: {}",
                panic_message(payload.as_ref())
            ),
        }),
    }
}

/// Decodes `path` and resamples it to `project_rate` (once, at import, with
/// the high-quality resampler of [`resample()`](crate::resample::resample)).
/// A decode warning is kept.
pub fn load_for_project(path: &Path, project_rate: u32) -> Result<Decoded, MediaError> {
    load_for_project_within(path, project_rate, memory_budget())
}

/// [`load_for_project`] with an explicit memory budget in bytes, which the
/// decoded audio and its resampled copy together must fit.
pub fn load_for_project_within(
    path: &Path,
    project_rate: u32,
    budget: u64,
) -> Result<Decoded, MediaError> {
    let mut decoded = decode_file_within(path, budget)?;
    let rate = decoded.audio.sample_rate.max(1);
    if project_rate != rate {
        let channels = decoded.audio.channel_count();
        let frames = decoded.audio.frames() as u64;
        let resampled = u128::from(frames) * u128::from(project_rate) / u128::from(rate) + 1;
        let needed = decoded_bytes(frames, channels).saturating_add(decoded_bytes(
            u64::try_from(resampled).unwrap_or(u64::MAX),
            channels,
        ));
        if needed > budget {
            return Err(MediaError::TooLarge {
                path: path.to_path_buf(),
                needed,
                budget,
            });
        }
    }
    decoded.audio = resample(&decoded.audio, project_rate).map_err(|err| match err {
        MediaError::Resample { reason, .. } => MediaError::Resample {
            path: Some(path.to_path_buf()),
            reason,
        },
        other => other,
    })?;
    Ok(decoded)
}

thread_local! {
    static IN_DECODE_GUARD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs a panic hook that stays quiet about panics caught inside
/// [`decode_file`] (they become `MediaError::Corrupt`, reported as such) and
/// reports every other panic as before. For binaries; call once at start.
pub fn install_quiet_decode_panic_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !IN_DECODE_GUARD.with(std::cell::Cell::get) {
            previous(info);
        }
    }));
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "unknown panic"
    }
}

fn decode_unguarded(path: &Path, budget: u64) -> Result<Decoded, MediaError> {
    let io_err = |source| MediaError::io(path, source);
    let metadata = std::fs::metadata(path).map_err(io_err)?;
    if metadata.is_dir() {
        return Err(io_err(io::Error::from(io::ErrorKind::IsADirectory)));
    }
    if !metadata.is_file() {
        return Err(MediaError::NotRegular {
            path: path.to_path_buf(),
            kind: not_regular(&metadata),
        });
    }
    let file_len = metadata.len();
    if file_len == 0 {
        let virtual_file = File::open(path).is_ok_and(|mut f| holds_data(&mut f));
        return Err(if virtual_file {
            MediaError::NotRegular {
                path: path.to_path_buf(),
                kind: "not a regular file (a virtual file with no stated size)",
            }
        } else {
            MediaError::Empty {
                path: path.to_path_buf(),
            }
        });
    }

    // Some readers (Ogg, which looks for the last page to learn the length)
    // give up on a cut-off file when they can seek; read as a stream then.
    let (mut format, repair) = match open_format(path, file_len, true) {
        Err(err @ MediaError::Corrupt { .. }) => {
            open_format(path, file_len, false).map_err(|_| err)?
        }
        other => other?,
    };

    let track = format
        .default_track(TrackType::Audio)
        .cloned()
        .ok_or_else(|| unsupported(path, "no audio track"))?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or_else(|| unsupported(path, "no audio track"))?;
    validate_params(path, &params)?;
    // A header's own length is checked before anything is decoded; what
    // arrives is checked again as it grows (a header may not say, or lie).
    if let (Some(frames), Some(channels)) = (track.num_frames, params.channels.as_ref()) {
        let needed = decoded_bytes(frames, channels.count());
        if needed > budget {
            return Err(MediaError::TooLarge {
                path: path.to_path_buf(),
                needed,
                budget,
            });
        }
    }

    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|err| match err {
            SymError::Unsupported(_) => unsupported(path, "audio codec not supported"),
            other => header_error(path, other),
        })?;

    let mut state = DecodeState::new(&params, &track, file_len);
    state.budget = budget;
    state.run(path, format.as_mut(), decoder.as_mut(), &track)?;

    let container = format.format_info().short_name.to_string();
    let codec = decoder.codec_info().short_name.to_string();
    // Only these containers state the exact number of frames in their header
    // (MP3 may estimate it from the bit rate; MP4 counts encoder padding).
    let exact_length = match container.as_str() {
        "wave" | "aiff" | "flac" | "caf" => track.num_frames,
        _ => None,
    };
    let (Some(sample_rate), Some(channel_count)) = (state.sample_rate, state.channel_count) else {
        // No buffer was ever decoded and the header did not say either.
        return Err(state.failure(path, exact_length));
    };
    if !state.decoded_any || state.frames() == 0 {
        return Err(state.failure(path, exact_length));
    }

    // MP4/M4A: remove encoder priming and padding as the edit list says.
    if container == "isomp4"
        && let Some(edit) = mp4::read_audio_edit(path, track.id).map_err(io_err)?
    {
        edit.apply(&mut state.channels, sample_rate);
        if state.frames() == 0 {
            return Err(MediaError::NoFrames {
                path: path.to_path_buf(),
            });
        }
    }

    let warning = state.warning(path, repair.as_ref(), exact_length);
    let non_finite = silence_non_finite(&mut state.channels);
    let warning = match (warning, non_finite) {
        (None, Some((count, first_frame))) => Some(MediaError::NonFinite {
            path: path.to_path_buf(),
            count,
            at: timestamp(first_frame, sample_rate),
        }),
        (warning, _) => warning,
    };
    let frames = state.frames() as u64;
    Ok(Decoded {
        audio: AudioBuffer {
            sample_rate,
            channels: state.channels,
        },
        info: SourceInfo {
            container,
            codec,
            sample_rate,
            channels: channel_count,
            bits_per_sample: bits_per_sample(&params),
            frames,
        },
        warning,
    })
}

/// Stored bits per sample; symphonia leaves it unset for float WAV.
fn bits_per_sample(params: &AudioCodecParameters) -> Option<u32> {
    use symphonia::core::codecs::audio::well_known::*;
    params.bits_per_sample.or(match params.codec {
        CODEC_ID_PCM_F32LE
        | CODEC_ID_PCM_F32BE
        | CODEC_ID_PCM_F32LE_PLANAR
        | CODEC_ID_PCM_F32BE_PLANAR => Some(32),
        CODEC_ID_PCM_F64LE
        | CODEC_ID_PCM_F64BE
        | CODEC_ID_PCM_F64LE_PLANAR
        | CODEC_ID_PCM_F64BE_PLANAR => Some(64),
        _ => None,
    })
}

/// Duration of the audio a packet contributes after encoder-delay trimming.
fn valid_ticks(packet: &Packet) -> u64 {
    packet
        .dur
        .get()
        .saturating_sub(packet.trim_start.get())
        .saturating_sub(packet.trim_end.get())
}

/// Opens `path` and finds its container format. `seekable: false` presents
/// the file as a stream.
fn open_format(
    path: &Path,
    file_len: u64,
    seekable: bool,
) -> Result<(Box<dyn FormatReader>, Option<repair::Repair>), MediaError> {
    let io_err = |source| MediaError::io(path, source);
    let mut file = File::open(path).map_err(io_err)?;
    // A cut-off WAV or AIFF declares more data than it holds; present
    // symphonia a consistent header so every complete frame on disk is read.
    let repair = repair::plan_repair(&mut file, file_len).map_err(io_err)?;
    let patches = repair
        .as_ref()
        .map(|r| r.patches.clone())
        .unwrap_or_default();
    let len = repair
        .as_ref()
        .and_then(|r| r.end)
        .map_or(file_len, |e| e.min(file_len));
    let source = FileSource::new(file, len, patches, seekable);
    let stream = MediaSourceStream::new(Box::new(source), MediaSourceStreamOptions::default());

    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let format = symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|err| header_error(path, err))?;
    Ok((format, repair))
}

fn unsupported(path: &Path, reason: &str) -> MediaError {
    MediaError::Unsupported {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> MediaError {
    MediaError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Maps an error raised before any audio was decoded (probe, track setup).
fn header_error(path: &Path, err: SymError) -> MediaError {
    match err {
        // No reader recognised the bytes at all.
        SymError::Unsupported(msg) if msg.starts_with("core") => {
            unsupported(path, "unrecognised format")
        }
        // A reader recognised the container but not what is inside.
        SymError::Unsupported(msg) => unsupported(path, msg),
        SymError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            corrupt(path, "file is cut off before any audio")
        }
        SymError::IoError(e) => MediaError::io(path, e),
        SymError::DecodeError(msg) => corrupt(path, msg),
        SymError::LimitError(msg) => unsupported(path, &format!("exceeds a safety limit: {msg}")),
        other => corrupt(path, other.to_string()),
    }
}

/// Rejects parameters symphonia would choke on (zero channels divides by
/// zero when sizing buffers) or that no real file has.
fn validate_params(path: &Path, params: &AudioCodecParameters) -> Result<(), MediaError> {
    if let Some(channels) = &params.channels {
        check_channel_count(path, channels.count())?;
    }
    if let Some(rate) = params.sample_rate {
        check_sample_rate(path, rate)?;
    }
    Ok(())
}

fn check_channel_count(path: &Path, count: usize) -> Result<(), MediaError> {
    match count {
        0 => Err(corrupt(path, "header declares zero channels")),
        n if n > MAX_CHANNELS => Err(unsupported(
            path,
            &format!("{n} channels, at most {MAX_CHANNELS} are supported"),
        )),
        _ => Ok(()),
    }
}

/// What a path that is not a regular file is, as one phrase.
pub(crate) fn not_regular(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "not a regular file (a named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "not a regular file (a device)";
        }
        if t.is_socket() {
            return "not a regular file (a socket)";
        }
    }
    if meta.is_dir() {
        "is a directory"
    } else {
        "not a regular file"
    }
}

/// Whether a file whose stated size is 0 yields data anyway (files under
/// `/proc` and `/sys`).
pub(crate) fn holds_data(file: &mut File) -> bool {
    use std::io::Read;
    let mut byte = [0u8; 1];
    matches!(file.read(&mut byte), Ok(1))
}

/// Replaces NaN and ±infinity (which a float file can hold, and which would
/// reach the monitors as full-scale clicks) by silence. Returns how many
/// samples were replaced and the first frame holding one.
fn silence_non_finite(channels: &mut [Vec<f32>]) -> Option<(u64, u64)> {
    let mut count = 0u64;
    let mut first = u64::MAX;
    for channel in channels.iter_mut() {
        for (i, v) in channel.iter_mut().enumerate() {
            if !v.is_finite() {
                *v = 0.0;
                count += 1;
                first = first.min(i as u64);
            }
        }
    }
    (count > 0).then_some((count, first))
}

/// `frame` at `rate` as `H:MM:SS.mmm` from the file's start.
fn timestamp(frame: u64, rate: u32) -> String {
    let ms = u128::from(frame) * 1000 / u128::from(rate.max(1));
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    format!(
        "{h}:{:02}:{:02}.{:03}",
        rest / 60_000,
        rest % 60_000 / 1000,
        rest % 1000
    )
}

fn check_sample_rate(path: &Path, rate: u32) -> Result<(), MediaError> {
    if rate == 0 {
        Err(corrupt(path, "header declares a sample rate of 0 Hz"))
    } else if rate < MIN_SAMPLE_RATE {
        Err(unsupported(
            path,
            &format!(
                "sample rate {rate} Hz is below {MIN_SAMPLE_RATE} Hz (the header is probably damaged)"
            ),
        ))
    } else if rate > MAX_SAMPLE_RATE {
        Err(unsupported(
            path,
            &format!("sample rate {rate} Hz is above {MAX_SAMPLE_RATE} Hz"),
        ))
    } else {
        Ok(())
    }
}

/// Accumulates decoded audio and what went wrong along the way.
struct DecodeState {
    /// Bytes the decoded channels may reach.
    budget: u64,
    channels: Vec<Vec<f32>>,
    scratch: Vec<Vec<f32>>,
    sample_rate: Option<u32>,
    channel_count: Option<usize>,
    /// Frames per tick of the track's time base, as (numer * rate, denom).
    time_base: Option<(u64, u64)>,
    /// Whether timestamps count frames (time base 1 / sample rate), so that a
    /// gap between packets is exact rather than a rounding artefact.
    frame_timestamps: bool,
    /// Whether any packet decoded successfully.
    decoded_any: bool,
    skipped: u64,
    first_skip_reason: Option<String>,
    /// Set when the demuxer or decoder failed in a way that cannot be skipped
    /// before the end of the stream.
    stop: Option<SymError>,
}

impl DecodeState {
    fn new(params: &AudioCodecParameters, track: &Track, file_len: u64) -> Self {
        let channel_count = params.channels.as_ref().map(|c| c.count());
        // Never more up front than 16 bytes of `f32` per byte of file (no
        // codec expands more, lossless ones far less): a header that lies
        // about its length reserves nothing it cannot fill.
        let by_size = file_len.saturating_mul(4) / channel_count.unwrap_or(1).max(1) as u64;
        let reserve = track
            .num_frames
            .unwrap_or(0)
            .min(MAX_PREALLOCATED_FRAMES)
            .min(by_size);
        let reserve = usize::try_from(reserve).unwrap_or(0);
        let channels = (0..channel_count.unwrap_or(0))
            .map(|_| Vec::with_capacity(reserve))
            .collect();
        let time_base = match (track.time_base, params.sample_rate) {
            (Some(tb), Some(rate)) => Some((
                u64::from(tb.numer.get()) * u64::from(rate),
                u64::from(tb.denom.get()),
            )),
            _ => None,
        };
        let frame_timestamps = time_base.is_some_and(|(num, den)| num == den);
        DecodeState {
            budget: u64::MAX,
            frame_timestamps,
            channels,
            scratch: Vec::new(),
            sample_rate: params.sample_rate,
            channel_count,
            time_base,
            decoded_any: false,
            skipped: 0,
            first_skip_reason: None,
            stop: None,
        }
    }

    fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Pulls every packet of `track` through the decoder.
    fn run(
        &mut self,
        path: &Path,
        format: &mut dyn FormatReader,
        decoder: &mut dyn AudioDecoder,
        track: &Track,
    ) -> Result<(), MediaError> {
        // Where the next packet should start, in time-base ticks. Unknown
        // after a packet with encoder-delay trimming, whose timestamps
        // formats define inconsistently, and never tracked when timestamps
        // are rounded (e.g. milliseconds in Matroska).
        let mut expected_pts = self.frame_timestamps.then_some(track.start_ts.get());
        loop {
            let packet = match format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => break,
                // A new chained stream (Ogg) begins: Dubstage imports the first.
                Err(SymError::ResetRequired) => break,
                Err(err) => {
                    self.stop = Some(err);
                    break;
                }
            };
            if packet.track_id != track.id {
                continue;
            }
            let pts = packet.pts.get();
            if packet.trim_start.get() == 0 {
                if let Some(expected) = expected_pts
                    && pts > expected
                {
                    // The demuxer skipped data it could not read (FLAC
                    // resynchronises past a damaged frame): keep the time.
                    self.damaged("unreadable data", pts.abs_diff(expected));
                }
                if self.frame_timestamps {
                    expected_pts = Some(pts.saturating_add_unsigned(packet.dur.get()));
                }
            } else {
                expected_pts = None;
            }
            match decoder.decode(&packet) {
                Ok(buffer) => {
                    let spec = buffer.spec();
                    let (rate, count) = (spec.rate(), spec.channels().count());
                    if buffer.frames() == 0 {
                        continue;
                    }
                    if !self.accepts(path, rate, count)? || buffer.num_planes() != count {
                        // A stray frame with different parameters (e.g. junk
                        // that happens to look like an MP3 header).
                        self.damaged("stream parameters changed mid-file", valid_ticks(&packet));
                        continue;
                    }
                    let needed =
                        decoded_bytes(self.frames() as u64 + buffer.frames() as u64, count);
                    if needed > self.budget {
                        return Err(MediaError::TooLarge {
                            path: path.to_path_buf(),
                            needed,
                            budget: self.budget,
                        });
                    }
                    buffer.copy_to_vecs_planar::<f32>(&mut self.scratch);
                    for (dst, src) in self.channels.iter_mut().zip(&self.scratch) {
                        dst.extend_from_slice(src);
                    }
                    self.decoded_any = true;
                }
                // symphonia's guidance: a packet with invalid data (or an I/O
                // error reading it) is skipped and decoding continues.
                Err(SymError::DecodeError(msg)) => self.damaged(msg, valid_ticks(&packet)),
                Err(SymError::IoError(err)) => {
                    self.damaged(&err.to_string(), valid_ticks(&packet));
                }
                Err(err) => {
                    self.stop = Some(err);
                    break;
                }
            }
        }
        decoder.finalize();
        Ok(())
    }

    /// Checks a decoded buffer's parameters. The first buffer fixes the rate
    /// and channel count if the header did not; later ones must match.
    fn accepts(&mut self, path: &Path, rate: u32, count: usize) -> Result<bool, MediaError> {
        match (self.sample_rate, self.channel_count) {
            (Some(r), Some(c)) => Ok(r == rate && c == count),
            _ if !self.decoded_any => {
                check_sample_rate(path, rate)?;
                check_channel_count(path, count)?;
                self.sample_rate = Some(rate);
                self.channel_count = Some(count);
                self.channels = vec![vec![0.0; self.frames()]; count];
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Records damage and substitutes silence for `ticks` of the track's
    /// time base, so that later audio keeps its position.
    fn damaged(&mut self, reason: &str, ticks: u64) {
        self.skipped += 1;
        if self.first_skip_reason.is_none() {
            self.first_skip_reason = Some(reason.to_string());
        }
        let Some((num, den)) = self.time_base else {
            return;
        };
        let frames = u128::from(ticks) * u128::from(num) / u128::from(den.max(1));
        let limit = u64::from(self.sample_rate.unwrap_or(0)) * MAX_SUBSTITUTE_SECONDS;
        if let Ok(frames) = usize::try_from(frames)
            && frames as u64 <= limit
        {
            for channel in &mut self.channels {
                channel.resize(channel.len() + frames, 0.0);
            }
        }
    }

    /// The error to return when no audio at all came out.
    fn failure(self, path: &Path, exact_length: Option<u64>) -> MediaError {
        if self.decoded_any {
            return MediaError::NoFrames {
                path: path.to_path_buf(),
            };
        }
        match self.stop {
            Some(SymError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                corrupt(path, "file ends before any audio")
            }
            Some(SymError::IoError(e)) => MediaError::io(path, e),
            Some(SymError::Unsupported(msg)) => {
                unsupported(path, &format!("uses an unsupported feature: {msg}"))
            }
            Some(err) => corrupt(path, err.to_string()),
            None if self.skipped > 0 => corrupt(
                path,
                format!(
                    "no packet could be decoded: {}",
                    self.first_skip_reason.as_deref().unwrap_or("unknown error")
                ),
            ),
            None => match exact_length {
                Some(declared) if declared > 0 => corrupt(
                    path,
                    format!("the header declares {declared} frames but none could be read"),
                ),
                _ => MediaError::NoFrames {
                    path: path.to_path_buf(),
                },
            },
        }
    }

    /// The warning for a decode that produced audio but not cleanly.
    fn warning(
        &self,
        path: &Path,
        repair: Option<&repair::Repair>,
        exact_length: Option<u64>,
    ) -> Option<MediaError> {
        let frames_kept = self.frames() as u64;
        let skipped = self.skipped;
        let truncated = |mut reason: String| {
            if skipped > 0 {
                reason.push_str(&format!(
                    "; before that, {skipped} damaged packet(s) were replaced with silence"
                ));
            }
            Some(MediaError::Truncated {
                path: path.to_path_buf(),
                frames_kept,
                reason,
            })
        };
        if let Some(err) = &self.stop {
            let reason = match err {
                SymError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    "unexpected end of file".to_string()
                }
                other => other.to_string(),
            };
            return truncated(reason);
        }
        if let Some(declared) = repair.and_then(|r| r.frames_declared) {
            return truncated(format!(
                "the header declares {declared} frames, the file holds only {frames_kept}"
            ));
        }
        if self.skipped > 0 {
            return Some(MediaError::DamagedPackets {
                path: path.to_path_buf(),
                skipped: self.skipped,
                reason: self
                    .first_skip_reason
                    .clone()
                    .unwrap_or_else(|| "unknown error".to_string()),
            });
        }
        // Fewer frames than an exact header length means the tail of the file
        // is missing even though no read failed.
        match exact_length {
            Some(declared) if frames_kept < declared => {
                truncated(format!("the header declares {declared} frames"))
            }
            _ => None,
        }
    }
}
