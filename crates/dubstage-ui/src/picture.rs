//! Picture: the film's frames in sync with the audio playhead.
//!
//! The frame shown is the movie frame that contains the sample being heard:
//! while playing, the engine's playhead minus the output latency the device
//! reports; when stopped, the cursor. The picture's placement and A/V offset
//! come from the project ([`dubstage_model::Picture::frame_at`]); frames come
//! from a [`FrameServer`] (ffmpeg in child processes, a proxy on disk).

use crate::paths::data_dir;
use dubstage_media::video::{self, FrameServer, Tools, VideoError, VideoInfo};
use dubstage_model::{FrameRate, Picture, Project, SamplePos, Timecode};
use egui::{Align2, Color32, FontId, Rect, Stroke, StrokeKind, TextureHandle, pos2, vec2};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// File extensions offered by File → Set Picture and taken as a picture when dropped.
pub const MOVIE_EXTENSIONS: &[&str] = &[
    "mov", "mp4", "m4v", "mkv", "mxf", "avi", "mts", "m2ts", "webm", "mpg", "mpeg", "dv",
];

/// Whether `path` names a movie (by extension).
pub fn is_movie(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MOVIE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Where the viewer sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dock {
    #[default]
    Right,
    Left,
    /// Its own window (a separate native window where the platform allows).
    Window,
}

/// The picture side of the editor: the frame server for the project's movie
/// and what the viewer shows.
#[derive(Default)]
pub struct PictureState {
    pub(crate) tools: Option<Result<Tools, VideoError>>,
    pub(crate) server: Option<FrameServer>,
    /// The movie the server (or the last error) is for.
    pub(crate) server_for: Option<PathBuf>,
    /// Why the picture cannot be shown (missing tools, unreadable movie).
    pub error: Option<String>,
    pub(crate) texture: Option<TextureHandle>,
    pub(crate) texture_index: Option<i64>,
    pub(crate) thumbs: HashMap<i64, TextureHandle>,
    /// The frame asked for last (`None`: outside the movie or no picture).
    pub wanted: Option<i64>,
    pub show: bool,
    pub dock: Dock,
    pub burn_in: bool,
    pub safe_area: bool,
    /// A/V offset being dragged (committed as one edit on release).
    pub(crate) av_live: Option<f32>,
    /// Text of the placement field while the user types in it.
    pub(crate) start_edit: Option<String>,
    /// Set Picture… was clicked in the viewer: the editor opens the dialog.
    pub wants_dialog: bool,
}

impl PictureState {
    pub fn new() -> PictureState {
        PictureState {
            show: true,
            burn_in: true,
            ..PictureState::default()
        }
    }

    /// The frame server, once the movie is open.
    pub fn server(&self) -> Option<&FrameServer> {
        self.server.as_ref()
    }

    /// ffmpeg and ffprobe, located once (again after a failure when asked).
    pub(crate) fn tools(&mut self) -> Result<Tools, VideoError> {
        if !matches!(self.tools, Some(Ok(_))) {
            self.tools = Some(Tools::locate());
        }
        self.tools.clone().expect("set just above")
    }
}

/// Where picture proxies are kept: `.dubstage-picture/` beside the project
/// file, or in the user's data folder for a project never saved.
pub fn picture_cache_dir(project_path: Option<&Path>) -> PathBuf {
    project_path
        .and_then(Path::parent)
        .map(|d| d.join(".dubstage-picture"))
        .unwrap_or_else(|| data_dir().join("picture-cache"))
}

/// Where audio extracted from a movie (guide tracks) is written: a `Media`
/// folder beside the project file, or in the user's data folder.
pub fn extracted_media_dir(project_path: Option<&Path>) -> PathBuf {
    project_path
        .and_then(Path::parent)
        .map(|d| d.join("Media"))
        .unwrap_or_else(|| data_dir().join("media"))
}

/// The project frame rate for a movie's rate: drop-frame when the movie's
/// timecode counts drop-frame.
pub(crate) fn movie_frame_rate(info: &VideoInfo) -> Result<FrameRate, String> {
    let df = info.timecode.as_deref().is_some_and(|t| t.contains(';'))
        && info.rate.den == 1001
        && matches!(info.rate.num, 30_000 | 60_000);
    FrameRate::new(info.rate.num, info.rate.den, df).map_err(|e| e.to_string())
}

/// Decodes a movie's audio for a guide track: directly with symphonia when
/// it can (MP4/MOV with AAC or PCM), otherwise through a WAV that ffmpeg
/// extracts into `media_dir`. Returns the file the project should reference.
pub fn decode_guide(
    movie: &Path,
    audio_index: u32,
    project_rate: u32,
    media_dir: &Path,
) -> Result<(PathBuf, dubstage_media::Decoded), String> {
    if audio_index == 0
        && let Ok(d) = dubstage_media::load_for_project(movie, project_rate)
    {
        return Ok((movie.to_owned(), d));
    }
    let tools = Tools::locate().map_err(|e| e.to_string())?;
    let stem = movie
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "picture".to_owned());
    let out = media_dir.join(format!("{stem} guide.wav"));
    video::extract_audio(&tools, movie, audio_index, &out).map_err(|e| e.to_string())?;
    let d = dubstage_media::load_for_project(&out, project_rate).map_err(|e| e.to_string())?;
    Ok((out, d))
}

