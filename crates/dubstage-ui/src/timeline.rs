//! The timeline: ruler, track headers, clips with waveforms, fades and
//! gain handles, the playhead, and every mouse gesture on them.

use crate::editor::Editor;
use crate::mixer::pan_text;
use crate::widgets::track_colour;
use dubstage_media::peaks::PeakPyramid;
use dubstage_model::{
    ClipChannels, ClipId, Command, Fade, FadeShape, ParamId, SampleLen, SamplePos, StripId, TrackId,
};
use egui::{Color32, Pos2, Rect, Sense, Stroke, StrokeKind, pos2, vec2};
use std::path::PathBuf;

pub const HEADER_WIDTH: f32 = 180.0;
pub const RULER_HEIGHT: f32 = 30.0;
const EDGE: f32 = 6.0;
const HANDLE: f32 = 8.0;
const SNAP_POINTS: f32 = 8.0;

/// A gesture under way.
#[derive(Debug, Clone, PartialEq)]
pub enum Drag {
    Move {
        /// Pointer position (timeline sample, track index) when the drag began.
        start_sample: f64,
        start_track: usize,
        copy: bool,
        /// The dragged clips: id, track index, position at the start.
        clips: Vec<(ClipId, usize, SamplePos)>,
    },
    /// Edges move by the pointer's travel from where it was pressed.
    TrimStart {
        clip: ClipId,
        origin: f64,
        edge: SamplePos,
    },
    TrimEnd {
        clip: ClipId,
        origin: f64,
        edge: SamplePos,
    },
    FadeIn {
        clip: ClipId,
    },
    FadeOut {
        clip: ClipId,
    },
    Gain {
        clip: ClipId,
        start_db: f32,
        start_y: f32,
    },
    Range {
        start: SamplePos,
    },
    /// The playhead dragged in the ruler: locates live (picture follows).
    Scrub,
    /// A clip-gain envelope point dragged: the envelope when it began,
    /// which point, and where the pointer was pressed.
    Envelope {
        clip: ClipId,
        original: Vec<dubstage_model::EnvPoint>,
        index: usize,
        start: Pos2,
    },
}

/// Timeline state that lives between frames.
#[derive(Debug, Default)]
pub struct TimelineState {
    pub clip_area_width: f32,
    /// A track being renamed, with the text typed so far.
    pub renaming: Option<(TrackId, crate::widgets::LineEdit)>,
    pub drag: Option<Drag>,
    /// Where the dragged clips would land now (preview).
    preview: Option<(i64, isize)>,
    snap_guide: Option<SamplePos>,
    /// The clip window (typed name, gain, fades, start), when open.
    pub clip_props: Option<ClipProps>,
    /// The playhead at the last frame (a jump off screen scrolls to it).
    last_playhead: Option<SamplePos>,
    fitted: bool,
    /// Scratch for waveform columns (reused every frame).
    columns: Vec<(f32, f32)>,
    /// Where a rubber-band selection started.
    rubber: Option<Pos2>,
    /// The clip under the mouse and the timeline sample there (split at mouse).
    pub hover: Option<(ClipId, SamplePos)>,
    /// A marker being renamed, with the text typed so far.
    pub renaming_marker: Option<(dubstage_model::MarkerId, crate::widgets::LineEdit)>,
    /// Loudness over time (position, momentary, short-term LUFS) from the
    /// last analysis and from live playback, drawn as a lane under the ruler.
    pub loudness_curve: Vec<(SamplePos, f32, f32)>,
    pub show_loudness_lane: bool,
    /// A library sound dropped on the timeline: what, on which track (a new
    /// one when `None`), where.
    pub spot_drop: Option<(crate::library::SpotPayload, Option<TrackId>, SamplePos)>,
    /// Automation lane gestures.
    pub lanes: crate::automation::LaneUi,
    /// A clip-gain envelope shown while one of its points is dragged.
    envelope_preview: Option<(ClipId, Vec<dubstage_model::EnvPoint>)>,
}

impl TimelineState {
    /// Opens the name field of a track, with its current name.
    pub fn start_rename(&mut self, track: TrackId, name: &str) {
        self.renaming = Some((track, crate::widgets::LineEdit::new(name)));
    }
}

pub use crate::widgets::Mapping;

/// Draws the timeline. Returns files dropped from the file manager, with
/// where they should go.
pub fn timeline_ui(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    state: &mut TimelineState,
) -> Vec<(Vec<PathBuf>, crate::import::ImportTarget)> {
    let full = ui.available_rect_before_wrap();
    let (_, bg) = ui.allocate_exact_size(full.size(), Sense::click_and_drag());
    // With a picture, its thumbnail strip sits between the ruler and the tracks.
    let strip = if editor.project().picture.is_some() {
        crate::picture::STRIP_HEIGHT
    } else {
        0.0
    };
    let loudness_h = if state.show_loudness_lane {
        LOUDNESS_LANE
    } else {
        0.0
    };
    let area = Rect::from_min_max(
        pos2(
            full.left() + HEADER_WIDTH,
            full.top() + RULER_HEIGHT + strip + loudness_h,
        ),
        pos2(full.right(), full.bottom() - OVERVIEW_HEIGHT),
    );
    state.clip_area_width = area.width().max(100.0);
    if !state.fitted {
        if !editor.restored_view {
            editor.zoom_to_fit(state.clip_area_width);
        }
        state.fitted = true;
    }
    handle_wheel(ui, editor, area, full);
    // The rows may have shrunk (a lane hidden, a track deleted).
    let max_scroll = (content_height(editor) - area.height() + 40.0).max(0.0);
    editor.view.scroll_y = editor.view.scroll_y.clamp(0.0, max_scroll);
    follow_playhead(editor, area.width());
    reveal_playhead(editor, state, area.width());
    let map = Mapping {
        left: area.left(),
        scroll: editor.view.scroll_samples,
        spp: editor.view.samples_per_point,
    };
    let painter = ui.painter().with_clip_rect(full);
    painter.rect_filled(full, 0.0, ui.visuals().extreme_bg_color);

    state.hover = None;
    if let Some(payload) = bg.dnd_release_payload::<crate::library::SpotPayload>()
        && let Some(p) = ui.input(|i| i.pointer.interact_pos())
        && area.contains(p)
    {
        let at = SamplePos(map.sample(p.x).max(0.0).round() as i64);
        let track = track_at(editor, area, p.y).map(|i| editor.project().tracks[i].id);
        state.spot_drop = Some(((*payload).clone(), track, snap(editor, at, &map, &[]).0));
    }
    tracks_ui(ui, editor, state, &map, area, full);
    if strip > 0.0 {
        let top = full.top() + RULER_HEIGHT;
        let header = Rect::from_min_max(pos2(full.left(), top), pos2(area.left(), top + strip));
        let lane = Rect::from_min_max(pos2(area.left(), top), pos2(full.right(), top + strip));
        ui.painter()
            .rect_filled(header.union(lane), 0.0, ui.visuals().extreme_bg_color);
        crate::picture::strip_ui(ui, &mut editor.picture_view(), &map, header, lane);
    }
    if loudness_h > 0.0 {
        let top = full.top() + RULER_HEIGHT + strip;
        let header =
            Rect::from_min_max(pos2(full.left(), top), pos2(area.left(), top + loudness_h));
        let rect = Rect::from_min_max(pos2(area.left(), top), pos2(full.right(), top + loudness_h));
        loudness_lane(ui, state, &map, header, rect);
    }
    ruler_ui(ui, editor, state, &map, full);
    overview_ui(
        ui,
        editor,
        Rect::from_min_max(pos2(area.left(), area.bottom()), full.max),
    );
    rubber_band(ui, editor, state, &bg, &map, area);
    // Click on empty space: locate and deselect.
    if bg.clicked()
        && let Some(p) = bg.interact_pointer_pos()
        && area.contains(p)
    {
        editor.selection.clear();
        let s = SamplePos(map.sample(p.x).round() as i64);
        editor.locate(snap(editor, s, &map, &[]).0);
        if let Some(ti) = track_at(editor, area, p.y) {
            editor.selected_track = Some(editor.project().tracks[ti].id);
        }
    }
    // Playhead and snap guide, over everything.
    let ph = editor.playhead();
    let x = map.x(ph.0 as f64);
    let top_painter = ui
        .painter()
        .with_clip_rect(Rect::from_min_max(pos2(area.left(), full.top()), full.max));
    top_painter.vline(
        x,
        full.y_range(),
        Stroke::new(1.5, Color32::from_rgb(255, 80, 60)),
    );
    if let Some(g) = state.snap_guide {
        top_painter.vline(
            map.x(g.0 as f64),
            area.y_range(),
            Stroke::new(1.0, Color32::from_rgb(80, 200, 255)),
        );
    }
    dropped_files(ui, editor, area, &map)
}

/// Height of the overview bar under the tracks.
pub const OVERVIEW_HEIGHT: f32 = 14.0;

