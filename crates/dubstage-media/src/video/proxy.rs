//! The picture proxy: every frame of a movie as a JPEG at viewer resolution,
//! made once by `ffmpeg` in the background and kept on disk.
//!
//! Why: the movies sound editors get are long-GOP H.264/H.265 or heavy
//! ProRes/DNx; an accurate seek in them costs a fresh decode from the
//! keyframe before the target (0.1–0.4 s here, more with one keyframe).
//! With an all-intra copy, any frame is one file read and one small JPEG
//! decode (a few ms), so scrubbing and locating are instant once the proxy
//! reaches that frame. Until it does, [`super::FrameServer`] decodes from the
//! movie itself.
//!
//! One file in the cache folder, `<stem>-<hash>.dsvp` (named as peak caches
//! are): the JPEGs concatenated in frame order, then the index — magic
//! `DSVI`, version u32, width u32, height u32, source length u64, source
//! mtime (ns since the epoch) u64, frame count u64, then per frame offset u64
//! and length u32 — then the index's offset u64 and the magic `DSVP`, all
//! little-endian.
//!
//! A build writes a temporary file beside it and renames it into place when
//! complete, so concurrent builds of the same movie (two editors) cannot mix
//! their bytes and an interrupted build leaves nothing behind. A proxy from
//! another source version or another size is rebuilt.

use super::probe::last_line;
use super::stream::spawn_decoder;
use super::{Tools, VideoError, VideoInfo};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

const MAGIC: &[u8; 4] = b"DSVI";
/// Numbers the temporary files of builds started by this process.
static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
const VERSION: u32 = 1;
/// JPEG quality scale of ffmpeg's mjpeg encoder (2 best … 31 worst).
const QUALITY: &str = "4";

/// Where the proxy file for `movie` lives in `dir`.
pub fn proxy_path(dir: &Path, movie: &Path) -> PathBuf {
    crate::peaks::cache_path(dir, movie).with_extension("dsvp")
}

/// The trailer: index offset u64 and this magic.
const TRAILER_MAGIC: &[u8; 4] = b"DSVP";

/// What a proxy was built from; a proxy is reused only when all of it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyKey {
    pub width: u32,
    pub height: u32,
    pub source_len: u64,
    pub source_mtime_ns: u64,
}

impl ProxyKey {
    pub fn of(movie: &Path, (width, height): (u32, u32)) -> Result<ProxyKey, VideoError> {
        let meta = std::fs::metadata(movie).map_err(|e| VideoError::Io {
            path: movie.to_owned(),
            message: e.to_string(),
        })?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(ProxyKey {
            width,
            height,
            source_len: meta.len(),
            source_mtime_ns: mtime,
        })
    }
}

/// Frame `i` is `len` bytes at `offset` in the data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    offset: u64,
    len: u32,
}

/// A proxy being built or complete. Frames can be read as soon as they are
/// written; `frames()` grows while the build runs.
pub struct Proxy {
    data_path: PathBuf,
    data: RwLock<Option<File>>,
    index: RwLock<Vec<Entry>>,
    complete: AtomicBool,
    cancel: AtomicBool,
    failure: RwLock<Option<VideoError>>,
    pub key: ProxyKey,
}

impl Proxy {
    /// Frames readable now.
    pub fn frames(&self) -> i64 {
        self.index.read().map_or(0, |i| i.len() as i64)
    }

    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    /// Why the build stopped early, if it did (the frames before stay usable).
    pub fn failure(&self) -> Option<VideoError> {
        self.failure.read().ok().and_then(|f| f.clone())
    }

    /// Stops a running build (the partial proxy is not kept on disk).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The JPEG of frame `index`, if the proxy has it.
    pub fn jpeg(&self, index: i64) -> Option<Vec<u8>> {
        let e = *self.index.read().ok()?.get(usize::try_from(index).ok()?)?;
        let guard = self.data.read().ok()?;
        let file = guard.as_ref()?;
        let mut buf = vec![0u8; e.len as usize];
        read_exact_at(file, &mut buf, e.offset).ok()?;
        Some(buf)
    }

    /// Opens a complete proxy from disk, if one matches `key`.
    pub fn open(dir: &Path, movie: &Path, key: ProxyKey) -> Option<Proxy> {
        let data_path = proxy_path(dir, movie);
        let data = File::open(&data_path).ok()?;
        let data_len = data.metadata().ok()?.len();
        let mut trailer = [0u8; 12];
        read_exact_at(&data, &mut trailer, data_len.checked_sub(12)?).ok()?;
        if &trailer[8..] != TRAILER_MAGIC {
            return None;
        }
        let index_at = u64::from_le_bytes(trailer[..8].try_into().ok()?);
        let index_len = usize::try_from(data_len.checked_sub(12)?.checked_sub(index_at)?).ok()?;
        // The index of a feature-length movie is a few MB; more is damage.
        if index_len > 64 << 20 {
            return None;
        }
        let mut bytes = vec![0u8; index_len];
        read_exact_at(&data, &mut bytes, index_at).ok()?;
        let entries = parse_index(&bytes, key)?;
        if entries
            .iter()
            .any(|e| e.offset + u64::from(e.len) > index_at)
        {
            return None;
        }
        Some(Proxy {
            data_path,
            data: RwLock::new(Some(data)),
            index: RwLock::new(entries),
            complete: AtomicBool::new(true),
            cancel: AtomicBool::new(false),
            failure: RwLock::new(None),
            key,
        })
    }

