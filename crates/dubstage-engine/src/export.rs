//! Offline export: drives the same [`Renderer`] as playback over a range and
//! writes the master (and optionally one file per bus: the stems). Every file
//! is written to a temporary name and renamed into place only when the whole
//! render succeeded.

use crate::plan::RenderPlan;
use crate::render::Renderer;
use dubstage_media::{BwfInfo, MediaError, WavFileWriter, WavFormat};
use dubstage_model::{Project, SampleLen, SamplePos};
use std::path::PathBuf;

/// Block size used for offline rendering.
pub const EXPORT_BLOCK: usize = 4096;

/// Most files one render writes (a master and its stems).
pub const MAX_OUTPUTS: usize = 256;

/// Output buffering shared by all the files of a render.
const WRITE_BUDGET: usize = 64 << 20;

/// Checks that a render of `outputs` files of `frames` stereo frames can be
/// written: not too many files, within the open-file limit, and (FLAC
/// keeps each file's samples until it encodes) within memory.
fn check_plan(outputs: usize, frames: i64, flac: bool) -> Result<(), ExportError> {
    if outputs > MAX_OUTPUTS {
        return Err(ExportError::TooManyOutputs(outputs));
    }
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0
            && lim.rlim_cur != libc::RLIM_INFINITY
            && (outputs as u64) + 32 > lim.rlim_cur
        {
            return Err(ExportError::OpenFileLimit {
                count: outputs,
                limit: lim.rlim_cur,
            });
        }
    }
    if flac {
        let bytes = frames.max(0) as u64 * 2 * 4 * outputs as u64;
        if bytes > dubstage_media::memory_budget() {
            return Err(ExportError::FlacTooLarge(
                bytes as f64 / f64::from(1u32 << 30),
            ));
        }
    }
    Ok(())
}

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
    /// TPDF dither when reducing to 16 or 24 bits.
    pub dither: bool,
    /// Broadcast Wave metadata for every file (each stem's description gets
    /// its bus name appended); see [`bwf_info`].
    pub bwf: Option<BwfInfo>,
    /// Gain applied to the master and every stem alike (loudness
    /// normalisation), in dB.
    pub gain_db: f32,
    /// A look-ahead limiter on the master at this sample ceiling (linear).
    /// The stems are not limited (they stay the gained sources of the mix).
    pub limiter_ceiling: Option<f32>,
    /// Write FLAC (16 or 24 bit, from `format`) instead of WAV; stems get
    /// the `.flac` extension. Broadcast Wave metadata does not apply.
    pub flac: bool,
    /// Stem file names: a name with `{stem}` replaced by the bus name
    /// (`Kitchen_{stem}_20261123` gives `Kitchen_DIA_20261123.wav`). Without
    /// it, stems are named after the master: `<master>_DIA.wav`.
    pub stem_template: Option<String>,
    /// Files no output may replace, even with `overwrite`: the project's
    /// media and picture (see [`project_inputs`]).
    pub protect: Vec<PathBuf>,
}

/// Every file a project reads: its media and its picture. An export refuses
/// to write over any of them.
pub fn project_inputs(project: &Project) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = project.media.iter().map(|m| m.path.clone()).collect();
    if let Some(p) = &project.picture {
        v.push(p.path.clone());
    }
    v
}

/// `path` made absolute and with `.` and `..` resolved lexically (it may
/// not exist yet).
fn normalised(path: &std::path::Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Whether `a` and `b` name the same file: the same inode when both exist
/// (hard links, symlinks), else the same normalised path.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    normalised(a) == normalised(b)
}

