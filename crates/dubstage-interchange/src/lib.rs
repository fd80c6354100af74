//! Turnovers: the picture editor's timeline in (AAF, OpenTimelineIO JSON,
//! Final Cut Pro 7 XML, FCPXML, CMX3600 EDL), the sound timeline out (OTIO,
//! EDL).
//!
//! Each format's reader produces a [`Timeline`] (exact rational times, what
//! each clip plays, notes of what it could not carry); [`import::build`]
//! turns that into a [`dubstage_model::Project`] with the media found by a
//! [`import::MediaResolver`] the caller gives (this crate reads no media; it
//! writes media only when it extracts an AAF's embedded essence, with
//! [`aaf::extract_embedded`]), and an [`import::Report`] of every item
//! carried, dropped or approximated.
//!
//! Depends on the model only.

pub mod aaf;
pub mod edl;
pub mod fcpxml;
pub mod import;
pub mod otio;
pub mod timeline;
pub mod xmeml;

pub use import::{Found, MediaResolver, Report, Wanted, build};
pub use timeline::{Time, Timeline};

use dubstage_model::FrameRate;
use std::path::{Path, PathBuf};

/// Largest turnover read (a timeline is text; anything bigger is not one).
pub const MAX_TURNOVER_BYTES: u64 = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum InterchangeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {what}")]
    NotATimeline { path: PathBuf, what: String },
    #[error("{format}: {what}")]
    Malformed { format: &'static str, what: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{path}: {source}")]
    In {
        path: PathBuf,
        source: Box<InterchangeError>,
    },
}

/// The turnover formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Aaf,
    Otio,
    Fcp7Xml,
    Fcpxml,
    Edl,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Aaf => "AAF",
            Format::Otio => "OpenTimelineIO",
            Format::Fcp7Xml => "FCP7 XML",
            Format::Fcpxml => "FCPXML",
            Format::Edl => "CMX3600 EDL",
        }
    }
}

/// Which format `text` is, from its content (not its name).
pub fn detect(text: &str) -> Option<Format> {
    let head = text.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{') && text.contains("\"OTIO_SCHEMA\"") {
        return Some(Format::Otio);
    }
    if head.starts_with('<') {
        let first = head.get(..4096).unwrap_or(head);
        if first.contains("<xmeml") {
            return Some(Format::Fcp7Xml);
        }
        if first.contains("<fcpxml") {
            return Some(Format::Fcpxml);
        }
        return None;
    }
    let mut lines = head.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next()?;
    let event = |l: &str| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() >= 8 && f[0].chars().all(|c| c.is_ascii_digit())
    };
    if first.starts_with("TITLE:") || first.starts_with("FCM:") || event(first) {
        return Some(Format::Edl);
    }
    None
}

/// Parses an XML turnover. Editors write a `<!DOCTYPE xmeml>` or
/// `<!DOCTYPE fcpxml>` line, so a DTD is allowed; entity expansion is
/// bounded by a node limit (a timeline is far below it).
pub(crate) fn parse_xml(xml: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            nodes_limit: 20_000_000,
        },
    )
}

/// The first bytes of a structured-storage (compound) file, as AAF is.
pub const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Which format a file is, from its first bytes (an AAF is told by its
/// container; text formats by [`detect`]).
pub fn detect_bytes(head: &[u8]) -> Option<Format> {
    if head.starts_with(&CFB_MAGIC) {
        return Some(Format::Aaf);
    }
    detect(&String::from_utf8_lossy(head))
}

/// Reads the turnover at `path`, whatever its format. `edl_rate` is the
/// frame rate for an EDL (which does not say).
pub fn read_file(path: &Path, edl_rate: FrameRate) -> Result<(Format, Timeline), InterchangeError> {
    // A Final Cut Pro bundle (`.fcpxmld`) holds its timeline in Info.fcpxml.
    let bundle = path.join("Info.fcpxml");
    let path: &Path = if path.is_dir() && bundle.is_file() {
        &bundle
    } else {
        path
    };
    let io = |source| InterchangeError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(InterchangeError::NotATimeline {
            path: path.to_owned(),
            what: "not a regular file".into(),
        });
    }
    let mut head = [0u8; 8];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(io)?;
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..]).map_err(io)? {
                0 => break,
                k => n += k,
            }
        }
    }
    if head == CFB_MAGIC {
        // An AAF: its essence may be large; only its metadata is read.
        let f = std::fs::File::open(path).map_err(io)?;
        let tl = aaf::read(std::io::BufReader::new(f)).map_err(|what| {
            InterchangeError::NotATimeline {
                path: path.to_owned(),
                what: format!("not a readable AAF: {what}"),
            }
        })?;
        return Ok((Format::Aaf, tl));
    }
    if meta.len() > MAX_TURNOVER_BYTES {
        return Err(InterchangeError::NotATimeline {
            path: path.to_owned(),
            what: format!(
                "{} MB is more than a timeline can be ({} MB at most)",
                meta.len() >> 20,
                MAX_TURNOVER_BYTES >> 20
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let text = String::from_utf8(bytes).map_err(|_| InterchangeError::NotATimeline {
        path: path.to_owned(),
        what: "not text, and not an AAF".into(),
    })?;
    let format = detect(&text).ok_or_else(|| InterchangeError::NotATimeline {
        path: path.to_owned(),
        what: "not an AAF, OTIO, FCP7 XML, FCPXML or CMX3600 EDL timeline".into(),
    })?;
    let tl = read_str(format, &text, edl_rate).map_err(|e| InterchangeError::In {
        path: path.to_owned(),
        source: Box::new(e),
    })?;
    Ok((format, tl))
}

/// Reads `text` as `format`.
pub fn read_str(
    format: Format,
    text: &str,
    edl_rate: FrameRate,
) -> Result<Timeline, InterchangeError> {
    match format {
        Format::Aaf => Err(InterchangeError::Malformed {
            format: "AAF",
            what: "an AAF is a binary file: read it with read_file".into(),
        }),
        Format::Otio => otio::read(text),
        Format::Fcp7Xml => xmeml::read(text),
        Format::Fcpxml => fcpxml::read(text),
        Format::Edl => edl::read(text, edl_rate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_their_content() {
        assert_eq!(
            detect("{\"OTIO_SCHEMA\": \"Timeline.1\"}"),
            Some(Format::Otio)
        );
        assert_eq!(
            detect("<?xml version=\"1.0\"?>\n<xmeml version=\"5\">"),
            Some(Format::Fcp7Xml)
        );
        assert_eq!(detect("TITLE: x\nFCM: NON-DROP FRAME\n"), Some(Format::Edl));
        assert_eq!(
            detect("<?xml version=\"1.0\"?>\n<!DOCTYPE fcpxml>\n<fcpxml version=\"1.10\">"),
            Some(Format::Fcpxml)
        );
        assert_eq!(
            detect_bytes(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some(Format::Aaf)
        );
        assert_eq!(
            detect("001  AX  A  C  01:00:00:00 01:00:01:00 01:00:00:00 01:00:01:00"),
            Some(Format::Edl)
        );
        assert_eq!(detect("<html>"), None);
        assert_eq!(detect("hello"), None);
        assert_eq!(detect(""), None);
    }
}
