//! Hostile media: implausible sample rates, files whose decoded size passes
//! the memory budget, non-finite samples, and paths that are not regular
//! files. Each case once crashed, exhausted memory or misreported.

use std::path::Path;

use dubstage_media::library::read_header;
use dubstage_media::{MediaError, decode_file, decode_file_within, load_for_project_within};

/// A canonical PCM WAV header + data (`format` 1 = int, 3 = float).
fn wav_bytes(rate: u32, channels: u16, bits: u16, format: u16, data: &[u8]) -> Vec<u8> {
    let block = channels * bits / 8;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&format.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    b.extend_from_slice(&block.to_le_bytes());
    b.extend_from_slice(&bits.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(data);
    b
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

#[test]
fn a_wav_declaring_one_hertz_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    // 40 KB of 16-bit mono at 1 Hz: 20,480 "seconds", 983 M frames at 48 kHz.
    let p = write(
        dir.path(),
        "one_hz.wav",
        &wav_bytes(1, 1, 16, 1, &[0u8; 40_960]),
    );
    let err = decode_file(&p).expect_err("refused");
    let msg = err.to_string();
    assert!(matches!(err, MediaError::Unsupported { .. }), "{msg}");
    assert!(
        msg.contains("one_hz.wav") && msg.contains("1 Hz is below"),
        "{msg}"
    );
    let header = read_header(&p).expect_err("the library refuses it too");
    assert!(header.contains("1 Hz"), "{header}");
}

#[test]
fn decoding_past_the_memory_budget_is_refused_before_it_happens() {
    let dir = tempfile::tempdir().expect("dir");
    // 8000 Hz mono, 96,000 frames: 384 KB decoded, 4.6 MB at 384 kHz.
    let p = write(
        dir.path(),
        "long.wav",
        &wav_bytes(8000, 1, 16, 1, &vec![0u8; 192_000]),
    );
    // The header's length alone is over a 100 KB budget.
    let err = decode_file_within(&p, 100_000).expect_err("over budget");
    assert!(matches!(err, MediaError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("long.wav"), "{err}");
    // Decoding fits 1 MB, resampling 8 kHz to 384 kHz does not.
    assert!(decode_file_within(&p, 1_000_000).is_ok());
    let err = load_for_project_within(&p, 384_000, 1_000_000).expect_err("resample over");
    assert!(matches!(err, MediaError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("too large to load"), "{err}");
    // Within the budget the same file loads.
    let ok = load_for_project_within(&p, 48_000, 10_000_000).expect("fits");
    assert_eq!(ok.audio.frames(), 576_000);
}

#[test]
fn non_finite_samples_become_silence_with_a_warning_naming_the_position() {
    let dir = tempfile::tempdir().expect("dir");
    let mut samples = vec![0.25f32; 48_000];
    samples[24_000] = f32::NAN;
    samples[30_000] = f32::INFINITY;
    samples[30_001] = f32::NEG_INFINITY;
    let data: Vec<u8> = samples.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(dir.path(), "nan.wav", &wav_bytes(48_000, 1, 32, 3, &data));
    let d = decode_file(&p).expect("decodes");
    assert!(d.audio.channels[0].iter().all(|v| v.is_finite()));
    assert_eq!(d.audio.channels[0][24_000], 0.0);
    assert_eq!(d.audio.channels[0][30_001], 0.0);
    assert_eq!(d.audio.channels[0][1], 0.25);
    let w = d.warning.expect("a warning").to_string();
    assert!(
        w.contains("nan.wav") && w.contains("3 non-finite") && w.contains("0:00:00.500"),
        "{w}"
    );
}

#[cfg(unix)]
#[test]
fn pipes_devices_and_virtual_files_are_not_called_empty() {
    let dir = tempfile::tempdir().expect("dir");
    let fifo = dir.path().join("pipe.wav");
    let c = std::ffi::CString::new(fifo.to_str().expect("utf8")).expect("c");
    // SAFETY: mkfifo on a NUL-terminated path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for p in [
        fifo.as_path(),
        Path::new("/dev/zero"),
        Path::new("/proc/self/status"),
    ] {
        let err = decode_file(p).expect_err("refused").to_string();
        assert!(err.contains("not a regular file"), "{}: {err}", p.display());
        let header = read_header(p).expect_err("refused");
        assert!(
            header.contains("not a regular file"),
            "{}: {header}",
            p.display()
        );
    }
}

fn ramp(frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|i| ((i % 1000) as f32 / 1000.0) - 0.5)
        .collect()
}

/// An RF64 file of ours (every size in `ds64`), then the same as BW64 and
/// with a chunk after the sound data: each decodes to exactly the samples.
#[test]
fn rf64_and_bw64_files_decode() {
    use dubstage_media::{WavFileWriter, WavFormat};
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("long.wav");
    let x = ramp(48_000);
    let mut w = WavFileWriter::create(&p, WavFormat::Float32, 48_000, 1)
        .expect("create")
        .rf64_above(0);
    w.write_planar(&[&x]).expect("write");
    w.finish().expect("finish");
    let bytes = std::fs::read(&p).expect("read");
    assert_eq!(&bytes[..4], b"RF64");
    assert_eq!(&bytes[12..16], b"ds64");
    let check = |p: &Path| {
        let d = decode_file(p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.audio.channels[0], x, "{}", p.display());
        assert!(d.warning.is_none(), "{:?}", d.warning);
        let h = read_header(p).expect("header");
        assert_eq!((h.sample_rate, h.frames), (48_000, 48_000));
    };
    check(&p);
    let mut bw64 = bytes.clone();
    bw64[..4].copy_from_slice(b"BW64");
    let q = write(dir.path(), "bw64.wav", &bw64);
    check(&q);
    // A chunk after the data (iXML or LIST often follow it in RF64).
    let mut tail = bytes.clone();
    tail.extend_from_slice(b"LIST\x08\x00\x00\x00INFOabcd");
    let t = write(dir.path(), "tail.wav", &tail);
    check(&t);
}

/// ffmpeg's `-rf64 always` output, once "unrecognised format".
#[test]
fn an_rf64_file_from_ffmpeg_decodes() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("ff.wav");
    let ok = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=1000:sample_rate=48000:duration=2")
        .args(["-c:a", "pcm_s24le", "-rf64", "always"])
        .arg(&p)
        .status()
        .expect("ffmpeg runs (installed by make test)")
        .success();
    assert!(ok);
    assert_eq!(&std::fs::read(&p).expect("read")[..4], b"RF64");
    let d = decode_file(&p).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.audio.frames(), 96_000);
    let peak = d.audio.channels[0].iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!((peak - 0.125).abs() < 0.01, "{peak}");
}
