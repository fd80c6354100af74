//! Automation lanes under the tracks: the curve of one mixer parameter,
//! its points to add (click), move (drag; Shift: value only), select (click,
//! Shift+click, rubber band) and delete (Delete, or the lane's menu). Every
//! gesture is one undo step (`SetLane`).

use crate::editor::Editor;
use crate::widgets::Mapping;
use dubstage_model::automation::{AutoPoint, is_switch, value_at};
use dubstage_model::{ParamId, Project, SamplePos, StripId, TrackId, Unit};
use egui::{Color32, Pos2, Rect, Sense, Stroke, pos2, vec2};

/// The height of a lane, in points, unless the view says.
pub const LANE_HEIGHT: f32 = 64.0;
/// How near (points) the pointer must be to grab a point.
const GRAB: f32 = 6.0;

/// How a parameter's values sit on a lane's height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Fader and send levels: −60…+12 dB over most of the height (0 dB
    /// near the top, as faders have it), the rest down to −144 (off) at the
    /// bottom.
    Db,
    Linear(f32, f32),
    /// Frequencies.
    Log(f32, f32),
    Switch,
}

impl Scale {
    pub fn of(p: &Project, id: ParamId) -> Scale {
        if is_switch(id) {
            return Scale::Switch;
        }
        match id {
            ParamId::Fader(_) | ParamId::SendLevel(_) => Scale::Db,
            ParamId::Pan(_) => Scale::Linear(-1.0, 1.0),
            ParamId::Insert(i, k) => p
                .insert(i)
                .and_then(|x| x.kind.params().get(usize::from(k)))
                .map_or(Scale::Linear(0.0, 1.0), |spec| match spec.unit {
                    Unit::Hz if spec.min > 0.0 => Scale::Log(spec.min, spec.max),
                    Unit::Switch => Scale::Switch,
                    _ => Scale::Linear(spec.min, spec.max),
                }),
            _ => Scale::Linear(0.0, 1.0),
        }
    }

    /// Where `v` sits, 0 (bottom) to 1 (top).
    pub fn norm(self, v: f32) -> f32 {
        let n = match self {
            Scale::Db if v >= -60.0 => 0.08 + 0.92 * (v + 60.0) / 72.0,
            Scale::Db => 0.08 * (v + 144.0) / 84.0,
            Scale::Linear(a, b) => (v - a) / (b - a),
            Scale::Log(a, b) => (v.max(a) / a).ln() / (b / a).ln(),
            Scale::Switch => v,
        };
        n.clamp(0.0, 1.0)
    }

