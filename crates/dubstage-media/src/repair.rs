//! Recovery of cut-off WAV, AIFF and MP4 files.
//!
//! A WAV or AIFF recording or copy that was interrupted keeps its header,
//! which still declares the full sound data size, while the file ends
//! earlier. symphonia reads packets of many frames and drops a packet it
//! cannot read completely (and its AIFF reader refuses the file outright), so
//! the audio near the cut would be lost. Instead, [`plan_repair`] walks the
//! chunks and, if the sound data chunk (`data` / `SSND`) claims more bytes
//! than the file holds, [`crate::source::FileSource`] presents the file to symphonia with
//! that chunk's size and the container size rewritten to what is actually on
//! disk (whole frames only). The file itself is never modified.
//!
//! WAV files written by streaming recorders that leave the sizes at
//! `0xFFFFFFFF` ("unknown") are handled the same way but not reported as
//! truncated.
//!
//! Likewise an MP4/M4A file whose last box (`mdat`, the media data) is cut
//! off is rejected by symphonia as a whole; its size is presented as ending
//! at the end of the file, so the packets before the cut can be decoded.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// Upper bound on chunks examined before giving up (a valid file has a
/// handful; this bounds the work on garbage).
const MAX_CHUNKS: usize = 1024;

/// Size value streaming writers use for "unknown length".
const UNKNOWN_SIZE: u32 = u32::MAX;

/// How to present a cut-off file consistently.
#[derive(Debug, Clone)]
pub(crate) struct Repair {
    /// Bytes to show instead of the file's at the given offsets.
    pub(crate) patches: Vec<(u64, u8)>,
    /// Frames the header declared, `None` if unknown or not stated.
    pub(crate) frames_declared: Option<u64>,
    /// Where the presented file ends (the end of an RF64 file's sound
    /// data, so chunks after it are not read as sound).
    pub(crate) end: Option<u64>,
}

/// Byte patches writing `bytes` at `offset`.
fn patch(offset: u64, bytes: &[u8]) -> impl Iterator<Item = (u64, u8)> + '_ {
    (offset..).zip(bytes.iter().copied())
}

#[derive(Clone, Copy)]
enum Family {
    /// RIFF/WAVE: little-endian sizes, `fmt ` and `data` chunks.
    Wave,
    /// FORM/AIFF or FORM/AIFC: big-endian sizes, `COMM` and `SSND` chunks.
    Aiff { compressed: bool },
}

impl Family {
    fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Family::Wave => u32::from_le_bytes(b),
            Family::Aiff { .. } => u32::from_be_bytes(b),
        }
    }

    fn bytes(self, v: u32) -> [u8; 4] {
        match self {
            Family::Wave => v.to_le_bytes(),
            Family::Aiff { .. } => v.to_be_bytes(),
        }
    }
}

/// Inspects a file that may be a WAV or AIFF file. Returns `Some` only when
/// its sound data chunk extends past the end of the file. The file position
/// is left at the start.
pub(crate) fn plan_repair(file: &mut File, file_len: u64) -> io::Result<Option<Repair>> {
    let plan = scan(file, file_len);
    file.seek(SeekFrom::Start(0))?;
    plan
}

