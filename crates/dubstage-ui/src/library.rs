//! The sound library panel: folders, background indexing, search as you
//! type, a virtualised result list, waveform preview with an in/out
//! selection, the audition path (free, or at the playhead against picture),
//! and spotting to the timeline.

use crate::editor::{Editor, data_dir, peaks_for};
use crate::import::{ImportResult, ImportTarget, Imported};
use crate::widgets::Named;
use dubstage_engine::AuditionVoice;
use dubstage_media::library::{Library, Query, ScanProgress, ScanReport, Sort, SoundKind, scan};
use dubstage_media::peaks::PeakPyramid;
use dubstage_media::{AudioBuffer, load_for_project};
use dubstage_model::{SamplePos, TrackId, TrackKind};
use egui::{Color32, Rect, Sense, Stroke, vec2};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

/// What a result row carries when dragged onto the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct SpotPayload {
    pub path: PathBuf,
    /// In/out selection in frames at the project rate.
    pub range: Option<(usize, usize)>,
    pub kind: Option<SoundKind>,
    pub category: String,
}

/// A decoded sound ready to preview.
pub struct Preview {
    pub path: PathBuf,
    pub audio: Arc<AudioBuffer>,
    pub peaks: Option<Arc<PeakPyramid>>,
    pub rate: u32,
}

/// A preview being decoded on a background thread.
type PreviewJob = JoinHandle<Result<Preview, String>>;

struct ScanJob {
    progress: Arc<ScanProgress>,
    handle: JoinHandle<(Library, ScanReport)>,
}

/// The library panel's state. Lives in the app, across projects.
pub struct LibraryState {
    pub library: Library,
    /// Where the index is kept (`None`: not persisted).
    pub index_path: Option<PathBuf>,
    scan: Option<ScanJob>,
    pub last_report: Option<ScanReport>,
    pub query: Query,
    results: Vec<usize>,
    results_for: Option<Query>,
    results_dirty: bool,
    /// Selected entry (index into `library.entries`).
    pub selected: Option<usize>,
    previews: HashMap<PathBuf, Arc<Preview>>,
    loading: Option<(PathBuf, u32, PreviewJob)>,
    /// In/out selection on the preview, frames at the project rate.
    pub range: Option<(usize, usize)>,
    pub looped: bool,
    pub gain_db: f32,
    pub mute_mix: bool,
    /// Seconds of timeline played before the playhead by Audition at Playhead.
    pub preroll: f32,
    pub show: bool,
    /// The panel was clicked last (Space previews instead of playing the timeline).
    pub active: bool,
    /// A free preview is playing.
    pub previewing: bool,
    /// Audition at Playhead is running (stopping the transport ends it).
    pub auditioning: bool,
    /// Add Folder… was clicked: the editor opens a folder dialog.
    pub wants_folder: bool,
    drag_from: Option<usize>,
    preview_started: Option<std::time::Instant>,
    /// Where the playhead was when Audition at Playhead started.
    audition_spot: Option<SamplePos>,
    /// Spot as soon as this preview is decoded.
    spot_pending: Option<(SpotPayload, Option<TrackId>, SamplePos)>,
}

impl Default for LibraryState {
    fn default() -> Self {
        LibraryState {
            library: Library::default(),
            index_path: None,
            scan: None,
            last_report: None,
            query: Query::default(),
            results: Vec::new(),
            results_for: None,
            results_dirty: true,
            selected: None,
            previews: HashMap::new(),
            loading: None,
            range: None,
            looped: false,
            gain_db: 0.0,
            mute_mix: false,
            preroll: 2.0,
            show: false,
            active: false,
            previewing: false,
            auditioning: false,
            wants_folder: false,
            drag_from: None,
            preview_started: None,
            audition_spot: None,
            spot_pending: None,
        }
    }
}

/// The default place of the index: the user's data folder.
pub fn default_index_path() -> PathBuf {
    data_dir().join("library").join("index.dslb")
}