    /// The value at height `n` (0…1).
    pub fn value(self, n: f32) -> f32 {
        let n = n.clamp(0.0, 1.0);
        match self {
            Scale::Db if n >= 0.08 => -60.0 + (n - 0.08) / 0.92 * 72.0,
            Scale::Db => -144.0 + n / 0.08 * 84.0,
            Scale::Linear(a, b) => a + (b - a) * n,
            Scale::Log(a, b) => a * (b / a).powf(n),
            Scale::Switch => {
                if n >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// The parameters of a track that can have lanes: fader, pan, mute, its
/// sends' level and mute, its inserts' bypass and parameters (by insert).
pub fn lanes_for(p: &Project, track: TrackId) -> Vec<(String, Vec<(ParamId, String)>)> {
    let strip = StripId::Track(track);
    let mut groups = vec![(
        "Track".to_owned(),
        vec![
            (ParamId::Fader(strip), "Volume".to_owned()),
            (ParamId::Pan(strip), "Pan".to_owned()),
            (ParamId::Mute(strip), "Mute".to_owned()),
        ],
    )];
    if let Some(t) = p.track(track) {
        let mut sends = Vec::new();
        for s in &t.sends {
            let bus = p.bus(s.bus).map_or("?", |b| b.name.as_str());
            sends.push((ParamId::SendLevel(s.id), format!("Send to {bus} level")));
            sends.push((ParamId::SendMute(s.id), format!("Send to {bus} mute")));
        }
        if !sends.is_empty() {
            groups.push(("Sends".to_owned(), sends));
        }
        for ins in &t.inserts {
            let mut v = vec![(ParamId::Bypass(ins.id), "Bypass".to_owned())];
            for (k, spec) in ins.kind.params().iter().enumerate() {
                v.push((ParamId::Insert(ins.id, k as u16), spec.label.to_owned()));
            }
            groups.push((ins.kind.label().to_owned(), v));
        }
    }
    groups
}

/// A lane's short name in its header.
pub fn lane_name(p: &Project, id: ParamId) -> String {
    match id {
        ParamId::Fader(_) => "Volume".to_owned(),
        ParamId::Pan(_) => "Pan".to_owned(),
        ParamId::Mute(_) => "Mute".to_owned(),
        _ => {
            let full = p.lane_label(id);
            // Without the track's name.
            match id {
                ParamId::Insert(i, _) | ParamId::Bypass(i) => p
                    .find_insert(i)
                    .map(|(s, _)| p.strip_name(s))
                    .and_then(|n| full.strip_prefix(&format!("{n} ")).map(str::to_owned))
                    .unwrap_or(full),
                _ => full,
            }
        }
    }
}

/// A points drag under way.
#[derive(Debug, Clone, PartialEq)]
struct PointDrag {
    param: ParamId,
    /// The lane's points when the drag began.
    original: Vec<AutoPoint>,
    /// The moving points' times when it began.
    moving: Vec<i64>,
    /// The grabbed point, and the pointer's offset from it.
    grabbed: AutoPoint,
    start: Pos2,
    vertical_only: bool,
}

/// Lane gestures between frames.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LaneUi {
    drag: Option<PointDrag>,
    /// The points shown while a drag is under way.
    preview: Option<(ParamId, Vec<AutoPoint>)>,
    rubber: Option<(ParamId, Pos2)>,
}

/// Nearest frame start to `s` when snapping is on.
fn snapped(editor: &Editor, s: i64) -> i64 {
    if !editor.view.snap {
        return s;
    }
    let map = editor.project().time_map();
    let f = map.frame_at(SamplePos(s));
    let (a, b) = (map.frame_start(f).0, map.frame_start(f + 1).0);
    if s - a <= b - s { a } else { b }
}

/// Draws one lane (its header in `header`, its curve in `rect`) and
/// handles its gestures.
#[expect(
    clippy::too_many_arguments,
    reason = "a lane needs its strip, parameter and both rectangles"
)]
pub fn lane_ui(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    st: &mut LaneUi,
    map: &Mapping,
    owner: StripId,
    param: ParamId,
    header: Rect,
    rect: Rect,
) {
    let p = editor.project();
    let scale = Scale::of(p, param);
    let switch = is_switch(param);
    let name = lane_name(p, param);
    let has_lane = p.lane(param).is_some();
    let points = match &st.preview {
        Some((id, pts)) if *id == param => pts.clone(),
        _ => p.lane(param).map(|l| l.points.clone()).unwrap_or_default(),
    };
    let static_value = p.param(param).unwrap_or(0.0);
    let visuals = ui.visuals().clone();
    let painter = ui.painter().with_clip_rect(rect.union(header));
    painter.rect_filled(rect, 0.0, visuals.extreme_bg_color);
    painter.rect_filled(header, 0.0, visuals.faint_bg_color);
    painter.line_segment(
        [rect.left_bottom(), rect.right_bottom()],
        Stroke::new(1.0, visuals.widgets.noninteractive.bg_stroke.color),
    );
    let inner = rect.shrink2(vec2(0.0, 4.0));
    let y_of = |v: f32| inner.bottom() - scale.norm(v) * inner.height();
    let playhead = editor.playhead().0;
    let now = value_at(&points, playhead, switch).map_or(static_value, |v| v as f32);
    let spec_text = format_value(p, param, now);
    painter.text(
        header.left_top() + vec2(18.0, 4.0),
        egui::Align2::LEFT_TOP,
        &name,
        egui::FontId::proportional(12.0),
        visuals.text_color(),
    );
    painter.text(
        header.left_top() + vec2(18.0, 20.0),
        egui::Align2::LEFT_TOP,
        &spec_text,
        egui::FontId::monospace(11.0),
        visuals.weak_text_color(),
    );
    // The curve.
    let colour = if points.is_empty() {
        visuals.weak_text_color()
    } else {
        Color32::from_rgb(255, 190, 60)
    };
    let mut line = Vec::with_capacity(rect.width() as usize / 2 + 2);
    let mut x = rect.left();
    while x <= rect.right() + 2.0 {
        let t = map.sample(x).round() as i64;
        let v = value_at(&points, t, switch).map_or(static_value, |v| v as f32);
        line.push(pos2(x, y_of(v)));
        x += 2.0;
    }
    painter.add(egui::Shape::line(line, Stroke::new(1.5, colour)));
    let selected = |at: i64| {
        editor
            .lane_selection
            .iter()
            .any(|(id, s)| *id == param && s.0 == at)
    };
    let hit = |pos: Pos2| {
        points.iter().position(|q| {
            let c = pos2(map.x(q.at.0 as f64), y_of(q.value));
            c.distance(pos) <= GRAB
        })
    };
    for q in &points {
        let c = pos2(map.x(q.at.0 as f64), y_of(q.value));
        if !rect.expand(4.0).contains(c) {
            continue;
        }
        let r = Rect::from_center_size(c, vec2(6.0, 6.0));
        if selected(q.at.0) {
            painter.rect_filled(r, 1.0, Color32::WHITE);
        } else {
            painter.rect_filled(r, 1.0, visuals.extreme_bg_color);
            painter.rect_stroke(r, 1.0, Stroke::new(1.5, colour), egui::StrokeKind::Inside);
        }
    }
    if points.is_empty() {
        painter.text(
            rect.left_center() + vec2(8.0, 0.0),
            egui::Align2::LEFT_CENTER,
            "click to add a point",
            egui::FontId::proportional(11.0),
            visuals.weak_text_color(),
        );
    }
    // Gestures.
    let id = ui.scope_id().with(("automation lane", owner, param));
    let owner_name = p.strip_name(owner);
    let label = format!("{owner_name} {name} automation lane");
    let resp = ui.interact(rect, id, Sense::click_and_drag());
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, &label));
    let resp = resp
        .on_hover_text(
            "Click: add a point · drag a point: move it (Shift: value only) · drag: select · Delete: remove",
        );
    let shift = ui.input(|i| i.modifiers.shift);
    // Where the button went down (the drag is seen only once the pointer
    // has travelled).
    let origin = ui
        .input(|i| i.pointer.press_origin())
        .or_else(|| resp.interact_pointer_pos());
    if resp.drag_started()
        && let Some(pos) = origin
    {
        match hit(pos) {
            Some(i) => {
                let q = points[i];
                if !selected(q.at.0) {
                    if !shift {
                        editor.lane_selection.clear();
                    }
                    editor.lane_selection.push((param, q.at));
                    editor.selection.clear();
                }
                let moving: Vec<i64> = editor
                    .lane_selection
                    .iter()
                    .filter(|(id, _)| *id == param)
                    .map(|(_, s)| s.0)
                    .collect();
                st.drag = Some(PointDrag {
                    param,
                    original: points.clone(),
                    moving,
                    grabbed: q,
                    start: pos,
                    vertical_only: shift,
                });
            }
            None => st.rubber = Some((param, pos)),
        }
    }
    if resp.dragged()
        && let Some(pos) = resp.interact_pointer_pos()
    {
        if let Some(d) = st.drag.clone().filter(|d| d.param == param) {
            let dt = if d.vertical_only {
                0
            } else {
                let t = map
                    .sample(map.x(d.grabbed.at.0 as f64) + pos.x - d.start.x)
                    .round() as i64;
                snapped(editor, t) - d.grabbed.at.0
            };
            let n0 = scale.norm(d.grabbed.value);
            let n1 = n0 - (pos.y - d.start.y) / inner.height().max(1.0);
            let target = scale.value(n1);
            let dv = target - d.grabbed.value;
            let range = editor
                .project()
                .param_range(param)
                .unwrap_or((f32::MIN, f32::MAX));
            let mut moved: Vec<AutoPoint> = d
                .original
                .iter()
                .filter(|q| !d.moving.contains(&q.at.0))
                .copied()
                .collect();
            for q in d.original.iter().filter(|q| d.moving.contains(&q.at.0)) {
                let mut q = *q;
                q.at = SamplePos(q.at.0 + dt);
                q.value = if switch {
                    scale.value(n1)
                } else {
                    (q.value + dv).clamp(range.0, range.1)
                };
                moved.push(q);
            }
            moved.sort_by_key(|q| q.at.0);
            st.preview = Some((param, moved));
        }
        if let Some((_, from)) = st.rubber.filter(|(l, _)| *l == param) {
            let band = Rect::from_two_pos(from, pos);
            painter.rect_stroke(
                band,
                0.0,
                Stroke::new(1.0, visuals.selection.stroke.color),
                egui::StrokeKind::Inside,
            );
        }
    }
    if resp.drag_stopped() {
        if let (Some(d), Some((id, pts))) = (st.drag.take(), st.preview.take())
            && id == param
        {
            let moved_by =
                pts.iter().zip(&d.original).any(|(a, b)| a != b) || pts.len() != d.original.len();
            if moved_by {
                editor.apply(dubstage_model::Command::SetLane {
                    param,
                    points: pts.clone(),
                });
                // The selection follows the moved points.
                let before: Vec<AutoPoint> = d.original.clone();
                editor.lane_selection.retain(|(id, _)| *id != param);
                for q in &pts {
                    if !before.contains(q) {
                        editor.lane_selection.push((param, q.at));
                    }
                }
            }
        }
        if let Some((lane, from)) = st.rubber.take()
            && lane == param
            && let Some(to) = resp.interact_pointer_pos()
        {
            let band = Rect::from_two_pos(from, to);
            if !shift {
                editor.lane_selection.clear();
            }
            editor.selection.clear();
            for q in &points {
                let c = pos2(map.x(q.at.0 as f64), y_of(q.value));
                if band.contains(c) {
                    editor.lane_selection.push((param, q.at));
                }
            }
        }
    }
    if resp.clicked()
        && let Some(pos) = resp.interact_pointer_pos()
    {
        match hit(pos) {
            Some(i) => {
                let at = points[i].at;
                if shift {
                    if let Some(k) = editor
                        .lane_selection
                        .iter()
                        .position(|(id, s)| *id == param && *s == at)
                    {
                        editor.lane_selection.remove(k);
                    } else {
                        editor.lane_selection.push((param, at));
                    }
                } else {
                    editor.lane_selection = vec![(param, at)];
                }
                editor.selection.clear();
            }
            None => {
                let t = snapped(editor, map.sample(pos.x).round() as i64);
                let n = (inner.bottom() - pos.y) / inner.height().max(1.0);
                let mut pts = points.clone();
                if pts.is_empty() && t > 0 {
                    // A new lane starts from the control's value, so one
                    // click does not move the whole track.
                    pts.push(AutoPoint::new(0, static_value));
                }
                pts.retain(|q| q.at.0 != t);
                pts.push(AutoPoint::new(t, scale.value(n)));
                pts.sort_by_key(|q| q.at.0);
                editor.apply(dubstage_model::Command::SetLane { param, points: pts });
                editor.lane_selection = vec![(param, SamplePos(t))];
                editor.selection.clear();
            }
        }
    }
    resp.context_menu(|ui| {
        let n_sel = editor
            .lane_selection
            .iter()
            .filter(|(id, _)| *id == param)
            .count();
        if ui
            .add_enabled(
                n_sel > 0,
                egui::Button::new(format!("Delete {n_sel} Selected Points")),
            )
            .clicked()
        {
            editor.delete_lane_points();
            ui.close();
        }
        if ui
            .add_enabled(has_lane, egui::Button::new("Clear Lane"))
            .clicked()
        {
            editor.apply(dubstage_model::Command::SetLane {
                param,
                points: Vec::new(),
            });
            editor.lane_selection.retain(|(id, _)| *id != param);
            ui.close();
        }
        if ui.button("Hide Lane").clicked() {
            editor.view.toggle_strip_lane(owner, param);
            ui.close();
        }
    });
    // The hide button in the header.
    let close = Rect::from_min_size(header.left_top() + vec2(2.0, 3.0), vec2(14.0, 14.0));
    let hide = ui
        .interact(close, id.with("hide"), Sense::click())
        .on_hover_text("Hide this lane");
    painter.text(
        close.center(),
        egui::Align2::CENTER_CENTER,
        "×",
        egui::FontId::proportional(12.0),
        if hide.hovered() {
            visuals.strong_text_color()
        } else {
            visuals.weak_text_color()
        },
    );
    if hide.clicked() {
        editor.view.toggle_strip_lane(owner, param);
    }
}

