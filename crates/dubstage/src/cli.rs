//! Command-line interface.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use dubstage_engine::export::{ExportSettings, export_at_rate, planned_paths};
use dubstage_engine::{CompileOptions, compile, load_sources};
use dubstage_media::WavFormat;
use dubstage_model::{Output, Project, SampleLen, SamplePos, Timecode, file, pan_label};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "dubstage",
    version,
    about = "Dubstage: sound editing and mixing for film"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Open the editor on this project (with no subcommand).
    project: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Render a project's mix to a WAV file (and its stems with --stems).
    Render(RenderArgs),
    /// Print a project's tracks, clips, duration and missing media.
    Info {
        /// The .dubstage project file.
        project: PathBuf,
        /// Print the project as JSON for scripts (see docs/project-json.md).
        #[arg(long)]
        json: bool,
    },
    /// Import a picture editor's timeline (AAF, OTIO, FCP7 XML, FCPXML or
    /// CMX3600 EDL, told by its content) as a new project, finding its
    /// media; an AAF's embedded media is extracted to "PROJECT Media/"
    /// beside the project.
    ImportTimeline {
        /// The turnover timeline.
        file: PathBuf,
        /// The project file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// A folder to search for the media (recursively); repeat for more.
        /// The turnover's own folder is always searched.
        #[arg(long = "media-dir", value_name = "DIR")]
        media_dirs: Vec<PathBuf>,
        /// Also write the import report as JSON here.
        #[arg(long, value_name = "REPORT.json")]
        report: Option<PathBuf>,
        /// Frame rate of an EDL (which does not say): 23.976, 24, 25, 29.97,
        /// 29.97df, 30, …
        #[arg(long, default_value = "24", value_name = "FPS")]
        edl_rate: String,
        /// The project's sample rate.
        #[arg(long, default_value_t = 48_000, value_name = "HZ")]
        sample_rate: u32,
        /// Replace the output (and report) if they exist.
        #[arg(long)]
        force: bool,
    },
    /// Write a project's timeline for picture: OTIO (.otio) or CMX3600 EDL
    /// (.edl), by the output's extension.
    ExportTimeline {
        /// The .dubstage project file.
        project: PathBuf,
        /// The timeline file to write (.otio or .edl).
        #[arg(short, long)]
        output: PathBuf,
        /// Replace the output if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Play a project through the audio device (or silently without one),
    /// printing the playhead and meters.
    Play(PlayArgs),
    /// List audio output devices.
    Devices,
    /// Measure a project's loudness offline (EBU R128 / BS.1770-4): master and
    /// every stem, plus dialogue-gated loudness.
    Loudness {
        /// The .dubstage project file.
        project: PathBuf,
        /// Range: session timecode, seconds (12.5s), samples or marker names. Default: the whole
        /// session.
        #[arg(long, num_args = 2, value_names = ["START", "END"])]
        range: Option<Vec<String>>,
        /// Measure clips whose media is missing as silence instead of refusing.
        #[arg(long)]
        allow_missing: bool,
        /// Longest range measured without complaint (e.g. 12h, 90m, 600s).
        #[arg(long, default_value = "12h", value_name = "LENGTH")]
        max_length: String,
    },
    /// Run the mixer's processors, in order, on a file: hpf, lpf, eq, comp,
    /// gate, deess, denoise, limiter, reverb, gain. Output length equals
    /// input length (latency compensated).
    Process {
        /// The input audio file.
        input: PathBuf,
        /// The output WAV file.
        #[arg(short, long)]
        output: PathBuf,
        /// KIND[:key=value[,key=value...]], e.g. hpf:freq=80,slope=24 or
        /// denoise:mode=spectral,learn=0.0-1.2,reduction=12. Repeat for a chain.
        #[arg(long = "insert", value_name = "SPEC")]
        inserts: Vec<String>,
        #[arg(long, value_enum, default_value_t = Format::Wav24)]
        format: Format,
        /// Replace OUTPUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// The sound library index (the one the editor's library panel uses).
    #[command(subcommand)]
    Library(LibraryCmd),
    /// Probe a movie as the editor would for picture: frame rate, frames,
    /// size, start timecode, audio streams; optionally check a frame decodes.
    Picture {
        /// The movie file.
        movie: PathBuf,
        /// Also decode this frame (0 = first) and print its index and size.
        #[arg(long)]
        frame: Option<i64>,
    },
}

#[derive(Subcommand, Debug)]
enum LibraryCmd {
    /// Add folders to the library (if given) and rescan it.
    Scan { folders: Vec<PathBuf> },
    /// Remove a folder from the library.
    Remove { folder: PathBuf },
    /// Search the library: every word must match.
    Search {
        words: Vec<String>,
        /// At most this many results.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(clap::Args, Debug)]
struct PlayArgs {
    /// The .dubstage project file.
    project: PathBuf,
    /// Where to start: session timecode, seconds (12.5s) or samples. Default: the session start.
    #[arg(long)]
    from: Option<String>,
    /// Where to stop. Default: the end of the last clip.
    #[arg(long)]
    to: Option<String>,
    /// Loop the range instead of stopping at its end (stop with Ctrl+C).
    #[arg(long = "loop")]
    looped: bool,
    /// Output device name (see `dubstage devices`). Default: the system default.
    #[arg(long)]
    device: Option<String>,
    /// Buffer size in frames, 64–2048.
    #[arg(long, value_parser = clap::value_parser!(u32).range(64..=2048))]
    buffer: Option<u32>,
    /// Use the silent null backend even when a device exists.
    #[arg(long)]
    null: bool,
    /// Play clips whose media is missing as silence.
    #[arg(long)]
    allow_missing: bool,
}

#[derive(clap::Args, Debug)]
struct RenderArgs {
    /// The .dubstage project file.
    project: PathBuf,
    /// Output file for the stereo master (WAV, or FLAC with --format flac16|flac24).
    #[arg(short, long)]
    output: PathBuf,
    /// Range to render: session timecode (01:00:10:00), seconds from the session start (12.5s),
    /// samples (480000) or marker names ("Door"). Default: the whole session.
    #[arg(long, num_args = 2, value_names = ["START", "END"])]
    range: Option<Vec<String>>,
    /// Sample format.
    #[arg(long, value_enum, default_value_t = Format::Wav24)]
    format: Format,
    /// Also write one file per bus (DIA, FX, MUS, …) into this folder.
    #[arg(long, value_name = "DIR")]
    stems: Option<PathBuf>,
    /// Render clips whose media is missing or unreadable as silence instead of refusing.
    #[arg(long)]
    allow_missing: bool,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
    /// Add TPDF dither to 24-bit files too (16-bit files are dithered unless --no-dither).
    #[arg(long)]
    dither: bool,
    /// No dither, even for 16-bit files.
    #[arg(long, conflicts_with = "dither")]
    no_dither: bool,
    /// Also write a review copy: the project's picture with the master as
    /// its sound (`.mov`: PCM audio; `.mp4`: AAC), in sync.
    #[arg(long, value_name = "MOVIE")]
    review_copy: Option<PathBuf>,
    /// Output sample rate (44100, 48000 or 96000); default the project's.
    #[arg(long, value_parser = ["44100", "48000", "96000"])]
    sample_rate: Option<String>,
    /// Normalise to a delivery preset: ebu-r128, atsc-a85, dialogue-27,
    /// stream-14, stream-16 (writes a QC report beside the master).
    #[arg(long, conflicts_with_all = ["target_lufs", "ceiling_dbtp"])]
    preset: Option<String>,
    /// Custom normalisation target (integrated loudness), with --ceiling-dbtp.
    #[arg(long, requires = "ceiling_dbtp", allow_hyphen_values = true)]
    target_lufs: Option<f64>,
    /// Custom true-peak ceiling, with --target-lufs.
    #[arg(long, requires = "target_lufs", allow_hyphen_values = true)]
    ceiling_dbtp: Option<f64>,
    /// Longest range rendered without complaint (e.g. 12h, 90m, 600s): a
    /// typo in a clip length would otherwise write for days.
    #[arg(long, default_value = "12h", value_name = "LENGTH")]
    max_length: String,
    /// With a preset or target: the most the limiter may pull the loudest
    /// peak down, in dB (default 6). A target that needs more fails.
    #[arg(long, value_name = "DB")]
    max_limiting: Option<f64>,
    /// Scene, written to the files' iXML.
    #[arg(long, default_value = "")]
    scene: String,
    /// Take, written to the files' iXML.
    #[arg(long, default_value = "")]
    take: String,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    /// 16-bit integer PCM.
    Wav16,
    /// 24-bit integer PCM.
    Wav24,
    /// 32-bit float.
    Wav32f,
    /// FLAC, 16-bit.
    Flac16,
    /// FLAC, 24-bit.
    Flac24,
}

impl Format {
    fn is_flac(self) -> bool {
        matches!(self, Format::Flac16 | Format::Flac24)
    }

    fn label(self) -> &'static str {
        match self {
            Format::Wav16 => "WAV 16-bit (BWF)",
            Format::Wav24 => "WAV 24-bit (BWF)",
            Format::Wav32f => "WAV 32-bit float (BWF)",
            Format::Flac16 => "FLAC 16-bit",
            Format::Flac24 => "FLAC 24-bit",
        }
    }
}

impl From<Format> for WavFormat {
    fn from(f: Format) -> WavFormat {
        match f {
            Format::Wav16 | Format::Flac16 => WavFormat::Int16,
            Format::Wav24 | Format::Flac24 => WavFormat::Int24,
            Format::Wav32f => WavFormat::Float32,
        }
    }
}

/// Parses argv and runs the command.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<()> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print and succeed; usage errors print clap's message.
            if e.use_stderr() {
                let _ = e.print();
                bail!("invalid arguments (see `dubstage --help`)");
            }
            let _ = e.print();
            return Ok(());
        }
    };
    let Some(command) = cli.command else {
        return crate::gui::run_editor(cli.project);
    };
    match command {
        Command::Render(args) => render(&args),
        Command::Info { project, json } => {
            if json {
                crate::turnover::info_json(&project)
            } else {
                info(&project)
            }
        }
        Command::ImportTimeline {
            file,
            output,
            media_dirs,
            report,
            edl_rate,
            sample_rate,
            force,
        } => crate::turnover::import_timeline(&crate::turnover::ImportArgs {
            file: &file,
            output: &output,
            media_dirs: &media_dirs,
            report: report.as_deref(),
            edl_rate: crate::turnover::parse_rate(&edl_rate)?,
            sample_rate,
            force,
        }),
        Command::ExportTimeline {
            project,
            output,
            force,
        } => crate::turnover::export_timeline(&project, &output, force),
        Command::Play(args) => crate::play::play(&args_to_play(args)),
        Command::Devices => crate::play::devices(),
        Command::Picture { movie, frame } => picture(&movie, frame),
        Command::Library(cmd) => library(cmd),
        Command::Process {
            input,
            output,
            inserts,
            format,
            force,
        } => {
            if format.is_flac() {
                bail!("process writes WAV (wav16, wav24 or wav32f)");
            }
            crate::process::process(&input, &output, &inserts, format.into(), force)
        }
        Command::Loudness {
            project,
            range,
            allow_missing,
            max_length,
        } => loudness(&project, range.as_deref(), allow_missing, &max_length),
    }
}

