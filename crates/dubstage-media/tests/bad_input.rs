//! Damaged, empty, foreign and absurd inputs give typed errors (or, when
//! audio can be recovered, a result with a warning) whose message is one line
//! naming the file — and never a panic.

mod common;

use std::path::Path;

use common::*;
use dubstage_media::{MediaError, decode_file};

/// What decoding a bad file must produce.
enum Outcome {
    /// An error of the given kind whose message contains `cause`.
    Err(fn(&MediaError) -> bool, &'static str),
    /// Audio of `frames` frames plus a warning of the given kind whose
    /// message contains `cause`.
    Warn(usize, fn(&MediaError) -> bool, &'static str),
}

use Outcome::*;

fn empty(e: &MediaError) -> bool {
    matches!(e, MediaError::Empty { .. })
}
fn no_frames(e: &MediaError) -> bool {
    matches!(e, MediaError::NoFrames { .. })
}
fn unsupported(e: &MediaError) -> bool {
    matches!(e, MediaError::Unsupported { .. })
}
fn corrupt(e: &MediaError) -> bool {
    matches!(e, MediaError::Corrupt { .. })
}
fn io(e: &MediaError) -> bool {
    matches!(e, MediaError::Io { .. })
}
fn truncated(e: &MediaError) -> bool {
    matches!(e, MediaError::Truncated { .. })
}
fn damaged(e: &MediaError) -> bool {
    matches!(e, MediaError::DamagedPackets { .. })
}

/// A user-facing message: one line, starting with the full path.
fn assert_readable(path: &Path, err: &MediaError) {
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}: ", path.display())),
        "message does not start with the path: {msg}"
    );
    assert!(!msg.contains('\n'), "message is not one line: {msg}");
    assert!(!msg.contains("crashed"), "the decoder panicked: {msg}");
    assert_eq!(err.path(), Some(path));
}

fn check(path: &Path, outcome: Outcome) {
    let result = decode_file(path);
    match (outcome, result) {
        (Err(kind, cause), Result::Err(err)) => {
            assert_readable(path, &err);
            assert!(kind(&err), "wrong kind: {err:?}");
            assert!(err.to_string().contains(cause), "{err} lacks {cause:?}");
        }
        (Warn(frames, kind, cause), Ok(decoded)) => {
            let warning = decoded.warning.expect("a warning");
            assert_readable(path, &warning);
            assert!(kind(&warning), "wrong kind: {warning:?}");
            assert!(
                warning.to_string().contains(cause),
                "{warning} lacks {cause:?}"
            );
            assert_eq!(decoded.audio.frames(), frames);
            assert_eq!(decoded.info.frames, frames as u64);
        }
        (_, Ok(decoded)) => panic!("{}: decoded {:?}", path.display(), decoded.info),
        (_, Result::Err(err)) => panic!("{}: unexpected error {err:?}", path.display()),
    }
}

#[test]
fn zero_length_wav() {
    check(&bad("empty.wav"), Err(empty, "file is empty"));
}

#[test]
fn header_without_frames() {
    check(
        &bad("no_frames.wav"),
        Err(no_frames, "contains no audio frames"),
    );
}

#[test]
fn header_cut_inside_fmt_chunk() {
    check(&bad("truncated_header.wav"), Err(corrupt, "cut off"));
}

#[test]
fn header_claiming_zero_channels() {
    check(&bad("zero_channels.wav"), Err(corrupt, "channel"));
}

#[test]
fn random_bytes_named_wav() {
    check(&bad("random.wav"), Err(unsupported, "unrecognised format"));
}

#[test]
fn random_bytes_named_flac() {
    check(&bad("random.flac"), Err(unsupported, "unrecognised format"));
}

#[test]
fn random_bytes_named_mp3() {
    check(&bad("random.mp3"), Err(unsupported, "unrecognised format"));
}

#[test]
fn text_named_ogg() {
    check(&bad("text.ogg"), Err(unsupported, "unrecognised format"));
}

#[test]
fn missing_file() {
    check(&bad("does-not-exist.wav"), Err(io, "No such file"));
}

#[test]
fn directory() {
    check(&bad(""), Err(io, "directory"));
}

