//! Turnovers in the editor and the command line alike: the media search
//! (at the turnover's path, by file name, by tape and timecode) and the
//! import run in the background with progress and Cancel.

use dubstage_interchange::import::{Options, Report};
use dubstage_interchange::{Found, MediaResolver, Time, Wanted};
use dubstage_media::library::{HeaderInfo, read_header};
use dubstage_model::{FrameRate, Project};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Sound file extensions searched for.
const AUDIO: [&str; 9] = [
    "wav", "bwf", "aif", "aiff", "flac", "mp3", "ogg", "m4a", "rf64",
];

/// Finds turnover media on disk: at its path, else by file name, else by
/// tape (or reel) name and timecode, in the folders given (searched
/// recursively, eight levels deep at most).
pub struct DiskMedia {
    dirs: Vec<PathBuf>,
    sample_rate: u32,
    files: Option<Vec<PathBuf>>,
    headers: HashMap<PathBuf, Option<HeaderInfo>>,
    /// Set to stop: every search after it finds nothing.
    pub cancel: Arc<AtomicBool>,
    /// Media entries searched for so far.
    pub searched: Arc<AtomicUsize>,
    /// Embedded essence bytes extracted so far, and in all.
    pub extracted: Arc<(AtomicU64, AtomicU64)>,
}

impl DiskMedia {
    pub fn new(dirs: Vec<PathBuf>, sample_rate: u32) -> DiskMedia {
        DiskMedia {
            dirs,
            sample_rate,
            files: None,
            headers: HashMap::new(),
            cancel: Arc::new(AtomicBool::new(false)),
            searched: Arc::new(AtomicUsize::new(0)),
            extracted: Arc::new((AtomicU64::new(0), AtomicU64::new(0))),
        }
    }

    fn files(&mut self) -> &[PathBuf] {
        if self.files.is_none() {
            let mut found = Vec::new();
            for d in &self.dirs {
                walk(d, 0, &mut found);
            }
            found.sort();
            self.files = Some(found);
        }
        self.files.as_deref().unwrap_or_default()
    }

    fn header(&mut self, path: &Path) -> Option<HeaderInfo> {
        self.headers
            .entry(path.to_owned())
            .or_insert_with(|| read_header(path).ok())
            .clone()
    }

    fn found(&mut self, path: &Path, how: &str) -> Option<Found> {
        let h = self.header(path)?;
        let rate = u64::from(h.sample_rate.max(1));
        let sr = u64::from(self.sample_rate);
        let at_rate =
            |v: u64| i64::try_from((u128::from(v) * u128::from(sr) / u128::from(rate)) as u64).ok();
        Some(Found {
            path: path.to_owned(),
            channels: h.channels,
            length: at_rate(h.frames).unwrap_or(0),
            time_reference: h.time_reference.and_then(at_rate),
            how: how.to_owned(),
        })
    }
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 8 || out.len() > 200_000 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            walk(&p, depth + 1, out);
        } else if t.is_file()
            && p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| AUDIO.contains(&x.to_ascii_lowercase().as_str()))
        {
            out.push(p);
        }
    }
}

impl MediaResolver for DiskMedia {
    fn resolve(&mut self, w: &Wanted<'_>) -> Option<Found> {
        self.searched.fetch_add(1, Ordering::Relaxed);
        if self.cancel.load(Ordering::Relaxed) {
            return None;
        }
        if let Some(p) = w.path
            && p.is_file()
            && let Some(f) = self.found(p, "at its path")
        {
            return Some(f);
        }
        // By file name (with or without its extension).
        let name = w
            .path
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| w.name.to_owned());
        let stem = Path::new(&name)
            .file_stem()
            .map(|s| s.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        // The exact file name first; the same name with another extension
        // (a take converted since) only when there is none.
        let lower_of =
            |o: Option<&std::ffi::OsStr>| o.map(|n| n.to_string_lossy().to_ascii_lowercase());
        let files = self.files();
        let by_name = files
            .iter()
            .find(|f| lower_of(f.file_name()).as_deref() == Some(lower.as_str()))
            .or_else(|| {
                files.iter().find(|f| {
                    !stem.is_empty() && lower_of(f.file_stem()).as_deref() == Some(stem.as_str())
                })
            })
            .cloned();
        if let Some(p) = by_name
            && let Some(f) = self.found(&p, "by name")
        {
            return Some(f);
        }
        // By tape and timecode: the file's tape (iXML) or name has the
        // tape's name, and its time reference covers the source range.
        if w.tape.is_empty() {
            return None;
        }
        let tape = w.tape.to_ascii_lowercase();
        let sr = self.sample_rate;
        let candidates: Vec<PathBuf> = self.files().to_vec();
        for p in candidates {
            let Some(h) = self.header(&p) else { continue };
            let named = h.tape.eq_ignore_ascii_case(w.tape)
                || p.file_stem()
                    .is_some_and(|s| s.to_string_lossy().to_ascii_lowercase().contains(&tape));
            if !named {
                continue;
            }
            let Some(f) = self.found(&p, "by tape and timecode") else {
                continue;
            };
            let Some(tr) = f.time_reference else { continue };
            let start = Time::new(i128::from(tr), i128::from(sr));
            let end = Time::new(i128::from(tr + f.length), i128::from(sr));
            if start <= w.from && w.to <= end {
                return Some(f);
            }
        }
        None
    }
}

