//! The real audio device, through cpal (ALSA on Linux).

use super::{Backend, BackendError, DeviceRequest, OutputStream, StreamInfo, check_buffer};
use crate::rt::{AudioEngine, DeviceError, ProcessorConfig};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::time::Duration;

/// Names of the output devices of the default host, default first.
pub fn output_devices() -> Result<Vec<String>, BackendError> {
    let host = cpal::default_host();
    let default = host.default_output_device().map(|d| d.to_string());
    let mut names: Vec<String> = host
        .output_devices()
        .map_err(|e| BackendError::Open {
            device: "default".into(),
            reason: e.to_string(),
        })?
        .map(|d| d.to_string())
        .collect();
    if let Some(d) = default {
        names.retain(|n| *n != d);
        names.insert(0, d);
    }
    Ok(names)
}

/// Opens devices of cpal's default host.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpalBackend;

struct CpalStream {
    info: StreamInfo,
    // Kept alive: dropping it stops the device.
    _stream: cpal::Stream,
}

impl OutputStream for CpalStream {
    fn info(&self) -> &StreamInfo {
        &self.info
    }
}

impl Backend for CpalBackend {
    fn open(&self, request: &DeviceRequest, max_block: usize) -> Result<AudioEngine, BackendError> {
        check_buffer(request)?;
        let host = cpal::default_host();
        let device = match &request.device {
            Some(name) => host
                .output_devices()
                .map_err(|e| BackendError::Open {
                    device: name.clone(),
                    reason: e.to_string(),
                })?
                .find(|d| d.to_string() == *name)
                .ok_or_else(|| BackendError::DeviceNotFound(name.clone()))?,
            None => host.default_output_device().ok_or(BackendError::NoDevice)?,
        };
        let name = device.to_string();
        let open_err = |e: cpal::Error| BackendError::Open {
            device: name.clone(),
            reason: e.to_string(),
        };
        let rate = request.project_rate;
        // Prefer 32-bit float at the project rate, stereo when offered.
        let at_rate = device
            .supported_output_configs()
            .map_err(open_err)?
            .filter(|c| c.sample_format() == cpal::SampleFormat::F32 && c.contains_rate(rate))
            .max_by_key(|c| (c.channels() == 2, c.channels().min(2)));
        let (supported, resampling) = match at_rate {
            Some(c) => (c.with_sample_rate(rate), false),
            None => {
                let def = device.default_output_config().map_err(open_err)?;
                if def.sample_format() != cpal::SampleFormat::F32 {
                    return Err(BackendError::Open {
                        device: name,
                        reason: format!(
                            "the device offers no 32-bit float output (default format {})",
                            def.sample_format()
                        ),
                    });
                }
                let resampling = def.sample_rate() != rate;
                (def, resampling)
            }
        };
        let buffer_size = match (request.buffer_frames, supported.buffer_size()) {
            (Some(f), cpal::SupportedBufferSize::Range { min, max })
                if (*min..=*max).contains(&f) =>
            {
                cpal::BufferSize::Fixed(f)
            }
            (Some(f), cpal::SupportedBufferSize::Unknown) => cpal::BufferSize::Fixed(f),
            _ => cpal::BufferSize::Default,
        };
        let buffer_frames = match buffer_size {
            cpal::BufferSize::Fixed(f) => Some(f),
            cpal::BufferSize::Default => None,
        };
        let config = cpal::StreamConfig {
            channels: supported.channels(),
            sample_rate: supported.sample_rate(),
            buffer_size,
        };
        let (mut engine, mut processor) = AudioEngine::pair(ProcessorConfig {
            project_rate: rate,
            device_rate: config.sample_rate,
            channels: config.channels,
            max_block,
        });
        let telemetry = engine.telemetry_handle().clone();
        let errors = telemetry.clone();
        let stream = device
            .build_output_stream::<f32, _, _>(
                config,
                move |data: &mut [f32], info: &cpal::OutputCallbackInfo| {
                    let ts = info.timestamp();
                    if let Some(d) = ts.playback.checked_duration_since(ts.callback) {
                        telemetry.set_output_latency(d);
                    }
                    processor.process(data);
                },
                move |err: cpal::Error| match err.kind() {
                    cpal::ErrorKind::Xrun => errors.count_xrun(),
                    cpal::ErrorKind::DeviceNotAvailable => {
                        errors.report_device_error(DeviceError::Disconnected)
                    }
                    cpal::ErrorKind::StreamInvalidated | cpal::ErrorKind::DeviceChanged => {
                        errors.report_device_error(DeviceError::StreamInvalidated)
                    }
                    _ => errors.report_device_error(DeviceError::Other),
                },
                Some(Duration::from_secs(3)),
            )
            .map_err(open_err)?;
        stream.play().map_err(open_err)?;
        engine.attach_stream(Box::new(CpalStream {
            info: StreamInfo {
                backend: host.id().name().to_owned(),
                device: name,
                sample_rate: config.sample_rate,
                channels: config.channels,
                buffer_frames,
                resampling,
            },
            _stream: stream,
        }));
        Ok(engine)
    }
}