/// A value in its unit, for the lane header.
pub fn format_value(p: &Project, id: ParamId, v: f32) -> String {
    match id {
        ParamId::Fader(_) | ParamId::SendLevel(_) => {
            if v <= -144.0 {
                "-inf dB".to_owned()
            } else {
                format!("{v:+.1} dB")
            }
        }
        ParamId::Pan(_) => dubstage_model::pan_label(v),
        _ if is_switch(id) => if v >= 0.5 { "on" } else { "off" }.to_owned(),
        ParamId::Insert(i, k) => p
            .insert(i)
            .and_then(|x| x.kind.params().get(usize::from(k)))
            .map_or_else(|| format!("{v:.2}"), |spec| spec.format(v)),
        _ => format!("{v:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_map_values_to_heights_and_back() {
        for s in [
            Scale::Db,
            Scale::Linear(-1.0, 1.0),
            Scale::Log(20.0, 20_000.0),
        ] {
            for n in [0.0f32, 0.05, 0.08, 0.5, 0.9, 1.0] {
                let v = s.value(n);
                assert!((s.norm(v) - n).abs() < 1e-4, "{s:?} {n} → {v}");
            }
        }
        assert_eq!(Scale::Db.value(1.0), 12.0);
        assert_eq!(Scale::Db.value(0.0), -144.0);
        assert_eq!(Scale::Switch.value(0.7), 1.0);
    }

    #[test]
    fn a_latch_pass_on_an_empty_lane_ends_at_stop_and_a_hold_segment_stays_held() {
        let pass = Pass {
            param: ParamId::Fader(StripId::Master),
            mode: Mode::Latch,
            from: 1000,
            points: vec![AutoPoint::new(1000, -6.0), AutoPoint::new(3000, -6.0)],
            touching: false,
            value: -6.0,
        };
        let out = merge_pass(&[], 0.0, &pass, 5000, 12_000, false);
        let at = |t| value_at(&out, t, false).expect("value");
        assert_eq!(at(999), 0.0);
        assert_eq!(at(4000), -6.0);
        assert_eq!(at(5001), 0.0, "the static value after stop: {out:?}");
        // Over an old held segment, the curve after the pass still holds.
        let old = [
            AutoPoint {
                shape: dubstage_model::Shape::Hold,
                ..AutoPoint::new(0, -3.0)
            },
            AutoPoint::new(100_000, 0.0),
        ];
        let out = merge_pass(&old, 0.0, &pass, 5000, 12_000, false);
        let at = |t| value_at(&out, t, false).expect("value");
        assert_eq!(at(50_000), -3.0, "{out:?}");
        assert_eq!(at(500), -3.0);
    }
}

/// How a strip's automation plays and records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Mode {
    /// Lanes are not played (the static values are).
    Off,
    /// Lanes play; controls move with them.
    #[default]
    Read,
    /// While a control is held during playback, it writes; let go, it
    /// glides back to the lane.
    Touch,
    /// From the first touch until stop it writes (holding the last value).
    Latch,
    /// Writes everything that plays, from play to stop.
    Write,
}

