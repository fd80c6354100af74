//! Deliverables: loudness presets, normalisation (analyse → gain → true-peak
//! limiter when the ceiling needs it → verify) and the QC report.
//!
//! The gain is applied to the master and every stem alike, so unlimited
//! stems still sum to the unlimited master. The limiter detects peaks on
//! the 4× oversampled signal, under a ceiling 0.1 dB below the true-peak
//! target; the verify pass measures the written master (4× oversampled true
//! peak) and, when the limiter cost loudness or a peak got through, renders
//! again with the gain or ceiling corrected (at most [`MAX_PASSES`] passes).
//! Once limiting bends the gain-to-loudness curve, the next gain comes from
//! the slope between the last two passes (a secant step), not 1 dB per dB.
//!
//! Every written file is measured as it is written ([`export_measured`]):
//! the meters see exactly the samples handed to the writer, on worker
//! threads beside the renderer, so verifying costs no second read. Those
//! samples are the file's before conversion to integers; 24-bit rounding
//! moves no figure by more than 0.001 dB, and the tests decode the written
//! files to check.

use crate::export::{ExportError, ExportSettings, ExportedFile, export_at_rate_tapped};
use crate::loudness::{Analysis, AnalysisError, Figures, Meter, analyse_master, dialogue_gate};
use crate::plan::RenderPlan;
use std::path::{Path, PathBuf};

/// A delivery target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    /// Command-line name (`ebu-r128`).
    pub name: &'static str,
    pub label: &'static str,
    pub target_lufs: f64,
    pub ceiling_dbtp: f64,
    /// Normalise the dialogue-gated loudness instead of the programme's.
    pub dialogue_gated: bool,
    /// The most the limiter may pull the loudest peak down, in dB, in
    /// pursuit of the target. A target that needs more is reported as
    /// unreachable (the delivery fails) instead of crushing the mix.
    pub max_limiting_db: f64,
}

/// The default of [`Preset::max_limiting_db`]: 6 dB of peak reduction is
/// about what a film mix takes before the limiter is heard.
pub const DEFAULT_MAX_LIMITING_DB: f64 = 6.0;

/// The built-in presets.
pub const PRESETS: [Preset; 5] = [
    Preset {
        name: "ebu-r128",
        label: "EBU R128 (-23 LUFS, -1 dBTP)",
        target_lufs: -23.0,
        ceiling_dbtp: -1.0,
        dialogue_gated: false,
        max_limiting_db: DEFAULT_MAX_LIMITING_DB,
    },
    Preset {
        name: "atsc-a85",
        label: "ATSC A/85 (-24 LKFS, -2 dBTP)",
        target_lufs: -24.0,
        ceiling_dbtp: -2.0,
        dialogue_gated: false,
        max_limiting_db: DEFAULT_MAX_LIMITING_DB,
    },
    Preset {
        name: "dialogue-27",
        label: "Dialogue-gated -27 LKFS, -2 dBTP",
        target_lufs: -27.0,
        ceiling_dbtp: -2.0,
        dialogue_gated: true,
        max_limiting_db: DEFAULT_MAX_LIMITING_DB,
    },
    Preset {
        name: "stream-14",
        label: "Streaming -14 LUFS, -1 dBTP",
        target_lufs: -14.0,
        ceiling_dbtp: -1.0,
        dialogue_gated: false,
        max_limiting_db: DEFAULT_MAX_LIMITING_DB,
    },
    Preset {
        name: "stream-16",
        label: "Streaming -16 LUFS, -1 dBTP",
        target_lufs: -16.0,
        ceiling_dbtp: -1.0,
        dialogue_gated: false,
        max_limiting_db: DEFAULT_MAX_LIMITING_DB,
    },
];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<Preset> {
    PRESETS.iter().copied().find(|p| p.name == name)
}

/// Most renders a delivery makes before it reports what it got.
pub const MAX_PASSES: u32 = 8;

/// How close to the target the gain loop brings the loudness, LU (the QC
/// verdict allows [`LOUDNESS_TOLERANCE`]).
pub const CONVERGENCE: f64 = 0.02;

/// dB under the ceiling the measured true peak must reach (so that meters
/// with other interpolation filters read it under the ceiling too).
pub const TRUE_PEAK_MARGIN: f64 = 0.02;

