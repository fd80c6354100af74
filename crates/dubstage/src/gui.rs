//! Hosts the editor in an eframe window, with the real audio device (or the
//! null backend, with a notice, when there is none).

use anyhow::{Result, anyhow};
use dubstage_engine::backend::{DeviceRequest, open_output};
use dubstage_model::Project;
use dubstage_ui::editor::PLAY_BLOCK;
use dubstage_ui::picture::Dock;
use dubstage_ui::{Editor, EditorApp};
use std::path::PathBuf;

/// Opens the audio output for a project at `rate`; a fallback message, if
/// any, is returned for the status line.
fn engine_for(rate: u32) -> (dubstage_engine::AudioEngine, Option<String>) {
    open_output(
        &DeviceRequest {
            device: None,
            buffer_frames: Some(512),
            project_rate: rate,
        },
        PLAY_BLOCK,
    )
}

struct Host {
    app: EditorApp,
    allow_close: bool,
}

/// What the editor remembers between launches (panel sizes are kept by egui itself).
#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
struct Prefs {
    show_mixer: Option<bool>,
    show_side_panel: Option<bool>,
    follow: Option<bool>,
    snap: Option<bool>,
    track_height: Option<f32>,
    autosave_seconds: Option<u64>,
    recent: Vec<PathBuf>,
    show_picture: Option<bool>,
    /// `right`, `left` or `window`.
    picture_dock: Option<String>,
    burn_in: Option<bool>,
    safe_area: Option<bool>,
    show_library: Option<bool>,
    library_gain_db: Option<f32>,
    library_preroll: Option<f32>,
}

const PREFS_KEY: &str = "dubstage-prefs";

impl Host {
    fn restore(&mut self, prefs: Prefs) {
        let e = &mut self.app.editor;
        e.show_mixer = prefs.show_mixer.unwrap_or(e.show_mixer);
        e.show_side_panel = prefs.show_side_panel.unwrap_or(e.show_side_panel);
        e.view.follow = prefs.follow.unwrap_or(e.view.follow);
        e.view.snap = prefs.snap.unwrap_or(e.view.snap);
        // A project saved with its own view keeps its track height.
        if !e.restored_view {
            e.view.track_height = prefs
                .track_height
                .unwrap_or(e.view.track_height)
                .clamp(24.0, 200.0);
        }
        if let Some(secs) = prefs.autosave_seconds {
            e.set_autosave_seconds(secs);
        }
        let pic = &mut e.picture;
        pic.show = prefs.show_picture.unwrap_or(pic.show);
        pic.burn_in = prefs.burn_in.unwrap_or(pic.burn_in);
        pic.safe_area = prefs.safe_area.unwrap_or(pic.safe_area);
        pic.dock = match prefs.picture_dock.as_deref() {
            Some("left") => Dock::Left,
            Some("window") => Dock::Window,
            _ => Dock::Right,
        };
        let lib = &mut self.app.library;
        lib.show = prefs.show_library.unwrap_or(lib.show);
        lib.gain_db = prefs
            .library_gain_db
            .unwrap_or(lib.gain_db)
            .clamp(-60.0, 12.0);
        lib.preroll = prefs
            .library_preroll
            .unwrap_or(lib.preroll)
            .clamp(0.0, 10.0);
        self.app.recent = prefs.recent;
        self.app.recent.retain(|p| p.exists());
    }
}

impl eframe::App for Host {
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let e = &self.app.editor;
        let prefs = Prefs {
            show_mixer: Some(e.show_mixer),
            show_side_panel: Some(e.show_side_panel),
            follow: Some(e.view.follow),
            snap: Some(e.view.snap),
            track_height: Some(e.view.track_height),
            autosave_seconds: Some(e.autosave_interval.as_secs()),
            recent: self.app.recent.clone(),
            show_picture: Some(e.picture.show),
            picture_dock: Some(
                match e.picture.dock {
                    Dock::Right => "right",
                    Dock::Left => "left",
                    Dock::Window => "window",
                }
                .to_owned(),
            ),
            burn_in: Some(e.picture.burn_in),
            safe_area: Some(e.picture.safe_area),
            show_library: Some(self.app.library.show),
            library_gain_db: Some(self.app.library.gain_db),
            library_preroll: Some(self.app.library.preroll),
        };
        eframe::set_value(storage, PREFS_KEY, &prefs);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if ctx.input(|i| i.viewport().close_requested())
            && !self.allow_close
            && self.app.editor.session.is_dirty()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.app.request(dubstage_ui::app::Pending::Quit);
        }
        self.app.ui(ui);
        if self.app.quit_requested {
            self.allow_close = true;
            self.app.quit_requested = false;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

/// Runs the editor window until it is closed.
pub fn run_editor(project: Option<PathBuf>) -> Result<()> {
    let mut notices = Vec::new();
    let (project, path, warnings) = match project {
        Some(path) => match dubstage_model::file::load(&path) {
            // Remember the absolute path (Open Recent, recovery files).
            Ok(loaded) if path.is_relative() => (
                loaded.project,
                Some(std::fs::canonicalize(&path).unwrap_or(path)),
                loaded.warnings,
            ),
            Ok(loaded) => (loaded.project, Some(path), loaded.warnings),
            Err(e) => {
                notices.push(format!("could not open: {e}"));
                (Project::new("Untitled"), None, Vec::new())
            }
        },
        None => (Project::new("Untitled"), None, Vec::new()),
    };
    let (engine, fallback) = engine_for(project.sample_rate.hz());
    let mut editor = Editor::new(project, path, engine);
    for w in warnings {
        editor.notify(w, false);
    }
    if let Some(msg) = fallback {
        editor.notify(msg, false);
    }
    for n in notices {
        editor.notify(n, true);
    }
    let factory = Box::new(|rate: u32| {
        let (engine, _fallback) = engine_for(rate);
        engine
    });
    let mut app = EditorApp::new(editor, factory);
    let (library, warning) =
        dubstage_ui::library::LibraryState::with_index(dubstage_ui::library::default_index_path());
    app.library = library;
    if let Some(w) = warning {
        app.editor.notify(w, true);
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Dubstage")
            .with_inner_size([1440.0, 860.0])
            .with_min_inner_size([900.0, 560.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Dubstage",
        options,
        Box::new(|cc| {
            let mut host = Host {
                app,
                allow_close: false,
            };
            if let Some(prefs) = cc
                .storage
                .and_then(|s| eframe::get_value::<Prefs>(s, PREFS_KEY))
            {
                host.restore(prefs);
            }
            Ok(Box::new(host))
        }),
    )
    .map_err(|e| anyhow!("cannot open the editor window: {e}"))
}
