//! Turnovers from the command line: `import-timeline`, `export-timeline`
//! and `info --json`, and the media search both the CLI and the editor use.

use anyhow::{Context, Result, bail};
use dubstage_interchange::import::{Options, Report};
use dubstage_interchange::{Found, MediaResolver, Time, Wanted};
use dubstage_media::library::{HeaderInfo, read_header};
use dubstage_model::{ClipChannels, FrameRate, Project, file};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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
}

impl DiskMedia {
    pub fn new(dirs: Vec<PathBuf>, sample_rate: u32) -> DiskMedia {
        DiskMedia {
            dirs,
            sample_rate,
            files: None,
            headers: HashMap::new(),
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
        let by_name = self
            .files()
            .iter()
            .find(|f| {
                let n = f
                    .file_name()
                    .map(|n| n.to_string_lossy().to_ascii_lowercase());
                let s = f
                    .file_stem()
                    .map(|n| n.to_string_lossy().to_ascii_lowercase());
                n.as_deref() == Some(lower.as_str())
                    || (!stem.is_empty() && s.as_deref() == Some(stem.as_str()))
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

/// A frame rate from `23.976`, `24`, `25`, `29.97`, `29.97df`, `30`, … as
/// given on the command line.
pub fn parse_rate(s: &str) -> Result<FrameRate> {
    let t = s.trim().to_ascii_lowercase();
    let (num, df) = match t.strip_suffix("df") {
        Some(n) => (n.trim(), true),
        None => (t.strip_suffix("ndf").unwrap_or(&t).trim(), false),
    };
    let v: f64 = num
        .parse()
        .with_context(|| format!("\"{s}\" is not a frame rate (e.g. 23.976, 25, 29.97df)"))?;
    dubstage_interchange::timeline::rate_from_f64(v, df)
        .with_context(|| format!("\"{s}\" is not a frame rate (e.g. 23.976, 25, 29.97df)"))
}

/// Imports a turnover into a new project file (and its report).
pub struct ImportArgs<'a> {
    pub file: &'a Path,
    pub output: &'a Path,
    pub media_dirs: &'a [PathBuf],
    pub report: Option<&'a Path>,
    pub edl_rate: FrameRate,
    pub sample_rate: u32,
    pub force: bool,
}

/// Reads the turnover, finds its media and builds the project.
pub fn import(
    file: &Path,
    media_dirs: &[PathBuf],
    edl_rate: FrameRate,
    sample_rate: u32,
) -> Result<(Project, Report)> {
    let (format, tl) = dubstage_interchange::read_file(file, edl_rate)?;
    let mut dirs = media_dirs.to_vec();
    if let Some(parent) = file.parent() {
        dirs.push(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_owned()
        });
    }
    let mut disk = DiskMedia::new(dirs, sample_rate);
    let options = Options {
        sample_rate,
        ..Options::default()
    };
    let (project, report) = dubstage_interchange::build(
        &tl,
        &file.display().to_string(),
        format.label(),
        &options,
        &mut disk,
    )
    .with_context(|| format!("{}: the timeline does not make a project", file.display()))?;
    Ok((project, report))
}

pub fn import_timeline(a: &ImportArgs<'_>) -> Result<()> {
    for out in std::iter::once(a.output).chain(a.report) {
        if out.exists() && !a.force {
            bail!("{} exists (use --force to replace it)", out.display());
        }
    }
    if a.report == Some(a.output) {
        bail!("the report and the project cannot be the same file");
    }
    let (project, report) = import(a.file, a.media_dirs, a.edl_rate, a.sample_rate)?;
    file::save(&project, a.output).with_context(|| format!("saving {}", a.output.display()))?;
    if let Some(r) = a.report {
        file::write_atomic(r, report.json().as_bytes())
            .with_context(|| format!("writing {}", r.display()))?;
    }
    print!("{}", report.text());
    println!("\nWrote {}", a.output.display());
    Ok(())
}

pub fn export_timeline(project: &Path, output: &Path, force: bool) -> Result<()> {
    let p = crate::cli::load_project(project)?;
    if output.exists() && !force {
        bail!("{} exists (use --force to replace it)", output.display());
    }
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let text = match ext.as_str() {
        "otio" => dubstage_interchange::otio::write(&p),
        "edl" => {
            let (text, left_out) = dubstage_interchange::edl::write(&p);
            for t in left_out {
                eprintln!("warning: track \"{t}\" left out (an EDL has four audio channels)");
            }
            text
        }
        _ => bail!(
            "{}: the extension says the format: .otio or .edl",
            output.display()
        ),
    };
    file::write_atomic(output, text.as_bytes())
        .with_context(|| format!("writing {}", output.display()))?;
    println!("Wrote {}", output.display());
    Ok(())
}

/// The project as JSON for scripts (documented in docs/project-json.md).
pub fn info_json(path: &Path) -> Result<()> {
    let p = crate::cli::load_project(path)?;
    println!("{}", project_json(&p));
    Ok(())
}

pub fn project_json(p: &Project) -> String {
    let fade =
        |f: &dubstage_model::Fade| json!({"length": f.length.0, "shape": format!("{:?}", f.shape)});
    let tracks: Vec<serde_json::Value> = p
        .tracks
        .iter()
        .map(|t| {
            let clips: Vec<serde_json::Value> = t
                .clips
                .iter()
                .map(|c| {
                    let m = p.media.iter().find(|m| m.id == c.media);
                    json!({
                        "name": c.name,
                        "position": c.position.0,
                        "length": c.length.0,
                        "source_offset": c.source_offset.0,
                        "gain_db": c.gain_db,
                        "fade_in": fade(&c.fade_in),
                        "fade_out": fade(&c.fade_out),
                        "channel": match c.channels { ClipChannels::Mono(ch) => Some(ch), ClipChannels::Stereo => None },
                        "media": m.map(|m| m.path.display().to_string()),
                        "media_name": m.map(|m| m.name.clone()),
                        "offline": m.is_none_or(|m| !m.path.is_file()),
                    })
                })
                .collect();
            json!({
                "name": t.name,
                "kind": t.kind.label(),
                "output": match t.output {
                    dubstage_model::Output::Bus(b) => p.bus(b).map_or("?".to_owned(), |b| b.name.clone()),
                    dubstage_model::Output::Master => "master".to_owned(),
                },
                "gain_db": t.gain_db,
                "pan": t.pan,
                "mute": t.mute,
                "clips": clips,
            })
        })
        .collect();
    let media: Vec<serde_json::Value> = p
        .media
        .iter()
        .map(|m| {
            json!({
                "name": m.name, "path": m.path.display().to_string(), "channels": m.channels,
                "length": m.length.0, "time_reference": m.time_reference, "tape": m.tape,
                "offline": !m.path.is_file(),
            })
        })
        .collect();
    let markers: Vec<serde_json::Value> = p
        .markers
        .iter()
        .map(|m| json!({"name": m.name, "position": m.position.0}))
        .collect();
    let doc = json!({
        "name": p.name,
        "sample_rate": p.sample_rate.hz(),
        "frame_rate": {"num": p.frame_rate.num(), "den": p.frame_rate.den(), "drop_frame": p.frame_rate.is_drop_frame(), "label": p.frame_rate.label()},
        "start_timecode": p.start_timecode.to_string_with(p.frame_rate.is_drop_frame()),
        "tracks": tracks,
        "media": media,
        "markers": markers,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
