//! The mixer: a strip per track, per bus and for the master, each with its
//! insert slots and sends. Every value is a [`ParamId`]: heard while
//! dragging (engine control) and one undo step on release.

use crate::editor::Editor;
use crate::widgets::{fader, meter, toggle, track_colour};
use dubstage_model::{BusId, Command, InsertKind, Output, ParamId, StripId, TrackId};

const STRIP_WIDTH: f32 = 86.0;
/// Width of an insert slot (every short name fits).
const SLOT_WIDTH: f32 = 46.0;
/// Gain reduction that fills a slot's bar.
const GR_FULL_DB: f32 = 24.0;
/// The colour gain reduction is drawn in (as in the compressor's editor).
const GR_COLOUR: egui::Color32 = egui::Color32::from_rgb(230, 160, 40);

/// Draws the mixer.
pub fn mixer_ui(ui: &mut egui::Ui, editor: &mut Editor) {
    egui::ScrollArea::both()
        .id_salt("mixer-scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.horizontal_top(|ui| {
                let tracks: Vec<TrackId> = editor.project().tracks.iter().map(|t| t.id).collect();
                for t in tracks {
                    track_strip(ui, editor, t);
                    ui.separator();
                }
                ui.add_space(12.0);
                let buses: Vec<BusId> = editor.project().buses.iter().map(|b| b.id).collect();
                for b in buses {
                    bus_strip(ui, editor, b);
                    ui.separator();
                }
                if ui
                    .button("Add Bus")
                    .on_hover_text("A user bus feeding the master: route tracks to it from their output menu; it is metered and exported as its own stem")
                    .clicked()
                {
                    let n = editor.project().buses.len() + 1;
                    editor.apply(Command::AddBus {
                        name: format!("BUS{n}"),
                    });
                }
                ui.separator();
                master_strip(ui, editor);
            });
        });
}

fn strip<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    ui.allocate_ui_with_layout(
        egui::vec2(STRIP_WIDTH, ui.available_height()),
        egui::Layout::top_down(egui::Align::Center),
        |ui| {
            ui.set_width(STRIP_WIDTH);
            ui.spacing_mut().slider_width = STRIP_WIDTH - 14.0;
            ui.spacing_mut().item_spacing.x = 4.0;
            add(ui)
        },
    )
    .inner
}

fn track_strip(ui: &mut egui::Ui, editor: &mut Editor, id: TrackId) {
    let Some(track) = editor.project().track(id).cloned() else {
        return;
    };
    let meter_reading = editor
        .transport
        .engine
        .meters()
        .and_then(|m| m.track(id).map(|s| s.take()));
    strip(ui, |ui| {
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(STRIP_WIDTH - 6.0, 4.0), egui::Sense::hover());
        ui.painter()
            .rect_filled(rect, 1.0, track_colour(track.kind));
        let selected = editor.selected_track == Some(id);
        if ui
            .selectable_label(selected, egui::RichText::new(&track.name).strong())
            .clicked()
        {
            editor.selected_track = Some(id);
        }
        // Output bus.
        let project = editor.project();
        let out_name = |o: Output| match o {
            Output::Master => "Master".to_owned(),
            Output::Bus(b) => project.bus(b).map_or("?".to_owned(), |b| b.name.clone()),
        };
        let current = out_name(track.output);
        let mut outputs: Vec<(Output, String)> = project
            .buses
            .iter()
            .map(|b| (Output::Bus(b.id), b.name.clone()))
            .collect();
        outputs.push((Output::Master, "Master".to_owned()));
        let mut chosen = None;
        let named = egui::ComboBox::from_id_salt(("out", id.0))
            .width(STRIP_WIDTH - 12.0)
            .selected_text(current)
            .show_ui(ui, |ui| {
                for (o, name) in &outputs {
                    if ui.selectable_label(*o == track.output, name).clicked() {
                        chosen = Some(*o);
                    }
                }
            });
        named.response.widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::Role::ComboBox,
                true,
                format!("Output of {}", track.name),
            )
        });
        if let Some(output) = chosen
            && output != track.output
        {
            editor.apply(Command::SetTrackOutput { track: id, output });
        }
        mode_picker(ui, editor, StripId::Track(id), &track.name);
        strip_chain(ui, editor, StripId::Track(id));
        pan_control(ui, editor, StripId::Track(id), &track.name);
        // Mute / solo.
        ui.horizontal(|ui| {
            if toggle(ui, track.mute, "M", &format!("Mute {} (mixer)", track.name)).clicked() {
                editor.set_param(ParamId::Mute(StripId::Track(id)), f32::from(!track.mute));
            }
            if toggle(ui, track.solo, "S", &format!("Solo {} (mixer)", track.name)).clicked() {
                editor.set_param(ParamId::Solo(id), f32::from(!track.solo));
            }
            if toggle(
                ui,
                track.solo_safe,
                "safe",
                &format!(
                    "Solo safe {}: keeps playing when others are soloed",
                    track.name
                ),
            )
            .clicked()
            {
                editor.set_param(ParamId::SoloSafe(id), f32::from(!track.solo_safe));
            }
        });
        fader_and_meter(
            ui,
            editor,
            ParamId::Fader(StripId::Track(id)),
            &format!("{} fader", track.name),
            ("track", id.0),
            meter_reading,
        );
    });
}

