//! The mixer's inserts and sends, driven like a user: add a processor from
//! the strip's menu, set a value in its editor, bypass it, send to a bus,
//! and undo each step.

mod common;

use common::demo;
use dubstage_model::{InsertId, InsertKind, ParamId, StripId};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// Adds `menu` (the processor's name in the menu) to the first track from
/// its strip's "+ Insert" menu; the insert's id.
fn add_insert(h: &mut Harness<'static, dubstage_ui::EditorApp>, menu: &str) -> InsertId {
    let name = h.state().editor.project().tracks[0].name.clone();
    h.get_by_label(&format!("Add insert to {name}")).click();
    h.run_steps(2);
    h.get_by_label(menu).click();
    h.run_steps(3);
    h.state().editor.project().tracks[0].inserts[0].id
}

/// Types `text` over the value of the field called `label`, then Enter.
fn type_into(h: &mut Harness<'static, dubstage_ui::EditorApp>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run_steps(1);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label(label).type_text(text);
    h.key_press(Key::Enter);
    h.run_steps(3);
}

#[test]
fn an_insert_added_from_the_strip_menu_opens_its_editor_and_each_value_is_one_undo_step() {
    let (mut h, _p) = demo();
    let name = h.state().editor.project().tracks[0].name.clone();
    let track = h.state().editor.project().tracks[0].id;
    add_insert(&mut h, "High-pass");
    let ins = h.state().editor.project().tracks[0].inserts.clone();
    assert_eq!(ins.len(), 1);
    assert_eq!(ins[0].kind, InsertKind::Hpf);
    assert!(
        h.state().editor.open_inserts.contains(&ins[0].id),
        "its editor opened"
    );
    // Type a frequency into the editor.
    type_into(&mut h, "High-pass Frequency", "120");
    let freq = h
        .state()
        .editor
        .project()
        .param(ParamId::Insert(ins[0].id, 0));
    assert_eq!(freq, Some(120.0));
    assert_eq!(
        h.state().editor.session.undo_label(),
        Some("Insert Parameter")
    );
    // Bypass from the strip.
    h.get_by_label(&format!("Bypass High-pass on {name}"))
        .click();
    h.run_steps(2);
    assert!(h.state().editor.project().tracks[0].inserts[0].bypass);
    // Undo: bypass, value, insert.
    for _ in 0..3 {
        h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        h.run_steps(1);
    }
    assert!(h.state().editor.project().tracks[0].inserts.is_empty());
    assert_eq!(
        h.state()
            .editor
            .project()
            .strip_inserts(StripId::Track(track))
            .len(),
        0
    );
}

#[test]
fn a_send_goes_to_a_bus_and_a_routing_loop_is_refused_with_a_message() {
    let (mut h, _p) = demo();
    let name = h.state().editor.project().tracks[0].name.clone();
    h.get_by_label(&format!("Add send from {name}")).click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "FX")
        .click();
    h.run_steps(2);
    let sends = h.state().editor.project().tracks[0].sends.clone();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].bus, dubstage_model::Stem::Effects.bus_id());
    // FX → send to DIA, then DIA's output to FX would be a loop.
    let e = &mut h.state_mut().editor;
    e.apply(dubstage_model::Command::AddSend {
        strip: StripId::Bus(dubstage_model::Stem::Effects.bus_id()),
        bus: dubstage_model::Stem::Dialogue.bus_id(),
    });
    let before = e.project().clone();
    e.apply(dubstage_model::Command::SetBusOutput {
        bus: dubstage_model::Stem::Dialogue.bus_id(),
        output: dubstage_model::Output::Bus(dubstage_model::Stem::Effects.bus_id()),
    });
    assert_eq!(e.project(), &before, "refused");
    let told = e
        .notices
        .iter()
        .find(|n| n.text.contains("loop"))
        .map(|n| n.text.clone())
        .expect("the user is told why");
    // The loop's path, in the direction the sound goes, back to where it
    // started.
    assert!(
        told.ends_with("DIA → FX → DIA") || told.ends_with("FX → DIA → FX"),
        "{told}"
    );
    // Every character of it can be drawn in the editor's text font.
    h.run_steps(2);
    let font = egui::FontId::proportional(14.0);
    let missing: Vec<char> = h
        .ctx
        .fonts_mut(|f| told.chars().filter(|c| !f.has_glyph(&font, *c)).collect());
    assert!(missing.is_empty(), "no glyph for {missing:?} in {told}");
}

#[test]
fn typing_nan_into_a_number_field_is_refused_and_the_value_stays() {
    let (mut h, _p) = demo();
    let ins = add_insert(&mut h, "High-pass");
    let id = ParamId::Insert(ins, 0);
    let before = h.state().editor.project().param(id);
    let label = h.state().editor.session.undo_label().map(str::to_owned);
    for typed in ["nan", "NaN", "-nan"] {
        type_into(&mut h, "High-pass Frequency", typed);
        assert_eq!(h.state().editor.project().param(id), before, "{typed}");
        assert_eq!(
            h.state().editor.session.undo_label().map(str::to_owned),
            label,
            "{typed} made no edit"
        );
    }
    // A number still goes in.
    type_into(&mut h, "High-pass Frequency", "95");
    assert_eq!(h.state().editor.project().param(id), Some(95.0));
}