/// dB of gain per LU of loudness beyond which the limiter is taken to be
/// saturated (the target cannot be reached under the ceiling).
const MAX_SLOPE: f64 = 8.0;

/// Tolerance of the integrated (or dialogue-gated) loudness, LU.
pub const LOUDNESS_TOLERANCE: f64 = 0.1;

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("nothing to normalise: the {0} is silent")]
    Silent(&'static str),
    #[error("{path}: {message}")]
    Verify { path: PathBuf, message: String },
}

/// One delivered file and its measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveredFile {
    pub file: ExportedFile,
    pub figures: Figures,
}

impl Delivery {
    /// The master's delivery chain that plays what this delivery wrote.
    pub fn chain(&self) -> dubstage_model::DeliveryChain {
        dubstage_model::DeliveryChain {
            preset: self.preset.label.to_owned(),
            gain_db: self.gain_db as f32,
            ceiling_dbtp: self.ceiling_dbtp.map(|c| c as f32),
        }
    }
}

/// What a delivery produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub preset: Preset,
    /// The measurement before normalisation: the master, and the DIA stem
    /// the dialogue gate needs.
    pub before: Analysis,
    /// The measurement of the rendered programme after normalisation (its
    /// loudness curve is the one measured before).
    pub after: Analysis,
    pub gain_db: f64,
    /// Whether the limiter was needed.
    pub limited: bool,
    /// The limiter's ceiling (dBTP) when it was.
    pub ceiling_dbtp: Option<f64>,
    pub passes: u32,
    pub files: Vec<DeliveredFile>,
    /// Why the target was missed, when it was.
    pub note: Option<String>,
}

fn measured(a: &Analysis, p: &Preset) -> Option<f64> {
    if p.dialogue_gated {
        a.dialogue_gated
    } else {
        a.master.integrated
    }
}

/// Measures a written stereo file.
pub fn measure_file(path: &Path) -> Result<Figures, DeliverError> {
    let verify = |message: String| DeliverError::Verify {
        path: path.to_owned(),
        message,
    };
    let d = dubstage_media::decode_file(path).map_err(|e| verify(e.to_string()))?;
    let mut m = Meter::new(d.audio.sample_rate);
    let (l, r) = match d.audio.channels.as_slice() {
        [l, r, ..] => (l, r),
        [m] => (m, m),
        [] => return Err(verify("no audio".to_owned())),
    };
    m.push(l, r);
    Ok(m.figures())
}

/// Threads measuring the files of an export.
const METER_THREADS: usize = 2;

/// Exports like [`crate::export::export_at_rate`] and measures every file
/// as it is written: what reaches each writer is copied to meters on
/// worker threads. Returns the files with their meters, master first.
pub fn export_measured(
    plan: RenderPlan,
    project_rate: u32,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Vec<(ExportedFile, Meter)>, DeliverError> {
    let files = crate::export::planned_paths(&plan, settings).len();
    type Piece = (usize, Vec<f32>, Vec<f32>);
    std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut workers = Vec::new();
        for w in 0..METER_THREADS {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(16);
            senders.push(tx);
            let rate = settings.sample_rate;
            workers.push(scope.spawn(move || {
                let mut meters: Vec<(usize, Meter)> = (w..files)
                    .step_by(METER_THREADS)
                    .map(|i| (i, Meter::new(rate)))
                    .collect();
                for (i, l, r) in rx {
                    if let Some((_, m)) = meters.iter_mut().find(|(k, _)| *k == i) {
                        m.push(&l, &r);
                    }
                }
                meters
            }));
        }
        let written =
            export_at_rate_tapped(plan, project_rate, settings, progress, &mut |i, l, r| {
                // A worker that stopped shows up when joined.
                let _ = senders[i % METER_THREADS].send((i, l.to_vec(), r.to_vec()));
            });
        drop(senders);
        let mut meters = Vec::with_capacity(files);
        for w in workers {
            meters.extend(w.join().map_err(|_| AnalysisError::Meter)?);
        }
        meters.sort_by_key(|(i, _)| *i);
        let written = written?;
        Ok(written
            .into_iter()
            .zip(meters)
            .map(|(f, (_, m))| (f, m))
            .collect())
    })
}

