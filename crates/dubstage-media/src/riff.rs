//! Recovery of cut-off WAV files.
//!
//! A WAV recording or copy that was interrupted keeps its header, which still
//! declares the full `data` size, while the file ends earlier. symphonia reads
//! packets of many frames and drops a packet it cannot read completely, so it
//! would lose the audio near the cut. Instead, [`plan_wav_repair`] walks the
//! RIFF chunks and, if the `data` chunk claims more bytes than the file holds,
//! [`PatchedSource`] presents the file to symphonia with the `data` and `RIFF`
//! sizes rewritten to what is actually on disk (whole frames only). The file
//! itself is never modified.
//!
//! The same applies to files written by streaming recorders that leave the
//! sizes at `0xFFFFFFFF` ("unknown"); those are not reported as truncated.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::io::MediaSource;

/// Upper bound on chunks examined before giving up (a valid file has a
/// handful; this bounds the work on garbage).
const MAX_CHUNKS: usize = 1024;

/// Size value streaming writers use for "unknown length".
const UNKNOWN_SIZE: u32 = u32::MAX;

/// How to present a cut-off WAV file consistently.
#[derive(Debug, Clone)]
pub(crate) struct WavRepair {
    /// Little-endian `u32` values to show at the given byte offsets.
    pub(crate) patches: Vec<(u64, [u8; 4])>,
    /// Frames the header declared, `None` if it said "unknown".
    pub(crate) frames_declared: Option<u64>,
}

/// Inspects a file that may be a RIFF/WAVE file. Returns `Some` only when it
/// is one whose `data` chunk extends past the end of the file. The file
/// position is left at the start.
pub(crate) fn plan_wav_repair(file: &mut File, file_len: u64) -> io::Result<Option<WavRepair>> {
    let plan = scan(file, file_len);
    file.seek(SeekFrom::Start(0))?;
    plan
}

fn scan(file: &mut File, file_len: u64) -> io::Result<Option<WavRepair>> {
    let mut header = [0u8; 12];
    if file_len < 12 || read_fully(file, &mut header)? < 12 {
        return Ok(None);
    }
    if &header[0..4] != b"RIFF" || &header[8..12] != b"WAVE" {
        return Ok(None);
    }
    let mut block_align: Option<u64> = None;
    let mut pos: u64 = 12;
    for _ in 0..MAX_CHUNKS {
        let mut chunk = [0u8; 8];
        file.seek(SeekFrom::Start(pos))?;
        if read_fully(file, &mut chunk)? < 8 {
            return Ok(None);
        }
        let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        let payload = pos + 8;
        match &chunk[0..4] {
            b"fmt " => {
                let mut fmt = [0u8; 14];
                if read_fully(file, &mut fmt)? == 14 {
                    block_align = Some(u64::from(u16::from_le_bytes([fmt[12], fmt[13]])));
                }
            }
            b"data" => {
                let available = file_len.saturating_sub(payload);
                let declared = u64::from(size);
                let Some(align) = block_align.filter(|&a| a > 0) else {
                    return Ok(None);
                };
                if declared <= available {
                    return Ok(None);
                }
                let kept = available / align * align;
                let data_size = u32::try_from(kept).unwrap_or(UNKNOWN_SIZE - 1);
                let riff_size =
                    u32::try_from(payload + u64::from(data_size) - 8).unwrap_or(UNKNOWN_SIZE - 1);
                return Ok(Some(WavRepair {
                    patches: vec![
                        (4, riff_size.to_le_bytes()),
                        (pos + 4, data_size.to_le_bytes()),
                    ],
                    frames_declared: (size != UNKNOWN_SIZE).then_some(declared / align),
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

/// A file seen through a few overwritten bytes.
pub(crate) struct PatchedSource {
    file: File,
    len: u64,
    pos: u64,
    patches: Vec<(u64, [u8; 4])>,
}

impl PatchedSource {
    pub(crate) fn new(file: File, len: u64, patches: Vec<(u64, [u8; 4])>) -> Self {
        PatchedSource {
            file,
            len,
            pos: 0,
            patches,
        }
    }
}

impl Read for PatchedSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        let start = self.pos;
        let end = start + n as u64;
        for (offset, bytes) in &self.patches {
            for (i, byte) in bytes.iter().enumerate() {
                let at = offset + i as u64;
                if (start..end).contains(&at) {
                    // `at - start < n`, which is a usize.
                    buf[(at - start) as usize] = *byte;
                }
            }
        }
        self.pos = end;
        Ok(n)
    }
}

impl Seek for PatchedSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.file.seek(to)?;
        Ok(self.pos)
    }
}

impl MediaSource for PatchedSource {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
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

    fn plan(bytes: &[u8]) -> Option<WavRepair> {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(bytes).unwrap();
        tmp.seek(SeekFrom::Start(0)).unwrap();
        plan_wav_repair(&mut tmp, bytes.len() as u64).unwrap()
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
        assert_eq!(repair.patches[1], (40, 40u32.to_le_bytes()));
        assert_eq!(repair.patches[0], (4, (36u32 + 40).to_le_bytes()));
    }

    #[test]
    fn unknown_size_is_patched_but_not_declared() {
        let repair = plan(&wav_with_sizes(u32::MAX, u32::MAX, 40)).unwrap();
        assert_eq!(repair.frames_declared, None);
    }

    #[test]
    fn patched_source_overlays_bytes_across_reads() {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(&[0u8; 16]).unwrap();
        tmp.seek(SeekFrom::Start(0)).unwrap();
        let mut src = PatchedSource::new(tmp, 16, vec![(6, [1, 2, 3, 4])]);
        let mut a = [0u8; 7];
        src.read_exact(&mut a).unwrap();
        let mut b = [0u8; 9];
        src.read_exact(&mut b).unwrap();
        assert_eq!(a, [0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(b, [2, 3, 4, 0, 0, 0, 0, 0, 0]);
        src.seek(SeekFrom::Start(5)).unwrap();
        let mut c = [0u8; 3];
        src.read_exact(&mut c).unwrap();
        assert_eq!(c, [0, 1, 2]);
    }
}
