//! The Export dialog and the Loudness window: the same export, delivery and
//! analysis as `dubstage render` / `dubstage loudness`, run on a background
//! thread with progress and Cancel.

use crate::editor::Editor;
use dubstage_engine::deliver::{
    Delivery, PRESETS, Preset, ReportInfo, Reports, checks, deliver, write_reports,
};
use dubstage_engine::export::{
    EXPORT_BLOCK, ExportSettings, ExportedFile, Slate, bwf_info, export_at_rate, planned_paths,
};
use dubstage_engine::loudness::{Analysis, analyse};
use dubstage_engine::{CompileOptions, Sources, compile};
use dubstage_media::WavFormat;
use dubstage_model::{Project, SamplePos};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;

/// Which part of the session to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeChoice {
    Session,
    Loop,
    /// Between two markers (indices into the project's markers).
    Markers(usize, usize),
}

/// The Export dialog's choices.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    pub range: RangeChoice,
    pub stems: bool,
    pub format: WavFormat,
    /// FLAC instead of WAV (16 or 24 bit from `format`).
    pub flac: bool,
    /// Output sample rate.
    pub sample_rate: u32,
    pub dither: bool,
    /// Index into [`PRESETS`], or `None` for no normalisation.
    pub preset: Option<usize>,
    pub folder: PathBuf,
    /// File name template: `{project}`, `{stem}` (MIX for the master), `{date}`.
    pub template: String,
    pub overwrite: bool,
    /// Also write the picture with the master as its sound (`<master>_review.mov`).
    pub review_copy: bool,
    /// Scene and take for the files' iXML (empty: left out).
    pub slate: Slate,
}

impl ExportOptions {
    pub fn new(editor: &Editor) -> ExportOptions {
        let folder = editor
            .path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map(|d| d.join("Exports"))
            .unwrap_or_else(|| crate::editor::data_dir().join("exports"));
        ExportOptions {
            range: RangeChoice::Session,
            stems: true,
            format: WavFormat::Int24,
            flac: false,
            sample_rate: editor.project().sample_rate.hz(),
            dither: false,
            preset: None,
            folder,
            template: "{project}_{stem}_{date}".to_owned(),
            overwrite: false,
            review_copy: false,
            slate: Slate::default(),
        }
    }

    /// The range in timeline samples.
    pub fn bounds(&self, editor: &Editor) -> Option<(SamplePos, SamplePos)> {
        let p = editor.project();
        let (a, b) = match self.range {
            RangeChoice::Session => (SamplePos::ZERO, p.end()),
            RangeChoice::Loop => editor.transport.loop_range?,
            RangeChoice::Markers(i, j) => {
                let a = p.markers.get(i)?.position;
                let b = p.markers.get(j)?.position;
                (a.min(b), a.max(b))
            }
        };
        (b > a).then_some((a, b))
    }

    /// The master's file name from the template.
    /// Where the review copy goes: `<master>_review.mov` beside the master.
    pub fn review_path(&self, project: &Project) -> PathBuf {
        let master = self.master_path(project);
        master.with_file_name(format!(
            "{}_review.mov",
            master
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        ))
    }

    pub fn master_path(&self, project: &Project) -> PathBuf {
        let name = self.name_with_stem(project, "MIX");
        self.folder
            .join(format!("{name}.{}", if self.flac { "flac" } else { "wav" }))
    }

    /// The template with `{project}` and `{date}` filled in and `{stem}` as `stem`.
    pub fn name_with_stem(&self, project: &Project, stem: &str) -> String {
        let date = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        let (y, m, d) = dubstage_engine::export::civil_date(date as i64);
        // "Kitchen – Night (demo)" becomes "Kitchen_Night_demo".
        let spaced: String = project
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        let safe = spaced.split_whitespace().collect::<Vec<_>>().join("_");
        self.template
            .replace("{project}", &safe)
            .replace("{stem}", stem)
            .replace("{date}", &format!("{y:04}{m:02}{d:02}"))
    }
}

/// What a background export produced.
pub enum JobResult {
    Plain(Vec<ExportedFile>),
    /// The delivery, and its reports (or why they could not be written).
    Delivered(Box<Delivery>, Result<Reports, String>),
    Analysed(Box<Analysis>),
}

/// A render or analysis running in the background.
pub struct Job {
    pub label: &'static str,
    progress: Arc<AtomicU32>,
    stage: Arc<std::sync::Mutex<String>>,
    cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<Result<JobResult, String>>>,
}

