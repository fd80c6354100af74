//! Custom widgets: the fader, the level meter, track colours.
//! Each follows egui's four steps: size, allocate, interact, paint.

use dubstage_engine::MeterReading;
use dubstage_model::TrackKind;
use egui::{Color32, Rect, Sense, Stroke, vec2};
use std::collections::HashMap;

/// Bottom of the fader and meter scales; below is silence (−∞).
pub const FLOOR_DB: f32 = -60.0;
/// Top of the fader.
pub const CEIL_DB: f32 = 12.0;
/// The model's "silence" gain.
pub const SILENCE_DB: f32 = -144.0;

/// The editor's fonts: egui's, with its monospace face (Hack) behind the
/// text face as a fallback, since Ubuntu Light has no arrows (the "→" of a
/// routing loop's path) and Hack has them.
pub fn fonts() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::default();
    let hack = "Hack".to_owned();
    if fonts.font_data.contains_key(&hack)
        && let Some(text) = fonts.families.get_mut(&egui::FontFamily::Proportional)
        && !text.contains(&hack)
    {
        text.push(hack);
    }
    fonts
}

/// A number field: egui's `DragValue`, reading what is typed as egui does
/// (whitespace ignored, "−" as a minus) except that NaN is refused, so the
/// value stays, where egui would take it to an end of the range. "inf" and
/// "-inf" still go to the ends (a send at −inf dB is at its floor). Every
/// number field in the editor is one of these.
pub fn number<Num: egui::emath::Numeric>(value: &mut Num) -> egui::DragValue<'_> {
    egui::DragValue::new(value).custom_parser(parse_number)
}

/// What [`number`] makes of typed text.
pub fn parse_number(text: &str) -> Option<f64> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
    text.parse::<f64>().ok().filter(|v| !v.is_nan())
}

pub fn track_colour(kind: TrackKind) -> Color32 {
    match kind {
        TrackKind::Dialogue => Color32::from_rgb(86, 156, 214),
        TrackKind::Foley => Color32::from_rgb(214, 157, 86),
        TrackKind::Sfx => Color32::from_rgb(206, 98, 98),
        TrackKind::Ambience => Color32::from_rgb(110, 180, 120),
        TrackKind::Music => Color32::from_rgb(170, 120, 210),
        TrackKind::Guide => Color32::from_rgb(140, 140, 140),
    }
}

/// Fader position (0 bottom … 1 top) of a gain in dB.
pub fn fader_pos(db: f32) -> f32 {
    if db <= FLOOR_DB {
        0.0
    } else {
        ((db.min(CEIL_DB) - FLOOR_DB) / (CEIL_DB - FLOOR_DB)).powi(2)
    }
}

/// Gain in dB at a fader position (the bottom is silence).
pub fn fader_db(pos: f32) -> f32 {
    if pos <= 0.0 {
        SILENCE_DB
    } else {
        FLOOR_DB + pos.min(1.0).sqrt() * (CEIL_DB - FLOOR_DB)
    }
}

/// "−∞", "−6.0", "+3.5".
pub fn db_text(db: f32) -> String {
    if db <= FLOOR_DB {
        "-inf".to_owned()
    } else {
        format!("{db:+.1}")
    }
}

/// What a fader did this frame.
pub struct FaderResult {
    /// The value moved (send it to the engine live).
    pub changed: bool,
    /// The gesture ended: commit the value as one undo step.
    pub committed: bool,
}

