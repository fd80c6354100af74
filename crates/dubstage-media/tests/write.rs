//! WAV writing: round trips through `decode_file`, rounding and clipping,
//! streaming, and atomicity (no temporary or partial files left behind).

mod common;

use std::fs;
use std::path::Path;

use common::*;
use dubstage_media::{MediaError, WavFileWriter, WavFormat, decode_file, write_wav};

/// Names of the entries in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable directory")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Writes `channels` in `format`, decodes the file, and checks metadata,
/// that no temporary file is left, and that every sample is within
/// `max_abs` of what was written.
fn check(format: WavFormat, channels: &[Vec<f32>], max_abs: f32, codec: &str, bits: u32) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("out.wav");
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    write_wav(&path, format, 48_000, &slices).expect("written");
    assert_eq!(listing(dir.path()), ["out.wav"]);

    let decoded = decode_file(&path).expect("decoded");
    assert!(decoded.warning.is_none());
    assert_eq!(decoded.info.codec, codec);
    assert_eq!(decoded.info.bits_per_sample, Some(bits));
    assert_eq!(decoded.audio.sample_rate, 48_000);
    assert_eq!(decoded.audio.channels.len(), channels.len());
    for (ch, (got, want)) in decoded.audio.channels.iter().zip(channels).enumerate() {
        assert_eq!(got.len(), want.len(), "channel {ch}");
        let err = max_abs_diff(got, want);
        assert!(
            err <= max_abs,
            "{format:?} channel {ch}: error {err:e} > {max_abs:e}"
        );
    }
}

#[test]
fn int16_round_trip_within_half_a_step() {
    check(
        WavFormat::Int16,
        &reference().channels,
        0.5 * LSB16,
        "pcm_s16le",
        16,
    );
}

#[test]
fn int24_round_trip_within_half_a_step() {
    // Half a 24-bit step is at the edge of f32 resolution; allow one step.
    check(
        WavFormat::Int24,
        &reference().channels,
        LSB24,
        "pcm_s24le",
        24,
    );
}

#[test]
fn float32_round_trip_is_exact() {
    check(
        WavFormat::Float32,
        &reference().channels,
        0.0,
        "pcm_f32le",
        32,
    );
}

#[test]
fn float32_keeps_overs() {
    check(
        WavFormat::Float32,
        &[vec![1.5, -2.0, 0.25]],
        0.0,
        "pcm_f32le",
        32,
    );
}

#[test]
fn six_channels_round_trip_in_order() {
    let six: Vec<Vec<f32>> = (0..6)
        .map(|ch| sine(48_000, 100.0 * (ch + 1) as f64, -6.0, 4_800))
        .collect();
    check(WavFormat::Int24, &six, LSB24, "pcm_s24le", 24);
}

#[test]
fn int16_rounds_to_nearest_and_clips() {
    let input = [
        0.6 * LSB16,
        0.4 * LSB16,
        -0.6 * LSB16,
        1.0,
        1.5,
        -1.0,
        -1.5,
        f32::NAN,
    ];
    let expected = [
        LSB16,
        0.0,
        -LSB16,
        32_767.0 * LSB16,
        32_767.0 * LSB16,
        -1.0,
        -1.0,
        0.0,
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.wav");
    write_wav(&path, WavFormat::Int16, 48_000, &[&input]).unwrap();
    assert_eq!(decode_file(&path).unwrap().audio.channels[0], expected);
}

#[test]
fn int24_rounds_to_nearest_and_clips() {
    let input = [0.6 * LSB24, 0.4 * LSB24, 2.0, -2.0];
    let expected = [LSB24, 0.0, 8_388_607.0 * LSB24, -1.0];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.wav");
    write_wav(&path, WavFormat::Int24, 48_000, &[&input]).unwrap();
    assert_eq!(decode_file(&path).unwrap().audio.channels[0], expected);
}

#[test]
fn replaces_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mix.wav");
    fs::write(&path, b"old contents").unwrap();
    write_wav(&path, WavFormat::Float32, 44_100, &[&[0.5, -0.5]]).unwrap();
    let decoded = decode_file(&path).unwrap();
    assert_eq!(decoded.audio.channels, [vec![0.5, -0.5]]);
    assert_eq!(listing(dir.path()), ["mix.wav"]);
}

