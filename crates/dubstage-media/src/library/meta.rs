//! Reading a sound file's format and text metadata from its header, never
//! decoding the audio: BWF `bext`, `iXML` and RIFF `INFO` in WAV (and RF64),
//! `NAME`/`ANNO`/`COMT` in AIFF, Vorbis comments in FLAC, and whatever
//! symphonia's probe reports (ID3, Vorbis comments, MP4 tags) for the rest.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// What the header says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderInfo {
    pub sample_rate: u32,
    pub channels: u16,
    /// 0 when the format has no fixed bit depth (MP3, AAC, Vorbis).
    pub bits: u16,
    /// Length in frames at `sample_rate` (0 when unknown).
    pub frames: u64,
    /// Text: descriptions, comments, keywords, titles (deduplicated, joined by " | ").
    pub description: String,
    /// BWF originator (the library or recordist).
    pub originator: String,
    /// A category found in the metadata (iXML/ID3 genre), if any.
    pub category: String,
    /// Where the file starts, in samples since midnight at `sample_rate`
    /// (BWF `bext` TimeReference, or iXML `BWF_TIME_REFERENCE_*` when the
    /// file has no `bext`).
    pub time_reference: Option<u64>,
    /// Production sound report fields from iXML (empty when absent).
    pub scene: String,
    pub take: String,
    pub tape: String,
}

/// The largest metadata chunk read (iXML can be long; more is not text we need).
const MAX_TEXT_CHUNK: u64 = 1 << 20;

/// Reads `path`'s header. Errors are one readable line (without the path).
/// A header whose sample rate is outside what decoding accepts is refused
/// here too, so the library never lists a sound that cannot be played.
pub fn read_header(path: &Path) -> Result<HeaderInfo, String> {
    let info = read_header_unchecked(path)?;
    let (lo, hi) = (
        crate::decode::MIN_SAMPLE_RATE,
        crate::decode::MAX_SAMPLE_RATE,
    );
    if info.sample_rate != 0 && !(lo..=hi).contains(&info.sample_rate) {
        return Err(format!(
            "sample rate {} Hz is outside {lo}..{hi} Hz (the header is probably damaged)",
            info.sample_rate
        ));
    }
    Ok(info)
}

fn read_header_unchecked(path: &Path) -> Result<HeaderInfo, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    // Checked before opening: opening a FIFO would wait for a writer.
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(crate::decode::not_regular(&meta).to_owned());
    }
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    if len == 0 {
        return Err(if crate::decode::holds_data(&mut file) {
            "not a regular file (a virtual file with no stated size)".to_owned()
        } else {
            "file is empty".to_owned()
        });
    }
    let mut r = BufReader::with_capacity(16 * 1024, file);
    let mut magic = [0u8; 12];
    let n = read_up_to(&mut r, &mut magic).map_err(|e| e.to_string())?;
    r.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let magic = &magic[..n];
    let result = if magic.len() >= 12
        && matches!(&magic[..4], b"RIFF" | b"RF64" | b"BW64")
        && &magic[8..12] == b"WAVE"
    {
        wav(&mut r, len)
    } else if magic.len() >= 12
        && &magic[..4] == b"FORM"
        && matches!(&magic[8..12], b"AIFF" | b"AIFC")
    {
        aiff(&mut r, len)
    } else if magic.starts_with(b"fLaC") {
        flac(&mut r)
    } else if matches!(ext.as_str(), "wav" | "aif" | "aiff" | "flac") {
        return Err(format!("not a valid .{ext} file (unrecognised header)"));
    } else {
        return probe_other(path);
    };
    result.map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => "header is cut off".to_owned(),
        _ => e.to_string(),
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

fn u16le(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}
fn u32le(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn read_chunk(r: &mut impl Read, size: u64) -> io::Result<Vec<u8>> {
    let mut v = vec![0u8; size.min(MAX_TEXT_CHUNK) as usize];
    r.read_exact(&mut v)?;
    Ok(v)
}

/// Text from a fixed-size, NUL-padded field.
fn field_text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim().to_owned()
}

struct Texts(Vec<String>);

impl Texts {
    fn push(&mut self, s: &str) {
        let s = s.trim();
        if !s.is_empty() && !self.0.iter().any(|t| t.eq_ignore_ascii_case(s)) {
            self.0.push(s.to_owned());
        }
    }
    fn join(self) -> String {
        self.0.join(" | ")
    }
}