/// A vertical fader in dB: drag (Shift for fine), double-click for 0 dB,
/// and a typed value below it.
pub fn fader(ui: &mut egui::Ui, db: &mut f32, label: &str, height: f32) -> FaderResult {
    let mut result = FaderResult {
        changed: false,
        committed: false,
    };
    ui.vertical(|ui| {
        let height = height.clamp(60.0, 400.0);
        let (rect, response) = ui.allocate_exact_size(vec2(26.0, height), Sense::click_and_drag());
        let value = *db;
        response.widget_info(|| egui::WidgetInfo::slider(true, f64::from(value), label));
        if response.double_clicked() {
            *db = 0.0;
            result.changed = true;
            result.committed = true;
        } else if response.dragged() {
            let dy = response.drag_delta().y;
            let fine = ui.input(|i| i.modifiers.shift);
            let scale = if fine { 10.0 } else { 1.0 };
            let pos = (fader_pos(*db) - dy / (rect.height() * scale)).clamp(0.0, 1.0);
            let new = fader_db(pos);
            if new != *db {
                *db = new;
                result.changed = true;
            }
        }
        if response.drag_stopped() {
            result.committed = true;
        }
        let response = response.on_hover_text(format!("{label}: {} dB", db_text(*db)));
        // Paint: track, 0 dB mark, cap.
        let p = ui.painter();
        let visuals = ui.visuals();
        let slot = Rect::from_center_size(rect.center(), vec2(4.0, rect.height()));
        p.rect_filled(slot, 2.0, visuals.extreme_bg_color);
        for mark in [12.0, 6.0, 0.0, -6.0, -12.0, -24.0, -40.0] {
            let y = rect.bottom() - fader_pos(mark) * rect.height();
            let w = if mark == 0.0 { 10.0 } else { 5.0 };
            p.hline(
                rect.center().x - w..=rect.center().x + w,
                y,
                Stroke::new(1.0, visuals.weak_text_color()),
            );
        }
        let y = rect.bottom() - fader_pos(*db) * rect.height();
        let cap = Rect::from_center_size(egui::pos2(rect.center().x, y), vec2(24.0, 12.0));
        let fill = if response.dragged() {
            visuals.selection.bg_fill
        } else {
            visuals.widgets.inactive.bg_fill
        };
        p.rect_filled(cap, 3.0, fill);
        p.hline(
            cap.x_range(),
            y,
            Stroke::new(1.5, visuals.strong_text_color()),
        );
        // Typed value.
        let mut typed = if *db <= FLOOR_DB { FLOOR_DB - 0.1 } else { *db };
        let dv = ui.add(
            number(&mut typed)
                .range(f64::from(FLOOR_DB - 0.1)..=f64::from(CEIL_DB))
                .speed(0.1)
                .max_decimals(1)
                .custom_formatter(|v, _| db_text(v as f32)),
        );
        let value_label = format!("{label} value");
        dv.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, &value_label));
        if dv.changed() {
            *db = if typed < FLOOR_DB { SILENCE_DB } else { typed };
            result.changed = true;
            if !dv.dragged() {
                result.committed = true;
            }
        }
        if dv.drag_stopped() {
            result.committed = true;
        }
    });
    result
}

/// Per-meter display state: decay, peak hold and clip indicator.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeterState {
    level: [f32; 2],
    hold: [f32; 2],
    hold_time: [f64; 2],
    clipped: bool,
    last_time: f64,
}

pub type MeterStates = HashMap<(&'static str, u32), MeterState>;

fn meter_pos(linear: f32) -> f32 {
    if linear <= 0.0 {
        return 0.0;
    }
    let db = 20.0 * linear.log10();
    ((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0)
}

/// A stereo post-fader peak meter with 1.5 s peak hold and a clip light
/// (click to reset).
pub fn meter(
    ui: &mut egui::Ui,
    states: &mut MeterStates,
    key: (&'static str, u32),
    reading: Option<MeterReading>,
    height: f32,
) {
    let height = height.clamp(60.0, 400.0);
    let (rect, response) = ui.allocate_exact_size(vec2(16.0, height + 8.0), Sense::click());
    let now = ui.input(|i| i.time);
    let s = states.entry(key).or_default();
    let dt = (now - s.last_time).clamp(0.0, 0.5) as f32;
    s.last_time = now;
    let peak = reading.map_or([0.0; 2], |r| r.peak);
    for (ch, &pk) in peak.iter().enumerate() {
        // Falls at about 20 dB per second, in position units.
        s.level[ch] = meter_pos(pk).max(s.level[ch] - dt * 20.0 / -FLOOR_DB);
        if s.level[ch] >= s.hold[ch] || now - s.hold_time[ch] > 1.5 {
            s.hold[ch] = s.level[ch];
            s.hold_time[ch] = now;
        }
        if pk >= 1.0 {
            s.clipped = true;
        }
    }
    if response.clicked() {
        s.clipped = false;
    }
    let p = ui.painter();
    let clip_rect = Rect::from_min_size(rect.min, vec2(rect.width(), 6.0));
    p.rect_filled(
        clip_rect,
        1.0,
        if s.clipped {
            Color32::RED
        } else {
            Color32::from_gray(50)
        },
    );
    let bars = Rect::from_min_max(rect.min + vec2(0.0, 8.0), rect.max);
    for ch in 0..2 {
        let w = bars.width() / 2.0;
        let col = Rect::from_min_size(
            bars.min + vec2(ch as f32 * w, 0.0),
            vec2(w - 1.0, bars.height()),
        );
        p.rect_filled(col, 0.0, Color32::from_gray(28));
        let top = col.bottom() - s.level[ch] * col.height();
        let lit = Rect::from_min_max(egui::pos2(col.left(), top), col.max);
        let colour = if s.level[ch] > meter_pos(0.5) {
            Color32::from_rgb(230, 190, 60)
        } else {
            Color32::from_rgb(70, 200, 90)
        };
        p.rect_filled(lit, 0.0, colour);
        let hy = col.bottom() - s.hold[ch] * col.height();
        if s.hold[ch] > 0.0 {
            p.hline(col.x_range(), hy, Stroke::new(1.0, Color32::WHITE));
        }
    }
    response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Meter,
            true,
            format!("{} {} meter", key.0, key.1),
        )
    });
}