    /// Starts building the proxy of `info`'s movie at `size` in `dir`, on a
    /// background thread. Frames become readable as they are made.
    pub fn build(
        tools: &Tools,
        info: &VideoInfo,
        dir: &Path,
        size: (u32, u32),
    ) -> Result<Arc<Proxy>, VideoError> {
        let key = ProxyKey::of(&info.path, size)?;
        if let Some(p) = Proxy::open(dir, &info.path, key) {
            return Ok(Arc::new(p));
        }
        let io = |path: &Path| {
            let path = path.to_owned();
            move |e: std::io::Error| VideoError::Io {
                path,
                message: e.to_string(),
            }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let final_path = proxy_path(dir, &info.path);
        let data_path = final_path.with_extension(format!(
            "dsvp.partial-{}-{}",
            std::process::id(),
            BUILDS.fetch_add(1, Ordering::Relaxed)
        ));
        let writer = File::create(&data_path).map_err(io(&data_path))?;
        let reader = File::open(&data_path).map_err(io(&data_path))?;
        let proxy = Arc::new(Proxy {
            data_path,
            data: RwLock::new(Some(reader)),
            index: RwLock::new(Vec::new()),
            complete: AtomicBool::new(false),
            cancel: AtomicBool::new(false),
            failure: RwLock::new(None),
            key,
        });
        let (mut child, stdout, stderr) = spawn_decoder(
            tools,
            info,
            None,
            &format!(
                "scale={}:{}:flags=bicubic,setsar=1,format=yuvj420p",
                size.0, size.1
            ),
            &["-c:v", "mjpeg", "-q:v", QUALITY, "-f", "mjpeg", "pipe:1"],
        )?;
        let p = proxy.clone();
        let movie = info.path.clone();
        let expected = info.frames;
        std::thread::Builder::new()
            .name("dubstage-proxy".into())
            .spawn(move || {
                let mut writer = writer;
                let result = run_build(&p, stdout, &mut writer);
                let cancelled = p.cancel.load(Ordering::Relaxed);
                if cancelled {
                    let _ = child.kill();
                }
                let status = child.wait().ok();
                let message = stderr.lock().ok().and_then(|e| last_line(&e));
                let frames = p.frames();
                let failure = match (result, status) {
                    _ if cancelled => None,
                    (Err(e), _) => Some(e),
                    (Ok(()), Some(s)) if s.success() && frames > 0 => None,
                    _ => Some(VideoError::Decode {
                        path: movie.clone(),
                        reason: message.unwrap_or_else(|| "ffmpeg stopped".to_owned()),
                    }),
                };
                if cancelled {
                    let _ = std::fs::remove_file(&p.data_path);
                    return;
                }
                if let Some(f) = &failure
                    && let Ok(mut slot) = p.failure.write()
                {
                    *slot = Some(f.clone());
                }
                // A movie that decodes to the end is kept even when it has a
                // few frames fewer than its header promised.
                if failure.is_none() && frames > 0 {
                    if frames < expected
                        && let Ok(mut slot) = p.failure.write()
                    {
                        *slot = Some(VideoError::Decode {
                            path: movie.clone(),
                            reason: format!("ends at frame {frames} of {expected}"),
                        });
                    }
                    let finished = p.index.read().ok().and_then(|index| {
                        let at = index.last().map_or(0, |e| e.offset + u64::from(e.len));
                        let mut tail = index_bytes(p.key, &index);
                        tail.extend_from_slice(&at.to_le_bytes());
                        tail.extend_from_slice(TRAILER_MAGIC);
                        writer.write_all(&tail).ok()?;
                        writer.sync_all().ok()?;
                        std::fs::rename(&p.data_path, &final_path).ok()
                    });
                    if finished.is_none() {
                        let _ = std::fs::remove_file(&p.data_path);
                    }
                } else {
                    let _ = std::fs::remove_file(&p.data_path);
                }
                p.complete.store(true, Ordering::Release);
            })
            .map_err(|e| VideoError::Spawn {
                tool: "ffmpeg",
                reason: e.to_string(),
            })?;
        Ok(proxy)
    }
}

fn run_build(p: &Proxy, mut stdout: impl Read, writer: &mut File) -> Result<(), VideoError> {
    let io = |e: std::io::Error| VideoError::Io {
        path: p.data_path.clone(),
        message: e.to_string(),
    };
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 256 * 1024];
    let mut offset = 0u64;
    loop {
        if p.cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        let n = match stdout.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut start = 0;
        while let Some(len) = jpeg_len(&buf[start..]).map_err(|reason| VideoError::Decode {
            path: p.data_path.clone(),
            reason: reason.to_owned(),
        })? {
            writer.write_all(&buf[start..start + len]).map_err(io)?;
            // The entry is published only after its bytes are in the file.
            writer.flush().map_err(io)?;
            if let Ok(mut index) = p.index.write() {
                index.push(Entry {
                    offset,
                    len: len as u32,
                });
            }
            offset += len as u64;
            start += len;
        }
        buf.drain(..start);
    }
    Ok(())
}

