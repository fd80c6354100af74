//! Helpers shared by the editor's UI tests: the editor on a project with
//! no display and no sound card (the engine's processor is stepped by the
//! test), and gestures.
#![allow(dead_code)]

use dubstage_engine::{AudioEngine, AudioProcessor, ProcessorConfig};
use dubstage_model::{Project, file};
use dubstage_ui::editor::PLAY_BLOCK;
use dubstage_ui::{Editor, EditorApp};
use egui::{Pos2, vec2};
use egui_kittest::Harness;
use std::path::{Path, PathBuf};

pub fn engine(rate: u32) -> (AudioEngine, AudioProcessor) {
    AudioEngine::pair(ProcessorConfig {
        project_rate: rate,
        device_rate: rate,
        channels: 2,
        max_block: PLAY_BLOCK,
    })
}

pub fn demo_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/demo.dubstage")
}

/// The editor on `project`, and the processor its engine talks to.
pub fn harness(
    project: Project,
    path: Option<PathBuf>,
) -> (Harness<'static, EditorApp>, AudioProcessor) {
    let (e, processor) = engine(project.sample_rate.hz());
    let mut editor = Editor::new(project, path, e);
    editor.view.snap = false;
    let mut app = EditorApp::new(editor, Box::new(|rate| engine(rate).0));
    // No desktop here: the built-in file browser, whatever the environment says.
    app.dialogs = dubstage_ui::dialogs::Dialogs::built_in();
    let mut h = Harness::builder()
        .with_size(vec2(1400.0, 900.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(|ui, app: &mut EditorApp| app.ui(ui), app);
    h.run_steps(3);
    (h, processor)
}

pub fn demo() -> (Harness<'static, EditorApp>, AudioProcessor) {
    let loaded = file::load(&demo_path()).expect("demo loads");
    harness(loaded.project, Some(demo_path()))
}

/// Presses at `from`, moves in steps to `to`, releases.
pub fn drag(h: &mut Harness<'static, EditorApp>, from: Pos2, to: Pos2) {
    h.hover_at(from);
    h.run_steps(1);
    h.drag_at(from);
    h.run_steps(1);
    for k in 1..=5 {
        let t = k as f32 / 5.0;
        h.hover_at(from + (to - from) * t);
        h.run_steps(1);
    }
    h.drop_at(to);
    h.run_steps(2);
}

pub fn clip_by_name<'a>(p: &'a Project, name: &str) -> &'a dubstage_model::Clip {
    p.clips()
        .map(|(_, c)| c)
        .find(|c| c.name == name)
        .expect("clip exists")
}

/// A copy of the demo project in `dir` (its media referenced where they are),
/// so tests that save do not touch the bundled one.
pub fn demo_copy(dir: &Path) -> PathBuf {
    let loaded = file::load(&demo_path()).expect("demo loads");
    let path = dir.join("demo.dubstage");
    file::save(&loaded.project, &path).expect("save copy");
    path
}