/// Renders and measures the master alone, as an export with `settings`
/// would write it (gain and limiter), without writing anything.
fn probe(
    plan: RenderPlan,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Meter, DeliverError> {
    metered(settings.sample_rate, |send| {
        crate::export::probe_master(plan, settings, progress, &mut |_, l, r| send(l, r))?;
        Ok(())
    })
}

/// Runs `feed`, measuring everything it sends on a meter thread beside it.
fn metered(
    rate: u32,
    feed: impl FnOnce(&mut dyn FnMut(&[f32], &[f32])) -> Result<(), DeliverError>,
) -> Result<Meter, DeliverError> {
    type Piece = (Vec<f32>, Vec<f32>);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(16);
        let worker = scope.spawn(move || {
            let mut m = Meter::new(rate);
            for (l, r) in rx {
                m.push(&l, &r);
            }
            m
        });
        // A meter thread that stopped shows up when joined.
        let fed = feed(&mut |l, r| {
            let _ = tx.send((l.to_vec(), r.to_vec()));
        });
        drop(tx);
        let meter = worker.join().map_err(|_| AnalysisError::Meter)?;
        fed?;
        Ok(meter)
    })
}

/// Most memory a delivery keeps its rendered (pre-gain) master in, to try
/// gains and ceilings without rendering the mix again: 1 GiB, about 46
/// minutes of 48 kHz stereo. Longer programmes render for every try.
const CACHE_BYTES: u64 = 1 << 30;

/// The rendered master of the delivery's range (and the limiter's delay
/// beyond it), before gain.
struct MasterCache {
    l: Vec<f32>,
    r: Vec<f32>,
}

