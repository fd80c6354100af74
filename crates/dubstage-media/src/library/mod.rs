//! The sound library: an index of every audio file under the user's library
//! folders, built from headers and metadata only (never by decoding), saved
//! between runs and rescanned incrementally (unchanged size and mtime: kept
//! as is), and searched word by word.
//!
//! * [`scan`] walks the folders (with progress and cancel).
//! * [`Library::search`] finds entries where every word of the query appears
//!   in the name, folder, description or category (with the UCS
//!   subcategory's full name, singular and plural forms and synonyms:
//!   `FOLYFtsp_…` is found by "footstep", `AMBRoom_…` by "room tone"), with
//!   filters and a sort.
//! * [`Library::save`] / [`Library::load`] keep the index in a small binary
//!   file (see [`Library::save`] for the layout).

mod hint;
mod meta;
pub mod ucs;

pub use hint::kind_hint;
pub use meta::{HeaderInfo, read_header};
pub use ucs::{
    Category, SoundKind, category_from_name, kind_of_category, search_terms, subcategory_name,
};

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// File extensions the library indexes.
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "bwf", "rf64", "aif", "aiff", "aifc", "flac", "mp3", "ogg", "oga", "m4a", "aac", "caf",
];

/// One file of the library.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: u64,
    pub sample_rate: u32,
    pub channels: u16,
    /// 0 for formats without a fixed depth.
    pub bits: u16,
    pub frames: u64,
    pub description: String,
    pub originator: String,
    /// Main category (`FOLEY`), from the file name's CatID or the metadata.
    pub category: String,
    /// Subcategory from the CatID (`Ftsp`).
    pub sub_category: String,
    /// The kind of track it probably goes on ([`kind_hint`]).
    pub kind: Option<SoundKind>,
    /// Why the file could not be read (then it is listed, not searched).
    pub error: Option<String>,
    /// Lower-case name, folder, description and category, for search.
    haystack: String,
    /// Where the name ends in `haystack` (name matches rank first).
    name_len: usize,
}

impl Entry {
    fn new(path: PathBuf, size: u64, mtime_ns: u64) -> Entry {
        Entry {
            path,
            size,
            mtime_ns,
            sample_rate: 0,
            channels: 0,
            bits: 0,
            frames: 0,
            description: String::new(),
            originator: String::new(),
            category: String::new(),
            sub_category: String::new(),
            kind: None,
            error: None,
            haystack: String::new(),
            name_len: 0,
        }
    }

    /// The file name.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    pub fn folder(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    pub fn seconds(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.frames as f64 / f64::from(self.sample_rate)
        }
    }

    fn fill(&mut self, h: HeaderInfo) {
        self.kind = kind_hint(&self.path, Some(&h));
        self.sample_rate = h.sample_rate;
        self.channels = h.channels;
        self.bits = h.bits;
        self.frames = h.frames;
        self.description = h.description;
        self.originator = h.originator;
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The name's CatID, else the metadata's (an iXML CATID like
        // "FOLYFtsp" with a known subcategory), else its category as is.
        let from_metadata = || {
            category_from_name(&h.category).filter(|c| c.sub_name().is_some() && !c.sub.is_empty())
        };
        match category_from_name(&stem).or_else(from_metadata) {
            Some(c) => {
                self.category = c.name;
                self.sub_category = c.sub;
            }
            None => self.category = h.category.to_uppercase(),
        }
    }

    /// The subcategory's full name (`FOOTSTEPS` for `FOLEY`/`Ftsp`).
    fn sub_category_name(&self) -> Option<&'static str> {
        let stem = self.path.file_stem().map(|s| s.to_string_lossy());
        stem.and_then(|s| category_from_name(&s))
            .filter(|c| c.name == self.category && c.sub == self.sub_category)
            .and_then(|c| c.sub_name())
            .or_else(|| subcategory_name(&self.category, &self.sub_category))
    }

    /// Builds the search text from the fields (so an index saved before
    /// new search terms existed gets them when loaded).
    fn index_text(&mut self, terms: &mut TermCache) {
        let name = self.name().to_lowercase();
        self.name_len = name.len();
        let key = (
            self.category.clone(),
            self.sub_category.clone(),
            self.sub_category_name(),
        );
        let cat = terms
            .entry(key)
            .or_insert_with_key(|(category, sub, sub_name)| {
                category_text(category, sub, *sub_name)
            });
        self.haystack = format!(
            "{name}\u{1}{}\u{1}{}\u{1}{cat}\u{1}{}",
            self.folder().to_string_lossy().to_lowercase(),
            self.description.to_lowercase(),
            self.originator.to_lowercase()
        );
    }
}