impl Mode {
    pub const ALL: [Mode; 5] = [Mode::Off, Mode::Read, Mode::Touch, Mode::Latch, Mode::Write];

    pub fn label(self) -> &'static str {
        match self {
            Mode::Off => "Off",
            Mode::Read => "Read",
            Mode::Touch => "Touch",
            Mode::Latch => "Latch",
            Mode::Write => "Write",
        }
    }

    pub fn writes(self) -> bool {
        matches!(self, Mode::Touch | Mode::Latch | Mode::Write)
    }
}

/// The strip a parameter belongs to.
pub fn strip_of(p: &Project, id: ParamId) -> Option<StripId> {
    match id {
        ParamId::Fader(s) | ParamId::Pan(s) | ParamId::Mute(s) => Some(s),
        ParamId::Solo(t) | ParamId::SoloSafe(t) => Some(StripId::Track(t)),
        ParamId::SendLevel(s) | ParamId::SendMute(s) | ParamId::SendPre(s) => {
            p.find_send(s).map(|(strip, _)| strip)
        }
        ParamId::Insert(i, _) | ParamId::Bypass(i) => p.find_insert(i).map(|(s, _)| s),
    }
}

/// One parameter being written during playback.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    pub param: ParamId,
    pub mode: Mode,
    /// Where writing began.
    pub from: i64,
    pub points: Vec<AutoPoint>,
    /// The control is held now.
    pub touching: bool,
    /// The value being written.
    pub value: f32,
}