pub(crate) fn same_rate(a: FrameRate, b: FrameRate) -> bool {
    a.num() == b.num() && a.den() == b.den()
}

pub(crate) fn fps_label(r: FrameRate) -> String {
    let fps = r.fps();
    if (fps - fps.round()).abs() < 1e-9 {
        format!("{}", fps.round())
    } else {
        format!("{fps:.3}")
    }
}

/// Brings the viewer texture up to date with the server's latest frame.
fn update_texture(ctx: &egui::Context, st: &mut PictureState) {
    let Some(server) = &st.server else { return };
    let Some(frame) = server.latest() else { return };
    if st.texture_index == Some(frame.index) && st.texture.is_some() {
        return;
    }
    let image = egui::ColorImage::from_rgba_unmultiplied(
        [frame.width as usize, frame.height as usize],
        &frame.rgba,
    );
    match &mut st.texture {
        Some(t) => t.set(image, egui::TextureOptions::LINEAR),
        None => {
            st.texture = Some(ctx.load_texture("picture", image, egui::TextureOptions::LINEAR));
        }
    }
    st.texture_index = Some(frame.index);
}

/// The viewer panel: the frame, burn-in and guides, and the picture's
/// settings underneath.
pub fn viewer_ui(ui: &mut egui::Ui, v: &mut PictureView<'_>) -> Vec<PictureAction> {
    let mut actions = Vec::new();
    update_texture(ui.ctx(), v.st);
    let Some(pic) = v.project.picture.clone() else {
        ui.heading("Picture");
        ui.label("No picture. Use File > Set Picture… or drop a movie on the timeline.");
        if ui.button("Set Picture…").clicked() {
            v.st.wants_dialog = true;
        }
        return actions;
    };
    ui.horizontal(|ui| {
        ui.strong(dubstage_model::file::display_name(&pic.path));
        ui.label(format!(
            "{}x{}, {} fps",
            pic.width,
            pic.height,
            fps_label(pic.frame_rate)
        ));
    });
    ui.horizontal_wrapped(|ui| {
        ui.toggle_value(&mut v.st.burn_in, "Burn-in")
            .on_hover_text("Session timecode and frame number over the picture");
        ui.toggle_value(&mut v.st.safe_area, "Safe areas")
            .on_hover_text("Action-safe (93%) and title-safe (90%) guides");
        let dock = v.st.dock;
        let named = egui::ComboBox::from_id_salt("picture dock")
            .selected_text(match dock {
                Dock::Right => "Dock right",
                Dock::Left => "Dock left",
                Dock::Window => "Own window",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut v.st.dock, Dock::Right, "Dock right");
                ui.selectable_value(&mut v.st.dock, Dock::Left, "Dock left");
                ui.selectable_value(&mut v.st.dock, Dock::Window, "Own window");
            });
        named
            .response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Picture dock"));
    });
    // Leave room for the settings below the frame.
    let settings_height = 150.0;
    let avail = ui.available_size();
    let area_h = (avail.y - settings_height).max(80.0);
    let (rect, _) = ui.allocate_exact_size(vec2(avail.x, area_h), egui::Sense::hover());
    draw_frame(ui, v, &pic, rect);
    ui.add_space(4.0);
    settings_ui(ui, v, &pic, &mut actions);
    actions
}