/// "hpf (freq 80 Hz, slope 24 dB/oct) → comp [bypassed]; send → VERB −12.0 dB".
fn strip_chain_text(p: &Project, strip: dubstage_model::StripId) -> String {
    let parts: Vec<String> = p
        .strip_inserts(strip)
        .iter()
        .map(|i| {
            let vals: Vec<String> = i
                .kind
                .params()
                .iter()
                .enumerate()
                .filter(|(k, spec)| i.value(*k as u16) != spec.default)
                .map(|(k, spec)| format!("{} {}", spec.key, spec.format(i.value(k as u16))))
                .collect();
            let mut t = i.kind.key().to_owned();
            if !vals.is_empty() {
                t.push_str(&format!(" ({})", vals.join(", ")));
            }
            if let Some(sc) = i.sidechain {
                t.push_str(&format!(" keyed by {}", p.strip_name(sc)));
            }
            if i.bypass {
                t.push_str(" [bypassed]");
            }
            t
        })
        .collect();
    let sends = match strip {
        dubstage_model::StripId::Track(t) => p.track(t).map(|t| t.sends.clone()),
        dubstage_model::StripId::Bus(b) => p.bus(b).map(|b| b.sends.clone()),
        dubstage_model::StripId::Master => None,
    }
    .unwrap_or_default();
    let mut text = parts.join(" → ");
    for s in sends {
        let bus = p.bus(s.bus).map_or("?".to_owned(), |b| b.name.clone());
        text.push_str(&format!(
            "{}send → {bus} {:+.1} dB{}",
            if text.is_empty() { "" } else { "; " },
            s.level_db,
            if s.pre_fader { " pre" } else { "" }
        ));
    }
    text
}

