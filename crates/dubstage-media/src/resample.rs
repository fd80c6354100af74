//! Sample-rate conversion, done once at import.
//!
//! Uses rubato's asynchronous sinc resampler with its high-quality settings:
//! a 256-tap windowed sinc (BlackmanHarris2 window, automatic cutoff),
//! 256× oversampled filter table and cubic interpolation between table
//! points.
//!
//! # Timing
//!
//! The output is exactly `round(frames * to / from)` frames long and has no
//! leading delay: output frame `j` is the input signal evaluated at time
//! `j / to`, to sub-sample precision. rubato's own delay trimming
//! (`process_all`) rounds the delay to whole output frames, which leaves up to
//! one output frame of offset — audible as comb filtering when a resampled
//! clip is layered with its original, and a sync error against picture. Here
//! the resampler's delay (half the filter, in input frames) is padded up with
//! leading zeros to a whole number of rate-ratio periods, so that it
//! corresponds to an integer number of output frames, which are then dropped.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{
    Async, FixedAsync, Indexing, Resampler, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};

use crate::{AudioBuffer, MediaError};

/// Length of the sinc filter, in input frames (a multiple of 8).
const SINC_LEN: usize = 256;

/// Input frames fed to the resampler per call.
const CHUNK: usize = 1024;

/// Resamples `audio` to `to_rate` Hz with a high-quality sinc filter.
///
/// Returns an exact copy when the rates already match. The result has
/// `round(frames * to_rate / from_rate)` frames and no time offset (see the
/// [module documentation](self)).
pub fn resample(audio: &AudioBuffer, to_rate: u32) -> Result<AudioBuffer, MediaError> {
    let from_rate = audio.sample_rate;
    if from_rate == 0 || to_rate == 0 {
        return Err(resample_error(format!(
            "sample rates must be above 0 Hz (from {from_rate} Hz to {to_rate} Hz)"
        )));
    }
    let frames = audio.frames();
    if audio.channels.iter().any(|c| c.len() != frames) {
        return Err(resample_error(
            "channels have different lengths".to_string(),
        ));
    }
    if from_rate == to_rate {
        return Ok(audio.clone());
    }
    let out_frames = output_len(frames, from_rate, to_rate)?;
    if audio.channels.is_empty() || frames == 0 {
        return Ok(AudioBuffer {
            sample_rate: to_rate,
            channels: vec![Vec::new(); audio.channels.len()],
        });
    }

    // Leading zeros `pad` and dropped output frames `drop` such that
    // (delay + pad) input frames last exactly `drop` output frames.
    let g = gcd(from_rate, to_rate);
    let (from_period, to_period) = (u64::from(from_rate / g), u64::from(to_rate / g));
    let delay = (SINC_LEN / 2) as u64;
    let periods = delay.div_ceil(from_period);
    let pad = usize::try_from(periods * from_period - delay).map_err(|_| too_long())?;
    // rubato's output frame k sits at input time (k + 1) / ratio - delay:
    // the first output is one step past the start.
    let drop = usize::try_from(periods * to_period - 1).map_err(|_| too_long())?;

    let channels = audio.channels.len();
    let padded: Vec<Vec<f32>> = audio
        .channels
        .iter()
        .map(|c| {
            let mut v = Vec::with_capacity(pad + frames);
            v.resize(pad, 0.0);
            v.extend_from_slice(c);
            v
        })
        .collect();
    let in_len = pad + frames;

    let params = SincInterpolationParameters::new(SINC_LEN, WindowFunction::BlackmanHarris2)
        .oversampling_factor(256)
        .interpolation(SincInterpolationType::Cubic);
    let ratio = f64::from(to_rate) / f64::from(from_rate);
    let mut resampler =
        Async::<f32>::new_sinc(ratio, 1.0, &params, CHUNK, channels, FixedAsync::Input)
            .map_err(|e| resample_error(e.to_string()))?;

    let wanted = drop + out_frames;
    let capacity = wanted + resampler.output_frames_max();
    let mut output = vec![vec![0.0f32; capacity]; channels];
    let input = SequentialSliceOfVecs::new(&padded, channels, in_len)
        .map_err(|e| resample_error(e.to_string()))?;
    let mut output_adapter = SequentialSliceOfVecs::new_mut(&mut output, channels, capacity)
        .map_err(|e| resample_error(e.to_string()))?;

    let (mut in_pos, mut out_pos) = (0usize, 0usize);
    while out_pos < wanted {
        let needed = resampler.input_frames_next();
        let available = in_len - in_pos;
        let indexing = Indexing {
            input_offset: in_pos,
            output_offset: out_pos,
            partial_len: (available < needed).then_some(available),
            active_channels_mask: None,
        };
        let (consumed, produced) = resampler
            .process_into_buffer(&input, &mut output_adapter, Some(&indexing))
            .map_err(|e| resample_error(e.to_string()))?;
        in_pos += consumed.min(available);
        out_pos += produced;
    }

    for channel in &mut output {
        channel.truncate(wanted);
        channel.drain(..drop);
    }
    Ok(AudioBuffer {
        sample_rate: to_rate,
        channels: output,
    })
}

/// `round(frames * to / from)`, exactly.
fn output_len(frames: usize, from: u32, to: u32) -> Result<usize, MediaError> {
    let n = (frames as u128 * u128::from(to) + u128::from(from) / 2) / u128::from(from);
    usize::try_from(n).map_err(|_| too_long())
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn resample_error(reason: String) -> MediaError {
    MediaError::Resample { path: None, reason }
}

fn too_long() -> MediaError {
    resample_error("the audio is too long".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_length_rounds_to_nearest() {
        assert_eq!(output_len(44_100, 44_100, 48_000).unwrap(), 48_000);
        assert_eq!(output_len(1, 44_100, 48_000).unwrap(), 1);
        assert_eq!(output_len(3, 48_000, 16_000).unwrap(), 1);
        assert_eq!(output_len(1, 48_000, 16_000).unwrap(), 0);
        assert_eq!(output_len(0, 48_000, 96_000).unwrap(), 0);
    }

    #[test]
    fn gcd_of_common_rates() {
        assert_eq!(gcd(44_100, 48_000), 300);
        assert_eq!(gcd(48_000, 96_000), 48_000);
        assert_eq!(gcd(7, 5), 1);
    }
}
