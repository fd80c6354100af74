//! The Import dialog: the chosen files with what their headers say, each
//! one's track kind (guessed, changeable), one track per file or all on the
//! selected track, and placement at the playhead, end to end, or at each
//! file's BWF time reference.

use crate::import::{ImportPlan, ImportTarget, Placement, PlannedFile, PlannedTrack};
use dubstage_model::{SamplePos, TimeMap, TrackId, TrackKind, file::display_name};
use std::path::PathBuf;

/// One file in the dialog.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub path: PathBuf,
    pub kind: TrackKind,
    /// Samples since midnight at the file's rate, and that rate.
    pub time_reference: Option<(u64, u32)>,
    /// "48 kHz · 2 ch · 12.4 s", or why the header could not be read.
    pub summary: String,
}

/// Where the files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    OneTrackPerFile,
    SelectedTrack,
}

/// The dialog's state.
#[derive(Debug, Clone)]
pub struct ImportDialog {
    pub files: Vec<FileRow>,
    pub layout: Layout,
    pub placement: Placement,
    pub position: SamplePos,
    /// The selected track when the dialog opened (for "all on the selected track").
    pub selected: Option<(TrackId, String)>,
}

impl ImportDialog {
    /// Reads the files' headers (never their audio) and guesses kinds.
    pub fn new(
        paths: Vec<PathBuf>,
        position: SamplePos,
        selected: Option<(TrackId, String)>,
    ) -> ImportDialog {
        let files: Vec<FileRow> = paths
            .into_iter()
            .map(|path| {
                let header = dubstage_media::library::read_header(&path);
                let kind = dubstage_media::library::kind_hint(&path, header.as_ref().ok())
                    .map_or(TrackKind::Sfx, crate::library::track_kind);
                let (time_reference, summary) = match &header {
                    Ok(h) => {
                        let secs = if h.sample_rate > 0 {
                            h.frames as f64 / f64::from(h.sample_rate)
                        } else {
                            0.0
                        };
                        (
                            h.time_reference.map(|t| (t, h.sample_rate)),
                            format!(
                                "{:.1} kHz · {} ch · {:.1} s",
                                f64::from(h.sample_rate) / 1000.0,
                                h.channels,
                                secs
                            ),
                        )
                    }
                    Err(e) => (None, e.clone()),
                };
                FileRow {
                    path,
                    kind,
                    time_reference,
                    summary,
                }
            })
            .collect();
        let all_referenced = !files.is_empty() && files.iter().all(|f| f.time_reference.is_some());
        ImportDialog {
            files,
            layout: Layout::OneTrackPerFile,
            placement: if all_referenced {
                Placement::TimeReference
            } else {
                Placement::Playhead
            },
            position,
            selected,
        }
    }

    /// The plan the dialog describes.
    pub fn plan(&self) -> ImportPlan {
        let files = self
            .files
            .iter()
            .map(|f| PlannedFile {
                path: f.path.clone(),
                track: match (self.layout, &self.selected) {
                    (Layout::SelectedTrack, Some((t, _))) => PlannedTrack::Existing(*t),
                    (Layout::SelectedTrack, None) => PlannedTrack::Shared {
                        kind: f.kind,
                        name: f.kind.label().to_owned(),
                    },
                    (Layout::OneTrackPerFile, _) => PlannedTrack::New {
                        kind: f.kind,
                        name: stem(&f.path),
                    },
                },
                time_reference: f.time_reference,
                range: None,
            })
            .collect();
        ImportPlan {
            files,
            placement: self.placement,
            position: self.position,
        }
    }
}

fn stem(path: &std::path::Path) -> String {
    let name = display_name(path);
    name.rsplit_once('.')
        .map_or(name.clone(), |(s, _)| s.to_owned())
}

/// What the dialog asks for this frame.
pub enum ImportAction {
    None,
    Cancel,
    Import(Vec<PathBuf>, ImportTarget),
}

/// Draws the dialog.
pub fn show(ctx: &egui::Context, d: &mut ImportDialog, map: &TimeMap) -> ImportAction {
    let mut action = ImportAction::None;
    let mut open = true;
    egui::Window::new("Import Audio")
        .default_pos(ctx.content_rect().center())
        .pivot(egui::Align2::CENTER_CENTER)
        .open(&mut open)
        .collapsible(false)
        .default_width(720.0)
        .show(ctx, |ui| {
            egui::Grid::new("import files")
                .striped(true)
                .num_columns(4)
                .show(ui, |ui| {
                    for h in ["File", "Format", "Time reference", "Track kind"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for f in &mut d.files {
                        let name = display_name(&f.path);
                        ui.label(&name).on_hover_text(f.path.display().to_string());
                        ui.label(&f.summary);
                        match f.time_reference {
                            Some((s, rate)) => {
                                let at = crate::import::time_reference_position(s, rate, map);
                                ui.label(map.timecode_at(at.max(SamplePos::ZERO)).to_string());
                            }
                            None => {
                                ui.label(egui::RichText::new("none").weak());
                            }
                        }
                        let r = egui::ComboBox::from_id_salt(("import kind", &f.path))
                            .selected_text(f.kind.label())
                            .show_ui(ui, |ui| {
                                for k in TrackKind::ALL {
                                    ui.selectable_value(&mut f.kind, k, k.label());
                                }
                            });
                        let label = format!("Kind of {name}");
                        r.response.widget_info(|| {
                            egui::WidgetInfo::labeled(egui::Role::ComboBox, true, &label)
                        });
                        ui.end_row();
                    }
                });
            ui.separator();
            ui.strong("Tracks");
            ui.radio_value(
                &mut d.layout,
                Layout::OneTrackPerFile,
                "One new track per file",
            );
            let selected = d
                .selected
                .as_ref()
                .map_or("none selected".to_owned(), |(_, n)| n.clone());
            ui.radio_value(
                &mut d.layout,
                Layout::SelectedTrack,
                format!("All on the selected track ({selected})"),
            );
            ui.strong("Placement");
            let here = map.timecode_at(d.position);
            ui.radio_value(
                &mut d.placement,
                Placement::Playhead,
                format!("At the playhead ({here})"),
            );
            ui.radio_value(
                &mut d.placement,
                Placement::EndToEnd,
                format!("End to end from the playhead ({here})"),
            );
            let any_reference = d.files.iter().any(|f| f.time_reference.is_some());
            ui.add_enabled_ui(any_reference, |ui| {
                ui.radio_value(
                    &mut d.placement,
                    Placement::TimeReference,
                    "At each file's BWF time reference (spot to original time)",
                );
            });
            ui.separator();
            ui.horizontal(|ui| {
                if ui.button("Import").clicked() {
                    let paths = d.files.iter().map(|f| f.path.clone()).collect();
                    action = ImportAction::Import(
                        paths,
                        ImportTarget::Planned(std::sync::Arc::new(d.plan())),
                    );
                }
                if ui.button("Cancel").clicked() {
                    action = ImportAction::Cancel;
                }
            });
        });
    if !open || (ctx.input(|i| i.key_pressed(egui::Key::Escape)) && !ctx.text_edit_focused()) {
        action = ImportAction::Cancel;
    }
    action
}