fn draw_frame(ui: &egui::Ui, v: &PictureView<'_>, pic: &Picture, rect: Rect) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::BLACK);
    let (w, h) = match v.st.server() {
        Some(s) => s.frame_size(),
        None => (pic.width.max(16), pic.height.max(9)),
    };
    let aspect = w as f32 / h.max(1) as f32;
    let size = if rect.width() / rect.height() > aspect {
        vec2(rect.height() * aspect, rect.height())
    } else {
        vec2(rect.width(), rect.width() / aspect)
    };
    let img = Rect::from_center_size(rect.center(), size);
    let map = v.project.time_map();
    let heard = v.heard;
    let tc = map.timecode_at(heard);
    let st = &*v.st;
    match (st.wanted, &st.texture) {
        (Some(_), Some(tex)) => {
            painter.image(
                tex.id(),
                img,
                Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                Color32::WHITE,
            );
        }
        (Some(_), None) => {
            let msg = st
                .error
                .clone()
                .unwrap_or_else(|| "decoding picture…".to_owned());
            painter.text(
                img.center(),
                Align2::CENTER_CENTER,
                msg,
                FontId::proportional(13.0),
                Color32::GRAY,
            );
        }
        (None, _) => {
            let msg = match &st.error {
                Some(e) => e.clone(),
                None => format!("no picture at {tc}"),
            };
            painter.text(
                img.center(),
                Align2::CENTER_CENTER,
                msg,
                FontId::proportional(14.0),
                Color32::GRAY,
            );
        }
    }
    if st.safe_area {
        let guide = Stroke::new(1.0, Color32::from_rgba_unmultiplied(255, 255, 255, 110));
        for frac in [0.93, 0.90] {
            painter.rect_stroke(
                Rect::from_center_size(img.center(), img.size() * frac),
                0.0,
                guide,
                StrokeKind::Inside,
            );
        }
    }
    if st.burn_in {
        // The frame on screen, which while the cache builds may lag the
        // one asked for (that one is named after the arrow).
        let shown = st.texture.as_ref().and(st.texture_index);
        let frame = match (shown, st.wanted) {
            (Some(s), Some(w)) if s != w => format!("{s} (wanted {w})"),
            (Some(s), _) => format!("{s}"),
            (None, _) => "--".to_owned(),
        };
        let text = format!("{tc}   fr {frame}");
        let font = FontId::monospace((img.height() / 16.0).clamp(11.0, 28.0));
        let galley = painter.layout_no_wrap(text, font, Color32::WHITE);
        let pos = pos2(
            img.center().x - galley.size().x / 2.0,
            img.bottom() - galley.size().y - img.height() * 0.06,
        );
        painter.rect_filled(
            Rect::from_min_size(pos, galley.size()).expand(3.0),
            2.0,
            Color32::from_black_alpha(180),
        );
        painter.galley(pos, galley, Color32::WHITE);
    }
    // A stale frame (the right one is being decoded) gets a thin outline.
    if let (Some(w), Some(t)) = (st.wanted, st.texture_index)
        && w != t
    {
        painter.rect_stroke(
            img,
            0.0,
            Stroke::new(1.0, Color32::from_rgb(200, 160, 40)),
            StrokeKind::Inside,
        );
    }
}

