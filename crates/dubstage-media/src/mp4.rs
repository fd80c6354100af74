//! MP4/M4A edit lists, for sample-accurate AAC (and ALAC) import.
//!
//! AAC encoders prepend "priming" frames (ffmpeg and Apple: 1024 or 2112
//! samples) and pad the last packet. MP4 records the playable span in the
//! track's edit list (`moov/trak/edts/elst`): skip `media_time` samples, then
//! play `segment_duration`. symphonia 0.6 parses but does not apply it, so a
//! decoded M4A would start ~21 ms late — a visible sync error against
//! picture. [`read_audio_edit`] reads the edit of the decoded track and
//! [`AudioEdit::apply`] trims the decoded audio accordingly.
//!
//! Only the common shape is applied: exactly one non-empty edit at normal
//! speed. Anything else (empty edits, several segments, speed changes) is
//! left alone, matching what symphonia would play.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// A `moov` box larger than this is not read (audio files have a few KB to a
/// few MB; this bounds memory on malformed input).
const MAX_MOOV_LEN: u64 = 64 * 1024 * 1024;

/// Top-level boxes examined before giving up.
const MAX_TOP_LEVEL_BOXES: usize = 1024;

/// The playable span of an MP4 audio track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AudioEdit {
    /// Samples to skip at the start, in the media time scale.
    media_time: u64,
    /// Samples to keep, in the media time scale, if known.
    media_duration: Option<u64>,
    /// The media (`mdhd`) time scale.
    media_timescale: u32,
}

impl AudioEdit {
    /// Trims planar audio at `sample_rate` to the edit's span.
    pub(crate) fn apply(&self, channels: &mut [Vec<f32>], sample_rate: u32) {
        let to_frames = |t: u64| -> usize {
            let frames = (u128::from(t) * u128::from(sample_rate)
                + u128::from(self.media_timescale) / 2)
                / u128::from(self.media_timescale);
            usize::try_from(frames).unwrap_or(usize::MAX)
        };
        let skip = to_frames(self.media_time);
        let keep = self.media_duration.map(to_frames);
        for channel in channels {
            channel.drain(..skip.min(channel.len()));
            if let Some(keep) = keep {
                channel.truncate(keep);
            }
        }
    }
}

/// Reads the edit list of the audio track with `tkhd` id `track_id`.
/// `Ok(None)` when there is nothing (applicable) to apply.
pub(crate) fn read_audio_edit(path: &Path, track_id: u32) -> io::Result<Option<AudioEdit>> {
    let mut file = File::open(path)?;
    let Some(moov) = read_moov(&mut file)? else {
        return Ok(None);
    };
    let Some(movie_timescale) = child(&moov, b"mvhd").and_then(mvhd_timescale) else {
        return Ok(None);
    };
    Ok(boxes(&moov)
        .filter(|(kind, _)| kind == b"trak")
        .find_map(|(_, trak)| track_edit(trak, track_id, movie_timescale)))
}

fn read_moov(file: &mut File) -> io::Result<Option<Vec<u8>>> {
    let file_len = file.metadata()?.len();
    let mut pos = 0u64;
    for _ in 0..MAX_TOP_LEVEL_BOXES {
        if pos + 8 > file_len {
            return Ok(None);
        }
        file.seek(SeekFrom::Start(pos))?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8])?;
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        let (size, header_len) =
            match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
                0 => (file_len - pos, 8),
                1 => {
                    if pos + 16 > file_len {
                        return Ok(None);
                    }
                    file.read_exact(&mut header[8..16])?;
                    (be_u64(&header[8..16]).unwrap_or(0), 16)
                }
                n => (u64::from(n), 8),
            };
        if size < header_len || pos.checked_add(size).is_none_or(|end| end > file_len) {
            return Ok(None);
        }
        if &kind == b"moov" {
            let len = size - header_len;
            if len > MAX_MOOV_LEN {
                return Ok(None);
            }
            // Bounded by MAX_MOOV_LEN above.
            let mut moov = vec![0u8; len as usize];
            file.read_exact(&mut moov)?;
            return Ok(Some(moov));
        }
        pos += size;
    }
    Ok(None)
}

