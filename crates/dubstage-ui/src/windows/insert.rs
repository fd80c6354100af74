//! Insert editors: one window per open insert. Every parameter of the
//! kind's table can be dragged or typed (heard while dragging, one undo
//! step each); the EQ and the filters draw their curve, dynamics their
//! transfer curve and gain reduction, noise reduction learns its print from
//! the selected clip, and the reverb offers its presets.

use crate::editor::Editor;
use dubstage_dsp::Processor;
use dubstage_dsp::dynamics::Compressor;
use dubstage_dsp::filter::{Band, BandType, Eq, PassFilter};
use dubstage_model::{
    Command, EQ_BAND_PARAMS, EQ_BANDS, Insert, InsertId, InsertKind, NoisePrintData, ParamId, Unit,
};

/// Shows the window of every open insert; closes those whose insert is gone.
pub fn show(ctx: &egui::Context, editor: &mut Editor) {
    feed_spectrum(editor);
    let open: Vec<InsertId> = editor.open_inserts.clone();
    for id in open {
        let Some(ins) = editor.project().insert(id).cloned() else {
            editor.open_inserts.retain(|i| *i != id);
            continue;
        };
        let strip = editor
            .project()
            .find_insert(id)
            .map_or_else(String::new, |(s, _)| editor.project().strip_name(s));
        let mut keep = true;
        egui::Window::new(format!("{} on {strip} (#{})", ins.kind.label(), id.0))
            .open(&mut keep)
            .resizable(true)
            .default_width(380.0)
            .default_pos(ctx.content_rect().center() - egui::vec2(190.0, 200.0))
            .show(ctx, |ui| body(ui, editor, &ins));
        if !keep {
            editor.open_inserts.retain(|i| *i != id);
        }
    }
}

/// Taps the most recently opened EQ or filter's output while its window is
/// open, and feeds the analyser the window draws under its curve.
fn feed_spectrum(editor: &mut Editor) {
    let p = editor.project();
    let want = editor.open_inserts.iter().rev().copied().find(|id| {
        p.insert(*id)
            .is_some_and(|i| matches!(i.kind, InsertKind::Eq | InsertKind::Hpf | InsertKind::Lpf))
    });
    let rate = p.sample_rate.hz();
    if editor.spectrum.as_ref().map(|(id, _)| *id) != want {
        if editor.transport.engine.set_tap(want).is_ok() {
            editor.spectrum = want.map(|id| (id, dubstage_dsp::spectrum::Analyzer::new(rate)));
        }
        return;
    }
    if let Some((_, a)) = editor.spectrum.as_mut() {
        let mut buf = Vec::new();
        editor.transport.engine.drain_tap(&mut buf);
        a.push(&buf);
    }
}

fn body(ui: &mut egui::Ui, editor: &mut Editor, ins: &Insert) {
    let value = |editor: &Editor, i: usize| {
        editor
            .param(ParamId::Insert(ins.id, i as u16))
            .unwrap_or_else(|| ins.value(i as u16))
    };
    let values: Vec<f32> = (0..ins.kind.params().len())
        .map(|i| value(editor, i))
        .collect();
    ui.horizontal(|ui| {
        let mut by = ins.bypass;
        if ui.checkbox(&mut by, "Bypass").changed() {
            editor.set_param(ParamId::Bypass(ins.id), f32::from(by));
        }
        let reduces = matches!(
            ins.kind,
            InsertKind::Comp
                | InsertKind::Gate
                | InsertKind::Deess
                | InsertKind::Limiter
                | InsertKind::Denoise
        );
        if reduces
            && let Some(gr) = editor
                .transport
                .engine
                .meters()
                .and_then(|m| m.insert(ins.id))
                .map(|s| s.get())
        {
            gain_reduction(ui, gr);
        }
    });
    match ins.kind {
        InsertKind::Eq | InsertKind::Hpf | InsertKind::Lpf => {
            let spectrum = editor
                .spectrum
                .as_ref()
                .filter(|(id, _)| *id == ins.id)
                .map(|(_, a)| a);
            response_plot(
                ui,
                ins.kind,
                &values,
                editor.project().sample_rate.hz(),
                spectrum,
            );
        }
        InsertKind::Comp | InsertKind::Gate => transfer_plot(ui, ins.kind, &values),
        InsertKind::Denoise => learn_row(ui, editor, ins),
        _ => {}
    }
    if ins.kind.has_sidechain() {
        sidechain_row(ui, editor, ins);
    }
    ui.separator();
    egui::ScrollArea::vertical()
        .max_height(360.0)
        .show(ui, |ui| {
            egui::Grid::new(("params", ins.id.0))
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (i, spec) in ins.kind.params().iter().enumerate() {
                        if ins.kind == InsertKind::Eq && i % EQ_BAND_PARAMS == 0 && i > 0 {
                            ui.end_row();
                        }
                        ui.label(spec.label);
                        param_widget(ui, editor, ins, i, values[i]);
                        ui.end_row();
                    }
                });
        });
}

