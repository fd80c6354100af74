//! File → Project Settings (and File → New): the project's name, sample
//! rate, frame rate and start timecode.

use crate::editor::Editor;
use crate::widgets::{LineEdit, LineOutcome, line_edit};
use dubstage_model::{Command, FrameRate, SampleRate, Timecode};

/// The window's state: the values being chosen.
#[derive(Debug, Clone)]
pub struct ProjectSettings {
    /// Opened by File → New: OK makes a new project with these settings.
    pub for_new: bool,
    pub name: LineEdit,
    pub sample_rate: SampleRate,
    pub frame_rate: FrameRate,
    pub start: LineEdit,
    pub error: Option<String>,
}

/// What the window asks for.
pub enum SettingsAction {
    None,
    Close,
    /// File → New with these settings.
    New {
        name: String,
        sample_rate: SampleRate,
        frame_rate: FrameRate,
        start: Timecode,
    },
}

impl ProjectSettings {
    pub fn new(editor: &Editor, for_new: bool) -> ProjectSettings {
        let p = editor.project();
        ProjectSettings {
            for_new,
            name: LineEdit::new(if for_new {
                "Untitled".to_owned()
            } else {
                p.name.clone()
            }),
            sample_rate: p.sample_rate,
            frame_rate: p.frame_rate,
            start: LineEdit::idle(
                if for_new {
                    Timecode::ONE_HOUR
                } else {
                    p.start_timecode
                }
                .to_string_with(p.frame_rate.is_drop_frame()),
            ),
            error: None,
        }
    }
}

/// Draws the window.
pub fn show(ctx: &egui::Context, s: &mut ProjectSettings, editor: &mut Editor) -> SettingsAction {
    let mut action = SettingsAction::None;
    let mut open = true;
    let mut ok = false;
    let has_media = !editor.project().media.is_empty();
    let title = if s.for_new {
        "New Project"
    } else {
        "Project Settings"
    };
    egui::Window::new(title)
        .default_pos(ctx.content_rect().center())
        .pivot(egui::Align2::CENTER_CENTER)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("project settings")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.label("Name");
                    if line_edit(ui, &mut s.name, "Project name", 220.0) == LineOutcome::Cancel {
                        action = SettingsAction::Close;
                    }
                    ui.end_row();
                    ui.label("Sample rate");
                    ui.add_enabled_ui(s.for_new || !has_media, |ui| {
                        ui.horizontal(|ui| {
                            for r in SampleRate::ALLOWED {
                                ui.radio_value(&mut s.sample_rate, r, r.to_string());
                            }
                        });
                    })
                    .response
                    .on_disabled_hover_text(
                        "Positions are samples: a project with media keeps its rate",
                    );
                    ui.end_row();
                    ui.label("Frame rate");
                    let named = egui::ComboBox::from_id_salt("settings frame rate")
                        .selected_text(s.frame_rate.to_string())
                        .show_ui(ui, |ui| {
                            for r in FrameRate::ALL {
                                ui.selectable_value(&mut s.frame_rate, r, r.to_string());
                            }
                        });
                    named.response.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Frame rate")
                    });
                    ui.end_row();
                    ui.label("Start timecode");
                    if line_edit(ui, &mut s.start, "Start timecode", 120.0) == LineOutcome::Cancel {
                        action = SettingsAction::Close;
                    }
                    ui.end_row();
                });
            if let Some(e) = &s.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.horizontal(|ui| {
                if ui.button(if s.for_new { "Create" } else { "OK" }).clicked() {
                    ok = true;
                }
                if ui.button("Cancel").clicked() {
                    action = SettingsAction::Close;
                }
            });
        });
    if !open {
        return SettingsAction::Close;
    }
    if ctx.input(|i| i.key_pressed(egui::Key::Escape)) && !ctx.text_edit_focused() {
        return SettingsAction::Close;
    }
    if ctx.input(|i| i.key_pressed(egui::Key::Enter)) && !ctx.text_edit_focused() {
        ok = true;
    }
    if !ok {
        return action;
    }
    let name = s.name.text.trim().to_owned();
    if name.is_empty() {
        s.error = Some("the project needs a name".to_owned());
        return SettingsAction::None;
    }
    let start = match Timecode::parse(&s.start.text) {
        Ok(tc) if tc.to_frames(s.frame_rate).is_ok() => tc,
        Ok(_) | Err(_) => {
            s.error = Some(format!(
                "\"{}\" is not a timecode at {}",
                s.start.text.trim(),
                s.frame_rate
            ));
            return SettingsAction::None;
        }
    };
    if s.for_new {
        return SettingsAction::New {
            name,
            sample_rate: s.sample_rate,
            frame_rate: s.frame_rate,
            start,
        };
    }
    let p = editor.project();
    let mut cmds = Vec::new();
    if name != p.name {
        cmds.push(Command::SetProjectName { name });
    }
    if s.sample_rate != p.sample_rate {
        cmds.push(Command::SetSampleRate {
            rate: s.sample_rate,
        });
    }
    if s.frame_rate != p.frame_rate {
        cmds.push(Command::SetFrameRate {
            frame_rate: s.frame_rate,
        });
    }
    if start != p.start_timecode {
        cmds.push(Command::SetStartTimecode { timecode: start });
    }
    if !cmds.is_empty() && editor.apply_group("Project Settings", cmds).is_none() {
        s.error = editor.notices.last().map(|n| n.text.clone());
        return SettingsAction::None;
    }
    SettingsAction::Close
}
