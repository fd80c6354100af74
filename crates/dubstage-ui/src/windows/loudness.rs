//! The Loudness window: live meters and the offline analysis.

use crate::app::EditorApp;
use dubstage_model::SamplePos;

/// The Loudness window: offline analysis of the session (or loop range)
/// per stem and master, with dialogue-gated loudness.
/// EBU R128: the programme's target, its tolerance and the true-peak
/// ceiling; figures outside them are shown in the warning colour.
pub const TARGET_LUFS: f64 = -23.0;
pub const TOLERANCE_LU: f64 = 1.0;
pub const CEILING_DBTP: f64 = -1.0;

/// A figure, in the error colour (with a warning sign) when it is over a
/// target or ceiling.
pub fn flagged(ui: &mut egui::Ui, text: String, over: bool) -> egui::Response {
    flagged_as(ui, text, over.then_some("over"))
}

/// A figure, in the error colour with `why` beside it when set.
pub fn flagged_as(ui: &mut egui::Ui, text: String, why: Option<&str>) -> egui::Response {
    match why {
        Some(why) => {
            let r = ui.label(
                egui::RichText::new(format!("{text} ({why})"))
                    .color(ui.visuals().error_fg_color)
                    .strong(),
            );
            r.on_hover_text(
                "Outside the EBU R128 target or over the true-peak ceiling (−23 LUFS ±1, −1 dBTP)",
            )
        }
        None => ui.label(text),
    }
}

pub fn loudness_window(app: &mut EditorApp, ctx: &egui::Context) {
    if !app.show_loudness {
        return;
    }
    let mut open = true;
    egui::Window::new("Loudness")
        .open(&mut open)
        .default_width(520.0)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let range = app
                    .editor
                    .transport
                    .loop_range
                    .unwrap_or((SamplePos::ZERO, app.editor.project().end()));
                if ui
                    .add_enabled(app.job.is_none(), egui::Button::new("Analyse"))
                    .on_hover_text("Measure the loop range, or the whole session without one")
                    .clicked()
                    && range.1 > range.0
                {
                    app.job = Some(crate::export::start_analysis(&app.editor, range.0, range.1));
                }
                ui.label(
                    egui::RichText::new(
                        "EBU R128 / ITU-R BS.1770-4, offline through the mix engine",
                    )
                    .small()
                    .weak(),
                );
            });
            live_meters(app, ui);
            ui.separator();
            let Some(a) = &app.analysis else {
                ui.label("No analysis yet.");
                return;
            };
            let map = app.editor.project().time_map();
            ui.label(format!(
                "{} to {}",
                map.timecode_at(a.start),
                map.timecode_at(a.end)
            ));
            let v = |x: Option<f64>| x.map_or("-inf".to_owned(), |v| format!("{v:.2}"));
            egui::Grid::new("loudness grid")
                .striped(true)
                .show(ui, |ui| {
                    for h in ["", "Integrated", "LRA", "Max M", "Max S", "True peak"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    let row = |ui: &mut egui::Ui,
                               name: &str,
                               f: &dubstage_engine::loudness::Figures,
                               master: bool| {
                        ui.label(name);
                        // Quieter or louder than the target, said as such.
                        let why = f.integrated.filter(|_| master).and_then(|i| {
                            if i < TARGET_LUFS - TOLERANCE_LU {
                                Some("under target")
                            } else if i > TARGET_LUFS + TOLERANCE_LU {
                                Some("over target")
                            } else {
                                None
                            }
                        });
                        flagged_as(ui, format!("{} LUFS", v(f.integrated)), why);
                        ui.label(format!("{} LU", v(f.range)));
                        ui.label(v(f.max_momentary));
                        ui.label(v(f.max_short_term));
                        flagged(
                            ui,
                            format!("{:.2} dBTP", f.true_peak_dbtp),
                            f.true_peak_dbtp > CEILING_DBTP,
                        );
                        ui.end_row();
                    };
                    row(ui, "Master", &a.master, true);
                    for (_, name, f) in &a.stems {
                        row(ui, name, f, false);
                    }
                });
            ui.separator();
            ui.label(format!(
                "Dialogue-gated loudness: {} LUFS ({:.1} % of the programme is dialogue)",
                v(a.dialogue_gated),
                a.dialogue_percent
            ));
        });
    app.show_loudness = open;
}

/// Live M/S bars and numbers for the master and every bus.
pub fn live_meters(app: &mut EditorApp, ui: &mut egui::Ui) {
    let names: Vec<String> = std::iter::once("Master".to_owned())
        .chain(
            app.editor
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
            app.live.reset();
        }
    });
    let v = |x: Option<f64>| x.map_or("-inf".to_owned(), |v| format!("{v:.2}"));
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
            for (name, f) in names.iter().zip(app.live.figures()) {
                ui.label(name);
                bar(ui, f.momentary);
                bar(ui, f.short_term);
                ui.label(v(f.integrated));
                ui.label(v(f.range));
                let tp = if f.true_peak_max.is_finite() {
                    format!("{:.2} dBTP", f.true_peak_max)
                } else {
                    "-inf".to_owned()
                };
                flagged(ui, tp, f.true_peak_max > CEILING_DBTP);
                ui.end_row();
            }
        });
    if app.editor.is_playing() {
        ui.ctx().request_repaint();
    }
}
