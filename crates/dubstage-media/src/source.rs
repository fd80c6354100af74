//! The byte source handed to symphonia: a file, optionally seen through a few
//! overwritten header bytes (see [`crate::repair`]) and optionally presented as
//! an unseekable stream.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::io::MediaSource;

/// A file seen through a few overwritten bytes.
pub(crate) struct FileSource {
    file: File,
    len: u64,
    pos: u64,
    /// Bytes to show instead of the file's at the given offsets (few).
    patches: Vec<(u64, u8)>,
    seekable: bool,
}

impl FileSource {
    pub(crate) fn new(file: File, len: u64, patches: Vec<(u64, u8)>, seekable: bool) -> Self {
        FileSource {
            file,
            len,
            pos: 0,
            patches,
            seekable,
        }
    }
}

impl Read for FileSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The presented file ends at `len` (which may be before the real end).
        let room = usize::try_from(self.len.saturating_sub(self.pos)).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        let n = self.file.read(&mut buf[..want])?;
        let start = self.pos;
        let end = start + n as u64;
        for &(at, byte) in &self.patches {
            if (start..end).contains(&at) {
                // `at - start < n`, which is a usize.
                buf[(at - start) as usize] = byte;
            }
        }
        self.pos = end;
        Ok(n)
    }
}

impl Seek for FileSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.file.seek(to)?;
        Ok(self.pos)
    }
}

impl MediaSource for FileSource {
    fn is_seekable(&self) -> bool {
        self.seekable
    }

    fn byte_len(&self) -> Option<u64> {
        self.seekable.then_some(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn patches_overlay_bytes_across_reads_and_seeks() {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(&[0u8; 16]).unwrap();
        tmp.seek(SeekFrom::Start(0)).unwrap();
        let mut src = FileSource::new(tmp, 16, vec![(6, 1), (7, 2), (8, 3), (9, 4)], true);
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
        assert_eq!(src.byte_len(), Some(16));
    }

    #[test]
    fn stream_mode_hides_length() {
        let src = FileSource::new(tempfile::tempfile().unwrap(), 16, Vec::new(), false);
        assert!(!src.is_seekable());
        assert_eq!(src.byte_len(), None);
    }
}