fn settings_ui(
    ui: &mut egui::Ui,
    v: &mut PictureView<'_>,
    pic: &Picture,
    actions: &mut Vec<PictureAction>,
) {
    let map = v.project.time_map();
    let project_rate = v.project.frame_rate;
    if !same_rate(pic.frame_rate, project_rate) {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                Color32::from_rgb(240, 180, 60),
                format!(
                    "Movie {} fps, project {} fps.",
                    fps_label(pic.frame_rate),
                    fps_label(project_rate)
                ),
            );
            if ui.button("Use movie rate").clicked() {
                actions.push(PictureAction::UseMovieRate);
            }
        });
    }
    egui::Grid::new("picture settings")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            ui.label("Starts at");
            ui.horizontal(|ui| {
                let shown = map.timecode_at(pic.position).to_string();
                let text = v.st.start_edit.get_or_insert(shown.clone());
                let r = ui.add(
                    egui::TextEdit::singleline(text)
                        .desired_width(100.0)
                        .font(egui::TextStyle::Monospace),
                );
                r.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, "Picture start timecode")
                });
                let r = r.on_hover_text("Session timecode of the movie's first frame");
                let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
                if r.lost_focus() {
                    let typed = v.st.start_edit.take().unwrap_or_default();
                    if typed != shown && !escape {
                        match Timecode::parse(&typed).and_then(|tc| map.samples_at(tc)) {
                            Ok(pos) => actions.push(PictureAction::SetPosition(pos)),
                            Err(e) => actions.push(PictureAction::Notice(e.to_string(), true)),
                        }
                    }
                } else if !r.has_focus() {
                    v.st.start_edit = None;
                }
                if pic.timecode.is_some()
                    && ui
                        .button("By movie timecode")
                        .on_hover_text(format!(
                            "Place the movie so its own timecode ({}) matches the session's",
                            pic.timecode.map(|t| t.to_string()).unwrap_or_default()
                        ))
                        .clicked()
                {
                    actions.push(PictureAction::PlaceByTimecode);
                }
            });
            ui.end_row();
            ui.label("A/V offset");
            ui.horizontal(|ui| {
                let mut ms = v.st.av_live.unwrap_or(pic.av_offset_ms);
                let r = ui.add(
                    crate::widgets::number(&mut ms)
                        .range(-2000.0..=2000.0)
                        .speed(1.0)
                        .suffix(" ms"),
                );
                r.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "A/V offset")
                });
                let r = r.on_hover_text("Positive: the picture is shown later");
                if r.dragged() {
                    v.st.av_live = Some(ms);
                } else if r.drag_stopped() || r.changed() {
                    v.st.av_live = None;
                    actions.push(PictureAction::SetAvOffset(ms));
                }
                let frame_ms = 1000.0 / pic.frame_rate.fps() as f32;
                ui.label(format!("{:+.2} fr", ms / frame_ms));
                if ui.small_button("-1 fr").clicked() {
                    actions.push(PictureAction::SetAvOffset(ms - frame_ms));
                }
                if ui.small_button("+1 fr").clicked() {
                    actions.push(PictureAction::SetAvOffset(ms + frame_ms));
                }
            });
            ui.end_row();
            let latency = v.output_latency.as_secs_f64() * 1000.0;
            ui.label("Output latency");
            ui.label(format!("{latency:.1} ms (compensated)"));
            ui.end_row();
        });
    if let Some(server) = v.st.server() {
        if let Some((done, total, complete)) = server.proxy_progress()
            && !complete
        {
            ui.add(
                egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                    .text(format!("building picture cache {done}/{total}"))
                    .desired_height(14.0),
            );
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(200));
        }
        if let Some(e) = server.proxy_error() {
            ui.colored_label(Color32::from_rgb(240, 120, 90), e.to_string());
        }
        if let Some((i, e)) = server.error()
            && Some(i) == v.st.wanted
        {
            ui.colored_label(Color32::from_rgb(240, 120, 90), e.to_string());
        }
    }
    if let Some(e) = &v.st.error {
        ui.colored_label(Color32::from_rgb(240, 120, 90), e);
    }
}
/// What the viewer and the picture strip read and change: the picture
/// state, the project (read only), where the sound is heard, and the
/// device's latency. Edits come back as [`PictureAction`]s.
pub struct PictureView<'a> {
    pub st: &'a mut PictureState,
    pub project: &'a Project,
    /// The sample being heard now (the frame shown contains it).
    pub heard: SamplePos,
    pub output_latency: std::time::Duration,
}

