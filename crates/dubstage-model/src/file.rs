//! The project file: RON with a `format_version`, media paths relative to the
//! file, atomic saves that keep the previous version as a backup.
//!
//! The format is documented in `docs/project-format.md`.

use crate::project::{MediaId, MediaRef, Project};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 3;

/// The file extension of project files.
pub const EXTENSION: &str = "dubstage";

#[derive(Serialize, Deserialize)]
#[serde(rename = "DubstageProject")]
struct ProjectFile {
    format_version: u32,
    project: Project,
}

#[derive(Deserialize)]
#[serde(rename = "DubstageProject")]
struct VersionProbe {
    format_version: u32,
}

/// Why a project file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: project format version {found} is newer than this Dubstage supports (up to {supported}); open it with a newer Dubstage"
    )]
    NewerVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// A loaded project and what was repaired on the way (shown to the user).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub project: Project,
    pub warnings: Vec<String>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads a project file. Media paths come back absolute (resolved against the
/// file's folder). Clips whose media id is unknown are kept, with an offline
/// media entry added for them.
pub fn load(path: &Path) -> Result<Loaded, FileError> {
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    let base = path.parent().unwrap_or(Path::new("."));
    from_str(&text, path, base)
}

/// Parses project text. `path` names the file in errors; `base` is the folder
/// relative media paths are resolved against.
pub fn from_str(text: &str, path: &Path, base: &Path) -> Result<Loaded, FileError> {
    let parse_err = |e: ron::error::SpannedError| FileError::Parse {
        path: path.to_owned(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: e.code.to_string(),
    };
    if text.trim().is_empty() {
        return Err(FileError::Invalid {
            path: path.to_owned(),
            message: "the file is empty, not a Dubstage project".to_owned(),
        });
    }
    let probe: VersionProbe = ron::from_str(text).map_err(parse_err)?;
    if probe.format_version > FORMAT_VERSION {
        return Err(FileError::NewerVersion {
            path: path.to_owned(),
            found: probe.format_version,
            supported: FORMAT_VERSION,
        });
    }
    if probe.format_version == 0 {
        return Err(FileError::Invalid {
            path: path.to_owned(),
            message: "format_version 0 does not exist (the first version is 1)".to_owned(),
        });
    }
    // Version 2 added the optional `picture`; a version 1 file is a version 2
    // file without one, so it needs no migration. Version 3 added the mixer
    // strips (inserts, sends, bus pan and output), all optional with empty
    // defaults, so a version 2 file is a version 3 file with empty strips.
    // Later versions add migrations here, oldest first, each turning
    // version N into N+1.
    let file: ProjectFile = ron::from_str(text).map_err(parse_err)?;
    let mut project = file.project;
    let warnings = validate(&mut project).map_err(|message| FileError::Invalid {
        path: path.to_owned(),
        message,
    })?;
    if let Some(pic) = &mut project.picture
        && pic.path.is_relative()
        && !pic.path.as_os_str().is_empty()
    {
        pic.path = normalize(&base.join(&pic.path));
    }
    for m in &mut project.media {
        if m.path.is_relative() {
            m.path = normalize(&base.join(&m.path));
        }
        if m.name.is_empty() {
            m.name = display_name(&m.path);
        }
    }
    Ok(Loaded { project, warnings })
}

/// A media entry's default display name: its file name.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Checks ids and references. Repairs what can be repaired without losing
/// anything (returns warnings); refuses what cannot (returns the reason).
fn validate(p: &mut Project) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    let mut check = |id: u32, what: &str| {
        if seen.insert(id) {
            Ok(())
        } else {
            Err(format!("id {id} is used twice (second time by a {what})"))
        }
    };
    for b in &p.buses {
        check(b.id.0, "bus")?;
    }
    for m in &p.media {
        check(m.id.0, "media entry")?;
    }
    for t in &p.tracks {
        check(t.id.0, "track")?;
        for c in &t.clips {
            check(c.id.0, "clip")?;
        }
    }
    for m in &p.markers {
        check(m.id.0, "marker")?;
    }
    for strip in p.strips() {
        for ins in p.strip_inserts(strip) {
            check(ins.id.0, "insert")?;
            ins.validate()?;
            if let Some(sc) = ins.sidechain {
                let exists = match sc {
                    crate::StripId::Track(t) => p.track(t).is_some(),
                    crate::StripId::Bus(b) => p.bus(b).is_some(),
                    crate::StripId::Master => true,
                };
                if !exists || !ins.kind.has_sidechain() {
                    return Err(format!(
                        "insert {} ({}) on {} has a sidechain key that does not exist or is not allowed",
                        ins.id,
                        ins.kind.key(),
                        p.strip_name(strip)
                    ));
                }
            }
        }
    }
    for (owner, sends) in p
        .tracks
        .iter()
        .map(|t| (&t.name, &t.sends))
        .chain(p.buses.iter().map(|b| (&b.name, &b.sends)))
    {
        for s in sends {
            check(s.id.0, "send")?;
            if p.bus(s.bus).is_none() {
                return Err(format!(
                    "\"{owner}\" sends to bus {}, which does not exist",
                    s.bus
                ));
            }
            if !s.level_db.is_finite() {
                return Err(format!(
                    "a send of \"{owner}\" has a level that is not a number"
                ));
            }
        }
    }
    for b in &p.buses {
        if let crate::Output::Bus(o) = b.output
            && p.bus(o).is_none()
        {
            return Err(format!(
                "bus \"{}\" is routed to bus {o}, which does not exist",
                b.name
            ));
        }
    }
    p.routing_order().map_err(|e| e.to_string())?;
    for t in &p.tracks {
        if let crate::Output::Bus(b) = t.output
            && p.bus(b).is_none()
        {
            return Err(format!(
                "track \"{}\" is routed to bus {b}, which does not exist",
                t.name
            ));
        }
        for c in &t.clips {
            if c.length.0 <= 0 {
                return Err(format!(
                    "clip {} on track \"{}\" has length {} (must be at least 1 sample)",
                    c.id, t.name, c.length.0
                ));
            }
        }
    }
    if let Some(pic) = &p.picture
        && pic.frames <= 0
    {
        return Err(format!(
            "the picture has {} frames (must be at least 1)",
            pic.frames
        ));
    }
    let known: HashSet<MediaId> = p.media.iter().map(|m| m.id).collect();
    let mut missing: Vec<MediaId> = p
        .clips()
        .map(|(_, c)| c.media)
        .filter(|m| !known.contains(m))
        .collect();
    missing.sort();
    missing.dedup();
    for id in missing {
        warnings.push(format!(
            "clips refer to media {id}, which is not in the media pool; kept as offline media"
        ));
        p.media.push(MediaRef {
            id,
            path: PathBuf::new(),
            name: format!("unknown media {id}"),
            channels: 0,
            length: crate::SampleLen::ZERO,
        });
    }
    for t in &mut p.tracks {
        t.clips.sort_by_key(|c| (c.position, c.id));
    }
    p.markers.sort_by_key(|m| (m.position, m.id));
    p.fix_next_id();
    Ok(warnings)
}

/// Serializes a project for a file in folder `base` (media paths made relative to it).
pub fn to_string(project: &Project, base: &Path) -> String {
    let mut project = project.clone();
    if let Some(pic) = &mut project.picture
        && !pic.path.as_os_str().is_empty()
    {
        pic.path = relative_to(&pic.path, base);
    }
    for m in &mut project.media {
        if !m.path.as_os_str().is_empty() {
            m.path = relative_to(&m.path, base);
        }
    }
    let file = ProjectFile {
        format_version: FORMAT_VERSION,
        project,
    };
    let config = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .indentor("    ".to_owned());
    // Serializing plain data with derived impls cannot fail.
    ron::ser::to_string_pretty(&file, config).expect("project serializes to RON") + "\n"
}

/// Saves atomically: writes a temporary file beside `path`, syncs it, keeps
/// the previous file as `<name>.bak`, then renames the new file into place.
pub fn save(project: &Project, path: &Path) -> Result<(), FileError> {
    let dir = parent_dir(path);
    let base = fs::canonicalize(&dir).map_err(io_err(&dir))?;
    let text = to_string(project, &base);
    if path.exists() {
        let mut bak = path.as_os_str().to_owned();
        bak.push(".bak");
        fs::copy(path, PathBuf::from(bak)).map_err(io_err(path))?;
    }
    write_atomic(path, text.as_bytes())
}

/// The recovery file autosave writes for a project saved at `path`:
/// `.<name>.recovery` in the same folder.
pub fn recovery_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "untitled.dubstage".to_owned());
    parent_dir(path).join(format!(".{name}.recovery"))
}