/// Checks a set of output paths before anything is written: none may be
/// one of `inputs` (never, whatever `overwrite` says), none may be anything
/// but a regular file where one exists (a device, pipe or folder is never
/// replaced), two outputs may not be one file, and an existing file is
/// refused unless `overwrite`.
pub fn check_outputs(
    outputs: &[PathBuf],
    overwrite: bool,
    inputs: &[PathBuf],
) -> Result<(), ExportError> {
    for (i, out) in outputs.iter().enumerate() {
        if let Some(input) = inputs.iter().find(|input| same_file(out, input)) {
            return Err(ExportError::IsInput {
                output: out.clone(),
                input: input.clone(),
            });
        }
        if outputs[..i].iter().any(|o| same_file(o, out)) {
            return Err(ExportError::Clash(out.clone()));
        }
        match std::fs::metadata(out) {
            Ok(m) if !m.is_file() => return Err(ExportError::NotRegular(out.clone())),
            Ok(_) if !overwrite => return Err(ExportError::Exists(out.clone())),
            _ => {}
        }
    }
    Ok(())
}

/// One output file being written.
enum Writer {
    Wav(Box<WavFileWriter>),
    Flac(dubstage_media::FlacFileWriter),
    /// Renders for measurement only.
    Discard,
}

impl Writer {
    fn write_planar(&mut self, ch: &[&[f32]]) -> Result<(), MediaError> {
        match self {
            Writer::Wav(w) => w.write_planar(ch),
            Writer::Flac(w) => w.write_planar(ch),
            Writer::Discard => Ok(()),
        }
    }

    /// The written file, flushed under its temporary name (none when
    /// discarding).
    fn seal(self) -> Result<Option<dubstage_media::Sealed>, MediaError> {
        match self {
            Writer::Wav(w) => (*w).seal().map(Some),
            Writer::Flac(w) => w.seal().map(Some),
            Writer::Discard => Ok(None),
        }
    }
}

/// Civil date and time (UTC) of a moment, `("yyyy-mm-dd", "hh:mm:ss")`.
pub fn utc_date_time(t: std::time::SystemTime) -> (String, String) {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_date(days);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60),
    )
}

/// Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm).
pub fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Scene and take for the iXML of a render, where the user knows them
/// (empty: not written).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Slate {
    pub scene: String,
    pub take: String,
}

/// Broadcast Wave metadata for a render of `project` starting at timeline
/// sample `start`: the time reference puts the file's first sample at its
/// session timecode (01:00:00:00 for a mix from the top), and the iXML
/// names the project, its tracks, and the scene and take when given.
pub fn bwf_info(project: &Project, start: SamplePos, slate: &Slate) -> BwfInfo {
    let map = project.time_map();
    let session_start = project
        .start_timecode
        .to_frames(project.frame_rate)
        .map(|f| {
            project
                .frame_rate
                .frame_to_samples(f, project.sample_rate)
                .0
        })
        .unwrap_or(0);
    let (date, time) = utc_date_time(std::time::SystemTime::now());
    let tracks: Vec<String> = project.tracks.iter().map(|t| xml_escape(&t.name)).collect();
    let element = |name: &str, v: &str| {
        let v = v.trim();
        if v.is_empty() {
            String::new()
        } else {
            format!("<{name}>{}</{name}>", xml_escape(v))
        }
    };
    let ixml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BWFXML><IXML_VERSION>2.10</IXML_VERSION>\
         <PROJECT>{}</PROJECT>{}{}<TAPE>{}</TAPE><SPEED><TIMECODE_RATE>{}/{}</TIMECODE_RATE>\
         <TIMECODE_FLAG>{}</TIMECODE_FLAG></SPEED><NOTE>Tracks: {}</NOTE>\
         <TRACK_LIST><TRACK_COUNT>2</TRACK_COUNT>\
         <TRACK><CHANNEL_INDEX>1</CHANNEL_INDEX><INTERLEAVE_INDEX>1</INTERLEAVE_INDEX><NAME>L</NAME></TRACK>\
         <TRACK><CHANNEL_INDEX>2</CHANNEL_INDEX><INTERLEAVE_INDEX>2</INTERLEAVE_INDEX><NAME>R</NAME></TRACK>\
         </TRACK_LIST></BWFXML>",
        xml_escape(&project.name),
        element("SCENE", &slate.scene),
        element("TAKE", &slate.take),
        xml_escape(&project.name),
        project.frame_rate.num(),
        project.frame_rate.den(),
        if project.frame_rate.is_drop_frame() {
            "DF"
        } else {
            "NDF"
        },
        tracks.join(", ")
    );
    BwfInfo {
        description: format!("{} from {}", project.name, map.timecode_at(start)),
        originator: "Dubstage".to_owned(),
        originator_reference: format!("DUBSTAGE{}", date.replace('-', "")),
        origination_date: date,
        origination_time: time,
        time_reference: (session_start + start.0).max(0) as u64,
        ixml: Some(ixml),
    }
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

