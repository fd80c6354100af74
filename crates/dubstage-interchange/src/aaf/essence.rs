//! Embedded AAF audio essence, extracted once to Broadcast Wave files
//! (with the source timecode as their `bext` time reference) so that the
//! project plays them like any other media.

use super::store::Store;
use crate::InterchangeError;
use crate::timeline::Timeline;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How the essence stream holds its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapping {
    /// Interleaved little-endian PCM, as the descriptor says.
    Pcm,
    /// A whole RIFF/WAVE file.
    Wave,
    /// A whole AIFF or AIFC file.
    Aifc,
    Unknown,
}

/// One embedded essence stream that a clip plays.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// Its stream in the compound file.
    pub stream: String,
    /// Its master mob's name (the extracted file's name).
    pub name: String,
    pub wrapping: Wrapping,
    pub channels: u16,
    pub bits: u16,
    pub block_align: Option<u16>,
    pub sample_rate: u32,
    /// The `bext` time reference to write (samples since midnight).
    pub time_reference: Option<i64>,
    /// The stream's size.
    pub bytes: u64,
}

/// The PCM layout of an essence: where its samples are in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    channels: u16,
    bits: u16,
    sample_rate: u32,
    offset: u64,
    len: u64,
    big_endian: bool,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> InterchangeError + '_ {
    move |source| InterchangeError::Io {
        path: path.to_owned(),
        source,
    }
}

fn bad(what: impl Into<String>) -> InterchangeError {
    InterchangeError::Malformed {
        format: "AAF",
        what: what.into(),
    }
}

/// Reads the chunks of a RIFF or AIFF header at the stream's start.
fn layout<R: Read + Seek>(e: &Embedded, r: &mut R, len: u64) -> Result<Layout, String> {
    let mut head = [0u8; 12];
    let got = read_up_to(r, &mut head).map_err(|e| e.to_string())?;
    r.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let wrapping = match &head[..4.min(got)] {
        b"RIFF" if got == 12 && &head[8..12] == b"WAVE" => Wrapping::Wave,
        b"FORM" if got == 12 && (&head[8..12] == b"AIFF" || &head[8..12] == b"AIFC") => {
            Wrapping::Aifc
        }
        _ if e.wrapping == Wrapping::Pcm => Wrapping::Pcm,
        _ => e.wrapping,
    };
    match wrapping {
        Wrapping::Pcm => {
            if e.channels == 0 || !matches!(e.bits, 8 | 16 | 24 | 32) || e.sample_rate == 0 {
                return Err(format!(
                    "PCM essence of {} channels, {} bits at {} Hz is not read",
                    e.channels, e.bits, e.sample_rate
                ));
            }
            Ok(Layout {
                channels: e.channels,
                bits: e.bits,
                sample_rate: e.sample_rate,
                offset: 0,
                len,
                big_endian: false,
            })
        }
        Wrapping::Wave => riff(r, len),
        Wrapping::Aifc => aiff(r, len, &head[8..12] == b"AIFC"),
        Wrapping::Unknown => Err("essence in a container this reader does not know".into()),
    }
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn riff<R: Read + Seek>(r: &mut R, len: u64) -> Result<Layout, String> {
    let mut at = 12u64;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= len {
        r.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        let mut h = [0u8; 8];
        r.read_exact(&mut h).map_err(|e| e.to_string())?;
        let size = u64::from(u32::from_le_bytes([h[4], h[5], h[6], h[7]]));
        match &h[..4] {
            b"fmt " => {
                let mut b = [0u8; 16];
                r.read_exact(&mut b).map_err(|e| e.to_string())?;
                let tag = u16::from_le_bytes([b[0], b[1]]);
                let channels = u16::from_le_bytes([b[2], b[3]]);
                let rate = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                let bits = u16::from_le_bytes([b[14], b[15]]);
                if tag != 1 && tag != 0xFFFE {
                    return Err(format!("WAVE essence of format {tag} is not PCM"));
                }
                fmt = Some((tag, channels, rate, bits));
            }
            b"data" => {
                let (_, channels, sample_rate, bits) =
                    fmt.ok_or("WAVE essence with its data before its format")?;
                return Ok(Layout {
                    channels,
                    bits,
                    sample_rate,
                    offset: at + 8,
                    len: size.min(len - (at + 8)),
                    big_endian: false,
                });
            }
            _ => {}
        }
        at += 8 + size + (size & 1);
    }
    Err("WAVE essence without a data chunk".into())
}

/// An 80-bit IEEE extended float (AIFF's sample rate).
fn extended(b: &[u8; 10]) -> f64 {
    let exp = i32::from(u16::from_be_bytes([b[0], b[1]]) & 0x7FFF);
    let mant = u64::from_be_bytes([b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]]);
    if exp == 0 && mant == 0 {
        return 0.0;
    }
    mant as f64 * 2f64.powi(exp - 16383 - 63)
}