#[test]
fn missing_directory_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("mix.wav");
    let err = write_wav(&path, WavFormat::Int24, 48_000, &[&[0.0; 16]]).unwrap_err();
    assert!(matches!(err, MediaError::Io { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
    assert!(!path.exists());
    assert!(listing(dir.path()).is_empty());
}

/// The rename onto the destination fails (it is a directory): the error
/// names the path and the temporary file is removed.
#[test]
fn failed_rename_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("taken.wav");
    fs::create_dir(&path).unwrap();
    let err = write_wav(&path, WavFormat::Int16, 48_000, &[&[0.1; 16]]).unwrap_err();
    assert!(matches!(err, MediaError::Io { .. }), "{err:?}");
    assert_eq!(err.path(), Some(path.as_path()));
    assert_eq!(listing(dir.path()), ["taken.wav"]);
}

#[test]
fn invalid_requests_are_rejected_before_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.wav");
    let cases: [(u32, &[&[f32]]); 3] = [
        (48_000, &[&[0.0; 4], &[0.0; 3]]), // ragged channels
        (48_000, &[]),                     // no channels
        (0, &[&[0.0; 4]]),                 // no sample rate
    ];
    for (rate, channels) in cases {
        let err = write_wav(&path, WavFormat::Int16, rate, channels).unwrap_err();
        assert!(matches!(err, MediaError::Write { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with(&path.display().to_string()),
            "{err}"
        );
    }
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn streaming_writer_concatenates_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("render.wav");
    let reference = reference();
    let mut writer = WavFileWriter::create(&path, WavFormat::Float32, 48_000, 2).unwrap();
    let mut start = 0;
    for block in [1, 1_000, 0, 4_095, 6_904] {
        let end = start + block;
        let left = &reference.channels[0][start..end];
        let right = &reference.channels[1][start..end];
        writer.write_planar(&[left, right]).unwrap();
        start = end;
    }
    assert_eq!(writer.frames_written(), FRAMES_48K as u64);
    // Nothing is visible under the final name until `finish`.
    assert!(!path.exists());
    writer.finish().unwrap();
    assert_eq!(listing(dir.path()), ["render.wav"]);
    assert_eq!(&decode_file(&path).unwrap().audio, reference);
}

#[test]
fn streaming_writer_dropped_unfinished_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("render.wav");
    fs::write(&path, b"previous render").unwrap();
    {
        let mut writer = WavFileWriter::create(&path, WavFormat::Int24, 48_000, 1).unwrap();
        writer.write_planar(&[&[0.5; 1_000]]).unwrap();
        assert_eq!(
            listing(dir.path()).len(),
            2,
            "a temporary file while writing"
        );
    }
    assert_eq!(listing(dir.path()), ["render.wav"]);
    assert_eq!(fs::read(&path).unwrap(), b"previous render");
}

#[test]
fn streaming_writer_rejects_a_wrong_channel_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("render.wav");
    let mut writer = WavFileWriter::create(&path, WavFormat::Int16, 48_000, 2).unwrap();
    let err = writer.write_planar(&[&[0.0; 8]]).unwrap_err();
    assert!(matches!(err, MediaError::Write { .. }), "{err:?}");
    // The writer stays usable.
    writer.write_planar(&[&[0.25; 8], &[-0.25; 8]]).unwrap();
    writer.finish().unwrap();
    assert_eq!(decode_file(&path).unwrap().audio.frames(), 8);
}

#[test]
fn empty_render_is_a_valid_file_without_frames() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("silence.wav");
    write_wav(&path, WavFormat::Int16, 48_000, &[&[], &[]]).unwrap();
    let err = decode_file(&path).unwrap_err();
    assert!(matches!(err, MediaError::NoFrames { .. }), "{err:?}");
}
