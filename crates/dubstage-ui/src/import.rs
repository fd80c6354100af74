//! Importing audio files: decoding and resampling run on a background thread
//! with progress and cancel; the result is applied as one undo step.

use crate::editor::Editor;
use dubstage_media::AudioBuffer;
use dubstage_model::{
    Command, MediaId, NewClip, SampleLen, SamplePos, TrackId, TrackKind, file::display_name,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

/// The track an imported file goes on.
#[derive(Debug, Clone, PartialEq)]
pub enum PlannedTrack {
    /// A new track of its own.
    New { kind: TrackKind, name: String },
    /// One new track shared by every file planned onto it.
    Shared { kind: TrackKind, name: String },
    /// A track that exists.
    Existing(TrackId),
}

/// Where imported clips start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Every file at the import position.
    Playhead,
    /// One after the other from the import position.
    EndToEnd,
    /// At the file's BWF time reference (its original time of day), the
    /// way production sound lands in sync; files without one go to the
    /// import position, and say so.
    TimeReference,
}

/// One file of an import plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedFile {
    pub path: PathBuf,
    pub track: PlannedTrack,
    /// BWF time reference: samples since midnight, at the file's own rate.
    pub time_reference: Option<(u64, u32)>,
    /// Only these frames of the file (a library selection).
    pub range: Option<(usize, usize)>,
}

/// What the Import dialog decided: each file's track and the placement.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    pub files: Vec<PlannedFile>,
    pub placement: Placement,
    /// The import position (the playhead when the dialog opened).
    pub position: SamplePos,
}

/// The timeline position of a BWF time reference (`samples` since
/// midnight at `file_rate`) in a project whose sample 0 is `start`:
/// exact integer arithmetic, no rounding to frames.
pub fn time_reference_position(
    samples: u64,
    file_rate: u32,
    map: &dubstage_model::TimeMap,
) -> SamplePos {
    let rate = u128::from(map.sample_rate.hz());
    let at_project_rate = (u128::from(samples) * rate + u128::from(file_rate.max(1)) / 2)
        / u128::from(file_rate.max(1));
    let midnight = map
        .samples_at(dubstage_model::Timecode::new(0, 0, 0, 0))
        .unwrap_or(SamplePos::ZERO);
    SamplePos(
        i64::try_from(at_project_rate)
            .unwrap_or(i64::MAX)
            .saturating_add(midnight.0),
    )
}

/// Where imported clips go.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportTarget {
    /// The Import dialog's plan.
    Planned(std::sync::Arc<ImportPlan>),
    /// On this track (or a new one when `None`), at `position`, end to end.
    AtPlayhead {
        track: Option<TrackId>,
        position: SamplePos,
    },
    /// On a new track at `position` (a drop on empty space).
    NewTrack { position: SamplePos },
    /// A library sound (its `range` of frames, or all of it) on `track` at
    /// `position`, or on a new track of `kind` when `track` is `None`.
    Spot {
        track: Option<TrackId>,
        kind: TrackKind,
        position: SamplePos,
        range: Option<(usize, usize)>,
    },
    /// The picture's audio (stream `audio_index`) on a new Guide track at
    /// `position`.
    Guide {
        position: SamplePos,
        audio_index: u32,
    },
}

/// One decoded file.
pub struct Imported {
    pub path: PathBuf,
    pub audio: Arc<AudioBuffer>,
    pub peaks: Option<dubstage_media::peaks::PeakPyramid>,
    pub warning: Option<String>,
}

/// What a finished import produced.
pub struct ImportResult {
    pub imported: Vec<Imported>,
    pub failed: Vec<(PathBuf, String)>,
    pub cancelled: bool,
    pub target: ImportTarget,
}

/// An import running in the background.
pub struct ImportJob {
    total: usize,
    done: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<ImportResult>>,
    target: ImportTarget,
}

