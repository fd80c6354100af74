//! Hosts the editor in an eframe window, with the real audio device (or the
//! null backend, with a notice, when there is none).

use anyhow::{Result, anyhow};
use dubstage_engine::backend::{DeviceRequest, open_output};
use dubstage_model::Project;
use dubstage_ui::editor::PLAY_BLOCK;
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

impl eframe::App for Host {
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
    let app = EditorApp::new(editor, factory);
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
        Box::new(|_cc| {
            Ok(Box::new(Host {
                app,
                allow_close: false,
            }))
        }),
    )
    .map_err(|e| anyhow!("cannot open the editor window: {e}"))
}