/// Category search texts by category, subcategory and its full name (the
/// same for every file of a subcategory).
type TermCache = std::collections::HashMap<(String, String, Option<&'static str>), String>;

/// The lower-case search text of a category and subcategory: both as
/// written, then [`search_terms`].
fn category_text(category: &str, sub: &str, sub_name: Option<&str>) -> String {
    let mut cat = format!("{} {}", category.to_lowercase(), sub.to_lowercase());
    for t in search_terms(category, sub_name) {
        // A term that begins a word already there ("door" in "doors") is
        // found through that word.
        let known = if t.contains(' ') {
            format!(" {cat} ").contains(&format!(" {t} "))
        } else {
            cat.split(' ').any(|w| w.starts_with(t.as_str()))
        };
        if !known {
            cat.push(' ');
            cat.push_str(&t);
        }
    }
    cat
}

/// The index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Library {
    pub folders: Vec<PathBuf>,
    pub entries: Vec<Entry>,
    /// Every entry's search text, concatenated (rebuilt by scan and load).
    text: SearchText,
}

/// The entries' lower-case search texts in one buffer, separated by
/// newlines, so a query word is one SIMD scan over the whole library.
#[derive(Debug, Clone, Default)]
struct SearchText {
    bytes: Vec<u8>,
    /// Where each entry's text starts (one more: the end).
    starts: Vec<usize>,
}

impl PartialEq for SearchText {
    /// Derived from the entries, so never part of a library's identity.
    fn eq(&self, _: &SearchText) -> bool {
        true
    }
}

/// Shared with a running scan: counts for the progress bar, and cancel.
#[derive(Debug, Default)]
pub struct ScanProgress {
    /// Files found so far.
    pub found: AtomicUsize,
    /// Files whose headers were read (new or changed ones).
    pub read: AtomicUsize,
    /// Files looked at (found and either kept or read).
    pub done: AtomicUsize,
    pub cancel: AtomicBool,
}

/// What a scan changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub unreadable: usize,
    pub cancelled: bool,
}

fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn mtime_ns(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Lists the audio files under `dir` (recursively, hidden folders skipped),
/// with size and mtime.
fn walk(dir: &Path, progress: &ScanProgress, out: &mut Vec<(PathBuf, u64, u64)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs = Vec::new();
    for e in rd.flatten() {
        if progress.cancel.load(Ordering::Relaxed) {
            return;
        }
        let path = e.path();
        let hidden = e.file_name().to_string_lossy().starts_with('.');
        match e.file_type() {
            Ok(t) if t.is_dir() && !hidden => subdirs.push(path),
            Ok(t) if t.is_file() && is_audio(&path) => {
                if let Ok(m) = e.metadata() {
                    out.push((path, m.len(), mtime_ns(&m)));
                    progress.found.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {}
        }
    }
    subdirs.sort();
    for d in subdirs {
        walk(&d, progress, out);
    }
}

/// Scans `folders`, reusing `previous` entries whose size and mtime did not
/// change. A cancelled scan returns `previous` unchanged (with
/// `cancelled` set in the report).
pub fn scan(
    folders: &[PathBuf],
    previous: &Library,
    progress: &ScanProgress,
) -> (Library, ScanReport) {
    let mut files = Vec::new();
    for f in folders {
        walk(f, progress, &mut files);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    let mut report = ScanReport::default();
    if progress.cancel.load(Ordering::Relaxed) {
        report.cancelled = true;
        return (previous.clone(), report);
    }
    let old: std::collections::HashMap<&Path, &Entry> = previous
        .entries
        .iter()
        .map(|e| (e.path.as_path(), e))
        .collect();
    let mut entries = Vec::with_capacity(files.len());
    let mut terms = TermCache::new();
    for (path, size, mtime) in files {
        if progress.cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            return (previous.clone(), report);
        }
        let entry = match old.get(path.as_path()) {
            Some(e) if e.size == size && e.mtime_ns == mtime => {
                report.unchanged += 1;
                (*e).clone()
            }
            known => {
                if known.is_some() {
                    report.changed += 1;
                } else {
                    report.added += 1;
                }
                progress.read.fetch_add(1, Ordering::Relaxed);
                let mut e = Entry::new(path, size, mtime);
                match read_header(&e.path) {
                    Ok(h) => e.fill(h),
                    Err(reason) => e.error = Some(reason),
                }
                e.index_text(&mut terms);
                e
            }
        };
        if entry.error.is_some() {
            report.unreadable += 1;
        }
        entries.push(entry);
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    let kept: std::collections::HashSet<&Path> = entries.iter().map(|e| e.path.as_path()).collect();
    report.removed = previous
        .entries
        .iter()
        .filter(|e| !kept.contains(e.path.as_path()))
        .count();
    let mut lib = Library {
        folders: folders.to_vec(),
        entries,
        text: SearchText::default(),
    };
    lib.reindex();
    (lib, report)
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Relevance,
    Name,
    Duration,
}

/// A search: words (all must match) and filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub text: String,
    /// Only files under this folder.
    pub folder: Option<PathBuf>,
    pub min_seconds: Option<f64>,
    pub max_seconds: Option<f64>,
    pub channels: Option<u16>,
    pub sort: Sort,
}

impl Library {
    /// Indices of the entries matching `q`, in `q.sort` order. Unreadable
    /// files never match.
    pub fn search(&self, q: &Query) -> Vec<usize> {
        let words: Vec<String> = q.text.split_whitespace().map(str::to_lowercase).collect();
        // SIMD substring search, one prepared finder per word.
        let finders: Vec<memchr::memmem::Finder<'_>> = words
            .iter()
            .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
            .collect();
        // Per entry: how many of the words matched so far, and the score.
        let n = self.entries.len();
        let mut matched = vec![0u16; n];
        let mut score = vec![0u32; n];
        if self.text.starts.len() == n + 1 {
            let t = &self.text;
            for (wi, f) in finders.iter().enumerate() {
                let mut e = 0;
                for at in f.find_iter(&t.bytes) {
                    while t.starts[e + 1] <= at {
                        e += 1;
                    }
                    // Only the first hit counts, and only if the words before matched.
                    if usize::from(matched[e]) != wi {
                        continue;
                    }
                    matched[e] += 1;
                    let rel = at - t.starts[e];
                    score[e] += if rel < self.entries[e].name_len { 4 } else { 1 };
                    if at == 0 || !t.bytes[at - 1].is_ascii_alphanumeric() {
                        score[e] += 2;
                    }
                }
            }
        } else {
            // Entries changed without `reindex`: search each text directly.
            for (i, e) in self.entries.iter().enumerate() {
                for f in &finders {
                    let Some(at) = f.find(e.haystack.as_bytes()) else {
                        break;
                    };
                    matched[i] += 1;
                    score[i] += if at < e.name_len { 4 } else { 1 };
                    if at == 0 || !e.haystack.as_bytes()[at - 1].is_ascii_alphanumeric() {
                        score[i] += 2;
                    }
                }
            }
        }
        let all = finders.len() as u16;
        let mut hits: Vec<(usize, u32)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(i, _)| matched[*i] == all)
            .filter(|(_, e)| e.error.is_none())
            .filter(|(_, e)| q.channels.is_none_or(|c| e.channels == c))
            .filter(|(_, e)| q.min_seconds.is_none_or(|m| e.seconds() >= m))
            .filter(|(_, e)| q.max_seconds.is_none_or(|m| e.seconds() <= m))
            .filter(|(_, e)| q.folder.as_ref().is_none_or(|f| e.path.starts_with(f)))
            .map(|(i, _)| (i, score[i]))
            .collect();
        match q.sort {
            // Entries are kept in path order, so the index breaks ties by path.
            Sort::Relevance => hits.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0))),
            Sort::Name => hits.sort_by_cached_key(|h| self.entries[h.0].name().to_lowercase()),
            Sort::Duration => hits.sort_by(|a, b| {
                self.entries[a.0]
                    .seconds()
                    .total_cmp(&self.entries[b.0].seconds())
            }),
        }
        hits.into_iter().map(|(i, _)| i).collect()
    }

    /// The unreadable files and why.
    pub fn unreadable(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.entries
            .iter()
            .filter_map(|e| e.error.as_deref().map(|r| (e.path.as_path(), r)))
    }

    /// Writes the index atomically. Layout (little-endian): magic `DSLB`,
    /// version u32, folder count u32 and folders (u32 length + UTF-8/raw
    /// bytes each), entry count u32, then per entry: path, size u64, mtime
    /// u64, rate u32, channels u16, bits u16, frames u64, description,
    /// originator, category, subcategory (strings as above), kind u8
    /// (0 none, 1–5), error flag u8 and error string when set.
    pub fn save(&self, path: &Path) -> Result<(), crate::MediaError> {
        let mut b = Vec::with_capacity(64 + self.entries.len() * 160);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&(self.folders.len() as u32).to_le_bytes());
        for f in &self.folders {
            put_bytes(&mut b, f.as_os_str().as_encoded_bytes());
        }
        b.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for e in &self.entries {
            put_bytes(&mut b, e.path.as_os_str().as_encoded_bytes());
            b.extend_from_slice(&e.size.to_le_bytes());
            b.extend_from_slice(&e.mtime_ns.to_le_bytes());
            b.extend_from_slice(&e.sample_rate.to_le_bytes());
            b.extend_from_slice(&e.channels.to_le_bytes());
            b.extend_from_slice(&e.bits.to_le_bytes());
            b.extend_from_slice(&e.frames.to_le_bytes());
            for s in [&e.description, &e.originator, &e.category, &e.sub_category] {
                put_bytes(&mut b, s.as_bytes());
            }
            b.push(kind_code(e.kind));
            match &e.error {
                Some(r) => {
                    b.push(1);
                    put_bytes(&mut b, r.as_bytes());
                }
                None => b.push(0),
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| crate::MediaError::io(path, e))?;
        }
        let file_name = path.file_name().unwrap_or_default();
        let (mut file, temp) = crate::write::create_temp(path, file_name)?;
        let r = file
            .write_all(&b)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&temp, path));
        if let Err(e) = r {
            let _ = std::fs::remove_file(&temp);
            return Err(crate::MediaError::io(path, e));
        }
        Ok(())
    }

    /// Reads an index written by [`Library::save`].
    pub fn load(path: &Path) -> io::Result<Library> {
        let mut b = Vec::new();
        std::fs::File::open(path)?.read_to_end(&mut b)?;
        let mut r = Reader { b: &b, at: 0 };
        if r.take(4)? != MAGIC || r.u32()? != VERSION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a Dubstage library index (or from another version)",
            ));
        }
        let n = r.u32()? as usize;
        // Counts are checked against the bytes left (each item takes at
        // least a length field), so a damaged count reserves nothing big.
        let mut folders = Vec::with_capacity(n.min(r.left() / 4));
        for _ in 0..n {
            folders.push(r.path()?);
        }
        let n = r.u32()? as usize;
        let mut entries = Vec::with_capacity(n.min(r.left() / MIN_ENTRY_BYTES));
        let mut terms = TermCache::new();
        for _ in 0..n {
            let mut e = Entry::new(r.path()?, r.u64()?, r.u64()?);
            e.sample_rate = r.u32()?;
            e.channels = r.u16()?;
            e.bits = r.u16()?;
            e.frames = r.u64()?;
            e.description = r.string()?;
            e.originator = r.string()?;
            e.category = r.string()?;
            e.sub_category = r.string()?;
            e.kind = kind_from_code(r.take(1)?[0]);
            if r.take(1)?[0] == 1 {
                e.error = Some(r.string()?);
            }
            e.index_text(&mut terms);
            entries.push(e);
        }
        let mut lib = Library {
            folders,
            entries,
            text: SearchText::default(),
        };
        lib.reindex();
        Ok(lib)
    }

    /// Rebuilds the search text after `entries` changed.
    pub fn reindex(&mut self) {
        let mut t = SearchText {
            bytes: Vec::with_capacity(self.entries.iter().map(|e| e.haystack.len() + 1).sum()),
            starts: Vec::with_capacity(self.entries.len() + 1),
        };
        for e in &self.entries {
            t.starts.push(t.bytes.len());
            t.bytes.extend_from_slice(e.haystack.as_bytes());
            t.bytes.push(b'\n');
        }
        t.starts.push(t.bytes.len());
        self.text = t;
    }
}