fn bus_strip(ui: &mut egui::Ui, editor: &mut Editor, id: BusId) {
    let Some(bus) = editor.project().bus(id).cloned() else {
        return;
    };
    let reading = editor
        .transport
        .engine
        .meters()
        .and_then(|m| m.bus(id).map(|s| s.take()));
    let stem = dubstage_model::Stem::ALL.iter().any(|s| s.bus_id() == id);
    strip(ui, |ui| {
        if stem {
            ui.label(egui::RichText::new(&bus.name).strong());
            ui.label(egui::RichText::new("stem bus, to master").small().weak());
        } else {
            // A user bus: its name is editable (one undo step on Enter or
            // when focus leaves) and it can be removed once unused.
            let key = ui.scope_id().with(("bus name", id.0));
            let mut name = ui
                .data(|d| d.get_temp::<String>(key))
                .unwrap_or_else(|| bus.name.clone());
            let r = ui.add(
                egui::TextEdit::singleline(&mut name)
                    .desired_width(STRIP_WIDTH - 10.0)
                    .id_salt(key),
            );
            let r = r.on_hover_text("Bus name");
            r.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::TextInput,
                    true,
                    format!("Name of {} bus", bus.name),
                )
            });
            if r.lost_focus() {
                ui.data_mut(|d| d.remove::<String>(key));
                let name = name.trim().to_owned();
                if !name.is_empty() && name != bus.name {
                    editor.apply(Command::RenameBus { bus: id, name });
                }
            } else if r.has_focus() {
                ui.data_mut(|d| d.insert_temp(key, name));
            }
            let in_use = editor.project().bus_uses(id).next().is_some();
            let remove = ui
                .add_enabled(!in_use, egui::Button::new("Remove").small())
                .on_hover_text("Delete this bus")
                .on_disabled_hover_ui(|ui| {
                    ui.label(format!(
                        "In use by {}; route them elsewhere first",
                        editor.project().bus_users(id).join(", ")
                    ));
                });
            remove.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::Button,
                    !in_use,
                    format!("Remove {} bus", bus.name),
                )
            });
            if remove.clicked() {
                editor.apply(Command::RemoveBus { bus: id });
            }
        }
        bus_output(ui, editor, id, &bus.name, bus.output);
        mode_picker(ui, editor, StripId::Bus(id), &bus.name);
        lanes_button(ui, editor, StripId::Bus(id), &bus.name);
        strip_chain(ui, editor, StripId::Bus(id));
        pan_control(ui, editor, StripId::Bus(id), &bus.name);
        if toggle(ui, bus.mute, "M", &format!("Mute {} bus", bus.name)).clicked() {
            editor.set_param(ParamId::Mute(StripId::Bus(id)), f32::from(!bus.mute));
        }
        fader_and_meter(
            ui,
            editor,
            ParamId::Fader(StripId::Bus(id)),
            &format!("{} fader", bus.name),
            ("bus", id.0),
            reading,
        );
    });
}

fn master_strip(ui: &mut egui::Ui, editor: &mut Editor) {
    let reading = editor.transport.engine.meters().map(|m| m.master().take());
    strip(ui, |ui| {
        ui.label(egui::RichText::new("Master").strong());
        ui.label(egui::RichText::new("fader, then inserts").small().weak());
        mode_picker(ui, editor, StripId::Master, "Master");
        lanes_button(ui, editor, StripId::Master, "Master");
        strip_chain(ui, editor, StripId::Master);
        if let Some(d) = editor.project().master.delivery.clone() {
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing.x = 2.0;
                let text = format!(
                    "{:+.1} dB{}",
                    d.gain_db,
                    d.ceiling_dbtp.map_or(String::new(), |c| format!(" lim {c:.1}"))
                );
                ui.label(egui::RichText::new(text).small())
                    .on_hover_text(format!("Delivery chain set by the {} delivery: gain, then a true-peak limiter, after the master's inserts", d.preset));
                let x = ui.small_button("x").on_hover_text("Remove the delivery chain");
                x.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, "Remove the delivery chain"));
                if x.clicked() {
                    editor.apply(Command::SetDelivery { delivery: None });
                }
            });
        }
        fader_and_meter(
            ui,
            editor,
            ParamId::Fader(StripId::Master),
            "Master fader",
            ("master", 0),
            reading,
        );
    });
}

