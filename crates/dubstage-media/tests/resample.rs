//! Resampling: identity is exact, length is `round(frames * to / from)`,
//! frequency and level are preserved, and there is no time offset.

mod common;

use common::*;
use dubstage_media::{AudioBuffer, MediaError, load_for_project, resample};

/// Frames at each end excluded from sample-by-sample comparisons: the
/// reference sines start and stop abruptly, and the 256-tap filter rings
/// for 128 input frames (2.9 ms at 44.1 kHz) around each edge.
const EDGE: usize = 480;

/// Interior error allowed against the analytic signal: -60 dB relative to
/// the -6 dBFS sine (observed: about 1.2e-4, i.e. -72 dB).
const MAX_INTERIOR_ERROR: f32 = 0.5e-3;

fn buffer(rate: u32, channels: Vec<Vec<f32>>) -> AudioBuffer {
    AudioBuffer {
        sample_rate: rate,
        channels,
    }
}

/// Resamples `input` and checks length, rate, channel count and every
/// channel's interior against `expected` (the same signal sampled at the
/// new rate).
fn check(input: &AudioBuffer, to: u32, expected: &[Vec<f32>]) -> AudioBuffer {
    let out = resample(input, to).expect("resamples");
    let from = u64::from(input.sample_rate);
    let want_len = ((input.frames() as u64 * u64::from(to) + from / 2) / from) as usize;
    assert_eq!(out.sample_rate, to);
    assert_eq!(out.channels.len(), input.channels.len());
    assert!(out.channels.iter().all(|c| c.len() == want_len), "length");
    for (ch, (got, want)) in out.channels.iter().zip(expected).enumerate() {
        let end = want_len - EDGE;
        let err = max_abs_diff(&got[EDGE..end], &want[EDGE..end]);
        assert!(
            err <= MAX_INTERIOR_ERROR,
            "channel {ch}: interior error {err:e}"
        );
    }
    out
}

#[test]
fn identity_is_an_exact_copy() {
    let reference = reference();
    assert_eq!(&resample(reference, 48_000).unwrap(), reference);
}

#[test]
fn fixture_44k1_to_48k_matches_the_48k_reference() {
    let input = decode_fixture("ref_44k.wav").audio;
    let out = check(&input, 48_000, &reference().channels);
    assert_eq!(out.frames(), FRAMES_48K);
}

#[test]
fn reference_48k_to_44k1_matches_the_44k1_fixture() {
    let expected = decode_fixture("ref_44k.wav").audio;
    let out = check(reference(), 44_100, &expected.channels);
    assert_eq!(out.frames(), FRAMES_44K);
}

#[test]
fn upsampling_44k1_to_48k_keeps_frequency_and_level() {
    let input = decode_fixture("ref_44k.wav").audio;
    let out = resample(&input, 48_000).unwrap();
    // 0.2 s of the interior: a whole number of periods of both sines.
    let window = 600..600 + 9_600;
    for (ch, freq, dbfs) in [(0, 440, -6.0), (1, 660, -12.0)] {
        let x = &out.channels[ch][window.clone()];
        assert_eq!(dominant_frequency(x, 48_000, freq - 20..=freq + 20), freq);
        let amplitude = goertzel_amplitude(x, 48_000, f64::from(freq));
        let level = 20.0 * amplitude.log10();
        assert!((level - dbfs).abs() < 0.01, "channel {ch}: {level:.4} dBFS");
        let rms_db = 20.0 * (rms(x) * 2f64.sqrt()).log10();
        assert!(
            (rms_db - dbfs).abs() < 0.01,
            "channel {ch}: RMS {rms_db:.4} dBFS peak"
        );
    }
}