/// Automation modes per strip and the passes being written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Writer {
    pub modes: std::collections::HashMap<StripId, Mode>,
    pub passes: Vec<Pass>,
    /// After a touch is let go, the lane is reached over this long.
    pub glide_ms: f32,
    pub(crate) was_playing: bool,
    /// The strips whose automation was off in the last plan sent.
    pub(crate) sent_modes: Vec<StripId>,
    /// The "follows its lane" notice was shown.
    pub(crate) told_automated: bool,
}

/// Points closer than this are not recorded (10 ms at 48 kHz).
pub const WRITE_SPACING: i64 = 480;

impl Writer {
    /// The strips with automation off, sorted (a change sends a new plan).
    pub(crate) fn modes_key(&self) -> Vec<StripId> {
        let mut v: Vec<StripId> = self
            .modes
            .iter()
            .filter(|(_, m)| **m == Mode::Off)
            .map(|(s, _)| *s)
            .collect();
        v.sort();
        v
    }

    pub fn mode(&self, strip: StripId) -> Mode {
        self.modes.get(&strip).copied().unwrap_or_default()
    }

    pub fn pass(&self, id: ParamId) -> Option<&Pass> {
        self.passes.iter().find(|p| p.param == id)
    }

    /// Records `value` at `at` into the pass of `id` (a point per
    /// [`WRITE_SPACING`] at most, the value always current).
    pub fn record(&mut self, id: ParamId, at: i64, value: f32) {
        if let Some(p) = self.passes.iter_mut().find(|p| p.param == id) {
            p.value = value;
            match p.points.last_mut() {
                Some(last) if at - last.at.0 < WRITE_SPACING => {
                    if at >= last.at.0 {
                        last.value = value;
                    }
                }
                _ => p.points.push(AutoPoint::new(at, value)),
            }
        }
    }
}