/// The overview under the tracks: the whole session with the visible part
/// as a handle; drag it (or click beside it) to scroll in time.
fn overview_ui(ui: &mut egui::Ui, editor: &mut Editor, rect: Rect) {
    let r = ui.interact(
        rect,
        ui.scope_id().with("overview"),
        Sense::click_and_drag(),
    );
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ScrollBar, true, "Timeline overview"));
    let painter = ui.painter().with_clip_rect(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().faint_bg_color);
    let v = &editor.view;
    let visible = f64::from(rect.width()) * v.samples_per_point;
    let end = (editor.project().end().0 as f64).max(v.scroll_samples + visible);
    let start = v.scroll_samples.min(0.0);
    let total = (end - start).max(1.0);
    let x_of = |s: f64| rect.left() + ((s - start) / total) as f32 * rect.width();
    // Clips, as thin marks.
    for (_, c) in editor.project().clips() {
        let (a, b) = (x_of(c.position.0 as f64), x_of(c.end().0 as f64));
        painter.rect_filled(
            Rect::from_x_y_ranges(
                a..=b.max(a + 1.0),
                rect.center().y - 1.0..=rect.center().y + 1.0,
            ),
            0.0,
            ui.visuals().weak_text_color(),
        );
    }
    let thumb = Rect::from_x_y_ranges(
        x_of(v.scroll_samples)..=x_of(v.scroll_samples + visible).max(x_of(v.scroll_samples) + 6.0),
        rect.top() + 2.0..=rect.bottom() - 2.0,
    );
    painter.rect_stroke(
        thumb,
        2.0,
        Stroke::new(1.0, ui.visuals().strong_text_color()),
        StrokeKind::Inside,
    );
    let ph = x_of(editor.playhead().0 as f64);
    painter.vline(
        ph,
        rect.y_range(),
        Stroke::new(1.0, Color32::from_rgb(255, 80, 60)),
    );
    if r.dragged() {
        editor.view.scroll_samples += f64::from(r.drag_delta().x) / f64::from(rect.width()) * total;
    } else if r.clicked()
        && let Some(p) = r.interact_pointer_pos()
    {
        let at = start + f64::from((p.x - rect.left()) / rect.width()) * total;
        editor.view.scroll_samples = at - visible / 2.0;
    }
}

/// Height of the loudness lane.
pub const LOUDNESS_LANE: f32 = 48.0;

/// The loudness-over-time lane: short-term loudness (bright) and momentary
/// (faint) on a -60..0 LUFS scale, with a -23 LUFS reference line.
fn loudness_lane(ui: &egui::Ui, state: &TimelineState, map: &Mapping, header: Rect, rect: Rect) {
    let painter = ui.painter().with_clip_rect(rect);
    ui.painter()
        .rect_filled(header.union(rect), 0.0, ui.visuals().extreme_bg_color);
    painter.rect_filled(rect, 0.0, Color32::from_gray(16));
    ui.painter().text(
        header.left_center() + vec2(8.0, 0.0),
        egui::Align2::LEFT_CENTER,
        "Loudness (S)",
        egui::FontId::proportional(13.0),
        ui.visuals().text_color(),
    );
    let y_of = |lufs: f32| rect.bottom() - ((lufs + 60.0) / 60.0).clamp(0.0, 1.0) * rect.height();
    painter.hline(
        rect.x_range(),
        y_of(-23.0),
        Stroke::new(1.0, Color32::from_rgba_unmultiplied(240, 200, 60, 90)),
    );
    let mut prev_m: Option<Pos2> = None;
    let mut prev_s: Option<Pos2> = None;
    for &(pos, m, s) in &state.loudness_curve {
        let x = map.x(pos.0 as f64);
        if x < rect.left() - 2.0 || x > rect.right() + 2.0 {
            prev_m = None;
            prev_s = None;
            continue;
        }
        let pm = m.is_finite().then(|| pos2(x, y_of(m)));
        let ps = s.is_finite().then(|| pos2(x, y_of(s)));
        if let (Some(a), Some(b)) = (prev_m, pm) {
            painter.line_segment([a, b], Stroke::new(1.0, Color32::from_rgb(70, 110, 90)));
        }
        if let (Some(a), Some(b)) = (prev_s, ps) {
            painter.line_segment([a, b], Stroke::new(1.5, Color32::from_rgb(120, 220, 150)));
        }
        prev_m = pm;
        prev_s = ps;
    }
}

/// Dragging on empty timeline space selects every clip the band touches
/// (Shift or Ctrl adds to the selection).
fn rubber_band(
    ui: &egui::Ui,
    editor: &mut Editor,
    state: &mut TimelineState,
    bg: &egui::Response,
    map: &Mapping,
    area: Rect,
) {
    if bg.drag_started()
        && let Some(p) = ui.input(|i| i.pointer.press_origin())
        && area.contains(p)
    {
        state.rubber = Some(p);
    }
    let Some(start) = state.rubber else { return };
    let Some(now) = bg
        .interact_pointer_pos()
        .or(ui.input(|i| i.pointer.hover_pos()))
    else {
        return;
    };
    let band = Rect::from_two_pos(start, now);
    ui.painter().with_clip_rect(area).rect(
        band,
        0.0,
        Color32::from_rgba_unmultiplied(120, 170, 255, 30),
        Stroke::new(1.0, Color32::from_rgb(120, 170, 255)),
        StrokeKind::Inside,
    );
    if bg.drag_stopped() {
        state.rubber = None;
        let (s0, s1) = (map.sample(band.left()), map.sample(band.right()));
        let additive = ui.input(|i| i.modifiers.shift || i.modifiers.command);
        if !additive {
            editor.selection.clear();
        }
        let rows = track_rows(editor);
        let hits: Vec<ClipId> = editor
            .project()
            .tracks
            .iter()
            .zip(&rows)
            .filter(|(_, (y, h))| {
                let top = area.top() + y - editor.view.scroll_y;
                top + h > band.top() && top < band.bottom()
            })
            .flat_map(|(t, _)| t.clips.iter())
            .filter(|c| (c.position.0 as f64) < s1 && (c.end().0 as f64) > s0)
            .map(|c| c.id)
            .collect();
        editor.selection.extend(hits);
    }
}

fn handle_wheel(ui: &egui::Ui, editor: &mut Editor, area: Rect, full: Rect) {
    let Some(pointer) = ui.input(|i| i.pointer.hover_pos()) else {
        return;
    };
    if !full.contains(pointer) {
        return;
    }
    let (scroll, zoom, shift) =
        ui.input(|i| (i.smooth_scroll_delta, i.zoom_delta(), i.modifiers.shift));
    if zoom != 1.0 {
        let x = f64::from(pointer.x - area.left());
        let anchor = editor.view.scroll_samples + x * editor.view.samples_per_point;
        editor.zoom(f64::from(zoom), anchor, x);
        return;
    }
    let (dx, dy) = if shift && scroll.x == 0.0 {
        (scroll.y, 0.0)
    } else {
        (scroll.x, scroll.y)
    };
    editor.view.scroll_samples -= f64::from(dx) * editor.view.samples_per_point;
    let content = content_height(editor);
    let max_scroll = (content - area.height() + 40.0).max(0.0);
    editor.view.scroll_y = (editor.view.scroll_y - dy).clamp(0.0, max_scroll);
}

/// A playhead moved while stopped (a key, a marker, the end of an
/// audition) that lands outside the view brings the view to it.
fn reveal_playhead(editor: &mut Editor, state: &mut TimelineState, width: f32) {
    let ph = editor.playhead();
    let moved = state.last_playhead.is_some_and(|p| p != ph);
    state.last_playhead = Some(ph);
    if !moved || editor.is_playing() || state.drag.is_some() {
        return;
    }
    let v = &mut editor.view;
    let visible = f64::from(width) * v.samples_per_point;
    let x = ph.0 as f64;
    if x < v.scroll_samples || x > v.scroll_samples + visible * 0.98 {
        v.scroll_samples = x - visible * 0.25;
    }
}

fn follow_playhead(editor: &mut Editor, width: f32) {
    if !(editor.is_playing() && editor.view.follow) {
        return;
    }
    let ph = editor.playhead().0 as f64;
    let v = &mut editor.view;
    let visible = f64::from(width) * v.samples_per_point;
    if v.follow_continuous {
        // The playhead stays at 40 % of the width; the timeline moves under it.
        v.scroll_samples = ph - visible * 0.4;
    } else if ph < v.scroll_samples || ph > v.scroll_samples + visible * 0.95 {
        // Page: the playhead continues from near the left edge.
        v.scroll_samples = ph - visible * 0.05;
    }
}

/// Each track's top (from the first track's top, unscrolled) and height.
pub fn track_rows(editor: &Editor) -> Vec<(f32, f32)> {
    let mut y = 0.0;
    editor
        .project()
        .tracks
        .iter()
        .map(|t| {
            let h = editor.view.row_height(t.id);
            let row = (y, h);
            y += h;
            row
        })
        .collect()
}

/// The height of all tracks together.
fn content_height(editor: &Editor) -> f32 {
    editor
        .project()
        .tracks
        .iter()
        .map(|t| editor.view.row_height(t.id))
        .sum::<f32>()
        + editor.view.strip_rows_height()
}

