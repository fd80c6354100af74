//! The Audio Device window: output device and buffer size.

use crate::app::EditorApp;
use crate::editor::Editor;

/// The Audio Device window: output device and buffer size.
#[derive(Debug, Clone)]
pub struct AudioDialog {
    pub devices: Vec<String>,
    /// `None`: the system default.
    pub device: Option<String>,
    pub buffer: u32,
    pub list_error: Option<String>,
}

impl AudioDialog {
    pub fn new(editor: &Editor) -> AudioDialog {
        let (devices, list_error) = match dubstage_engine::backend::output_devices() {
            Ok(d) => (d, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let info = editor.transport.engine.stream_info();
        AudioDialog {
            devices,
            device: info
                .filter(|i| i.backend != "null")
                .map(|i| i.device.clone()),
            buffer: info.and_then(|i| i.buffer_frames).unwrap_or(512),
            list_error,
        }
    }
}

pub fn audio_window(app: &mut EditorApp, ctx: &egui::Context) {
    let Some(mut d) = app.audio_dialog.take() else {
        return;
    };
    let mut open = true;
    let mut apply = false;
    let rate = app.editor.project().sample_rate.hz();
    egui::Window::new("Audio Device")
        .open(&mut open)
        .resizable(false)
        .show(ctx, |ui| {
            ui.label(format!("Now: {}", app.editor.device_label()));
            let t = app.editor.transport.telemetry;
            if !t.output_latency.is_zero() {
                ui.label(format!(
                    "Output latency reported by the device: {:.1} ms",
                    t.output_latency.as_secs_f64() * 1000.0
                ));
            }
            if let Some(e) = &d.list_error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.separator();
            egui::ComboBox::from_label("Output")
                .selected_text(
                    d.device
                        .clone()
                        .unwrap_or_else(|| "System default".to_owned()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut d.device, None, "System default");
                    for name in d.devices.clone() {
                        ui.selectable_value(&mut d.device, Some(name.clone()), name);
                    }
                });
            egui::ComboBox::from_label("Buffer")
                .selected_text(format!("{} frames", d.buffer))
                .show_ui(ui, |ui| {
                    for f in dubstage_engine::backend::BUFFER_SIZES {
                        ui.selectable_value(&mut d.buffer, f, format!("{f} frames"));
                    }
                });
            ui.label(format!(
                "Buffer latency at {rate} Hz: {:.1} ms",
                f64::from(d.buffer) * 1000.0 / f64::from(rate)
            ));
            if ui.button("Apply").clicked() {
                apply = true;
            }
        });
    if apply {
        let request = dubstage_engine::backend::DeviceRequest {
            device: d.device.clone(),
            buffer_frames: Some(d.buffer),
            project_rate: rate,
        };
        use dubstage_engine::backend::Backend;
        let engine =
            match dubstage_engine::backend::CpalBackend.open(&request, crate::editor::PLAY_BLOCK) {
                Ok(e) => Ok(e),
                Err(e) => {
                    app.editor
                        .notify(format!("{e}; using silent playback instead"), true);
                    dubstage_engine::backend::NullBackend::paced()
                        .open(&request, crate::editor::PLAY_BLOCK)
                }
            };
        match engine {
            Ok(engine) => {
                app.editor.replace_engine(engine);
                let label = app.editor.device_label();
                app.editor.notify(format!("audio: {label}"), false);
            }
            Err(e) => app.editor.notify(e.to_string(), true),
        }
    }
    if open && !apply {
        app.audio_dialog = Some(d);
    }
}
