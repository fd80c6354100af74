//! The editor's state: the session being edited, its decoded media, the
//! audio engine, and what the user has selected and is looking at.
//!
//! Panels never change the project directly: they call [`Editor::apply`]
//! (one undo step) and the editor recompiles and sends a new render plan
//! when the project's revision changes.

use dubstage_engine::{AudioEngine, Sources};
use dubstage_media::AudioBuffer;
use dubstage_media::peaks::{CacheKey, PeakPyramid, cache_path};
use dubstage_model::{
    ClipId, Command, Created, MediaId, Project, SampleLen, SamplePos, Session, TrackId, file,
};
use dubstage_model::{ParamId, StripId};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// Largest block the engine renders at once during playback.
pub const PLAY_BLOCK: usize = 1024;

pub use crate::view::{MAX_TRACK_HEIGHT, MIN_TRACK_HEIGHT, TRACK_HEIGHTS, View};

/// A message for the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    /// The project's revision when it was posted.
    pub revision: u64,
}

/// Builds (or loads from the cache folder) the peak pyramid of a source.
/// A cache that cannot be written is not an error: the pyramid is kept in memory.
pub fn peaks_for(
    path: &Path,
    audio: &AudioBuffer,
    cache_dir: Option<&Path>,
) -> Option<PeakPyramid> {
    let key = CacheKey::for_file(path, audio).ok();
    if let (Some(dir), Some(key)) = (cache_dir, &key) {
        let cache = cache_path(dir, path);
        if let Ok(Some(p)) = PeakPyramid::load(&cache, key) {
            return Some(p);
        }
    }
    let never = AtomicBool::new(false);
    let pyramid = PeakPyramid::build(audio, &never, &mut |_| {}).ok()?;
    if let (Some(dir), Some(key)) = (cache_dir, &key) {
        let _ = pyramid.save(&cache_path(dir, path), key);
    }
    Some(pyramid)
}

/// Where a project's peak caches live: `.dubstage-peaks/` beside the project file.
pub fn peak_cache_dir(project_path: Option<&Path>) -> Option<PathBuf> {
    project_path
        .and_then(Path::parent)
        .map(|d| d.join(".dubstage-peaks"))
}

/// The editor.
pub struct Editor {
    pub session: Session,
    pub path: Option<PathBuf>,
    pub sources: Sources,
    pub peaks: HashMap<MediaId, Arc<PeakPyramid>>,
    /// Media that is missing or unreadable, with the reason.
    pub offline: HashMap<MediaId, String>,
    /// The file each loaded source was decoded from.
    loaded_from: HashMap<MediaId, PathBuf>,
    /// The audio engine and what it is doing.
    pub transport: crate::transport::Transport,
    pub selection: BTreeSet<ClipId>,
    /// Selected automation points: (lane, point time).
    pub lane_selection: Vec<(dubstage_model::ParamId, SamplePos)>,
    /// Automation modes per strip, and the passes being written.
    pub writer: crate::automation::Writer,
    /// Moving or deleting clips carries the automation of their range on
    /// their track (Edit → Automation Follows Edit).
    pub automation_follows_edit: bool,
    pub selected_track: Option<TrackId>,
    pub view: View,
    pub show_mixer: bool,
    /// The side panel (media pool; later the library and picture).
    pub show_side_panel: bool,
    /// The picture: frame server and viewer state.
    pub picture: crate::picture::PictureState,
    pub show_shortcuts: bool,
    pub show_about: bool,
    pub notices: Vec<Notice>,
    /// The view came from the project file (the timeline does not fit it).
    pub restored_view: bool,
    /// Position shown when stopped, and while the engine has not reported.
    compiled_revision: Option<u64>,
    clipboard: Vec<(usize, dubstage_model::Clip)>,
    /// Copied automation points: their lane, time from the first.
    lane_clipboard: Vec<(ParamId, dubstage_model::AutoPoint)>,
    /// Autosave: every `autosave_interval` or every `autosave_edits` edits,
    /// whichever comes first, while there are unsaved changes.
    pub autosave_interval: Duration,
    pub autosave_edits: u64,
    last_autosave: Instant,
    revision_at_autosave: u64,
    /// Inserts whose editor window is open.
    pub open_inserts: Vec<dubstage_model::InsertId>,
    /// Insert faults already reported.
    seen_faults: u64,
    /// The insert whose output feeds the EQ window's spectrum, and its analyser.
    pub spectrum: Option<(dubstage_model::InsertId, dubstage_dsp::spectrum::Analyzer)>,
}

pub use crate::paths::data_dir;

/// The recovery file for a project saved at `path` (or for an untitled one).
pub fn recovery_file_for(path: Option<&Path>) -> PathBuf {
    match path {
        Some(p) => file::recovery_path(p),
        None => data_dir().join("untitled.dubstage.recovery"),
    }
}

impl Editor {
    /// An editor on `project` (saved at `path`, if any), playing through `engine`.
    /// Decodes the project's media now; missing files become offline clips.
    pub fn new(project: Project, path: Option<PathBuf>, engine: AudioEngine) -> Editor {
        let mut e = Editor {
            lane_selection: Vec::new(),
            lane_clipboard: Vec::new(),
            writer: crate::automation::Writer {
                glide_ms: 250.0,
                ..Default::default()
            },
            automation_follows_edit: true,
            session: Session::new(project),
            path,
            sources: Sources::new(),
            peaks: HashMap::new(),
            offline: HashMap::new(),
            loaded_from: HashMap::new(),
            transport: crate::transport::Transport::new(engine),
            selection: BTreeSet::new(),
            selected_track: None,
            open_inserts: Vec::new(),
            seen_faults: 0,
            spectrum: None,
            view: View::default(),
            show_mixer: true,
            show_side_panel: false,
            picture: crate::picture::PictureState::new(),
            show_shortcuts: false,
            show_about: false,
            notices: Vec::new(),
            restored_view: false,
            compiled_revision: None,
            clipboard: Vec::new(),
            autosave_interval: Duration::from_secs(30),
            autosave_edits: 20,
            last_autosave: Instant::now(),
            revision_at_autosave: 0,
        };
        e.load_media();
        e.selected_track = e.project().tracks.first().map(|t| t.id);
        e.restore_view();
        e.sync_engine();
        e
    }