fn aiff<R: Read + Seek>(r: &mut R, len: u64, aifc: bool) -> Result<Layout, String> {
    let mut at = 12u64;
    let mut comm: Option<(u16, u16, u32, bool)> = None;
    while at + 8 <= len {
        r.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
        let mut h = [0u8; 8];
        r.read_exact(&mut h).map_err(|e| e.to_string())?;
        let size = u64::from(u32::from_be_bytes([h[4], h[5], h[6], h[7]]));
        match &h[..4] {
            b"COMM" => {
                let mut b = [0u8; 22];
                let n = read_up_to(r, &mut b).map_err(|e| e.to_string())?;
                if n < 18 {
                    return Err("AIFF essence with a short COMM chunk".into());
                }
                let channels = u16::from_be_bytes([b[0], b[1]]);
                let bits = u16::from_be_bytes([b[6], b[7]]);
                let mut ext = [0u8; 10];
                ext.copy_from_slice(&b[8..18]);
                let rate = extended(&ext).round();
                let mut big = true;
                if aifc && n >= 22 {
                    match &b[18..22] {
                        b"NONE" | b"twos" => {}
                        b"sowt" => big = false,
                        other => {
                            return Err(format!(
                                "AIFC essence compressed as \"{}\" is not read",
                                String::from_utf8_lossy(other)
                            ));
                        }
                    }
                }
                if !(1.0..=1e6).contains(&rate) {
                    return Err("AIFF essence with no sample rate".into());
                }
                comm = Some((channels, bits, rate as u32, big));
            }
            b"SSND" => {
                let (channels, bits, sample_rate, big_endian) =
                    comm.ok_or("AIFF essence with its sound before its format")?;
                let mut b = [0u8; 4];
                r.read_exact(&mut b).map_err(|e| e.to_string())?;
                let skip = u64::from(u32::from_be_bytes(b));
                let offset = at + 16 + skip;
                return Ok(Layout {
                    channels,
                    bits,
                    sample_rate,
                    offset,
                    len: (size.saturating_sub(8 + skip)).min(len.saturating_sub(offset)),
                    big_endian,
                });
            }
            _ => {}
        }
        at += 8 + size + (size & 1);
    }
    Err("AIFF essence without a sound chunk".into())
}

/// The `bext` body (version 1) with a description and a time reference.
fn bext(description: &str, time_reference: u64) -> Vec<u8> {
    let mut b = vec![0u8; 602];
    for (i, c) in description
        .bytes()
        .filter(u8::is_ascii)
        .take(256)
        .enumerate()
    {
        b[i] = c;
    }
    for (i, c) in b"Dubstage".iter().enumerate() {
        b[256 + i] = *c;
    }
    b[338..346].copy_from_slice(&time_reference.to_le_bytes());
    b[346..348].copy_from_slice(&1u16.to_le_bytes());
    b
}

/// A file name from a mob name: no separators or control characters.
fn file_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let s = s.trim().trim_start_matches('.').to_owned();
    let s = s
        .strip_suffix(".wav")
        .or_else(|| s.strip_suffix(".WAV"))
        .unwrap_or(&s)
        .to_owned();
    if s.is_empty() { "essence".into() } else { s }
}