/// Kind of track for a sound's kind.
/// The track kind for a library sound kind.
pub fn track_kind(k: SoundKind) -> TrackKind {
    match k {
        SoundKind::Dialogue => TrackKind::Dialogue,
        SoundKind::Foley => TrackKind::Foley,
        SoundKind::Ambience => TrackKind::Ambience,
        SoundKind::Effect => TrackKind::Sfx,
        SoundKind::Music => TrackKind::Music,
    }
}

impl LibraryState {
    /// Loads the saved index at `path` (a missing one is an empty library).
    pub fn with_index(path: PathBuf) -> (LibraryState, Option<String>) {
        let mut s = LibraryState {
            index_path: Some(path.clone()),
            ..LibraryState::default()
        };
        let warning = match Library::load(&path) {
            Ok(l) => {
                s.library = l;
                None
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => Some(format!(
                "the sound library index {} could not be read ({e}); rescan the folders",
                path.display()
            )),
        };
        (s, warning)
    }

    pub fn results(&self) -> &[usize] {
        &self.results
    }

    pub fn is_scanning(&self) -> bool {
        self.scan.is_some()
    }

    /// (files looked at, files found) of the running scan.
    pub fn scan_progress(&self) -> Option<(usize, usize)> {
        self.scan.as_ref().map(|j| {
            (
                j.progress.done.load(Ordering::Relaxed),
                j.progress.found.load(Ordering::Relaxed),
            )
        })
    }

    pub fn add_folder(&mut self, dir: PathBuf) {
        if !self.library.folders.contains(&dir) {
            self.library.folders.push(dir);
        }
        self.rescan();
    }

    pub fn remove_folder(&mut self, dir: &Path) {
        let folders: Vec<PathBuf> = self
            .library
            .folders
            .iter()
            .filter(|f| f.as_path() != dir)
            .cloned()
            .collect();
        self.library.folders = folders;
        self.rescan();
    }

    /// Starts an incremental rescan in the background.
    pub fn rescan(&mut self) {
        if let Some(job) = &self.scan {
            job.progress.cancel.store(true, Ordering::Relaxed);
        }
        if let Some(job) = self.scan.take() {
            let _ = job.handle.join();
        }
        let progress = Arc::new(ScanProgress::default());
        let folders = self.library.folders.clone();
        let previous = self.library.clone();
        let p = progress.clone();
        match std::thread::Builder::new()
            .name("dubstage-library-scan".into())
            .spawn(move || scan(&folders, &previous, &p))
        {
            Ok(handle) => self.scan = Some(ScanJob { progress, handle }),
            Err(_) => self.last_report = None,
        }
    }

    pub fn cancel_scan(&mut self) {
        if let Some(job) = &self.scan {
            job.progress.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Waits for a running scan (tests; the UI polls).
    pub fn finish_scan(&mut self) -> Option<String> {
        let job = self.scan.take()?;
        let (lib, report) = job.handle.join().ok()?;
        self.apply_scan(lib, report)
    }

    fn apply_scan(&mut self, mut lib: Library, report: ScanReport) -> Option<String> {
        // Folder edits made while scanning win.
        lib.folders = self.library.folders.clone();
        self.library = lib;
        self.last_report = Some(report);
        self.results_dirty = true;
        self.selected = None;
        match &self.index_path {
            Some(p) => self.library.save(p).err().map(|e| e.to_string()),
            None => None,
        }
    }

    /// Picks up a finished scan. Returns an error to show, if any.
    pub fn poll(&mut self) -> Option<String> {
        if self.scan.as_ref().is_some_and(|j| j.handle.is_finished()) {
            return self.finish_scan();
        }
        None
    }

    /// Re-runs the search when the query or the index changed.
    pub fn refresh_results(&mut self) {
        if self.results_dirty || self.results_for.as_ref() != Some(&self.query) {
            self.results = self.library.search(&self.query);
            self.results_for = Some(self.query.clone());
            self.results_dirty = false;
        }
    }

    /// The selected entry's path.
    pub fn selected_path(&self) -> Option<PathBuf> {
        self.selected
            .and_then(|i| self.library.entries.get(i))
            .map(|e| e.path.clone())
    }

    /// Selects entry `i` and starts decoding it for preview.
    pub fn select(&mut self, i: usize, rate: u32) {
        if self.selected != Some(i) {
            self.selected = Some(i);
            self.range = None;
        }
        if let Some(p) = self.selected_path() {
            self.request_preview(&p, rate);
        }
    }

    fn request_preview(&mut self, path: &Path, rate: u32) {
        if self.previews.get(path).is_some_and(|p| p.rate == rate) {
            return;
        }
        if self
            .loading
            .as_ref()
            .is_some_and(|(p, r, _)| p == path && *r == rate)
        {
            return;
        }
        let path = path.to_owned();
        let p = path.clone();
        let peak_dir = data_dir().join("library").join("peaks");
        if let Ok(h) = std::thread::Builder::new()
            .name("dubstage-preview".into())
            .spawn(move || {
                let d = load_for_project(&p, rate).map_err(|e| e.to_string())?;
                let peaks = peaks_for(&p, &d.audio, Some(&peak_dir)).map(Arc::new);
                Ok(Preview {
                    path: p,
                    audio: Arc::new(d.audio),
                    peaks,
                    rate,
                })
            })
        {
            self.loading = Some((path, rate, h));
        }
    }

    /// The decoded preview of the selected entry, when ready.
    pub fn preview(&self) -> Option<Arc<Preview>> {
        self.selected_path()
            .and_then(|p| self.previews.get(&p).cloned())
    }

    /// Picks up a finished preview decode; returns an error to show.
    fn poll_preview(&mut self) -> Option<String> {
        if !self
            .loading
            .as_ref()
            .is_some_and(|(_, _, h)| h.is_finished())
        {
            return None;
        }
        self.finish_preview()
    }

    /// Waits for the preview being decoded (tests; the UI polls).
    pub fn finish_preview(&mut self) -> Option<String> {
        let (path, _, h) = self.loading.take()?;
        match h.join() {
            Ok(Ok(p)) => {
                if self.previews.len() >= 16 {
                    self.previews.clear();
                }
                self.previews.insert(path, Arc::new(p));
                None
            }
            Ok(Err(e)) => Some(e),
            Err(_) => Some(format!("{}: could not be decoded", path.display())),
        }
    }

    fn payload(&self) -> Option<SpotPayload> {
        let e = self.library.entries.get(self.selected?)?;
        Some(SpotPayload {
            path: e.path.clone(),
            range: self.range,
            kind: e.kind,
            category: e.category.clone(),
        })
    }
}

impl Editor {
    /// Starts `voice` on the audition path with the library's gain and mix setting.
    fn start_voice(&mut self, lib: &LibraryState, voice: AuditionVoice) {
        let r = self.transport.engine.set_audition_gain_db(lib.gain_db);
        self.report(r);
        let r = self.transport.engine.set_audition_mutes_mix(lib.mute_mix);
        self.report(r);
        let r = self.transport.engine.audition(voice);
        self.report(r);
    }

    fn report(&mut self, r: Result<(), dubstage_engine::rt::SendError>) {
        if let Err(e) = r {
            self.notify(e.to_string(), true);
        }
    }

    pub fn stop_audition(&mut self) {
        let r = self.transport.engine.stop_audition();
        self.report(r);
    }
}

/// Plays (or stops) the selected sound on its own, free of the timeline.
pub fn toggle_preview(lib: &mut LibraryState, editor: &mut Editor) {
    if lib.previewing || lib.auditioning {
        stop(lib, editor);
        return;
    }
    let Some(p) = lib.preview() else {
        editor.notify("select a sound (it is decoding)", false);
        return;
    };
    let voice = AuditionVoice::new(p.audio.clone(), lib.range, lib.looped, None);
    editor.start_voice(lib, voice);
    lib.previewing = true;
    lib.preview_started = Some(std::time::Instant::now());
}

fn stop(lib: &mut LibraryState, editor: &mut Editor) {
    if lib.auditioning && editor.is_playing() {
        editor.stop();
    }
    editor.stop_audition();
    if lib.auditioning
        && let Some(at) = lib.audition_spot
    {
        // Back to the audition point, ready for Spot or the next take.
        editor.locate(at);
    }
    lib.previewing = false;
    lib.auditioning = false;
}

/// Audition at Playhead: the timeline (and picture) plays from a pre-roll
/// before the playhead, and the selected sound (its selection) starts
/// exactly at the playhead. With Loop on, the timeline loops the sound's
/// span (or the loop range when one is set) with the sound under it.
pub fn audition_at_playhead(lib: &mut LibraryState, editor: &mut Editor) {
    let Some(p) = lib.preview() else {
        editor.notify("select a sound to audition (it is decoding)", false);
        return;
    };
    if editor.is_playing() {
        editor.stop();
    }
    let at = editor.playhead();
    let voice = AuditionVoice::new(p.audio.clone(), lib.range, lib.looped, Some(at));
    let len = voice.len() as i64;
    editor.start_voice(lib, voice);
    let preroll = (f64::from(lib.preroll.max(0.0)) * f64::from(editor.project().sample_rate.hz()))
        .round() as i64;
    let start = SamplePos((at.0 - preroll).max(0));
    if lib.looped {
        let range = editor
            .transport
            .loop_range
            .unwrap_or((start, SamplePos(at.0 + len.max(1))));
        editor.set_loop(true, Some(range));
    }
    editor.locate(start);
    editor.play();
    lib.audition_spot = Some(at);
    lib.auditioning = true;
    lib.previewing = false;
}

/// Spot to Playhead: the selected sound (or its selection) onto the
/// selected track at the playhead — or, when the sound's category is known,
/// onto the first track of that kind (a new one if there is none). One undo
/// step, like an import.
pub fn spot_to_playhead(lib: &mut LibraryState, editor: &mut Editor) {
    let Some(payload) = lib.payload() else {
        editor.notify("select a sound in the library first", false);
        return;
    };
    // While an audition is set, the sound goes where it was auditioned,
    // wherever the transport has since moved.
    let at = match lib.audition_spot {
        Some(at) if lib.auditioning => at,
        _ => editor.playhead(),
    };
    let track = target_track(editor, &payload, editor.selected_track);
    spot(lib, editor, payload, track, at);
}

/// The track a spotted sound goes on: the first track of its kind when its
/// category is known, else `preferred`.
fn target_track(
    editor: &Editor,
    payload: &SpotPayload,
    preferred: Option<TrackId>,
) -> Option<TrackId> {
    match payload.kind {
        Some(k) => {
            let kind = track_kind(k);
            let p = editor.project();
            if preferred
                .and_then(|t| p.track(t))
                .is_some_and(|t| t.kind == kind)
            {
                preferred
            } else {
                p.tracks.iter().find(|t| t.kind == kind).map(|t| t.id)
            }
        }
        None => preferred,
    }
}

/// Places `payload` on `track` (a new track of its kind when `None`) at `at`.
pub fn spot(
    lib: &mut LibraryState,
    editor: &mut Editor,
    payload: SpotPayload,
    track: Option<TrackId>,
    at: SamplePos,
) {
    let rate = editor.project().sample_rate.hz();
    let ready = lib
        .previews
        .get(&payload.path)
        .filter(|p| p.rate == rate)
        .cloned();
    let Some(p) = ready else {
        lib.request_preview(&payload.path, rate);
        lib.spot_pending = Some((payload, track, at));
        return;
    };
    let kind = payload.kind.map_or(TrackKind::Sfx, track_kind);
    let result = ImportResult {
        imported: vec![Imported {
            path: payload.path.clone(),
            audio: p.audio.clone(),
            peaks: p.peaks.as_ref().map(|pk| (**pk).clone()),
            warning: None,
        }],
        failed: Vec::new(),
        cancelled: false,
        target: ImportTarget::Spot {
            track,
            kind,
            position: at,
            range: payload.range,
        },
    };
    crate::import::apply_import(editor, result);
}

/// Work to do each frame: finished scans and decodes, pending spots,
/// transport stops ending an audition.
pub fn poll(lib: &mut LibraryState, editor: &mut Editor) {
    if let Some(e) = lib.poll() {
        editor.notify(e, true);
    }
    if let Some(e) = lib.poll_preview() {
        editor.notify(e, true);
        lib.spot_pending = None;
    }
    if let Some((payload, track, at)) = lib.spot_pending.take() {
        let rate = editor.project().sample_rate.hz();
        if lib
            .previews
            .get(&payload.path)
            .is_some_and(|p| p.rate == rate)
        {
            spot(lib, editor, payload, track, at);
        } else if lib.loading.is_some() {
            lib.spot_pending = Some((payload, track, at));
        }
    }
    if lib.auditioning && !editor.is_playing() {
        // The transport stopped: the audition ends and the playhead goes
        // back to the spot, ready for the next take.
        editor.stop_audition();
        lib.auditioning = false;
        if let Some(at) = lib.audition_spot.take() {
            editor.locate(at);
        }
    }
    // A one-shot preview that has played out: ready to play again.
    if lib.previewing
        && !lib.looped
        && editor.transport.telemetry.audition.is_none()
        && lib
            .preview_started
            .is_some_and(|t| t.elapsed() > std::time::Duration::from_millis(300))
    {
        lib.previewing = false;
    }
}

/// Waits for background work (tests).
pub fn settle(lib: &mut LibraryState, editor: &mut Editor) {
    if let Some(e) = lib.finish_scan() {
        editor.notify(e, true);
    }
    if let Some(e) = lib.finish_preview() {
        editor.notify(e, true);
    }
    poll(lib, editor);
}

fn fmt_duration(s: f64) -> String {
    if s >= 60.0 {
        format!("{}:{:04.1}", (s / 60.0).floor(), s % 60.0)
    } else {
        format!("{s:.2} s")
    }
}

/// The library panel.
pub fn library_ui(ui: &mut egui::Ui, lib: &mut LibraryState, editor: &mut Editor) {
    let rate = editor.project().sample_rate.hz();
    if ui.ui_contains_pointer() && ui.input(|i| i.pointer.any_pressed()) {
        lib.active = true;
    }
    ui.horizontal(|ui| {
        ui.heading("Library");
        if ui.button("Add Folder…").clicked() {
            lib.wants_folder = true;
        }
        if ui
            .add_enabled(!lib.library.folders.is_empty(), egui::Button::new("Rescan"))
            .clicked()
        {
            lib.rescan();
        }
    });
    let mut remove = None;
    for f in &lib.library.folders {
        ui.horizontal(|ui| {
            if ui
                .small_button("x")
                .on_hover_text("Remove this folder from the library")
                .clicked()
            {
                remove = Some(f.clone());
            }
            ui.label(egui::RichText::new(f.display().to_string()).small());
        });
    }
    if let Some(f) = remove {
        lib.remove_folder(&f);
    }
    if let Some((done, found)) = lib.scan_progress() {
        ui.horizontal(|ui| {
            let frac = if found == 0 {
                0.0
            } else {
                done as f32 / found as f32
            };
            ui.add(
                egui::ProgressBar::new(frac)
                    .text(format!("indexing {done}/{found}"))
                    .desired_width(ui.available_width() - 70.0),
            );
            if ui.button("Cancel").clicked() {
                lib.cancel_scan();
            }
        });
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(100));
    } else if let Some(r) = lib.last_report {
        ui.label(
            egui::RichText::new(format!(
                "{} files: {} new, {} changed, {} removed, {} unreadable",
                lib.library.entries.len(),
                r.added,
                r.changed,
                r.removed,
                r.unreadable
            ))
            .small(),
        );
    }
    // Search and filters.
    let search = ui.add(
        egui::TextEdit::singleline(&mut lib.query.text)
            .hint_text("Search: every word must match")
            .desired_width(f32::INFINITY),
    );
    search.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Library search"));
    ui.horizontal_wrapped(|ui| {
        let ch = lib.query.channels;
        let named = egui::ComboBox::from_id_salt("library channels")
            .selected_text(match ch {
                None => "any channels".to_owned(),
                Some(1) => "mono".to_owned(),
                Some(2) => "stereo".to_owned(),
                Some(n) => format!("{n} ch"),
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut lib.query.channels, None, "any channels");
                ui.selectable_value(&mut lib.query.channels, Some(1), "mono");
                ui.selectable_value(&mut lib.query.channels, Some(2), "stereo");
            });
        named.response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Channels filter")
        });
        let mut min = lib.query.min_seconds.unwrap_or(0.0);
        ui.label("min");
        if ui
            .add(
                crate::widgets::number(&mut min)
                    .range(0.0..=3600.0)
                    .suffix(" s"),
            )
            .named("Shortest duration")
            .on_hover_text("Shortest duration (0: any)")
            .changed()
        {
            lib.query.min_seconds = (min > 0.0).then_some(min);
        }
        let mut max = lib.query.max_seconds.unwrap_or(0.0);
        ui.label("max");
        if ui
            .add(
                crate::widgets::number(&mut max)
                    .range(0.0..=3600.0)
                    .suffix(" s"),
            )
            .named("Longest duration")
            .on_hover_text("Longest duration (0: any)")
            .changed()
        {
            lib.query.max_seconds = (max > 0.0).then_some(max);
        }
        let named = egui::ComboBox::from_id_salt("library sort")
            .selected_text(match lib.query.sort {
                Sort::Relevance => "by relevance",
                Sort::Name => "by name",
                Sort::Duration => "by duration",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut lib.query.sort, Sort::Relevance, "by relevance");
                ui.selectable_value(&mut lib.query.sort, Sort::Name, "by name");
                ui.selectable_value(&mut lib.query.sort, Sort::Duration, "by duration");
            });
        named
            .response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Sort results"));
        let folders = lib.library.folders.clone();
        if folders.len() > 1 {
            let named = egui::ComboBox::from_id_salt("library folder")
                .selected_text(
                    lib.query
                        .folder
                        .as_ref()
                        .and_then(|f| f.file_name())
                        .map_or("all folders".to_owned(), |n| {
                            n.to_string_lossy().into_owned()
                        }),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut lib.query.folder, None, "all folders");
                    for f in folders {
                        let name = f.file_name().map_or_else(
                            || f.display().to_string(),
                            |n| n.to_string_lossy().into_owned(),
                        );
                        ui.selectable_value(&mut lib.query.folder, Some(f), name);
                    }
                });
            named.response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Folder filter")
            });
        }
    });
    lib.refresh_results();
    preview_ui(ui, lib, editor);
    ui.separator();
    ui.label(
        egui::RichText::new(format!("{} results", lib.results.len()))
            .small()
            .weak(),
    );
    // The result list: only visible rows are laid out.
    let row_h = 20.0;
    let results = &lib.results;
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("library results")
        .auto_shrink([false, false])
        .max_height((ui.available_height() - 70.0).max(80.0))
        .show_rows(ui, row_h, results.len(), |ui, rows| {
            for row in rows {
                let i = results[row];
                let e = &lib.library.entries[i];
                let selected = lib.selected == Some(i);
                let name = e.name();
                let (rect, r) = ui.allocate_exact_size(
                    vec2(ui.available_width(), row_h),
                    Sense::click_and_drag(),
                );
                r.widget_info(|| {
                    egui::WidgetInfo::selected(egui::Role::Button, true, selected, &name)
                });
                let payload = SpotPayload {
                    path: e.path.clone(),
                    range: if selected { lib.range } else { None },
                    kind: e.kind,
                    category: e.category.clone(),
                };
                let visuals = ui.visuals();
                if selected {
                    ui.painter()
                        .rect_filled(rect, 2.0, visuals.selection.bg_fill);
                } else if r.hovered() {
                    ui.painter()
                        .rect_filled(rect, 2.0, visuals.widgets.hovered.weak_bg_fill);
                }
                let right = format!(
                    "{}  {}",
                    fmt_duration(e.seconds()),
                    if e.channels == 1 {
                        "mono".to_owned()
                    } else {
                        format!("{}ch", e.channels)
                    }
                );
                let font = egui::FontId::proportional(12.5);
                let color = visuals.text_color();
                let right_g =
                    ui.painter()
                        .layout_no_wrap(right, font.clone(), visuals.weak_text_color());
                let name_w = (rect.width() - right_g.size().x - 16.0).max(20.0);
                let mut job = egui::text::LayoutJob::simple_singleline(name.clone(), font, color);
                job.wrap = egui::text::TextWrapping::truncate_at_width(name_w);
                let name_g = ui.painter().layout_job(job);
                let y = rect.center().y - name_g.size().y / 2.0;
                ui.painter()
                    .galley(egui::pos2(rect.left() + 4.0, y), name_g, color);
                ui.painter().galley(
                    egui::pos2(rect.right() - right_g.size().x - 4.0, y),
                    right_g,
                    color,
                );
                let r = r.on_hover_text(format!(
                    "{}{}{}",
                    if e.category.is_empty() {
                        String::new()
                    } else {
                        format!("{} {}\n", e.category, e.sub_category)
                    },
                    if e.description.is_empty() {
                        String::new()
                    } else {
                        format!("{}\n", e.description)
                    },
                    e.path.display()
                ));
                // Dragged onto the timeline, the row spots the sound there.
                r.dnd_set_drag_payload(payload);
                if r.clicked() {
                    clicked = Some(i);
                }
            }
        });
    if let Some(i) = clicked {
        lib.select(i, rate);
        lib.active = true;
    }
    let unreadable: Vec<(String, String)> = lib
        .library
        .unreadable()
        .take(50)
        .map(|(p, r)| (p.display().to_string(), r.to_owned()))
        .collect();
    if !unreadable.is_empty() {
        egui::CollapsingHeader::new(format!("{} unreadable files", unreadable.len()))
            .id_salt("library unreadable")
            .show(ui, |ui| {
                for (p, r) in unreadable {
                    ui.label(egui::RichText::new(format!("{p}: {r}")).small());
                }
            });
    }
}