fn args_to_play(a: PlayArgs) -> crate::play::PlayOptions {
    crate::play::PlayOptions {
        project: a.project,
        from: a.from,
        to: a.to,
        looped: a.looped,
        device: a.device,
        buffer: a.buffer,
        null: a.null,
        allow_missing: a.allow_missing,
    }
}

pub(crate) fn load_project(path: &Path) -> Result<Project> {
    let loaded = file::load(path)?;
    for w in &loaded.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok(loaded.project)
}

/// Parses a range bound: timecode, seconds (`12.5s`), samples, or a
/// marker's name.
pub(crate) fn parse_position(p: &Project, s: &str) -> Result<SamplePos> {
    let s = s.trim();
    if let Some(m) = p
        .markers
        .iter()
        .find(|m| !m.name.is_empty() && m.name.eq_ignore_ascii_case(s))
    {
        return Ok(m.position);
    }
    if s.contains([':', ';']) {
        let tc = Timecode::parse(s)?;
        return Ok(p.time_map().samples_at(tc)?);
    }
    if let Some(secs) = s.strip_suffix('s') {
        let v: f64 = secs
            .parse()
            .with_context(|| format!("`{s}` is not a number of seconds"))?;
        if !v.is_finite() {
            bail!("`{s}` is not a number of seconds");
        }
        return Ok(SamplePos::ZERO + p.sample_rate.seconds_f64(v));
    }
    let v: i64 = s.parse().with_context(|| {
        let names: Vec<String> = p
            .markers
            .iter()
            .map(|m| format!("\"{}\"", m.name))
            .collect();
        format!(
            "`{s}` is not a timecode, seconds (12.5s), a sample count or a marker{}",
            if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", names.join(", "))
            }
        )
    })?;
    Ok(SamplePos(v))
}