    /// Takes the view the project was saved with (zoom, scroll, playhead,
    /// track heights), when it has one.
    fn restore_view(&mut self) {
        let Some(v) = self.project().view.clone() else {
            return;
        };
        let valid = |x: f64| x.is_finite();
        if valid(v.samples_per_point) && v.samples_per_point > 0.0 && valid(v.scroll_samples) {
            self.view.samples_per_point = v.samples_per_point.clamp(1.0 / 16.0, 200_000.0);
            self.view.scroll_samples = v.scroll_samples;
            self.restored_view = true;
        }
        if v.scroll_y.is_finite() {
            self.view.scroll_y = v.scroll_y.max(0.0);
        }
        if v.track_height.is_finite() && v.track_height > 0.0 {
            self.view.set_all_heights(v.track_height);
        }
        for (t, h) in v.track_heights {
            if h.is_finite() && self.project().track(t).is_some() {
                self.view.set_height(t, h);
            }
        }
        if v.waveform_zoom.is_finite() && v.waveform_zoom > 0.0 {
            self.view.waveform_zoom = v.waveform_zoom.clamp(0.25, 64.0);
        }
        for (t, params) in v.lanes {
            if self.project().track(t).is_some() {
                self.view.lanes.insert(t, params);
            }
        }
        self.view.strip_lanes = v
            .strip_lanes
            .into_iter()
            .filter(|(s, params)| {
                !params.is_empty()
                    && match s {
                        StripId::Bus(b) => self.project().bus(*b).is_some(),
                        StripId::Master => true,
                        StripId::Track(_) => false,
                    }
            })
            .collect();
        if v.lane_height.is_finite() && v.lane_height >= 24.0 {
            self.view.lane_height = v.lane_height.min(200.0);
        }
        if v.playhead >= SamplePos::ZERO {
            self.transport.locate(v.playhead);
        }
    }

    /// Opens a project file.
    pub fn open(path: &Path, engine: AudioEngine) -> Result<Editor, file::FileError> {
        let loaded = file::load(path)?;
        let mut e = Editor::new(loaded.project, Some(path.to_owned()), engine);
        for w in loaded.warnings {
            e.notify(w, false);
        }
        Ok(e)
    }

    pub fn project(&self) -> &Project {
        self.session.project()
    }

    pub fn notify(&mut self, text: impl Into<String>, error: bool) {
        self.notices.push(Notice {
            text: text.into(),
            error,
            revision: self.session.revision(),
        });
        if self.notices.len() > 50 {
            self.notices.remove(0);
        }
    }

    /// What the status line shows: the newest notice, except an error once
    /// the project has changed since (an edit that went through, an undo),
    /// so a refusal does not stay red over the work that followed. Every
    /// notice stays in [`Editor::notices`].
    pub fn status_notice(&self) -> Option<&Notice> {
        self.notices
            .last()
            .filter(|n| !n.error || n.revision == self.session.revision())
    }

    /// Decodes every media file the project uses (missing ones go offline).
    pub fn load_media(&mut self) {
        let loaded = dubstage_engine::load_sources(self.session.project(), &|_, _| {});
        self.offline.clear();
        for issue in &loaded.issues {
            if issue.is_offline() {
                self.offline.insert(issue.media, issue.to_string());
            }
            self.notify(issue.to_string(), issue.is_offline());
        }
        self.sources = loaded.sources;
        self.peaks.clear();
        let dir = peak_cache_dir(self.path.as_deref());
        self.loaded_from.clear();
        for m in &self.session.project().media {
            if let Some(a) = self.sources.get(m.id) {
                self.loaded_from.insert(m.id, m.path.clone());
                if let Some(p) = peaks_for(&m.path, a, dir.as_deref()) {
                    self.peaks.insert(m.id, Arc::new(p));
                }
            }
        }
        self.compiled_revision = None;
    }

    /// Adds decoded media and its peaks to the sources (after an import).
    pub fn add_source(
        &mut self,
        id: MediaId,
        path: &Path,
        audio: Arc<AudioBuffer>,
        peaks: Option<PeakPyramid>,
    ) {
        self.loaded_from.insert(id, path.to_owned());
        if let Some(p) = peaks {
            self.peaks.insert(id, Arc::new(p));
        }
        self.sources.insert(id, audio);
        self.offline.remove(&id);
        self.compiled_revision = None;
    }

    /// Applies one edit as one undo step; errors go to the status line.
    pub fn apply(&mut self, cmd: Command) -> Option<Created> {
        match self.session.apply(cmd) {
            Ok(c) => Some(c),
            Err(e) => {
                self.notify(e.to_string(), true);
                None
            }
        }
    }

    /// Applies several edits as one undo step.
    pub fn apply_group(&mut self, label: &str, cmds: Vec<Command>) -> Option<Created> {
        if cmds.is_empty() {
            return None;
        }
        match self.session.apply_group(label, cmds) {
            Ok(c) => Some(c),
            Err(e) => {
                self.notify(e.to_string(), true);
                None
            }
        }
    }