/// The bottom of a strip: the fader beside its meter, filling the height
/// left, and the strip's DSP cost.
fn fader_and_meter(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    id: ParamId,
    label: &str,
    meter_key: (&'static str, u32),
    reading: Option<dubstage_engine::MeterReading>,
) {
    // Never squashed below a usable fader: the mixer scrolls instead.
    let h = (ui.available_height() - 50.0).max(140.0);
    ui.horizontal(|ui| {
        gain_fader(ui, editor, id, label, h);
        meter(
            ui,
            &mut editor.transport.meter_state,
            meter_key,
            reading,
            h + 20.0,
        );
    });
    let cost = reading.map_or(0.0, |r| r.cost);
    ui.label(
        egui::RichText::new(format!("DSP {:.1} %", cost * 100.0))
            .small()
            .weak(),
    )
    .on_hover_text("Share of the audio period this strip's processing took in the last callback");
}

/// Shows or hides a bus's or the master's volume lane (in the rows under
/// the tracks).
fn lanes_button(ui: &mut egui::Ui, editor: &mut Editor, strip: StripId, name: &str) {
    let fader = ParamId::Fader(strip);
    let shown = editor.view.strip_lanes_of(strip).contains(&fader);
    let r = ui
        .selectable_label(shown, egui::RichText::new("Lane").small())
        .on_hover_text("Show this strip's volume automation lane under the tracks");
    r.widget_info(|| {
        egui::WidgetInfo::selected(
            egui::Role::Button,
            true,
            shown,
            format!("Volume lane of {name}"),
        )
    });
    if r.clicked() {
        editor.view.toggle_strip_lane(strip, fader);
    }
}

/// The strip's automation mode (Off, Read, Touch, Latch, Write).
fn mode_picker(ui: &mut egui::Ui, editor: &mut Editor, strip: StripId, name: &str) {
    use crate::automation::Mode;
    let mode = editor.writer.mode(strip);
    let text = egui::RichText::new(mode.label()).small();
    let text = match mode {
        Mode::Touch | Mode::Latch => text.color(egui::Color32::from_rgb(255, 190, 60)),
        Mode::Write => text.color(egui::Color32::from_rgb(255, 90, 80)),
        Mode::Off => text.weak(),
        Mode::Read => text,
    };
    let mut chosen = None;
    let r = egui::ComboBox::from_id_salt(("automation mode", format!("{strip:?}")))
        .width(STRIP_WIDTH - 12.0)
        .selected_text(text)
        .show_ui(ui, |ui| {
            for m in Mode::ALL {
                if ui.selectable_label(m == mode, m.label()).clicked() {
                    chosen = Some(m);
                }
            }
        });
    r.response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::ComboBox,
            true,
            format!("Automation mode of {name}"),
        )
    });
    let r = r.response.on_hover_text(
        "Automation: Off (lanes not played), Read, Touch (writes while a control is held), Latch (from the first touch until stop), Write (the fader and pan for the whole pass)",
    );
    let _ = r;
    if let Some(m) = chosen {
        if m == Mode::Read {
            editor.writer.modes.remove(&strip);
        } else {
            editor.writer.modes.insert(strip, m);
        }
    }
}

/// A fader bound to any fader parameter: heard live while dragging,
/// committed as one undo step on release.
fn gain_fader(ui: &mut egui::Ui, editor: &mut Editor, id: ParamId, label: &str, height: f32) {
    let mut db = editor.param(id).unwrap_or(0.0);
    let f = fader(ui, &mut db, label, height);
    if f.changed {
        editor.live_param(id, db);
    }
    if f.committed {
        editor.commit_param(id);
    }
}

