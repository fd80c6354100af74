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

/// Where imported clips go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ImportTarget {
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
        let handle = std::thread::Builder::new()
            .name("dubstage-import".into())
            .spawn(move || {
                let mut result = ImportResult {
                    imported: Vec::new(),
                    failed: Vec::new(),
                    cancelled: false,
                    target,
                };
                for path in files {
                    if c.load(Ordering::Relaxed) {
                        result.cancelled = true;
                        break;
                    }
                    let loaded = match target {
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
            Some(h) => h.join().unwrap_or_else(|_| empty(self.target)),
            None => empty(self.target),
        }
    }
}

/// Adds the imported files to the project as one undo step: media entries
/// and clips laid end to end from the target position.
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
    let p = editor.project();
    let mut next = p.peek_next_id();
    let mut cmds = Vec::new();
    let (track, mut position) = match result.target {
        ImportTarget::AtPlayhead {
            track: Some(t),
            position,
        } if p.track(t).is_some() => (t, position),
        ImportTarget::Spot {
            track: Some(t),
            position,
            ..
        } if p.track(t).is_some() => (t, position),
        ImportTarget::Spot { kind, position, .. } => {
            let id = TrackId(next);
            next += 1;
            cmds.push(Command::AddTrack {
                kind,
                name: kind.label().to_owned(),
            });
            (id, position)
        }
        ImportTarget::Guide { position, .. } => {
            let id = TrackId(next);
            next += 1;
            cmds.push(Command::AddTrack {
                kind: TrackKind::Guide,
                name: "Guide".to_owned(),
            });
            (id, position)
        }
        ImportTarget::AtPlayhead { position, .. } | ImportTarget::NewTrack { position } => {
            let id = TrackId(next);
            next += 1;
            let name = result
                .imported
                .first()
                .map(|i| display_name(&i.path))
                .unwrap_or_default();
            cmds.push(Command::AddTrack {
                kind: TrackKind::Sfx,
                name: name
                    .rsplit_once('.')
                    .map_or(name.clone(), |(stem, _)| stem.to_owned()),
            });
            (id, position)
        }
    };
    let mut sources: Vec<(
        MediaId,
        PathBuf,
        Arc<AudioBuffer>,
        Option<dubstage_media::peaks::PeakPyramid>,
    )> = Vec::new();
    let mut imported = result.imported;
    for item in &mut imported {
        let media = MediaId(next);
        next += 1;
        let length = SampleLen(item.audio.frames() as i64);
        let name = display_name(&item.path);
        cmds.push(Command::AddMedia {
            path: item.path.clone(),
            name: name.clone(),
            channels: item.audio.channels.len() as u16,
            length,
        });
        // A spotted selection is a clip of that part of the file.
        let (offset, clip_len) = match result.target {
            ImportTarget::Spot {
                range: Some((a, b)),
                ..
            } if b > a && b as i64 <= length.0 => (SamplePos(a as i64), SampleLen((b - a) as i64)),
            _ => (SamplePos::ZERO, length),
        };
        cmds.push(Command::AddClip {
            track,
            clip: NewClip {
                name: name
                    .rsplit_once('.')
                    .map_or(name.clone(), |(s, _)| s.to_owned()),
                source_offset: offset,
                ..NewClip::new(media, position, clip_len)
            },
        });
        next += 1; // the clip's id
        position += clip_len;
        sources.push((
            media,
            item.path.clone(),
            item.audio.clone(),
            item.peaks.take(),
        ));
        if let Some(w) = &item.warning {
            editor.notify(w.clone(), true);
        }
    }
    let n = imported.len();
    if editor.apply_group("Import", cmds).is_some() {
        for (id, path, audio, peaks) in sources {
            editor.add_source(id, &path, audio, peaks);
        }
        editor.selected_track = Some(track);
        if let ImportTarget::Spot { position, .. } = result.target {
            let map = editor.project().time_map();
            let track_name = editor
                .project()
                .track(track)
                .map(|t| t.name.clone())
                .unwrap_or_default();
            let file = imported
                .first()
                .map(|i| display_name(&i.path))
                .unwrap_or_default();
            editor.notify(
                format!(
                    "spotted {file} on {track_name} at {}",
                    map.timecode_at(position)
                ),
                false,
            );
            return;
        }
        editor.notify(
            format!(
                "imported {n} file{}{}",
                if n == 1 { "" } else { "s" },
                if result.failed.is_empty() {
                    String::new()
                } else {
                    format!(", {} failed", result.failed.len())
                }
            ),
            false,
        );
    }
}