/// The length of the JPEG at the start of `d`: `Ok(None)` when it is not
/// complete yet, an error when `d` does not start with one.
pub fn jpeg_len(d: &[u8]) -> Result<Option<usize>, &'static str> {
    if d.len() < 2 {
        return Ok(None);
    }
    if d[0] != 0xFF || d[1] != 0xD8 {
        return Err("the encoder's output is not a JPEG frame");
    }
    let mut i = 2;
    loop {
        if i + 2 > d.len() {
            return Ok(None);
        }
        if d[i] != 0xFF {
            return Err("damaged JPEG marker");
        }
        let m = d[i + 1];
        match m {
            0xFF => i += 1,
            0xD9 => return Ok(Some(i + 2)),
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                if i + 4 > d.len() {
                    return Ok(None);
                }
                let len = usize::from(u16::from_be_bytes([d[i + 2], d[i + 3]]));
                if len < 2 {
                    return Err("damaged JPEG segment");
                }
                i += 2 + len;
                if m == 0xDA {
                    // Entropy-coded data: 0xFF is stuffed (FF00) or a restart
                    // marker; any other marker ends it.
                    loop {
                        if i + 1 >= d.len() {
                            return Ok(None);
                        }
                        if d[i] == 0xFF && d[i + 1] != 0x00 && !(0xD0..=0xD7).contains(&d[i + 1]) {
                            break;
                        }
                        i += 1;
                    }
                }
            }
        }
    }
}

fn index_bytes(key: ProxyKey, entries: &[Entry]) -> Vec<u8> {
    let mut b = Vec::with_capacity(40 + entries.len() * 12);
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&VERSION.to_le_bytes());
    b.extend_from_slice(&key.width.to_le_bytes());
    b.extend_from_slice(&key.height.to_le_bytes());
    b.extend_from_slice(&key.source_len.to_le_bytes());
    b.extend_from_slice(&key.source_mtime_ns.to_le_bytes());
    b.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for e in entries {
        b.extend_from_slice(&e.offset.to_le_bytes());
        b.extend_from_slice(&e.len.to_le_bytes());
    }
    b
}

fn parse_index(b: &[u8], key: ProxyKey) -> Option<Vec<Entry>> {
    let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
    if b.get(..4)? != MAGIC || u32_at(4)? != VERSION {
        return None;
    }
    let found = ProxyKey {
        width: u32_at(8)?,
        height: u32_at(12)?,
        source_len: u64_at(16)?,
        source_mtime_ns: u64_at(24)?,
    };
    if found != key {
        return None;
    }
    let n = usize::try_from(u64_at(32)?).ok()?;
    if b.len() != 40 + n.checked_mul(12)? {
        return None;
    }
    (0..n)
        .map(|i| {
            let o = 40 + i * 12;
            Some(Entry {
                offset: u64_at(o)?,
                len: u32_at(o + 8)?,
            })
        })
        .collect()
}

#[cfg(unix)]
fn read_exact_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = f.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

/// Decodes a proxy JPEG into RGBA.
pub fn decode_jpeg(jpeg: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGBA);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(jpeg), options);
    let rgba = d.decode().map_err(|e| e.to_string())?;
    let (w, h) = d.dimensions().ok_or("JPEG without dimensions")?;
    Ok((w as u32, h as u32, rgba))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_concatenated_jpegs() {
        // SOI, a COM segment, SOS with stuffed FF00 and a restart marker, EOI.
        let one: Vec<u8> = vec![
            0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, b'h', b'i', 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF,
            0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xD9,
        ];
        let mut two = one.clone();
        two.extend_from_slice(&one);
        assert_eq!(jpeg_len(&two), Ok(Some(one.len())));
        for cut in 0..one.len() {
            assert_eq!(jpeg_len(&one[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(jpeg_len(b"GIF89a").is_err());
    }

    #[test]
    fn index_round_trips_and_checks_its_key() {
        let key = ProxyKey {
            width: 640,
            height: 360,
            source_len: 1234,
            source_mtime_ns: 99,
        };
        let entries = vec![
            Entry { offset: 0, len: 10 },
            Entry {
                offset: 10,
                len: 20,
            },
        ];
        let b = index_bytes(key, &entries);
        assert_eq!(parse_index(&b, key), Some(entries));
        let other = ProxyKey {
            source_len: 1235,
            ..key
        };
        assert_eq!(parse_index(&b, other), None);
        assert_eq!(parse_index(&b[..b.len() - 1], key), None);
    }
}