fn wav(r: &mut (impl Read + Seek), len: u64) -> io::Result<HeaderInfo> {
    let mut head = [0u8; 12];
    r.read_exact(&mut head)?;
    let rf64 = &head[..4] == b"RF64";
    let mut info = HeaderInfo::default();
    let mut texts = Texts(Vec::new());
    let mut data_size: Option<u64> = None;
    let mut ds64_data: Option<u64> = None;
    let mut block_align = 0u16;
    let mut ixml_time: Option<u64> = None;
    let mut pos = 12u64;
    while pos + 8 <= len {
        let mut ch = [0u8; 8];
        if read_up_to(r, &mut ch)? < 8 {
            break;
        }
        let id = [ch[0], ch[1], ch[2], ch[3]];
        let size = u64::from(u32le(&ch[4..]));
        let body = pos + 8;
        match &id {
            b"ds64" if rf64 => {
                let b = read_chunk(r, size)?;
                if b.len() >= 16 {
                    ds64_data = Some(u64::from_le_bytes(
                        b[8..16].try_into().map_err(|_| bad("ds64"))?,
                    ));
                }
            }
            b"fmt " => {
                let b = read_chunk(r, size)?;
                if b.len() < 16 {
                    return Err(bad("fmt chunk too short"));
                }
                info.channels = u16le(&b[2..]);
                info.sample_rate = u32le(&b[4..]);
                block_align = u16le(&b[12..]);
                info.bits = u16le(&b[14..]);
            }
            b"data" => {
                data_size = Some(if rf64 && size == 0xFFFF_FFFF {
                    ds64_data.unwrap_or(0)
                } else {
                    size
                });
                // The audio itself is never read.
                let actual = data_size.unwrap_or(0).min(len.saturating_sub(body));
                data_size = Some(actual);
                let next = body + actual + (actual & 1);
                r.seek(SeekFrom::Start(next))?;
                pos = next;
                continue;
            }
            b"bext" => {
                let b = read_chunk(r, size)?;
                if b.len() >= 256 + 32 {
                    texts.push(&field_text(&b[..256]));
                    info.originator = field_text(&b[256..288]);
                }
                // Description[256], Originator[32], OriginatorReference[32],
                // OriginationDate[10], OriginationTime[8], then TimeReference
                // as two little-endian u32, low word first.
                if b.len() >= 346 {
                    let low = u64::from(u32le(&b[338..]));
                    let high = u64::from(u32le(&b[342..]));
                    info.time_reference = Some(high << 32 | low);
                }
            }
            b"iXML" => {
                let b = read_chunk(r, size)?;
                let xml = String::from_utf8_lossy(&b);
                for tag in ["NOTE", "DESCRIPTION", "SCENE", "TAKE", "PROJECT", "NAME"] {
                    for v in xml_values(&xml, tag) {
                        texts.push(&v);
                    }
                }
                let first = |tag: &str| xml_values(&xml, tag).into_iter().next();
                for (field, tag) in [
                    (&mut info.scene, "SCENE"),
                    (&mut info.take, "TAKE"),
                    (&mut info.tape, "TAPE"),
                ] {
                    if field.is_empty()
                        && let Some(v) = first(tag)
                    {
                        *field = v;
                    }
                }
                let word = |tag: &str| first(tag).and_then(|v| v.parse::<u32>().ok());
                if let Some(low) = word("BWF_TIME_REFERENCE_LOW") {
                    let high = word("BWF_TIME_REFERENCE_HIGH").unwrap_or(0);
                    ixml_time = Some(u64::from(high) << 32 | u64::from(low));
                }
                for tag in ["CATEGORY", "CATEGORYFULL", "CATID"] {
                    if info.category.is_empty()
                        && let Some(v) = xml_values(&xml, tag).into_iter().next()
                    {
                        info.category = v;
                    }
                }
            }
            b"LIST" => {
                let b = read_chunk(r, size)?;
                if b.len() >= 4 && &b[..4] == b"INFO" {
                    let mut i = 4;
                    while i + 8 <= b.len() {
                        let sub = &b[i..i + 4];
                        let n = u32le(&b[i + 4..]) as usize;
                        let end = (i + 8 + n).min(b.len());
                        let text = field_text(&b[i + 8..end]);
                        match sub {
                            b"INAM" | b"ICMT" | b"ISBJ" | b"IKEY" | b"ITRK" => texts.push(&text),
                            b"IGNR" if info.category.is_empty() => info.category = text,
                            _ => {}
                        }
                        i = i + 8 + n + (n & 1);
                    }
                }
            }
            _ => {}
        }
        let next = body + size + (size & 1);
        if next <= pos {
            break;
        }
        r.seek(SeekFrom::Start(next))?;
        pos = next;
    }
    if info.sample_rate == 0 || info.channels == 0 {
        return Err(bad("no fmt chunk"));
    }
    let Some(data) = data_size else {
        return Err(bad("no data chunk"));
    };
    let align = if block_align > 0 {
        u64::from(block_align)
    } else {
        u64::from(info.channels) * u64::from(info.bits.div_ceil(8)).max(1)
    };
    info.frames = data / align.max(1);
    info.description = texts.join();
    info.time_reference = info.time_reference.or(ixml_time);
    Ok(info)
}

