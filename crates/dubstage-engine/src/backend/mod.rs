//! Audio output backends: the real device through cpal, and a null backend
//! that paces itself with a timer (no device, CI, tests). Both drive the same
//! [`AudioProcessor`](crate::rt::AudioProcessor).

mod cpal_out;
mod null;

pub use cpal_out::{CpalBackend, output_devices};
pub use null::{Capture, NullBackend};

use crate::rt::AudioEngine;

/// Buffer sizes a user can choose, in frames.
pub const BUFFER_SIZES: [u32; 6] = [64, 128, 256, 512, 1024, 2048];

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRequest {
    /// Output device name; `None` for the system default.
    pub device: Option<String>,
    /// Buffer size in frames (64–2048); `None` for the device default.
    pub buffer_frames: Option<u32>,
    /// The project sample rate, which the device is asked to run at.
    pub project_rate: u32,
}

/// What was opened.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// "ALSA", "null", …
    pub backend: String,
    pub device: String,
    /// The rate the device runs at.
    pub sample_rate: u32,
    pub channels: u16,
    /// The buffer size asked of the device, when fixed.
    pub buffer_frames: Option<u32>,
    /// True when the device could not run at the project rate and playback
    /// goes through the monitoring resampler.
    pub resampling: bool,
}

impl StreamInfo {
    /// Buffer latency in milliseconds (one buffer), when the size is known.
    pub fn buffer_latency_ms(&self) -> Option<f64> {
        self.buffer_frames
            .map(|f| f64::from(f) * 1000.0 / f64::from(self.sample_rate.max(1)))
    }

    /// One line for the transport bar or the CLI.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} ({}), {} Hz, {} ch",
            self.device, self.backend, self.sample_rate, self.channels
        );
        if let (Some(f), Some(ms)) = (self.buffer_frames, self.buffer_latency_ms()) {
            s.push_str(&format!(", buffer {f} frames ({ms:.1} ms)"));
        }
        if self.resampling {
            s.push_str(", resampled from the project rate for monitoring");
        }
        s
    }
}

/// A running output. Dropping it stops the device.
pub trait OutputStream {
    fn info(&self) -> &StreamInfo;
}

/// Why an output could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error("no audio output device found")]
    NoDevice,
    #[error("audio device \"{0}\" not found")]
    DeviceNotFound(String),
    #[error("buffer size {0} is outside 64–2048 frames")]
    BadBufferSize(u32),
    #[error("cannot open audio device \"{device}\": {reason}")]
    Open { device: String, reason: String },
    #[error("cannot start the audio thread: {0}")]
    Thread(String),
}

/// Something that can open an output and run a processor on it.
pub trait Backend {
    /// Opens the output and starts calling the processor. The returned
    /// engine owns the stream; dropping or closing it stops playback.
    fn open(&self, request: &DeviceRequest, max_block: usize) -> Result<AudioEngine, BackendError>;
}

fn check_buffer(request: &DeviceRequest) -> Result<(), BackendError> {
    match request.buffer_frames {
        Some(f) if !(64..=2048).contains(&f) => Err(BackendError::BadBufferSize(f)),
        _ => Ok(()),
    }
}

/// Opens the real device, or falls back to the null backend. The string is
/// the message to show when falling back ("no audio device — silent
/// playback: …").
pub fn open_output(request: &DeviceRequest, max_block: usize) -> (AudioEngine, Option<String>) {
    match CpalBackend.open(request, max_block) {
        Ok(engine) => (engine, None),
        Err(e) => {
            let null = NullBackend::paced();
            let message = format!("no audio device — silent playback ({e})");
            match null.open(request, max_block) {
                Ok(engine) => (engine, Some(message)),
                Err(e2) => {
                    // The null backend only fails if a thread cannot be
                    // spawned; run without any stream (transport frozen).
                    let (engine, _processor) = AudioEngine::pair(crate::rt::ProcessorConfig {
                        project_rate: request.project_rate,
                        device_rate: request.project_rate,
                        channels: 2,
                        max_block,
                    });
                    (engine, Some(format!("{message}; {e2}")))
                }
            }
        }
    }
}