/// Whether two files hold the same bytes.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    if ma.len() != mb.len() {
        return false;
    }
    let (Ok(mut fa), Ok(mut fb)) = (File::open(a), File::open(b)) else {
        return false;
    };
    let mut ba = vec![0u8; 1 << 16];
    let mut bb = vec![0u8; 1 << 16];
    loop {
        let (Ok(na), Ok(nb)) = (read_up_to(&mut fa, &mut ba), read_up_to(&mut fb, &mut bb)) else {
            return false;
        };
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
}

/// Extracts the embedded essence the timeline's clips play into `dir` (made
/// if needed), one Broadcast Wave file each, and points those clips at the
/// files. A file already there with the same content is used again; a
/// different one is never replaced (the new file takes another name).
/// `progress(done, total)` is told the bytes copied and returns false to
/// cancel. Returns the files written or reused.
pub fn extract_embedded(
    aaf: &Path,
    tl: &mut Timeline,
    dir: &Path,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<Vec<PathBuf>, InterchangeError> {
    let used: Vec<usize> = {
        let mut v: Vec<usize> = tl
            .tracks
            .iter()
            .flat_map(|t| &t.clips)
            .filter_map(|c| c.media.embedded)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    if used.is_empty() {
        return Ok(Vec::new());
    }
    let total: u64 = used
        .iter()
        .filter_map(|&i| tl.essence.get(i))
        .map(|e| e.bytes)
        .sum();
    let file = File::open(aaf).map_err(io_err(aaf))?;
    let mut store = Store::open(file).map_err(|what| InterchangeError::NotATimeline {
        path: aaf.to_owned(),
        what,
    })?;
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut done = 0u64;
    let mut written = Vec::new();
    for i in used {
        let Some(e) = tl.essence.get(i).cloned() else {
            continue;
        };
        // The time reference: the source timecode of the file's first
        // sample, from its clips.
        let start = tl
            .tracks
            .iter()
            .flat_map(|t| &t.clips)
            .find(|c| c.media.embedded == Some(i))
            .and_then(|c| c.media.start);
        let mut s = store.open_stream(&e.stream).map_err(bad)?;
        let len = s.len();
        let lay = layout(&e, &mut s, len).map_err(|w| bad(format!("\"{}\": {w}", e.name)))?;
        if !matches!(lay.bits, 8 | 16 | 24 | 32) || lay.channels == 0 {
            return Err(bad(format!(
                "\"{}\": {}-bit essence is not read",
                e.name, lay.bits
            )));
        }
        let tr = start
            .map(|t| t.samples(lay.sample_rate))
            .filter(|&t| t >= 0)
            .unwrap_or(0) as u64;
        let width = usize::from(lay.bits / 8);
        let block = width * usize::from(lay.channels);
        let byte_rate = u32::try_from(block)
            .ok()
            .and_then(|b| lay.sample_rate.checked_mul(b))
            .filter(|_| (1..=1_000_000).contains(&lay.sample_rate))
            .ok_or_else(|| {
                bad(format!(
                    "\"{}\": {} channels at {} Hz is not a sound file",
                    e.name, lay.channels, lay.sample_rate
                ))
            })?;
        let data_len = lay.len - lay.len % block as u64;
        if data_len > u64::from(u32::MAX) - 1024 {
            return Err(bad(format!(
                "\"{}\": essence over 4 GB is not extracted",
                e.name
            )));
        }
        // The header.
        let mut h = Vec::with_capacity(700);
        let chunk = |h: &mut Vec<u8>, id: &[u8; 4], body: &[u8]| {
            h.extend_from_slice(id);
            h.extend_from_slice(&(body.len() as u32).to_le_bytes());
            h.extend_from_slice(body);
        };
        let body_len = 4 + (8 + 16) + (8 + 602) + 8 + data_len + (data_len & 1);
        h.extend_from_slice(b"RIFF");
        h.extend_from_slice(&(body_len as u32).to_le_bytes());
        h.extend_from_slice(b"WAVE");
        let mut fmt = Vec::with_capacity(16);
        fmt.extend_from_slice(&1u16.to_le_bytes());
        fmt.extend_from_slice(&lay.channels.to_le_bytes());
        fmt.extend_from_slice(&lay.sample_rate.to_le_bytes());
        fmt.extend_from_slice(&byte_rate.to_le_bytes());
        fmt.extend_from_slice(&(block as u16).to_le_bytes());
        fmt.extend_from_slice(&lay.bits.to_le_bytes());
        chunk(&mut h, b"fmt ", &fmt);
        chunk(
            &mut h,
            b"bext",
            &bext(&format!("{} (from {})", e.name, display_name(aaf)), tr),
        );
        h.extend_from_slice(b"data");
        h.extend_from_slice(&(data_len as u32).to_le_bytes());
        // The samples, into a temporary file beside the target.
        let base = file_name(&e.name);
        let tmp = dir.join(format!(".{base}.wav.partial-{}", std::process::id()));
        let result = (|| -> Result<(), InterchangeError> {
            let f = File::create(&tmp).map_err(io_err(&tmp))?;
            let mut out = BufWriter::with_capacity(1 << 20, f);
            out.write_all(&h).map_err(io_err(&tmp))?;
            s.seek(SeekFrom::Start(lay.offset))
                .map_err(|err| bad(format!("\"{}\": {err}", e.name)))?;
            let mut buf = vec![0u8; (1 << 20) / block * block];
            let mut left = data_len;
            while left > 0 {
                let n = buf.len().min(left as usize);
                s.read_exact(&mut buf[..n])
                    .map_err(|err| bad(format!("\"{}\": essence cut short ({err})", e.name)))?;
                if lay.big_endian && width > 1 {
                    for sample in buf[..n].chunks_exact_mut(width) {
                        sample.reverse();
                    }
                }
                if width == 1 && lay.big_endian {
                    // AIFF 8-bit is signed; WAV 8-bit is unsigned.
                    for b in &mut buf[..n] {
                        *b ^= 0x80;
                    }
                }
                out.write_all(&buf[..n]).map_err(io_err(&tmp))?;
                left -= n as u64;
                done += n as u64;
                if !progress(done, total) {
                    return Err(InterchangeError::Cancelled);
                }
            }
            if data_len & 1 == 1 {
                out.write_all(&[0]).map_err(io_err(&tmp))?;
            }
            let f = out
                .into_inner()
                .map_err(|err| io_err(&tmp)(err.into_error()))?;
            f.sync_all().map_err(io_err(&tmp))?;
            Ok(())
        })();
        if let Err(err) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(err);
        }
        // A name that is free, or a file there with the same bytes.
        let mut target = dir.join(format!("{base}.wav"));
        let mut n = 2;
        let reuse = loop {
            if !target.exists() {
                break false;
            }
            if same_file(&target, &tmp) {
                break true;
            }
            target = dir.join(format!("{base} {n}.wav"));
            n += 1;
        };
        if reuse {
            let _ = std::fs::remove_file(&tmp);
        } else {
            std::fs::rename(&tmp, &target).map_err(|err| {
                let _ = std::fs::remove_file(&tmp);
                io_err(&target)(err)
            })?;
        }
        for c in tl.tracks.iter_mut().flat_map(|t| &mut t.clips) {
            if c.media.embedded == Some(i) {
                c.media.path = Some(target.clone());
                if let Some(n) = target.file_name() {
                    c.media.name = n.to_string_lossy().into_owned();
                }
            }
        }
        if let Some(slot) = tl.essence.get_mut(i) {
            slot.time_reference = Some(tr as i64);
        }
        tl.note(
            &e.name,
            format!(
                "embedded media {} {}",
                if reuse {
                    "already extracted to"
                } else {
                    "extracted to"
                },
                target.display()
            ),
        );
        written.push(target);
    }
    Ok(written)
}

fn display_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