/// The text of every `<tag>…</tag>` in `xml` (no nesting inside).
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(a) = rest.find(&open) {
        let after = &rest[a + open.len()..];
        let Some(b) = after.find(&close) else { break };
        let v = after[..b].trim();
        if !v.is_empty() && !v.contains('<') {
            out.push(
                v.replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'"),
            );
        }
        rest = &after[b + close.len()..];
    }
    out
}

fn aiff(r: &mut (impl Read + Seek), len: u64) -> io::Result<HeaderInfo> {
    let mut head = [0u8; 12];
    r.read_exact(&mut head)?;
    let mut info = HeaderInfo::default();
    let mut texts = Texts(Vec::new());
    let mut pos = 12u64;
    while pos + 8 <= len {
        let mut ch = [0u8; 8];
        if read_up_to(r, &mut ch)? < 8 {
            break;
        }
        let size = u64::from(u32::from_be_bytes([ch[4], ch[5], ch[6], ch[7]]));
        match &ch[..4] {
            b"COMM" => {
                let b = read_chunk(r, size)?;
                if b.len() < 18 {
                    return Err(bad("COMM chunk too short"));
                }
                info.channels = u16::from_be_bytes([b[0], b[1]]);
                info.frames = u64::from(u32::from_be_bytes([b[2], b[3], b[4], b[5]]));
                info.bits = u16::from_be_bytes([b[6], b[7]]);
                info.sample_rate = extended_to_u32(&b[8..18]);
            }
            b"NAME" | b"ANNO" | b"AUTH" => {
                let b = read_chunk(r, size)?;
                texts.push(&String::from_utf8_lossy(&b));
            }
            _ => {}
        }
        let next = pos + 8 + size + (size & 1);
        r.seek(SeekFrom::Start(next))?;
        pos = next;
    }
    if info.sample_rate == 0 || info.channels == 0 {
        return Err(bad("no COMM chunk"));
    }
    info.description = texts.join();
    Ok(info)
}

/// An 80-bit IEEE extended float (AIFF sample rate) as an integer.
fn extended_to_u32(b: &[u8]) -> u32 {
    let exp = i32::from(u16::from_be_bytes([b[0], b[1]]) & 0x7FFF) - 16383;
    let mant = u64::from_be_bytes(b[2..10].try_into().unwrap_or([0; 8]));
    if !(0..=31).contains(&exp) {
        return 0;
    }
    (mant >> (63 - exp)) as u32
}