pub(crate) fn db(peak: f32) -> String {
    if peak <= 0.0 {
        "-inf dBFS".to_owned()
    } else {
        format!("{:.2} dBFS", 20.0 * peak.log10())
    }
}

fn render(args: &RenderArgs) -> Result<()> {
    crate::signals::install();
    let project = load_project(&args.project)?;
    let (start, end) = match &args.range {
        Some(r) => (
            parse_position(&project, &r[0])?,
            parse_position(&project, &r[1])?,
        ),
        None => (SamplePos::ZERO, project.end()),
    };
    if end <= start {
        if args.range.is_none() {
            bail!(
                "{}: the project has no clips; nothing to render",
                args.project.display()
            );
        }
        bail!("the range is empty: END must be after START");
    }
    check_length(&project, start, end, &args.max_length)?;
    let show_progress = std::io::stderr().is_terminal();
    let loaded = load_sources(&project, &|done, total| {
        if show_progress {
            eprint!("\rdecoding media {done}/{total}");
        }
    });
    if show_progress {
        eprintln!();
    }
    let offline: Vec<String> = loaded.offline().map(ToString::to_string).collect();
    if !offline.is_empty() && !args.allow_missing {
        bail!(
            "{} media file{} missing or unreadable (use --allow-missing to render {} as silence): {}",
            offline.len(),
            if offline.len() == 1 { " is" } else { "s are" },
            if offline.len() == 1 { "it" } else { "them" },
            offline.join("; ")
        );
    }
    for issue in &loaded.issues {
        let what = if issue.is_offline() {
            "rendering as silence"
        } else {
            "partly decoded"
        };
        eprintln!("warning: {issue} ({what})");
    }
    let plan = compile(
        &project,
        &loaded.sources,
        CompileOptions {
            max_block: dubstage_engine::export::EXPORT_BLOCK,
        },
    );
    let settings = ExportSettings {
        start,
        end,
        format: args.format.into(),
        sample_rate: match &args.sample_rate {
            Some(r) => r.parse().context("sample rate")?,
            None => project.sample_rate.hz(),
        },
        master: args.output.clone(),
        stems_dir: args.stems.clone(),
        overwrite: args.force,
        dither: match args.format {
            Format::Wav32f => false,
            Format::Wav16 | Format::Flac16 => !args.no_dither,
            Format::Wav24 | Format::Flac24 => args.dither && !args.no_dither,
        },
        bwf: Some(dubstage_engine::export::bwf_info(
            &project,
            start,
            &dubstage_engine::export::Slate {
                scene: args.scene.clone(),
                take: args.take.clone(),
            },
        )),
        gain_db: 0.0,
        limiter_ceiling: None,
        flac: args.format.is_flac(),
        stem_template: None,
        protect: dubstage_engine::export::project_inputs(&project),
    };
    if args.review_copy.is_some() && project.picture.is_none() {
        bail!("--review-copy needs a picture in the project (none is set)");
    }
    // Every output, the review copy included, is checked before anything
    // is rendered: none may replace one of the project's own files or a
    // non-regular file, none may collide, none may exist without --force.
    let mut outputs: Vec<PathBuf> = planned_paths(&plan, &settings)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    outputs.extend(args.review_copy.clone());
    dubstage_engine::export::check_outputs(&outputs, args.force, &settings.protect).map_err(
        |e| match e {
            dubstage_engine::export::ExportError::Exists(p) => {
                anyhow::anyhow!("{} already exists (use --force to overwrite)", p.display())
            }
            other => anyhow::anyhow!(other),
        },
    )?;
    let preset = match (&args.preset, args.target_lufs, args.ceiling_dbtp) {
        (Some(name), _, _) => Some(dubstage_engine::deliver::preset(name).with_context(|| {
            let names: Vec<&str> = dubstage_engine::deliver::PRESETS
                .iter()
                .map(|p| p.name)
                .collect();
            format!("unknown preset `{name}` (presets: {})", names.join(", "))
        })?),
        (None, Some(target_lufs), Some(ceiling_dbtp)) => Some(dubstage_engine::deliver::Preset {
            name: "custom",
            label: "Custom",
            target_lufs,
            ceiling_dbtp,
            dialogue_gated: false,
            max_limiting_db: dubstage_engine::deliver::DEFAULT_MAX_LIMITING_DB,
        }),
        _ => None,
    };
    let preset = preset.map(|p| dubstage_engine::deliver::Preset {
        max_limiting_db: args.max_limiting.unwrap_or(p.max_limiting_db),
        ..p
    });
    if let Some(m) = args.max_limiting
        && !(m.is_finite() && (0.0..=40.0).contains(&m))
    {
        bail!("--max-limiting must be between 0 and 40 dB");
    }
    if let Some(preset) = preset {
        return deliver_render(
            &project,
            &loaded.sources,
            settings,
            preset,
            args.format,
            show_progress,
        );
    }
    let mut last = -1i64;
    let files = export_at_rate(plan, project.sample_rate.hz(), &settings, &mut |f| {
        if crate::signals::interrupted() {
            return false;
        }
        let pct = (f * 100.0) as i64;
        if show_progress && pct / 5 != last / 5 {
            last = pct;
            eprint!("\rrendering {pct:3}%");
            let _ = std::io::stderr().flush();
        }
        true
    })
    .context("render failed")?;
    if show_progress {
        eprintln!();
    }
    let rate = project.sample_rate;
    let map = project.time_map();
    println!(
        "rendered {} to {} ({:.2} s, {}, {})",
        project.name,
        map.timecode_at(end),
        rate.to_seconds(end - start),
        rate,
        args.format.label()
    );
    for f in files {
        let label = f.stem.as_deref().unwrap_or("master");
        println!("  {label:<8} {}  peak {}", f.path.display(), db(f.peak));
    }
    review_copy(&project, &settings, args.review_copy.as_deref())
}

