//! The Markers window: every marker with its timecode; jump to it, rename
//! it, delete it; sorted by time or by name.

use crate::editor::Editor;
use crate::widgets::{LineEdit, LineOutcome, line_edit};
use dubstage_model::{Command, MarkerId};

/// How the list is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Time,
    Name,
}

/// The window's state.
#[derive(Debug, Clone, Default)]
pub struct MarkersWindow {
    pub sort: SortBy,
    /// The marker whose name is being edited.
    pub renaming: Option<(MarkerId, LineEdit)>,
}

/// Draws the window while `open`.
pub fn show(ctx: &egui::Context, open: &mut bool, w: &mut MarkersWindow, editor: &mut Editor) {
    if !*open {
        return;
    }
    let map = editor.project().time_map();
    let mut markers: Vec<_> = editor
        .project()
        .markers
        .iter()
        .map(|m| (m.id, m.position, m.name.clone()))
        .collect();
    if w.sort == SortBy::Name {
        markers.sort_by_key(|m| m.2.to_lowercase());
    }
    let mut jump = None;
    let mut delete = None;
    let mut rename = None;
    egui::Window::new("Markers")
        .default_pos(ctx.content_rect().center())
        .pivot(egui::Align2::CENTER_CENTER)
        .open(open)
        .default_width(380.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label("Sort by");
                ui.radio_value(&mut w.sort, SortBy::Time, "Time");
                ui.radio_value(&mut w.sort, SortBy::Name, "Name");
                ui.separator();
                if ui.button("Add at Playhead").clicked() {
                    editor.add_marker();
                }
            });
            ui.separator();
            if markers.is_empty() {
                ui.label("No markers yet: press M to add one at the playhead.");
                return;
            }
            egui::ScrollArea::vertical()
                .max_height(360.0)
                .show(ui, |ui| {
                    egui::Grid::new("markers")
                        .striped(true)
                        .num_columns(4)
                        .show(ui, |ui| {
                            ui.strong("Timecode");
                            ui.strong("Name");
                            ui.label("");
                            ui.label("");
                            ui.end_row();
                            for (id, pos, name) in &markers {
                                let tc = map.timecode_at(*pos).to_string();
                                if ui
                                    .add(
                                        egui::Button::new(egui::RichText::new(&tc).monospace())
                                            .frame(false),
                                    )
                                    .on_hover_text("Locate here")
                                    .clicked()
                                {
                                    jump = Some(*pos);
                                }
                                match w.renaming.as_mut().filter(|(m, _)| m == id) {
                                    Some((_, edit)) => match line_edit(
                                        ui,
                                        edit,
                                        &format!("Name of marker {name}"),
                                        160.0,
                                    ) {
                                        LineOutcome::Commit => {
                                            rename = Some((*id, edit.text.trim().to_owned()));
                                            w.renaming = None;
                                        }
                                        LineOutcome::Cancel => w.renaming = None,
                                        LineOutcome::Editing | LineOutcome::Idle => {}
                                    },
                                    None => {
                                        let r = ui
                                            .add(egui::Label::new(name).sense(egui::Sense::click()))
                                            .on_hover_text("Double-click to rename");
                                        if r.double_clicked() {
                                            w.renaming = Some((*id, LineEdit::new(name.clone())));
                                        }
                                    }
                                }
                                if ui
                                    .button("Go")
                                    .on_hover_text(format!("Locate to {name}"))
                                    .clicked()
                                {
                                    jump = Some(*pos);
                                }
                                if ui
                                    .button("Delete")
                                    .on_hover_text(format!("Delete {name}"))
                                    .clicked()
                                {
                                    delete = Some(*id);
                                }
                                ui.end_row();
                            }
                        });
                });
        });
    if ctx.input(|i| i.key_pressed(egui::Key::Escape))
        && !ctx.text_edit_focused()
        && w.renaming.is_none()
    {
        *open = false;
    }
    if let Some(p) = jump {
        editor.locate(p);
    }
    if let Some(marker) = delete {
        editor.apply(Command::RemoveMarker { marker });
    }
    if let Some((marker, name)) = rename {
        let changed = editor
            .project()
            .markers
            .iter()
            .any(|m| m.id == marker && m.name != name);
        if !name.is_empty() && changed {
            editor.apply(Command::RenameMarker { marker, name });
        }
    }
}
