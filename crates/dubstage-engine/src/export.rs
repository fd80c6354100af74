//! Offline export: drives the same [`Renderer`] as playback over a range and
//! writes the master (and optionally one file per bus: the stems). Every file
//! is written to a temporary name and renamed into place only when the whole
//! render succeeded.

use crate::plan::RenderPlan;
use crate::render::Renderer;
use dubstage_media::{MediaError, WavFileWriter, WavFormat};
use dubstage_model::{SampleLen, SamplePos};
use std::path::PathBuf;

/// Block size used for offline rendering.
pub const EXPORT_BLOCK: usize = 4096;

/// What to export and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSettings {
    /// Timeline range `[start, end)`.
    pub start: SamplePos,
    pub end: SamplePos,
    pub format: WavFormat,
    pub sample_rate: u32,
    /// The master file.
    pub master: PathBuf,
    /// When set, one file per bus is written here, named `<master name>_<BUS>.wav`.
    pub stems_dir: Option<PathBuf>,
    /// Replace existing files instead of refusing.
    pub overwrite: bool,
}

/// One written file and what went into it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedFile {
    pub path: PathBuf,
    /// The bus name for a stem, `None` for the master.
    pub stem: Option<String>,
    /// Highest absolute sample value (1.0 = 0 dBFS), before conversion.
    pub peak: f32,
    pub frames: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} already exists; choose another name or allow overwriting")]
    Exists(PathBuf),
    #[error("the export range is empty (end must be after start)")]
    EmptyRange,
    #[error("export cancelled; no files were written")]
    Cancelled,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Media(#[from] MediaError),
}

/// The paths an export with these settings writes, master first, then one
/// per bus of `plan`.
pub fn planned_paths(
    plan: &RenderPlan,
    settings: &ExportSettings,
) -> Vec<(PathBuf, Option<String>)> {
    let mut out = vec![(settings.master.clone(), None)];
    if let Some(dir) = &settings.stems_dir {
        let base = settings
            .master
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "mix".to_owned());
        for (_, name) in plan.bus_names() {
            out.push((
                dir.join(format!("{base}_{}.wav", sanitize(name))),
                Some(name.to_owned()),
            ));
        }
    }
    out
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Renders `plan` over the settings' range into files. `progress` is called
/// with the finished fraction after each block; returning `false` cancels
/// (and no file is left behind).
pub fn export(
    plan: RenderPlan,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Vec<ExportedFile>, ExportError> {
    let total: SampleLen = settings.end - settings.start;
    if total.0 <= 0 {
        return Err(ExportError::EmptyRange);
    }
    let targets = planned_paths(&plan, settings);
    if !settings.overwrite
        && let Some((p, _)) = targets.iter().find(|(p, _)| p.exists())
    {
        return Err(ExportError::Exists(p.clone()));
    }
    if let Some(dir) = &settings.stems_dir {
        std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
            path: dir.clone(),
            source,
        })?;
    }
    let mut writers = targets
        .iter()
        .map(|(p, _)| WavFileWriter::create(p, settings.format, settings.sample_rate, 2))
        .collect::<Result<Vec<_>, _>>()?;
    let mut peaks = vec![0.0f32; targets.len()];
    let mut renderer = Renderer::new(Box::new(plan));
    renderer.locate(settings.start);
    let mut done: i64 = 0;
    while done < total.0 {
        let want = (total.0 - done).min(EXPORT_BLOCK as i64) as usize;
        let block = renderer.render_block(want);
        let (l, r) = block.master();
        peaks[0] = peaks[0].max(peak2(l, r));
        writers[0].write_planar(&[l, r])?;
        for (i, w) in writers.iter_mut().enumerate().skip(1) {
            let (bl, br) = block.bus(i - 1);
            peaks[i] = peaks[i].max(peak2(bl, br));
            w.write_planar(&[bl, br])?;
        }
        done += block.frames as i64;
        if !progress(done as f64 / total.0 as f64) {
            return Err(ExportError::Cancelled);
        }
    }
    let mut out = Vec::with_capacity(writers.len());
    for ((w, (path, stem)), peak) in writers.into_iter().zip(targets).zip(peaks) {
        w.finish()?;
        out.push(ExportedFile {
            path,
            stem,
            peak,
            frames: total.0 as u64,
        });
    }
    Ok(out)
}

fn peak2(l: &[f32], r: &[f32]) -> f32 {
    dubstage_dsp::mix::peak(l).max(dubstage_dsp::mix::peak(r))
}