/// Renders the master once into memory, when it fits [`CACHE_BYTES`].
fn render_master(
    plan: RenderPlan,
    settings: &ExportSettings,
    frames: i64,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Option<MasterCache>, DeliverError> {
    if frames <= 0 || frames as u64 * 8 > CACHE_BYTES {
        return Ok(None);
    }
    let mut renderer = crate::render::Renderer::new(Box::new(plan));
    renderer.use_threads(None);
    renderer.locate(settings.start);
    renderer.skip_latency();
    let mut cache = MasterCache {
        l: Vec::with_capacity(frames as usize),
        r: Vec::with_capacity(frames as usize),
    };
    let mut done = 0i64;
    while done < frames {
        let want = (frames - done).min(crate::export::EXPORT_BLOCK as i64) as usize;
        let block = renderer.render_block(want);
        let (l, r) = block.master();
        cache.l.extend_from_slice(l);
        cache.r.extend_from_slice(r);
        done += block.frames as i64;
        if !progress(done as f64 / frames as f64) {
            return Err(ExportError::Cancelled.into());
        }
    }
    Ok(Some(cache))
}

/// [`probe`] from the cached master: the same chain (gain, limiter), no
/// rendering.
fn probe_cached(
    cache: &MasterCache,
    settings: &ExportSettings,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Meter, DeliverError> {
    let total = (settings.end - settings.start).0;
    metered(settings.sample_rate, |send| {
        let mut chain = crate::export::MasterChain::new(settings);
        let frames = ((total + chain.delay()) as usize).min(cache.l.len());
        let mut done = 0usize;
        for (l, r) in cache.l[..frames]
            .chunks(crate::export::EXPORT_BLOCK)
            .zip(cache.r[..frames].chunks(crate::export::EXPORT_BLOCK))
        {
            let (ol, or) = chain.process(l, r);
            if !ol.is_empty() {
                send(ol, or);
            }
            done += l.len();
            if !progress(done as f64 / frames.max(1) as f64) {
                return Err(ExportError::Cancelled.into());
            }
        }
        Ok(())
    })
}

/// Normalises and exports to `preset`: `plan` builds a fresh render plan of
/// the project (called once per pass). `progress(pass, fraction)` returns
/// false to cancel.
pub fn deliver(
    plan: &mut dyn FnMut() -> RenderPlan,
    rate: u32,
    settings: &ExportSettings,
    preset: Preset,
    progress: &mut dyn FnMut(&str, f64) -> bool,
) -> Result<Delivery, DeliverError> {
    // Refuse before any work when a file would be replaced without leave.
    if !settings.overwrite
        && let Some((p, _)) = crate::export::planned_paths(&plan(), settings)
            .into_iter()
            .find(|(p, _)| p.exists())
    {
        return Err(ExportError::Exists(p).into());
    }
    let before = analyse_master(plan(), rate, settings.start, settings.end, &mut |f| {
        progress("analysing", f)
    })?;
    let bus_ids: Vec<(dubstage_model::BusId, String)> = plan()
        .bus_names()
        .map(|(id, n)| (id, n.to_owned()))
        .collect();
    let what = if preset.dialogue_gated {
        "dialogue"
    } else {
        "programme"
    };
    let loudness = measured(&before, &preset).ok_or(DeliverError::Silent(what))?;
    // The gain at which the limiter pulls the loudest peak down by the most
    // the preset allows.
    let gain_cap =
        preset.ceiling_dbtp - before.master.true_peak_dbtp + preset.max_limiting_db.max(0.0);
    let mut gain_db = (preset.target_lufs - loudness).min(gain_cap);
    let predicted_tp = before.master.true_peak_dbtp + gain_db;
    let mut ceiling_db = preset.ceiling_dbtp - 0.1;
    let mut limited = predicted_tp > preset.ceiling_dbtp;
    let mut passes = 0;
    // (gain, measured loudness) of the last pass.
    let mut last: Option<(f64, f64)> = None;
    // Without the limiter the gain is exact (loudness and true peak move by
    // it, dB for dB), so the first pass writes the files. With it, passes
    // render and measure the master alone until the gain and ceiling are
    // found, then one pass writes every file (the render is deterministic:
    // the written master is the one measured) and verifies it.
    let mut writing = !limited;
    // Files of an earlier writing pass of this delivery may be replaced.
    let mut wrote = false;
    // The pre-gain master, kept for the passes that fit the limiter.
    let mut cache: Option<MasterCache> = None;
    let mut cache_tried = false;
    loop {
        passes += 1;
        let s = ExportSettings {
            gain_db: gain_db as f32,
            limiter_ceiling: limited.then(|| 10f32.powf(ceiling_db as f32 / 20.0)),
            overwrite: settings.overwrite || wrote,
            ..settings.clone()
        };
        let (files, master_meter) = if writing {
            let mut files = export_measured(plan(), rate, &s, &mut |f| progress("rendering", f))?;
            wrote = true;
            if files.is_empty() {
                return Err(AnalysisError::EmptyRange.into());
            }
            let master = files.remove(0);
            (Some((master.0, files)), master.1)
        } else {
            let s = ExportSettings {
                sample_rate: rate,
                ..s.clone()
            };
            if cache.is_none() && !cache_tried {
                cache_tried = true;
                let frames = (s.end - s.start).0 + crate::export::MasterChain::new(&s).delay();
                cache = render_master(plan(), &s, frames, &mut |f| {
                    progress("fitting the limiter", f * 0.5)
                })?;
            }
            let meter = match &cache {
                Some(c) => probe_cached(c, &s, &mut |f| progress("fitting the limiter", f))?,
                None => probe(plan(), &s, &mut |f| progress("fitting the limiter", f))?,
            };
            (None, meter)
        };
        let master = master_meter.figures();
        // The dialogue gate depends on the DIA stem alone: apply it to the
        // master's gating blocks as rendered.
        let (dialogue_gated, dialogue_percent) =
            dialogue_gate(master_meter.blocks(), &before.dia_blocks);
        let got = if preset.dialogue_gated {
            dialogue_gated
        } else {
            master.integrated
        }
        .ok_or(DeliverError::Silent(what))?;
        let loud_err = preset.target_lufs - got;
        let tp_over = master.true_peak_dbtp - (preset.ceiling_dbtp - TRUE_PEAK_MARGIN);
        // dB of gain per LU of loudness: 1 until limiting flattens the
        // curve, then measured from the last two passes.
        let slope = match last {
            Some((g0, l0)) if (got - l0).abs() > 1e-3 => (gain_db - g0) / (got - l0),
            Some(_) => f64::INFINITY,
            None => 1.0,
        };
        // Past this, more gain only drives the limiter harder: the target
        // is out of reach under this ceiling.
        // At the cap, with the peaks in bounds: more gain is not allowed.
        // (While a peak is over, the ceiling is corrected first.)
        let at_cap =
            limited && tp_over <= 0.0 && gain_db >= gain_cap - 1e-9 && loud_err > CONVERGENCE;
        let saturated =
            at_cap || (limited && tp_over <= 0.0 && loud_err > 0.0 && slope >= MAX_SLOPE);
        let done = loud_err.abs() <= CONVERGENCE && tp_over <= 0.0;
        let last_chance = passes + 1 >= MAX_PASSES;
        match files {
            Some((master_file, stems)) if done || saturated || passes >= MAX_PASSES => {
                let note = (!done).then(|| {
                    if at_cap {
                        format!(
                            "{:.2} LUFS cannot be reached under {:.2} dBTP with at most {:.1} dB of limiting: the mix gets to {got:.2} LUFS with {gain_db:+.2} dB of gain. Lower the target, compress the mix, or allow more limiting.",
                            preset.target_lufs, preset.ceiling_dbtp, preset.max_limiting_db
                        )
                    } else if saturated {
                        format!(
                            "{:.2} LUFS cannot be reached under {:.2} dBTP with a transparent limiter: the mix gets to {got:.2} LUFS with {gain_db:+.2} dB of gain. Lower the target, or compress the mix.",
                            preset.target_lufs, preset.ceiling_dbtp
                        )
                    } else {
                        format!(
                            "after {passes} passes the master measures {got:.2} LUFS and {:.2} dBTP",
                            master.true_peak_dbtp
                        )
                    }
                });
                let after = Analysis {
                    master,
                    stems: bus_ids
                        .iter()
                        .zip(&stems)
                        .map(|((id, name), (_, m))| (*id, name.clone(), m.figures()))
                        .collect(),
                    dialogue_gated,
                    dialogue_percent,
                    ..before.clone()
                };
                let delivered = std::iter::once((master_file, master_meter))
                    .chain(stems)
                    .map(|(file, m)| DeliveredFile {
                        file,
                        figures: m.figures(),
                    })
                    .collect();
                return Ok(Delivery {
                    preset,
                    before,
                    after,
                    gain_db,
                    limited,
                    ceiling_dbtp: limited.then_some(ceiling_db),
                    passes,
                    files: delivered,
                    note,
                });
            }
            None if done || saturated || last_chance => {
                // Found (or as close as it gets): write it.
                writing = true;
                continue;
            }
            _ => {}
        }
        // Not there yet (or the written files missed): fit again, on the
        // master alone.
        writing = false;
        let slope = slope.clamp(1.0, MAX_SLOPE);
        last = Some((gain_db, got));
        if tp_over > 0.0 {
            limited = true;
            ceiling_db -= tp_over + 0.05;
            // A lower ceiling changes the curve: start the slope afresh.
            last = None;
        }
        gain_db = (gain_db + loud_err * slope).min(gain_cap);
    }
}

/// One line of the QC report: a criterion and whether it passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub criterion: String,
    pub measured: String,
    pub pass: bool,
}

/// The checks of the master against the preset.
pub fn checks(d: &Delivery) -> Vec<Check> {
    let p = &d.preset;
    let loud = measured(&d.after, p);
    let tp = d.files[0].figures.true_peak_dbtp;
    vec![
        Check {
            criterion: format!(
                "{} loudness {:.2} LUFS ±{LOUDNESS_TOLERANCE}",
                if p.dialogue_gated {
                    "dialogue-gated"
                } else {
                    "integrated"
                },
                p.target_lufs
            ),
            measured: loud.map_or("-inf".to_owned(), |v| format!("{v:.2} LUFS")),
            pass: loud.is_some_and(|v| (v - p.target_lufs).abs() <= LOUDNESS_TOLERANCE + 1e-9),
        },
        Check {
            criterion: format!("true peak at most {:.2} dBTP", p.ceiling_dbtp),
            measured: format!("{tp:.2} dBTP"),
            pass: tp <= p.ceiling_dbtp + 1e-9,
        },
    ]
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json_num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.2}"),
        _ => "null".to_owned(),
    }
}