impl Job {
    fn start(
        label: &'static str,
        work: impl FnOnce(&mut dyn FnMut(&str, f64) -> bool) -> Result<JobResult, String>
        + Send
        + 'static,
    ) -> Job {
        let progress = Arc::new(AtomicU32::new(0));
        let stage = Arc::new(std::sync::Mutex::new(label.to_owned()));
        let cancel = Arc::new(AtomicBool::new(false));
        let (p, st, c) = (progress.clone(), stage.clone(), cancel.clone());
        let handle = std::thread::Builder::new()
            .name("dubstage-export".into())
            .spawn(move || {
                work(&mut |s, f| {
                    p.store((f * 1000.0) as u32, Ordering::Relaxed);
                    if let Ok(mut g) = st.lock()
                        && *g != s
                    {
                        *g = s.to_owned();
                    }
                    !c.load(Ordering::Relaxed)
                })
            })
            .ok();
        Job {
            label,
            progress,
            stage,
            cancel,
            handle,
        }
    }

    pub fn fraction(&self) -> f32 {
        self.progress.load(Ordering::Relaxed) as f32 / 1000.0
    }

    pub fn stage(&self) -> String {
        self.stage
            .lock()
            .map_or_else(|_| self.label.to_owned(), |g| g.clone())
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_done(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the result.
    pub fn wait(mut self) -> Result<JobResult, String> {
        match self.handle.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err("the export stopped unexpectedly".to_owned())),
            None => Err("the export could not start".to_owned()),
        }
    }
}

/// Starts the export the dialog describes.
pub fn start_export(editor: &mut Editor, opts: &ExportOptions) -> Option<Job> {
    let Some((start, end)) = opts.bounds(editor) else {
        editor.notify(
            "nothing to export: the range is empty (set a loop range or pick two markers)",
            true,
        );
        return None;
    };
    let project = editor.heard_project();
    let sources: Sources = editor.sources.clone();
    let master = opts.master_path(&project);
    let settings = ExportSettings {
        start,
        end,
        format: opts.format,
        sample_rate: opts.sample_rate,
        master: master.clone(),
        stems_dir: opts.stems.then(|| opts.folder.clone()),
        overwrite: opts.overwrite,
        dither: opts.dither && opts.format != WavFormat::Float32,
        bwf: Some(bwf_info(&project, start, &opts.slate)),
        gain_db: 0.0,
        limiter_ceiling: None,
        flac: opts.flac && opts.format != WavFormat::Float32,
        stem_template: Some(opts.name_with_stem(&project, "{stem}")),
        protect: dubstage_engine::export::project_inputs(&project),
    };
    if let Err(e) = std::fs::create_dir_all(&opts.folder) {
        editor.notify(format!("{}: {e}", opts.folder.display()), true);
        return None;
    }
    let plan = compile(
        &project,
        &sources,
        CompileOptions {
            max_block: EXPORT_BLOCK,
        },
    );
    let review_path = (opts.review_copy && !settings.flac && project.picture.is_some())
        .then(|| opts.review_path(&project));
    let mut outputs: Vec<PathBuf> = planned_paths(&plan, &settings)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    outputs.extend(review_path.clone());
    match dubstage_engine::export::check_outputs(&outputs, opts.overwrite, &settings.protect) {
        Ok(()) => {}
        Err(dubstage_engine::export::ExportError::Exists(p)) => {
            editor.notify(
                format!(
                    "{} already exists: tick Overwrite or change the name",
                    p.display()
                ),
                true,
            );
            return None;
        }
        Err(e) => {
            editor.notify(e.to_string(), true);
            return None;
        }
    }
    if !editor.offline.is_empty() {
        editor.notify(
            format!(
                "{} offline media file(s) will export as silence",
                editor.offline.len()
            ),
            true,
        );
    }
    let preset: Option<Preset> = opts.preset.and_then(|i| PRESETS.get(i).copied());
    let format_label = match (opts.flac, opts.format) {
        (true, WavFormat::Int16) => "FLAC 16-bit",
        (true, WavFormat::Int24) => "FLAC 24-bit",
        (_, WavFormat::Int16) => "WAV 16-bit (BWF)",
        (_, WavFormat::Int24) => "WAV 24-bit (BWF)",
        (_, WavFormat::Float32) => "WAV 32-bit float (BWF)",
    };
    let review = review_path.and_then(|out| {
        let pic = project.picture.clone()?;
        let offset = (start.0 - pic.position.0) as f64 / f64::from(project.sample_rate.hz());
        Some((pic.path, offset, out))
    });
    Some(Job::start("rendering", move |progress| {
        let rate = project.sample_rate.hz();
        let result = render_files(
            &project,
            &sources,
            plan,
            &settings,
            preset,
            format_label,
            rate,
            start,
            end,
            progress,
        )?;
        if let Some((movie, offset, out)) = review {
            progress("review copy", 1.0);
            let tools = dubstage_media::video::Tools::locate().map_err(|e| e.to_string())?;
            dubstage_media::video::mux_review(&tools, &movie, &settings.master, offset, &out)
                .map_err(|e| e.to_string())?;
        }
        Ok(result)
    }))
}