fn track_at(editor: &Editor, area: Rect, y: f32) -> Option<usize> {
    let rel = y - area.top() + editor.view.scroll_y;
    if rel < 0.0 {
        return None;
    }
    track_rows(editor)
        .iter()
        .position(|(top, h)| rel >= *top && rel < top + h)
}

/// Snaps `s` to frames, clip edges, markers and the playhead (within
/// `SNAP_POINTS` on screen), ignoring the clips in `ignore`.
fn snap(
    editor: &Editor,
    s: SamplePos,
    map: &Mapping,
    ignore: &[ClipId],
) -> (SamplePos, Option<SamplePos>) {
    if !editor.view.snap {
        return (s, None);
    }
    let p = editor.project();
    let limit = f64::from(SNAP_POINTS) * map.spp;
    let mut best: Option<(f64, SamplePos)> = None;
    let mut consider = |c: SamplePos, strong: bool| {
        let d = (c.0 - s.0).abs() as f64;
        // Edges, markers and the playhead win over frame lines.
        let d = if strong { d * 0.5 } else { d };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    };
    for (_, c) in p.clips() {
        if !ignore.contains(&c.id) {
            consider(c.position, true);
            consider(c.end(), true);
        }
    }
    for m in &p.markers {
        consider(m.position, true);
    }
    consider(editor.playhead(), true);
    consider(SamplePos::ZERO, true);
    let tm = p.time_map();
    let f = tm.frame_at(s);
    consider(tm.frame_start(f), false);
    consider(tm.frame_start(f + 1), false);
    match best {
        Some((_, c)) => (c, Some(c)),
        None => (s, None),
    }
}

fn ruler_ui(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    state: &mut TimelineState,
    map: &Mapping,
    full: Rect,
) {
    let rect = Rect::from_min_max(
        pos2(full.left() + HEADER_WIDTH, full.top()),
        pos2(full.right(), full.top() + RULER_HEIGHT),
    );
    let response = ui.interact(rect, ui.scope_id().with("ruler"), Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Timeline ruler"));
    let painter = ui.painter().with_clip_rect(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().faint_bg_color);
    let p = editor.project();
    let tm = p.time_map();
    let rate = f64::from(p.sample_rate.hz());
    let fps = p.frame_rate.fps();
    // Choose a tick step that leaves ~90 points between labels.
    let frame_samples = rate / fps;
    let steps_frames = [1.0, 2.0, 5.0, 10.0];
    let steps_secs = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
    ];
    let min_step = 90.0 * map.spp;
    let step = steps_frames
        .iter()
        .map(|f| f * frame_samples)
        .chain(steps_secs.iter().map(|s| s * rate))
        .find(|s| *s >= min_step)
        .unwrap_or_else(|| (min_step / (3600.0 * rate)).ceil() * 3600.0 * rate);
    let first = (map.sample(rect.left()) / step).floor() as i64;
    let last = (map.sample(rect.right()) / step).ceil() as i64;
    let text_colour = ui.visuals().text_color();
    for k in first..=last {
        let s = k as f64 * step;
        let x = map.x(s);
        painter.vline(
            x,
            rect.y_range(),
            Stroke::new(1.0, ui.visuals().weak_text_color()),
        );
        painter.text(
            pos2(x + 3.0, rect.top() + 2.0),
            egui::Align2::LEFT_TOP,
            tm.timecode_at(SamplePos(s.round() as i64)).to_string(),
            egui::FontId::monospace(11.0),
            text_colour,
        );
    }
    // Frame ticks when zoomed in far enough to see them.
    if frame_samples / map.spp >= 6.0 {
        let f0 = tm.frame_at(SamplePos(map.sample(rect.left()) as i64));
        let f1 = tm.frame_at(SamplePos(map.sample(rect.right()) as i64)) + 1;
        for f in f0..=f1 {
            let x = map.x(tm.frame_start(f).0 as f64);
            painter.vline(
                x,
                rect.bottom() - 6.0..=rect.bottom(),
                Stroke::new(1.0, ui.visuals().weak_text_color()),
            );
        }
    }
    // Loop range.
    if let Some((a, b)) = editor.transport.loop_range {
        let r = Rect::from_x_y_ranges(
            map.x(a.0 as f64)..=map.x(b.0 as f64),
            rect.bottom() - 8.0..=rect.bottom(),
        );
        let c = if editor.transport.loop_on {
            Color32::from_rgb(90, 170, 90)
        } else {
            Color32::from_gray(110)
        };
        painter.rect_filled(r, 0.0, c);
    }
    // Markers: click to locate, double-click to rename.
    let mut marker_hit = false;
    let markers: Vec<(dubstage_model::MarkerId, SamplePos, String)> = p
        .markers
        .iter()
        .map(|m| (m.id, m.position, m.name.clone()))
        .collect();
    // Labels that would overlap the previous one are left out (the marker
    // line stays; zoom in or open the Markers window to read it).
    let mut last_label_end = f32::NEG_INFINITY;
    for (id, position, name) in markers {
        let x = map.x(position.0 as f64);
        let gold = Color32::from_rgb(240, 200, 60);
        painter.vline(x, rect.y_range(), Stroke::new(1.0, gold));
        if x < last_label_end + 4.0 || x < rect.left() - 200.0 || x > rect.right() {
            continue;
        }
        let label = painter.text(
            pos2(x + 2.0, rect.top() + 15.0),
            egui::Align2::LEFT_TOP,
            &name,
            egui::FontId::proportional(11.0),
            gold,
        );
        last_label_end = label.right();
        let hit = Rect::from_min_max(pos2(x - 3.0, label.top()), label.max).intersect(rect);
        if !hit.is_positive() {
            continue;
        }
        let r = ui.interact(hit, ui.scope_id().with(("marker", id.0)), Sense::click());
        let secondary = r.secondary_clicked();
        let accessible = format!("Marker {name}");
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &accessible));
        let r = r.on_hover_text(format!(
            "{name}: click to locate; double-click or right-click to rename"
        ));
        if r.double_clicked() || secondary {
            state.renaming_marker = Some((id, crate::widgets::LineEdit::new(name.clone())));
            marker_hit = true;
        } else if r.clicked() {
            editor.locate(position);
            marker_hit = true;
        }
    }
    marker_rename_window(ui, editor, state);
    let at = |pos: Pos2| SamplePos(map.sample(pos.x).round() as i64);
    // The playhead's handle: a triangle at the bottom of the ruler.
    let ph_x = map.x(editor.playhead().0 as f64);
    painter.add(egui::Shape::convex_polygon(
        vec![
            pos2(ph_x - 6.0, rect.bottom() - 10.0),
            pos2(ph_x + 6.0, rect.bottom() - 10.0),
            pos2(ph_x, rect.bottom()),
        ],
        Color32::from_rgb(255, 80, 60),
        Stroke::NONE,
    ));
    if response.drag_started()
        && let Some(pos) = ui
            .input(|i| i.pointer.press_origin())
            .or(response.interact_pointer_pos())
    {
        state.drag = Some(if (pos.x - ph_x).abs() <= 7.0 {
            Drag::Scrub
        } else {
            Drag::Range {
                start: snap(editor, at(pos), map, &[]).0,
            }
        });
    }
    if matches!(state.drag, Some(Drag::Scrub))
        && response.dragged()
        && let Some(pos) = response.interact_pointer_pos()
    {
        let s = SamplePos(map.sample(pos.x).max(0.0).round() as i64);
        if s != editor.playhead() {
            if editor.is_playing() {
                editor.locate(s);
            } else {
                // Stopped: a short burst of sound from each new position.
                editor.scrub(s);
            }
        }
    }
    if let (Some(Drag::Range { start }), Some(pos)) = (&state.drag, response.interact_pointer_pos())
        && response.dragged()
    {
        let (end, _) = snap(editor, at(pos), map, &[]);
        let (a, b) = if end < *start {
            (end, *start)
        } else {
            (*start, end)
        };
        if b > a {
            editor.transport.loop_range = Some((a, b));
        }
        // Stopped, the cursor follows the pointer so the picture shows the
        // frame under it; it goes back to the range start on release.
        if !editor.is_playing() && end != editor.playhead() {
            editor.locate(end);
        }
    }
    if response.drag_stopped() {
        if matches!(state.drag, Some(Drag::Range { .. })) {
            let on = editor.transport.loop_on;
            let range = editor.transport.loop_range;
            editor.set_loop(on, range);
            if let Some((a, _)) = range {
                editor.locate(a);
            }
        }
        state.drag = None;
    }
    if response.clicked()
        && !marker_hit
        && let Some(pos) = response.interact_pointer_pos()
    {
        editor.locate(at(pos));
    }
}