/// Where an AAF's embedded media goes when the caller does not say: a
/// folder named after the turnover, beside it.
pub fn default_essence_dir(turnover: &Path, beside: Option<&Path>) -> PathBuf {
    let stem = turnover.file_stem().map_or_else(
        || "Turnover".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let dir = beside
        .map(Path::to_owned)
        .or_else(|| turnover.parent().map(Path::to_owned))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    dir.join(format!("{stem} Media"))
}

/// Reads a turnover, extracts an AAF's embedded media into `essence_dir`
/// (see [`default_essence_dir`]), finds its media in `media_dirs` (and the
/// turnover's own folder) and builds the project. `media` carries the
/// cancel flag and the progress counts; a cancelled import is an error.
pub fn import(
    file: &Path,
    media_dirs: &[PathBuf],
    edl_rate: FrameRate,
    sample_rate: u32,
    media: Option<DiskMedia>,
    kinds: Vec<Option<dubstage_model::TrackKind>>,
    essence_dir: Option<&Path>,
) -> Result<(Project, Report), String> {
    let (format, mut tl) =
        dubstage_interchange::read_file(file, edl_rate).map_err(|e| e.to_string())?;
    let media = media.unwrap_or_else(|| DiskMedia::new(Vec::new(), sample_rate));
    if !tl.essence.is_empty() {
        let dir = essence_dir.map_or_else(|| default_essence_dir(file, None), Path::to_owned);
        let (cancel, progress) = (media.cancel.clone(), media.extracted.clone());
        dubstage_interchange::aaf::extract_embedded(file, &mut tl, &dir, &mut |done, total| {
            progress.0.store(done, Ordering::Relaxed);
            progress.1.store(total, Ordering::Relaxed);
            !cancel.load(Ordering::Relaxed)
        })
        .map_err(|e| match e {
            dubstage_interchange::InterchangeError::Cancelled => "cancelled".to_owned(),
            e => format!(
                "{}: the embedded media could not be extracted to {} ({e})",
                file.display(),
                dir.display()
            ),
        })?;
    }
    let mut dirs = media_dirs.to_vec();
    if let Some(parent) = file.parent() {
        dirs.push(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_owned()
        });
    }
    let mut disk = media;
    disk.dirs = dirs;
    disk.sample_rate = sample_rate;
    let cancel = disk.cancel.clone();
    let options = Options { sample_rate, kinds };
    let built = dubstage_interchange::build(
        &tl,
        &file.display().to_string(),
        format.label(),
        &options,
        &mut disk,
    )
    .map_err(|e| {
        format!(
            "{}: the timeline does not make a project ({e})",
            file.display()
        )
    })?;
    if cancel.load(Ordering::Relaxed) {
        return Err("cancelled".into());
    }
    let (mut project, mut report) = built;
    if let Some(movie) = &tl.picture {
        attach_picture(&mut project, &mut report, movie, &disk.dirs);
    }
    Ok((project, report))
}