fn gain_reduction(ui: &mut egui::Ui, db: f32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(120.0, 10.0), egui::Sense::hover());
    let p = ui.painter();
    p.rect_filled(rect, 2.0, egui::Color32::from_gray(40));
    let w = rect.width() * (db / 24.0).clamp(0.0, 1.0);
    let bar = egui::Rect::from_min_max(egui::pos2(rect.right() - w, rect.top()), rect.max);
    p.rect_filled(bar, 2.0, egui::Color32::from_rgb(230, 160, 40));
    ui.label(format!("GR {db:.1} dB"));
}

/// One parameter: a checkbox, a choice, or a value that can be dragged or typed.
fn param_widget(ui: &mut egui::Ui, editor: &mut Editor, ins: &Insert, i: usize, v: f32) {
    let spec = ins.kind.params()[i];
    let id = ParamId::Insert(ins.id, i as u16);
    let label = format!("{} {}", ins.kind.label(), spec.label);
    match spec.unit {
        Unit::Switch => {
            let mut on = v >= 0.5;
            let r = ui.checkbox(&mut on, "");
            r.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, &label));
            if r.changed() {
                editor.set_param(id, f32::from(on));
            }
        }
        Unit::Choice => {
            let cur = v.round().max(0.0) as usize;
            let mut chosen = None;
            let r = egui::ComboBox::from_id_salt(("choice", ins.id.0, i))
                .selected_text(spec.choices.get(cur).copied().unwrap_or("?"))
                .show_ui(ui, |ui| {
                    for (k, name) in spec.choices.iter().enumerate() {
                        if ui.selectable_label(k == cur, *name).clicked() {
                            chosen = Some(k);
                        }
                    }
                });
            r.response
                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, &label));
            if let Some(k) = chosen {
                if ins.kind == InsertKind::Reverb && i == 0 {
                    load_reverb_preset(editor, ins, k);
                } else {
                    editor.set_param(id, k as f32);
                }
            }
        }
        _ => {
            let mut x = v;
            let speed = match spec.unit {
                Unit::Hz => (v.abs() * 0.01).max(0.5),
                Unit::Slope => 0.05,
                _ => ((spec.max - spec.min) / 400.0).max(0.01),
            };
            let suffix = match spec.unit {
                Unit::Db => " dB",
                Unit::Hz => " Hz",
                Unit::Ms => " ms",
                Unit::Seconds => " s",
                Unit::Ratio => ":1",
                Unit::Slope => " dB/oct",
                _ => "",
            };
            let r = ui.add(
                crate::widgets::number(&mut x)
                    .range(spec.min..=spec.max)
                    .speed(speed)
                    .max_decimals(if matches!(spec.unit, Unit::Slope) {
                        0
                    } else {
                        2
                    })
                    .suffix(suffix),
            );
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, &label));
            let x = spec.sanitise(x).unwrap_or(v);
            if r.changed() {
                if r.dragged() {
                    editor.live_param(id, x);
                } else {
                    editor.set_param(id, x);
                }
            }
            if r.drag_stopped() {
                editor.commit_param(id);
            }
        }
    }
}