fn marker_rename_window(ui: &egui::Ui, editor: &mut Editor, state: &mut TimelineState) {
    let Some((id, mut edit)) = state.renaming_marker.take() else {
        return;
    };
    let mut keep = true;
    let mut commit = false;
    egui::Window::new("Rename marker")
        .collapsible(false)
        .resizable(false)
        .show(ui.ctx(), |ui| {
            match crate::widgets::line_edit(ui, &mut edit, "Marker name", 200.0) {
                crate::widgets::LineOutcome::Editing | crate::widgets::LineOutcome::Idle => {}
                crate::widgets::LineOutcome::Commit => commit = true,
                crate::widgets::LineOutcome::Cancel => keep = false,
            }
            ui.horizontal(|ui| {
                if ui.button("Rename").clicked() {
                    commit = true;
                }
                if ui.button("Cancel").clicked() {
                    keep = false;
                }
            });
        });
    if commit && keep {
        let name = edit.text.trim().to_owned();
        keep = false;
        let current = editor.project().markers.iter().find(|m| m.id == id);
        if !name.is_empty() && current.is_some_and(|m| m.name != name) {
            editor.apply(Command::RenameMarker { marker: id, name });
        }
    }
    if keep {
        state.renaming_marker = Some((id, edit));
    }
}

fn tracks_ui(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    state: &mut TimelineState,
    map: &Mapping,
    area: Rect,
    full: Rect,
) {
    let rows = track_rows(editor);
    let tracks: Vec<TrackId> = editor.project().tracks.iter().map(|t| t.id).collect();
    let clip_painter = ui.painter().with_clip_rect(area);
    let header_clip = Rect::from_min_max(
        pos2(full.left(), area.top()),
        pos2(area.left(), full.bottom()),
    );
    for (ti, tid) in tracks.iter().enumerate() {
        let (y, row_h) = rows[ti];
        let top = area.top() + y - editor.view.scroll_y;
        if top > full.bottom() || top + row_h < area.top() {
            continue;
        }
        // The clips' part of the row; the automation lanes below it.
        let h = editor.view.height_of(*tid);
        let lane = Rect::from_min_max(pos2(area.left(), top), pos2(area.right(), top + h));
        let selected = editor.selected_track == Some(*tid);
        let lane_fill = if selected {
            ui.visuals().faint_bg_color.gamma_multiply(1.6)
        } else {
            ui.visuals().faint_bg_color
        };
        clip_painter.rect_filled(lane.shrink2(vec2(0.0, 0.5)), 0.0, lane_fill);
        header_ui(
            ui,
            editor,
            state,
            *tid,
            Rect::from_min_max(pos2(full.left(), top), pos2(area.left(), top + h)),
            header_clip,
        );
        clips_ui(ui, editor, state, map, *tid, ti, lane, area);
        let lanes: Vec<dubstage_model::ParamId> = editor.view.lanes_of(*tid).to_vec();
        let lh = editor.view.lane_height;
        for (k, param) in lanes.into_iter().enumerate() {
            let y0 = top + h + k as f32 * lh;
            if y0 > full.bottom() || y0 + lh < area.top() {
                continue;
            }
            let rect = Rect::from_min_max(pos2(area.left(), y0), pos2(area.right(), y0 + lh))
                .intersect(area);
            let header = Rect::from_min_max(pos2(full.left(), y0), pos2(area.left(), y0 + lh))
                .intersect(header_clip);
            if rect.height() <= 1.0 {
                continue;
            }
            let mut ui_lane = ui.new_child(
                egui::UiBuilder::new()
                    .id_salt(("automation", *tid, param))
                    .max_rect(rect.union(header)),
            );
            crate::automation::lane_ui(
                &mut ui_lane,
                editor,
                &mut state.lanes,
                map,
                dubstage_model::StripId::Track(*tid),
                param,
                header,
                rect,
            );
        }
    }
    // The buses' and the master's lanes, in rows under the tracks.
    let mut y = rows.last().map_or(0.0, |(y, h)| y + h);
    let lh = editor.view.lane_height;
    let strip_rows = editor.view.strip_lanes.clone();
    for (strip, params) in strip_rows {
        let top = area.top() + y - editor.view.scroll_y;
        let name = editor.project().strip_name(strip);
        let name_row = Rect::from_min_max(
            pos2(full.left(), top),
            pos2(area.right(), top + crate::view::STRIP_ROW_HEADER),
        );
        if name_row.bottom() > area.top() && name_row.top() < full.bottom() {
            let painter = ui.painter().with_clip_rect(
                name_row.intersect(Rect::from_min_max(pos2(full.left(), area.top()), full.max)),
            );
            painter.rect_filled(name_row, 0.0, ui.visuals().faint_bg_color);
            painter.text(
                name_row.left_center() + vec2(8.0, 0.0),
                egui::Align2::LEFT_CENTER,
                format!("{name} (automation)"),
                egui::FontId::proportional(12.0),
                ui.visuals().strong_text_color(),
            );
        }
        for (k, param) in params.into_iter().enumerate() {
            let y0 = top + crate::view::STRIP_ROW_HEADER + k as f32 * lh;
            if y0 > full.bottom() || y0 + lh < area.top() {
                continue;
            }
            let rect = Rect::from_min_max(pos2(area.left(), y0), pos2(area.right(), y0 + lh))
                .intersect(area);
            let header = Rect::from_min_max(pos2(full.left(), y0), pos2(area.left(), y0 + lh))
                .intersect(header_clip);
            if rect.height() <= 1.0 {
                continue;
            }
            let mut ui_lane = ui.new_child(
                egui::UiBuilder::new()
                    .id_salt(("automation", format!("{strip:?}"), param))
                    .max_rect(rect.union(header)),
            );
            crate::automation::lane_ui(
                &mut ui_lane,
                editor,
                &mut state.lanes,
                map,
                strip,
                param,
                header,
                rect,
            );
        }
        y += editor.view.strip_rows_height_of(strip);
    }
    // Drop preview for a move across tracks.
    if let (Some(Drag::Move { clips, .. }), Some((dt, dtrack))) = (&state.drag, state.preview) {
        let p = editor.project();
        for (id, t0, pos0) in clips {
            let Some((_, c)) = p.clip(*id) else { continue };
            let ti = (*t0 as isize + dtrack).clamp(0, tracks.len() as isize - 1) as usize;
            let (y, h) = rows[ti];
            let top = area.top() + y - editor.view.scroll_y;
            let x0 = map.x((pos0.0 + dt) as f64);
            let x1 = map.x((pos0.0 + dt + c.length.0) as f64);
            let r = Rect::from_x_y_ranges(x0..=x1, top + 2.0..=top + h - 2.0);
            clip_painter.rect_stroke(r, 3.0, Stroke::new(2.0, Color32::WHITE), StrokeKind::Inside);
        }
    }
}

fn header_ui(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    state: &mut TimelineState,
    id: TrackId,
    rect: Rect,
    clip: Rect,
) {
    let Some(track) = editor.project().track(id).cloned() else {
        return;
    };
    let selected = editor.selected_track == Some(id);
    let colour = crate::widgets::colour_of(&track);
    let painter = ui.painter().with_clip_rect(clip);
    let fill = if selected {
        ui.visuals().selection.bg_fill.gamma_multiply(0.45)
    } else {
        ui.visuals().panel_fill
    };
    painter.rect_filled(rect.shrink(0.5), 0.0, fill);
    painter.rect_filled(
        Rect::from_min_size(
            rect.min,
            vec2(if selected { 8.0 } else { 5.0 }, rect.height()),
        ),
        0.0,
        colour,
    );
    painter.hline(
        rect.x_range(),
        rect.bottom(),
        Stroke::new(1.0, ui.visuals().window_stroke.color),
    );
    if !clip.intersects(rect) {
        return;
    }
    // The header itself: click selects the track, right-click opens its menu.
    let visible = rect.intersect(clip);
    let bg = ui.interact(
        visible,
        ui.scope_id().with(("header", id.0)),
        Sense::click(),
    );
    let header_label = format!("Track header {}", track.name);
    bg.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::Button, true, selected, &header_label)
    });
    if bg.clicked() || bg.secondary_clicked() {
        editor.selected_track = Some(id);
    }
    track_menu(&bg, editor, state, &track);
    // The lower edge: drag to change this track's height.
    let edge = Rect::from_min_max(pos2(rect.left(), rect.bottom() - 4.0), rect.max).intersect(clip);
    if edge.is_positive() {
        let er = ui.interact(edge, ui.scope_id().with(("height", id.0)), Sense::drag());
        let edge_label = format!("Height of {}", track.name);
        er.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, &edge_label));
        if er.hovered() || er.dragged() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeVertical);
        }
        if er.dragged() {
            let h = editor.view.height_of(id) + er.drag_delta().y;
            editor.view.set_height(id, h);
        }
    }
    let inner = rect.shrink2(vec2(4.0, 4.0)).translate(vec2(6.0, 0.0));
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(inner)
            .layout(egui::Layout::top_down(egui::Align::Min)),
    );
    child.set_clip_rect(clip.intersect(rect));
    // Text in the header is not selectable: a click or right-click anywhere
    // on it reaches the header (select, menu).
    child.style_mut().interaction.selectable_labels = false;
    let ui = &mut child;
    let renaming = state.renaming.as_mut().filter(|(t, _)| *t == id);
    if let Some((_, edit)) = renaming {
        match crate::widgets::line_edit(ui, edit, &format!("Name of {}", track.name), 150.0) {
            crate::widgets::LineOutcome::Editing | crate::widgets::LineOutcome::Idle => {}
            crate::widgets::LineOutcome::Cancel => state.renaming = None,
            crate::widgets::LineOutcome::Commit => {
                let name = edit.text.trim().to_owned();
                state.renaming = None;
                if !name.is_empty() && name != track.name {
                    editor.apply(Command::RenameTrack { track: id, name });
                }
            }
        }
    } else {
        let r = ui
            .add(egui::Label::new(egui::RichText::new(&track.name).strong()).sense(Sense::click()))
            .on_hover_text(format!(
                "{} track — double-click to rename, right-click for more",
                track.kind.label()
            ));
        if r.clicked() {
            editor.selected_track = Some(id);
        }
        if r.double_clicked() {
            state.start_rename(id, &track.name);
        }
        track_menu(&r, editor, state, &track);
    }
    // The mute/solo row only where it fits (short tracks show their name).
    if rect.height() < 46.0 {
        return;
    }
    ui.horizontal(|ui| {
        if crate::widgets::toggle(ui, track.mute, "M", &format!("Mute {}", track.name)).clicked() {
            editor.apply(Command::SetParam {
                id: ParamId::Mute(StripId::Track(id)),
                value: if !track.mute { 1.0 } else { 0.0 },
            });
        }
        if crate::widgets::toggle(ui, track.solo, "S", &format!("Solo {}", track.name)).clicked() {
            editor.apply(Command::SetParam {
                id: ParamId::Solo(id),
                value: if !track.solo { 1.0 } else { 0.0 },
            });
        }
        let gain = editor
            .transport
            .live
            .get(&ParamId::Fader(StripId::Track(id)))
            .copied()
            .unwrap_or(track.gain_db);
        ui.label(
            egui::RichText::new(format!(
                "{} dB {}",
                crate::widgets::db_text(gain),
                pan_text(track.pan)
            ))
            .small()
            .monospace(),
        );
    });
}