fn scan(file: &mut File, file_len: u64) -> io::Result<Option<Repair>> {
    let mut header = [0u8; 12];
    if file_len < 12 || read_fully(file, &mut header)? < 12 {
        return Ok(None);
    }
    if &header[4..8] == b"ftyp" {
        return scan_mp4(file, file_len);
    }
    // RF64 and BW64 (EBU Tech 3306, ITU-R BS.2088) are WAVE files whose
    // 64-bit sizes live in a `ds64` chunk; they are presented as RIFF.
    let rf64 = matches!(&header[0..4], b"RF64" | b"BW64") && &header[8..12] == b"WAVE";
    let mut ds64_data: Option<u64> = None;
    let family = match (&header[0..4], &header[8..12]) {
        (b"RIFF", b"WAVE") => Family::Wave,
        _ if rf64 => Family::Wave,
        (b"FORM", b"AIFF") => Family::Aiff { compressed: false },
        (b"FORM", b"AIFC") => Family::Aiff { compressed: true },
        _ => return Ok(None),
    };
    let mut frame_bytes: Option<u64> = None;
    let mut pos: u64 = 12;
    for _ in 0..MAX_CHUNKS {
        let mut chunk = [0u8; 8];
        file.seek(SeekFrom::Start(pos))?;
        if read_fully(file, &mut chunk)? < 8 {
            return Ok(None);
        }
        let size = family.u32([chunk[4], chunk[5], chunk[6], chunk[7]]);
        let payload = pos + 8;
        match (family, &chunk[0..4]) {
            (Family::Wave, b"fmt ") => {
                let mut fmt = [0u8; 14];
                if read_fully(file, &mut fmt)? == 14 {
                    frame_bytes = Some(u64::from(u16::from_le_bytes([fmt[12], fmt[13]])));
                }
            }
            (Family::Aiff { compressed }, b"COMM") => {
                let mut comm = [0u8; 22];
                if read_fully(file, &mut comm)? == 22 {
                    frame_bytes = aiff_frame_bytes(&comm, compressed);
                }
            }
            (Family::Wave, b"ds64") if rf64 => {
                let mut ds64 = [0u8; 16];
                if read_fully(file, &mut ds64)? == 16 {
                    let mut d = [0u8; 8];
                    d.copy_from_slice(&ds64[8..16]);
                    ds64_data = Some(u64::from_le_bytes(d));
                }
            }
            (Family::Wave, b"data") if rf64 => {
                let Some(align) = frame_bytes.filter(|&a| a > 0) else {
                    return Ok(None);
                };
                let declared = match (size, ds64_data) {
                    (UNKNOWN_SIZE, Some(d)) => d,
                    (s, _) => u64::from(s),
                };
                let available = file_len.saturating_sub(payload);
                let data = declared.min(available) / align * align;
                // Sizes past 32 bits stay "unknown" (read to the end, which
                // `end` puts at the end of the sound data).
                let data_field = u32::try_from(data).ok().filter(|&d| d < UNKNOWN_SIZE);
                let riff_field = data_field
                    .and_then(|d| u32::try_from(payload + u64::from(d) - 8).ok())
                    .filter(|&r| r < UNKNOWN_SIZE);
                return Ok(Some(Repair {
                    patches: patch(0, b"RIFF")
                        .chain(patch(4, &family.bytes(riff_field.unwrap_or(UNKNOWN_SIZE))))
                        .chain(patch(
                            pos + 4,
                            &family.bytes(data_field.unwrap_or(UNKNOWN_SIZE)),
                        ))
                        .collect(),
                    frames_declared: (declared > available).then_some(declared / align),
                    end: Some(payload + data),
                }));
            }
            (Family::Wave, b"data") => {
                let Some(align) = frame_bytes.filter(|&a| a > 0) else {
                    return Ok(None);
                };
                let available = file_len.saturating_sub(payload);
                if u64::from(size) <= available {
                    return Ok(None);
                }
                let data_size = clamp_u32(available / align * align);
                let riff_size = clamp_u32(payload + u64::from(data_size) - 8);
                return Ok(Some(Repair {
                    patches: patch(4, &family.bytes(riff_size))
                        .chain(patch(pos + 4, &family.bytes(data_size)))
                        .collect(),
                    frames_declared: (size != UNKNOWN_SIZE).then_some(u64::from(size) / align),
                    end: None,
                }));
            }
            (Family::Aiff { .. }, b"SSND") => {
                // SSND payload: offset (u32), block size (u32), then
                // `offset` bytes of padding before the sample data.
                let Some(align) = frame_bytes.filter(|&a| a > 0) else {
                    return Ok(None);
                };
                let mut head = [0u8; 4];
                if read_fully(file, &mut head)? < 4 || u64::from(size) <= file_len - payload {
                    return Ok(None);
                }
                let lead = 8 + u64::from(u32::from_be_bytes(head));
                let available = file_len.saturating_sub(payload + lead);
                let declared = u64::from(size).saturating_sub(lead);
                let ssnd_size = clamp_u32(lead + available / align * align);
                let form_size = clamp_u32(payload + u64::from(ssnd_size) - 8);
                return Ok(Some(Repair {
                    patches: patch(4, &family.bytes(form_size))
                        .chain(patch(pos + 4, &family.bytes(ssnd_size)))
                        .collect(),
                    frames_declared: Some(declared / align),
                    end: None,
                }));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        pos = payload + u64::from(size) + u64::from(size & 1);
        if pos >= file_len {
            return Ok(None);
        }
    }
    Ok(None)
}

/// Walks the top-level boxes of an MP4 file; if the media data box runs past
/// the end of the file after the movie box was seen, presents it as ending
/// there.
fn scan_mp4(file: &mut File, file_len: u64) -> io::Result<Option<Repair>> {
    let mut pos = 0u64;
    let mut seen_moov = false;
    for _ in 0..MAX_CHUNKS {
        let mut head = [0u8; 16];
        file.seek(SeekFrom::Start(pos))?;
        if read_fully(file, &mut head)? < 16 {
            return Ok(None);
        }
        let (size, size_field_len) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]])
        {
            0 => return Ok(None), // extends to the end of the file by definition
            1 => (
                u64::from_be_bytes([
                    head[8], head[9], head[10], head[11], head[12], head[13], head[14], head[15],
                ]),
                8,
            ),
            n => (u64::from(n), 4),
        };
        let kind = &head[4..8];
        if size < 8 {
            return Ok(None);
        }
        match pos.checked_add(size) {
            Some(end) if end <= file_len => {
                seen_moov |= kind == b"moov";
                pos = end;
                if pos >= file_len {
                    return Ok(None);
                }
            }
            _ if kind == b"mdat" && seen_moov => {
                let actual = file_len - pos;
                let patches = if size_field_len == 8 {
                    patch(pos + 8, &actual.to_be_bytes()).collect()
                } else {
                    // `actual < size <= u32::MAX` here.
                    patch(pos, &clamp_u32(actual).to_be_bytes()).collect()
                };
                return Ok(Some(Repair {
                    patches,
                    frames_declared: None,
                    end: None,
                }));
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Bytes per frame from the first 22 bytes of an AIFF/AIFC `COMM` chunk:
/// channels (u16), frames (u32), sample size in bits (u16), sample rate
/// (80-bit float), and for AIFC the compression type. `None` for encodings
/// whose frames are not a fixed number of bytes (or are unknown).
fn aiff_frame_bytes(comm: &[u8; 22], compressed: bool) -> Option<u64> {
    let channels = u64::from(u16::from_be_bytes([comm[0], comm[1]]));
    let bits = u64::from(u16::from_be_bytes([comm[6], comm[7]]));
    let sample_bytes = if compressed {
        match &comm[18..22] {
            b"none" | b"NONE" | b"sowt" | b"SOWT" | b"twos" | b"TWOS" => bits.div_ceil(8),
            b"in24" | b"IN24" | b"23ni" | b"23NI" => 3,
            b"in32" | b"IN32" | b"fl32" | b"FL32" => 4,
            b"fl64" | b"FL64" => 8,
            b"raw " | b"RAW " | b"alaw" | b"ALAW" | b"ulaw" | b"ULAW" => 1,
            _ => return None,
        }
    } else {
        bits.div_ceil(8)
    };
    Some(channels * sample_bytes)
}

fn clamp_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(UNKNOWN_SIZE - 1)
}

/// Reads until `buf` is full or the end of the file; returns bytes read.
fn read_fully(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn wav_with_sizes(riff: u32, data: u32, payload: usize) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&riff.to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        // PCM, 2 channels, 48 kHz, byte rate, block align 4, 16 bits.
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&48_000u32.to_le_bytes());
        v.extend_from_slice(&192_000u32.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data.to_le_bytes());
        v.extend((0..payload).map(|i| i as u8));
        v
    }

    fn plan(bytes: &[u8]) -> Option<Repair> {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(bytes).unwrap();
        tmp.seek(SeekFrom::Start(0)).unwrap();
        plan_repair(&mut tmp, bytes.len() as u64).unwrap()
    }

    #[test]
    fn consistent_file_needs_no_repair() {
        assert!(plan(&wav_with_sizes(36 + 40, 40, 40)).is_none());
    }

    #[test]
    fn not_a_wav_needs_no_repair() {
        assert!(plan(b"fLaC and then some bytes").is_none());
        assert!(plan(b"RIFF").is_none());
    }

    #[test]
    fn cut_file_is_patched_to_whole_frames() {
        // Declares 100 frames (400 bytes), holds 10.5 frames (42 bytes).
        let repair = plan(&wav_with_sizes(36 + 400, 400, 42)).unwrap();
        assert_eq!(repair.frames_declared, Some(100));
        let expected: Vec<(u64, u8)> = patch(4, &(36u32 + 40).to_le_bytes())
            .chain(patch(40, &40u32.to_le_bytes()))
            .collect();
        assert_eq!(repair.patches, expected);
    }

    #[test]
    fn unknown_size_is_patched_but_not_declared() {
        let repair = plan(&wav_with_sizes(u32::MAX, u32::MAX, 40)).unwrap();
        assert_eq!(repair.frames_declared, None);
    }
}