/// Parses a length such as `12h`, `90m`, `600s` or `600` (seconds).
fn parse_length(text: &str) -> Result<f64> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t, 's'),
    };
    let v: f64 = num
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v > 0.0)
        .with_context(|| format!("`{text}` is not a length (for example 12h, 90m or 600s)"))?;
    Ok(match unit {
        'h' => v * 3600.0,
        'm' => v * 60.0,
        's' => v,
        _ => bail!("`{text}` is not a length (for example 12h, 90m or 600s)"),
    })
}

/// Refuses a range longer than `max` before anything is rendered: a typo
/// in a clip length (1e12 samples) would otherwise write for days.
fn check_length(project: &Project, start: SamplePos, end: SamplePos, max: &str) -> Result<()> {
    let max_s = parse_length(max)?;
    let secs = project.sample_rate.to_seconds(end - start);
    if secs > max_s {
        let longest = project
            .tracks
            .iter()
            .flat_map(|t| t.clips.iter().map(move |c| (t, c)))
            .max_by_key(|(_, c)| c.end());
        let culprit = longest.map_or(String::new(), |(t, c)| {
            format!(
                " (the last clip, clip {} on \"{}\", ends {:.0} s in)",
                c.id,
                t.name,
                project.sample_rate.to_seconds(c.end() - start)
            )
        });
        bail!(
            "the range is {:.1} hours long{culprit}, more than --max-length {max}; check the clip lengths, or pass a larger --max-length if that is meant",
            secs / 3600.0
        );
    }
    Ok(())
}

/// `--review-copy`: the picture with the rendered master as its sound.
fn review_copy(project: &Project, settings: &ExportSettings, out: Option<&Path>) -> Result<()> {
    let Some(out) = out else { return Ok(()) };
    let Some(pic) = &project.picture else {
        bail!("--review-copy needs a picture in the project (none is set)");
    };
    if settings.flac {
        bail!("--review-copy needs a WAV master (not FLAC)");
    }
    let tools = dubstage_media::video::Tools::locate()?;
    let rate = f64::from(project.sample_rate.hz());
    let offset = (settings.start.0 - pic.position.0) as f64 / rate;
    dubstage_media::video::mux_review(&tools, &pic.path, &settings.master, offset, out)?;
    println!("  review   {}", out.display());
    Ok(())
}