fn flac(r: &mut (impl Read + Seek)) -> io::Result<HeaderInfo> {
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)?;
    let mut info = HeaderInfo::default();
    let mut texts = Texts(Vec::new());
    loop {
        let mut h = [0u8; 4];
        r.read_exact(&mut h)?;
        let last = h[0] & 0x80 != 0;
        let kind = h[0] & 0x7F;
        let size = u64::from(u32::from_be_bytes([0, h[1], h[2], h[3]]));
        match kind {
            0 => {
                let b = read_chunk(r, size)?;
                if b.len() < 18 {
                    return Err(bad("STREAMINFO too short"));
                }
                info.sample_rate =
                    (u32::from(b[10]) << 12) | (u32::from(b[11]) << 4) | (u32::from(b[12]) >> 4);
                info.channels = u16::from((b[12] >> 1) & 0x07) + 1;
                info.bits = (u16::from(b[12] & 1) << 4 | u16::from(b[13] >> 4)) + 1;
                info.frames = (u64::from(b[13] & 0x0F) << 32)
                    | u64::from(u32::from_be_bytes([b[14], b[15], b[16], b[17]]));
            }
            4 => {
                let b = read_chunk(r, size)?;
                for (k, v) in vorbis_comments(&b) {
                    match k.as_str() {
                        "TITLE" | "DESCRIPTION" | "COMMENT" | "KEYWORDS" => texts.push(&v),
                        "GENRE" | "CATEGORY" if info.category.is_empty() => info.category = v,
                        _ => {}
                    }
                }
            }
            _ => {
                r.seek(SeekFrom::Current(size as i64))?;
            }
        }
        if last {
            break;
        }
    }
    if info.sample_rate == 0 {
        return Err(bad("no STREAMINFO"));
    }
    info.description = texts.join();
    Ok(info)
}

fn vorbis_comments(b: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let take = |i: usize| b.get(i..i + 4).map(u32le).map(|v| v as usize);
    let Some(vendor) = take(0) else { return out };
    let mut i = 4 + vendor;
    let Some(n) = take(i) else { return out };
    i += 4;
    for _ in 0..n.min(10_000) {
        let Some(l) = take(i) else { break };
        let Some(s) = b.get(i + 4..i + 4 + l) else {
            break;
        };
        let s = String::from_utf8_lossy(s);
        if let Some((k, v)) = s.split_once('=') {
            out.push((k.to_ascii_uppercase(), v.to_owned()));
        }
        i += 4 + l;
    }
    out
}

/// MP3, Ogg, M4A, CAF…: symphonia's probe (container headers and tags; no
/// packets are decoded).
fn probe_other(path: &Path) -> Result<HeaderInfo, String> {
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::{FormatOptions, TrackType};
    use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
    use symphonia::core::meta::{MetadataOptions, StandardTag};
    let file = File::open(path).map_err(|e| e.to_string())?;
    let stream = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut format = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        symphonia::default::get_probe().probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
    }))
    .map_err(|_| "unreadable header".to_owned())?
    .map_err(|e| format!("not a supported audio file ({e})"))?;
    let track = format
        .default_track(TrackType::Audio)
        .cloned()
        .ok_or_else(|| "no audio track".to_owned())?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or_else(|| "no audio track".to_owned())?;
    let mut info = HeaderInfo {
        sample_rate: params.sample_rate.unwrap_or(0),
        channels: params.channels.as_ref().map_or(0, |c| c.count() as u16),
        bits: params.bits_per_sample.unwrap_or(0) as u16,
        frames: track.num_frames.unwrap_or(0),
        ..HeaderInfo::default()
    };
    let mut texts = Texts(Vec::new());
    if let Some(rev) = format.metadata().current() {
        for tag in &rev.media.tags {
            match &tag.std {
                Some(
                    StandardTag::TrackTitle(v)
                    | StandardTag::Comment(v)
                    | StandardTag::Description(v),
                ) => texts.push(v),
                Some(StandardTag::Genre(v)) if info.category.is_empty() => {
                    info.category = v.to_string();
                }
                _ => {}
            }
        }
    }
    if info.sample_rate == 0 {
        return Err("the header does not give a sample rate".to_owned());
    }
    info.description = texts.join();
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_values_are_unescaped() {
        let xml = "<BWFXML><NOTE>door &amp; latch</NOTE><NOTE></NOTE><SCENE>12A</SCENE></BWFXML>";
        assert_eq!(xml_values(xml, "NOTE"), vec!["door & latch"]);
        assert_eq!(xml_values(xml, "SCENE"), vec!["12A"]);
        assert!(xml_values(xml, "TAKE").is_empty());
    }

    #[test]
    fn aiff_rates_decode() {
        // 48000 as an 80-bit extended float.
        let b = [0x40, 0x0E, 0xBB, 0x80, 0, 0, 0, 0, 0, 0];
        assert_eq!(extended_to_u32(&b), 48_000);
        let b = [0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0];
        assert_eq!(extended_to_u32(&b), 44_100);
    }
}
