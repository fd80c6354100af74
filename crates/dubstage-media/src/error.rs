//! The crate's error type.
//!
//! Every message is one readable line that starts with the file it concerns,
//! e.g. `/x/door.wav: not a supported audio file (unrecognised format)`, so
//! the UI can show it as-is.

use std::path::{Path, PathBuf};

/// Errors (and decode warnings, see [`crate::Decoded::warning`]) from reading,
/// resampling or writing media. Every variant that concerns a file names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The operating system refused a read or write: missing file, permission
    /// denied, disk full, missing directory, …
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file has zero bytes.
    #[error("{path}: file is empty")]
    Empty { path: PathBuf },

    /// The path names a pipe, device, socket or virtual file, not a file
    /// with contents on disk.
    #[error("{path}: {kind}")]
    NotRegular { path: PathBuf, kind: &'static str },

    /// The file has a valid header but not a single audio frame.
    #[error("{path}: contains no audio frames")]
    NoFrames { path: PathBuf },

    /// The container or codec is not recognised or not supported, or the
    /// stream's parameters are outside what Dubstage accepts.
    #[error("{path}: not a supported audio file ({reason})")]
    Unsupported { path: PathBuf, reason: String },

    /// The file looks like a supported format but its structure is damaged
    /// (bad header, cut inside the header, unreadable stream).
    #[error("{path}: corrupt audio file ({reason})")]
    Corrupt { path: PathBuf, reason: String },

    /// Warning: the audio stops before the end the file declares (typically a
    /// recording or copy that was cut off). The frames before the cut are kept.
    #[error("{path}: audio ends early, kept the first {frames_kept} frames ({reason})")]
    Truncated {
        path: PathBuf,
        frames_kept: u64,
        reason: String,
    },

    /// Warning: some packets could not be decoded and were replaced by silence
    /// of the same duration (so everything after them stays in sync).
    #[error("{path}: replaced {skipped} damaged packet(s) with silence ({reason})")]
    DamagedPackets {
        path: PathBuf,
        skipped: u64,
        reason: String,
    },

    /// Resampling was impossible (invalid rates or inconsistent buffer).
    /// `path` is set when the buffer came from a file.
    #[error("{}cannot resample: {reason}", path_prefix(.path.as_deref()))]
    Resample {
        path: Option<PathBuf>,
        reason: String,
    },

    /// A write request was invalid or the encoder rejected it (bad channel
    /// layout, file would exceed the WAV size limit, …). I/O failures are
    /// reported as [`MediaError::Io`] instead.
    #[error("{path}: cannot write audio file ({reason})")]
    Write { path: PathBuf, reason: String },

    /// Decoding (and resampling) the file would need more memory than one
    /// file may take (see [`crate::decode::memory_budget`]).
    #[error(
        "{path}: too large to load: its audio needs {} in memory, more than the {} allowed for one file",
        gib(*.needed),
        gib(*.budget)
    )]
    TooLarge {
        path: PathBuf,
        needed: u64,
        budget: u64,
    },

    /// Warning: the file holds NaN or infinite samples (a damaged float
    /// file); they were replaced by silence.
    #[error(
        "{path}: replaced {count} non-finite sample(s) (NaN or infinity) with silence, the first at {at}"
    )]
    NonFinite {
        path: PathBuf,
        count: u64,
        at: String,
    },

    /// A waveform peak cache file (see [`crate::peaks`]) is damaged:
    /// truncated, not a peak cache, inconsistent sizes or a bad checksum.
    /// The cache should be rebuilt from the source.
    #[error("{path}: corrupt peak cache ({reason})")]
    CorruptPeakCache { path: PathBuf, reason: String },

    /// A long operation (e.g. [`crate::PeakPyramid::build`]) was cancelled
    /// by its caller.
    #[error("cancelled")]
    Cancelled,
}

/// Bytes as GiB (or MiB below 1 GiB), one decimal.
fn gib(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= f64::from(1u32 << 30) {
        format!("{:.1} GiB", b / f64::from(1u32 << 30))
    } else {
        format!("{:.1} MiB", b / f64::from(1u32 << 20))
    }
}

fn path_prefix(path: Option<&Path>) -> String {
    path.map_or_else(String::new, |p| format!("{}: ", p.display()))
}

impl MediaError {
    /// The file the error concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            MediaError::Io { path, .. }
            | MediaError::Empty { path }
            | MediaError::NotRegular { path, .. }
            | MediaError::NoFrames { path }
            | MediaError::Unsupported { path, .. }
            | MediaError::Corrupt { path, .. }
            | MediaError::Truncated { path, .. }
            | MediaError::DamagedPackets { path, .. }
            | MediaError::Write { path, .. }
            | MediaError::TooLarge { path, .. }
            | MediaError::NonFinite { path, .. }
            | MediaError::CorruptPeakCache { path, .. } => Some(path),
            MediaError::Resample { path, .. } => path.as_deref(),
            MediaError::Cancelled => None,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        MediaError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