/// Header intact (12 000 frames declared), sample data cut at 40 %: every
/// frame on disk is kept.
#[test]
fn wav_truncated_mid_data_keeps_what_is_there() {
    check(
        &bad("truncated.wav"),
        Warn(4_800, truncated, "declares 12000 frames"),
    );
    let decoded = decode_file(&bad("truncated.wav")).expect("recoverable");
    let pcm16 = decode_fixture("pcm16.wav").audio;
    for (cut, full) in decoded.audio.channels.iter().zip(&pcm16.channels) {
        assert_eq!(cut[..], full[..4_800]);
    }
}

/// RIFF and data sizes claim ~2 GB; the file is otherwise complete.
#[test]
fn wav_sizes_larger_than_file() {
    check(
        &bad("wrong_sizes.wav"),
        Warn(FRAMES_48K, truncated, "declares"),
    );
}

/// A damaged FLAC frame (the first of three) is skipped by the reader; it is
/// replaced by silence so the remaining frames keep their position.
#[test]
fn flac_with_damaged_frame_keeps_timing() {
    check(
        &bad("corrupt_frame.flac"),
        Warn(FRAMES_48K, damaged, "1 damaged packet"),
    );
    let decoded = decode_file(&bad("corrupt_frame.flac")).expect("recoverable");
    let pcm16 = decode_fixture("pcm16.wav").audio;
    let first_good = decoded.audio.channels[0]
        .iter()
        .position(|&s| s != 0.0)
        .expect("some audio survives");
    assert!(first_good > 0, "the damaged frame was not replaced");
    for (got, want) in decoded.audio.channels.iter().zip(&pcm16.channels) {
        assert!(got[..first_good].iter().all(|&s| s == 0.0));
        assert_eq!(got[first_good..], want[first_good..]);
    }
}

/// AIFF cut mid-data: symphonia alone refuses it; the frames on disk are kept.
#[test]
fn aiff_truncated_mid_data_keeps_what_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.aiff");
    let bytes = std::fs::read(fixture("ref.aiff")).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let decoded = decode_file(&path).expect("recoverable");
    let warning = decoded.warning.expect("a warning");
    assert!(truncated(&warning), "{warning:?}");
    assert_readable(&path, &warning);
    let frames = decoded.audio.frames();
    assert!((5_900..6_000).contains(&frames), "{frames} frames");
    let full = decode_fixture("ref.aiff").audio;
    assert_eq!(decoded.audio.channels[0][..], full.channels[0][..frames]);
}

/// Every fixture cut at many points and with bytes overwritten at many
/// places: decoding returns `Ok` or a readable `Err`, never panics, and
/// never reports a decoder crash on these inputs.
#[test]
fn damaged_fixtures_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "pcm16.wav",
        "pcm24.wav",
        "f32.wav",
        "bwf.wav",
        "6ch.wav",
        "ref.aiff",
        "ref16.flac",
        "ref.mp3",
        "ref.ogg",
        "ref.m4a",
    ];
    for name in names {
        let original = std::fs::read(fixture(name)).unwrap();
        let path = dir.path().join(name);
        let len = original.len();
        for step in 1..=16 {
            let at = len * step / 17;
            // Cut off.
            std::fs::write(&path, &original[..at]).unwrap();
            decode_is_graceful(&path);
            // 64 bytes overwritten with a deterministic pattern.
            let mut damaged = original.clone();
            for (i, byte) in damaged[at..(at + 64).min(len)].iter_mut().enumerate() {
                *byte = (i as u8).wrapping_mul(151).wrapping_add(step as u8);
            }
            std::fs::write(&path, &damaged).unwrap();
            decode_is_graceful(&path);
        }
    }
}

fn decode_is_graceful(path: &Path) {
    match decode_file(path) {
        Ok(decoded) => {
            let frames = decoded.audio.frames();
            assert!(frames > 0);
            assert!(decoded.audio.channels.iter().all(|c| c.len() == frames));
            if let Some(warning) = &decoded.warning {
                assert_readable(path, warning);
            }
        }
        Result::Err(err) => assert_readable(path, &err),
    }
}