/// The track's context menu: rename, kind, colour, height, delete.
fn track_menu(
    r: &egui::Response,
    editor: &mut Editor,
    state: &mut TimelineState,
    track: &dubstage_model::Track,
) {
    let id = track.id;
    r.context_menu(|ui| {
        if ui.button("Rename…").clicked() {
            state.start_rename(id, &track.name);
            ui.close();
        }
        ui.menu_button("Kind", |ui| {
            for kind in dubstage_model::TrackKind::ALL {
                if ui.radio(track.kind == kind, kind.label()).clicked() {
                    editor.apply(Command::SetTrackKind {
                        track: id,
                        kind,
                        output: None,
                    });
                    ui.close();
                }
            }
        });
        ui.menu_button("Colour", |ui| {
            if ui.radio(track.colour.is_none(), "Kind's colour").clicked() {
                editor.apply(Command::SetTrackColour {
                    track: id,
                    colour: None,
                });
                ui.close();
            }
            for (name, rgb) in crate::widgets::TRACK_PALETTE {
                let text =
                    egui::RichText::new(name).color(Color32::from_rgb(rgb[0], rgb[1], rgb[2]));
                if ui.radio(track.colour == Some(rgb), text).clicked() {
                    editor.apply(Command::SetTrackColour {
                        track: id,
                        colour: Some(rgb),
                    });
                    ui.close();
                }
            }
        });
        ui.menu_button("Automation", |ui| {
            for (group, params) in crate::automation::lanes_for(editor.project(), id) {
                let mut show = |ui: &mut egui::Ui, params: &[(dubstage_model::ParamId, String)]| {
                    for (param, label) in params {
                        let mut on = editor.view.lanes_of(id).contains(param);
                        let has = editor.project().lane(*param).is_some();
                        let text = if has {
                            format!("{label} •")
                        } else {
                            label.clone()
                        };
                        if ui.checkbox(&mut on, text).changed() {
                            editor.view.toggle_lane(id, *param);
                        }
                    }
                };
                if group == "Track" {
                    show(ui, &params);
                } else {
                    ui.menu_button(group, |ui| show(ui, &params));
                }
            }
            ui.separator();
            ui.menu_button("Lane Height", |ui| {
                for (name, h) in [
                    ("Small", 32.0),
                    ("Medium", 48.0),
                    ("Large", 80.0),
                    ("Extra Large", 140.0),
                ] {
                    if ui
                        .radio((editor.view.lane_height - h).abs() < 0.5, name)
                        .clicked()
                    {
                        editor.view.lane_height = h;
                        ui.close();
                    }
                }
            });
            if ui
                .add_enabled(
                    !editor.view.lanes_of(id).is_empty(),
                    egui::Button::new("Hide All Lanes"),
                )
                .clicked()
            {
                editor.view.lanes.remove(&id);
                ui.close();
            }
        });
        ui.menu_button("Height", |ui| {
            let current = editor.view.height_of(id);
            for (name, h) in crate::editor::TRACK_HEIGHTS {
                if ui.radio((current - h).abs() < 0.5, name).clicked() {
                    editor.view.set_height(id, h);
                    ui.close();
                }
            }
        });
        ui.separator();
        if ui.button("Delete Track").clicked() {
            editor.apply(Command::RemoveTrack { track: id });
            ui.close();
        }
    });
}

