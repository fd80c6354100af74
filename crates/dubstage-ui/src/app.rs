//! The editor window: menu bar, transport bar, timeline, mixer and the
//! windows around them. `EditorApp::ui` draws one frame. What the menus and
//! keys can do is listed once, in [`crate::actions`].

use crate::dialogs::{Dialogs, FileRequest, Purpose};
use crate::editor::Editor;
use crate::file_browser::BrowseMode;
use crate::import::{ImportJob, ImportTarget};
use crate::windows::Windows;
use crate::{mixer, timeline};
use dubstage_model::{Command, Project, SampleLen, SamplePos, TrackKind, file};
use std::path::PathBuf;

/// An action the user asked for that needs a decision first (unsaved changes).
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    New,
    Open(Option<PathBuf>),
    /// The imported turnover (in `EditorApp::imported`) replaces the project.
    UseImported,
    Quit,
}

/// The editor window's state around the [`Editor`].
pub struct EditorApp {
    pub editor: Editor,
    pub import: Option<ImportJob>,
    /// Waiting for Save / Don't Save / Cancel.
    pub confirm: Option<Pending>,
    /// A turnover imported as a new project, waiting for the unsaved-changes
    /// question to be answered.
    pub imported: Option<(Project, dubstage_interchange::Report)>,
    /// What to do once a Save As started by "Save" in the unsaved-changes
    /// question has saved.
    after_save: Option<Pending>,
    /// Set when the user confirmed quitting; the host closes the window.
    pub quit_requested: bool,
    /// The timecode field while the user types in it.
    pub timecode_edit: Option<crate::widgets::LineEdit>,
    /// Makes a fresh engine for New/Open (the host knows the device).
    pub engine_factory: Box<dyn FnMut(u32) -> dubstage_engine::AudioEngine>,
    pub timeline: timeline::TimelineState,
    /// An autosave newer than the project, found at start: offer to recover it.
    pub recovery_offer: Option<PathBuf>,
    /// Recently opened or saved projects, newest first (File → Open Recent).
    pub recent: Vec<PathBuf>,
    /// The Audio Device window, when open.
    pub audio_dialog: Option<crate::windows::audio_device::AudioDialog>,
    /// The sound library panel (kept across projects).
    pub library: crate::library::LibraryState,
    /// The Export dialog's choices, while it is open.
    pub export_options: Option<crate::export::ExportOptions>,
    /// A render or analysis running in the background.
    pub job: Option<crate::export::Job>,
    /// The Loudness window, and its last analysis.
    pub show_loudness: bool,
    pub analysis: Option<dubstage_engine::loudness::Analysis>,
    /// The last delivery's QC result, shown until closed.
    pub delivered: Option<(
        Box<dubstage_engine::deliver::Delivery>,
        Result<dubstage_engine::deliver::Reports, String>,
    )>,
    /// Live loudness of the mix while playing (since play started).
    pub live: dubstage_engine::loudness::Live,
    /// File dialogs (the desktop's on a thread, or the built-in browser).
    pub dialogs: Dialogs,
    /// The other windows (Markers, Project Settings, Import).
    pub windows: Windows,
    /// The last action run (from a menu or a key), for tests and the status line.
    pub last_action: Option<&'static str>,
    was_playing: bool,
    /// Timeline sample of the last live point added to the loudness graph.
    last_live_point: i64,
    /// The window title last sent to the host (sent again only when it changes).
    title_sent: String,
    /// The context of the frame being drawn (for dialogs opened by actions).
    ctx: egui::Context,
    /// Whether [`crate::widgets::fonts`] is installed in the context.
    fonts_set: bool,
    /// Until when the meters still fall after a stop (frames are drawn).
    meters_until: Option<std::time::Instant>,
}

/// How long meters take to fall to the floor after a stop.
const METER_FALL: std::time::Duration = std::time::Duration::from_millis(2000);

/// A question in the middle of the window (unsaved changes, recovery).
fn question_window(title: &str) -> egui::Window<'_> {
    egui::Window::new(title)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
}

/// How many projects File → Open Recent lists.
pub const RECENT_MAX: usize = 10;

/// The recovery file of `editor`'s project when it is newer than the project file.
fn pending_recovery(editor: &Editor) -> Option<PathBuf> {
    let rec = editor.recovery_file();
    let rec_time = std::fs::metadata(&rec).and_then(|m| m.modified()).ok()?;
    let newer = match &editor.path {
        Some(p) => std::fs::metadata(p)
            .and_then(|m| m.modified())
            .map_or(true, |t| rec_time > t),
        None => true,
    };
    newer.then_some(rec)
}

impl EditorApp {
    pub fn new(
        editor: Editor,
        engine_factory: Box<dyn FnMut(u32) -> dubstage_engine::AudioEngine>,
    ) -> EditorApp {
        let recovery_offer = pending_recovery(&editor);
        EditorApp {
            recovery_offer,
            recent: Vec::new(),
            audio_dialog: None,
            library: crate::library::LibraryState::default(),
            export_options: None,
            job: None,
            show_loudness: false,
            analysis: None,
            delivered: None,
            live: dubstage_engine::loudness::Live::new(editor.project().sample_rate.hz()),
            dialogs: Dialogs::new(),
            windows: Windows::default(),
            last_action: None,
            was_playing: false,
            last_live_point: i64::MIN / 2,
            title_sent: String::new(),
            ctx: egui::Context::default(),
            fonts_set: false,
            meters_until: None,
            editor,
            import: None,
            confirm: None,
            imported: None,
            after_save: None,
            quit_requested: false,
            timecode_edit: None,
            engine_factory,
            timeline: timeline::TimelineState::default(),
        }
    }