/// Iterates over the boxes in `data` as (type, payload).
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let size = usize::try_from(be_u32(rest.get(0..4)?)?).ok()?;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (size, header_len) = match size {
            0 => (rest.len(), 8),
            1 => (usize::try_from(be_u64(rest.get(8..16)?)?).ok()?, 16),
            n => (n, 8),
        };
        let payload = rest.get(header_len..size)?;
        rest = &rest[size..];
        Some((kind, payload))
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| k == kind).map(|(_, p)| p)
}

fn be_u16(b: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(0..2)?.try_into().ok()?))
}

fn be_u32(b: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(0..4)?.try_into().ok()?))
}

fn be_u64(b: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(0..8)?.try_into().ok()?))
}

/// `mvhd` and `mdhd` share the layout up to the duration:
/// version/flags, creation and modification times (32 or 64 bit), time
/// scale, duration (32 or 64 bit).
fn header_timescale_and_duration(payload: &[u8]) -> Option<(u32, u64)> {
    match payload.first()? {
        0 => Some((
            be_u32(payload.get(12..)?)?,
            u64::from(be_u32(payload.get(16..)?)?),
        )),
        1 => Some((be_u32(payload.get(20..)?)?, be_u64(payload.get(24..)?)?)),
        _ => None,
    }
}

fn mvhd_timescale(payload: &[u8]) -> Option<u32> {
    header_timescale_and_duration(payload)
        .map(|(ts, _)| ts)
        .filter(|&ts| ts > 0)
}

fn tkhd_track_id(payload: &[u8]) -> Option<u32> {
    match payload.first()? {
        0 => be_u32(payload.get(12..)?),
        1 => be_u32(payload.get(20..)?),
        _ => None,
    }
}

struct Edit {
    segment_duration: u64,
    media_time: i64,
    rate: (u16, u16),
}

fn elst_entries(payload: &[u8]) -> Option<Vec<Edit>> {
    let version = *payload.first()?;
    let count = usize::try_from(be_u32(payload.get(4..)?)?).ok()?;
    let entry_len = if version == 1 { 20 } else { 12 };
    let table = payload.get(8..)?;
    if table.len() / entry_len < count {
        return None;
    }
    (0..count)
        .map(|i| {
            let e = &table[i * entry_len..];
            Some(if version == 1 {
                Edit {
                    segment_duration: be_u64(e)?,
                    media_time: i64::from_be_bytes(e.get(8..16)?.try_into().ok()?),
                    rate: (be_u16(e.get(16..)?)?, be_u16(e.get(18..)?)?),
                }
            } else {
                Edit {
                    segment_duration: u64::from(be_u32(e)?),
                    media_time: i64::from(i32::from_be_bytes(e.get(4..8)?.try_into().ok()?)),
                    rate: (be_u16(e.get(8..)?)?, be_u16(e.get(10..)?)?),
                }
            })
        })
        .collect()
}