impl ImportJob {
    pub fn start(
        files: Vec<PathBuf>,
        project_rate: u32,
        target: ImportTarget,
        peak_dir: Option<PathBuf>,
        media_dir: PathBuf,
    ) -> ImportJob {
        let total = files.len();
        let done = Arc::new(AtomicUsize::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        let (d, c) = (done.clone(), cancel.clone());
        let job_target = target.clone();
        let handle = std::thread::Builder::new()
            .name("dubstage-import".into())
            .spawn(move || {
                let mut result = ImportResult {
                    imported: Vec::new(),
                    failed: Vec::new(),
                    cancelled: false,
                    target: job_target,
                };
                for path in files {
                    if c.load(Ordering::Relaxed) {
                        result.cancelled = true;
                        break;
                    }
                    let loaded = match result.target {
                        ImportTarget::Guide { audio_index, .. } => crate::picture::decode_guide(
                            &path,
                            audio_index,
                            project_rate,
                            &media_dir,
                        ),
                        _ => dubstage_media::load_for_project(&path, project_rate)
                            .map(|d| (path.clone(), d))
                            .map_err(|e| e.to_string()),
                    };
                    match loaded {
                        Ok((path, decoded)) => {
                            let peaks = crate::editor::peaks_for(
                                &path,
                                &decoded.audio,
                                peak_dir.as_deref(),
                            );
                            result.imported.push(Imported {
                                path,
                                audio: Arc::new(decoded.audio),
                                peaks,
                                warning: decoded.warning.map(|w| w.to_string()),
                            })
                        }
                        Err(e) => result.failed.push((path, e)),
                    }
                    d.fetch_add(1, Ordering::Relaxed);
                }
                result
            })
            .ok();
        ImportJob {
            total,
            done,
            cancel,
            handle,
            target,
        }
    }

    pub fn progress(&self) -> f32 {
        self.done.load(Ordering::Relaxed) as f32 / self.total.max(1) as f32
    }

    pub fn label(&self) -> String {
        format!(
            "importing {}/{}",
            self.done.load(Ordering::Relaxed).min(self.total),
            self.total
        )
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_done(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the thread and returns its result.
    pub fn wait(mut self) -> ImportResult {
        let empty = |target| ImportResult {
            imported: Vec::new(),
            failed: vec![(PathBuf::new(), "the import could not run".to_owned())],
            cancelled: false,
            target,
        };
        match self.handle.take() {
            Some(h) => h.join().unwrap_or_else(|_| empty(self.target.clone())),
            None => empty(self.target.clone()),
        }
    }
}

/// Adds the imported files to the project as one undo step, where the
/// target says (every kind of target becomes an `ImportPlan`).
pub fn apply_import(editor: &mut Editor, result: ImportResult) {
    for (path, reason) in &result.failed {
        let name = path.display().to_string();
        if reason.contains(&name) {
            editor.notify(format!("not imported: {reason}"), true);
        } else {
            editor.notify(format!("not imported: {name}: {reason}"), true);
        }
    }
    if result.cancelled {
        editor.notify("import cancelled", false);
    }
    if result.imported.is_empty() {
        return;
    }
    let plan = match &result.target {
        ImportTarget::Planned(plan) => (**plan).clone(),
        other => plan_for(editor, other, &result.imported),
    };
    apply_planned(editor, result, &plan);
}

/// The plan of a direct import (a drop, a spot, the picture's audio): one
/// track for all the files, end to end or at one position.
fn plan_for(editor: &Editor, target: &ImportTarget, imported: &[Imported]) -> ImportPlan {
    let p = editor.project();
    let existing = |t: &Option<TrackId>| t.filter(|t| p.track(*t).is_some());
    let first = imported.first().map(|i| i.path.as_path());
    let (track, placement, position, range) = match target {
        ImportTarget::AtPlayhead { track, position } => match existing(track) {
            Some(t) => (
                PlannedTrack::Existing(t),
                Placement::EndToEnd,
                *position,
                None,
            ),
            None => (named_after(first), Placement::EndToEnd, *position, None),
        },
        ImportTarget::NewTrack { position } => {
            (named_after(first), Placement::EndToEnd, *position, None)
        }
        ImportTarget::Spot {
            track,
            kind,
            position,
            range,
        } => {
            let track = match existing(track) {
                Some(t) => PlannedTrack::Existing(t),
                None => PlannedTrack::Shared {
                    kind: *kind,
                    name: kind.label().to_owned(),
                },
            };
            (track, Placement::Playhead, *position, *range)
        }
        ImportTarget::Guide { position, .. } => (
            PlannedTrack::Shared {
                kind: TrackKind::Guide,
                name: "Guide".to_owned(),
            },
            Placement::Playhead,
            *position,
            None,
        ),
        ImportTarget::Planned(plan) => return (**plan).clone(),
    };
    ImportPlan {
        files: imported
            .iter()
            .map(|i| PlannedFile {
                path: i.path.clone(),
                track: track.clone(),
                time_reference: None,
                range,
            })
            .collect(),
        placement,
        position,
    }
}

/// A new track of the first file's kind, named after it.
fn named_after(first: Option<&std::path::Path>) -> PlannedTrack {
    PlannedTrack::Shared {
        kind: first.map_or(TrackKind::Sfx, guess_kind),
        name: first.map(stem_of).unwrap_or_default(),
    }
}

/// The kind of track a file most likely belongs on (UCS category, iXML /
/// bext, name words like "dia", "amb", "fx", "mus"); SFX when nothing says.
pub fn guess_kind(path: &std::path::Path) -> TrackKind {
    let header = dubstage_media::library::read_header(path).ok();
    dubstage_media::library::kind_hint(path, header.as_ref())
        .map_or(TrackKind::Sfx, crate::library::track_kind)
}

fn stem_of(path: &std::path::Path) -> String {
    let name = display_name(path);
    name.rsplit_once('.')
        .map_or(name.clone(), |(stem, _)| stem.to_owned())
}

/// Applies an import plan (the Import dialog's, or a direct import's):
/// new tracks, media and clips as one undo step.
fn apply_planned(editor: &mut Editor, result: ImportResult, plan: &ImportPlan) {
    let map = editor.project().time_map();
    let mut next = editor.project().peek_next_id();
    let mut notes: Vec<(String, bool)> = Vec::new();
    let mut cmds = Vec::new();
    let mut shared: Vec<((TrackKind, String), TrackId)> = Vec::new();
    let mut new_tracks: Vec<TrackId> = Vec::new();
    let mut position = plan.position;
    let mut no_reference: Vec<String> = Vec::new();
    let mut before_start: Vec<String> = Vec::new();
    let mut sources = Vec::new();
    let mut first_track: Option<TrackId> = None;
    let mut placed: Vec<(String, SamplePos)> = Vec::new();
    let spot = matches!(result.target, ImportTarget::Spot { .. });
    let mut imported = result.imported;
    let n = imported.len();
    for item in &mut imported {
        let Some(pf) = plan.files.iter().find(|f| f.path == item.path) else {
            continue;
        };
        let track = match &pf.track {
            PlannedTrack::Existing(t) if editor.project().track(*t).is_some() => *t,
            PlannedTrack::Existing(_) => {
                notes.push((
                    format!(
                        "{}: its track is gone; not imported",
                        display_name(&item.path)
                    ),
                    true,
                ));
                continue;
            }
            PlannedTrack::New { kind, name } => {
                let id = TrackId(next);
                next += 1;
                cmds.push(Command::AddTrack {
                    kind: *kind,
                    name: name.clone(),
                });
                new_tracks.push(id);
                id
            }
            PlannedTrack::Shared { kind, name } => {
                let key = (*kind, name.clone());
                match shared.iter().find(|(k, _)| *k == key) {
                    Some((_, id)) => *id,
                    None => {
                        let id = TrackId(next);
                        next += 1;
                        cmds.push(Command::AddTrack {
                            kind: *kind,
                            name: name.clone(),
                        });
                        shared.push((key, id));
                        new_tracks.push(id);
                        id
                    }
                }
            }
        };
        let file_length = SampleLen(item.audio.frames() as i64);
        // A spotted selection is a clip of that part of the file.
        let (offset, length) = match pf.range {
            Some((a, b)) if b > a && b as i64 <= file_length.0 => {
                (SamplePos(a as i64), SampleLen((b - a) as i64))
            }
            _ => (SamplePos::ZERO, file_length),
        };
        if first_track.is_none() {
            first_track = Some(track);
        }
        let at = match (plan.placement, pf.time_reference) {
            (Placement::TimeReference, Some((samples, rate))) => {
                let at = time_reference_position(samples, rate, &map);
                if at < SamplePos::ZERO {
                    before_start.push(display_name(&item.path));
                    SamplePos::ZERO
                } else {
                    at
                }
            }
            (Placement::TimeReference, None) => {
                no_reference.push(display_name(&item.path));
                plan.position
            }
            (Placement::Playhead, _) => plan.position,
            (Placement::EndToEnd, _) => {
                let at = position;
                position += length;
                at
            }
        };
        let media = MediaId(next);
        next += 1;
        cmds.push(Command::AddMedia {
            path: item.path.clone(),
            name: display_name(&item.path),
            channels: item.audio.channels.len() as u16,
            length: file_length,
        });
        cmds.push(Command::AddClip {
            track,
            clip: NewClip {
                name: stem_of(&item.path),
                source_offset: offset,
                ..NewClip::new(media, at, length)
            },
        });
        placed.push((display_name(&item.path), at));
        next += 1;
        sources.push((
            media,
            item.path.clone(),
            item.audio.clone(),
            item.peaks.take(),
        ));
        if let Some(w) = &item.warning {
            notes.push((w.clone(), true));
        }
    }
    for (text, error) in notes {
        editor.notify(text, error);
    }
    if editor.apply_group("Import", cmds).is_none() {
        return;
    }
    for (id, path, audio, peaks) in sources {
        editor.add_source(id, &path, audio, peaks);
    }
    if let Some(t) = first_track {
        editor.selected_track = Some(t);
    }
    if spot && let (Some(t), Some((file, at))) = (first_track, placed.first()) {
        let track_name = editor
            .project()
            .track(t)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let tc = map.timecode_at(*at);
        editor.notify(format!("spotted {file} on {track_name} at {tc}"), false);
        return;
    }
    if !no_reference.is_empty() {
        editor.notify(
            format!(
                "no BWF time reference in {}: placed at the playhead",
                no_reference.join(", ")
            ),
            true,
        );
    }
    if !before_start.is_empty() {
        editor.notify(
            format!(
                "the time reference of {} is before the session start: placed at the start",
                before_start.join(", ")
            ),
            true,
        );
    }
    editor.notify(
        format!(
            "imported {n} file{} onto {} new track{}{}",
            if n == 1 { "" } else { "s" },
            new_tracks.len(),
            if new_tracks.len() == 1 { "" } else { "s" },
            if result.failed.is_empty() {
                String::new()
            } else {
                format!(", {} failed", result.failed.len())
            }
        ),
        false,
    );
}
