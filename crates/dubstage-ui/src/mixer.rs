//! The mixer: a strip per track, per bus and for the master. Faders and pan
//! are heard while dragging (engine controls) and become one undo step on
//! release.

use crate::editor::{Editor, GainKey};
use crate::widgets::{fader, meter, toggle, track_colour};
use dubstage_engine::Control;
use dubstage_model::{BusId, Command, Output, TrackId};

const STRIP_WIDTH: f32 = 86.0;

/// Draws the mixer.
pub fn mixer_ui(ui: &mut egui::Ui, editor: &mut Editor) {
    egui::ScrollArea::horizontal()
        .id_salt("mixer-scroll")
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
        // Pan.
        let mut pan = track.pan;
        let r = ui.add(
            egui::Slider::new(&mut pan, -1.0..=1.0)
                .show_value(false)
                .text("")
                .custom_formatter(|v, _| pan_text(v as f32)),
        );
        let r = r.on_hover_text(format!("Pan {} (double-click: centre)", pan_text(pan)));
        r.widget_info(|| {
            egui::WidgetInfo::slider(true, f64::from(pan), format!("{} pan", track.name))
        });
        if r.double_clicked() {
            editor.apply(Command::SetTrackPan {
                track: id,
                pan: 0.0,
            });
        } else if r.changed() {
            editor.control(Control::TrackPan { track: id, pan });
            if !r.dragged() {
                editor.apply(Command::SetTrackPan { track: id, pan });
            } else {
                editor.transport.live_pan.insert(id, pan);
            }
        }
        if r.drag_stopped()
            && let Some(pan) = editor.transport.live_pan.remove(&id)
        {
            editor.apply(Command::SetTrackPan { track: id, pan });
        }
        ui.label(egui::RichText::new(pan_text(track.pan)).small().weak());
        // Mute / solo.
        ui.horizontal(|ui| {
            if toggle(ui, track.mute, "M", &format!("Mute {} (mixer)", track.name)).clicked() {
                editor.apply(Command::SetTrackMute {
                    track: id,
                    mute: !track.mute,
                });
            }
            if toggle(ui, track.solo, "S", &format!("Solo {} (mixer)", track.name)).clicked() {
                editor.apply(Command::SetTrackSolo {
                    track: id,
                    solo: !track.solo,
                });
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
                editor.apply(Command::SetTrackSoloSafe {
                    track: id,
                    solo_safe: !track.solo_safe,
                });
            }
        });
        fader_and_meter(
            ui,
            editor,
            GainKey::Track(id),
            track.gain_db,
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
            let in_use = editor
                .project()
                .tracks
                .iter()
                .any(|t| t.output == Output::Bus(id));
            let remove = ui
                .add_enabled(!in_use, egui::Button::new("Remove").small())
                .on_hover_text("Delete this bus")
                .on_disabled_hover_text("Tracks send to this bus; route them elsewhere first");
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
        if toggle(ui, bus.mute, "M", &format!("Mute {} bus", bus.name)).clicked() {
            editor.apply(Command::SetBusMute {
                bus: id,
                mute: !bus.mute,
            });
        }
        fader_and_meter(
            ui,
            editor,
            GainKey::Bus(id),
            bus.gain_db,
            &format!("{} fader", bus.name),
            ("bus", id.0),
            reading,
        );
    });
}

fn master_strip(ui: &mut egui::Ui, editor: &mut Editor) {
    let gain = editor.project().master.gain_db;
    let reading = editor.transport.engine.meters().map(|m| m.master().take());
    strip(ui, |ui| {
        ui.label(egui::RichText::new("Master").strong());
        ui.label(egui::RichText::new("stereo out").small().weak());
        ui.add_space(22.0);
        fader_and_meter(
            ui,
            editor,
            GainKey::Master,
            gain,
            "Master fader",
            ("master", 0),
            reading,
        );
    });
}

/// The bottom of a strip: the fader beside its meter, filling the height left.
fn fader_and_meter(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    key: GainKey,
    current_db: f32,
    label: &str,
    meter_key: (&'static str, u32),
    reading: Option<dubstage_engine::MeterReading>,
) {
    let h = ui.available_height() - 34.0;
    ui.horizontal(|ui| {
        gain_fader(ui, editor, key, current_db, label, h);
        meter(
            ui,
            &mut editor.transport.meter_state,
            meter_key,
            reading,
            h + 20.0,
        );
    });
}

/// A fader bound to a track, bus or master gain: heard live while dragging
/// (engine control), committed as one undo step on release.
fn gain_fader(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    key: GainKey,
    current_db: f32,
    label: &str,
    height: f32,
) {
    let mut db = editor
        .transport
        .live_gain
        .get(&key)
        .copied()
        .unwrap_or(current_db);
    let f = fader(ui, &mut db, label, height);
    if f.changed {
        editor.transport.live_gain.insert(key, db);
        editor.control(match key {
            GainKey::Track(track) => Control::TrackGain { track, gain_db: db },
            GainKey::Bus(bus) => Control::BusGain { bus, gain_db: db },
            GainKey::Master => Control::MasterGain { gain_db: db },
        });
    }
    if f.committed
        && let Some(gain_db) = editor.transport.live_gain.remove(&key)
    {
        editor.apply(match key {
            GainKey::Track(track) => Command::SetTrackGain { track, gain_db },
            GainKey::Bus(bus) => Command::SetBusGain { bus, gain_db },
            GainKey::Master => Command::SetMasterGain { gain_db },
        });
    }
}

/// "C", "L40", "R100".
pub fn pan_text(pan: f32) -> String {
    dubstage_model::pan_label(pan)
}
