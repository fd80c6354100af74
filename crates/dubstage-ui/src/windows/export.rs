//! The Export dialog: range, stems, format, rate, dither, delivery preset,
//! folder, file name, scene/take.

use crate::app::EditorApp;
use dubstage_media::WavFormat;

/// The Export dialog: range, stems, format, dither, delivery preset,
/// folder and file name.
pub fn export_window(app: &mut EditorApp, ctx: &egui::Context) {
    use crate::export::RangeChoice;
    let Some(mut o) = app.export_options.take() else {
        return;
    };
    let mut open = true;
    let mut start = false;
    let mut choose_folder = false;
    egui::Window::new("Export")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            let markers: Vec<String> = app
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
                    ui.add_enabled_ui(app.editor.transport.loop_range.is_some(), |ui| {
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
                                let named = egui::ComboBox::from_id_salt(id)
                                    .selected_text(markers[*v].clone())
                                    .show_ui(ui, |ui| {
                                        for (i, m) in markers.iter().enumerate() {
                                            ui.selectable_value(v, i, m);
                                        }
                                    });
                                named.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, id));
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
                let named = egui::ComboBox::from_id_salt("export preset")
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
                named.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Loudness preset"));
                ui.end_row();
                ui.label("Folder");
                ui.horizontal(|ui| {
                    ui.label(o.folder.display().to_string());
                    if ui.button("Choose…").clicked() {
                        choose_folder = true;
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
                            o.master_path(app.editor.project()).display().to_string(),
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
                let has_picture = app.editor.project().picture.is_some();
                ui.add_enabled(
                    has_picture && !o.flac,
                    egui::Checkbox::new(&mut o.review_copy, "Review copy: picture with the master (MOV)"),
                );
                ui.end_row();
            });
            ui.separator();
            ui.add_enabled_ui(app.job.is_none(), |ui| {
                if ui.button("Start Export").clicked() {
                    start = true;
                }
            });
        });
    if start && let Some(job) = crate::export::start_export(&mut app.editor, &o) {
        app.job = Some(job);
        open = false;
    }
    if ctx.input(|i| i.key_pressed(egui::Key::Escape))
        && !ctx.text_edit_focused()
        && !app.dialogs.is_open()
    {
        open = false;
    }
    if choose_folder {
        let request = crate::dialogs::FileRequest::new(
            crate::dialogs::Purpose::ExportFolder,
            "Export folder",
            crate::file_browser::BrowseMode::PickFolder,
        )
        .in_dir(Some(&o.folder));
        app.open_file_dialog(ctx, request);
    }
    if open {
        app.export_options = Some(o);
    }
}
