//! Media for Dubstage: decoding audio files into planar `f32` buffers,
//! resampling them once to the project rate, and writing audio files.
//!
//! Architecture invariant: this crate knows nothing about the audio thread,
//! the project model's editing, or any UI. It does I/O and returns typed errors.

use std::path::PathBuf;

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
}

/// Errors from reading or writing media. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