const MAGIC: &[u8; 4] = b"DSLB";
const VERSION: u32 = 1;

fn put_bytes(b: &mut Vec<u8>, s: &[u8]) {
    b.extend_from_slice(&(s.len() as u32).to_le_bytes());
    b.extend_from_slice(s);
}

fn kind_code(k: Option<SoundKind>) -> u8 {
    match k {
        None => 0,
        Some(SoundKind::Dialogue) => 1,
        Some(SoundKind::Foley) => 2,
        Some(SoundKind::Ambience) => 3,
        Some(SoundKind::Effect) => 4,
        Some(SoundKind::Music) => 5,
    }
}

fn kind_from_code(c: u8) -> Option<SoundKind> {
    match c {
        1 => Some(SoundKind::Dialogue),
        2 => Some(SoundKind::Foley),
        3 => Some(SoundKind::Ambience),
        4 => Some(SoundKind::Effect),
        5 => Some(SoundKind::Music),
        _ => None,
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

/// The fewest bytes one entry takes in the index (its fixed fields and the
/// length fields of its strings).
const MIN_ENTRY_BYTES: usize = 64;

impl Reader<'_> {
    /// Bytes not yet read.
    fn left(&self) -> usize {
        self.b.len().saturating_sub(self.at)
    }

    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "index is cut off",
            ));
        };
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u16(&mut self) -> io::Result<u16> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().map_err(invalid)?,
        ))
    }
    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(invalid)?,
        ))
    }
    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().map_err(invalid)?,
        ))
    }
    fn bytes(&mut self) -> io::Result<&[u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn string(&mut self) -> io::Result<String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }
    fn path(&mut self) -> io::Result<PathBuf> {
        let b = self.bytes()?;
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            Ok(PathBuf::from(std::ffi::OsStr::from_bytes(b)))
        }
        #[cfg(not(unix))]
        {
            Ok(PathBuf::from(String::from_utf8_lossy(b).into_owned()))
        }
    }
}

fn invalid(_: std::array::TryFromSliceError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "bad field")
}