/// `render --preset`: normalise, render, verify, write the QC report.
fn deliver_render(
    project: &Project,
    sources: &dubstage_engine::Sources,
    settings: ExportSettings,
    preset: dubstage_engine::deliver::Preset,
    format: Format,
    show_progress: bool,
) -> Result<()> {
    use dubstage_engine::deliver::{ReportInfo, checks, deliver, write_reports};
    let rate = project.sample_rate;
    // The delivery finds its own gain and limiter: render without the
    // chain a previous delivery left on the master.
    let dry = project.without_delivery();
    let mut plan = || {
        compile(
            &dry,
            sources,
            CompileOptions {
                max_block: dubstage_engine::export::EXPORT_BLOCK,
            },
        )
    };
    let d = deliver(&mut plan, rate.hz(), &settings, preset, &mut |stage, f| {
        if crate::signals::interrupted() {
            return false;
        }
        if show_progress {
            eprint!("\r{stage} {:3.0}%   ", f * 100.0);
            let _ = std::io::stderr().flush();
        }
        true
    })
    .context("delivery failed")?;
    if show_progress {
        eprintln!();
    }
    let map = project.time_map();
    let info = ReportInfo {
        project: project.name.clone(),
        start_timecode: map.timecode_at(settings.start).to_string(),
        duration_s: rate.to_seconds(settings.end - settings.start),
        format: format.label().to_owned(),
        sample_rate: rate.hz(),
    };
    let reports = write_reports(&d, &info)?;
    println!(
        "delivered {} for {}: gain {:+.2} dB{}, {} pass{}",
        project.name,
        preset.label,
        d.gain_db,
        if d.limited { ", limited" } else { "" },
        d.passes,
        if d.passes == 1 { "" } else { "es" }
    );
    if let Some(n) = &d.note {
        println!("  note: {n}");
    }
    for c in checks(&d) {
        println!(
            "  {}  {}: {}",
            if c.pass { "PASS" } else { "FAIL" },
            c.criterion,
            c.measured
        );
    }
    for f in &d.files {
        let label = f.file.stem.as_deref().unwrap_or("master");
        println!(
            "  {label:<8} {}  {} LUFS  {:.2} dBTP",
            f.file.path.display(),
            f.figures
                .integrated
                .map_or("-inf".to_owned(), |v| format!("{v:.2}")),
            f.figures.true_peak_dbtp
        );
    }
    println!(
        "  report   {}, {} and {}",
        reports.html.display(),
        reports.txt.display(),
        reports.json.display()
    );
    let failed: Vec<String> = checks(&d)
        .into_iter()
        .filter(|c| !c.pass)
        .map(|c| format!("{} (measured {})", c.criterion, c.measured))
        .collect();
    if !failed.is_empty() {
        bail!(
            "the delivery does not meet {}: {}",
            preset.label,
            failed.join("; ")
        );
    }
    Ok(())
}

fn loudness(
    path: &Path,
    range: Option<&[String]>,
    allow_missing: bool,
    max_length: &str,
) -> Result<()> {
    use dubstage_engine::loudness::{Figures, analyse};
    let project = load_project(path)?;
    let (start, end) = match range {
        Some(r) => (
            parse_position(&project, &r[0])?,
            parse_position(&project, &r[1])?,
        ),
        None => (SamplePos::ZERO, project.end()),
    };
    if end <= start {
        bail!("nothing to measure: the range is empty");
    }
    check_length(&project, start, end, max_length)?;
    let loaded = load_sources(&project, &|_, _| {});
    let offline: Vec<String> = loaded.offline().map(ToString::to_string).collect();
    if !offline.is_empty() && !allow_missing {
        bail!(
            "media missing or unreadable (use --allow-missing to measure as silence): {}",
            offline.join("; ")
        );
    }
    let plan = compile(
        &project,
        &loaded.sources,
        CompileOptions { max_block: 4096 },
    );
    let show = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let a = analyse(plan, project.sample_rate.hz(), start, end, &mut |f| {
        if show {
            eprint!("\ranalysing {:>3.0}%", f * 100.0);
        }
        true
    })?;
    if show {
        eprintln!();
    }
    let secs = project.sample_rate.to_seconds(end - start);
    let map = project.time_map();
    println!(
        "Range     {} to {} ({secs:.2} s), measured in {:.2} s",
        map.timecode_at(start),
        map.timecode_at(end),
        started.elapsed().as_secs_f64()
    );
    let lufs = |v: Option<f64>| v.map_or("    -inf".to_owned(), |v| format!("{v:8.2}"));
    println!("           integrated     LRA    max M    max S    true peak  sample peak");
    let row = |name: &str, f: &Figures| {
        println!(
            "{name:<8}  {} LUFS {} {} {} {:8.2} dBTP {:8.2} dBFS",
            lufs(f.integrated),
            f.range.map_or("      -".to_owned(), |v| format!("{v:7.2}")),
            lufs(f.max_momentary),
            lufs(f.max_short_term),
            f.true_peak_dbtp,
            f.sample_peak_dbfs
        );
    };
    row("Master", &a.master);
    for (_, name, f) in &a.stems {
        row(name, f);
    }
    println!(
        "Dialogue-gated loudness {} LUFS; dialogue in {:.1} % of the programme",
        a.dialogue_gated
            .map_or("-inf".to_owned(), |v| format!("{v:.2}")),
        a.dialogue_percent
    );
    Ok(())
}