impl ExportedFile {
    /// The file's name, without its folder.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} already exists; choose another name or allow overwriting")]
    Exists(PathBuf),
    #[error("{output} is one of the project's own files ({input}); choose another name")]
    IsInput { output: PathBuf, input: PathBuf },
    #[error(
        "{0} exists and is not a regular file (a device, pipe or folder); it is never replaced"
    )]
    NotRegular(PathBuf),
    #[error("two outputs would be the same file: {0}")]
    Clash(PathBuf),
    #[error(
        "{0} output files are too many for one render (at most {MAX_OUTPUTS}; each bus is a stem)"
    )]
    TooManyOutputs(usize),
    #[error(
        "{count} output files would need more open files than this process may have ({limit}); raise the limit (ulimit -n) or render fewer stems"
    )]
    OpenFileLimit { count: usize, limit: u64 },
    #[error(
        "FLAC files are encoded when the render ends and would need {0:.1} GiB of memory here; render WAV instead, or a shorter range"
    )]
    FlacTooLarge(f64),
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
        let ext = if settings.flac { "flac" } else { "wav" };
        // Names that sanitise alike (`A B`, `A_B`, `A.B`) or repeat (a user
        // bus called DIA) get `_2`, `_3`, … so no stem overwrites another;
        // compared without case, as macOS and Windows volumes do.
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        taken.insert(
            settings
                .master
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default(),
        );
        for (_, name) in plan.bus_names() {
            let mut label = sanitize(name);
            let file_for = |label: &str| match &settings.stem_template {
                Some(t) if t.contains("{stem}") => format!("{}.{ext}", t.replace("{stem}", label)),
                _ => format!("{base}_{label}.{ext}"),
            };
            let mut n = 2;
            while taken.contains(&file_for(&label).to_lowercase()) {
                label = format!("{}_{n}", sanitize(name));
                n += 1;
            }
            let file = file_for(&label);
            taken.insert(file.to_lowercase());
            out.push((dir.join(file), Some(name.to_owned())));
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

/// Sees every block written: the file's index in [`planned_paths`] order
/// and its left and right samples, exactly as handed to the writer.
pub type Tap<'a> = &'a mut dyn FnMut(usize, &[f32], &[f32]);

/// Renders `plan` over the settings' range into files. `progress` is called
/// with the finished fraction after each block; returning `false` cancels
/// (and no file is left behind).
pub fn export(
    plan: RenderPlan,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Vec<ExportedFile>, ExportError> {
    export_tapped(plan, settings, progress, &mut |_, _, _| {}, true)
}

/// Renders the master exactly as [`export`] would (gain, limiter) and shows
/// it to `tap`, writing nothing: for measuring a candidate gain.
pub fn probe_master(
    plan: RenderPlan,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
    tap: Tap<'_>,
) -> Result<(), ExportError> {
    export_tapped(plan, settings, progress, tap, false).map(|_| ())
}

fn export_tapped(
    plan: RenderPlan,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
    tap: Tap<'_>,
    write_files: bool,
) -> Result<Vec<ExportedFile>, ExportError> {
    let total: SampleLen = settings.end - settings.start;
    if total.0 <= 0 {
        return Err(ExportError::EmptyRange);
    }
    let targets = if write_files {
        planned_paths(&plan, settings)
    } else {
        vec![(settings.master.clone(), None)]
    };
    if write_files {
        let paths: Vec<PathBuf> = targets.iter().map(|(p, _)| p.clone()).collect();
        check_plan(paths.len(), total.0, settings.flac)?;
        check_outputs(&paths, settings.overwrite, &settings.protect)?;
        remove_stale_temps(&paths);
    }
    let buffer = (WRITE_BUDGET / targets.len().max(1)).clamp(64 << 10, 1 << 20);
    if write_files && let Some(dir) = &settings.stems_dir {
        std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
            path: dir.clone(),
            source,
        })?;
    }
    let mut writers = targets
        .iter()
        .map(|(p, stem)| {
            if !write_files {
                return Ok(Writer::Discard);
            }
            if settings.flac {
                let bits = match settings.format {
                    WavFormat::Int16 => 16,
                    WavFormat::Int24 => 24,
                    WavFormat::Float32 => {
                        return Err(MediaError::Write {
                            path: p.clone(),
                            reason: "FLAC is 16 or 24 bit; choose one of those".to_owned(),
                        });
                    }
                };
                return Ok(Writer::Flac(
                    dubstage_media::FlacFileWriter::create(p, bits, settings.sample_rate, 2)?
                        .with_dither(settings.dither),
                ));
            }
            let w = WavFileWriter::create_buffered(
                p,
                settings.format,
                settings.sample_rate,
                2,
                buffer,
            )?
            .with_dither(settings.dither);
            Ok::<_, MediaError>(Writer::Wav(Box::new(match &settings.bwf {
                Some(info) => {
                    let mut info = info.clone();
                    info.description = match stem {
                        Some(s) => format!("{} ({s} stem)", info.description),
                        None => format!("{} (master)", info.description),
                    };
                    w.with_bwf(info)
                }
                None => w,
            })))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut peaks = vec![0.0f32; targets.len()];
    let mut renderer = Renderer::new(Box::new(plan));
    renderer.use_threads(None);
    renderer.locate(settings.start);
    let gain = dubstage_dsp::db_to_gain(settings.gain_db);
    let mut chain = MasterChain::new(settings);
    // The plan's inserts delay the master and stems alike, and the
    // delivery chain the master again: render that much further and drop
    // the leading outputs, so every file starts and ends on the same samples.
    renderer.skip_latency();
    let delay = chain.delay();
    let mut done: i64 = 0;
    while done < total.0 + delay {
        let want = (total.0 + delay - done).min(EXPORT_BLOCK as i64) as usize;
        let block = renderer.render_block(want);
        let k = block.frames as i64;
        // Frames of this block that belong to the range (the stems' part).
        let in_range = (total.0 - done).clamp(0, k) as usize;
        let (l, r) = block.master();
        let (ml, mr) = chain.process(l, r);
        peaks[0] = peaks[0].max(peak2(ml, mr));
        writers[0].write_planar(&[ml, mr])?;
        tap(0, ml, mr);
        for (i, w) in writers.iter_mut().enumerate().skip(1) {
            let (bl, br) = block.bus(i - 1);
            let bl: Vec<f32> = bl[..in_range].iter().map(|v| v * gain).collect();
            let br: Vec<f32> = br[..in_range].iter().map(|v| v * gain).collect();
            peaks[i] = peaks[i].max(peak2(&bl, &br));
            if in_range > 0 {
                w.write_planar(&[&bl, &br])?;
                tap(i, &bl, &br);
            }
        }
        done += k;
        if !progress((done as f64 / (total.0 + delay) as f64).min(1.0)) {
            return Err(ExportError::Cancelled);
        }
    }
    // Every file is complete on disk before the first is renamed into
    // place: the master and its stems are replaced together.
    let mut sealed = Vec::with_capacity(writers.len());
    for w in writers {
        sealed.extend(w.seal()?);
    }
    publish_all(sealed)?;
    let mut out = Vec::with_capacity(targets.len());
    for ((path, stem), peak) in targets.into_iter().zip(peaks) {
        out.push(ExportedFile {
            path,
            stem,
            peak,
            frames: total.0 as u64,
        });
    }
    Ok(out)
}

/// Renames a set of sealed files into place, one right after the other.
fn publish_all(sealed: Vec<dubstage_media::Sealed>) -> Result<(), ExportError> {
    let mut rest = sealed.into_iter();
    for s in rest.by_ref() {
        s.publish()?;
    }
    Ok(())
}

/// Removes what a killed render left beside `targets`: the temporary files
/// of its writers (`.<name>.tmp-<pid>-<n>`) and the work folder of a
/// resampled render (`.dubstage-render-<pid>`), when that process is gone.
pub fn remove_stale_temps(targets: &[PathBuf]) {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for t in targets {
        dubstage_model::file::remove_stale_temps(t);
        let dir = t
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix(".dubstage-render-")
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && !dubstage_model::file::pid_alive(pid) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// The delivery chain after the master: a `gain` insert, then a `limiter`
/// insert (when a ceiling is set), as [`delivery_inserts`] describes them
/// and built by the same code as any master insert, so a project whose
/// master carries those inserts plays what the delivery writes. Its delay
/// (and the plan's own latency, see [`export`]) is taken off the front.
pub struct MasterChain {
    procs: Vec<crate::inserts::Proc>,
    delay: i64,
    fed: i64,
    l: Vec<f32>,
    r: Vec<f32>,
}

/// The master inserts a delivery applies: gain, then the true-peak limiter.
pub fn delivery_inserts(
    gain_db: f32,
    ceiling: Option<f32>,
    first_id: u32,
) -> Vec<dubstage_model::Insert> {
    use dubstage_model::{Insert, InsertId, InsertKind};
    let mut gain = Insert::new(InsertId(first_id), InsertKind::Gain);
    gain.params
        .insert("gain".to_owned(), gain_db.clamp(-144.0, 24.0));
    let mut out = vec![gain];
    if let Some(c) = ceiling {
        let mut lim = Insert::new(InsertId(first_id + 1), InsertKind::Limiter);
        lim.params.insert(
            "ceiling".to_owned(),
            dubstage_dsp::gain_to_db(c).clamp(-20.0, 0.0),
        );
        out.push(lim);
    }
    out
}

impl MasterChain {
    pub fn new(settings: &ExportSettings) -> MasterChain {
        let procs: Vec<crate::inserts::Proc> =
            delivery_inserts(settings.gain_db, settings.limiter_ceiling, 1)
                .iter()
                .map(|i| crate::inserts::Proc::build(i, settings.sample_rate, 2, EXPORT_BLOCK))
                .collect();
        let mut procs = procs;
        let delay = procs.iter_mut().map(|p| p.latency() as i64).sum();
        MasterChain {
            procs,
            delay,
            fed: 0,
            l: Vec::new(),
            r: Vec::new(),
        }
    }

    /// Frames the chain delays the master by: feed this many more than
    /// the range.
    pub fn delay(&self) -> i64 {
        self.delay
    }

    /// Feeds the next rendered master frames; returns the processed frames
    /// that belong to the range so far.
    pub fn process(&mut self, l: &[f32], r: &[f32]) -> (&[f32], &[f32]) {
        let k = l.len() as i64;
        self.l.clear();
        self.r.clear();
        self.l.extend_from_slice(l);
        self.r.extend_from_slice(r);
        for chunk in 0..self.l.len().div_ceil(EXPORT_BLOCK) {
            let a = chunk * EXPORT_BLOCK;
            let b = (a + EXPORT_BLOCK).min(self.l.len());
            for p in self.procs.iter_mut() {
                let mut rows: [&mut [f32]; 2] = [&mut self.l[a..b], &mut self.r[a..b]];
                p.processor().process(&mut rows, None);
            }
        }
        // Skip the delay's leading output.
        let skip = (self.delay - self.fed).clamp(0, k) as usize;
        self.l.drain(..skip);
        self.r.drain(..skip);
        self.fed += k;
        (&self.l, &self.r)
    }
}

fn peak2(l: &[f32], r: &[f32]) -> f32 {
    dubstage_dsp::mix::peak(l).max(dubstage_dsp::mix::peak(r))
}

/// Like [`export`], at any output rate: when `settings.sample_rate` differs
/// from `project_rate`, the mix is rendered at the project rate into
/// temporary 32-bit float files, then each is resampled (the same
/// high-quality sinc resampler as import, sample-accurate timing) and
/// written in the requested format. The BWF time reference is converted
/// to the output rate.
pub fn export_at_rate(
    plan: RenderPlan,
    project_rate: u32,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Vec<ExportedFile>, ExportError> {
    export_at_rate_tapped(plan, project_rate, settings, progress, &mut |_, _, _| {})
}

/// [`export_at_rate`], showing every block written to `tap`.
pub fn export_at_rate_tapped(
    plan: RenderPlan,
    project_rate: u32,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
    tap: Tap<'_>,
) -> Result<Vec<ExportedFile>, ExportError> {
    if settings.sample_rate == project_rate {
        return export_tapped(plan, settings, progress, tap, true);
    }
    let targets = planned_paths(&plan, settings);
    let paths: Vec<PathBuf> = targets.iter().map(|(p, _)| p.clone()).collect();
    check_plan(
        paths.len(),
        (settings.end - settings.start).0,
        settings.flac,
    )?;
    check_outputs(&paths, settings.overwrite, &settings.protect)?;
    remove_stale_temps(&paths);
    let dir = settings
        .master
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
        .join(format!(".dubstage-render-{}", std::process::id()));
    let io = |path: &std::path::Path| {
        let path = path.to_owned();
        move |source| ExportError::Io { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let temp = ExportSettings {
        format: WavFormat::Float32,
        sample_rate: project_rate,
        master: dir.join("master.wav"),
        stems_dir: settings.stems_dir.as_ref().map(|_| dir.clone()),
        overwrite: true,
        dither: false,
        bwf: None,
        flac: false,
        stem_template: None,
        ..settings.clone()
    };
    let result = (|| {
        let rendered = export(plan, &temp, &mut |f| progress(f * 0.5))?;
        let mut out = Vec::with_capacity(rendered.len());
        let mut sealed = Vec::with_capacity(rendered.len());
        let n = rendered.len().max(1);
        for (i, (r, (path, stem))) in rendered.into_iter().zip(targets).enumerate() {
            let decoded = dubstage_media::decode_file(&r.path)?;
            let audio = dubstage_media::resample(&decoded.audio, settings.sample_rate)?;
            let chans: Vec<&[f32]> = audio.channels.iter().map(Vec::as_slice).collect();
            let bwf = settings.bwf.clone().map(|mut b| {
                b.time_reference = (u128::from(b.time_reference) * u128::from(settings.sample_rate)
                    / u128::from(project_rate)) as u64;
                b.description = match &stem {
                    Some(s) => format!("{} ({s} stem)", b.description),
                    None => format!("{} (master)", b.description),
                };
                b
            });
            let mut w = if settings.flac {
                let bits = if settings.format == WavFormat::Int16 {
                    16
                } else {
                    24
                };
                Writer::Flac(
                    dubstage_media::FlacFileWriter::create(&path, bits, settings.sample_rate, 2)?
                        .with_dither(settings.dither),
                )
            } else {
                let w = WavFileWriter::create(&path, settings.format, settings.sample_rate, 2)?
                    .with_dither(settings.dither);
                Writer::Wav(Box::new(match bwf {
                    Some(b) => w.with_bwf(b),
                    None => w,
                }))
            };
            w.write_planar(&chans)?;
            sealed.extend(w.seal()?);
            if let [l, r, ..] = chans.as_slice() {
                tap(i, l, r);
            }
            out.push(ExportedFile {
                path,
                stem,
                peak: chans
                    .iter()
                    .map(|c| dubstage_dsp::mix::peak(c))
                    .fold(0.0, f32::max),
                frames: audio.frames() as u64,
            });
            if !progress(0.5 + 0.5 * (i + 1) as f64 / n as f64) {
                return Err(ExportError::Cancelled);
            }
        }
        publish_all(sealed)?;
        Ok(out)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
