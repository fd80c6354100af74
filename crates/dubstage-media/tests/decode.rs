//! Every fixture format decodes to the reference signal, within the codec's
//! tolerance. The fixtures are conversions of `ref.wav` made by
//! `scripts/make_media_fixtures.sh`.

mod common;

use common::*;
use dubstage_media::Decoded;

/// How closely a decoded fixture must match the reference.
#[derive(Debug, Clone, Copy)]
enum Tolerance {
    /// Same length, no offset, every sample within `max_abs` of the
    /// reference.
    Exact { max_abs: f32 },
    /// Lossy codec. The best alignment must be within ±`allowed_lag` frames
    /// (encoder delay and padding are removed, so 0 is expected), the SNR
    /// after alignment at least `min_snr_db`, and the length within
    /// `max_len_diff` frames of the reference.
    ///
    /// The reference is two steady sines, so correlation alone cannot tell
    /// lags a whole number of periods apart; the lag is searched within less
    /// than half a 440 Hz period, and a leftover encoder delay of about a
    /// codec frame (1024–2112 samples) then shows as an SNR collapse over the
    /// start of the file, which the aligned comparison includes.
    Lossy {
        allowed_lag: usize,
        min_snr_db: f64,
        max_len_diff: usize,
    },
}

use Tolerance::*;

/// Lag search range for lossy codecs: under half a period of 440 Hz at 48 kHz.
const LAG_SEARCH: usize = 50;

/// 16-bit: the fixture script's conversion rounds to the nearest step, so
/// the error is at most half a step (plus float rounding of the reference).
const PCM16: Tolerance = Exact {
    max_abs: 0.5 * LSB16 + 1e-7,
};
/// 24-bit: half a step is below `f32` resolution near full scale, so allow
/// one step.
const PCM24: Tolerance = Exact { max_abs: LSB24 };
/// Float formats carry the `f32` reference losslessly.
const LOSSLESS: Tolerance = Exact { max_abs: 0.0 };
/// 32-bit int holds every `f32` sample exactly; converting back rounds at
/// `f32` precision (~1e-14 observed).
const PCM32: Tolerance = Exact { max_abs: 1e-9 };

/// What the decoded file must report.
struct Expect {
    container: &'static str,
    codec: &'static str,
    bits: Option<u32>,
}

fn expect(container: &'static str, codec: &'static str, bits: Option<u32>) -> Expect {
    Expect {
        container,
        codec,
        bits,
    }
}

/// Decodes `file` and checks its metadata and every channel against the
/// reference.
fn check(file: &str, tolerance: Tolerance, expect: Expect) -> Decoded {
    let decoded = decode_fixture(file);
    let reference = reference();
    let info = &decoded.info;
    assert!(decoded.warning.is_none(), "{file}: {:?}", decoded.warning);
    assert_eq!(info.container, expect.container, "{file}");
    assert_eq!(info.codec, expect.codec, "{file}");
    assert_eq!(info.bits_per_sample, expect.bits, "{file}");
    assert_eq!(info.sample_rate, 48_000, "{file}");
    assert_eq!(decoded.audio.sample_rate, 48_000, "{file}");
    assert_eq!(info.channels, 2, "{file}");
    assert_eq!(decoded.audio.channels.len(), 2, "{file}");
    assert_eq!(info.frames, decoded.audio.frames() as u64, "{file}");
    for (ch, (want, got)) in reference
        .channels
        .iter()
        .zip(&decoded.audio.channels)
        .enumerate()
    {
        check_channel(&format!("{file} channel {ch}"), want, got, tolerance);
    }
    decoded
}

fn check_channel(what: &str, want: &[f32], got: &[f32], tolerance: Tolerance) {
    match tolerance {
        Exact { max_abs } => {
            assert_eq!(got.len(), want.len(), "{what}: length");
            let err = max_abs_diff(want, got);
            assert!(err <= max_abs, "{what}: max error {err:e} > {max_abs:e}");
        }
        Lossy {
            allowed_lag,
            min_snr_db,
            max_len_diff,
        } => {
            let len_diff = got.len().abs_diff(want.len());
            assert!(
                len_diff <= max_len_diff,
                "{what}: {} frames, want {}",
                got.len(),
                want.len()
            );
            let lag = best_lag(want, got, LAG_SEARCH);
            assert!(
                lag.unsigned_abs() <= allowed_lag,
                "{what}: offset by {lag} frames"
            );
            let (r, t) = aligned(want, got, lag);
            let snr = snr_db(&r, &t);
            assert!(
                snr >= min_snr_db,
                "{what}: SNR {snr:.1} dB < {min_snr_db} dB"
            );
        }
    }
}

#[test]
fn wav_float32_reference_is_the_analytic_signal() {
    let reference = reference();
    assert_eq!(reference.frames(), FRAMES_48K);
    // The script stores the double-precision sine rounded to f32.
    let left = sine(48_000, 440.0, -6.0, FRAMES_48K);
    let right = sine(48_000, 660.0, -12.0, FRAMES_48K);
    assert_eq!(max_abs_diff(&reference.channels[0], &left), 0.0);
    assert_eq!(max_abs_diff(&reference.channels[1], &right), 0.0);
}