fn library(cmd: LibraryCmd) -> Result<()> {
    use dubstage_media::library::{Library, Query, ScanProgress, scan};
    let index = dubstage_ui::library::default_index_path();
    let mut lib = match Library::load(&index) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Library::default(),
        Err(e) => bail!("{}: {e} (remove it to start afresh)", index.display()),
    };
    match cmd {
        LibraryCmd::Scan { folders } => {
            for f in folders {
                let f = std::path::absolute(&f).unwrap_or(f);
                if !f.is_dir() {
                    bail!("{}: not a folder", f.display());
                }
                if !lib.folders.contains(&f) {
                    lib.folders.push(f);
                }
            }
            let folders = lib.folders.clone();
            let (new, r) = scan(&folders, &lib, &ScanProgress::default());
            new.save(&index)?;
            println!(
                "{} files in {} folders: {} new, {} changed, {} removed, {} unreadable",
                new.entries.len(),
                new.folders.len(),
                r.added,
                r.changed,
                r.removed,
                r.unreadable
            );
            for (p, reason) in new.unreadable() {
                println!("unreadable: {}: {reason}", p.display());
            }
        }
        LibraryCmd::Remove { folder } => {
            let folder = std::path::absolute(&folder).unwrap_or(folder);
            let before = lib.folders.len();
            lib.folders.retain(|f| *f != folder);
            if lib.folders.len() == before {
                bail!("{} is not a library folder", folder.display());
            }
            let folders = lib.folders.clone();
            let (new, _) = scan(&folders, &lib, &ScanProgress::default());
            new.save(&index)?;
            println!(
                "{} files in {} folders",
                new.entries.len(),
                new.folders.len()
            );
        }
        LibraryCmd::Search { words, limit } => {
            let q = Query {
                text: words.join(" "),
                ..Query::default()
            };
            let hits = lib.search(&q);
            for &i in hits.iter().take(limit) {
                let e = &lib.entries[i];
                println!(
                    "{:>8.2} s  {}ch  {:<12} {}{}",
                    e.seconds(),
                    e.channels,
                    e.category,
                    e.path.display(),
                    if e.description.is_empty() {
                        String::new()
                    } else {
                        format!("  ({})", e.description)
                    }
                );
            }
            println!("{} results", hits.len());
        }
    }
    Ok(())
}

fn picture(movie: &Path, frame: Option<i64>) -> Result<()> {
    use dubstage_media::video::{FrameServer, ServerConfig, Tools, probe};
    let tools = Tools::locate()?;
    let info = probe(&tools, movie)?;
    println!("Movie     {}", movie.display());
    println!("Container {}", info.container);
    println!(
        "Video     {} {}x{} (pixel aspect {}:{}), {} fps ({}/{})",
        info.codec,
        info.width,
        info.height,
        info.sar.0,
        info.sar.1,
        info.rate,
        info.rate.num,
        info.rate.den
    );
    println!(
        "Frames    {} ({:.3} s)",
        info.frames,
        info.duration_seconds()
    );
    println!("Timecode  {}", info.timecode.as_deref().unwrap_or("none"));
    if info.audio.is_empty() {
        println!("Audio     none");
    }
    for a in &info.audio {
        println!(
            "Audio {}   {} {} ch {} Hz, starts at {:.6} s",
            a.audio_index, a.codec, a.channels, a.sample_rate, a.start_time
        );
    }
    if let Some(index) = frame {
        if !(0..info.frames).contains(&index) {
            bail!(
                "frame {index} is outside the movie (0 to {})",
                info.frames - 1
            );
        }
        let server = FrameServer::start(&tools, info, ServerConfig::default());
        let f = server
            .wait_for(index, false, std::time::Duration::from_secs(120))
            .with_context(|| format!("decoding frame {index}"))?;
        println!("Decoded   frame {} at {}x{}", f.index, f.width, f.height);
    }
    Ok(())
}

