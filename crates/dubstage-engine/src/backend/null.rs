//! The null backend: a thread that calls the processor at the pace a device
//! would (or as fast as possible), and discards or captures the output.
//! ALSA's own `null` device has no clock, so this paces itself.

use super::{Backend, BackendError, DeviceRequest, OutputStream, StreamInfo, check_buffer};
use crate::rt::{AudioEngine, AudioProcessor, ProcessorConfig};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Output captured by a null backend (interleaved, its channel count per
/// frame), filled by its thread after each callback (outside the callback
/// itself).
pub type Capture = Arc<Mutex<Vec<f32>>>;

#[derive(Debug, Clone, Default)]
pub struct NullBackend {
    /// Sleep to keep real-time pace; otherwise run flat out.
    paced: bool,
    capture: Option<Capture>,
    /// Device channels (2 unless set): 1 and more than 2 go through the
    /// same callback code as real devices with those layouts.
    channels: u16,
}

impl NullBackend {
    /// Runs at the device's pace: one buffer per buffer period.
    pub fn paced() -> NullBackend {
        NullBackend {
            paced: true,
            capture: None,
            channels: 2,
        }
    }

    /// Runs as fast as it can (for tests and soak runs).
    pub fn unpaced() -> NullBackend {
        NullBackend {
            paced: false,
            capture: None,
            channels: 2,
        }
    }

    /// Acts as a device with `channels` outputs (at least 1).
    pub fn with_channels(mut self, channels: u16) -> NullBackend {
        self.channels = channels.max(1);
        self
    }

    /// Also appends every rendered buffer to `capture`.
    pub fn capturing(mut self, capture: Capture) -> NullBackend {
        self.capture = Some(capture);
        self
    }
}

struct NullStream {
    info: StreamInfo,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl OutputStream for NullStream {
    fn info(&self) -> &StreamInfo {
        &self.info
    }
}

impl Drop for NullStream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Backend for NullBackend {
    fn open(&self, request: &DeviceRequest, max_block: usize) -> Result<AudioEngine, BackendError> {
        check_buffer(request)?;
        let frames = request.buffer_frames.unwrap_or(512);
        let config = ProcessorConfig {
            project_rate: request.project_rate,
            device_rate: request.project_rate,
            channels: self.channels,
            max_block,
        };
        let (mut engine, processor) = AudioEngine::pair(config);
        let period = Duration::from_secs_f64(f64::from(frames) / f64::from(config.device_rate));
        engine.telemetry_handle().set_output_latency(period);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            let paced = self.paced;
            let capture = self.capture.clone();
            std::thread::Builder::new()
                .name("dubstage-null-audio".into())
                .spawn(move || {
                    run(
                        processor,
                        frames as usize * usize::from(config.channels),
                        period,
                        paced,
                        capture,
                        &stop,
                    )
                })
                .map_err(|e| BackendError::Thread(e.to_string()))?
        };
        engine.attach_stream(Box::new(NullStream {
            info: StreamInfo {
                backend: "null".into(),
                device: "no audio device".into(),
                sample_rate: config.device_rate,
                channels: config.channels,
                buffer_frames: Some(frames),
                resampling: false,
            },
            stop,
            thread: Some(thread),
        }));
        Ok(engine)
    }
}

/// Asks the OS to schedule this thread as real-time (SCHED_FIFO), as audio
/// drivers do for their callback threads. Returns whether it was granted;
/// without the privilege the thread keeps normal priority.
fn promote_to_realtime() -> bool {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 20 };
        // SAFETY: sched_setscheduler with pid 0 changes only the calling
        // thread's policy; `param` is a valid, initialised sched_param.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

fn run(
    mut processor: AudioProcessor,
    samples: usize,
    period: Duration,
    paced: bool,
    capture: Option<Capture>,
    stop: &AtomicBool,
) {
    let mut buf = vec![0.0f32; samples];
    if paced {
        promote_to_realtime();
    }
    let mut deadline = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        processor.process(&mut buf);
        if let Some(c) = &capture
            && let Ok(mut c) = c.lock()
        {
            c.extend_from_slice(&buf);
        }
        if paced {
            deadline += period;
            let now = Instant::now();
            if now > deadline + period {
                // More than a whole buffer late: a device would have run dry.
                processor.telemetry().count_xrun();
                deadline = now;
            } else if deadline > now {
                std::thread::sleep(deadline - now);
            }
        }
    }
}