/// An edit asked for in the viewer, for the editor to apply (one undo step each).
#[derive(Debug, Clone, PartialEq)]
pub enum PictureAction {
    SetPosition(SamplePos),
    SetAvOffset(f32),
    UseMovieRate,
    PlaceByTimecode,
    /// A message for the status line (an error when `true`).
    Notice(String, bool),
}

/// Height of the picture strip in the timeline.
pub const STRIP_HEIGHT: f32 = 44.0;

/// The picture track: thumbnails along the timeline, one every N frames
/// (N grows as the view zooms out so they never overlap).
pub fn strip_ui(
    ui: &egui::Ui,
    v: &mut PictureView<'_>,
    map: &crate::widgets::Mapping,
    header: Rect,
    lane: Rect,
) {
    let painter = ui.painter().with_clip_rect(lane);
    painter.rect_filled(lane, 0.0, Color32::from_gray(18));
    ui.painter().text(
        header.left_center() + vec2(8.0, 0.0),
        Align2::LEFT_CENTER,
        "Picture",
        FontId::proportional(13.0),
        ui.visuals().text_color(),
    );
    let Some(pic) = v.project.picture.clone() else {
        return;
    };
    let sr = v.project.sample_rate;
    let start_x = map.x(pic.position.0 as f64);
    let end_x = map.x(pic.end(sr).0 as f64);
    let body = Rect::from_x_y_ranges(start_x..=end_x, lane.y_range()).intersect(lane);
    painter.rect_filled(body, 0.0, Color32::from_gray(35));
    let (fw, fh) = v.st.server().map_or(
        (pic.width.max(16), pic.height.max(9)),
        FrameServer::frame_size,
    );
    let th = lane.height() - 4.0;
    let tw = th * fw as f32 / fh.max(1) as f32;
    let frame_len = pic.frame_rate.frame_to_samples(1, sr).0.max(1) as f64;
    let frames_per_point = map.spp / frame_len;
    let raw = (f64::from(tw) * frames_per_point).ceil().max(1.0) as i64;
    let step = nice_step(raw);
    let first = ((map.sample(lane.left()) - pic.position.0 as f64) / frame_len).floor() as i64;
    let first = (first.max(0) / step) * step;
    let mut f = first;
    let ctx = ui.ctx().clone();
    while f < pic.frames {
        let x = map.x(pic.frame_position(f, sr).0 as f64);
        if x > lane.right() {
            break;
        }
        let r = Rect::from_min_size(pos2(x, lane.top() + 2.0), vec2(tw, th));
        let tex = v.st.thumbs.get(&f).cloned().or_else(|| {
            let t = v.st.server()?.thumbnail(f)?;
            let image = egui::ColorImage::from_rgba_unmultiplied(
                [t.width as usize, t.height as usize],
                &t.rgba,
            );
            let h = ctx.load_texture(format!("thumb {f}"), image, egui::TextureOptions::LINEAR);
            if v.st.thumbs.len() > 2000 {
                v.st.thumbs.clear();
            }
            v.st.thumbs.insert(f, h.clone());
            Some(h)
        });
        match tex {
            Some(t) => {
                painter.image(
                    t.id(),
                    r,
                    Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                    Color32::WHITE,
                );
            }
            None => {
                painter.rect_filled(r, 0.0, Color32::from_gray(50));
                ctx.request_repaint_after(std::time::Duration::from_millis(250));
            }
        }
        painter.vline(x, lane.y_range(), Stroke::new(1.0, Color32::from_gray(90)));
        f += step;
    }
}

/// The smallest of 1, 2, 5, 10, 20, 50, … that is at least `n`.
fn nice_step(n: i64) -> i64 {
    let mut base = 1;
    loop {
        for m in [1, 2, 5] {
            if base * m >= n {
                return base * m;
            }
        }
        base *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(3), 5);
        assert_eq!(nice_step(7), 10);
        assert_eq!(nice_step(11), 20);
        assert_eq!(nice_step(120), 200);
    }

    #[test]
    fn movies_by_extension() {
        assert!(is_movie(Path::new("/a/Reel 1.MOV")));
        assert!(is_movie(Path::new("x.mxf")));
        assert!(!is_movie(Path::new("x.wav")));
        assert!(!is_movie(Path::new("x.m4a")));
    }
}