/// The selected sound: waveform with in/out selection, play/stop, loop,
/// gain, audition at playhead and spot.
fn preview_ui(ui: &mut egui::Ui, lib: &mut LibraryState, editor: &mut Editor) {
    let Some(entry) = lib
        .selected
        .and_then(|i| lib.library.entries.get(i))
        .cloned()
    else {
        ui.label(egui::RichText::new("Select a sound to preview it.").weak());
        return;
    };
    ui.label(egui::RichText::new(entry.name()).strong());
    if !entry.description.is_empty() {
        ui.label(egui::RichText::new(&entry.description).small());
    }
    let (rect, resp) =
        ui.allocate_exact_size(vec2(ui.available_width(), 64.0), Sense::click_and_drag());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Preview waveform"));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_gray(20));
    let preview = lib.preview();
    match &preview {
        None => {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "decoding…",
                egui::FontId::proportional(12.0),
                Color32::GRAY,
            );
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(50));
        }
        Some(p) => {
            let frames = p.audio.frames().max(1);
            let spp = frames as f64 / f64::from(rect.width().max(1.0));
            if let Some(peaks) = &p.peaks {
                let level = peaks.level_for(spp);
                for x in 0..rect.width() as i64 {
                    let a = (x as f64 * spp) as i64;
                    let b = ((x + 1) as f64 * spp) as i64;
                    if let Some((lo, hi)) = peaks.range_at_level(0, level, a, b.max(a + 1)) {
                        let cy = rect.center().y;
                        let h = rect.height() / 2.0 - 2.0;
                        painter.vline(
                            rect.left() + x as f32,
                            (cy - hi * h)..=(cy - lo * h),
                            Stroke::new(1.0, Color32::from_rgb(120, 180, 230)),
                        );
                    }
                }
            }
            let x_of = |f: usize| rect.left() + (f as f64 / spp) as f32;
            let f_of = |x: f32| (((x - rect.left()).max(0.0) as f64 * spp) as usize).min(frames);
            if let Some((a, b)) = lib.range {
                painter.rect_filled(
                    Rect::from_x_y_ranges(x_of(a)..=x_of(b), rect.y_range()),
                    0.0,
                    Color32::from_rgba_unmultiplied(255, 255, 255, 40),
                );
            }
            if resp.drag_started()
                && let Some(pos) = resp.interact_pointer_pos()
            {
                lib.drag_from = Some(f_of(pos.x));
            }
            if resp.dragged()
                && let (Some(a), Some(pos)) = (lib.drag_from, resp.interact_pointer_pos())
            {
                let b = f_of(pos.x);
                lib.range = (a != b).then(|| (a.min(b), a.max(b)));
            }
            if resp.drag_stopped() {
                lib.drag_from = None;
            }
            if resp.clicked() {
                lib.range = None;
                toggle_preview(lib, editor);
            }
            if (lib.previewing || lib.auditioning)
                && let Some(at) = editor.transport.telemetry.audition
            {
                let start = lib.range.map_or(0, |r| r.0);
                let x = x_of(start + at.max(0) as usize);
                painter.vline(
                    x,
                    rect.y_range(),
                    Stroke::new(1.5, Color32::from_rgb(255, 80, 60)),
                );
                ui.ctx().request_repaint();
            }
        }
    }
    ui.horizontal_wrapped(|ui| {
        let playing = lib.previewing || lib.auditioning;
        if ui
            .button(if playing { "Stop Preview" } else { "Preview" })
            .on_hover_text("Play the sound on its own (Space when the library is active)")
            .clicked()
        {
            toggle_preview(lib, editor);
        }
        ui.toggle_value(&mut lib.looped, "Loop");
        if ui
            .button("Audition at Playhead")
            .on_hover_text("Play the timeline from the pre-roll with the sound starting at the playhead (Ctrl+Space)")
            .clicked()
        {
            audition_at_playhead(lib, editor);
        }
        if ui
            .button("Spot to Playhead")
            .on_hover_text("Place the sound at the playhead on the matching track (Ctrl+Enter)")
            .clicked()
        {
            spot_to_playhead(lib, editor);
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Gain");
        let r = ui.add(
            crate::widgets::number(&mut lib.gain_db)
                .range(-60.0..=12.0)
                .speed(0.2)
                .suffix(" dB"),
        );
        let r = r.named("Audition gain");
        if r.changed() {
            let res = editor.transport.engine.set_audition_gain_db(lib.gain_db);
            if let Err(e) = res {
                editor.notify(e.to_string(), true);
            }
        }
        if ui
            .checkbox(&mut lib.mute_mix, "Mute mix")
            .on_hover_text("Silence the mix while auditioning")
            .changed()
        {
            let res = editor.transport.engine.set_audition_mutes_mix(lib.mute_mix);
            if let Err(e) = res {
                editor.notify(e.to_string(), true);
            }
        }
        ui.label("Pre-roll");
        ui.add(
            crate::widgets::number(&mut lib.preroll)
                .range(0.0..=10.0)
                .speed(0.1)
                .suffix(" s"),
        )
        .named("Pre-roll");
    });
}