#[test]
fn a_slot_showing_gain_reduction_keeps_its_size_so_the_strips_do_not_move() {
    let (mut h, mut p) = demo();
    let name = h.state().editor.project().tracks[0].name.clone();
    let next = h.state().editor.project().tracks[1].name.clone();
    let comp = add_insert(&mut h, "Compressor");
    // Threshold −60 dB, so the dialogue is reduced.
    h.state_mut()
        .editor
        .set_param(ParamId::Insert(comp, 0), -60.0);
    h.run_steps(2);
    let slot = format!("Compressor on {name}");
    let beside = format!("Add insert to {next}");
    let rects = |h: &egui_kittest::Harness<'static, dubstage_ui::EditorApp>| {
        (h.get_by_label(&slot).rect(), h.get_by_label(&beside).rect())
    };
    let before = rects(&h);
    // Anna's first line.
    h.state_mut()
        .editor
        .locate(dubstage_model::SamplePos(15 * 48_000 + 24_000));
    h.state_mut().editor.play();
    let mut out = vec![0.0f32; 1024 * 2];
    let mut reduced = 0.0f32;
    for _ in 0..60 {
        p.process(&mut out);
        h.run_steps(1);
        let gr = h
            .state()
            .editor
            .transport
            .engine
            .meters()
            .and_then(|m| m.insert(comp))
            .map_or(0.0, |s| s.get());
        reduced = reduced.max(gr);
        assert_eq!(rects(&h), before, "at {gr:.1} dB of reduction");
    }
    assert!(reduced > 10.0, "the compressor reduced ({reduced:.1} dB)");
}

#[test]
fn an_error_on_the_status_line_goes_once_the_project_next_changes() {
    let (mut h, _p) = demo();
    let e = &mut h.state_mut().editor;
    e.apply(dubstage_model::Command::AddSend {
        strip: StripId::Bus(dubstage_model::Stem::Effects.bus_id()),
        bus: dubstage_model::Stem::Dialogue.bus_id(),
    });
    e.apply(dubstage_model::Command::SetBusOutput {
        bus: dubstage_model::Stem::Dialogue.bus_id(),
        output: dubstage_model::Output::Bus(dubstage_model::Stem::Effects.bus_id()),
    });
    let told = e.notices.last().expect("refused").text.clone();
    h.run_steps(2);
    assert!(h.query_by_label(&told).is_some(), "on the status line");
    // Other gestures leave it there to be read.
    h.state_mut()
        .editor
        .locate(dubstage_model::SamplePos(48_000));
    h.run_steps(2);
    assert!(h.query_by_label(&told).is_some(), "still there");
    // A change to the project that went through clears it.
    let track = h.state().editor.project().tracks[0].id;
    h.state_mut()
        .editor
        .set_param(ParamId::Fader(StripId::Track(track)), -3.0);
    h.run_steps(2);
    assert!(h.query_by_label(&told).is_none(), "gone");
    assert_eq!(
        h.state().editor.notices.last().map(|n| &n.text),
        Some(&told),
        "kept in the log"
    );
}

#[test]
fn noise_reduction_learns_from_the_part_of_the_selected_clip_inside_the_ruler_range() {
    let (mut h, _p) = demo();
    let nr = add_insert(&mut h, "Noise Reduction");
    let (clip_id, clip) = h
        .state()
        .editor
        .project()
        .clips()
        .find(|(_, c)| c.name == "Room tone A")
        .map(|(_, c)| (c.id, c.clone()))
        .expect("room tone");
    h.state_mut().editor.selection.insert(clip_id);
    // One second of it, from two seconds in.
    let a = dubstage_model::SamplePos(clip.position.0 + 2 * 48_000);
    let b = dubstage_model::SamplePos(a.0 + 48_000);
    h.state_mut().editor.transport.loop_range = Some((a, b));
    h.run_steps(1);
    h.get_by_label("Learn from selection").click();
    h.run_steps(2);
    let print = h.state().editor.project().tracks[0].inserts[0]
        .print
        .clone()
        .expect("learnt");
    assert_eq!(h.state().editor.project().tracks[0].inserts[0].id, nr);
    // The print of exactly that second of the clip's audio.
    let src = h.state().editor.sources.get(clip.media).expect("media");
    let from = (clip.source_offset.0 + 2 * 48_000) as usize;
    let chans: Vec<&[f32]> = match clip.channels {
        dubstage_model::ClipChannels::Mono(ch) => {
            vec![&src.channels[usize::from(ch)][from..from + 48_000]]
        }
        dubstage_model::ClipChannels::Stereo => src
            .channels
            .iter()
            .map(|c| &c[from..from + 48_000])
            .collect(),
    };
    let want = dubstage_dsp::denoise::NoisePrint::learn(&chans, 48_000).expect("print");
    assert_eq!(print.magnitudes, want.magnitudes);
    let tc = h.state().editor.project().time_map();
    assert!(
        print.source.contains(&tc.timecode_at(a).to_string())
            && print.source.contains(&tc.timecode_at(b).to_string()),
        "{}",
        print.source
    );
}
