//! The Delivery Report window: the last delivery's QC verdicts and files.

use crate::app::EditorApp;

/// The QC result of the last delivery: verdicts, every file's figures,
/// and the report to open.
pub fn delivery_window(app: &mut EditorApp, ctx: &egui::Context) {
    let Some((d, reports)) = &app.delivered else {
        return;
    };
    let checks = dubstage_engine::deliver::checks(d);
    let pass = checks.iter().all(|c| c.pass);
    let warnings = warnings(app.editor.project(), d);
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
            for w in &warnings {
                ui.colored_label(
                    egui::Color32::from_rgb(230, 160, 60),
                    format!("Warning: {w}"),
                );
            }
            if let Some(n) = &d.note {
                ui.colored_label(egui::Color32::from_rgb(230, 160, 60), n);
            }
            ui.label(format!(
                "Dialogue-gated {} LUFS, dialogue {:.1} % of the programme",
                d.after
                    .dialogue_gated
                    .map_or("-inf".to_owned(), |v| format!("{v:.2}")),
                d.after.dialogue_percent
            ));
            let v = |x: Option<f64>| x.map_or("-inf".to_owned(), |v| format!("{v:.2}"));
            egui::Grid::new("delivered files")
                .striped(true)
                .show(ui, |ui| {
                    for h in ["File", "LUFS", "LRA", "max M", "max S", "dBTP"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for f in &d.files {
                        ui.label(f.file.file_name());
                        crate::windows::loudness::flagged(
                            ui,
                            v(f.figures.integrated),
                            f.figures.integrated.is_none(),
                        );
                        ui.label(v(f.figures.range));
                        ui.label(v(f.figures.max_momentary));
                        ui.label(v(f.figures.max_short_term));
                        ui.label(format!("{:.2}", f.figures.true_peak_dbtp));
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
        app.editor.notify(e, true);
    }
    if close || !open {
        app.delivered = None;
    }
}

/// What a delivery should not pass silently: stems with no signal, and
/// tracks left muted (or silenced by a solo) that are not in the mix.
pub fn warnings(
    project: &dubstage_model::Project,
    d: &dubstage_engine::deliver::Delivery,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in &d.files {
        if f.figures.integrated.is_none() {
            out.push(format!("{} is silent", f.file.file_name()));
        }
    }
    let muted: Vec<&str> = project
        .tracks
        .iter()
        .filter(|t| t.kind != dubstage_model::TrackKind::Guide && !t.clips.is_empty())
        .filter(|t| !project.track_audible(t))
        .map(|t| t.name.as_str())
        .collect();
    if !muted.is_empty() {
        out.push(format!(
            "{} track{} not in the mix (muted or not soloed): {}",
            muted.len(),
            if muted.len() == 1 { " is" } else { "s are" },
            muted.join(", ")
        ));
    }
    out
}