/// Pan (tracks) or balance (buses): heard while dragging, one undo step.
fn pan_control(ui: &mut egui::Ui, editor: &mut Editor, strip: StripId, name: &str) {
    let id = ParamId::Pan(strip);
    let mut pan = editor.param(id).unwrap_or(0.0);
    let r = ui.add(
        egui::Slider::new(&mut pan, -1.0..=1.0)
            .show_value(false)
            .text("")
            .custom_formatter(|v, _| pan_text(v as f32)),
    );
    let r = r.on_hover_text(format!("Pan {} (double-click: centre)", pan_text(pan)));
    r.widget_info(|| egui::WidgetInfo::slider(true, f64::from(pan), format!("{name} pan")));
    if r.double_clicked() {
        editor.set_param(id, 0.0);
    } else if r.changed() {
        if r.dragged() {
            editor.live_param(id, pan);
        } else {
            editor.set_param(id, pan);
        }
    }
    if r.drag_stopped() {
        editor.commit_param(id);
    }
    ui.label(egui::RichText::new(pan_text(pan)).small().weak());
}

/// A bus's output: the master or another bus (a pre-mix).
fn bus_output(ui: &mut egui::Ui, editor: &mut Editor, id: BusId, name: &str, current: Output) {
    let p = editor.project();
    let mut outputs: Vec<(Output, String)> = p
        .buses
        .iter()
        .filter(|b| b.id != id)
        .map(|b| (Output::Bus(b.id), b.name.clone()))
        .collect();
    outputs.push((Output::Master, "Master".to_owned()));
    let text = match current {
        Output::Master => "Master".to_owned(),
        Output::Bus(b) => p.bus(b).map_or("?".to_owned(), |b| b.name.clone()),
    };
    let mut chosen = None;
    let r = egui::ComboBox::from_id_salt(("bus out", id.0))
        .width(STRIP_WIDTH - 12.0)
        .selected_text(text)
        .show_ui(ui, |ui| {
            for (o, n) in &outputs {
                if ui.selectable_label(*o == current, n).clicked() {
                    chosen = Some(*o);
                }
            }
        });
    r.response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::ComboBox, true, format!("Output of {name} bus"))
    });
    if let Some(output) = chosen
        && output != current
    {
        editor.apply(Command::SetBusOutput { bus: id, output });
    }
}