/// Writes an autosave of `project` to `recovery` (atomically, no backup).
/// Media paths are made relative to `base`, the folder of the project file
/// the recovery belongs to, so the recovery loads like the project would.
pub fn save_recovery(project: &Project, recovery: &Path, base: &Path) -> Result<(), FileError> {
    let base = fs::canonicalize(base).unwrap_or_else(|_| base.to_owned());
    write_atomic(recovery, to_string(project, &base).as_bytes())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it
/// into place: a crash leaves the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let dir = parent_dir(path);
    let file_name = path.file_name().ok_or_else(|| FileError::Invalid {
        path: path.to_owned(),
        message: "not a file path".to_owned(),
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path)(e));
    }
    // Make the rename durable; a failure here leaves a complete file in place.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes `.` and resolves `..` lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to folder `base` when both are absolute, with `/` separators.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    if !path.is_absolute() || !base.is_absolute() {
        return path.to_owned();
    }
    let path = normalize(path);
    let base = normalize(base);
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return path;
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let check = |p: &str, b: &str, want: &str| {
            assert_eq!(relative_to(Path::new(p), Path::new(b)), PathBuf::from(want));
        };
        check("/a/b/c.wav", "/a/b", "c.wav");
        check("/a/b/media/c.wav", "/a/b", "media/c.wav");
        check("/a/x/c.wav", "/a/b", "../x/c.wav");
        check("/a/./b/../b/c.wav", "/a/b", "c.wav");
        check("rel/c.wav", "/a/b", "rel/c.wav");
    }

    #[test]
    fn normalizes_dots() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
    }
}