/// Several ratios, including non-integer ones and pull-down rates.
#[test]
fn assorted_ratios_match_the_analytic_signal() {
    for (from, to) in [
        (48_000, 96_000),
        (96_000, 48_000),
        (44_100, 88_200),
        (47_952, 48_000),
        (48_000, 22_050),
    ] {
        let frames = from as usize / 4;
        let input = buffer(from, vec![sine(from, 440.0, -6.0, frames)]);
        let out_len = (frames as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize + 1;
        check(&input, to, &[sine(to, 440.0, -6.0, out_len)]);
    }
}

/// A smooth pulse centred at input time `t0` must come out centred at
/// exactly `t0 * to / from`: no leading delay, not even a fraction of a
/// frame. (The pulse is a Gaussian of 8 input frames' width, band-limited
/// far below both Nyquist frequencies, so its sampled centroid is exact.)
#[test]
fn pulse_lands_at_the_scaled_time() {
    for (from, to) in [
        (44_100u32, 48_000u32),
        (48_000, 44_100),
        (48_000, 96_000),
        (96_000, 48_000),
    ] {
        let t0 = 1_000.3;
        let x: Vec<f32> = (0..2_000)
            .map(|i| (-((i as f64 - t0) / 8.0).powi(2) / 2.0).exp() as f32)
            .collect();
        let out = resample(&buffer(from, vec![x]), to).unwrap();
        let y = &out.channels[0];
        let weight: f64 = y.iter().map(|&v| f64::from(v)).sum();
        let centroid = y
            .iter()
            .enumerate()
            .map(|(j, &v)| j as f64 * f64::from(v))
            .sum::<f64>()
            / weight;
        let expected = t0 * f64::from(to) / f64::from(from);
        assert!(
            (centroid - expected).abs() < 0.01,
            "{from} -> {to}: centred at {centroid:.4}, expected {expected:.4}"
        );
    }
}

#[test]
fn length_is_rounded_to_nearest() {
    for (frames, from, to, want) in [
        (1, 44_100, 48_000, 1),
        (7, 44_100, 48_000, 8),
        (441, 44_100, 48_000, 480),
        (3, 48_000, 16_000, 1),
        (5, 48_000, 16_000, 2),
        (1, 48_000, 16_000, 0),
        (1_000, 48_000, 44_100, 919),
    ] {
        let out = resample(&buffer(from, vec![vec![0.25; frames]; 2]), to).unwrap();
        assert_eq!(out.frames(), want, "{frames} frames {from} -> {to}");
        assert!(out.channels.iter().all(|c| c.len() == want));
    }
}

#[test]
fn empty_buffers_stay_empty() {
    let out = resample(&buffer(44_100, vec![Vec::new(); 2]), 48_000).unwrap();
    assert_eq!(out, buffer(48_000, vec![Vec::new(); 2]));
    let out = resample(&buffer(44_100, Vec::new()), 48_000).unwrap();
    assert_eq!(out, buffer(48_000, Vec::new()));
}

#[test]
fn six_channels_stay_six_and_separate() {
    let input = decode_fixture("6ch.wav").audio;
    let out = resample(&input, 44_100).unwrap();
    assert_eq!(out.channels.len(), 6);
    let window = 500..500 + 8_820; // 0.2 s
    for (ch, freq) in [220, 330, 440, 110, 550, 660].into_iter().enumerate() {
        let x = &out.channels[ch][window.clone()];
        assert_eq!(
            dominant_frequency(x, 44_100, 100..=700),
            freq,
            "channel {ch}"
        );
    }
}

#[test]
fn zero_rate_is_an_error() {
    let input = buffer(0, vec![vec![0.0; 10]]);
    let err = resample(&input, 48_000).unwrap_err();
    assert!(
        matches!(err, MediaError::Resample { path: None, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("cannot resample"), "{err}");
    assert!(resample(reference(), 0).is_err());
}

#[test]
fn ragged_channels_are_an_error() {
    let input = buffer(44_100, vec![vec![0.0; 10], vec![0.0; 9]]);
    assert!(matches!(
        resample(&input, 48_000),
        Err(MediaError::Resample { .. })
    ));
}

#[test]
fn load_for_project_decodes_then_resamples() {
    let loaded = load_for_project(&fixture("pcm24_44k.wav"), 48_000).unwrap();
    assert_eq!(loaded.info.sample_rate, 44_100);
    assert_eq!(loaded.info.frames, FRAMES_44K as u64);
    assert_eq!(loaded.audio.sample_rate, 48_000);
    assert_eq!(loaded.audio.frames(), FRAMES_48K);
    let err = max_abs_diff(
        &loaded.audio.channels[0][EDGE..FRAMES_48K - EDGE],
        &reference().channels[0][EDGE..FRAMES_48K - EDGE],
    );
    assert!(err <= MAX_INTERIOR_ERROR, "{err:e}");
}

#[test]
fn load_for_project_at_the_file_rate_is_the_decode() {
    let loaded = load_for_project(&fixture("pcm16.wav"), 48_000).unwrap();
    assert_eq!(loaded.audio, decode_fixture("pcm16.wav").audio);
}

#[test]
fn load_for_project_names_the_file_on_error() {
    let path = fixture("pcm16.wav");
    let err = load_for_project(&path, 0).unwrap_err();
    assert_eq!(err.path(), Some(path.as_path()));
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
}