/// Makes the turnover's reference movie the project's picture when it is
/// found (at its path, else by file name in `dirs`) and can be probed.
fn attach_picture(
    project: &mut Project,
    report: &mut Report,
    movie: &dubstage_interchange::timeline::PictureRef,
    dirs: &[PathBuf],
) {
    use dubstage_interchange::import::Item;
    let name = movie
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let found = if movie.path.is_file() {
        Some(movie.path.clone())
    } else {
        let mut all = Vec::new();
        for d in dirs {
            walk_any(d, 0, &mut all);
        }
        all.into_iter().find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(&name))
        })
    };
    let Some(path) = found else {
        report.dropped.push(Item {
            item: name,
            what: format!(
                "reference movie not found (was {}): set it with File > Set Picture",
                movie.path.display()
            ),
        });
        return;
    };
    let probed = dubstage_media::video::Tools::locate()
        .map_err(|e| e.to_string())
        .and_then(|t| dubstage_media::video::probe(&t, &path).map_err(|e| e.to_string()))
        .and_then(|info| crate::picture::movie_frame_rate(&info).map(|rate| (info, rate)));
    match probed {
        Ok((info, frame_rate)) => {
            let sr = project.sample_rate.hz();
            project.picture = Some(dubstage_model::Picture {
                path: std::path::absolute(&path).unwrap_or(path.clone()),
                frame_rate,
                frames: info.frames,
                position: dubstage_model::SamplePos(movie.at.samples(sr)),
                timecode: info
                    .timecode
                    .as_deref()
                    .and_then(|t| dubstage_model::Timecode::parse(t).ok()),
                width: info.width,
                height: info.height,
                av_offset_ms: 0.0,
            });
            report.carried.push(Item {
                item: name,
                what: format!("reference picture ({})", path.display()),
            });
        }
        Err(e) => report.dropped.push(Item {
            item: name,
            what: format!("reference movie {} not used: {e}", path.display()),
        }),
    }
}

/// Every file under `dir` (eight levels deep at most).
fn walk_any(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 8 || out.len() > 200_000 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            walk_any(&e.path(), depth + 1, out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

/// A turnover import running on its own thread.
pub struct TurnoverJob {
    handle: Option<std::thread::JoinHandle<Result<(Project, Report), String>>>,
    cancel: Arc<AtomicBool>,
    searched: Arc<AtomicUsize>,
    extracted: Arc<(AtomicU64, AtomicU64)>,
}

impl TurnoverJob {
    /// Starts the import; an AAF's embedded media goes to `essence_dir`.
    pub fn start(
        file: PathBuf,
        media_dirs: Vec<PathBuf>,
        edl_rate: FrameRate,
        sample_rate: u32,
        kinds: Vec<Option<dubstage_model::TrackKind>>,
        essence_dir: PathBuf,
    ) -> TurnoverJob {
        let media = DiskMedia::new(Vec::new(), sample_rate);
        let (cancel, searched) = (media.cancel.clone(), media.searched.clone());
        let extracted = media.extracted.clone();
        let handle = std::thread::Builder::new()
            .name("turnover import".into())
            .spawn(move || {
                import(
                    &file,
                    &media_dirs,
                    edl_rate,
                    sample_rate,
                    Some(media),
                    kinds,
                    Some(&essence_dir),
                )
            })
            .ok();
        TurnoverJob {
            handle,
            cancel,
            searched,
            extracted,
        }
    }

    /// Embedded media bytes extracted so far and in all, while an AAF's
    /// essence is being extracted.
    pub fn extracting(&self) -> Option<(u64, u64)> {
        let done = self.extracted.0.load(Ordering::Relaxed);
        let total = self.extracted.1.load(Ordering::Relaxed);
        (total > 0 && done < total).then_some((done, total))
    }

    pub fn is_done(&self) -> bool {
        self.handle
            .as_ref()
            .is_none_or(std::thread::JoinHandle::is_finished)
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Media files searched for so far.
    pub fn searched(&self) -> usize {
        self.searched.load(Ordering::Relaxed)
    }

    /// The result (waits for the thread).
    pub fn wait(mut self) -> Result<(Project, Report), String> {
        match self.handle.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err("the import stopped unexpectedly".into())),
            None => Err("could not start the import thread".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exact_file_name_wins_over_the_same_name_with_another_extension() {
        let dir = std::env::temp_dir().join(format!("dubstage-disk-media-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        // Sorted, "take.flac" comes first; "take.wav" is the one asked for.
        for name in ["take.flac", "take.wav"] {
            std::fs::write(dir.join(name), b"not audio").expect("write");
        }
        let mut disk = DiskMedia::new(vec![dir.clone()], 48_000);
        let w = |name: &'static str| Wanted {
            path: None,
            name,
            tape: "",
            from: Time::ZERO,
            to: Time::ZERO,
        };
        let exact = disk
            .files()
            .iter()
            .find(|f| f.file_name().is_some_and(|n| n == "take.wav"))
            .cloned();
        assert!(exact.is_some());
        // Neither file has a readable header, so nothing is found, but the
        // search asked for the exact one: check through the header cache.
        assert!(disk.resolve(&w("take.wav")).is_none());
        assert!(disk.headers.contains_key(&dir.join("take.wav")));
        assert!(!disk.headers.contains_key(&dir.join("take.flac")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