    /// Draws the whole window.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if !self.fonts_set {
            ctx.set_fonts(crate::widgets::fonts());
            self.fonts_set = true;
        }
        self.ctx = ctx.clone();
        self.keep_engine_rate();
        self.editor.sync_engine();
        self.editor.sync_picture();
        if self.recovery_offer.is_none() {
            self.editor.autosave_if_due(std::time::Instant::now());
        }
        if let Some(p) = self.editor.path.clone()
            && self.recent.first() != Some(&p)
        {
            self.recent.retain(|r| *r != p);
            self.recent.insert(0, p);
            self.recent.truncate(RECENT_MAX);
        }
        self.poll_import();
        self.feed_live_loudness();
        crate::library::poll(&mut self.library, &mut self.editor);
        if ui.input(|i| i.pointer.any_pressed()) {
            // The library panel claims it back if the press is inside it.
            self.library.active = false;
        }
        // Buttons never keep the keyboard: keys are the editor's shortcuts
        // (arrows and Tab step the playhead, not widget focus).
        if !ctx.text_edit_focused() {
            ctx.memory_mut(|m| {
                m.move_focus(egui::FocusDirection::None);
                if let Some(id) = m.focused() {
                    m.surrender_focus(id);
                }
            });
        }
        if !self.modal_open() {
            crate::actions::handle_keys(self, &ctx);
        }
        egui::Panel::top("menu").show(ui, |ui| crate::actions::menu_bar(self, ui));
        egui::Panel::top("transport").show(ui, |ui| self.transport(ui));
        egui::Panel::bottom("status")
            .exact_size(22.0)
            .show(ui, |ui| self.status(ui));
        if self.editor.show_mixer {
            // A third of the window by default, so a laptop screen keeps
            // room for the timeline; the user's size is remembered.
            let mixer_height = (ui.available_height() * 0.34).clamp(200.0, 320.0);
            egui::Panel::bottom("mixer")
                .resizable(true)
                .default_size(mixer_height)
                .show(ui, |ui| mixer::mixer_ui(ui, &mut self.editor));
        }
        if self.library.show {
            egui::Panel::left("library")
                .resizable(true)
                .default_size(340.0)
                .show(ui, |ui| {
                    crate::library::library_ui(ui, &mut self.library, &mut self.editor)
                });
        }
        if std::mem::take(&mut self.library.wants_folder) {
            self.add_library_folder();
        }
        if std::mem::take(&mut self.editor.picture.wants_dialog) {
            self.set_picture_dialog();
        }
        self.picture_viewer(ui);
        if self.editor.show_side_panel {
            egui::Panel::right("side")
                .resizable(true)
                .default_size(230.0)
                .show(ui, |ui| self.media_pool(ui));
        }
        egui::CentralPanel::default().show(ui, |ui| {
            let dropped = timeline::timeline_ui(ui, &mut self.editor, &mut self.timeline);
            if let Some((payload, track, at)) = self.timeline.spot_drop.take() {
                crate::library::spot(&mut self.library, &mut self.editor, payload, track, at);
            }
            for (paths, target) in dropped {
                let (movies, audio): (Vec<PathBuf>, Vec<PathBuf>) =
                    paths.into_iter().partition(|p| crate::picture::is_movie(p));
                if let Some(movie) = movies.first() {
                    self.editor.set_picture_file(movie);
                }
                if audio.is_empty() {
                    continue;
                }
                match target {
                    // Dropped on empty space: the Import dialog decides.
                    ImportTarget::NewTrack { position } => self.open_import_dialog(audio, position),
                    target => self.start_import(audio, target),
                }
            }
        });
        self.windows_ui(&ctx);
        // Ask for the frame of where the timeline left the playhead this frame.
        self.editor.sync_picture();
        let title = self.editor.title();
        if title != self.title_sent {
            // Only on change: a viewport command every frame asks for
            // another frame, and an idle editor would never rest.
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title_sent = title;
        }
        if self.editor.is_playing() || self.import.is_some() {
            ctx.request_repaint();
            self.meters_until = Some(std::time::Instant::now() + METER_FALL);
        } else if self.library.previewing {
            ctx.request_repaint();
        } else if let Some(until) = self.meters_until {
            // After a stop the meters fall back to the floor, then all rests.
            if std::time::Instant::now() < until {
                ctx.request_repaint_after(std::time::Duration::from_millis(33));
            } else {
                self.meters_until = None;
            }
        }
    }

    /// A window that takes the keyboard for itself is open (a file dialog,
    /// the unsaved-changes question, recovery).
    fn modal_open(&self) -> bool {
        self.dialogs.browser().is_some() || self.confirm.is_some() || self.recovery_offer.is_some()
    }

    /// A project rate change (Project Settings, or its undo) needs an
    /// engine at the new rate.
    fn keep_engine_rate(&mut self) {
        let rate = self.editor.project().sample_rate.hz();
        if self.editor.transport.engine.config().project_rate != rate {
            let engine = (self.engine_factory)(rate);
            self.editor.replace_engine(engine);
        }
    }

    /// Every window and dialog, front-most last.
    fn windows_ui(&mut self, ctx: &egui::Context) {
        self.poll_job();
        crate::windows::delivery::delivery_window(self, ctx);
        crate::windows::export::export_window(self, ctx);
        crate::windows::loudness::loudness_window(self, ctx);
        crate::windows::markers::show(
            ctx,
            &mut self.windows.markers,
            &mut self.windows.markers_state,
            &mut self.editor,
        );
        timeline::clip_window(ctx, &mut self.editor, &mut self.timeline);
        crate::windows::insert::show(ctx, &mut self.editor);
        if let Some(mut s) = self.windows.settings.take() {
            use crate::windows::project_settings::{SettingsAction, show};
            match show(ctx, &mut s, &mut self.editor) {
                SettingsAction::None => self.windows.settings = Some(s),
                SettingsAction::Close => {}
                SettingsAction::New {
                    name,
                    sample_rate,
                    frame_rate,
                    start,
                } => {
                    let mut project = Project::new(&name);
                    project.sample_rate = sample_rate;
                    project.frame_rate = frame_rate;
                    project.start_timecode = start;
                    let engine = (self.engine_factory)(sample_rate.hz());
                    self.replace_editor(Editor::new(project, None, engine));
                    self.editor.notify(
                        format!("new project \"{name}\": File > Save to choose where it lives"),
                        false,
                    );
                }
            }
        }
        if let Some(mut d) = self.windows.import.take() {
            use crate::windows::import::{ImportAction, show};
            let map = self.editor.project().time_map();
            match show(ctx, &mut d, &map) {
                ImportAction::None => self.windows.import = Some(d),
                ImportAction::Cancel => {}
                ImportAction::Import(files, target) => self.start_import(files, target),
            }
        }
        self.turnover_window(ctx);
        if let Some(job) = &self.job {
            let mut cancel = false;
            egui::Window::new("Working")
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_BOTTOM, [0.0, -40.0])
                .show(ctx, |ui| {
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::ProgressBar::new(job.fraction())
                                .text(job.stage())
                                .desired_width(300.0),
                        );
                        if ui.button("Cancel").clicked() {
                            cancel = true;
                        }
                    });
                });
            if cancel {
                job.cancel();
            }
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        self.confirm_window(ctx);
        self.recovery_window(ctx);
        crate::windows::audio_device::audio_window(self, ctx);
        let mut show = self.editor.show_shortcuts;
        crate::actions::shortcuts_window(ctx, &mut show);
        self.editor.show_shortcuts = show;
        let mut about = self.editor.show_about;
        egui::Window::new("About Dubstage")
            .open(&mut about)
            .show(ctx, |ui| {
                ui.label(format!("Dubstage {}", env!("CARGO_PKG_VERSION")));
                ui.label("Sound editing and mixing for film. MIT OR Apache-2.0.");
            });
        self.editor.show_about = about;
        // Escape closes the front-most simple window.
        if ctx.input(|i| i.key_pressed(egui::Key::Escape)) && !ctx.text_edit_focused() {
            if self.editor.show_shortcuts {
                self.editor.show_shortcuts = false;
            } else if self.editor.show_about {
                self.editor.show_about = false;
            } else if self.audio_dialog.is_some() {
                self.audio_dialog = None;
            } else if self.delivered.is_some() {
                self.delivered = None;
            } else if self.show_loudness {
                self.show_loudness = false;
            }
        }
        if let Some((purpose, paths)) = self.dialogs.show(ctx) {
            self.file_chosen(purpose, paths);
        }
    }

    fn confirm_window(&mut self, ctx: &egui::Context) {
        let Some(action) = self.confirm.clone() else {
            return;
        };
        let mut close = ctx.input(|i| i.key_pressed(egui::Key::Escape));
        question_window("Unsaved changes").show(ctx, |ui| {
            ui.label(format!(
                "Save the changes to \"{}\" first?",
                self.editor.project().name
            ));
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    close = true;
                    if self.editor.path.is_some() {
                        if self.editor.save() {
                            self.perform(action.clone());
                        }
                    } else {
                        // Never saved: Save As first, then go on.
                        self.save_as(Some(action.clone()));
                    }
                }
                if ui.button("Don't Save").clicked() {
                    close = true;
                    self.perform(action.clone());
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        if close {
            self.confirm = None;
        }
    }

    fn recovery_window(&mut self, ctx: &egui::Context) {
        let Some(rec) = self.recovery_offer.clone() else {
            return;
        };
        question_window("Recover unsaved changes").show(ctx, |ui| {
            ui.label(format!(
                "\"{}\" has unsaved changes from a session that ended unexpectedly.",
                self.editor.project().name
            ));
            ui.horizontal(|ui| {
                if ui.button("Recover").clicked() {
                    self.recover(&rec);
                }
                if ui.button("Discard").clicked() {
                    self.editor.discard_recovery();
                    self.recovery_offer = None;
                }
            });
        });
    }

    /// Opens a file dialog (refused with a message while one is open).
    pub fn open_file_dialog(&mut self, ctx: &egui::Context, request: FileRequest) {
        if let Err(e) = self.dialogs.open(ctx, request) {
            self.editor.notify(e, false);
        }
    }

    /// Opens a file dialog outside a frame's drawing (actions run before
    /// the panels; the context is not needed for the built-in browser).
    fn open_file_dialog_now(&mut self, request: FileRequest) {
        let ctx = self.ctx.clone();
        self.open_file_dialog(&ctx, request);
    }

    /// What a closed dialog chose.
    fn file_chosen(&mut self, purpose: Purpose, paths: Vec<PathBuf>) {
        let Some(first) = paths.first().cloned() else {
            return;
        };
        match purpose {
            Purpose::OpenProject => self.open(&first),
            Purpose::SaveProjectAs => {
                let mut path = first;
                if path.extension().is_none() {
                    path.set_extension(file::EXTENSION);
                }
                if self.save_to(&path)
                    && let Some(next) = self.after_save.take()
                {
                    self.perform(next);
                }
                self.after_save = None;
            }
            Purpose::ImportAudio => {
                let at = self.editor.playhead();
                self.open_import_dialog(paths, at);
            }
            Purpose::SetPicture => {
                self.editor.set_picture_file(&first);
            }
            Purpose::AddLibraryFolder => self.library.add_folder(first),
            Purpose::ExportFolder => {
                if let Some(o) = &mut self.export_options {
                    o.folder = first;
                }
            }
            Purpose::ExportMix => crate::export::export_mix(&mut self.editor, &first),
            Purpose::RelinkFolder => self.editor.relink_in(&first),
            Purpose::ImportTurnover => {
                let mut d = crate::windows::turnover::TurnoverDialog::new(
                    first,
                    self.editor.project().frame_rate,
                );
                d.project_dir = self.project_dir();
                self.windows.turnover = Some(d);
            }
            Purpose::TurnoverFolder => {
                if let Some(d) = &mut self.windows.turnover
                    && !d.media_dirs.contains(&first)
                {
                    d.media_dirs.push(first);
                }
            }
        }
    }

    /// Saves where the project lives, or asks where (never saved yet).
    pub fn save(&mut self) {
        if self.editor.path.is_some() {
            let view = self.saved_view();
            self.editor.save_with_view(view);
        } else {
            self.save_as(None);
        }
    }

    fn save_to(&mut self, path: &std::path::Path) -> bool {
        let view = self.saved_view();
        self.editor.save_to_with_view(path, view)
    }

    /// The view to keep in the file: zoom, scroll, playhead, heights.
    fn saved_view(&self) -> dubstage_model::SavedView {
        let v = &self.editor.view;
        dubstage_model::SavedView {
            samples_per_point: v.samples_per_point,
            scroll_samples: v.scroll_samples,
            scroll_y: v.scroll_y,
            playhead: self.editor.playhead(),
            track_height: v.track_height,
            track_heights: v.track_heights.iter().map(|(k, h)| (*k, *h)).collect(),
            waveform_zoom: v.waveform_zoom,
            lanes: {
                let mut l: Vec<_> = v.lanes.iter().map(|(t, p)| (*t, p.clone())).collect();
                l.sort_by_key(|(t, _)| *t);
                l
            },
            lane_height: v.lane_height,
            strip_lanes: v.strip_lanes.clone(),
        }
    }

    /// File → Save As; `then` runs once it has saved.
    pub fn save_as(&mut self, then: Option<Pending>) {
        self.after_save = then;
        let name = format!("{}.{}", self.editor.project().name, file::EXTENSION);
        let dir = self.project_dir();
        let request = FileRequest::new(
            Purpose::SaveProjectAs,
            "Save project as",
            BrowseMode::SaveFile,
        )
        .filter("Dubstage project", &[file::EXTENSION])
        .in_dir(dir.as_deref())
        .named(&name);
        self.open_file_dialog_now(request);
    }

    pub fn open_project_settings(&mut self, for_new: bool) {
        self.windows.settings = Some(crate::windows::project_settings::ProjectSettings::new(
            &self.editor,
            for_new,
        ));
    }

    pub fn import_dialog(&mut self) {
        let dir = self.project_dir();
        let request = FileRequest::new(Purpose::ImportAudio, "Import audio", BrowseMode::OpenFiles)
            .filter(
                "Audio",
                &[
                    "wav", "bwf", "aif", "aiff", "flac", "mp3", "ogg", "m4a", "aac", "mp4",
                ],
            )
            .in_dir(dir.as_deref());
        self.open_file_dialog_now(request);
    }

    /// The Import dialog on `files`, placing at `position` by default.
    pub fn open_import_dialog(&mut self, files: Vec<PathBuf>, position: SamplePos) {
        let selected = self
            .editor
            .selected_track
            .and_then(|t| self.editor.project().track(t))
            .map(|t| (t.id, t.name.clone()));
        self.windows.import = Some(crate::windows::import::ImportDialog::new(
            files, position, selected,
        ));
    }

    pub fn open_export(&mut self) {
        self.export_options = Some(crate::export::ExportOptions::new(&self.editor));
    }

    pub fn export_mix_dialog(&mut self) {
        let name = format!("{}.wav", self.editor.project().name);
        let request = FileRequest::new(Purpose::ExportMix, "Export mix", BrowseMode::SaveFile)
            .filter("WAV", &["wav"])
            .named(&name);
        self.open_file_dialog_now(request);
    }

    /// The folder the project file is in (none before it is saved).
    fn project_dir(&self) -> Option<PathBuf> {
        self.editor
            .path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map(std::path::Path::to_owned)
    }

    /// File → Import Turnover…: picks the timeline, then the Import
    /// Turnover window.
    pub fn import_turnover_dialog(&mut self) {
        let dir = self.project_dir();
        let request = FileRequest::new(
            Purpose::ImportTurnover,
            "Import a turnover timeline",
            BrowseMode::OpenFile,
        )
        .filter(
            "Timelines (AAF, OTIO, FCP7 XML, FCPXML, EDL)",
            &["aaf", "otio", "xml", "fcpxml", "edl"],
        )
        .in_dir(dir.as_deref());
        self.open_file_dialog_now(request);
    }

    pub fn relink_dialog(&mut self) {
        let request = FileRequest::new(
            Purpose::RelinkFolder,
            "Folder to search for the missing files",
            BrowseMode::PickFolder,
        );
        self.open_file_dialog_now(request);
    }

    pub fn set_picture_dialog(&mut self) {
        let request = FileRequest::new(Purpose::SetPicture, "Set Picture", BrowseMode::OpenFile)
            .filter("Movies", crate::picture::MOVIE_EXTENSIONS);
        self.open_file_dialog_now(request);
    }

    pub fn add_library_folder(&mut self) {
        let request = FileRequest::new(
            Purpose::AddLibraryFolder,
            "Add a sound library folder",
            BrowseMode::PickFolder,
        );
        self.open_file_dialog_now(request);
    }

    pub fn open_audio_device(&mut self) {
        self.audio_dialog = Some(crate::windows::audio_device::AudioDialog::new(&self.editor));
    }

    /// Space: previews the selected library sound when the library is in
    /// use, else plays or stops.
    pub fn play_or_preview(&mut self) {
        let lib_ready = self.library.show && self.library.active && self.library.selected.is_some();
        if lib_ready || self.library.previewing || self.library.auditioning {
            crate::library::toggle_preview(&mut self.library, &mut self.editor);
        } else {
            self.editor.toggle_play();
        }
    }

    pub fn split_at_mouse(&mut self) {
        match self.timeline.hover {
            Some((clip, at)) => {
                self.editor.apply(Command::SplitClip { clip, at });
            }
            None => self
                .editor
                .notify("point at a clip to split it at the mouse", false),
        }
    }

    /// One frame of the project rate, in samples (nudge step).
    fn one_frame(&self) -> SampleLen {
        let map = self.editor.project().time_map();
        map.frame_start(1) - map.frame_start(0)
    }

    pub fn nudge_frames(&mut self, n: i64) {
        let f = self.one_frame();
        self.editor.nudge(SampleLen(f.0 * n));
    }

    pub fn nudge_seconds(&mut self, n: i64) {
        let s = self.editor.project().sample_rate.seconds(n);
        self.editor.nudge(s);
    }

    pub fn step_seconds(&mut self, n: i64) {
        let s = self.editor.project().sample_rate.seconds(n);
        let to = (self.editor.playhead() + s).max(SamplePos::ZERO);
        self.editor.locate(to);
    }

    /// L: forward; again: twice as fast (up to 8×).
    pub fn shuttle_forward(&mut self) {
        let s = self.editor.shuttle_speed();
        let playing = self.editor.is_playing();
        let next = match (playing, s) {
            (false, _) => 1,
            (true, 0) => 2,
            (true, s) if s > 0 => (s.saturating_mul(2)).min(8),
            (true, _) => 1,
        };
        if next == 1 {
            if playing {
                self.editor.stop();
            }
            self.editor.play();
        } else {
            self.editor.shuttle(next);
        }
    }

    /// J: backwards; again: twice as fast (up to 8×).
    pub fn shuttle_back(&mut self) {
        let s = self.editor.shuttle_speed();
        let next = if self.editor.is_playing() && s < 0 {
            (s.saturating_mul(2)).max(-8)
        } else {
            -1
        };
        self.editor.shuttle(next);
    }

    /// Keyboard zoom keeps the playhead where it is on screen (centred when
    /// it was out of view).
    pub fn zoom_on_playhead(&mut self, factor: f64) {
        let w = f64::from(self.timeline.clip_area_width);
        let v = &self.editor.view;
        let ph = self.editor.playhead().0 as f64;
        let x = (ph - v.scroll_samples) / v.samples_per_point;
        let anchor_x = if (0.0..=w).contains(&x) { x } else { w / 2.0 };
        self.editor.zoom(factor, ph, anchor_x);
    }

    pub fn waveform_zoom(&mut self, factor: f32) {
        let z = (self.editor.view.waveform_zoom * factor).clamp(0.25, 64.0);
        self.editor.view.waveform_zoom = z;
    }

    pub fn all_tracks_height(&mut self, factor: f32) {
        let h = self.editor.view.track_height * factor;
        let v = &mut self.editor.view;
        for t in v.track_heights.values_mut() {
            *t = (*t * factor).clamp(
                crate::editor::MIN_TRACK_HEIGHT,
                crate::editor::MAX_TRACK_HEIGHT,
            );
        }
        v.track_height = h.clamp(
            crate::editor::MIN_TRACK_HEIGHT,
            crate::editor::MAX_TRACK_HEIGHT,
        );
    }

    pub fn rename_selected_track(&mut self) {
        if let Some(t) = self
            .editor
            .selected_track
            .and_then(|t| self.editor.project().track(t))
        {
            let (id, name) = (t.id, t.name.clone());
            self.timeline.start_rename(id, &name);
        }
    }

    pub fn delete_selected_track(&mut self) {
        if let Some(track) = self.editor.selected_track {
            self.editor.apply(Command::RemoveTrack { track });
        }
    }

    /// Up/Down: the track above or below becomes the selected one.
    pub fn select_track_by(&mut self, delta: i64) {
        let p = self.editor.project();
        if p.tracks.is_empty() {
            return;
        }
        let i = self
            .editor
            .selected_track
            .and_then(|t| p.track_index(t))
            .map_or(0, |i| {
                (i as i64 + delta).clamp(0, p.tracks.len() as i64 - 1) as usize
            });
        self.editor.selected_track = Some(p.tracks[i].id);
    }

    /// The picture viewer, docked or in its own window, when there is a picture.
    fn picture_viewer(&mut self, ui: &mut egui::Ui) {
        use crate::picture::Dock;
        let viewer_ui = |ui: &mut egui::Ui, editor: &mut Editor| {
            let actions = crate::picture::viewer_ui(ui, &mut editor.picture_view());
            editor.apply_picture_actions(actions);
        };
        if !self.editor.picture.show || self.editor.project().picture.is_none() {
            return;
        }
        let width = (ui.available_width() * 0.34).clamp(280.0, 720.0);
        match self.editor.picture.dock {
            Dock::Right => {
                egui::Panel::right("picture")
                    .resizable(true)
                    .default_size(width)
                    .show(ui, |ui| viewer_ui(ui, &mut self.editor));
            }
            Dock::Left => {
                egui::Panel::left("picture")
                    .resizable(true)
                    .default_size(width)
                    .show(ui, |ui| viewer_ui(ui, &mut self.editor));
            }
            Dock::Window => {
                let editor = &mut self.editor;
                ui.ctx().show_viewport_immediate(
                    egui::ViewportId::from_hash_of("dubstage picture"),
                    egui::ViewportBuilder::default()
                        .with_title("Picture")
                        .with_inner_size([800.0, 560.0]),
                    |ui, _class| {
                        egui::CentralPanel::default().show(ui, |ui| viewer_ui(ui, editor));
                        if ui.ctx().input(|i| i.viewport().close_requested()) {
                            editor.picture.dock = Dock::Right;
                        }
                    },
                );
            }
        }
        if self.editor.is_playing() {
            ui.ctx().request_repaint();
        }
    }

    fn transport(&mut self, ui: &mut egui::Ui) {
        let e = &mut self.editor;
        let errors = crate::transport::transport_bar(
            ui,
            &mut e.transport,
            &mut e.view,
            e.session.project(),
            &mut self.timecode_edit,
        );
        for err in errors {
            self.editor.notify(err, true);
        }
    }

    /// The side panel: the project's media pool, with each file's length,
    /// channels and whether it is online.
    fn media_pool(&mut self, ui: &mut egui::Ui) {
        ui.heading("Media Pool");
        let p = self.editor.project();
        let rate = p.sample_rate;
        ui.label(
            egui::RichText::new(format!(
                "{} file(s), {} offline",
                p.media.len(),
                self.editor.offline.len()
            ))
            .small()
            .weak(),
        );
        ui.separator();
        let mut relink = false;
        egui::ScrollArea::vertical().id_salt("pool").show(ui, |ui| {
            for m in &p.media {
                let offline = self.editor.offline.contains_key(&m.id);
                let uses = p.clips().filter(|(_, c)| c.media == m.id).count();
                let name = if offline {
                    egui::RichText::new(format!("{} (offline)", m.name))
                        .color(ui.visuals().error_fg_color)
                } else {
                    egui::RichText::new(&m.name)
                };
                ui.label(name).on_hover_text(m.path.display().to_string());
                ui.label(
                    egui::RichText::new(format!(
                        "{:.2} s · {} ch · {} clip{}",
                        rate.to_seconds(m.length),
                        m.channels,
                        uses,
                        if uses == 1 { "" } else { "s" }
                    ))
                    .small()
                    .weak(),
                );
                ui.add_space(4.0);
            }
        });
        if !self.editor.offline.is_empty() {
            ui.separator();
            relink = ui.button("Relink Offline Media…").clicked();
        }
        if relink {
            self.relink_dialog();
        }
    }

    fn status(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.import {
                ui.add(
                    egui::ProgressBar::new(job.progress())
                        .desired_width(240.0)
                        .text(job.label()),
                );
                if ui.button("Cancel").clicked() {
                    job.cancel();
                }
                ui.separator();
            }
            if let Some(n) = self.editor.status_notice() {
                let color = if n.error {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().weak_text_color()
                };
                ui.colored_label(color, &n.text);
            }
        });
    }

    /// Starts New/Open/Quit, asking about unsaved changes first.
    pub fn request(&mut self, action: Pending) {
        if self.editor.session.is_dirty() {
            self.confirm = Some(action);
        } else {
            self.perform(action);
        }
    }

    fn perform(&mut self, action: Pending) {
        // The user saved or chose not to: the autosave is not needed any more.
        self.editor.discard_recovery();
        match action {
            Pending::New => self.open_project_settings(true),
            Pending::Open(Some(path)) => self.open(&path),
            Pending::Open(None) => {
                let request = crate::actions::open_request(self);
                self.open_file_dialog_now(request);
            }
            Pending::UseImported => {
                if let Some((project, report)) = self.imported.take() {
                    let engine = (self.engine_factory)(project.sample_rate.hz());
                    let mut editor = Editor::new(project, None, engine);
                    editor.session.mark_unsaved();
                    editor.notify(
                        format!(
                            "imported the turnover: {} clips, {} offline media; File > Save to keep it",
                            report.clips, report.media_offline
                        ),
                        report.media_offline > 0,
                    );
                    self.replace_editor(editor);
                    self.editor.zoom_to_fit(self.timeline.clip_area_width);
                }
            }
            Pending::Quit => self.quit_requested = true,
        }
    }

    /// Replaces the project with the autosaved one (kept unsaved, under the
    /// project's own path).
    pub fn recover(&mut self, recovery: &std::path::Path) {
        self.recovery_offer = None;
        match file::load(recovery) {
            Ok(loaded) => {
                let path = self.editor.path.clone();
                let engine = (self.engine_factory)(loaded.project.sample_rate.hz());
                let mut editor = Editor::new(loaded.project, path, engine);
                editor.session.mark_unsaved();
                editor.notify("recovered the unsaved changes; save to keep them", false);
                self.replace_editor(editor);
            }
            Err(e) => self.editor.notify(format!("could not recover: {e}"), true),
        }
    }

    /// Switches to another project's editor, keeping the user's preferences
    /// (panels, snap, follow, autosave) and notices.
    fn replace_editor(&mut self, mut new: Editor) {
        let old = &self.editor;
        new.show_mixer = old.show_mixer;
        new.show_side_panel = old.show_side_panel;
        new.picture.show = old.picture.show;
        new.picture.dock = old.picture.dock;
        new.picture.burn_in = old.picture.burn_in;
        new.picture.safe_area = old.picture.safe_area;
        new.view.follow = old.view.follow;
        new.view.follow_continuous = old.view.follow_continuous;
        new.view.snap = old.view.snap;
        if !new.restored_view {
            new.view.track_height = old.view.track_height;
        }
        new.autosave_interval = old.autosave_interval;
        new.autosave_edits = old.autosave_edits;
        self.editor = new;
    }

    /// The Import Turnover window, and its import when it finishes: the
    /// turnover becomes the project (unsaved), the window shows the report.
    fn turnover_window(&mut self, ctx: &egui::Context) {
        use crate::windows::turnover::{TurnoverAction, show};
        let Some(mut d) = self.windows.turnover.take() else {
            return;
        };
        if d.job
            .as_ref()
            .is_some_and(crate::turnover::TurnoverJob::is_done)
            && let Some(job) = d.job.take()
        {
            d.outcome = Some(match job.wait() {
                Ok((project, report)) => {
                    let text = report.text();
                    use crate::windows::turnover::Destination;
                    let current = self.editor.project();
                    let offset = match d.destination {
                        Destination::NewProject => None,
                        Destination::HereAtTimecode => Some(
                            dubstage_interchange::import::timecode_offset(current, &project)
                                .unwrap_or(0),
                        ),
                        Destination::HereAtPlayhead => Some(self.editor.playhead().0),
                    };
                    match offset {
                        None => {
                            self.imported = Some((project, report));
                            self.request(Pending::UseImported);
                        }
                        Some(offset) => {
                            let cmds = dubstage_interchange::import::merge_commands(
                                self.editor.project(),
                                &project,
                                offset,
                            );
                            if !cmds.is_empty() {
                                self.editor.apply_group("Import Turnover", cmds);
                                self.editor.load_media();
                            }
                            self.editor.notify(
                                format!(
                                    "imported the turnover into this project: {} clips, {} offline media",
                                    report.clips, report.media_offline
                                ),
                                report.media_offline > 0,
                            );
                        }
                    }
                    Ok(text)
                }
                Err(e) => Err(e),
            });
        }
        if d.job.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        match show(ctx, &mut d) {
            TurnoverAction::None => self.windows.turnover = Some(d),
            TurnoverAction::Close => {}
            TurnoverAction::Start => {
                let rate = self.editor.project().sample_rate.hz();
                // An AAF's embedded media goes beside this project when it
                // is imported into it (and the project has a folder), else
                // beside the turnover.
                d.project_dir = self.project_dir();
                let essence_dir = d.essence_dir();
                d.job = Some(crate::turnover::TurnoverJob::start(
                    d.file.clone(),
                    d.media_dirs.clone(),
                    d.edl_rate,
                    rate,
                    d.kinds(),
                    essence_dir,
                ));
                self.windows.turnover = Some(d);
            }
            TurnoverAction::AddFolder => {
                self.windows.turnover = Some(d);
                let request = FileRequest::new(
                    Purpose::TurnoverFolder,
                    "Folder to search for the turnover's media",
                    BrowseMode::PickFolder,
                );
                self.open_file_dialog_now(request);
            }
        }
    }

    /// Opens a project file, keeping the current one on error.
    pub fn open(&mut self, path: &std::path::Path) {
        match file::load(path) {
            Ok(loaded) => {
                let engine = (self.engine_factory)(loaded.project.sample_rate.hz());
                let mut editor = Editor::new(loaded.project, Some(path.to_owned()), engine);
                for w in loaded.warnings {
                    editor.notify(w, false);
                }
                self.replace_editor(editor);
                if !self.editor.restored_view {
                    self.editor.zoom_to_fit(self.timeline.clip_area_width);
                }
            }
            Err(e) => self.editor.notify(format!("could not open: {e}"), true),
        }
    }

    /// Imports files in the background (decode, resample, overview).
    pub fn start_import(&mut self, files: Vec<PathBuf>, target: ImportTarget) {
        if self.import.is_some() {
            self.editor.notify(
                "an import is already running; wait for it or cancel it",
                true,
            );
            return;
        }
        let rate = self.editor.project().sample_rate.hz();
        let dir = crate::editor::peak_cache_dir(self.editor.path.as_deref());
        let media_dir = crate::picture::extracted_media_dir(self.editor.path.as_deref());
        self.import = Some(ImportJob::start(files, rate, target, dir, media_dir));
    }

    /// Waits for the running import (tests; the UI polls instead).
    pub fn finish_import(&mut self) {
        if let Some(job) = self.import.take() {
            let result = job.wait();
            crate::import::apply_import(&mut self.editor, result);
        }
    }

    fn poll_import(&mut self) {
        if self.import.as_ref().is_some_and(ImportJob::is_done) {
            self.finish_import();
        }
    }

    /// Feeds the live loudness meters from the engine and adds points to
    /// the loudness graph while playing.
    fn feed_live_loudness(&mut self) {
        let rate = self.editor.project().sample_rate.hz();
        if self.live.rate() != rate {
            self.live = dubstage_engine::loudness::Live::new(rate);
        }
        let playing = self.editor.is_playing();
        if playing && !self.was_playing {
            // Integrated loudness and true-peak maximum since play started.
            self.live.reset();
        }
        self.was_playing = playing;
        let live = &mut self.live;
        self.editor
            .transport
            .engine
            .drain_loudness(|frames| live.feed(frames));
        if playing && self.timeline.show_loudness_lane {
            let ph = self.editor.heard_position().0;
            let step = i64::from(rate / 10);
            if ph.abs_diff(self.last_live_point) >= step as u64 {
                self.last_live_point = ph;
                let f = self.live.figures();
                if let Some(master) = f.first() {
                    let v = |x: Option<f64>| x.map_or(f32::NEG_INFINITY, |v| v as f32);
                    let curve = &mut self.timeline.loudness_curve;
                    // A live pass replaces what was drawn at these positions.
                    curve.retain(|p| (p.0.0 - ph).abs() >= step / 2);
                    let at = curve.partition_point(|p| p.0.0 < ph);
                    curve.insert(
                        at,
                        (SamplePos(ph), v(master.momentary), v(master.short_term)),
                    );
                }
            }
        }
    }

    /// Picks up a finished background render or analysis.
    pub fn poll_job(&mut self) {
        if self.job.as_ref().is_some_and(crate::export::Job::is_done)
            && let Some(job) = self.job.take()
        {
            let result = job.wait();
            // The master now plays the delivered chain (one undo step); the
            // delivery's own report comes after, as the last word.
            if let Ok(crate::export::JobResult::Delivered(d, _)) = &result {
                let chain = d.chain();
                if self.editor.project().master.delivery.as_ref() != Some(&chain) {
                    let text = format!(
                        "The master now plays the {} delivery chain: {:+.2} dB{}",
                        chain.preset,
                        chain.gain_db,
                        chain
                            .ceiling_dbtp
                            .map_or(String::new(), |c| format!(", limiter at {c:.2} dBTP"))
                    );
                    self.editor.apply(dubstage_model::Command::SetDelivery {
                        delivery: Some(chain),
                    });
                    self.editor.notify(text, false);
                }
            }
            crate::export::report(&mut self.editor, &result);
            match result {
                Ok(crate::export::JobResult::Analysed(a)) => {
                    self.timeline.loudness_curve = a.curve.clone();
                    self.timeline.show_loudness_lane = true;
                    self.analysis = Some(*a);
                }
                Ok(crate::export::JobResult::Delivered(d, reports)) => {
                    self.delivered = Some((d, reports));
                }
                _ => {}
            }
        }
    }

    /// Picture → Import Picture Audio as Guide Track: decodes the movie's
    /// first audio stream in the background onto a new Guide track, in sync
    /// with the picture.
    pub fn import_guide(&mut self) {
        match self.editor.picture_audio() {
            Ok((movie, audio_index, position)) => self.start_import(
                vec![movie],
                ImportTarget::Guide {
                    position,
                    audio_index,
                },
            ),
            Err(e) => self.editor.notify(e, true),
        }
    }

    pub fn add_track(&mut self, kind: TrackKind) {
        let n = self
            .editor
            .project()
            .tracks
            .iter()
            .filter(|t| t.kind == kind)
            .count()
            + 1;
        if let Some(dubstage_model::Created::Track(t)) = self.editor.apply(Command::AddTrack {
            kind,
            name: format!("{} {n}", kind.label()),
        }) {
            self.editor.selected_track = Some(t);
        }
    }
}