/// A strip's inserts (open, bypass, move, remove; add from a menu) and
/// sends (level, pre/post, remove; add to a bus).
fn strip_chain(ui: &mut egui::Ui, editor: &mut Editor, strip: StripId) {
    let name = editor.project().strip_name(strip);
    let inserts: Vec<dubstage_model::Insert> = editor.project().strip_inserts(strip).to_vec();
    let meters = editor.transport.engine.meters().cloned();
    for (i, ins) in inserts.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 1.0;
            let gr = meters
                .as_ref()
                .and_then(|m| m.insert(ins.id))
                .map_or(0.0, |s| s.get());
            // The slot keeps its size whatever it shows, so the strips
            // beside it never move under the pointer.
            let label = short_label(ins.kind);
            let text = if ins.bypass {
                egui::RichText::new(label).weak().strikethrough()
            } else {
                egui::RichText::new(label)
            };
            let open = ui
                .add(
                    egui::Button::new(text)
                        .small()
                        .min_size(egui::vec2(SLOT_WIDTH, 0.0))
                        .sense(egui::Sense::click_and_drag()),
                )
                .on_hover_text(if gr > 0.05 {
                    format!(
                        "{}: {gr:.1} dB of gain reduction; click to open its editor, drag onto another slot to reorder",
                        ins.kind.label()
                    )
                } else {
                    format!(
                        "{}: click to open its editor, drag onto another slot to reorder",
                        ins.kind.label()
                    )
                });
            // Gain reduction: a bar along the slot's foot, full at 24 dB.
            if gr > 0.05 {
                let r = open.rect.shrink(1.0);
                let w = r.width() * (gr / GR_FULL_DB).min(1.0);
                ui.painter().rect_filled(
                    egui::Rect::from_min_max(
                        egui::pos2(r.left(), r.bottom() - 2.0),
                        egui::pos2(r.left() + w, r.bottom()),
                    ),
                    0.0,
                    GR_COLOUR,
                );
            }
            // Drag a slot onto another of the same strip to move it there.
            open.dnd_set_drag_payload(InsertDrag { strip, id: ins.id });
            if let Some(p) = open.dnd_hover_payload::<InsertDrag>()
                && p.strip == strip
                && p.id != ins.id
            {
                ui.painter().hline(
                    open.rect.x_range(),
                    open.rect.top(),
                    egui::Stroke::new(2.0, ui.visuals().selection.bg_fill),
                );
            }
            if let Some(p) = open.dnd_release_payload::<InsertDrag>()
                && p.strip == strip
                && p.id != ins.id
            {
                editor.apply(Command::MoveInsert {
                    insert: p.id,
                    index: i,
                });
            }
            open.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::Button,
                    true,
                    format!("{} on {name}", ins.kind.label()),
                )
            });
            if open.clicked() {
                editor.open_insert(ins.id);
            }
            let by = toggle(
                ui,
                ins.bypass,
                "B",
                &format!("Bypass {} on {name}", ins.kind.label()),
            );
            if by.clicked() {
                editor.set_param(ParamId::Bypass(ins.id), f32::from(!ins.bypass));
            }
            let x = ui.small_button("x").on_hover_text("Remove this insert");
            x.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::Button,
                    true,
                    format!("Remove {} from {name}", ins.kind.label()),
                )
            });
            if x.clicked() {
                editor.apply(Command::RemoveInsert { insert: ins.id });
            }
        });
    }
    let add = ui.menu_button("+ Insert", |ui| {
        for kind in InsertKind::ALL {
            if ui.button(kind.label()).clicked() {
                if let Some(dubstage_model::Created::Insert(id)) =
                    editor.apply(Command::AddInsert {
                        strip,
                        index: usize::MAX,
                        kind,
                    })
                {
                    editor.open_insert(id);
                }
                ui.close();
            }
        }
    });
    add.response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Add insert to {name}"))
    });
    if strip == StripId::Master {
        return;
    }
    // Sends.
    let sends: Vec<dubstage_model::AuxSend> = match strip {
        StripId::Track(t) => editor.project().track(t).map(|t| t.sends.clone()),
        StripId::Bus(b) => editor.project().bus(b).map(|b| b.sends.clone()),
        StripId::Master => None,
    }
    .unwrap_or_default();
    for send in &sends {
        let bus = editor
            .project()
            .bus(send.bus)
            .map_or("?".to_owned(), |b| b.name.clone());
        ui.label(egui::RichText::new(format!("send to {bus}")).small());
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 1.0;
            let id = ParamId::SendLevel(send.id);
            let mut db = editor.param(id).unwrap_or(0.0);
            let r = ui.add(
                crate::widgets::number(&mut db)
                    .range(-144.0..=24.0)
                    .speed(0.2)
                    .max_decimals(1)
                    .suffix(" dB"),
            );
            r.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::SpinButton,
                    true,
                    format!("Send from {name} to {bus} level"),
                )
            });
            if r.changed() {
                if r.dragged() {
                    editor.live_param(id, db);
                } else {
                    editor.set_param(id, db);
                }
            }
            if r.drag_stopped() {
                editor.commit_param(id);
            }
            let pre = toggle(
                ui,
                send.pre_fader,
                "pre",
                &format!("Send from {name} to {bus} pre-fader"),
            );
            if pre.clicked() {
                editor.set_param(ParamId::SendPre(send.id), f32::from(!send.pre_fader));
            }
            let x = ui.small_button("x").on_hover_text("Remove this send");
            x.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::Button,
                    true,
                    format!("Remove send from {name} to {bus}"),
                )
            });
            if x.clicked() {
                editor.apply(Command::RemoveSend { send: send.id });
            }
        });
    }
    let buses: Vec<(BusId, String)> = editor
        .project()
        .buses
        .iter()
        .filter(|b| StripId::Bus(b.id) != strip)
        .map(|b| (b.id, b.name.clone()))
        .collect();
    let add = ui.menu_button("+ Send", |ui| {
        for (b, n) in &buses {
            if ui.button(n).clicked() {
                editor.apply(Command::AddSend { strip, bus: *b });
                ui.close();
            }
        }
    });
    add.response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Add send from {name}"))
    });
}

/// What an insert slot carries while dragged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InsertDrag {
    strip: StripId,
    id: dubstage_model::InsertId,
}

fn short_label(kind: InsertKind) -> &'static str {
    match kind {
        InsertKind::Hpf => "HPF",
        InsertKind::Lpf => "LPF",
        InsertKind::Eq => "EQ",
        InsertKind::Comp => "Comp",
        InsertKind::Gate => "Gate",
        InsertKind::Deess => "De-ess",
        InsertKind::Denoise => "NR",
        InsertKind::Limiter => "Limit",
        InsertKind::Reverb => "Verb",
        InsertKind::Gain => "Gain",
    }
}

/// "C", "L40", "R100".
pub fn pan_text(pan: f32) -> String {
    dubstage_model::pan_label(pan)
}