/// A preset sets the room and its default pre-delay, decay and damping (one undo step).
fn load_reverb_preset(editor: &mut Editor, ins: &Insert, k: usize) {
    let Some(p) = dubstage_dsp::reverb::ReverbPreset::ALL.get(k).copied() else {
        return;
    };
    let d = p.defaults();
    let cmds = [
        (0u16, k as f32),
        (1, d.predelay_ms),
        (2, d.decay_s),
        (3, d.damping),
    ]
    .into_iter()
    .map(|(i, v)| Command::SetParam {
        id: ParamId::Insert(ins.id, i),
        value: v,
    })
    .collect();
    editor.apply_group("Reverb Preset", cmds);
}

fn plot_frame(ui: &mut egui::Ui, h: f32) -> (egui::Rect, egui::Painter) {
    let w = ui.available_width().clamp(240.0, 600.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(w, h), egui::Sense::hover());
    let p = ui.painter_at(rect);
    p.rect_filled(rect, 3.0, egui::Color32::from_gray(24));
    (rect, p)
}

/// The magnitude response of an EQ or filter, 20 Hz – 20 kHz, ±24 dB.
fn response_plot(
    ui: &mut egui::Ui,
    kind: InsertKind,
    v: &[f32],
    rate: u32,
    spectrum: Option<&dubstage_dsp::spectrum::Analyzer>,
) {
    let (rect, p) = plot_frame(ui, 140.0);
    let mut eq = Eq::new();
    let mut pass = PassFilter::new(kind == InsertKind::Hpf, 1000.0, 12);
    if kind == InsertKind::Eq {
        eq.prepare(rate, 1, 1);
        for b in 0..EQ_BANDS {
            let k = b * EQ_BAND_PARAMS;
            eq.set_band(
                b,
                Band {
                    kind: BandType::ALL[(v[k].round().max(0.0) as usize).min(5)],
                    freq: v[k + 1],
                    gain_db: v[k + 2],
                    q: v[k + 3],
                    enabled: v[k + 4] >= 0.5,
                },
            );
        }
    } else {
        pass.prepare(rate, 1, 1);
        pass.set_freq(v[0]);
        pass.set_slope(v[1].round().max(0.0) as u32);
    }
    let x_of = |f: f32| rect.left() + rect.width() * ((f / 20.0).log10() / 3.0);
    let y_of = |db: f32| rect.center().y - rect.height() * 0.5 * (db / 24.0).clamp(-1.0, 1.0);
    for db in [-12.0, 0.0, 12.0] {
        p.hline(
            rect.x_range(),
            y_of(db),
            egui::Stroke::new(1.0, egui::Color32::from_gray(50)),
        );
    }
    for f in [100.0, 1000.0, 10_000.0] {
        p.vline(
            x_of(f),
            rect.y_range(),
            egui::Stroke::new(1.0, egui::Color32::from_gray(50)),
        );
    }
    // The live spectrum of the insert's output (−90 … 0 dBFS, bottom to top).
    if let Some(a) = spectrum {
        let floor = rect.bottom();
        let mut shape = Vec::with_capacity(202);
        for i in 0..=200 {
            let f = 20.0 * 1000f32.powf(i as f32 / 200.0);
            let lv = ((a.level_db(f) + 90.0) / 90.0).clamp(0.0, 1.0);
            shape.push(egui::pos2(x_of(f), floor - lv * rect.height()));
        }
        p.add(egui::Shape::line(
            shape,
            egui::Stroke::new(1.0, egui::Color32::from_rgb(90, 110, 90)),
        ));
    }
    let pts: Vec<egui::Pos2> = (0..=200)
        .map(|i| {
            let f = 20.0 * 1000f32.powf(i as f32 / 200.0);
            let db = if kind == InsertKind::Eq {
                eq.response_db(f)
            } else {
                pass.response_db(f)
            };
            egui::pos2(x_of(f), y_of(db))
        })
        .collect();
    p.add(egui::Shape::line(
        pts,
        egui::Stroke::new(2.0, egui::Color32::from_rgb(120, 200, 255)),
    ));
    p.text(
        rect.left_top() + egui::vec2(4.0, 2.0),
        egui::Align2::LEFT_TOP,
        "+24 dB",
        egui::FontId::proportional(10.0),
        egui::Color32::GRAY,
    );
    p.text(
        rect.left_bottom() + egui::vec2(4.0, -2.0),
        egui::Align2::LEFT_BOTTOM,
        "20 Hz – 20 kHz",
        egui::FontId::proportional(10.0),
        egui::Color32::GRAY,
    );
}