#[expect(
    clippy::too_many_arguments,
    reason = "one lane of the timeline needs all of these"
)]
fn clips_ui(
    ui: &mut egui::Ui,
    editor: &mut Editor,
    state: &mut TimelineState,
    map: &Mapping,
    tid: TrackId,
    ti: usize,
    lane: Rect,
    area: Rect,
) {
    let Some(track) = editor.project().track(tid).cloned() else {
        return;
    };
    let colour = track_colour(track.kind);
    let painter = ui.painter().with_clip_rect(area);
    for c in &track.clips {
        let x0 = map.x(c.position.0 as f64);
        let x1 = map.x(c.end().0 as f64);
        if x1 < area.left() || x0 > area.right() {
            continue;
        }
        let rect = Rect::from_x_y_ranges(
            x0..=x1.max(x0 + 2.0),
            lane.top() + 2.0..=lane.bottom() - 2.0,
        );
        let selected = editor.selection.contains(&c.id);
        let offline =
            editor.offline.contains_key(&c.media) || editor.sources.get(c.media).is_none();
        let name = if c.name.is_empty() {
            editor
                .project()
                .media(c.media)
                .map_or("clip".to_owned(), |m| m.name.clone())
        } else {
            c.name.clone()
        };
        // Paint.
        let fill = if offline {
            Color32::from_gray(60)
        } else if selected {
            colour.gamma_multiply(0.75)
        } else {
            colour.gamma_multiply(0.42)
        };
        painter.rect_filled(rect, 3.0, fill);
        if offline {
            let mut x = rect.left() - rect.height();
            while x < rect.right() {
                painter.line_segment(
                    [pos2(x, rect.bottom()), pos2(x + rect.height(), rect.top())],
                    Stroke::new(1.0, Color32::from_gray(90)),
                );
                x += 8.0;
            }
        } else if let Some(pk) = editor.peaks.get(&c.media) {
            let zoom = editor.view.waveform_zoom;
            draw_waveform(&painter, pk, c, map, rect, area, zoom, &mut state.columns);
        }
        let stroke = if selected {
            Stroke::new(2.0, Color32::WHITE)
        } else {
            Stroke::new(1.0, colour)
        };
        painter.rect_stroke(rect, 3.0, stroke, StrokeKind::Inside);
        let label = if offline {
            format!("{name} (offline)")
        } else {
            name.clone()
        };
        // The name stays inside its clip (a neighbour's name is not overdrawn).
        painter
            .with_clip_rect(rect.shrink(1.0).intersect(area))
            .text(
                rect.left_top() + vec2(4.0, 2.0),
                egui::Align2::LEFT_TOP,
                &label,
                egui::FontId::proportional(11.0),
                Color32::WHITE,
            );
        // Fades.
        let fade_x_in = map.x((c.position.0 + c.fade_in.length.0) as f64);
        let fade_x_out = map.x((c.end().0 - c.fade_out.length.0) as f64);
        let fade_stroke = Stroke::new(1.0, Color32::from_white_alpha(180));
        if c.fade_in.length.0 > 0 {
            painter.line_segment(
                [rect.left_bottom(), pos2(fade_x_in, rect.top())],
                fade_stroke,
            );
        }
        if c.fade_out.length.0 > 0 {
            painter.line_segment(
                [pos2(fade_x_out, rect.top()), rect.right_bottom()],
                fade_stroke,
            );
        }
        let h_in = Rect::from_center_size(
            pos2(
                fade_x_in.max(rect.left() + HANDLE / 2.0),
                rect.top() + HANDLE / 2.0,
            ),
            vec2(HANDLE, HANDLE),
        );
        let h_out = Rect::from_center_size(
            pos2(
                fade_x_out.min(rect.right() - HANDLE / 2.0),
                rect.top() + HANDLE / 2.0,
            ),
            vec2(HANDLE, HANDLE),
        );
        let gain_h =
            Rect::from_center_size(pos2(rect.center().x, rect.top() + 12.0), vec2(34.0, 10.0));
        if rect.width() > 40.0 {
            painter.rect_filled(h_in, 1.0, Color32::from_white_alpha(140));
            painter.rect_filled(h_out, 1.0, Color32::from_white_alpha(140));
        }
        let gain_shown = rect.width() > 160.0 && rect.height() >= 48.0;
        if gain_shown {
            painter.text(
                gain_h.center(),
                egui::Align2::CENTER_CENTER,
                format!("{:+.1} dB", c.gain_db),
                egui::FontId::monospace(10.0),
                Color32::from_white_alpha(200),
            );
        }
        // The clip-gain envelope: a line over the waveform (0 dB when it
        // has no points), its points to drag.
        let envelope: Vec<dubstage_model::EnvPoint> = match &state.envelope_preview {
            Some((id, pts)) if *id == c.id => pts.clone(),
            _ => c.gain_envelope.clone(),
        };
        let env_rect = rect.shrink2(vec2(0.0, 3.0));
        let env_y =
            |db: f32| env_rect.bottom() - crate::automation::Scale::Db.norm(db) * env_rect.height();
        let env_x = |at: i64| map.x((c.position.0 + at - c.source_offset.0) as f64);
        let env_points: Vec<Pos2> = envelope
            .iter()
            .map(|e| pos2(env_x(e.at.0), env_y(e.db)))
            .collect();
        let show_env = editor.view.clip_gain_lines && rect.height() >= 30.0;
        if show_env {
            let env_colour = Color32::from_rgb(255, 200, 90);
            let mut line = Vec::new();
            let mut x = rect.left().max(area.left());
            let right = rect.right().min(area.right());
            while x <= right {
                let t = map.sample(x).round() as i64;
                let s = c.source_offset.0 + (t - c.position.0);
                let db = dubstage_model::automation::envelope_db(&envelope, s) as f32;
                line.push(pos2(x, env_y(db)));
                x += 3.0;
            }
            let alpha = if envelope.is_empty() { 0.35 } else { 0.9 };
            painter.add(egui::Shape::line(
                line,
                Stroke::new(1.2, env_colour.gamma_multiply(alpha)),
            ));
            for pt in &env_points {
                if rect.contains(*pt) {
                    painter.circle_filled(*pt, 3.5, env_colour);
                }
            }
        }
        let env_hit = |p: Pos2| {
            if !show_env {
                return None;
            }
            env_points.iter().position(|q| q.distance(p) <= 6.0)
        };
        // Interact.
        let id = ui.scope_id().with(("clip", c.id.0));
        let r = ui.interact(rect.intersect(area), id, Sense::click_and_drag());
        let accessible = if offline {
            format!("{name} clip, offline")
        } else {
            format!("{name} clip")
        };
        r.widget_info(|| {
            egui::WidgetInfo::selected(egui::Role::Button, true, selected, &accessible)
        });
        let hover = r.hover_pos();
        let zone = |p: Pos2| {
            if let Some(i) = env_hit(p) {
                Zone::Envelope(i)
            } else if rect.width() > 40.0 && h_in.expand(2.0).contains(p) {
                Zone::FadeIn
            } else if rect.width() > 40.0 && h_out.expand(2.0).contains(p) {
                Zone::FadeOut
            } else if gain_shown && gain_h.contains(p) {
                Zone::Gain
            } else if p.x - rect.left() < EDGE {
                Zone::TrimStart
            } else if rect.right() - p.x < EDGE {
                Zone::TrimEnd
            } else {
                Zone::Body
            }
        };
        if let Some(p) = hover {
            state.hover = Some((c.id, SamplePos(map.sample(p.x).round() as i64)));
            let icon = match zone(p) {
                Zone::TrimStart | Zone::TrimEnd | Zone::FadeIn | Zone::FadeOut => {
                    egui::CursorIcon::ResizeHorizontal
                }
                Zone::Gain => egui::CursorIcon::ResizeVertical,
                Zone::Envelope(_) => egui::CursorIcon::Move,
                Zone::Body => egui::CursorIcon::Grab,
            };
            ui.ctx().set_cursor_icon(icon);
        }
        // Alt+click: a clip-gain point at the pointer, or off the point
        // under it.
        let alt_click = r.clicked() && ui.input(|i| i.modifiers.alt) && show_env;
        if alt_click && let Some(p) = r.interact_pointer_pos() {
            let mut pts = c.gain_envelope.clone();
            match env_hit(p) {
                Some(i) => {
                    pts.remove(i);
                }
                None => {
                    let t = map.sample(p.x).round() as i64;
                    let at = c.source_offset.0 + (t - c.position.0);
                    let n = (env_rect.bottom() - p.y) / env_rect.height().max(1.0);
                    let db = crate::automation::Scale::Db.value(n).clamp(-144.0, 24.0);
                    let db = (db * 10.0).round() / 10.0;
                    pts.retain(|e| e.at.0 != at);
                    pts.push(dubstage_model::EnvPoint {
                        at: SamplePos(at),
                        db,
                    });
                }
            }
            editor.apply(Command::SetClipEnvelope {
                clip: c.id,
                points: pts,
            });
        } else if r.clicked() {
            let m = ui.input(|i| i.modifiers);
            if m.shift || m.command {
                if !editor.selection.remove(&c.id) {
                    editor.selection.insert(c.id);
                }
            } else {
                editor.selection.clear();
                editor.selection.insert(c.id);
            }
            editor.selected_track = Some(tid);
        }
        if r.secondary_clicked() {
            // The clip under a right-click is the one the menu acts on.
            if !editor.selection.contains(&c.id) {
                editor.selection.clear();
                editor.selection.insert(c.id);
            }
            editor.selected_track = Some(tid);
        }
        clip_menu(&r, editor, state, c);
        if r.drag_started()
            && let Some(p) = ui
                .input(|i| i.pointer.press_origin())
                .or(r.interact_pointer_pos())
        {
            let origin = map.sample(p.x);
            // Trimming, fading or changing the gain of a clip selects it
            // (so S, Delete and nudges act on the clip just touched).
            if !editor.selection.contains(&c.id) {
                editor.selection.clear();
                editor.selection.insert(c.id);
            }
            editor.selected_track = Some(tid);
            state.drag = Some(match zone(p) {
                Zone::Envelope(index) => Drag::Envelope {
                    clip: c.id,
                    original: c.gain_envelope.clone(),
                    index,
                    start: p,
                },
                Zone::FadeIn => Drag::FadeIn { clip: c.id },
                Zone::FadeOut => Drag::FadeOut { clip: c.id },
                Zone::Gain => Drag::Gain {
                    clip: c.id,
                    start_db: c.gain_db,
                    start_y: p.y,
                },
                Zone::TrimStart => Drag::TrimStart {
                    clip: c.id,
                    origin,
                    edge: c.position,
                },
                Zone::TrimEnd => Drag::TrimEnd {
                    clip: c.id,
                    origin,
                    edge: c.end(),
                },
                Zone::Body => {
                    let p2 = editor.project();
                    let clips = editor
                        .selection
                        .iter()
                        .filter_map(|id| p2.clip(*id))
                        .map(|(t, cl)| (cl.id, p2.track_index(t.id).unwrap_or(0), cl.position))
                        .collect();
                    Drag::Move {
                        start_sample: origin,
                        start_track: ti,
                        copy: ui.input(|i| i.modifiers.alt),
                        clips,
                    }
                }
            });
        }
        if r.dragged()
            && let Some(p) = r.interact_pointer_pos()
        {
            drag_update(editor, state, map, area, p);
        }
        if r.drag_stopped() {
            drag_finish(editor, state, map, area, r.interact_pointer_pos());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Zone {
    /// A clip-gain envelope point.
    Envelope(usize),
    FadeIn,
    FadeOut,
    Gain,
    TrimStart,
    TrimEnd,
    Body,
}

/// The clip's context menu: rename, typed gain / fades / start, fade
/// shapes, channels, split, delete.
fn clip_menu(
    r: &egui::Response,
    editor: &mut Editor,
    state: &mut TimelineState,
    c: &dubstage_model::Clip,
) {
    let clip = c.id;
    let (fi, fo) = (c.fade_in, c.fade_out);
    r.context_menu(|ui| {
        for (label, field) in [
            ("Rename…", ClipField::Name),
            ("Clip Gain…", ClipField::Gain),
            ("Fade Lengths…", ClipField::FadeIn),
            ("Spot to Timecode…", ClipField::Start),
        ] {
            if ui.button(label).clicked() {
                state.clip_props = Some(ClipProps::new(editor, clip, field));
                ui.close();
            }
        }
        ui.separator();
        for (title, is_in) in [("Fade-in Shape", true), ("Fade-out Shape", false)] {
            let current = if is_in { fi.shape } else { fo.shape };
            ui.menu_button(title, |ui| {
                for shape in FadeShape::ALL {
                    if ui.radio(current == shape, shape.label()).clicked() {
                        let (fade_in, fade_out) = if is_in {
                            (Fade::new(fi.length, shape), fo)
                        } else {
                            (fi, Fade::new(fo.length, shape))
                        };
                        editor.apply(Command::SetClipFades {
                            clip,
                            fade_in,
                            fade_out,
                        });
                        ui.close();
                    }
                }
            });
        }
        ui.menu_button("Channels", |ui| {
            let channels = editor
                .project()
                .media(c.media)
                .map_or(2, |m| m.channels)
                .max(1);
            let mut choice = None;
            if channels >= 2
                && ui
                    .radio(c.channels == ClipChannels::Stereo, "Stereo (1–2)")
                    .clicked()
            {
                choice = Some(ClipChannels::Stereo);
            }
            for ch in 0..channels {
                let this = ClipChannels::Mono(ch);
                if ui
                    .radio(c.channels == this, format!("Mono: channel {}", ch + 1))
                    .clicked()
                {
                    choice = Some(this);
                }
            }
            if let Some(ch) = choice {
                editor.apply(Command::SetClipChannels { clip, channels: ch });
                ui.close();
            }
        });
        ui.separator();
        if ui.button("Split at Playhead").clicked() {
            editor.split_at_playhead();
            ui.close();
        }
        if ui.button("Delete").clicked() {
            editor.apply(Command::RemoveClip { clip });
            ui.close();
        }
    });
}

/// A field of the clip window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipField {
    Name,
    Gain,
    FadeIn,
    FadeOut,
    Start,
}

/// The clip window: name, gain (dB), fade lengths (frames or timecode),
/// start (timecode), typed in. Each field applies on Enter or when it
/// loses focus, as one undo step.
#[derive(Debug, Clone)]
pub struct ClipProps {
    pub clip: ClipId,
    fields: [(ClipField, crate::widgets::LineEdit); 5],
}

impl ClipProps {
    pub fn new(editor: &Editor, clip: ClipId, focus: ClipField) -> ClipProps {
        let values = clip_values(editor, clip);
        let field = |f: ClipField, i: usize| {
            let text = values.get(i).cloned().unwrap_or_default();
            if f == focus {
                (f, crate::widgets::LineEdit::new(text))
            } else {
                (f, crate::widgets::LineEdit::idle(text))
            }
        };
        ClipProps {
            clip,
            fields: [
                field(ClipField::Name, 0),
                field(ClipField::Gain, 1),
                field(ClipField::FadeIn, 2),
                field(ClipField::FadeOut, 3),
                field(ClipField::Start, 4),
            ],
        }
    }
}

/// The clip's values as the clip window shows them.
fn clip_values(editor: &Editor, clip: ClipId) -> Vec<String> {
    let p = editor.project();
    let Some((_, c)) = p.clip(clip) else {
        return Vec::new();
    };
    let map = p.time_map();
    let frames = |len: SampleLen| {
        let f = map.frame_at(SamplePos(len.0));
        let start = map.frame_start(f).0;
        if start == len.0 {
            format!("{f}")
        } else {
            let next = map.frame_start(f + 1).0;
            format!(
                "{:.2}",
                f as f64 + (len.0 - start) as f64 / (next - start).max(1) as f64
            )
        }
    };
    vec![
        c.name.clone(),
        format!("{:.1}", c.gain_db),
        frames(c.fade_in.length),
        frames(c.fade_out.length),
        map.timecode_at(c.position).to_string(),
    ]
}

/// Parses a length typed as frames (`12`, `12.5`) or as a duration timecode
/// (`00:00:01:12`).
fn parse_length(text: &str, map: &dubstage_model::TimeMap) -> Result<SampleLen, String> {
    let t = text.trim();
    if t.contains(':') || t.contains(';') {
        // A duration as timecode: its frame count at the project rate.
        let tc = dubstage_model::Timecode::parse(t).map_err(|e| e.to_string())?;
        let frames = tc.to_frames(map.frame_rate).map_err(|e| e.to_string())?;
        return Ok(SampleLen(map.frame_start(frames).0));
    }
    let frames: f64 = t
        .parse()
        .map_err(|_| format!("\"{t}\" is not a number of frames or a timecode"))?;
    if !(0.0..=1.0e7).contains(&frames) {
        return Err(format!("{t} frames is out of range"));
    }
    let whole = frames.floor();
    let start = map.frame_start(whole as i64).0;
    let next = map.frame_start(whole as i64 + 1).0;
    Ok(SampleLen(
        start + ((frames - whole) * (next - start) as f64).round() as i64,
    ))
}

/// Draws the clip window; closes when the clip is gone or on Close / Escape.
pub fn clip_window(ctx: &egui::Context, editor: &mut Editor, state: &mut TimelineState) {
    let Some(mut props) = state.clip_props.take() else {
        return;
    };
    let Some((_, c)) = editor
        .project()
        .clip(props.clip)
        .map(|(t, c)| (t.id, c.clone()))
    else {
        return;
    };
    let mut open = true;
    let mut close = false;
    let mut commits: Vec<(ClipField, String)> = Vec::new();
    egui::Window::new("Clip")
        .default_pos(ctx.content_rect().center())
        .pivot(egui::Align2::CENTER_CENTER)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("clip fields")
                .num_columns(2)
                .show(ui, |ui| {
                    for (field, edit) in &mut props.fields {
                        let label = match field {
                            ClipField::Name => "Clip name",
                            ClipField::Gain => "Clip gain (dB)",
                            ClipField::FadeIn => "Fade in (frames or timecode)",
                            ClipField::FadeOut => "Fade out (frames or timecode)",
                            ClipField::Start => "Start timecode",
                        };
                        ui.label(label);
                        match crate::widgets::line_edit(ui, edit, label, 160.0) {
                            crate::widgets::LineOutcome::Commit => {
                                commits.push((*field, edit.text.clone()));
                            }
                            crate::widgets::LineOutcome::Cancel => close = true,
                            _ => {}
                        }
                        ui.end_row();
                    }
                });
            if ui.button("Close").clicked() {
                close = true;
            }
        });
    let any_active = props.fields.iter().any(|(_, e)| e.is_active());
    if !any_active && ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
        close = true;
    }
    for (field, text) in commits {
        apply_clip_field(editor, &c, field, &text);
    }
    // Show the values as they are now (after the edit or its refusal).
    let values = clip_values(editor, props.clip);
    for (i, (_, edit)) in props.fields.iter_mut().enumerate() {
        if !edit.is_active()
            && let Some(v) = values.get(i)
        {
            edit.text.clone_from(v);
        }
    }
    if open && !close {
        state.clip_props = Some(props);
    }
}