/// Facts about the render for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInfo {
    pub project: String,
    pub start_timecode: String,
    pub duration_s: f64,
    pub format: String,
    pub sample_rate: u32,
}

/// Where the QC report of a delivery was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Reports {
    pub json: PathBuf,
    pub txt: PathBuf,
    /// A self-contained page for a browser.
    pub html: PathBuf,
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The QC report as a readable, self-contained HTML page.
fn html_report(d: &Delivery, info: &ReportInfo, checks: &[Check]) -> String {
    let all_pass = checks.iter().all(|c| c.pass);
    let v = |x: Option<f64>| x.map_or("&minus;inf".to_owned(), |v| format!("{v:.2}"));
    let verdict = |pass: bool| {
        if pass {
            "<td class=\"pass\">PASS</td>"
        } else {
            "<td class=\"fail\">FAIL</td>"
        }
    };
    let mut h = String::with_capacity(8192);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    h.push_str(&format!(
        "<title>QC report: {}</title>\n",
        html_escape(&info.project)
    ));
    h.push_str(
        "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
         table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.3em .7em;text-align:right}\
         th{background:#eee}td:first-child,th:first-child{text-align:left}\
         .pass{background:#d6f5d6;font-weight:bold}.fail{background:#f8d0d0;font-weight:bold}\
         .verdict{font-size:1.4em;padding:.4em .8em;display:inline-block}</style></head><body>\n",
    );
    h.push_str(&format!(
        "<h1>QC report: {}</h1>\n<p class=\"verdict {}\">Overall: {}</p>\n",
        html_escape(&info.project),
        if all_pass { "pass" } else { "fail" },
        if all_pass { "PASS" } else { "FAIL" }
    ));
    if let Some(n) = &d.note {
        h.push_str(&format!(
            "<p><strong>Note:</strong> {}</p>\n",
            html_escape(n)
        ));
    }
    h.push_str("<table>\n");
    for (k, val) in [
        ("Preset", html_escape(d.preset.label)),
        ("Start timecode", html_escape(&info.start_timecode)),
        ("Duration", format!("{:.3} s", info.duration_s)),
        (
            "Format",
            format!("{}, {} Hz", html_escape(&info.format), info.sample_rate),
        ),
        ("Gain applied", format!("{:+.2} dB", d.gain_db)),
        (
            "True-peak limiter",
            if d.limited {
                "on (master)"
            } else {
                "not needed"
            }
            .to_owned(),
        ),
        (
            "Dialogue-gated loudness",
            format!("{} LUFS", v(d.after.dialogue_gated)),
        ),
        (
            "Dialogue",
            format!("{:.1} % of the programme", d.after.dialogue_percent),
        ),
        ("Passes", d.passes.to_string()),
    ] {
        h.push_str(&format!("<tr><th>{k}</th><td>{val}</td></tr>\n"));
    }
    h.push_str("</table>\n<h2>Checks</h2>\n<table><tr><th>criterion</th><th>measured</th><th>result</th></tr>\n");
    for c in checks {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td>{}</tr>\n",
            html_escape(&c.criterion),
            html_escape(&c.measured),
            verdict(c.pass)
        ));
    }
    h.push_str("</table>\n<h2>Files</h2>\n<table><tr><th>file</th><th>integrated (LUFS)</th><th>LRA (LU)</th><th>max M (LUFS)</th><th>max S (LUFS)</th><th>true peak (dBTP)</th><th>sample peak (dBFS)</th></tr>\n");
    for f in &d.files {
        let name = f.file.file_name();
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td></tr>\n",
            html_escape(&name),
            v(f.figures.integrated),
            v(f.figures.range),
            v(f.figures.max_momentary),
            v(f.figures.max_short_term),
            f.figures.true_peak_dbtp,
            f.figures.sample_peak_dbfs
        ));
    }
    h.push_str("</table>\n<p>Measured per ITU-R BS.1770-4 / EBU R128 (true peak 4&times; oversampled) on the samples written to each file.</p>\n</body></html>\n");
    h
}