    pub fn undo(&mut self) {
        if !self.session.undo() {
            self.notify("nothing to undo", false);
        }
        self.prune_selection();
        self.reconcile_media();
    }

    pub fn redo(&mut self) {
        if !self.session.redo() {
            self.notify("nothing to redo", false);
        }
        self.prune_selection();
        self.reconcile_media();
    }

    /// Brings decoded media in line with the project's paths after an edit
    /// that changed them (relink, or its undo): files that vanished go
    /// offline, files that appeared are decoded.
    pub fn reconcile_media(&mut self) {
        let rate = self.project().sample_rate.hz();
        let dir = peak_cache_dir(self.path.as_deref());
        let media: Vec<(MediaId, PathBuf)> = self
            .project()
            .media
            .iter()
            .map(|m| (m.id, m.path.clone()))
            .collect();
        for (id, path) in media {
            let exists = !path.as_os_str().is_empty() && path.exists();
            let loaded = self.loaded_from.get(&id) == Some(&path) && self.sources.get(id).is_some();
            if exists && !loaded {
                match dubstage_media::load_for_project(&path, rate) {
                    Ok(decoded) => {
                        let peaks = peaks_for(&path, &decoded.audio, dir.as_deref());
                        self.add_source(id, &path, Arc::new(decoded.audio), peaks);
                    }
                    Err(e) => {
                        self.sources.remove(id);
                        self.offline.insert(id, e.to_string());
                        self.compiled_revision = None;
                    }
                }
            } else if !exists && self.sources.get(id).is_some() {
                self.sources.remove(id);
                self.loaded_from.remove(&id);
                self.offline
                    .insert(id, format!("{}: file not found", path.display()));
                self.compiled_revision = None;
            }
        }
    }