fn apply_clip_field(editor: &mut Editor, c: &dubstage_model::Clip, field: ClipField, text: &str) {
    let map = editor.project().time_map();
    let clip = c.id;
    let t = text.trim();
    match field {
        ClipField::Name => {
            if t != c.name {
                editor.apply(Command::RenameClip {
                    clip,
                    name: t.to_owned(),
                });
            }
        }
        ClipField::Gain => match t.trim_end_matches("dB").trim().parse::<f32>() {
            Ok(db) if db.is_finite() => {
                if (db - c.gain_db).abs() > 1e-4 {
                    editor.apply(Command::SetClipGain { clip, gain_db: db });
                }
            }
            _ => editor.notify(format!("\"{t}\" is not a gain in dB"), true),
        },
        ClipField::FadeIn | ClipField::FadeOut => match parse_length(t, &map) {
            Ok(len) => {
                let len = SampleLen(len.0.clamp(0, c.length.0));
                let (mut fi, mut fo) = (c.fade_in, c.fade_out);
                if field == ClipField::FadeIn {
                    fi.length = len;
                } else {
                    fo.length = len;
                }
                if fi != c.fade_in || fo != c.fade_out {
                    editor.apply(Command::SetClipFades {
                        clip,
                        fade_in: fi,
                        fade_out: fo,
                    });
                }
            }
            Err(e) => editor.notify(e, true),
        },
        ClipField::Start => {
            match dubstage_model::Timecode::parse(t)
                .map_err(|e| e.to_string())
                .and_then(|tc| map.samples_at(tc).map_err(|e| e.to_string()))
            {
                Ok(position) => {
                    if position != c.position {
                        let track = editor.project().clip(clip).map(|(t, _)| t.id);
                        if let Some(track) = track {
                            editor.apply(Command::MoveClip {
                                clip,
                                track,
                                position,
                            });
                        }
                    }
                }
                Err(e) => editor.notify(e, true),
            }
        }
    }
}