/// The static curve of a compressor or gate: output level against input level.
fn transfer_plot(ui: &mut egui::Ui, kind: InsertKind, v: &[f32]) {
    let (rect, p) = plot_frame(ui, 160.0);
    let mut c = Compressor::new();
    let mut g = dubstage_dsp::dynamics::Gate::new();
    let makeup = if kind == InsertKind::Comp {
        c.set_threshold_db(v[0]);
        c.set_ratio(v[1]);
        c.set_knee_db(v[2]);
        c.set_makeup_db(v[5]);
        v[5]
    } else {
        g.set_threshold_db(v[0]);
        g.set_range_db(v[1]);
        g.set_ratio(v[2]);
        0.0
    };
    let gain = |x: f32| {
        if kind == InsertKind::Comp {
            c.static_gain_db(x)
        } else {
            g.static_gain_db(x)
        }
    };
    let side = rect.height().min(rect.width());
    let sq = egui::Rect::from_min_size(rect.min, egui::vec2(side, side));
    let map = |x: f32, y: f32| {
        egui::pos2(
            sq.left() + sq.width() * ((x + 60.0) / 60.0),
            sq.bottom() - sq.height() * ((y + 60.0) / 60.0).clamp(0.0, 1.0),
        )
    };
    p.line_segment(
        [map(-60.0, -60.0), map(0.0, 0.0)],
        egui::Stroke::new(1.0, egui::Color32::from_gray(60)),
    );
    let pts: Vec<egui::Pos2> = (0..=120)
        .map(|i| {
            let x = -60.0 + i as f32 * 0.5;
            map(x, x + gain(x) + makeup)
        })
        .collect();
    p.add(egui::Shape::line(
        pts,
        egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 190, 90)),
    ));
    p.text(
        sq.right_bottom() + egui::vec2(6.0, -2.0),
        egui::Align2::LEFT_BOTTOM,
        "in −60…0 dB",
        egui::FontId::proportional(10.0),
        egui::Color32::GRAY,
    );
}

/// Noise reduction: learn the print from the selected clip (room tone), or
/// from the part of it inside the range dragged in the ruler.
fn learn_row(ui: &mut egui::Ui, editor: &mut Editor, ins: &Insert) {
    ui.horizontal(|ui| {
        let learn = ui.button("Learn from selection").on_hover_text(
            "Select a clip of room tone (no speech) on the timeline, then learn its noise print; \
             with a range dragged in the ruler, only the part of the clip inside it",
        );
        if learn.clicked() {
            match learn_print(editor) {
                Ok(print) => {
                    editor.apply(Command::SetNoisePrint {
                        insert: ins.id,
                        print: Some(print),
                    });
                }
                Err(e) => editor.notify(e, true),
            }
        }
        match &ins.print {
            Some(p) => ui.label(format!(
                "print: {} bins{}",
                p.magnitudes.len(),
                if p.source.is_empty() {
                    String::new()
                } else {
                    format!(", {}", p.source)
                }
            )),
            None => ui.label(egui::RichText::new("no print yet (spectral mode needs one)").weak()),
        };
    });
}

