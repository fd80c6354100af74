//! The transport: the audio engine and what it is doing (play, stop,
//! shuttle, scrub, loop, the cursor), live control values while a gesture
//! is under way, and the telemetry read back. It knows nothing of the
//! project but its sample rate; errors from the engine wait in
//! [`Transport::take_errors`] for the status line.

use crate::view::View;
use crate::widgets::{LineEdit, LineOutcome, line_edit};
use dubstage_engine::backend::StreamInfo;
use dubstage_engine::{AudioEngine, TelemetrySnapshot};
use dubstage_model::{ParamId, Project, SampleLen, SamplePos, SampleRate, Timecode};
use std::collections::HashMap;

/// How long each scrub step plays, in milliseconds.
pub const SCRUB_MS: i64 = 70;

/// The transport.
pub struct Transport {
    pub engine: AudioEngine,
    pub telemetry: TelemetrySnapshot,
    /// What the user asked the transport to do (the engine confirms through telemetry).
    playing: bool,
    engine_confirmed_play: bool,
    /// Stop returns the playhead to where play started.
    pub return_to_start: bool,
    play_started_at: SamplePos,
    /// Shuttle speed of the current play (0: normal play).
    shuttle_speed: i8,
    pub loop_on: bool,
    pub loop_range: Option<(SamplePos, SamplePos)>,
    /// Where the playhead is when stopped (and where play starts).
    pub cursor: SamplePos,
    /// Live mixer values while a gesture is under way (committed on release).
    pub live: HashMap<ParamId, f32>,
    pub meter_state: crate::widgets::MeterStates,
    errors: Vec<String>,
}

impl Transport {
    pub fn new(engine: AudioEngine) -> Transport {
        Transport {
            engine,
            telemetry: TelemetrySnapshot {
                playhead: SamplePos::ZERO,
                playing: false,
                xruns: 0,
                callbacks: 0,
                load: 0.0,
                load_peak: 0.0,
                return_ring_full: 0,
                device_error: None,
                output_latency: std::time::Duration::ZERO,
                audition: None,
                insert_faults: 0,
                last_fault: None,
            },
            playing: false,
            engine_confirmed_play: false,
            return_to_start: false,
            play_started_at: SamplePos::ZERO,
            shuttle_speed: 0,
            loop_on: false,
            loop_range: None,
            cursor: SamplePos::ZERO,
            live: HashMap::new(),
            meter_state: Default::default(),
            errors: Vec::new(),
        }
    }

