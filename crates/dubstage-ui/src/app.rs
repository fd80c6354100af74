//! The editor window: menu bar, transport bar, timeline, mixer, dialogs and
//! keyboard shortcuts. `EditorApp::ui` draws one frame.

use crate::editor::Editor;
use crate::import::{ImportJob, ImportTarget};
use crate::{mixer, timeline};
use dubstage_media::WavFormat;
use dubstage_model::{Command, Project, SampleLen, SamplePos, Timecode, TrackKind, file};
use egui::{Key, KeyboardShortcut, Modifiers};
use std::path::PathBuf;

/// Keyboard shortcuts, in the order Help → Keyboard Shortcuts lists them.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "Play / stop"),
    ("Enter", "Return to start"),
    ("L", "Loop on / off"),
    ("S", "Split at playhead"),
    ("Shift+S", "Split the clip under the mouse, at the mouse"),
    ("Drag on empty space", "Rubber-band selection (Shift adds)"),
    ("M", "Add marker at playhead"),
    ("Ctrl+Alt+Left / Right", "Previous / next marker"),
    (", / .", "Nudge selection by one frame"),
    ("Shift+, / Shift+.", "Nudge selection by one second"),
    ("Delete / Backspace", "Delete selection"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo"),
    ("Ctrl+X / C / V", "Cut / copy / paste at playhead"),
    ("Ctrl+D", "Duplicate"),
    ("Ctrl+A", "Select all"),
    ("+ / -", "Zoom in / out"),
    ("Ctrl+0", "Zoom to fit"),
    ("N", "Snap on / off"),
    ("F", "Follow playhead on / off"),
    ("Ctrl+Wheel", "Zoom around the mouse"),
    ("Shift+Wheel", "Scroll in time"),
    ("Alt+drag", "Copy clips"),
    ("Shift+drag fader", "Fine fader"),
    ("Double-click fader / pan", "Reset to 0 dB / centre"),
    ("Ctrl+S / Ctrl+Shift+S", "Save / save as"),
    ("Ctrl+I", "Import audio"),
    ("Ctrl+B", "Sound library on / off"),
    (
        "Space (library active)",
        "Preview the selected sound / stop",
    ),
    (
        "Ctrl+Space",
        "Audition the selected sound at the playhead, with pre-roll",
    ),
    ("Ctrl+Enter", "Spot the selected sound to the playhead"),
    (
        "Drag a library result",
        "Spot it onto a track at the drop point",
    ),
];

/// An action the user asked for that needs a decision first (unsaved changes).
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    New,
    Open(Option<PathBuf>),
    Quit,
}

/// The editor window's state around the [`Editor`].
pub struct EditorApp {
    pub editor: Editor,
    pub import: Option<ImportJob>,
    /// Waiting for Save / Don't Save / Cancel.
    pub confirm: Option<Pending>,
    /// Set when the user confirmed quitting; the host closes the window.
    pub quit_requested: bool,
    /// Text of the timecode field while the user types in it.
    pub timecode_edit: Option<String>,
    /// Makes a fresh engine for New/Open (the host knows the device).
    pub engine_factory: Box<dyn FnMut(u32) -> dubstage_engine::AudioEngine>,
    pub timeline: timeline::TimelineState,
    /// An autosave newer than the project, found at start: offer to recover it.
    pub recovery_offer: Option<PathBuf>,
    /// Recently opened or saved projects, newest first (File → Open Recent).
    pub recent: Vec<PathBuf>,
    /// The Audio Device window, when open.
    pub audio_dialog: Option<AudioDialog>,
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
    was_playing: bool,
    /// Timeline sample of the last live point added to the loudness graph.
    last_live_point: i64,
}

/// The Audio Device window: output device and buffer size.
#[derive(Debug, Clone)]
pub struct AudioDialog {
    pub devices: Vec<String>,
    /// `None`: the system default.
    pub device: Option<String>,
    pub buffer: u32,
    pub list_error: Option<String>,
}

impl AudioDialog {
    fn new(editor: &Editor) -> AudioDialog {
        let (devices, list_error) = match dubstage_engine::backend::output_devices() {
            Ok(d) => (d, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let info = editor.engine.stream_info();
        AudioDialog {
            devices,
            device: info
                .filter(|i| i.backend != "null")
                .map(|i| i.device.clone()),
            buffer: info.and_then(|i| i.buffer_frames).unwrap_or(512),
            list_error,
        }
    }
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
            was_playing: false,
            last_live_point: i64::MIN / 2,
            editor,
            import: None,
            confirm: None,
            quit_requested: false,
            timecode_edit: None,
            engine_factory,
            timeline: timeline::TimelineState::default(),
        }
    }

