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
pub const FORMAT_VERSION: u32 = 4;

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
    let base = media_base(path);
    remove_stale_temps(&real_path(path));
    from_str(&text, path, &base)
}

/// The file a project path stands for: a symlink's target (so a project
/// opened or saved through a link resolves its media beside the real file,
/// and saving replaces the file, not the link), else the path itself.
fn real_path(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.into())
        }
        _ => path.to_owned(),
    }
}

/// The absolute folder that `path`'s relative media paths are relative to.
fn media_base(path: &Path) -> PathBuf {
    let dir = parent_dir(&real_path(path));
    normalize(&std::path::absolute(&dir).unwrap_or(dir))
}

/// Whether process `pid` is running (always assumed where `/proc` cannot
/// tell).
pub fn pid_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the temporary files ([`write_atomic`]'s `.<name>.tmp-<pid>`)
/// that a process killed before its rename left beside `path`, when that
/// process is gone. Returns how many were removed.
pub fn remove_stale_temps(path: &Path) -> usize {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return 0;
    };
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = fs::read_dir(parent_dir(path)) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let pid_text: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(pid) = pid_text.parse::<u32>() else {
            continue;
        };
        if pid != std::process::id() && !pid_alive(pid) && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Parses project text. `path` names the file in errors; `base` is the folder
/// relative media paths are resolved against.
pub fn from_str(text: &str, path: &Path, base: &Path) -> Result<Loaded, FileError> {
    let parse_err = |e: ron::error::SpannedError| FileError::Parse {
        path: path.to_owned(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: match e.code {
            ron::error::Error::ExceededRecursionLimit => {
                "the file is nested too deeply to be a Dubstage project (damaged?)".to_owned()
            }
            code => code.to_string(),
        },
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
    // Version 4 added automation lanes and clip-gain envelopes, both
    // optional and empty by default: a version 3 file is a version 4 file
    // without automation.
    // Later versions add migrations here, oldest first, each turning
    // version N into N+1.
    let file: ProjectFile = ron::from_str(text).map_err(parse_err)?;
    let mut project = file.project;
    let mut warnings = unknown_fields(text);
    warnings.extend(
        validate(&mut project).map_err(|r| match locate(text, &r.at) {
            Some((line, column)) => FileError::Parse {
                path: path.to_owned(),
                line,
                column,
                message: r.message,
            },
            None => FileError::Invalid {
                path: path.to_owned(),
                message: r.message,
            },
        })?,
    );
    if let Some(pic) = &mut project.picture
        && pic.path.is_relative()
        && !pic.path.as_os_str().is_empty()
    {
        pic.path = normalize(&base.join(&pic.path));
    }
    for m in &mut project.media {
        // An empty path (media the file did not list) stays empty: joined
        // to the base it would name the project's folder.
        if m.path.is_relative() && !m.path.as_os_str().is_empty() {
            m.path = normalize(&base.join(&m.path));
        }
        if m.name.is_empty() {
            m.name = display_name(&m.path);
        }
    }
    Ok(Loaded { project, warnings })
}

/// Warnings naming every field of the text that no part of a project has
/// (a misspelt `gain_bd` would otherwise silently do nothing).
fn unknown_fields(text: &str) -> Vec<String> {
    let Ok(mut de) = ron::Deserializer::from_str(text) else {
        return Vec::new();
    };
    let mut unknown = Vec::new();
    let parsed: Result<ProjectFile, _> = serde_ignored::deserialize(&mut de, |path| {
        unknown.push(path.to_string());
    });
    if parsed.is_err() {
        return Vec::new();
    }
    unknown
        .into_iter()
        .map(|f| format!("unknown field `{f}` ignored (misspelt?)"))
        .collect()
}

/// A media entry's default display name: its file name.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Why a project was refused, and where to point in its text.
struct Refusal {
    message: String,
    at: Locator,
}

/// What to look for in the text to give a refusal its line and column.
enum Locator {
    Nowhere,
    /// The first occurrence of a field name (`start_timecode`).
    Field(&'static str),
    /// The `n`-th (0-based) occurrence of `id: <id>` as a whole number.
    Id(u32, usize),
}

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal {
            message,
            at: Locator::Nowhere,
        }
    }
}

fn refuse(message: String, at: Locator) -> Refusal {
    Refusal { message, at }
}

/// Line and column (1-based) of `at` in `text`.
fn locate(text: &str, at: &Locator) -> Option<(usize, usize)> {
    let offset = match *at {
        Locator::Nowhere => return None,
        Locator::Field(name) => find_word(text, name, 0)?,
        Locator::Id(id, nth) => {
            let needle = format!("id: {id}");
            let mut from = 0;
            let mut found = None;
            // The n-th occurrence, or the last one there is (a duplicate of
            // a default bus's id appears only once).
            'occurrences: for _ in 0..=nth {
                let at = loop {
                    let Some(i) = find_word(text, &needle, from) else {
                        break 'occurrences;
                    };
                    from = i + needle.len();
                    // `id: 30` must not match `id: 300`.
                    if !text[from..].starts_with(|c: char| c.is_ascii_digit()) {
                        break i;
                    }
                };
                found = Some(at);
            }
            found?
        }
    };
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    Some((line, column))
}

/// The first `word` at or after `from` not preceded by an identifier
/// character (`id` in `media_id` does not count).
fn find_word(text: &str, word: &str, from: usize) -> Option<usize> {
    let mut start = from;
    while let Some(i) = text.get(start..)?.find(word) {
        let at = start + i;
        let prev = text[..at].chars().next_back();
        if !prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return Some(at);
        }
        start = at + word.len();
    }
    None
}