    /// Errors the engine reported since the last call.
    pub fn take_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.errors)
    }

    /// Reads telemetry and drops returned plans; notices when the engine
    /// stopped by itself or the device failed. Call once per frame.
    pub fn poll(&mut self) {
        self.engine.collect_garbage();
        self.telemetry = self.engine.telemetry();
        if self.playing {
            if self.telemetry.playing {
                self.engine_confirmed_play = true;
            } else if self.engine_confirmed_play {
                // The engine stopped by itself (end of a play range).
                self.playing = false;
                self.cursor = self.telemetry.playhead;
            }
        }
        if let Some(err) = self.telemetry.device_error
            && self.engine.stream_info().is_some()
        {
            self.engine.close();
            self.errors
                .push(format!("{}; playback stopped", err.message()));
        }
    }

    /// The playhead: the engine's while playing, the cursor when stopped.
    pub fn playhead(&self) -> SamplePos {
        if self.playing && self.engine_confirmed_play {
            self.telemetry.playhead
        } else {
            self.cursor
        }
    }

    pub fn is_playing(&self) -> bool {
        self.playing
    }

    fn send(&mut self, r: Result<(), dubstage_engine::rt::SendError>) {
        if let Err(e) = r {
            self.errors.push(e.to_string());
        }
    }

    pub fn play(&mut self) {
        let loop_range = if self.loop_on { self.loop_range } else { None };
        let r = self.engine.set_loop(loop_range);
        self.send(r);
        let r = self.engine.locate(self.cursor);
        self.send(r);
        let r = self.engine.play();
        self.send(r);
        self.play_started_at = self.cursor;
        self.playing = true;
        self.engine_confirmed_play = false;
        self.shuttle_speed = 0;
    }

    pub fn stop(&mut self) {
        let r = self.engine.stop();
        self.send(r);
        self.cursor = if self.return_to_start {
            self.play_started_at
        } else {
            self.playhead()
        };
        self.playing = false;
        self.engine_confirmed_play = false;
        self.shuttle_speed = 0;
    }

    pub fn toggle_play(&mut self) {
        if self.is_playing() {
            self.stop();
        } else {
            self.play();
        }
    }

    /// Moves the playhead (seamlessly while playing).
    pub fn locate(&mut self, pos: SamplePos) {
        self.cursor = pos;
        let r = self.engine.locate(pos);
        self.send(r);
        self.telemetry.playhead = pos;
        // Until the engine reports from the new position, show the cursor.
        self.engine_confirmed_play = false;
    }

    /// Scrubbing while stopped: moves the cursor to `pos` and plays
    /// `SCRUB_MS` of the mix from there, so a drag in the ruler is heard.
    pub fn scrub(&mut self, pos: SamplePos, rate: SampleRate) {
        self.cursor = pos;
        let len = rate.seconds(1).0 * SCRUB_MS / 1000;
        let r = self.engine.play_range(pos, pos + SampleLen(len));
        self.send(r);
        self.telemetry.playhead = pos;
    }

    /// Shuttle (J/K/L): plays at `speed` times normal (negative: backwards).
    /// Speed 0 stops.
    pub fn shuttle(&mut self, speed: i8) {
        if speed == 0 {
            if self.playing {
                self.stop();
            }
            self.shuttle_speed = 0;
            return;
        }
        if !self.playing {
            let r = self.engine.set_loop(None);
            self.send(r);
            let r = self.engine.locate(self.cursor);
            self.send(r);
            self.play_started_at = self.cursor;
        }
        let r = self.engine.shuttle(speed);
        self.send(r);
        self.playing = true;
        self.engine_confirmed_play = false;
        self.shuttle_speed = speed;
    }

    /// The shuttle speed while shuttling (0 at normal play or stopped).
    pub fn shuttle_speed(&self) -> i8 {
        if self.playing { self.shuttle_speed } else { 0 }
    }

    pub fn set_loop(&mut self, on: bool, range: Option<(SamplePos, SamplePos)>) {
        self.loop_on = on;
        if range.is_some() {
            self.loop_range = range;
        }
        let r = self
            .engine
            .set_loop(if self.loop_on { self.loop_range } else { None });
        self.send(r);
    }

    /// Whether Stop returns the playhead to where play started.
    pub fn set_return_to_start(&mut self, on: bool) {
        self.return_to_start = on;
        let r = self.engine.set_return_to_start(on);
        self.send(r);
    }

    /// Puts another engine in (another device or buffer size): stops, swaps
    /// and resends the transport state. The caller sends a plan.
    pub fn replace_engine(&mut self, engine: AudioEngine) {
        if self.playing {
            self.stop();
        }
        self.engine = engine;
        let rts = self.return_to_start;
        self.set_return_to_start(rts);
        let (on, range) = (self.loop_on, self.loop_range);
        self.set_loop(on, range);
        let cursor = self.cursor;
        self.locate(cursor);
    }

    /// Live control while a fader or knob is being dragged.
    pub fn control(&mut self, c: dubstage_engine::Control) {
        let r = self.engine.control(c);
        self.send(r);
    }

    pub fn device_label(&self) -> String {
        match self.engine.stream_info() {
            Some(StreamInfo {
                backend, device, ..
            }) if backend == "null" => format!("{device} — silent playback"),
            Some(info) => info.describe(),
            None => "no audio device — playback stopped".to_owned(),
        }
    }
}