/// The export proper (plain, or normalised to a preset with its report).
#[allow(clippy::too_many_arguments)]
fn render_files(
    project: &Project,
    sources: &Sources,
    plan: dubstage_engine::RenderPlan,
    settings: &ExportSettings,
    preset: Option<Preset>,
    format_label: &str,
    rate: u32,
    start: SamplePos,
    end: SamplePos,
    progress: &mut dyn FnMut(&str, f64) -> bool,
) -> Result<JobResult, String> {
    match preset {
        None => export_at_rate(plan, rate, settings, &mut |f| progress("rendering", f))
            .map(JobResult::Plain)
            .map_err(|e| e.to_string()),
        Some(preset) => {
            let dry = project.without_delivery();
            let mut make = || {
                compile(
                    &dry,
                    sources,
                    CompileOptions {
                        max_block: EXPORT_BLOCK,
                    },
                )
            };
            let d =
                deliver(&mut make, rate, settings, preset, progress).map_err(|e| e.to_string())?;
            let info = ReportInfo {
                project: project.name.clone(),
                start_timecode: project.time_map().timecode_at(start).to_string(),
                duration_s: project.sample_rate.to_seconds(end - start),
                format: format_label.to_owned(),
                sample_rate: rate,
            };
            let reports = write_reports(&d, &info).map_err(|e| e.to_string());
            Ok(JobResult::Delivered(Box::new(d), reports))
        }
    }
}

/// Starts an offline loudness analysis of `[start, end)`.
pub fn start_analysis(editor: &Editor, start: SamplePos, end: SamplePos) -> Job {
    let project = editor.heard_project();
    let sources = editor.sources.clone();
    Job::start("analysing", move |progress| {
        let plan = compile(
            &project,
            &sources,
            CompileOptions {
                max_block: EXPORT_BLOCK,
            },
        );
        analyse(plan, project.sample_rate.hz(), start, end, &mut |f| {
            progress("analysing", f)
        })
        .map(|a| JobResult::Analysed(Box::new(a)))
        .map_err(|e| e.to_string())
    })
}

/// Opens a file or folder with the desktop's default application (a
/// browser for the HTML report, the file manager for a folder).
pub fn open_in_system(path: &std::path::Path) -> Result<(), String> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            // Reap it whenever it ends, without holding up the editor.
            std::thread::spawn(move || child.wait());
            Ok(())
        }
        Err(e) => Err(format!(
            "could not open {} ({opener}: {e}); it is in {}",
            path.display(),
            path.parent()
                .map_or(String::new(), |p| p.display().to_string())
        )),
    }
}

/// Reports a finished job on the status line.
pub fn report(editor: &mut Editor, result: &Result<JobResult, String>) {
    match result {
        Err(e) => editor.notify(format!("export failed: {e}"), true),
        Ok(JobResult::Plain(files)) => {
            let master = files
                .first()
                .map(|f| f.path.display().to_string())
                .unwrap_or_default();
            editor.notify(format!("exported {} file(s): {master}", files.len()), false);
        }
        Ok(JobResult::Delivered(d, reports)) => {
            let all = checks(d);
            let pass = all.iter().all(|c| c.pass);
            let summary: Vec<String> = all
                .iter()
                .map(|c| format!("{} {}", if c.pass { "PASS" } else { "FAIL" }, c.measured))
                .collect();
            editor.notify(
                format!(
                    "delivered {} ({}): {}{}",
                    d.preset.name,
                    summary.join(", "),
                    if pass {
                        "all checks pass".to_owned()
                    } else {
                        format!(
                            "CHECK FAILED{}",
                            d.note
                                .as_deref()
                                .map_or(String::new(), |n| format!(" ({n})"))
                        )
                    },
                    match reports {
                        Ok(r) => format!("; report {}", r.html.display()),
                        Err(e) => format!("; the report could not be written: {e}"),
                    }
                ),
                !pass || reports.is_err(),
            );
        }
        Ok(JobResult::Analysed(_)) => {}
    }
}

/// Renders the whole session to a 24-bit WAV at `path`, now (tests and the
/// quick File → Export Mix path).
pub fn export_mix(editor: &mut Editor, path: &std::path::Path) {
    let mut opts = ExportOptions::new(editor);
    opts.stems = false;
    opts.overwrite = true;
    opts.folder = path.parent().map(PathBuf::from).unwrap_or_default();
    opts.template = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mix".to_owned());
    if let Some(job) = start_export(editor, &opts) {
        let r = job.wait();
        report(editor, &r);
    }
}