/// The noise print of the selected clip's audio (its own channels, as
/// played): of the part inside the ruler's range where the range covers
/// some of the clip, else of the whole clip.
fn learn_print(editor: &Editor) -> Result<NoisePrintData, String> {
    let p = editor.project();
    let Some((_, clip)) = editor.selection.iter().find_map(|c| p.clip(*c)) else {
        return Err("Select a clip of room tone first, then Learn.".to_owned());
    };
    let Some(src) = editor.sources.get(clip.media) else {
        return Err(format!("The media of \"{}\" is offline.", clip.name));
    };
    // The stretch of the timeline learnt from.
    let (start, end) = (clip.position.0, clip.position.0 + clip.length.0.max(0));
    let (a, b) = match editor.transport.loop_range {
        Some((a, b)) if a.0 < end && b.0 > start => (a.0.max(start), b.0.min(end)),
        _ => (start, end),
    };
    let from = (clip.source_offset.0 + (a - start)).max(0) as usize;
    let to = (from + (b - a).max(0) as usize).min(src.frames());
    let from = from.min(to);
    let chans: Vec<&[f32]> = match clip.channels {
        dubstage_model::ClipChannels::Mono(ch) => src
            .channels
            .get(usize::from(ch))
            .map(|c| vec![&c[from..to]])
            .unwrap_or_default(),
        dubstage_model::ClipChannels::Stereo => src.channels.iter().map(|c| &c[from..to]).collect(),
    };
    let rate = p.sample_rate.hz();
    let print =
        dubstage_dsp::denoise::NoisePrint::learn(&chans, rate).map_err(|e| e.to_string())?;
    let tc = p.time_map();
    Ok(NoisePrintData {
        rate: print.rate,
        fft_size: print.fft_size as u32,
        magnitudes: print.magnitudes,
        source: if (a, b) == (start, end) {
            format!("{} at {}", clip.name, tc.timecode_at(clip.position))
        } else {
            format!(
                "{} from {} to {}",
                clip.name,
                tc.timecode_at(dubstage_model::SamplePos(a)),
                tc.timecode_at(dubstage_model::SamplePos(b))
            )
        },
    })
}

/// The key input of a compressor or gate.
fn sidechain_row(ui: &mut egui::Ui, editor: &mut Editor, ins: &Insert) {
    let p = editor.project();
    let here = p.find_insert(ins.id).map(|(s, _)| s);
    let mut sources: Vec<(Option<dubstage_model::StripId>, String)> =
        vec![(None, "own signal".to_owned())];
    sources.extend(
        p.strips()
            .into_iter()
            .filter(|s| Some(*s) != here && *s != dubstage_model::StripId::Master)
            .map(|s| (Some(s), p.strip_name(s))),
    );
    let current = sources
        .iter()
        .find(|(s, _)| *s == ins.sidechain)
        .map_or("?".to_owned(), |(_, n)| n.clone());
    let mut chosen = None;
    ui.horizontal(|ui| {
        ui.label("Key input");
        let r = egui::ComboBox::from_id_salt(("key", ins.id.0))
            .selected_text(current)
            .show_ui(ui, |ui| {
                for (s, n) in &sources {
                    if ui.selectable_label(*s == ins.sidechain, n).clicked() {
                        chosen = Some(*s);
                    }
                }
            });
        r.response.widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::Role::ComboBox,
                true,
                format!("{} key input", ins.kind.label()),
            )
        });
    });
    if let Some(source) = chosen {
        editor.apply(Command::SetSidechain {
            insert: ins.id,
            source,
        });
    }
}