/// A small toggle button showing `text` ("M", "S") whose accessible label
/// and tooltip is `label` ("Mute DIA 1").
pub fn toggle(ui: &mut egui::Ui, on: bool, text: &str, label: &str) -> egui::Response {
    let r = ui.selectable_label(on, text).on_hover_text(label);
    r.widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, on, label));
    r
}

/// The colour a track is drawn in: the user's, else its kind's.
pub fn colour_of(track: &dubstage_model::Track) -> Color32 {
    match track.colour {
        Some([r, g, b]) => Color32::from_rgb(r, g, b),
        None => track_colour(track.kind),
    }
}

/// The colours offered for tracks (name, RGB).
pub const TRACK_PALETTE: [(&str, [u8; 3]); 8] = [
    ("Blue", [86, 156, 214]),
    ("Orange", [214, 157, 86]),
    ("Red", [206, 98, 98]),
    ("Green", [110, 180, 120]),
    ("Purple", [170, 120, 210]),
    ("Teal", [80, 190, 190]),
    ("Yellow", [210, 190, 80]),
    ("Pink", [220, 120, 170]),
];

/// A line of text being edited (a rename, a typed value): what was typed,
/// whether the field still has to take the keyboard, and whether it has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEdit {
    pub text: String,
    focus_pending: bool,
    active: bool,
}

impl LineEdit {
    /// A field that takes the keyboard as soon as it is shown.
    pub fn new(text: impl Into<String>) -> LineEdit {
        LineEdit {
            text: text.into(),
            focus_pending: true,
            active: false,
        }
    }

    /// A field in a form: it waits to be clicked.
    pub fn idle(text: impl Into<String>) -> LineEdit {
        LineEdit {
            text: text.into(),
            focus_pending: false,
            active: false,
        }
    }

    /// Whether the user is typing in it.
    pub fn is_active(&self) -> bool {
        self.active || self.focus_pending
    }
}

/// What happened to a [`LineEdit`] this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// Not being typed in.
    Idle,
    Editing,
    /// Enter, Tab or a click elsewhere: use the text.
    Commit,
    /// Escape: drop the text.
    Cancel,
}

/// A one-line text field that takes the keyboard when it opens, commits on
/// Enter or when it loses focus, cancels on Escape, and then gives the
/// keyboard back (it asks for focus once, never every frame).
pub fn line_edit(ui: &mut egui::Ui, edit: &mut LineEdit, label: &str, width: f32) -> LineOutcome {
    let r = ui.add(egui::TextEdit::singleline(&mut edit.text).desired_width(width));
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, label));
    if edit.focus_pending {
        edit.focus_pending = false;
        edit.active = true;
        r.request_focus();
        // The old text is selected: typing replaces it.
        let mut state = egui::TextEdit::load_state(ui.ctx(), r.id).unwrap_or_default();
        let all = egui::text::CCursorRange::two(
            egui::text::CCursor::new(0),
            egui::text::CCursor::new(edit.text.chars().count()),
        );
        state.cursor.set_char_range(Some(all));
        state.store(ui.ctx(), r.id);
        return LineOutcome::Editing;
    }
    let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
    if r.has_focus() {
        edit.active = true;
        if escape {
            r.surrender_focus();
            edit.active = false;
            return LineOutcome::Cancel;
        }
        return LineOutcome::Editing;
    }
    if !edit.active {
        return LineOutcome::Idle;
    }
    edit.active = false;
    if escape {
        LineOutcome::Cancel
    } else {
        LineOutcome::Commit
    }
}

/// Gives a widget its accessible name (for widgets whose text is a value,
/// like a drag value).
pub trait Named {
    fn named(self, label: &str) -> Self;
}

impl Named for egui::Response {
    fn named(self, label: &str) -> egui::Response {
        let role = egui::Role::SpinButton;
        self.widget_info(|| egui::WidgetInfo::labeled(role, true, label));
        self
    }
}

/// Converts between timeline samples and screen x.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    pub left: f32,
    pub scroll: f64,
    pub spp: f64,
}

impl Mapping {
    pub fn x(&self, s: f64) -> f32 {
        self.left + ((s - self.scroll) / self.spp) as f32
    }

    pub fn sample(&self, x: f32) -> f64 {
        self.scroll + f64::from(x - self.left) * self.spp
    }
}

#[cfg(test)]
mod number_tests {
    use super::parse_number;

    #[test]
    fn a_typed_number_is_read_as_egui_reads_it_but_nan_is_refused() {
        assert_eq!(parse_number(" 1 200.5 "), Some(1200.5));
        assert_eq!(parse_number("\u{2212}12"), Some(-12.0));
        assert_eq!(parse_number("-inf"), Some(f64::NEG_INFINITY));
        for bad in ["nan", "NaN", "-nan", "", "abc", "3 dB"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