#[test]
fn wav_pcm16() {
    check("pcm16.wav", PCM16, expect("wave", "pcm_s16le", Some(16)));
}

#[test]
fn wav_pcm24() {
    check("pcm24.wav", PCM24, expect("wave", "pcm_s24le", Some(24)));
}

#[test]
fn wav_pcm32() {
    check("pcm32.wav", PCM32, expect("wave", "pcm_s32le", Some(32)));
}

#[test]
fn wav_float32_extensible() {
    check("f32.wav", LOSSLESS, expect("wave", "pcm_f32le", Some(32)));
}

#[test]
fn wav_float64() {
    check("f64.wav", LOSSLESS, expect("wave", "pcm_f64le", Some(64)));
}

#[test]
fn bwf_with_bext_chunk() {
    check("bwf.wav", PCM24, expect("wave", "pcm_s24le", Some(24)));
}

#[test]
fn aiff_pcm24() {
    check("ref.aiff", PCM24, expect("aiff", "pcm_s24be", Some(24)));
}

#[test]
fn flac16_is_bit_identical_to_pcm16() {
    let flac = check("ref16.flac", PCM16, expect("flac", "flac", Some(16)));
    assert_eq!(flac.audio, decode_fixture("pcm16.wav").audio);
}

#[test]
fn flac24_is_bit_identical_to_pcm24() {
    let flac = check("ref24.flac", PCM24, expect("flac", "flac", Some(24)));
    assert_eq!(flac.audio, decode_fixture("pcm24.wav").audio);
}

/// MP3 at 192 kbit/s; the LAME tag's delay and padding are removed by the
/// decoder, so the length and timing are exact. Observed SNR: 30.4 dB.
#[test]
fn mp3() {
    let tolerance = Lossy {
        allowed_lag: 0,
        min_snr_db: 25.0,
        max_len_diff: 0,
    };
    check("ref.mp3", tolerance, expect("mp3", "mp3", None));
}

/// Ogg Vorbis q6; granule positions give exact length and timing.
/// Observed SNR: 38.8 dB.
#[test]
fn ogg_vorbis() {
    let tolerance = Lossy {
        allowed_lag: 0,
        min_snr_db: 30.0,
        max_len_diff: 0,
    };
    check("ref.ogg", tolerance, expect("ogg", "vorbis", None));
}

/// AAC-LC 192 kbit/s in M4A; the MP4 edit list removes the encoder priming
/// and padding, so the length and timing are exact. Observed SNR: 22.2 dB
/// (the first 1000 frames only reach ~12 dB: the AAC decoder reconstructs
/// the first frame after the priming poorly; 27–37 dB afterwards).
#[test]
fn m4a_aac() {
    let tolerance = Lossy {
        allowed_lag: 0,
        min_snr_db: 20.0,
        max_len_diff: 0,
    };
    check("ref.m4a", tolerance, expect("isomp4", "aac", None));
}

#[test]
fn mono_wav_keeps_one_channel() {
    let decoded = decode_fixture("mono.wav");
    assert_eq!(decoded.info.channels, 1);
    assert_eq!(decoded.audio.channels.len(), 1);
    check_channel(
        "mono.wav",
        &reference().channels[0],
        &decoded.audio.channels[0],
        PCM16,
    );
}

/// 5.1 in WAV order L R C LFE Ls Rs, one frequency per channel (as in the
/// fixture script): six channels, in order.
#[test]
fn six_channel_wav_keeps_channels_and_order() {
    let decoded = decode_fixture("6ch.wav");
    assert_eq!(decoded.info.channels, 6);
    assert_eq!(decoded.audio.channels.len(), 6);
    let six = [
        (220.0, -6.0),
        (330.0, -6.0),
        (440.0, -9.0),
        (110.0, -12.0),
        (550.0, -9.0),
        (660.0, -9.0),
    ];
    for (ch, &(freq, dbfs)) in six.iter().enumerate() {
        let want = sine(48_000, freq, dbfs, FRAMES_48K);
        check_channel(
            &format!("6ch.wav channel {ch}"),
            &want,
            &decoded.audio.channels[ch],
            PCM16,
        );
    }
}

#[test]
fn wav_at_44k1_reports_its_own_rate() {
    let decoded = decode_fixture("pcm24_44k.wav");
    assert_eq!(decoded.info.sample_rate, 44_100);
    assert_eq!(decoded.audio.sample_rate, 44_100);
    assert_eq!(decoded.audio.frames(), FRAMES_44K);
    let want = sine(44_100, 440.0, -6.0, FRAMES_44K);
    check_channel("pcm24_44k.wav", &want, &decoded.audio.channels[0], PCM24);
}