fn drag_update(editor: &mut Editor, state: &mut TimelineState, map: &Mapping, area: Rect, p: Pos2) {
    let s = SamplePos(map.sample(p.x).round() as i64);
    state.snap_guide = None;
    match state.drag.clone() {
        Some(Drag::Move {
            start_sample,
            start_track,
            clips,
            ..
        }) => {
            let mut dt = (map.sample(p.x) - start_sample).round() as i64;
            // Snap the first clip's start (or end) to the nearest target.
            if let Some((id, _, pos0)) = clips.first() {
                let ids: Vec<ClipId> = clips.iter().map(|c| c.0).collect();
                let len = editor.project().clip(*id).map_or(0, |(_, c)| c.length.0);
                let (a, ga) = snap(editor, SamplePos(pos0.0 + dt), map, &ids);
                let (b, gb) = snap(editor, SamplePos(pos0.0 + dt + len), map, &ids);
                if ga.is_some() {
                    dt = a.0 - pos0.0;
                    state.snap_guide = ga;
                } else if gb.is_some() {
                    dt = b.0 - len - pos0.0;
                    state.snap_guide = gb;
                }
            }
            let ti = track_at(editor, area, p.y).unwrap_or(start_track) as isize;
            state.preview = Some((dt, ti - start_track as isize));
        }
        Some(Drag::TrimStart { clip, origin, edge })
        | Some(Drag::TrimEnd { clip, origin, edge }) => {
            let moved = SamplePos(edge.0 + (map.sample(p.x) - origin).round() as i64);
            let (t, g) = snap(editor, moved, map, &[clip]);
            state.snap_guide = g;
            state.preview = Some((t.0, 0));
        }
        Some(Drag::FadeIn { .. })
        | Some(Drag::FadeOut { .. })
        | Some(Drag::Range { .. })
        | Some(Drag::Scrub) => {
            state.preview = Some((s.0, 0));
        }
        Some(Drag::Envelope {
            clip,
            original,
            index,
            start,
        }) => {
            let Some((track, c)) = editor.project().clip(clip) else {
                return;
            };
            let h = (editor.view.height_of(track.id) - 10.0).max(10.0);
            let Some(e) = original.get(index).copied() else {
                return;
            };
            let scale = crate::automation::Scale::Db;
            let n = scale.norm(e.db) - (p.y - start.y) / h;
            let db = ((scale.value(n) * 10.0).round() / 10.0).clamp(-144.0, 24.0);
            let dt = (map.sample(p.x) - map.sample(start.x)).round() as i64;
            // Within the clip's part of the source.
            let lo = c.source_offset.0;
            let hi = c.source_offset.0 + c.length.0 - 1;
            let mut pts = original.clone();
            pts[index] = dubstage_model::EnvPoint {
                at: SamplePos((e.at.0 + dt).clamp(lo.min(e.at.0), hi.max(e.at.0))),
                db,
            };
            state.envelope_preview = Some((clip, pts));
            state.preview = Some((0, 0));
        }
        Some(Drag::Gain {
            start_db,
            start_y,
            clip,
        }) => {
            let db = (start_db + (start_y - p.y) * 0.2).clamp(-60.0, 24.0);
            let db = (db * 10.0).round() / 10.0;
            state.preview = Some(((db * 10.0) as i64, 0));
            let _ = clip;
        }
        None => {}
    }
}

fn drag_finish(
    editor: &mut Editor,
    state: &mut TimelineState,
    map: &Mapping,
    area: Rect,
    p: Option<Pos2>,
) {
    if let Some(p) = p {
        drag_update(editor, state, map, area, p);
    }
    let drag = state.drag.take();
    let preview = state.preview.take();
    state.snap_guide = None;
    let (Some(drag), Some((v, dtrack))) = (drag, preview) else {
        return;
    };
    let project = editor.project();
    let n_tracks = project.tracks.len() as isize;
    match drag {
        Drag::Move { clips, copy, .. } => {
            if v == 0 && dtrack == 0 {
                return;
            }
            // Automation follows clips moved along their own track.
            let follow = if copy || dtrack != 0 {
                Vec::new()
            } else {
                let moves: Vec<(ClipId, i64)> = clips.iter().map(|(id, _, _)| (*id, v)).collect();
                editor.automation_following(&moves)
            };
            let project = editor.project();
            let mut cmds: Vec<Command> = clips
                .iter()
                .map(|(id, t0, pos0)| {
                    let ti = (*t0 as isize + dtrack).clamp(0, n_tracks - 1) as usize;
                    let track = project.tracks[ti].id;
                    let position = SamplePos(pos0.0 + v);
                    if copy {
                        Command::DuplicateClip {
                            clip: *id,
                            to: Some((track, position)),
                        }
                    } else {
                        Command::MoveClip {
                            clip: *id,
                            track,
                            position,
                        }
                    }
                })
                .collect();
            cmds.extend(follow);
            editor.apply_group(if copy { "Copy Clips" } else { "Move Clips" }, cmds);
        }
        Drag::TrimStart { clip, .. } => {
            editor.apply(Command::TrimClipStart {
                clip,
                position: SamplePos(v),
            });
        }
        Drag::TrimEnd { clip, .. } => {
            editor.apply(Command::TrimClipEnd {
                clip,
                end: SamplePos(v),
            });
        }
        Drag::FadeIn { clip } | Drag::FadeOut { clip } => {
            let Some((_, c)) = project.clip(clip) else {
                return;
            };
            let (mut fi, mut fo) = (c.fade_in, c.fade_out);
            if matches!(drag, Drag::FadeIn { .. }) {
                fi.length = SampleLen((v - c.position.0).clamp(0, c.length.0));
            } else {
                fo.length = SampleLen((c.end().0 - v).clamp(0, c.length.0));
            }
            editor.apply(Command::SetClipFades {
                clip,
                fade_in: fi,
                fade_out: fo,
            });
        }
        Drag::Gain { clip, .. } => {
            editor.apply(Command::SetClipGain {
                clip,
                gain_db: v as f32 / 10.0,
            });
        }
        Drag::Envelope { clip, .. } => {
            if let Some((id, pts)) = state.envelope_preview.take()
                && id == clip
            {
                editor.apply(Command::SetClipEnvelope { clip, points: pts });
            }
        }
        Drag::Range { .. } | Drag::Scrub => {}
    }
}

/// Draws a clip's waveform from the peak pyramid level that matches the
/// zoom (one min/max per point column; never raw samples at wide zoom),
/// scaled by the clip gain and the vertical waveform zoom.
#[expect(
    clippy::too_many_arguments,
    reason = "a waveform needs its clip, mapping, rectangles and zoom"
)]
fn draw_waveform(
    painter: &egui::Painter,
    peaks: &PeakPyramid,
    c: &dubstage_model::Clip,
    map: &Mapping,
    rect: Rect,
    area: Rect,
    zoom: f32,
    columns: &mut Vec<(f32, f32)>,
) {
    let channels: Vec<usize> = match c.channels {
        ClipChannels::Mono(ch) => vec![usize::from(ch)],
        ClipChannels::Stereo => (0..peaks.channels().min(2)).collect(),
    };
    if channels.is_empty() {
        return;
    }
    let gain = dubstage_dsp_gain(c.gain_db) * zoom;
    let body = Rect::from_min_max(rect.min + vec2(0.0, 14.0), rect.max);
    let lane_h = body.height() / channels.len() as f32;
    let x_start = rect.left().max(area.left()).floor();
    let x_end = rect.right().min(area.right()).ceil();
    let n = (x_end - x_start).max(0.0) as usize;
    columns.resize(n, (0.0, 0.0));
    // Source sample at the left edge of the first column.
    let start = c.source_offset.0 as f64 + (map.sample(x_start) - c.position.0 as f64);
    let colour = Color32::from_white_alpha(150);
    // One mesh per clip (a quad per column) tessellates far faster than a
    // shape per column.
    let mut mesh = egui::Mesh::default();
    mesh.reserve_triangles(n * 2 * channels.len());
    mesh.reserve_vertices(n * 4 * channels.len());
    for (k, ch) in channels.iter().enumerate() {
        peaks.columns(*ch, start, map.spp, columns);
        let mid = body.top() + lane_h * (k as f32 + 0.5);
        let half = lane_h * 0.48;
        for (i, (lo, hi)) in columns.iter().enumerate() {
            let x = x_start + i as f32;
            let y0 = mid - (hi * gain).clamp(-1.0, 1.0) * half;
            let y1 = (mid - (lo * gain).clamp(-1.0, 1.0) * half).max(y0 + 1.0);
            mesh.add_colored_rect(Rect::from_min_max(pos2(x, y0), pos2(x + 1.0, y1)), colour);
        }
    }
    painter.add(egui::Shape::mesh(mesh));
}

fn dubstage_dsp_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

fn dropped_files(
    ui: &egui::Ui,
    editor: &Editor,
    area: Rect,
    map: &Mapping,
) -> Vec<(Vec<PathBuf>, crate::import::ImportTarget)> {
    let (files, pos) = ui.input(|i| {
        (
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect::<Vec<_>>(),
            i.pointer.hover_pos(),
        )
    });
    if files.is_empty() {
        return Vec::new();
    }
    let pos = pos.unwrap_or(area.center());
    let position = SamplePos(map.sample(pos.x).max(0.0).round() as i64);
    let target = match track_at(editor, area, pos.y) {
        Some(ti) => crate::import::ImportTarget::AtPlayhead {
            track: Some(editor.project().tracks[ti].id),
            position,
        },
        None => crate::import::ImportTarget::NewTrack { position },
    };
    vec![(files, target)]
}
