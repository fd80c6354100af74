//! FLAC writing (16 or 24 bit) with the pure-Rust `flacenc` encoder.
//!
//! The samples are collected in memory and encoded when the file is
//! finished (a ten-minute stereo mix is about 230 MB of 32-bit samples),
//! then written to a temporary file beside the destination and renamed
//! into place, like WAV files.

use crate::MediaError;
use flacenc::component::BitRepr;
use flacenc::error::Verify;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Streaming interface, finished atomically.
#[derive(Debug)]
pub struct FlacFileWriter {
    path: PathBuf,
    bits: u32,
    rate: u32,
    channels: usize,
    samples: Vec<i32>,
    dither: Option<crate::write::Tpdf>,
}

impl FlacFileWriter {
    /// `bits` is 16 or 24.
    pub fn create(path: &Path, bits: u32, rate: u32, channels: usize) -> Result<Self, MediaError> {
        if !(bits == 16 || bits == 24) {
            return Err(MediaError::Write {
                path: path.to_owned(),
                reason: format!("FLAC is written at 16 or 24 bits, not {bits}"),
            });
        }
        if channels == 0 || channels > 8 || rate == 0 || rate > 655_350 {
            return Err(MediaError::Write {
                path: path.to_owned(),
                reason: format!("{channels} channels at {rate} Hz cannot be written as FLAC"),
            });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(MediaError::io(
                path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        Ok(FlacFileWriter {
            path: path.to_owned(),
            bits,
            rate,
            channels,
            samples: Vec::new(),
            dither: None,
        })
    }

    /// TPDF dither (±1 LSB) when reducing to the file's depth.
    pub fn with_dither(mut self, on: bool) -> Self {
        self.dither = on.then(crate::write::Tpdf::new);
        self
    }

    /// Appends planar audio (one slice per channel, equal lengths).
    pub fn write_planar(&mut self, channels: &[&[f32]]) -> Result<(), MediaError> {
        if channels.len() != self.channels {
            return Err(MediaError::Write {
                path: self.path.clone(),
                reason: format!(
                    "{} channels given to a {}-channel file",
                    channels.len(),
                    self.channels
                ),
            });
        }
        let frames = channels.first().map_or(0, |c| c.len());
        self.samples.reserve(frames * self.channels);
        for i in 0..frames {
            for c in channels {
                self.samples.push(crate::write::to_int_dithered(
                    c[i],
                    self.bits,
                    self.dither.as_mut(),
                ));
            }
        }
        Ok(())
    }

    /// Encodes and writes the file atomically.
    pub fn finish(self) -> Result<(), MediaError> {
        self.seal()?.publish()
    }

    /// Encodes and writes the file under a temporary name, flushed; see
    /// [`crate::write::Sealed`].
    pub fn seal(self) -> Result<crate::write::Sealed, MediaError> {
        let fail = |reason: String| MediaError::Write {
            path: self.path.clone(),
            reason,
        };
        let config = flacenc::config::Encoder::default()
            .into_verified()
            .map_err(|(_, e)| fail(format!("encoder settings: {e:?}")))?;
        let source = flacenc::source::MemSource::from_samples(
            &self.samples,
            self.channels,
            self.bits as usize,
            self.rate as usize,
        );
        let stream = flacenc::encode_with_fixed_block_size(&config, source, config.block_size)
            .map_err(|e| fail(format!("FLAC encoding failed: {e:?}")))?;
        let mut sink = flacenc::bitsink::ByteSink::new();
        stream
            .write(&mut sink)
            .map_err(|e| fail(format!("FLAC encoding failed: {e:?}")))?;
        let mut bytes = sink.as_slice().to_vec();
        // STREAMINFO's minimum block size must not count the (shorter) last
        // block, or readers take the stream for a variable-block-size one.
        // Layout: "fLaC", block header (4), min block size (2), max (2), …
        if bytes.len() >= 12 && &bytes[..4] == b"fLaC" {
            let (max0, max1) = (bytes[10], bytes[11]);
            bytes[8] = max0;
            bytes[9] = max1;
        }
        let file_name = self.path.file_name().unwrap_or_default();
        let (mut file, temp) = crate::write::create_temp(&self.path, file_name)?;
        let sealed = crate::write::Sealed::new(temp, self.path.clone());
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| MediaError::io(&self.path, e))?;
        Ok(sealed)
    }
}
