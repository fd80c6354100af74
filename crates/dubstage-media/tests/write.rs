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

/// A second, independent reader (hound) gets back exactly the samples
/// written, in every format and channel layout, with an odd frame count
/// (the pad byte after 16-bit mono data).
#[test]
fn hound_reads_every_format_and_layout_back_exactly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for channels in [1usize, 2, 6] {
        let data: Vec<Vec<f32>> = (0..channels)
            .map(|c| {
                (0..1001)
                    .map(|i| ((i * 37 + c * 101) % 2001) as f32 / 1000.0 - 1.0)
                    .collect()
            })
            .collect();
        let slices: Vec<&[f32]> = data.iter().map(Vec::as_slice).collect();
        for (format, bits) in [
            (WavFormat::Int16, 16u16),
            (WavFormat::Int24, 24),
            (WavFormat::Float32, 32),
        ] {
            let path = dir.path().join(format!("{channels}-{bits}.wav"));
            write_wav(&path, format, 44_100, &slices).expect("written");
            let mut r = hound::WavReader::open(&path).expect("hound opens it");
            let spec = r.spec();
            assert_eq!(
                (
                    spec.channels as usize,
                    spec.sample_rate,
                    spec.bits_per_sample
                ),
                (channels, 44_100, bits)
            );
            assert_eq!(r.duration(), 1001);
            let got: Vec<f64> = if format == WavFormat::Float32 {
                r.samples::<f32>()
                    .map(|s| f64::from(s.expect("sample")))
                    .collect()
            } else {
                let scale = f64::from(1u32 << (bits - 1));
                r.samples::<i32>()
                    .map(|s| f64::from(s.expect("sample")) / scale)
                    .collect()
            };
            let step = if bits == 32 {
                0.0
            } else {
                1.0 / f64::from(1u32 << (bits - 1))
            };
            for (i, g) in got.iter().enumerate() {
                let want = f64::from(data[i % channels][i / channels]).clamp(-1.0, 1.0 - step);
                assert!(
                    (g - want).abs() <= step / 2.0 + 1e-9,
                    "{channels} ch {bits} bit sample {i}: {g} vs {want}"
                );
            }
        }
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

mod bwf_and_dither {
    use dubstage_media::{BwfInfo, WavFileWriter, WavFormat, decode_file};
    use std::path::Path;

    /// The chunks of a RIFF/WAVE file: (id, offset of the body, body).
    fn chunks(bytes: &[u8]) -> Vec<([u8; 4], usize, &[u8])> {
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(&bytes[8..12], b"WAVE");
        let riff = u32::from_le_bytes(bytes[4..8].try_into().expect("test data")) as usize;
        assert_eq!(riff + 8, bytes.len(), "RIFF size covers the file");
        let mut out = Vec::new();
        let mut i = 12;
        while i + 8 <= bytes.len() {
            let id: [u8; 4] = bytes[i..i + 4].try_into().expect("test data");
            let n = u32::from_le_bytes(bytes[i + 4..i + 8].try_into().expect("test data")) as usize;
            out.push((id, i + 8, &bytes[i + 8..i + 8 + n]));
            i += 8 + n + (n & 1);
        }
        out
    }

    fn text(b: &[u8]) -> String {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        String::from_utf8_lossy(&b[..end]).into_owned()
    }

    #[test]
    fn bext_and_ixml_follow_tech_3285_and_the_audio_is_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mix.wav");
        let info = BwfInfo {
            description: "Kitchen - Night, master".into(),
            originator: "Dubstage".into(),
            originator_reference: "DUBSTAGE-0001".into(),
            origination_date: "2026-11-23".into(),
            origination_time: "14:05:09".into(),
            // 01:00:00:00 at 48 kHz.
            time_reference: 3600 * 48_000,
            ixml: Some("<?xml version=\"1.0\"?><BWFXML><PROJECT>Kitchen</PROJECT></BWFXML>".into()),
        };
        let l: Vec<f32> = (0..4800).map(|i| (i as f32 / 4800.0) - 0.5).collect();
        let r: Vec<f32> = l.iter().map(|v| -v).collect();
        let mut w = WavFileWriter::create(&path, WavFormat::Int24, 48_000, 2)
            .unwrap()
            .with_bwf(info.clone());
        w.write_planar(&[&l, &r]).unwrap();
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let cs = chunks(&bytes);
        let ids: Vec<&[u8; 4]> = cs.iter().map(|c| &c.0).collect();
        assert_eq!(
            ids,
            [b"JUNK", b"fmt ", b"bext", b"iXML", b"data"],
            "room for ds64 first (EBU Tech 3306), bext before the audio"
        );
        assert_eq!(cs[0].2.len(), 28);
        let bext = cs[2].2;
        assert_eq!(bext.len(), 602);
        assert_eq!(text(&bext[0..256]), info.description);
        assert_eq!(text(&bext[256..288]), "Dubstage");
        assert_eq!(text(&bext[288..320]), "DUBSTAGE-0001");
        assert_eq!(&bext[320..330], b"2026-11-23");
        assert_eq!(&bext[330..338], b"14:05:09");
        let low = u32::from_le_bytes(bext[338..342].try_into().unwrap());
        let high = u32::from_le_bytes(bext[342..346].try_into().unwrap());
        assert_eq!((u64::from(high) << 32) | u64::from(low), 172_800_000);
        assert_eq!(u16::from_le_bytes(bext[346..348].try_into().unwrap()), 2);
        assert_eq!(
            String::from_utf8_lossy(cs[3].2).trim_end(),
            info.ixml.unwrap()
        );
        assert_eq!(
            cs[3].2.len() % 2,
            0,
            "no pad byte for readers that forget it"
        );
        // hound (which skips unknown chunks) reads it too.
        assert_eq!(hound::WavReader::open(&path).unwrap().duration(), 4800);
        assert_eq!(cs[4].2.len(), 4800 * 2 * 3);
        // Readers still see the same audio.
        let d = decode_file(&path).unwrap();
        assert_eq!(d.audio.frames(), 4800);
        for (a, b) in d.audio.channels[0].iter().zip(&l) {
            assert!((a - b).abs() < 1e-6);
        }
        // And ffprobe (another tool) reads the time reference.
        let out = std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format_tags=time_reference",
                "-of",
                "flat",
            ])
            .arg(&path)
            .output()
            .expect("ffprobe is installed by make test");
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains("172800000"), "{s}");
    }

    fn silence_16(path: &Path, dither: bool) -> Vec<i16> {
        let mut w = WavFileWriter::create(path, WavFormat::Int16, 48_000, 1)
            .expect("test data")
            .with_dither(dither);
        w.write_planar(&[&vec![0.0f32; 96_000]]).expect("test data");
        w.finish().expect("test data");
        let mut r = hound::WavReader::open(path).expect("test data");
        r.samples::<i16>().map(|s| s.expect("test data")).collect()
    }

    #[test]
    fn tpdf_dither_adds_the_predicted_noise_only_when_on() {
        let dir = tempfile::tempdir().unwrap();
        let plain = silence_16(&dir.path().join("plain.wav"), false);
        assert!(plain.iter().all(|&s| s == 0));
        let dithered = silence_16(&dir.path().join("dither.wav"), true);
        assert!(dithered.iter().all(|s| s.abs() <= 1), "TPDF spans ±1 LSB");
        // Rounding triangular noise on (-1, 1) LSB gives ±1 with probability
        // 1/4: a mean square of 0.25 LSB² and a mean of 0.
        let n = dithered.len() as f64;
        let ms = dithered.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / n;
        let mean = dithered.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
        assert!((ms - 0.25).abs() < 0.01, "{ms}");
        assert!(mean.abs() < 0.01, "{mean}");
    }
}