fn info(path: &Path) -> Result<()> {
    let p = load_project(path)?;
    let map = p.time_map();
    let rate = p.sample_rate;
    let dur = p.end() - SamplePos::ZERO;
    println!("Project   {}", p.name);
    println!("File      {}", path.display());
    println!(
        "Format    {}, {} fps, starts at {}, pan law {}",
        rate,
        p.frame_rate,
        p.start_timecode,
        p.pan_law.label()
    );
    println!(
        "Duration  {} ({:.2} s), from {} to {}",
        duration_tc(&p, dur),
        rate.to_seconds(dur),
        map.timecode_at(SamplePos::ZERO),
        map.timecode_at(p.end())
    );
    let buses: Vec<String> = p
        .buses
        .iter()
        .map(|b| {
            format!(
                "{} {:+.1} dB{}",
                b.name,
                b.gain_db,
                if b.mute { " (muted)" } else { "" }
            )
        })
        .collect();
    println!(
        "Buses     {}; master {:+.1} dB",
        buses.join(", "),
        p.master.gain_db
    );
    // Every strip's processing chain.
    for strip in p.strips() {
        let chain = strip_chain_text(&p, strip);
        if !chain.is_empty() {
            println!("Strip     {}: {chain}", p.strip_name(strip));
        }
    }
    if let Some(d) = &p.master.delivery {
        println!(
            "Delivery  {} chain on the master: {:+.2} dB{}",
            d.preset,
            d.gain_db,
            d.ceiling_dbtp
                .map_or(String::new(), |c| format!(", limiter at {c:.2} dBTP"))
        );
    }
    if let Some(pic) = &p.picture {
        let missing = if pic.path.exists() { "" } else { " (missing)" };
        println!(
            "Picture   {}{}: {} frames at {} fps, first frame at {}{}",
            pic.path.display(),
            missing,
            pic.frames,
            pic.frame_rate,
            map.timecode_at(pic.position),
            if pic.av_offset_ms != 0.0 {
                format!(", A/V offset {:+.1} ms", pic.av_offset_ms)
            } else {
                String::new()
            }
        );
    }
    println!("Tracks    {}", p.tracks.len());
    for (i, t) in p.tracks.iter().enumerate() {
        let out = match t.output {
            Output::Bus(b) => p.bus(b).map_or("?".to_owned(), |b| b.name.clone()),
            Output::Master => "master".to_owned(),
        };
        let mut flags = String::new();
        for (on, f) in [
            (t.mute, " mute"),
            (t.solo, " solo"),
            (t.solo_safe, " solo-safe"),
        ] {
            if on {
                flags.push_str(f);
            }
        }
        println!(
            "  {:>2}. {} [{} → {}] {:+.1} dB, pan {}{}",
            i + 1,
            t.name,
            t.kind.label(),
            out,
            t.gain_db,
            pan_label(t.pan),
            flags
        );
        for c in &t.clips {
            let media = p.media(c.media);
            let name = if c.name.is_empty() {
                media.map_or("?", |m| m.name.as_str())
            } else {
                c.name.as_str()
            };
            let envelope = if c.gain_envelope.is_empty() {
                String::new()
            } else {
                format!(", gain envelope of {} points", c.gain_envelope.len())
            };
            println!(
                "        {} – {}  {:<24} {:.2} s, {:+.1} dB{envelope}",
                map.timecode_at(c.position),
                map.timecode_at(c.end()),
                name,
                rate.to_seconds(c.length),
                c.gain_db
            );
        }
    }
    if !p.automation.is_empty() {
        println!("Automation {} lanes", p.automation.len());
        for l in &p.automation {
            let (Some(first), Some(last)) = (l.points.first(), l.points.last()) else {
                continue;
            };
            println!(
                "        {}: {} point{}, {} – {}",
                p.lane_label(l.param),
                l.points.len(),
                if l.points.len() == 1 { "" } else { "s" },
                map.timecode_at(first.at),
                map.timecode_at(last.at)
            );
        }
    }
    if !p.markers.is_empty() {
        println!("Markers   {}", p.markers.len());
        for m in &p.markers {
            println!("        {}  {}", map.timecode_at(m.position), m.name);
        }
    }
    let missing: Vec<_> = p
        .media
        .iter()
        .filter(|m| m.path.as_os_str().is_empty() || !m.path.exists())
        .collect();
    println!(
        "Media     {} file(s), {} missing",
        p.media.len(),
        missing.len()
    );
    for m in missing {
        if m.path.as_os_str().is_empty() {
            println!("  missing: {} (no file recorded)", m.name);
        } else {
            println!("  missing: {}", m.path.display());
        }
    }
    Ok(())
}

/// A duration as HH:MM:SS:FF at the project frame rate.
fn duration_tc(p: &Project, d: SampleLen) -> String {
    let frames = p.frame_rate.samples_to_frame(SamplePos(d.0), p.sample_rate);
    Timecode::from_frames(frames, p.frame_rate).to_string()
}