/// The largest id a project file may use (ids above are left for the
/// engine's own inserts, and new ids must stay countable).
pub const MAX_ID: u32 = 1 << 30;

/// The documented range of every gain in a project, in dB.
const GAIN_RANGE: std::ops::RangeInclusive<f32> = -144.0..=24.0;

/// Checks that a gain is a number within [`GAIN_RANGE`].
fn check_gain(what: &str, db: f32, at: Locator) -> Result<(), Refusal> {
    if db.is_finite() && GAIN_RANGE.contains(&db) {
        Ok(())
    } else {
        Err(refuse(
            format!("{what} has gain_db {db}, outside -144 to +24 dB"),
            at,
        ))
    }
}

/// Checks that a pan is a number within −1 … +1.
fn check_pan(what: &str, pan: f32, at: Locator) -> Result<(), Refusal> {
    if pan.is_finite() && (-1.0..=1.0).contains(&pan) {
        Ok(())
    } else {
        Err(refuse(
            format!("{what} has pan {pan}, outside -1 (left) to +1 (right)"),
            at,
        ))
    }
}

/// Checks ids and references. Repairs what can be repaired without losing
/// anything (returns warnings); refuses what cannot (returns the reason).
fn validate(p: &mut Project) -> Result<Vec<String>, Refusal> {
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    let mut check = |id: u32, what: &str| {
        if id == 0 {
            Err(refuse(
                format!("a {what} has id 0 (ids start at 1)"),
                Locator::Id(0, 0),
            ))
        } else if id > MAX_ID {
            Err(refuse(
                format!("a {what} has id {id}, above the largest id, {MAX_ID}"),
                Locator::Id(id, 0),
            ))
        } else if seen.insert(id) {
            Ok(())
        } else {
            Err(refuse(
                format!("id {id} is used twice (second time by a {what})"),
                Locator::Id(id, 1),
            ))
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
    let rate = p.frame_rate;
    let tc = p.start_timecode;
    if tc.drop_frame && !rate.is_drop_frame() {
        return Err(refuse(
            format!(
                "start_timecode {} uses ';' (drop-frame), but {} is not a drop-frame rate",
                tc.to_string_with(true),
                rate.label()
            ),
            Locator::Field("start_timecode"),
        ));
    }
    if let Err(e) = tc.to_frames(rate) {
        return Err(refuse(
            format!("start_timecode: {e}"),
            Locator::Field("start_timecode"),
        ));
    }
    check_gain("the master", p.master.gain_db, Locator::Field("master"))?;
    for b in &p.buses {
        let what = format!("bus \"{}\"", b.name);
        check_gain(&what, b.gain_db, Locator::Id(b.id.0, 0))?;
        check_pan(&what, b.pan, Locator::Id(b.id.0, 0))?;
    }
    for t in &p.tracks {
        let what = format!("track \"{}\"", t.name);
        check_gain(&what, t.gain_db, Locator::Id(t.id.0, 0))?;
        check_pan(&what, t.pan, Locator::Id(t.id.0, 0))?;
        for c in &t.clips {
            let at = || Locator::Id(c.id.0, 0);
            check_gain(&format!("clip {} on {what}", c.id), c.gain_db, at())?;
            let overflow = c.position.0.checked_add(c.length.0).is_none()
                || c.source_offset.0.checked_add(c.length.0).is_none();
            if overflow {
                return Err(refuse(
                    format!(
                        "clip {} on {what}: position {} + length {} is past the end of time",
                        c.id, c.position.0, c.length.0
                    ),
                    at(),
                ));
            }
            if c.fade_in.length.0 < 0 || c.fade_out.length.0 < 0 {
                return Err(refuse(
                    format!("clip {} on {what} has a negative fade length", c.id),
                    at(),
                ));
            }
        }
    }
    let mut unkeyed = Vec::new();
    for strip in p.strips() {
        for ins in p.strip_inserts(strip) {
            check(ins.id.0, "insert")?;
            ins.validate()
                .map_err(|m| refuse(m, Locator::Id(ins.id.0, 0)))?;
            if let Some(sc) = ins.sidechain {
                let exists = match sc {
                    crate::StripId::Track(t) => p.track(t).is_some(),
                    crate::StripId::Bus(b) => p.bus(b).is_some(),
                    crate::StripId::Master => true,
                };
                if !exists || !ins.kind.has_sidechain() {
                    warnings.push(format!(
                        "insert {} ({}) on {} had a sidechain key that does not exist or is not allowed; the key was removed",
                        ins.id,
                        ins.kind.key(),
                        p.strip_name(strip)
                    ));
                    unkeyed.push(ins.id);
                }
            }
        }
    }
    for id in unkeyed {
        if let Some(ins) = p.insert_mut(id) {
            ins.sidechain = None;
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
            let at = || Locator::Id(s.id.0, 0);
            if p.bus(s.bus).is_none() {
                return Err(refuse(
                    format!("\"{owner}\" sends to bus {}, which does not exist", s.bus),
                    at(),
                ));
            }
            if !s.level_db.is_finite() || !GAIN_RANGE.contains(&s.level_db) {
                return Err(refuse(
                    format!(
                        "a send of \"{owner}\" has level {} dB, outside -144 to +24 dB",
                        s.level_db
                    ),
                    at(),
                ));
            }
        }
    }
    for b in &p.buses {
        if let crate::Output::Bus(o) = b.output
            && p.bus(o).is_none()
        {
            return Err(refuse(
                format!(
                    "bus \"{}\" is routed to bus {o}, which does not exist",
                    b.name
                ),
                Locator::Id(b.id.0, 0),
            ));
        }
    }
    p.routing_order().map_err(|e| e.to_string())?;
    for t in &p.tracks {
        if let crate::Output::Bus(b) = t.output
            && p.bus(b).is_none()
        {
            return Err(refuse(
                format!(
                    "track \"{}\" is routed to bus {b}, which does not exist",
                    t.name
                ),
                Locator::Id(t.id.0, 0),
            ));
        }
        for c in &t.clips {
            if c.length.0 <= 0 {
                return Err(refuse(
                    format!(
                        "clip {} on track \"{}\" has length {} (must be at least 1 sample)",
                        c.id, t.name, c.length.0
                    ),
                    Locator::Id(c.id.0, 0),
                ));
            }
        }
    }
    if let Some(pic) = &p.picture
        && pic.frames <= 0
    {
        return Err(refuse(
            format!("the picture has {} frames (must be at least 1)", pic.frames),
            Locator::Field("picture"),
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
            time_reference: None,
            tape: String::new(),
        });
    }
    for t in &mut p.tracks {
        t.clips.sort_by_key(|c| (c.position, c.id));
    }
    p.markers.sort_by_key(|m| (m.position, m.id));
    // The file's counter is only a hint; a damaged one is recounted.
    if p.next_id > MAX_ID {
        p.next_id = 0;
    }
    p.fix_next_id();
    // Automation: values finite, points in order; a lane of a parameter
    // that no longer exists is dropped with a warning.
    for c in p.tracks.iter().flat_map(|t| &t.clips) {
        if c.gain_envelope
            .iter()
            .any(|e| !e.db.is_finite() || !GAIN_RANGE.contains(&e.db))
        {
            return Err(refuse(
                format!(
                    "clip {} has a gain envelope point outside -144 to +24 dB",
                    c.id
                ),
                Locator::Id(c.id.0, 0),
            ));
        }
    }
    let m = crate::automation::MAX_TIME;
    for t in &mut p.tracks {
        for c in &mut t.clips {
            for e in &mut c.gain_envelope {
                e.at.0 = e.at.0.clamp(-m, m);
            }
            c.gain_envelope = crate::automation::normalise(&c.gain_envelope, |e| e.at.0);
        }
    }
    let mut lanes = std::mem::take(&mut p.automation);
    lanes.retain(|l| {
        let known = p.param(l.param).is_some();
        if !known {
            warnings.push(format!(
                "an automation lane of {:?}, which is not in the project, was dropped",
                l.param
            ));
        }
        known
    });
    for l in &mut lanes {
        if l.points.iter().any(|q| !q.value.is_finite()) {
            return Err(refuse(
                format!(
                    "the automation lane of {:?} has a value that is not a number",
                    l.param
                ),
                Locator::Field("automation"),
            ));
        }
        let (lo, hi) = p.param_range(l.param).unwrap_or((f32::MIN, f32::MAX));
        for q in &mut l.points {
            q.value = q.value.clamp(lo, hi);
            q.at.0 = q.at.0.clamp(-m, m);
        }
        l.points = crate::automation::normalise(&l.points, |q| q.at.0);
    }
    lanes.sort_by_key(|l| l.param);
    lanes.dedup_by_key(|l| l.param);
    p.automation = lanes;
    Ok(warnings)
}

/// Serializes a project for a file in folder `base` (media paths made relative to it).
pub fn to_string(project: &Project, base: &Path) -> String {
    let mut project = project.clone();
    // Lanes of what was deleted (kept in the session for undo) are not
    // written.
    let lanes = std::mem::take(&mut project.automation);
    project.automation = lanes
        .into_iter()
        .filter(|l| project.param(l.param).is_some())
        .collect();
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
///
/// Through a symlink, the link's target is saved (the link stays). The
/// `.bak` copy is itself written atomically, the file keeps its
/// permissions, and temporaries of killed saves are removed.
pub fn save(project: &Project, path: &Path) -> Result<(), FileError> {
    let real = real_path(path);
    let dir = parent_dir(&real);
    if !dir.is_dir() {
        return Err(io_err(&dir)(std::io::Error::from(
            std::io::ErrorKind::NotFound,
        )));
    }
    let base = media_base(path);
    let text = to_string(project, &base);
    remove_stale_temps(&real);
    if real.exists() {
        let mut bak = real.as_os_str().to_owned();
        bak.push(".bak");
        let old = fs::read(&real).map_err(io_err(&real))?;
        write_atomic(&PathBuf::from(bak), &old)?;
    }
    write_atomic(&real, text.as_bytes())
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
    let base = normalize(&std::path::absolute(base).unwrap_or_else(|_| base.to_owned()));
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
    let keep = fs::metadata(path).ok().filter(fs::Metadata::is_file);
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        // The replacement keeps the permissions of the file it replaces.
        if let Some(m) = &keep {
            f.set_permissions(m.permissions())?;
        }
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
            Component::ParentDir => match out.components().next_back() {
                // `..` at the root stays at the root.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                // Leading `..` of a relative path accumulate.
                None | Some(Component::ParentDir) => out.push(".."),
                Some(_) => {
                    out.pop();
                }
            },
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
        // Two or more leading `..` were once collapsed into one.
        for (p, want) in [
            ("../../proj/audio/x.wav", "../../proj/audio/x.wav"),
            ("../../../a/../b", "../../../b"),
            ("./../x/../../y", "../../y"),
            ("/../a", "/a"),
            ("a/../../b", "../b"),
        ] {
            assert_eq!(normalize(Path::new(p)), PathBuf::from(want), "{p}");
        }
    }
}