/// Writes `<stem>.qc.json`, `<stem>.qc.txt` and `<stem>.qc.html` beside
/// the master.
pub fn write_reports(d: &Delivery, info: &ReportInfo) -> Result<Reports, DeliverError> {
    let master = &d.files[0].file.path;
    let base = master.with_extension("");
    let json_path = base.with_extension("qc.json");
    let txt_path = base.with_extension("qc.txt");
    let html_path = base.with_extension("qc.html");
    let checks = checks(d);
    let all_pass = checks.iter().all(|c| c.pass);
    let figs = |f: &Figures| {
        format!(
            "{{\"integrated_lufs\": {}, \"loudness_range_lu\": {}, \"max_momentary_lufs\": {}, \"max_short_term_lufs\": {}, \"true_peak_dbtp\": {}, \"sample_peak_dbfs\": {}}}",
            json_num(f.integrated),
            json_num(f.range),
            json_num(f.max_momentary),
            json_num(f.max_short_term),
            json_num(Some(f.true_peak_dbtp)),
            json_num(Some(f.sample_peak_dbfs))
        )
    };
    let files: Vec<String> = d
        .files
        .iter()
        .map(|f| {
            format!(
                "    {{\"path\": {}, \"stem\": {}, \"figures\": {}}}",
                json_str(&f.file.path.display().to_string()),
                f.file.stem.as_deref().map_or("null".to_owned(), json_str),
                figs(&f.figures)
            )
        })
        .collect();
    let check_json: Vec<String> = checks
        .iter()
        .map(|c| {
            format!(
                "    {{\"criterion\": {}, \"measured\": {}, \"result\": \"{}\"}}",
                json_str(&c.criterion),
                json_str(&c.measured),
                if c.pass { "PASS" } else { "FAIL" }
            )
        })
        .collect();
    let json = format!(
        "{{\n  \"project\": {},\n  \"preset\": {},\n  \"target_lufs\": {},\n  \"ceiling_dbtp\": {},\n  \"start_timecode\": {},\n  \"duration_s\": {:.3},\n  \"format\": {},\n  \"sample_rate\": {},\n  \"gain_db\": {:.2},\n  \"limiter\": {},\n  \"dialogue_gated_lufs\": {},\n  \"dialogue_percent\": {:.1},\n  \"result\": \"{}\",\n  \"note\": {},\n  \"checks\": [\n{}\n  ],\n  \"files\": [\n{}\n  ]\n}}\n",
        json_str(&info.project),
        json_str(d.preset.name),
        d.preset.target_lufs,
        d.preset.ceiling_dbtp,
        json_str(&info.start_timecode),
        info.duration_s,
        json_str(&info.format),
        info.sample_rate,
        d.gain_db,
        d.limited,
        json_num(d.after.dialogue_gated),
        d.after.dialogue_percent,
        if all_pass { "PASS" } else { "FAIL" },
        d.note.as_deref().map_or("null".to_owned(), json_str),
        check_json.join(",\n"),
        files.join(",\n")
    );
    let mut txt = format!(
        "QC report: {}\nPreset:   {}\nStart:    {}   Duration: {:.3} s   Format: {}, {} Hz\nGain:     {:+.2} dB{}\nDialogue: gated {} LUFS, {:.1} % of the programme\n\n",
        info.project,
        d.preset.label,
        info.start_timecode,
        info.duration_s,
        info.format,
        info.sample_rate,
        d.gain_db,
        if d.limited {
            ", true-peak limiter on the master"
        } else {
            ""
        },
        json_num(d.after.dialogue_gated),
        d.after.dialogue_percent
    );
    for c in &checks {
        txt.push_str(&format!(
            "{}  {}: {}\n",
            if c.pass { "PASS" } else { "FAIL" },
            c.criterion,
            c.measured
        ));
    }
    txt.push_str(&format!(
        "\nOverall: {}{}\n\n{:<40} {:>9} {:>6} {:>7} {:>7} {:>9}\n",
        if all_pass { "PASS" } else { "FAIL" },
        d.note
            .as_deref()
            .map_or(String::new(), |n| format!("\nNote:    {n}")),
        "file",
        "LUFS",
        "LRA",
        "max M",
        "max S",
        "dBTP"
    ));
    for f in &d.files {
        let v = |x: Option<f64>| x.map_or("-inf".to_owned(), |v| format!("{v:.2}"));
        let name = f.file.file_name();
        txt.push_str(&format!(
            "{:<40} {:>9} {:>6} {:>7} {:>7} {:>9.2}\n",
            name,
            v(f.figures.integrated),
            v(f.figures.range),
            v(f.figures.max_momentary),
            v(f.figures.max_short_term),
            f.figures.true_peak_dbtp
        ));
    }
    // Atomic: a temporary file beside the report, renamed into place.
    let write = |p: &Path, s: &str| {
        let err = |e: std::io::Error| DeliverError::Verify {
            path: p.to_owned(),
            message: e.to_string(),
        };
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        let tmp = p.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, s)
            .and_then(|()| std::fs::rename(&tmp, p))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                err(e)
            })
    };
    write(&json_path, &json)?;
    write(&txt_path, &txt)?;
    write(&html_path, &html_report(d, info, &checks))?;
    Ok(Reports {
        json: json_path,
        txt: txt_path,
        html: html_path,
    })
}
