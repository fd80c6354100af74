//! Media for Dubstage: decoding audio files into planar `f32` buffers,
//! resampling them once to the project rate, and writing audio files.
//!
//! Architecture invariant: this crate knows nothing about the audio thread,
//! the project model's editing, or any UI. It does I/O and returns typed errors.
//!
//! * [`decode_file`] reads WAV/BWF, AIFF, FLAC, MP3, Ogg Vorbis and AAC/M4A
//!   (and more, see [`decode`]) into an [`AudioBuffer`] plus [`SourceInfo`].
//!   Damaged files either fail with a [`MediaError`] naming the file and the
//!   cause, or — when audio could be recovered — succeed with a warning.
//! * [`resample()`](resample::resample) converts a buffer to another rate
//!   with a high-quality sinc filter, sample-accurately (see
//!   [`mod@resample`]).
//! * [`load_for_project`] does both, as done at import.
//! * [`write_wav`] and [`WavFileWriter`] write 16/24-bit integer or 32-bit
//!   float WAV files atomically (see [`mod@write`]).

pub mod decode;
mod error;
mod flac;
pub mod library;
mod mp4;
pub mod peaks;
mod repair;
pub mod resample;
mod source;
pub mod video;
pub mod write;

pub use decode::{
    Decoded, SourceInfo, decode_file, decode_file_within, install_quiet_decode_panic_hook,
    load_for_project, load_for_project_within, memory_budget,
};
pub use error::MediaError;
pub use flac::FlacFileWriter;
pub use peaks::{CacheKey, Peak, PeakPyramid, cache_path};
pub use resample::resample;
pub use write::{BwfInfo, Sealed, WavFileWriter, WavFormat, write_wav};

/// Planar, decoded audio at a known sample rate. Every channel has the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioBuffer {
    pub sample_rate: u32,
    pub channels: Vec<Vec<f32>>,
}

impl AudioBuffer {
    /// Number of sample frames (length of each channel).
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Duration in seconds (0 for a rate of 0).
    pub fn duration_secs(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.frames() as f64 / f64::from(self.sample_rate)
        }
    }

    /// The channels as slices, e.g. for [`write_wav`].
    pub fn channel_slices(&self) -> Vec<&[f32]> {
        self.channels.iter().map(Vec::as_slice).collect()
    }
}
