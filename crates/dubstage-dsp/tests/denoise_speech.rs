//! Both denoisers on speech in stationary noise at 10 dB SNR.
//!
//! Speech: the first 6.45 s of the demo's `dia_anna.wav` (espeak-ng speech,
//! clean, with digital silence between the lines). Noise: deterministic
//! white noise 10 dB below the speech's active level, starting 1.5 s before
//! the speech (the noise print is learnt from that stretch). The figures
//! are measured on 20 ms frames, the output aligned by the latency:
//! - noise floor: output against input energy over the frames where the
//!   clean speech is silent (at least 60 ms from any speech);
//! - speech level: output energy against the clean speech's over the
//!   frames where the clean speech is active.

use std::sync::Arc;

use dubstage_dsp::Processor;
use dubstage_dsp::denoise::{NoisePrint, RnnDenoise, SpectralDenoise};

const RATE: u32 = 48_000;
const LEAD: usize = 72_000; // 1.5 s of noise alone
const FRAME: usize = 960; // 20 ms

fn clean_speech() -> Vec<f32> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/audio/dia_anna.wav"
    );
    let mut r = hound::WavReader::open(path).expect("open dia_anna.wav");
    let spec = r.spec();
    assert_eq!(spec.sample_rate, RATE);
    assert_eq!(spec.channels, 1);
    let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
    let all: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Int => r
            .samples::<i32>()
            .map(|s| s.expect("sample") as f32 * scale)
            .collect(),
        hound::SampleFormat::Float => r.samples::<f32>().map(|s| s.expect("sample")).collect(),
    };
    all[..(6.45 * RATE as f64) as usize].to_vec()
}

fn white(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|v| f64::from(*v) * f64::from(*v)).sum()
}

fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

struct Scene {
    clean: Vec<f32>,
    noisy: Vec<f32>,
    /// Speech frames (indices into `clean`, in FRAME units).
    active: Vec<usize>,
    silent: Vec<usize>,
}

fn scene() -> Scene {
    let clean = clean_speech();
    let frames = clean.len() / FRAME;
    let frame_db: Vec<f64> = (0..frames)
        .map(|f| {
            let e = energy(&clean[f * FRAME..(f + 1) * FRAME]) / FRAME as f64;
            db(e.max(1e-30))
        })
        .collect();
    let loudest = frame_db.iter().cloned().fold(f64::MIN, f64::max);
    let active: Vec<usize> = (0..frames)
        .filter(|&f| frame_db[f] > loudest - 25.0)
        .collect();
    // Silent with a 3-frame (60 ms) margin on both sides.
    let silent: Vec<usize> = (3..frames.saturating_sub(3))
        .filter(|&f| (f - 3..=f + 3).all(|g| frame_db[g] < -100.0))
        .collect();
    let speech_level: f64 = active
        .iter()
        .map(|&f| energy(&clean[f * FRAME..(f + 1) * FRAME]))
        .sum::<f64>()
        / (active.len() * FRAME) as f64;
    let mut noise = white(LEAD + clean.len(), 0x2468_ace1);
    let noise_level = energy(&noise) / noise.len() as f64;
    let g = (speech_level / noise_level * 10f64.powf(-10.0 / 10.0)).sqrt() as f32;
    for v in &mut noise {
        *v *= g;
    }
    let mut noisy = noise;
    for (n, s) in noisy[LEAD..].iter_mut().zip(&clean) {
        *n += s;
    }
    Scene {
        clean,
        noisy,
        active,
        silent,
    }
}

/// (noise floor change, speech level change) in dB for `out` (aligned by
/// `latency`, block-processed from `scene.noisy`).
fn measure(scene: &Scene, out: &[f32], latency: usize) -> (f64, f64) {
    let at = |f: usize| LEAD + f * FRAME;
    let sum = |x: &[f32], frames: &[usize], shift: usize| -> f64 {
        frames
            .iter()
            .map(|&f| energy(&x[at(f) + shift..at(f) + shift + FRAME]))
            .sum()
    };
    let floor = db(sum(out, &scene.silent, latency) / sum(&scene.noisy, &scene.silent, 0));
    let clean_active: f64 = scene
        .active
        .iter()
        .map(|&f| energy(&scene.clean[f * FRAME..(f + 1) * FRAME]))
        .sum();
    let speech = db(sum(out, &scene.active, latency) / clean_active);
    (floor, speech)
}