    /// Relinks offline media: looks in `folder` (and below) for files with
    /// the same names, points the media there (one undo step) and loads them.
    pub fn relink_in(&mut self, folder: &Path) {
        use dubstage_interchange::{MediaResolver, Time, Wanted};
        let rate = self.project().sample_rate.hz();
        let wanted: Vec<dubstage_model::MediaRef> = self
            .project()
            .media
            .iter()
            .filter(|m| self.offline.contains_key(&m.id))
            .cloned()
            .collect();
        if wanted.is_empty() {
            self.notify("no offline media to relink", false);
            return;
        }
        // By file name, else (media from a turnover) by tape and timecode.
        let mut disk = crate::turnover::DiskMedia::new(vec![folder.to_owned()], rate);
        let mut cmds: Vec<Command> = Vec::new();
        let mut found_count = 0;
        for m in &wanted {
            let clips: Vec<&dubstage_model::Clip> = self
                .project()
                .tracks
                .iter()
                .flat_map(|t| &t.clips)
                .filter(|c| c.media == m.id)
                .collect();
            let origin = m.time_reference.unwrap_or(0);
            let from = clips.iter().map(|c| c.source_offset.0).min().unwrap_or(0) + origin;
            let to = clips
                .iter()
                .map(|c| c.source_offset.0 + c.length.0)
                .max()
                .unwrap_or(0)
                + origin;
            let t = |v: i64| Time::new(i128::from(v), i128::from(rate));
            let name = m
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| m.name.clone());
            let Some(f) = disk.resolve(&Wanted {
                path: None,
                name: &name,
                tape: if m.time_reference.is_some() {
                    &m.tape
                } else {
                    ""
                },
                from: t(from),
                to: t(to),
            }) else {
                continue;
            };
            found_count += 1;
            cmds.push(Command::SetMediaPath {
                media: m.id,
                path: f.path.clone(),
            });
            // A file whose timecode differs from the one the clips were
            // placed against (an EDL's offline source): the clips keep
            // their source timecode.
            if let (Some(old), Some(new)) = (m.time_reference, f.time_reference)
                && old != new
            {
                for c in &clips {
                    let mut c = (*c).clone();
                    c.source_offset.0 = (c.source_offset.0 + old - new).max(0);
                    cmds.push(Command::ReplaceClip { clip: c });
                }
                cmds.push(Command::SetMediaOrigin {
                    media: m.id,
                    time_reference: Some(new),
                    tape: m.tape.clone(),
                });
            }
        }
        let n = found_count;
        let missing = wanted.len() - n;
        if n == 0 {
            self.notify(
                format!(
                    "none of the {} offline files is in {}",
                    wanted.len(),
                    folder.display()
                ),
                true,
            );
            return;
        }
        if self.apply_group("Relink Media", cmds).is_some() {
            self.reconcile_media();
            self.notify(
                format!(
                    "relinked {n} file{}{}",
                    if n == 1 { "" } else { "s" },
                    if missing > 0 {
                        format!("; {missing} still offline")
                    } else {
                        String::new()
                    }
                ),
                false,
            );
        }
    }

    /// Autosave interval in seconds; 0 turns autosave off.
    pub fn set_autosave_seconds(&mut self, secs: u64) {
        self.autosave_interval = Duration::from_secs(secs);
        self.autosave_edits = if secs == 0 { u64::MAX } else { 20 };
    }

    /// The recovery file autosave writes for this project.
    pub fn recovery_file(&self) -> PathBuf {
        recovery_file_for(self.path.as_deref())
    }

    /// Autosaves when due (call every frame): unsaved changes and either
    /// the interval has passed or enough edits piled up.
    pub fn autosave_if_due(&mut self, now: Instant) {
        let edits = self
            .session
            .revision()
            .saturating_sub(self.revision_at_autosave);
        if !self.session.is_dirty() || edits == 0 || self.autosave_interval.is_zero() {
            return;
        }
        if now.duration_since(self.last_autosave) >= self.autosave_interval
            || edits >= self.autosave_edits
        {
            self.autosave_now();
            self.last_autosave = now;
        }
    }

    /// Writes the recovery file now.
    pub fn autosave_now(&mut self) {
        let recovery = self.recovery_file();
        let base = match &self.path {
            Some(p) => p.parent().map(Path::to_owned).unwrap_or_default(),
            None => recovery.parent().map(Path::to_owned).unwrap_or_default(),
        };
        if let Some(dir) = recovery.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            self.notify(format!("autosave failed: {}: {e}", dir.display()), true);
            return;
        }
        match file::save_recovery(self.session.project(), &recovery, &base) {
            Ok(()) => self.revision_at_autosave = self.session.revision(),
            Err(e) => self.notify(format!("autosave failed: {e}"), true),
        }
    }

    /// Removes the recovery file (after a save, or when the user discards it).
    pub fn discard_recovery(&self) {
        let _ = std::fs::remove_file(self.recovery_file());
    }

    fn prune_selection(&mut self) {
        let p = self.session.project();
        self.selection.retain(|c| p.clip(*c).is_some());
        if let Some(t) = self.selected_track
            && p.track(t).is_none()
        {
            self.selected_track = p.tracks.first().map(|t| t.id);
        }
    }

    /// Sends a new plan when the project changed; reads telemetry; drops
    /// returned plans. Call once per frame.
    pub fn sync_engine(&mut self) {
        let rev = self.session.revision();
        let modes_key = self.writer.modes_key();
        if self.compiled_revision != Some(rev) || self.writer.sent_modes != modes_key {
            // Strips whose automation is off play their static values.
            let off: Vec<StripId> = self
                .writer
                .modes
                .iter()
                .filter(|(_, m)| **m == crate::automation::Mode::Off)
                .map(|(s, _)| *s)
                .collect();
            let sent = if off.is_empty() {
                self.transport
                    .engine
                    .send_project(self.session.project(), &self.sources)
            } else {
                let p = self.heard_project();
                self.transport.engine.send_project(&p, &self.sources)
            };
            match sent {
                Ok(()) => {
                    self.compiled_revision = Some(rev);
                    self.writer.sent_modes = modes_key;
                    // Held controls stay held in the new plan.
                    let held: Vec<(ParamId, f32)> = self
                        .writer
                        .passes
                        .iter()
                        .map(|p| (p.param, p.value))
                        .collect();
                    for (id, v) in held {
                        let _ = self.transport.engine.touch(id, true);
                        self.control(dubstage_engine::Control::new(id, v));
                    }
                }
                Err(e) => self.notify(e.to_string(), true),
            }
        }
        self.transport.poll();
        self.tick_automation();
        for e in self.transport.take_errors() {
            self.notify(e, true);
        }
        let t = self.transport.telemetry;
        if t.insert_faults > self.seen_faults {
            self.seen_faults = t.insert_faults;
            let p = self.session.project();
            let what = t.last_fault.and_then(|id| {
                let ins = p.insert(id)?;
                let (strip, _) = p.find_insert(id)?;
                Some(format!("{} on {}", ins.kind.label(), p.strip_name(strip)))
            });
            let what = what.unwrap_or_else(|| "An insert".to_owned());
            self.notify(
                format!("{what} produced invalid samples (not a number or infinite): it was reset and is bypassed until it is removed and added again"),
                true,
            );
        }
    }

    /// The playhead: the engine's while playing, the cursor when stopped.
    pub fn playhead(&self) -> SamplePos {
        self.transport.playhead()
    }

    pub fn is_playing(&self) -> bool {
        self.transport.is_playing()
    }

    pub fn play(&mut self) {
        self.transport.play();
    }

    pub fn stop(&mut self) {
        self.transport.stop();
    }

    pub fn toggle_play(&mut self) {
        self.transport.toggle_play();
    }

    /// Moves the playhead (seamlessly while playing).
    pub fn locate(&mut self, pos: SamplePos) {
        self.transport.locate(pos);
    }

    /// Scrubbing while stopped: a short burst of the mix from `pos`.
    pub fn scrub(&mut self, pos: SamplePos) {
        let rate = self.project().sample_rate;
        self.transport.scrub(pos, rate);
    }

    /// Shuttle (J/K/L): `speed` times normal, backwards when negative; 0 stops.
    pub fn shuttle(&mut self, speed: i8) {
        self.transport.shuttle(speed);
    }

    pub fn shuttle_speed(&self) -> i8 {
        self.transport.shuttle_speed()
    }

    pub fn set_loop(&mut self, on: bool, range: Option<(SamplePos, SamplePos)>) {
        self.transport.set_loop(on, range);
    }

    pub fn set_return_to_start(&mut self, on: bool) {
        self.transport.set_return_to_start(on);
    }

    /// Replaces the audio engine (another device or buffer size) without
    /// touching the project: stops, swaps, and resends plan and transport state.
    pub fn replace_engine(&mut self, engine: AudioEngine) {
        self.transport.replace_engine(engine);
        self.seen_faults = 0;
        self.compiled_revision = None;
        self.sync_engine();
    }

    /// Live control while a fader or knob is being dragged.
    pub fn control(&mut self, c: dubstage_engine::Control) {
        self.transport.control(c);
    }

    /// Opens the editor window of an insert.
    pub fn open_insert(&mut self, id: dubstage_model::InsertId) {
        if !self.open_inserts.contains(&id) {
            self.open_inserts.push(id);
        }
    }

    /// A mixer value as the user sees it: the live one during a gesture,
    /// else its lane's at the playhead (unless its strip's automation is
    /// off), else the project's.
    pub fn param(&self, id: ParamId) -> Option<f32> {
        if let Some(v) = self.transport.live.get(&id) {
            return Some(*v);
        }
        let p = self.session.project();
        if let Some(lane) = p.lane(id)
            && crate::automation::strip_of(p, id)
                .is_some_and(|s| self.writer.mode(s) != crate::automation::Mode::Off)
            && let Some(v) = dubstage_model::automation::value_at(
                &lane.points,
                self.playhead().0,
                dubstage_model::automation::is_switch(id),
            )
        {
            return Some(v as f32);
        }
        p.param(id)
    }

    /// The project as playback plays it: the lanes of strips whose
    /// automation is Off left out. Exports, deliveries and the loudness
    /// analysis render this too, so they match what was heard.
    pub fn heard_project(&self) -> dubstage_model::Project {
        let mut p = self.session.project().clone();
        if self
            .writer
            .modes
            .values()
            .all(|m| *m != crate::automation::Mode::Off)
        {
            return p;
        }
        let off: Vec<bool> = p
            .automation
            .iter()
            .map(|l| {
                crate::automation::strip_of(&p, l.param)
                    .is_some_and(|s| self.writer.mode(s) == crate::automation::Mode::Off)
            })
            .collect();
        let mut k = 0;
        p.automation.retain(|_| {
            k += 1;
            !off[k - 1]
        });
        p
    }

    /// The automation mode of the strip a parameter is on.
    pub fn mode_of(&self, id: ParamId) -> crate::automation::Mode {
        crate::automation::strip_of(self.project(), id)
            .map_or(crate::automation::Mode::Read, |s| self.writer.mode(s))
    }

    /// A mixer value changing during a gesture: heard at once, committed
    /// by [`Editor::commit_param`]. While playing with the strip in Touch,
    /// Latch or Write, it writes automation.
    pub fn live_param(&mut self, id: ParamId, value: f32) {
        let mode = self.mode_of(id);
        let automated = self.project().lane(id).is_some() && mode != crate::automation::Mode::Off;
        if automated && !(self.is_playing() && mode.writes()) && self.writer.pass(id).is_none() {
            // The lane decides: moving the control would change nothing
            // heard.
            if !self.writer.told_automated {
                self.writer.told_automated = true;
                self.notify(
                    "this control follows its automation lane: edit the lane, or set the strip to Touch, Latch or Write and move it while playing",
                    false,
                );
            }
            return;
        }
        self.transport.live.insert(id, value);
        self.control(dubstage_engine::Control::new(id, value));
        if self.is_playing() && mode.writes() {
            let at = self.playhead().0;
            if self.writer.pass(id).is_none() {
                self.writer.passes.push(crate::automation::Pass {
                    param: id,
                    mode,
                    from: at,
                    points: Vec::new(),
                    touching: true,
                    value,
                });
                let _ = self.transport.engine.touch(id, true);
            }
            if let Some(p) = self.writer.passes.iter_mut().find(|p| p.param == id) {
                p.touching = true;
            }
            self.writer.record(id, at, value);
        }
    }

    /// Ends a gesture: the last live value becomes one undo step (or,
    /// while writing automation in Touch, the pass does; in Latch and
    /// Write the pass goes on until stop).
    pub fn commit_param(&mut self, id: ParamId) {
        if let Some(pass) = self.writer.passes.iter_mut().find(|p| p.param == id) {
            pass.touching = false;
            if pass.mode == crate::automation::Mode::Touch {
                let end = self.transport.playhead().0;
                self.finish_passes(&[id], end, "Automation Pass");
                self.transport.live.remove(&id);
            }
            return;
        }
        if let Some(value) = self.transport.live.remove(&id) {
            self.apply(Command::SetParam { id, value });
        }
    }

    /// Writes the passes of `ids` into their lanes, as one undo step.
    pub fn finish_passes(&mut self, ids: &[ParamId], end: i64, label: &str) {
        let rate = f64::from(self.project().sample_rate.hz());
        let glide = (f64::from(self.writer.glide_ms) / 1000.0 * rate).round() as i64;
        let mut cmds = Vec::new();
        let mut done = Vec::new();
        self.writer.passes.retain(|p| {
            if ids.contains(&p.param) {
                done.push(p.clone());
                false
            } else {
                true
            }
        });
        let ids_done: Vec<ParamId> = done.iter().map(|p| p.param).collect();
        for pass in done {
            let p = self.session.project();
            let old: Vec<dubstage_model::AutoPoint> = p
                .lane(pass.param)
                .map(|l| l.points.clone())
                .unwrap_or_default();
            let static_value = p.param(pass.param).unwrap_or(0.0);
            let points = crate::automation::merge_pass(
                &old,
                static_value,
                &pass,
                end.max(pass.from),
                glide,
                dubstage_model::automation::is_switch(pass.param),
            );
            cmds.push(Command::SetLane {
                param: pass.param,
                points,
            });
        }
        // The new plan (with the pass in its lanes) starts untouched, and
        // the old one keeps the live values until it is swapped out: the
        // hand-back glides. Only when nothing was written is the touch
        // let go here.
        if self.apply_group(label, cmds).is_none() {
            for id in ids_done {
                let _ = self.transport.engine.touch(id, false);
            }
        }
    }

    /// Per frame: passes record while playing (Latch holds its last
    /// value, Write everything); Write passes begin at play; at stop every
    /// pass is written, one undo step.
    pub fn tick_automation(&mut self) {
        use crate::automation::Mode;
        let playing = self.is_playing();
        let at = self.playhead().0;
        if playing && !self.writer.was_playing {
            // Write: every fader and pan of a strip in Write.
            let strips: Vec<StripId> = self
                .writer
                .modes
                .iter()
                .filter(|(_, m)| **m == Mode::Write)
                .map(|(s, _)| *s)
                .collect();
            for s in strips {
                let mut ids = vec![ParamId::Fader(s)];
                if s != StripId::Master {
                    ids.push(ParamId::Pan(s));
                }
                for id in ids {
                    if self.writer.pass(id).is_some() {
                        continue;
                    }
                    let value = self.param(id).unwrap_or(0.0);
                    self.writer.passes.push(crate::automation::Pass {
                        param: id,
                        mode: Mode::Write,
                        from: at,
                        points: vec![dubstage_model::AutoPoint::new(at, value)],
                        touching: false,
                        value,
                    });
                    self.transport.live.insert(id, value);
                    let _ = self.transport.engine.touch(id, true);
                    self.control(dubstage_engine::Control::new(id, value));
                }
            }
        }
        // A jump (a loop, a locate) ends the passes where they were; those
        // still being written go on from where the playhead landed.
        let last = self
            .writer
            .passes
            .iter()
            .filter_map(|p| p.points.last())
            .map(|q| q.at.0)
            .max();
        let rate = i64::from(self.project().sample_rate.hz());
        if playing
            && let Some(last) = last
            && (at < last || at > last + rate / 2)
        {
            let going: Vec<crate::automation::Pass> = self.writer.passes.clone();
            let ids: Vec<ParamId> = going.iter().map(|p| p.param).collect();
            self.finish_passes(&ids, last, "Automation Pass");
            for p in going {
                if p.touching || p.mode != Mode::Touch {
                    self.writer.passes.push(crate::automation::Pass {
                        from: at,
                        points: vec![dubstage_model::AutoPoint::new(at, p.value)],
                        ..p
                    });
                } else {
                    self.transport.live.remove(&p.param);
                }
            }
        }
        if playing {
            let recording: Vec<(ParamId, f32)> = self
                .writer
                .passes
                .iter()
                .filter(|p| p.touching || p.mode != Mode::Touch)
                .map(|p| (p.param, p.value))
                .collect();
            for (id, v) in recording {
                self.writer.record(id, at, v);
            }
        } else if self.writer.was_playing && !self.writer.passes.is_empty() {
            let end = self
                .writer
                .passes
                .iter()
                .filter_map(|p| p.points.last())
                .map(|q| q.at.0)
                .max();
            let ids: Vec<ParamId> = self.writer.passes.iter().map(|p| p.param).collect();
            self.finish_passes(&ids, end.unwrap_or(at), "Automation Pass");
            for id in ids {
                self.transport.live.remove(&id);
            }
        }
        self.writer.was_playing = playing;
    }

    /// Sets a mixer value now, as one undo step (a click, a typed value).
    pub fn set_param(&mut self, id: ParamId, value: f32) {
        self.transport.live.remove(&id);
        self.control(dubstage_engine::Control::new(id, value));
        self.apply(Command::SetParam { id, value });
    }

    pub fn device_label(&self) -> String {
        self.transport.device_label()
    }

    /// Splits every selected clip (or the clips under the playhead on the
    /// selected track) at the playhead, as one undo step.
    pub fn split_at_playhead(&mut self) {
        let at = self.playhead();
        let p = self.session.project();
        let mut targets: Vec<ClipId> = self
            .selection
            .iter()
            .filter(|c| {
                p.clip(**c)
                    .is_some_and(|(_, c)| c.contains(at) && c.position != at)
            })
            .copied()
            .collect();
        if targets.is_empty()
            && let Some(t) = self.selected_track.and_then(|t| p.track(t))
        {
            targets.extend(
                t.clips
                    .iter()
                    .filter(|c| c.contains(at) && c.position != at)
                    .map(|c| c.id),
            );
        }
        if targets.is_empty() {
            self.notify("no clip under the playhead to split", false);
            return;
        }
        let cmds = targets
            .into_iter()
            .map(|clip| Command::SplitClip { clip, at })
            .collect();
        self.apply_group("Split", cmds);
    }

    /// Deletes the selected automation points (one undo step).
    pub fn delete_lane_points(&mut self) {
        let mut params: Vec<dubstage_model::ParamId> =
            self.lane_selection.iter().map(|(p, _)| *p).collect();
        params.sort();
        params.dedup();
        let cmds: Vec<Command> = params
            .into_iter()
            .filter_map(|param| {
                let lane = self.project().lane(param)?;
                let points = lane
                    .points
                    .iter()
                    .filter(|q| !self.lane_selection.contains(&(param, q.at)))
                    .copied()
                    .collect();
                Some(Command::SetLane { param, points })
            })
            .collect();
        if self.apply_group("Delete Automation", cmds).is_some() {
            self.lane_selection.clear();
        }
    }

    pub fn delete_selection(&mut self) {
        if !self.lane_selection.is_empty() {
            self.delete_lane_points();
            return;
        }
        let clips: Vec<ClipId> = self.selection.iter().copied().collect();
        let follow = self.automation_cleared(&clips);
        let mut cmds: Vec<Command> = self
            .selection
            .iter()
            .map(|&clip| Command::RemoveClip { clip })
            .collect();
        cmds.extend(follow);
        if self.apply_group("Delete", cmds).is_some() {
            self.selection.clear();
        }
    }

    pub fn duplicate_selection(&mut self) {
        let cmds: Vec<Command> = self
            .selection
            .iter()
            .map(|&clip| Command::DuplicateClip { clip, to: None })
            .collect();
        self.apply_group("Duplicate", cmds);
    }

    /// Moves the selected clips by `delta` samples (nudge).
    pub fn nudge(&mut self, delta: SampleLen) {
        let p = self.session.project();
        let moves: Vec<(ClipId, i64)> = self.selection.iter().map(|&c| (c, delta.0)).collect();
        let mut cmds: Vec<Command> = self
            .selection
            .iter()
            .filter_map(|&c| p.clip(c))
            .map(|(t, c)| Command::MoveClip {
                clip: c.id,
                track: t.id,
                position: c.position + delta,
            })
            .collect();
        cmds.extend(self.automation_following(&moves));
        self.apply_group("Nudge", cmds);
    }

    /// The lanes of the tracks whose clips move by `dt` (on their own
    /// track), with the points under each clip moved along, when
    /// automation follows edits.
    pub fn automation_following(&self, moves: &[(ClipId, i64)]) -> Vec<Command> {
        self.follow(moves, false)
    }

    /// The lanes with the points under deleted clips removed.
    pub fn automation_cleared(&self, clips: &[ClipId]) -> Vec<Command> {
        let moves: Vec<(ClipId, i64)> = clips.iter().map(|c| (*c, 0)).collect();
        self.follow(&moves, true)
    }

    fn follow(&self, moves: &[(ClipId, i64)], clear: bool) -> Vec<Command> {
        if !self.automation_follows_edit {
            return Vec::new();
        }
        let p = self.session.project();
        // The ranges each track's clips move (or leave), all at once.
        let mut by_track: HashMap<TrackId, Vec<(i64, i64, i64)>> = HashMap::new();
        for (clip, dt) in moves {
            let Some((t, c)) = p.clip(*clip) else {
                continue;
            };
            if *dt == 0 && !clear {
                continue;
            }
            by_track
                .entry(t.id)
                .or_default()
                .push((c.position.0, c.end().0, *dt));
        }
        let mut cmds = Vec::new();
        for lane in &p.automation {
            let Some(StripId::Track(t)) = crate::automation::strip_of(p, lane.param) else {
                continue;
            };
            let Some(ranges) = by_track.get(&t) else {
                continue;
            };
            let switch = dubstage_model::automation::is_switch(lane.param);
            let points = if clear {
                ranges.iter().fold(lane.points.clone(), |pts, &(a, b, _)| {
                    dubstage_model::automation::clear_range(&pts, a, b)
                })
            } else {
                dubstage_model::automation::shift_ranges(&lane.points, ranges, switch)
            };
            if points != lane.points {
                cmds.push(Command::SetLane {
                    param: lane.param,
                    points,
                });
            }
        }
        cmds
    }

    pub fn copy_selection(&mut self) {
        if !self.lane_selection.is_empty() {
            self.copy_lane_points();
            self.clipboard.clear();
            return;
        }
        self.lane_clipboard.clear();
        let p = self.session.project();
        let first = self
            .selection
            .iter()
            .filter_map(|c| p.clip(*c))
            .map(|(_, c)| c.position)
            .min();
        self.clipboard = self
            .selection
            .iter()
            .filter_map(|c| p.clip(*c))
            .map(|(t, c)| {
                let idx = p.track_index(t.id).unwrap_or(0);
                let mut c = c.clone();
                c.position = SamplePos((c.position - first.unwrap_or(c.position)).0);
                (idx, c)
            })
            .collect();
    }

    pub fn cut_selection(&mut self) {
        self.copy_selection();
        self.delete_selection();
    }

    /// Copies the selected automation points (their times from the first).
    fn copy_lane_points(&mut self) {
        let p = self.session.project();
        let first = self
            .lane_selection
            .iter()
            .map(|(_, s)| s.0)
            .min()
            .unwrap_or(0);
        self.lane_clipboard = self
            .lane_selection
            .iter()
            .filter_map(|(param, at)| {
                let q = p.lane(*param)?.points.iter().find(|q| q.at == *at)?;
                Some((
                    *param,
                    dubstage_model::AutoPoint {
                        at: SamplePos(q.at.0 - first),
                        ..*q
                    },
                ))
            })
            .collect();
    }

    /// Pastes copied automation points at the playhead, into their lanes
    /// (replacing the points in the range they cover), one undo step.
    fn paste_lane_points(&mut self) {
        let at = self.playhead().0;
        let p = self.session.project();
        let mut params: Vec<ParamId> = self.lane_clipboard.iter().map(|(id, _)| *id).collect();
        params.sort();
        params.dedup();
        let cmds: Vec<Command> = params
            .into_iter()
            .filter(|id| p.param(*id).is_some())
            .map(|param| {
                let pasted: Vec<dubstage_model::AutoPoint> = self
                    .lane_clipboard
                    .iter()
                    .filter(|(id, _)| *id == param)
                    .map(|(_, q)| dubstage_model::AutoPoint {
                        at: SamplePos(q.at.0 + at),
                        ..*q
                    })
                    .collect();
                let (lo, hi) = (
                    pasted.first().map_or(at, |q| q.at.0),
                    pasted.last().map_or(at, |q| q.at.0),
                );
                let mut points = p.lane(param).map_or_else(Vec::new, |l| {
                    dubstage_model::automation::clear_range(&l.points, lo, hi + 1)
                });
                points.extend(pasted);
                Command::SetLane { param, points }
            })
            .collect();
        self.apply_group("Paste Automation", cmds);
    }

    /// Pastes the clipboard at the playhead, the first clip on the selected
    /// track (or copied automation points into their lanes).
    pub fn paste(&mut self) {
        if !self.lane_clipboard.is_empty() && self.clipboard.is_empty() {
            self.paste_lane_points();
            return;
        }
        let p = self.session.project();
        let Some(base) = self
            .selected_track
            .and_then(|t| p.track_index(t))
            .or_else(|| (!p.tracks.is_empty()).then_some(0))
        else {
            self.notify("add a track before pasting", false);
            return;
        };
        let first_idx = self.clipboard.iter().map(|(i, _)| *i).min().unwrap_or(0);
        let at = self.playhead();
        let cmds: Vec<Command> = self
            .clipboard
            .iter()
            .filter_map(|(i, c)| {
                let ti = (base + i - first_idx).min(p.tracks.len() - 1);
                Some(Command::AddClip {
                    track: p.tracks.get(ti)?.id,
                    clip: dubstage_model::NewClip {
                        media: c.media,
                        name: c.name.clone(),
                        position: at + SampleLen(c.position.0),
                        length: c.length,
                        source_offset: c.source_offset,
                        gain_db: c.gain_db,
                        fade_in: c.fade_in,
                        fade_out: c.fade_out,
                        channels: c.channels,
                        gain_envelope: c.gain_envelope.clone(),
                    },
                })
            })
            .collect();
        self.apply_group("Paste", cmds);
    }

    pub fn select_all(&mut self) {
        self.selection = self.project().clips().map(|(_, c)| c.id).collect();
    }

    /// Adds a marker at the playhead.
    pub fn add_marker(&mut self) {
        let n = self.project().markers.len() + 1;
        let position = self.playhead();
        self.apply(Command::AddMarker {
            position,
            name: format!("Marker {n}"),
        });
    }

    /// Steps the playhead by `frames` picture frames (negative: back),
    /// landing on the first sample of the frame.
    pub fn step_frames(&mut self, frames: i64) {
        let map = self.project().time_map();
        let f = map.frame_at(self.playhead());
        let target = map.frame_start(f + frames).max(SamplePos::ZERO);
        self.locate(target);
    }

    /// Moves the playhead to the next (or previous) clip start or end on
    /// the selected track.
    pub fn jump_clip_edge(&mut self, forward: bool) {
        let at = self.playhead();
        let p = self.project();
        let Some(track) = self.selected_track.and_then(|t| p.track(t)) else {
            self.notify("select a track to move between its clip edges", false);
            return;
        };
        let mut edges: Vec<SamplePos> = track
            .clips
            .iter()
            .flat_map(|c| [c.position, c.end()])
            .collect();
        edges.sort();
        let target = if forward {
            edges.into_iter().find(|&e| e > at)
        } else {
            edges.into_iter().rev().find(|&e| e < at)
        };
        match target {
            Some(t) => self.locate(t),
            None => {
                let name = track.name.clone();
                self.notify(
                    format!(
                        "no clip edge {} the playhead on {name}",
                        if forward { "after" } else { "before" }
                    ),
                    false,
                );
            }
        }
    }

    /// Moves the playhead to the next (or previous) marker.
    pub fn jump_marker(&mut self, forward: bool) {
        let at = self.playhead();
        let p = self.project();
        let target = if forward {
            p.markers.iter().map(|m| m.position).find(|&m| m > at)
        } else {
            p.markers.iter().rev().map(|m| m.position).find(|&m| m < at)
        };
        if let Some(t) = target {
            self.locate(t);
        }
    }

    /// Zooms by `factor` (>1 zooms in) keeping timeline sample `anchor` still
    /// at horizontal offset `anchor_x` (points from the clip area's left edge).
    pub fn zoom(&mut self, factor: f64, anchor: f64, anchor_x: f64) {
        let spp = (self.view.samples_per_point / factor).clamp(1.0 / 16.0, 200_000.0);
        self.view.samples_per_point = spp;
        self.view.scroll_samples = anchor - anchor_x * spp;
    }

    /// Fits the whole session into `width` points.
    pub fn zoom_to_fit(&mut self, width: f32) {
        // An empty session shows its first ten seconds.
        let least = self.project().sample_rate.seconds(10).0;
        let end = self.project().end().0.max(least) as f64;
        let pad = end * 0.03;
        self.view.samples_per_point =
            ((end + 2.0 * pad) / f64::from(width.max(100.0))).max(1.0 / 16.0);
        self.view.scroll_samples = -pad;
    }

    /// Saves to the current path (atomically, keeping a backup). A project
    /// never saved has no path: File → Save As chooses one.
    pub fn save(&mut self) -> bool {
        let view = self.project().view.clone().unwrap_or_default();
        self.save_with_view(view)
    }

    /// Saves to the current path with the editor's view kept in the file.
    pub fn save_with_view(&mut self, view: dubstage_model::SavedView) -> bool {
        let Some(path) = self.path.clone() else {
            self.notify(
                "the project has not been saved yet: use File > Save As",
                false,
            );
            return false;
        };
        self.save_to_with_view(&path, view)
    }

    pub fn save_to(&mut self, path: &Path) -> bool {
        let view = self.project().view.clone().unwrap_or_default();
        self.save_to_with_view(path, view)
    }

    /// Saves to `path` (atomically, keeping a backup), the view with it.
    pub fn save_to_with_view(&mut self, path: &Path, view: dubstage_model::SavedView) -> bool {
        let mut project = self.session.project().clone();
        project.view = Some(view);
        match file::save(&project, path) {
            Ok(()) => {
                // The autosave of the old name is obsolete once saved.
                self.discard_recovery();
                self.path = Some(path.to_owned());
                self.session.mark_saved();
                self.discard_recovery();
                self.notify(format!("saved {}", path.display()), false);
                true
            }
            Err(e) => {
                self.notify(format!("could not save: {e}"), true);
                false
            }
        }
    }

    /// Window title: project name, file, unsaved mark.
    pub fn title(&self) -> String {
        let dirty = if self.session.is_dirty() { "● " } else { "" };
        let file = self
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|f| format!(" ({})", f.to_string_lossy()))
            .unwrap_or_default();
        format!("{dirty}{}{file} — Dubstage", self.project().name)
    }
}
