//! Exporting the mix from the editor (the same export as `dubstage render`).

use crate::editor::Editor;
use dubstage_engine::export::{EXPORT_BLOCK, ExportSettings, export};
use dubstage_engine::{CompileOptions, compile};
use dubstage_media::WavFormat;
use dubstage_model::SamplePos;
use std::path::Path;

/// Renders the whole session to a 24-bit WAV at `path` (the file dialog has
/// already confirmed any overwrite). Offline clips render as silence, with a
/// notice naming them.
pub fn export_mix(editor: &mut Editor, path: &Path) {
    let project = editor.project();
    let end = project.end();
    if end <= SamplePos::ZERO {
        editor.notify("nothing to export: the project has no clips", true);
        return;
    }
    let plan = compile(
        project,
        &editor.sources,
        CompileOptions {
            max_block: EXPORT_BLOCK,
        },
    );
    let settings = ExportSettings {
        start: SamplePos::ZERO,
        end,
        format: WavFormat::Int24,
        sample_rate: project.sample_rate.hz(),
        master: path.to_owned(),
        stems_dir: None,
        overwrite: true,
        dither: false,
        bwf: Some(dubstage_engine::export::bwf_info(project, SamplePos::ZERO)),
        gain_db: 0.0,
        limiter_ceiling: None,
    };
    let offline = editor.offline.len();
    match export(plan, &settings, &mut |_| true) {
        Ok(files) => {
            let peak = files.first().map_or(0.0, |f| f.peak);
            editor.notify(
                format!(
                    "exported {} (peak {:.1} dBFS){}",
                    path.display(),
                    20.0 * peak.max(1e-9).log10(),
                    if offline > 0 {
                        format!("; {offline} offline file(s) rendered as silence")
                    } else {
                        String::new()
                    }
                ),
                false,
            );
        }
        Err(e) => editor.notify(format!("export failed: {e}"), true),
    }
}