fn run(p: &mut dyn Processor, input: &[f32], latency: usize, block: usize) -> Vec<f32> {
    let mut buf = input.to_vec();
    buf.extend(std::iter::repeat_n(0.0, latency));
    for chunk in buf.chunks_mut(block) {
        p.process(&mut [chunk], None);
    }
    buf
}

#[test]
fn scene_is_speech_with_pauses_at_10_db_snr() {
    let s = scene();
    assert!(s.active.len() > 150, "{} active frames", s.active.len());
    assert!(s.silent.len() > 30, "{} silent frames", s.silent.len());
    let noise = energy(&s.noisy[..LEAD]) / LEAD as f64;
    let speech: f64 = s
        .active
        .iter()
        .map(|&f| energy(&s.clean[f * FRAME..(f + 1) * FRAME]))
        .sum::<f64>()
        / (s.active.len() * FRAME) as f64;
    assert!((db(speech / noise) - 10.0).abs() < 0.2);
}

#[test]
fn spectral_takes_the_noise_floor_down_and_keeps_the_speech() {
    let s = scene();
    let print = NoisePrint::learn(&[&s.noisy[..LEAD]], RATE).expect("print");
    let mut d = SpectralDenoise::new(Some(Arc::new(print)));
    d.set_reduction_db(12.0);
    d.prepare(RATE, 1, 1024);
    let lat = d.latency();
    let out = run(&mut d, &s.noisy, lat, 512);
    let (floor, speech) = measure(&s, &out, lat);
    eprintln!("spectral: noise floor {floor:+.2} dB, speech {speech:+.2} dB");
    assert!(floor <= -10.0, "noise floor only {floor:.2} dB");
    assert!(speech.abs() <= 1.0, "speech level {speech:+.2} dB");
    assert!(d.reduction_db() > 0.0);
}

#[test]
fn rnn_takes_the_noise_floor_down_and_keeps_the_speech() {
    let s = scene();
    let mut d = RnnDenoise::new();
    d.set_limit_db(12.0);
    d.prepare(RATE, 1, 1024);
    let lat = d.latency();
    let out = run(&mut d, &s.noisy, lat, 512);
    let (floor, speech) = measure(&s, &out, lat);
    eprintln!("rnn: noise floor {floor:+.2} dB, speech {speech:+.2} dB");
    assert!(floor <= -10.0, "noise floor only {floor:.2} dB");
    assert!(speech.abs() <= 2.0, "speech level {speech:+.2} dB");
}

#[test]
fn both_work_through_a_44_1_khz_session() {
    // The same samples run as a 44.1 kHz stream (speech 8 % slower and
    // lower): RNNoise now goes through the rate converters.
    let s = scene();
    let rate = 44_100;
    let mut rnn = RnnDenoise::new();
    rnn.set_limit_db(12.0);
    rnn.prepare(rate, 1, 1024);
    let lat = rnn.latency();
    let out = run(&mut rnn, &s.noisy, lat, 512);
    let (floor, speech) = measure(&s, &out, lat);
    eprintln!(
        "rnn at 44.1 kHz (latency {lat}): noise floor {floor:+.2} dB, speech {speech:+.2} dB"
    );
    assert!(floor <= -10.0, "noise floor only {floor:.2} dB");
    assert!(speech.abs() <= 2.0, "speech level {speech:+.2} dB");

    let print = NoisePrint::learn(&[&s.noisy[..LEAD]], rate).expect("print");
    let mut spec = SpectralDenoise::new(Some(Arc::new(print)));
    spec.set_reduction_db(12.0);
    spec.prepare(rate, 1, 1024);
    let lat = spec.latency();
    let out = run(&mut spec, &s.noisy, lat, 512);
    let (floor, speech) = measure(&s, &out, lat);
    eprintln!("spectral at 44.1 kHz: noise floor {floor:+.2} dB, speech {speech:+.2} dB");
    assert!(floor <= -10.0, "noise floor only {floor:.2} dB");
    assert!(speech.abs() <= 1.0, "speech level {speech:+.2} dB");
}