/// The transport bar: Home, Play/Stop, Loop, the playhead's timecode (click
/// to type one and locate), snap and follow, and the engine's state.
/// Borrows only the transport, the view and the project it reads; returns
/// what went wrong, for the status line.
pub fn transport_bar(
    ui: &mut egui::Ui,
    t: &mut Transport,
    view: &mut View,
    project: &Project,
    timecode_edit: &mut Option<LineEdit>,
) -> Vec<String> {
    let mut errors = Vec::new();
    ui.horizontal(|ui| {
        if ui
            .button("Home")
            .on_hover_text("Return to start (Enter)")
            .clicked()
        {
            t.locate(SamplePos::ZERO);
        }
        let playing = t.is_playing();
        let label = if playing { "Stop" } else { "Play" };
        if ui
            .add(egui::Button::new(label).selected(playing))
            .on_hover_text("Play / stop (Space)")
            .clicked()
        {
            t.toggle_play();
        }
        let mut loop_on = t.loop_on;
        if ui
            .toggle_value(&mut loop_on, "Loop")
            .on_hover_text("Loop the range dragged in the ruler (Ctrl+L)")
            .changed()
        {
            t.set_loop(loop_on, None);
        }
        ui.separator();
        if let Some(e) = timecode_field(ui, t, project, timecode_edit) {
            errors.push(e);
        }
        let ph = t.playhead();
        // A fixed width, so the buttons after it stay put as it counts.
        ui.add_sized(
            [210.0, ui.spacing().interact_size.y],
            egui::Label::new(
                egui::RichText::new(format!(
                    "{:.3} s  ·  {} smp",
                    project.sample_rate.to_seconds(ph - SamplePos::ZERO),
                    ph.0
                ))
                .monospace()
                .weak(),
            ),
        );
        let speed = t.shuttle_speed();
        if speed != 0 {
            ui.label(
                egui::RichText::new(format!(
                    "shuttle {}{}x",
                    if speed < 0 { "back " } else { "" },
                    speed.unsigned_abs()
                ))
                .strong(),
            );
        }
        ui.separator();
        ui.toggle_value(&mut view.snap, "Snap")
            .on_hover_text("Snap to frames, clip edges, markers and the playhead (N)");
        ui.toggle_value(&mut view.follow, "Follow")
            .on_hover_text("Keep the playhead in view while playing (F)");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let tel = t.telemetry;
            ui.label(
                egui::RichText::new(format!(
                    "DSP {:>3.0}%  xruns {}",
                    tel.load_peak.max(tel.load) * 100.0,
                    tel.xruns
                ))
                .monospace(),
            );
            ui.separator();
            ui.label(format!("{} · {}", project.sample_rate, project.frame_rate));
            ui.separator();
            ui.label(t.device_label());
        });
    });
    errors
}

/// The playhead's timecode: a button that becomes a field to type a
/// timecode in (Enter locates there, Escape cancels).
fn timecode_field(
    ui: &mut egui::Ui,
    t: &mut Transport,
    project: &Project,
    edit: &mut Option<LineEdit>,
) -> Option<String> {
    let map = project.time_map();
    let current = map.timecode_at(t.playhead()).to_string();
    let font = egui::FontId::monospace(20.0);
    match edit {
        Some(field) => {
            let outcome = ui
                .scope(|ui| {
                    ui.style_mut().override_font_id = Some(font);
                    line_edit(ui, field, "Locate to timecode", 150.0)
                })
                .inner;
            match outcome {
                LineOutcome::Commit => {
                    let entered = field.text.trim().to_owned();
                    *edit = None;
                    if entered != current {
                        match Timecode::parse(&entered).and_then(|tc| map.samples_at(tc)) {
                            Ok(pos) if pos.0 < 0 => {
                                return Some(format!(
                                    "{entered} is before the start of the session ({})",
                                    map.timecode_at(SamplePos(0))
                                ));
                            }
                            Ok(pos) => t.locate(pos),
                            Err(e) => return Some(e.to_string()),
                        }
                    }
                }
                LineOutcome::Cancel => *edit = None,
                LineOutcome::Editing | LineOutcome::Idle => {}
            }
        }
        None => {
            let r = ui
                .add(egui::Button::new(egui::RichText::new(&current).font(font)).frame(false))
                .on_hover_text("Playhead timecode: click to type a timecode and locate");
            if r.clicked() {
                *edit = Some(LineEdit::new(current));
            }
        }
    }
    None
}