fn track_edit(trak: &[u8], track_id: u32, movie_timescale: u32) -> Option<AudioEdit> {
    if tkhd_track_id(child(trak, b"tkhd")?)? != track_id {
        return None;
    }
    let mdia = child(trak, b"mdia")?;
    let (media_timescale, media_total) = header_timescale_and_duration(child(mdia, b"mdhd")?)?;
    if media_timescale == 0 {
        return None;
    }
    let entries = elst_entries(child(child(trak, b"edts")?, b"elst")?)?;
    // Exactly one real edit at normal speed; zero-length entries are no-ops.
    let mut real = entries
        .iter()
        .filter(|e| e.segment_duration > 0 || e.media_time >= 0);
    let edit = real.next()?;
    if real.next().is_some() || edit.media_time < 0 || edit.rate != (1, 0) {
        return None;
    }
    let media_time = u64::try_from(edit.media_time).ok()?;

    // The segment duration is in the movie time scale, often milliseconds,
    // so it can be off by up to one movie tick. When it agrees with the
    // media duration (in samples) within that, trust the exact one.
    let media_duration = if edit.segment_duration == 0 {
        None
    } else {
        let from_segment = u128::from(edit.segment_duration) * u128::from(media_timescale)
            / u128::from(movie_timescale);
        let from_media = u128::from(media_total.saturating_sub(media_time));
        let tick = u128::from(media_timescale / movie_timescale) + 1;
        let exact = if from_segment.abs_diff(from_media) <= tick {
            from_media
        } else {
            from_segment
        };
        Some(u64::try_from(exact).ok()?)
    };
    Some(AudioEdit {
        media_time,
        media_duration,
        media_timescale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(payload);
        v
    }

    fn movie(media_time: i32, segment_ms: u32, media_total: u32, track_id: u32) -> Vec<u8> {
        let mut mvhd = vec![0u8; 12];
        mvhd.extend_from_slice(&1000u32.to_be_bytes());
        mvhd.extend_from_slice(&segment_ms.to_be_bytes());
        let mut tkhd = vec![0u8; 12];
        tkhd.extend_from_slice(&track_id.to_be_bytes());
        let mut mdhd = vec![0u8; 12];
        mdhd.extend_from_slice(&48_000u32.to_be_bytes());
        mdhd.extend_from_slice(&media_total.to_be_bytes());
        let mut elst = vec![0, 0, 0, 0];
        elst.extend_from_slice(&1u32.to_be_bytes());
        elst.extend_from_slice(&segment_ms.to_be_bytes());
        elst.extend_from_slice(&media_time.to_be_bytes());
        elst.extend_from_slice(&[0, 1, 0, 0]);
        let trak = [
            mp4_box(b"tkhd", &tkhd),
            mp4_box(b"edts", &mp4_box(b"elst", &elst)),
            mp4_box(b"mdia", &mp4_box(b"mdhd", &mdhd)),
        ]
        .concat();
        let moov = [mp4_box(b"mvhd", &mvhd), mp4_box(b"trak", &trak)].concat();
        [
            mp4_box(b"ftyp", b"M4A \0\0\0\0"),
            mp4_box(b"mdat", &[0u8; 100]),
            mp4_box(b"moov", &moov),
        ]
        .concat()
    }

    fn edit_of(bytes: &[u8], track_id: u32) -> Option<AudioEdit> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.m4a");
        std::fs::write(&path, bytes).unwrap();
        read_audio_edit(&path, track_id).unwrap()
    }

    #[test]
    fn priming_and_padding_are_read_exactly() {
        // 1024 priming samples, 250 ms = 12 000 samples of program.
        let edit = edit_of(&movie(1024, 250, 13_024, 1), 1).unwrap();
        assert_eq!(edit.media_time, 1024);
        assert_eq!(edit.media_duration, Some(12_000));
        let mut channels = vec![(0..14_000).map(|i| i as f32).collect::<Vec<_>>()];
        edit.apply(&mut channels, 48_000);
        assert_eq!(channels[0].len(), 12_000);
        assert_eq!(channels[0][0], 1024.0);
    }

    #[test]
    fn other_track_or_empty_edit_is_ignored() {
        assert!(edit_of(&movie(1024, 250, 13_024, 1), 2).is_none());
        assert!(edit_of(&movie(-1, 250, 13_024, 1), 1).is_none());
    }

    #[test]
    fn garbage_is_ignored() {
        assert!(edit_of(b"not an mp4 at all, just text", 1).is_none());
        let mut truncated = movie(1024, 250, 13_024, 1);
        truncated.truncate(truncated.len() - 10);
        assert!(edit_of(&truncated, 1).is_none());
    }
}