/// The lane a finished pass leaves: the old points outside what it wrote,
/// the written ones, the old value just before it began and (after a
/// touch) a glide back to the old curve.
pub fn merge_pass(
    old: &[AutoPoint],
    static_value: f32,
    pass: &Pass,
    end: i64,
    glide: i64,
    switch: bool,
) -> Vec<AutoPoint> {
    let old_at = |t: i64| value_at(old, t, switch).map_or(static_value, |v| v as f32);
    // An anchor on the old curve keeps the shape of the segment it splits.
    let old_point = |t: i64| {
        let i = old.partition_point(|q| q.at.0 <= t);
        let shape = i
            .checked_sub(1)
            .map_or(dubstage_model::Shape::Linear, |i| old[i].shape);
        AutoPoint {
            at: SamplePos(t),
            value: old_at(t),
            shape,
        }
    };
    let back = if pass.mode == Mode::Touch {
        glide.max(1)
    } else {
        0
    };
    let until = end + back;
    let mut out: Vec<AutoPoint> = old
        .iter()
        .filter(|q| q.at.0 < pass.from || q.at.0 > until)
        .copied()
        .collect();
    // The curve before the pass stays as it was.
    out.push(old_point(pass.from - 1));
    let mut written: Vec<AutoPoint> = pass
        .points
        .iter()
        .filter(|q| q.at.0 >= pass.from && q.at.0 <= end)
        .copied()
        .collect();
    // Drop points that only repeat their neighbours' value.
    let mut thin: Vec<AutoPoint> = Vec::with_capacity(written.len());
    for (i, q) in written.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| written[j].value);
        let next = written.get(i + 1).map(|n| n.value);
        if prev == Some(q.value) && next == Some(q.value) {
            continue;
        }
        thin.push(*q);
    }
    written = thin;
    if let Some(last) = written.last()
        && last.at.0 < end
    {
        written.push(AutoPoint::new(end, pass.value));
    }
    out.extend(written);
    // After a touch the old curve is back at the glide's end; after a
    // latch or write pass, from the sample after stop.
    if back > 0 {
        out.push(old_point(until));
    } else {
        out.push(old_point(end + 1));
    }
    dubstage_model::automation::normalise(&out, |q| q.at.0)
}