    /// Draws the whole window.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
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
        self.shortcuts(ui.ctx());
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar(ui));
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
                if !audio.is_empty() {
                    self.start_import(audio, target);
                }
            }
        });
        self.dialogs(ui.ctx());
        // Ask for the frame of where the timeline left the playhead this frame.
        self.editor.sync_picture();
        let title = self.editor.title();
        ui.ctx()
            .send_viewport_cmd(egui::ViewportCommand::Title(title));
        if self.editor.is_playing() || self.import.is_some() {
            ui.ctx().request_repaint();
        }
    }

    /// The picture viewer, docked or in its own window, when there is a picture.
    fn picture_viewer(&mut self, ui: &mut egui::Ui) {
        use crate::picture::{Dock, viewer_ui};
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

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let none = Modifiers::NONE;
        let cmd = Modifiers::COMMAND;
        let cmd_shift = Modifiers::COMMAND | Modifiers::SHIFT;
        let frame = self.one_frame();
        let second = self.editor.project().sample_rate.seconds(1);
        let pressed = |m: Modifiers, k: Key| {
            ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(m, k)))
        };
        let lib_ready = self.library.show && self.library.active && self.library.selected.is_some();
        if pressed(cmd, Key::Space) {
            crate::library::audition_at_playhead(&mut self.library, &mut self.editor);
        }
        if pressed(cmd, Key::Enter) {
            crate::library::spot_to_playhead(&mut self.library, &mut self.editor);
        }
        if pressed(cmd, Key::B) {
            self.library.show = !self.library.show;
        }
        if pressed(none, Key::Space) {
            if lib_ready || self.library.previewing {
                crate::library::toggle_preview(&mut self.library, &mut self.editor);
            } else {
                self.editor.toggle_play();
            }
        }
        if pressed(none, Key::Enter) {
            self.editor.locate(SamplePos::ZERO);
        }
        if pressed(none, Key::L) {
            let on = !self.editor.loop_on;
            self.editor.set_loop(on, None);
        }
        if pressed(Modifiers::SHIFT, Key::S) {
            match self.timeline.hover {
                Some((clip, at)) => {
                    self.editor.apply(Command::SplitClip { clip, at });
                }
                None => self
                    .editor
                    .notify("point at a clip to split it at the mouse", false),
            }
        }
        if pressed(none, Key::S) {
            self.editor.split_at_playhead();
        }
        if pressed(none, Key::M) {
            self.editor.add_marker();
        }
        if pressed(Modifiers::COMMAND | Modifiers::ALT, Key::ArrowRight) {
            self.editor.jump_marker(true);
        }
        if pressed(Modifiers::COMMAND | Modifiers::ALT, Key::ArrowLeft) {
            self.editor.jump_marker(false);
        }
        if pressed(Modifiers::SHIFT, Key::Comma) {
            self.editor.nudge(-second);
        }
        if pressed(Modifiers::SHIFT, Key::Period) {
            self.editor.nudge(second);
        }
        if pressed(none, Key::Comma) {
            self.editor.nudge(-frame);
        }
        if pressed(none, Key::Period) {
            self.editor.nudge(frame);
        }
        if pressed(none, Key::Delete) || pressed(none, Key::Backspace) {
            self.editor.delete_selection();
        }
        if pressed(cmd_shift, Key::Z) || pressed(cmd, Key::Y) {
            self.editor.redo();
        }
        if pressed(cmd, Key::Z) {
            self.editor.undo();
        }
        if pressed(cmd, Key::X) {
            self.editor.cut_selection();
        }
        if pressed(cmd, Key::C) {
            self.editor.copy_selection();
        }
        if pressed(cmd, Key::V) {
            self.editor.paste();
        }
        if pressed(cmd, Key::D) {
            self.editor.duplicate_selection();
        }
        if pressed(cmd, Key::A) {
            self.editor.select_all();
        }
        if pressed(none, Key::Plus) || pressed(none, Key::Equals) {
            self.zoom_centre(2.0);
        }
        if pressed(none, Key::Minus) {
            self.zoom_centre(0.5);
        }
        if pressed(cmd, Key::Num0) {
            self.editor.zoom_to_fit(self.timeline.clip_area_width);
        }
        if pressed(none, Key::N) {
            self.editor.view.snap = !self.editor.view.snap;
        }
        if pressed(none, Key::F) {
            self.editor.view.follow = !self.editor.view.follow;
        }
        if pressed(cmd_shift, Key::S) {
            self.editor.save_as_dialog();
        }
        if pressed(cmd, Key::S) {
            self.editor.save();
        }
        if pressed(cmd, Key::I) {
            self.import_dialog();
        }
    }

    /// One frame of the project rate, in samples (nudge step).
    fn one_frame(&self) -> SampleLen {
        let p = self.editor.project();
        let map = p.time_map();
        map.frame_start(1) - map.frame_start(0)
    }

    fn zoom_centre(&mut self, factor: f64) {
        let w = f64::from(self.timeline.clip_area_width);
        let v = self.editor.view;
        let anchor = v.scroll_samples + w / 2.0 * v.samples_per_point;
        self.editor.zoom(factor, anchor, w / 2.0);
    }

    fn menu_bar(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("New").clicked() {
                    self.request(Pending::New);
                }
                if ui.button("Open…").clicked() {
                    self.request(Pending::Open(None));
                }
                ui.menu_button("Open Recent", |ui| {
                    if self.recent.is_empty() {
                        ui.label("(none yet)");
                    }
                    for p in self.recent.clone() {
                        let name = p.file_name().map_or_else(
                            || p.display().to_string(),
                            |n| n.to_string_lossy().into_owned(),
                        );
                        if ui
                            .button(name)
                            .on_hover_text(p.display().to_string())
                            .clicked()
                        {
                            self.request(Pending::Open(Some(p)));
                        }
                    }
                });
                if ui.button("Save").clicked() {
                    self.editor.save();
                }
                if ui.button("Save As…").clicked() {
                    self.editor.save_as_dialog();
                }
                ui.separator();
                if ui.button("Import Audio…").clicked() {
                    self.import_dialog();
                }
                if ui.button("Export…").clicked() {
                    self.export_options = Some(crate::export::ExportOptions::new(&self.editor));
                }
                if ui.button("Export Mix As…").clicked() {
                    self.export_dialog();
                }
                if ui.button("Set Picture…").clicked() {
                    crate::picture::set_picture_dialog(&mut self.editor);
                }
                let offline = !self.editor.offline.is_empty();
                if ui
                    .add_enabled(offline, egui::Button::new("Relink Offline Media…"))
                    .on_hover_text("Find missing files by name in a folder")
                    .clicked()
                    && let Some(dir) = rfd::FileDialog::new()
                        .set_title("Folder to search for the missing files")
                        .pick_folder()
                {
                    self.editor.relink_in(&dir);
                }
                ui.menu_button("Autosave", |ui| {
                    for (secs, label) in [
                        (30, "Every 30 seconds"),
                        (60, "Every minute"),
                        (300, "Every 5 minutes"),
                        (0, "Off"),
                    ] {
                        let current = self.editor.autosave_interval.as_secs();
                        if ui.radio(current == secs, label).clicked() {
                            self.editor.set_autosave_seconds(secs);
                        }
                    }
                });
                ui.separator();
                if ui.button("Quit").clicked() {
                    self.request(Pending::Quit);
                }
            });
            ui.menu_button("Edit", |ui| {
                let undo = self
                    .editor
                    .session
                    .undo_label()
                    .map_or("Undo".to_owned(), |l| format!("Undo {l}"));
                if ui
                    .add_enabled(self.editor.session.can_undo(), egui::Button::new(undo))
                    .clicked()
                {
                    self.editor.undo();
                }
                let redo = self
                    .editor
                    .session
                    .redo_label()
                    .map_or("Redo".to_owned(), |l| format!("Redo {l}"));
                if ui
                    .add_enabled(self.editor.session.can_redo(), egui::Button::new(redo))
                    .clicked()
                {
                    self.editor.redo();
                }
                ui.separator();
                let has_sel = !self.editor.selection.is_empty();
                if ui.add_enabled(has_sel, egui::Button::new("Cut")).clicked() {
                    self.editor.cut_selection();
                }
                if ui.add_enabled(has_sel, egui::Button::new("Copy")).clicked() {
                    self.editor.copy_selection();
                }
                if ui.button("Paste").clicked() {
                    self.editor.paste();
                }
                if ui
                    .add_enabled(has_sel, egui::Button::new("Duplicate"))
                    .clicked()
                {
                    self.editor.duplicate_selection();
                }
                if ui
                    .add_enabled(has_sel, egui::Button::new("Delete"))
                    .clicked()
                {
                    self.editor.delete_selection();
                }
                if ui.button("Split at Playhead").clicked() {
                    self.editor.split_at_playhead();
                }
                if ui.button("Select All").clicked() {
                    self.editor.select_all();
                }
                ui.separator();
                if ui.button("Add Marker").clicked() {
                    self.editor.add_marker();
                }
                ui.separator();
                if ui.button("Audio Device…").clicked() {
                    self.audio_dialog = Some(AudioDialog::new(&self.editor));
                }
            });
            ui.menu_button("Track", |ui| {
                for kind in TrackKind::ALL {
                    if ui.button(format!("New {} Track", kind.label())).clicked() {
                        self.add_track(kind);
                    }
                }
                ui.separator();
                let sel = self.editor.selected_track;
                if ui
                    .add_enabled(sel.is_some(), egui::Button::new("Delete Track"))
                    .clicked()
                    && let Some(track) = sel
                {
                    self.editor.apply(Command::RemoveTrack { track });
                }
                if ui
                    .add_enabled(sel.is_some(), egui::Button::new("Rename Track"))
                    .clicked()
                    && let Some(track) = sel
                {
                    self.timeline.renaming = Some(track);
                }
            });
            ui.menu_button("Picture", |ui| self.picture_menu(ui));
            ui.menu_button("View", |ui| {
                if ui.button("Zoom In").clicked() {
                    self.zoom_centre(2.0);
                }
                if ui.button("Zoom Out").clicked() {
                    self.zoom_centre(0.5);
                }
                if ui.button("Zoom to Fit").clicked() {
                    self.editor.zoom_to_fit(self.timeline.clip_area_width);
                }
                ui.separator();
                ui.checkbox(&mut self.editor.show_mixer, "Mixer");
                ui.checkbox(&mut self.editor.show_side_panel, "Media Pool");
                ui.checkbox(&mut self.library.show, "Sound Library");
                ui.checkbox(&mut self.show_loudness, "Loudness");
                ui.checkbox(&mut self.timeline.show_loudness_lane, "Loudness Graph");
                ui.checkbox(&mut self.editor.picture.show, "Picture Viewer");
                ui.checkbox(&mut self.editor.view.follow, "Follow Playhead");
                ui.add_enabled_ui(self.editor.view.follow, |ui| {
                    ui.radio_value(
                        &mut self.editor.view.follow_continuous,
                        false,
                        "Follow by Page",
                    );
                    ui.radio_value(
                        &mut self.editor.view.follow_continuous,
                        true,
                        "Follow Continuously",
                    );
                });
                let mut rts = self.editor.return_to_start;
                if ui.checkbox(&mut rts, "Return to Start on Stop").changed() {
                    self.editor.set_return_to_start(rts);
                }
                ui.checkbox(&mut self.editor.view.snap, "Snap");
            });
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard Shortcuts").clicked() {
                    self.editor.show_shortcuts = true;
                }
                if ui.button("About Dubstage").clicked() {
                    self.editor.show_about = true;
                }
            });
        });
    }

    fn picture_menu(&mut self, ui: &mut egui::Ui) {
        let has = self.editor.project().picture.is_some();
        if ui.button("Set Picture…").clicked() {
            crate::picture::set_picture_dialog(&mut self.editor);
        }
        let has_tc = self
            .editor
            .project()
            .picture
            .as_ref()
            .is_some_and(|p| p.timecode.is_some());
        if ui
            .add_enabled(has_tc, egui::Button::new("Place by Movie Timecode"))
            .clicked()
        {
            self.editor.place_picture_by_timecode();
        }
        if ui
            .add_enabled(has, egui::Button::new("Use Movie Frame Rate"))
            .clicked()
        {
            self.editor.use_movie_frame_rate();
        }
        if ui
            .add_enabled(
                has,
                egui::Button::new("Import Picture Audio as Guide Track"),
            )
            .clicked()
        {
            self.import_guide();
        }
        ui.separator();
        ui.checkbox(&mut self.editor.picture.show, "Picture Viewer");
        ui.checkbox(&mut self.editor.picture.burn_in, "Timecode Burn-in");
        ui.checkbox(&mut self.editor.picture.safe_area, "Safe Area Guides");
        ui.separator();
        if ui
            .add_enabled(has, egui::Button::new("Remove Picture"))
            .clicked()
        {
            self.editor.remove_picture();
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

    fn add_track(&mut self, kind: TrackKind) {
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

    fn transport(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if ui
                .button("Home")
                .on_hover_text("Return to start (Enter)")
                .clicked()
            {
                self.editor.locate(SamplePos::ZERO);
            }
            let playing = self.editor.is_playing();
            let label = if playing { "Stop" } else { "Play" };
            if ui
                .add(egui::Button::new(label).selected(playing))
                .on_hover_text("Play / stop (Space)")
                .clicked()
            {
                self.editor.toggle_play();
            }
            let mut loop_on = self.editor.loop_on;
            if ui
                .toggle_value(&mut loop_on, "Loop")
                .on_hover_text("Loop the range dragged in the ruler (L)")
                .changed()
            {
                self.editor.set_loop(loop_on, None);
            }
            ui.separator();
            self.timecode_field(ui);
            let p = self.editor.project();
            let ph = self.editor.playhead();
            ui.label(
                egui::RichText::new(format!(
                    "{:.3} s  ·  {} smp",
                    p.sample_rate.to_seconds(ph - SamplePos::ZERO),
                    ph.0
                ))
                .monospace()
                .weak(),
            );
            ui.separator();
            ui.toggle_value(&mut self.editor.view.snap, "Snap")
                .on_hover_text("Snap to frames, clip edges, markers and the playhead (N)");
            ui.toggle_value(&mut self.editor.view.follow, "Follow")
                .on_hover_text("Keep the playhead in view while playing (F)");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let t = self.editor.telemetry;
                ui.label(
                    egui::RichText::new(format!(
                        "DSP {:>3.0}%  xruns {}",
                        t.load_peak.max(t.load) * 100.0,
                        t.xruns
                    ))
                    .monospace(),
                );
                ui.separator();
                let rate = self.editor.project().sample_rate;
                ui.label(format!("{rate} · {}", self.editor.project().frame_rate));
                ui.separator();
                ui.label(self.editor.device_label());
            });
        });
    }

    fn timecode_field(&mut self, ui: &mut egui::Ui) {
        let map = self.editor.project().time_map();
        let current = map.timecode_at(self.editor.playhead()).to_string();
        let font = egui::FontId::monospace(20.0);
        match &mut self.timecode_edit {
            Some(text) => {
                let r = ui.add(
                    egui::TextEdit::singleline(text)
                        .font(font)
                        .desired_width(150.0),
                );
                r.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Locate to timecode")
                });
                let (enter, escape) =
                    ui.input(|i| (i.key_pressed(Key::Enter), i.key_pressed(Key::Escape)));
                if enter {
                    let entered = text.clone();
                    self.timecode_edit = None;
                    match Timecode::parse(entered.trim()).and_then(|tc| map.samples_at(tc)) {
                        Ok(pos) => self.editor.locate(pos),
                        Err(e) => self.editor.notify(e.to_string(), true),
                    }
                } else if escape || r.lost_focus() {
                    self.timecode_edit = None;
                } else if !r.has_focus() {
                    // Just opened: take the keyboard.
                    r.request_focus();
                }
            }
            None => {
                let r = ui
                    .add(egui::Button::new(egui::RichText::new(&current).font(font)).frame(false))
                    .on_hover_text("Playhead timecode: click to type a timecode and locate");
                if r.clicked() {
                    self.timecode_edit = Some(current);
                }
            }
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
        if relink
            && let Some(dir) = rfd::FileDialog::new()
                .set_title("Folder to search for the missing files")
                .pick_folder()
        {
            self.editor.relink_in(&dir);
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
            if let Some(n) = self.editor.notices.last() {
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
            Pending::New => {
                let project = Project::new("Untitled");
                let engine = (self.engine_factory)(project.sample_rate.hz());
                self.replace_editor(Editor::new(project, None, engine));
            }
            Pending::Open(path) => {
                let path = path.or_else(|| {
                    rfd::FileDialog::new()
                        .set_title("Open project")
                        .add_filter("Dubstage project", &[file::EXTENSION])
                        .pick_file()
                });
                if let Some(path) = path {
                    self.open(&path);
                }
            }
            Pending::Quit => self.quit_requested = true,
        }
    }

    fn audio_window(&mut self, ctx: &egui::Context) {
        let Some(mut d) = self.audio_dialog.take() else {
            return;
        };
        let mut open = true;
        let mut apply = false;
        let rate = self.editor.project().sample_rate.hz();
        egui::Window::new("Audio Device")
            .open(&mut open)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label(format!("Now: {}", self.editor.device_label()));
                let t = self.editor.telemetry;
                if !t.output_latency.is_zero() {
                    ui.label(format!(
                        "Output latency reported by the device: {:.1} ms",
                        t.output_latency.as_secs_f64() * 1000.0
                    ));
                }
                if let Some(e) = &d.list_error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                ui.separator();
                egui::ComboBox::from_label("Output")
                    .selected_text(
                        d.device
                            .clone()
                            .unwrap_or_else(|| "System default".to_owned()),
                    )
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut d.device, None, "System default");
                        for name in d.devices.clone() {
                            ui.selectable_value(&mut d.device, Some(name.clone()), name);
                        }
                    });
                egui::ComboBox::from_label("Buffer")
                    .selected_text(format!("{} frames", d.buffer))
                    .show_ui(ui, |ui| {
                        for f in dubstage_engine::backend::BUFFER_SIZES {
                            ui.selectable_value(&mut d.buffer, f, format!("{f} frames"));
                        }
                    });
                ui.label(format!(
                    "Buffer latency at {rate} Hz: {:.1} ms",
                    f64::from(d.buffer) * 1000.0 / f64::from(rate)
                ));
                if ui.button("Apply").clicked() {
                    apply = true;
                }
            });
        if apply {
            let request = dubstage_engine::backend::DeviceRequest {
                device: d.device.clone(),
                buffer_frames: Some(d.buffer),
                project_rate: rate,
            };
            use dubstage_engine::backend::Backend;
            let engine = match dubstage_engine::backend::CpalBackend
                .open(&request, crate::editor::PLAY_BLOCK)
            {
                Ok(e) => Ok(e),
                Err(e) => {
                    self.editor
                        .notify(format!("{e}; using silent playback instead"), true);
                    dubstage_engine::backend::NullBackend::paced()
                        .open(&request, crate::editor::PLAY_BLOCK)
                }
            };
            match engine {
                Ok(engine) => {
                    self.editor.replace_engine(engine);
                    let label = self.editor.device_label();
                    self.editor.notify(format!("audio: {label}"), false);
                }
                Err(e) => self.editor.notify(e.to_string(), true),
            }
        }
        if open && !apply {
            self.audio_dialog = Some(d);
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
        new.view.track_height = old.view.track_height;
        new.autosave_interval = old.autosave_interval;
        new.autosave_edits = old.autosave_edits;
        self.editor = new;
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
                self.editor.zoom_to_fit(self.timeline.clip_area_width);
            }
            Err(e) => self.editor.notify(format!("could not open: {e}"), true),
        }
    }

    fn import_dialog(&mut self) {
        let files = rfd::FileDialog::new()
            .set_title("Import audio")
            .add_filter(
                "Audio",
                &[
                    "wav", "bwf", "aif", "aiff", "flac", "mp3", "ogg", "m4a", "aac", "mp4",
                ],
            )
            .pick_files();
        if let Some(files) = files {
            let target = ImportTarget::AtPlayhead {
                track: self.editor.selected_track,
                position: self.editor.playhead(),
            };
            self.start_import(files, target);
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

    fn export_dialog(&mut self) {
        let name = format!("{}.wav", self.editor.project().name);
        let Some(path) = rfd::FileDialog::new()
            .set_title("Export mix")
            .add_filter("WAV", &["wav"])
            .set_file_name(name)
            .save_file()
        else {
            return;
        };
        crate::export::export_mix(&mut self.editor, &path);
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
    fn poll_job(&mut self) {
        if self.job.as_ref().is_some_and(crate::export::Job::is_done)
            && let Some(job) = self.job.take()
        {
            let result = job.wait();
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

    /// The Export dialog: range, stems, format, dither, delivery preset,
    /// folder and file name.
    fn export_window(&mut self, ctx: &egui::Context) {
        use crate::export::RangeChoice;
        let Some(mut o) = self.export_options.take() else {
            return;
        };
        let mut open = true;
        let mut start = false;
        egui::Window::new("Export")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                let markers: Vec<String> = self
                    .editor
                    .project()
                    .markers
                    .iter()
                    .map(|m| m.name.clone())
                    .collect();
                egui::Grid::new("export grid").num_columns(2).show(ui, |ui| {
                    ui.label("Range");
                    ui.vertical(|ui| {
                        ui.radio_value(&mut o.range, RangeChoice::Session, "Whole session");
                        ui.add_enabled_ui(self.editor.loop_range.is_some(), |ui| {
                            ui.radio_value(&mut o.range, RangeChoice::Loop, "Loop / selection range");
                        });
                        if markers.len() >= 2 {
                            let (mut a, mut b) = match o.range {
                                RangeChoice::Markers(a, b) => (a, b),
                                _ => (0, markers.len() - 1),
                            };
                            ui.horizontal(|ui| {
                                let chosen = matches!(o.range, RangeChoice::Markers(..));
                                if ui.radio(chosen, "Between markers").clicked() {
                                    o.range = RangeChoice::Markers(a, b);
                                }
                                for (id, v) in [("from marker", &mut a), ("to marker", &mut b)] {
                                    egui::ComboBox::from_id_salt(id)
                                        .selected_text(markers[*v].clone())
                                        .show_ui(ui, |ui| {
                                            for (i, m) in markers.iter().enumerate() {
                                                ui.selectable_value(v, i, m);
                                            }
                                        });
                                }
                            });
                            if matches!(o.range, RangeChoice::Markers(..)) {
                                o.range = RangeChoice::Markers(a, b);
                            }
                        }
                    });
                    ui.end_row();
                    ui.label("Files");
                    ui.checkbox(&mut o.stems, "Master and stems (one per bus)");
                    ui.end_row();
                    // WAV on one row, FLAC on the next: a grid cell does
                    // not grow for wrapped content.
                    let rows: [&[(WavFormat, bool, &str)]; 2] = [
                        &[
                            (WavFormat::Int16, false, "WAV 16-bit"),
                            (WavFormat::Int24, false, "WAV 24-bit"),
                            (WavFormat::Float32, false, "WAV 32-bit float"),
                        ],
                        &[
                            (WavFormat::Int16, true, "FLAC 16-bit"),
                            (WavFormat::Int24, true, "FLAC 24-bit"),
                        ],
                    ];
                    for (k, row) in rows.into_iter().enumerate() {
                        ui.label(if k == 0 { "Format" } else { "" });
                        ui.horizontal(|ui| {
                            for &(f, flac, l) in row {
                                if ui.radio(o.format == f && o.flac == flac, l).clicked() {
                                    o.format = f;
                                    o.flac = flac;
                                    o.dither = f == WavFormat::Int16;
                                }
                            }
                        });
                        ui.end_row();
                    }
                    ui.label("Sample rate");
                    ui.horizontal(|ui| {
                        for r in [44_100u32, 48_000, 96_000] {
                            ui.radio_value(&mut o.sample_rate, r, format!("{:.1} kHz", f64::from(r) / 1000.0));
                        }
                    });
                    ui.end_row();
                    ui.label("Dither");
                    ui.add_enabled(
                        o.format != WavFormat::Float32,
                        egui::Checkbox::new(&mut o.dither, "TPDF dither"),
                    );
                    ui.end_row();
                    ui.label("Loudness");
                    egui::ComboBox::from_id_salt("export preset")
                        .selected_text(
                            o.preset
                                .and_then(|i| dubstage_engine::deliver::PRESETS.get(i))
                                .map_or("No normalisation", |p| p.label),
                        )
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut o.preset, None, "No normalisation");
                            for (i, p) in dubstage_engine::deliver::PRESETS.iter().enumerate() {
                                ui.selectable_value(&mut o.preset, Some(i), p.label);
                            }
                        });
                    ui.end_row();
                    ui.label("Folder");
                    ui.horizontal(|ui| {
                        ui.label(o.folder.display().to_string());
                        if ui.button("Choose…").clicked()
                            && let Some(d) = rfd::FileDialog::new()
                                .set_title("Export folder")
                                .pick_folder()
                        {
                            o.folder = d;
                        }
                    });
                    ui.end_row();
                    ui.label("File name");
                    ui.vertical(|ui| {
                        ui.text_edit_singleline(&mut o.template).on_hover_text(
                            "{project}, {stem} (MIX for the master) and {date} are replaced; stems add _DIA, _FX, …",
                        );
                        ui.label(
                            egui::RichText::new(
                                o.master_path(self.editor.project()).display().to_string(),
                            )
                            .small()
                            .weak(),
                        );
                    });
                    ui.end_row();
                    ui.label("Scene / take");
                    ui.horizontal(|ui| {
                        for (text, label) in [
                            (&mut o.slate.scene, "Scene"),
                            (&mut o.slate.take, "Take"),
                        ] {
                            let r = ui.add(
                                egui::TextEdit::singleline(text)
                                    .desired_width(60.0)
                                    .hint_text(label),
                            );
                            r.on_hover_text("Written to the files' iXML; leave empty to omit")
                                .widget_info(|| {
                                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, label)
                                });
                        }
                    });
                    ui.end_row();
                    ui.label("");
                    ui.checkbox(&mut o.overwrite, "Overwrite existing files");
                    ui.end_row();
                    ui.label("");
                    let has_picture = self.editor.project().picture.is_some();
                    ui.add_enabled(
                        has_picture && !o.flac,
                        egui::Checkbox::new(&mut o.review_copy, "Review copy: picture with the master (MOV)"),
                    );
                    ui.end_row();
                });
                ui.separator();
                ui.add_enabled_ui(self.job.is_none(), |ui| {
                    if ui.button("Start Export").clicked() {
                        start = true;
                    }
                });
            });
        if start && let Some(job) = crate::export::start_export(&mut self.editor, &o) {
            self.job = Some(job);
            open = false;
        }
        if open {
            self.export_options = Some(o);
        }
    }

    /// The Loudness window: offline analysis of the session (or loop range)
    /// per stem and master, with dialogue-gated loudness.
    fn loudness_window(&mut self, ctx: &egui::Context) {
        if !self.show_loudness {
            return;
        }
        let mut open = true;
        egui::Window::new("Loudness")
            .open(&mut open)
            .default_width(520.0)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let range = self
                        .editor
                        .loop_range
                        .unwrap_or((SamplePos::ZERO, self.editor.project().end()));
                    if ui
                        .add_enabled(self.job.is_none(), egui::Button::new("Analyse"))
                        .on_hover_text("Measure the loop range, or the whole session without one")
                        .clicked()
                        && range.1 > range.0
                    {
                        self.job = Some(crate::export::start_analysis(
                            &self.editor,
                            range.0,
                            range.1,
                        ));
                    }
                    ui.label(
                        egui::RichText::new(
                            "EBU R128 / ITU-R BS.1770-4, offline through the mix engine",
                        )
                        .small()
                        .weak(),
                    );
                });
                self.live_meters(ui);
                ui.separator();
                let Some(a) = &self.analysis else {
                    ui.label("No analysis yet.");
                    return;
                };
                let map = self.editor.project().time_map();
                ui.label(format!(
                    "{} to {}",
                    map.timecode_at(a.start),
                    map.timecode_at(a.end)
                ));
                let v = |x: Option<f64>| x.map_or("-inf".to_owned(), |v| format!("{v:.1}"));
                egui::Grid::new("loudness grid")
                    .striped(true)
                    .show(ui, |ui| {
                        for h in ["", "Integrated", "LRA", "Max M", "Max S", "True peak"] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        let row =
                            |ui: &mut egui::Ui,
                             name: &str,
                             f: &dubstage_engine::loudness::Figures| {
                                ui.label(name);
                                ui.label(format!("{} LUFS", v(f.integrated)));
                                ui.label(format!("{} LU", v(f.range)));
                                ui.label(v(f.max_momentary));
                                ui.label(v(f.max_short_term));
                                ui.label(format!("{:.1} dBTP", f.true_peak_dbtp));
                                ui.end_row();
                            };
                        row(ui, "Master", &a.master);
                        for (_, name, f) in &a.stems {
                            row(ui, name, f);
                        }
                    });
                ui.separator();
                ui.label(format!(
                    "Dialogue-gated loudness: {} LUFS ({:.1} % of the programme is dialogue)",
                    v(a.dialogue_gated),
                    a.dialogue_percent
                ));
            });
        self.show_loudness = open;
    }

    /// Live M/S bars and numbers for the master and every bus.
    fn live_meters(&mut self, ui: &mut egui::Ui) {
        let names: Vec<String> = std::iter::once("Master".to_owned())
            .chain(
                self.editor
                    .project()
                    .buses
                    .iter()
                    .take(dubstage_engine::rt::LOUDNESS_BUSES)
                    .map(|b| b.name.clone()),
            )
            .collect();
        ui.horizontal(|ui| {
            ui.strong("Live");
            ui.label(
                egui::RichText::new("integrated and true-peak max since play started")
                    .small()
                    .weak(),
            );
            if ui.button("Reset").clicked() {
                self.live.reset();
            }
        });
        let v = |x: Option<f64>| x.map_or("-inf".to_owned(), |v| format!("{v:.1}"));
        egui::Grid::new("live loudness")
            .striped(true)
            .show(ui, |ui| {
                for h in ["", "Momentary", "Short-term", "Integrated", "LRA", "TP max"] {
                    ui.strong(h);
                }
                ui.end_row();
                // Bars span -60 to 0 LUFS.
                let bar = |ui: &mut egui::Ui, x: Option<f64>| {
                    let level = x.unwrap_or(-70.0);
                    ui.add(
                        egui::ProgressBar::new((((level + 60.0) / 60.0) as f32).clamp(0.0, 1.0))
                            .desired_width(110.0)
                            .text(format!("{} LUFS", v(x))),
                    );
                };
                for (name, f) in names.iter().zip(self.live.figures()) {
                    ui.label(name);
                    bar(ui, f.momentary);
                    bar(ui, f.short_term);
                    ui.label(v(f.integrated));
                    ui.label(v(f.range));
                    ui.label(if f.true_peak_max.is_finite() {
                        format!("{:.1} dBTP", f.true_peak_max)
                    } else {
                        "-inf".to_owned()
                    });
                    ui.end_row();
                }
            });
        if self.editor.is_playing() {
            ui.ctx().request_repaint();
        }
    }

    /// The QC result of the last delivery: verdicts, every file's figures,
    /// and the report to open.
    fn delivery_window(&mut self, ctx: &egui::Context) {
        let Some((d, reports)) = &self.delivered else {
            return;
        };
        let checks = dubstage_engine::deliver::checks(d);
        let pass = checks.iter().all(|c| c.pass);
        let mut open = true;
        let mut close = false;
        let mut notice = None;
        egui::Window::new("Delivery Report")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                let (text, colour) = if pass {
                    ("PASS", egui::Color32::from_rgb(80, 190, 100))
                } else {
                    ("FAIL", egui::Color32::from_rgb(230, 80, 70))
                };
                ui.horizontal(|ui| {
                    ui.label(egui::RichText::new(text).strong().size(20.0).color(colour));
                    ui.label(format!(
                        "{}: gain {:+.2} dB{}, {} pass{}",
                        d.preset.label,
                        d.gain_db,
                        if d.limited { ", limited" } else { "" },
                        d.passes,
                        if d.passes == 1 { "" } else { "es" }
                    ));
                });
                for c in &checks {
                    ui.label(format!(
                        "{}  {}: {}",
                        if c.pass { "PASS" } else { "FAIL" },
                        c.criterion,
                        c.measured
                    ));
                }
                if let Some(n) = &d.note {
                    ui.colored_label(egui::Color32::from_rgb(230, 160, 60), n);
                }
                ui.label(format!(
                    "Dialogue-gated {} LUFS, dialogue {:.1} % of the programme",
                    d.after
                        .dialogue_gated
                        .map_or("-inf".to_owned(), |v| format!("{v:.1}")),
                    d.after.dialogue_percent
                ));
                let v = |x: Option<f64>| x.map_or("-inf".to_owned(), |v| format!("{v:.1}"));
                egui::Grid::new("delivered files")
                    .striped(true)
                    .show(ui, |ui| {
                        for h in ["File", "LUFS", "LRA", "max M", "max S", "dBTP"] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for f in &d.files {
                            ui.label(f.file.file_name());
                            ui.label(v(f.figures.integrated));
                            ui.label(v(f.figures.range));
                            ui.label(v(f.figures.max_momentary));
                            ui.label(v(f.figures.max_short_term));
                            ui.label(format!("{:.1}", f.figures.true_peak_dbtp));
                            ui.end_row();
                        }
                    });
                ui.separator();
                ui.horizontal(|ui| match reports {
                    Ok(r) => {
                        if ui
                            .button("Open Report")
                            .on_hover_text(r.html.display().to_string())
                            .clicked()
                        {
                            notice = crate::export::open_in_system(&r.html).err();
                        }
                        if ui.button("Show Folder").clicked()
                            && let Some(dir) = r.html.parent()
                        {
                            notice = crate::export::open_in_system(dir).err();
                        }
                        if ui.button("Close").clicked() {
                            close = true;
                        }
                    }
                    Err(e) => {
                        ui.colored_label(colour, format!("The report could not be written: {e}"));
                        if ui.button("Close").clicked() {
                            close = true;
                        }
                    }
                });
            });
        if let Some(e) = notice {
            self.editor.notify(e, true);
        }
        if close || !open {
            self.delivered = None;
        }
    }

    fn dialogs(&mut self, ctx: &egui::Context) {
        self.poll_job();
        self.delivery_window(ctx);
        self.export_window(ctx);
        self.loudness_window(ctx);
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
        if let Some(action) = self.confirm.clone() {
            let mut close = false;
            egui::Window::new("Unsaved changes")
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
                .show(ctx, |ui| {
                    ui.label(format!(
                        "Save the changes to \"{}\" first?",
                        self.editor.project().name
                    ));
                    ui.horizontal(|ui| {
                        if ui.button("Save").clicked() {
                            close = true;
                            if self.editor.save() {
                                self.perform(action.clone());
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
        if let Some(rec) = self.recovery_offer.clone() {
            egui::Window::new("Recover unsaved changes")
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
                .show(ctx, |ui| {
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
        self.audio_window(ctx);
        let mut show = self.editor.show_shortcuts;
        egui::Window::new("Keyboard Shortcuts")
            .open(&mut show)
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for (k, what) in SHORTCUTS {
                        ui.label(egui::RichText::new(*k).monospace());
                        ui.label(*what);
                        ui.end_row();
                    }
                });
            });
        self.editor.show_shortcuts = show;
        let mut about = self.editor.show_about;
        egui::Window::new("About Dubstage")
            .open(&mut about)
            .show(ctx, |ui| {
                ui.label(format!("Dubstage {}", env!("CARGO_PKG_VERSION")));
                ui.label("Sound editing and mixing for film. MIT OR Apache-2.0.");
            });
        self.editor.show_about = about;
    }
}
