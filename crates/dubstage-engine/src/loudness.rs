//! Loudness of the mix, measured offline through the same renderer as
//! playback and export: per stem (bus) and master, EBU R128 / ITU-R
//! BS.1770-4 momentary, short-term, integrated, loudness range and true
//! peak (the `ebur128` crate, which passes EBU Tech 3341/3342), and the
//! programme's **dialogue-gated loudness**.
//!
//! Dialogue gate: the programme is cut into BS.1770 gating blocks (400 ms,
//! every 100 ms). A block carries dialogue when the DIA stem's K-weighted
//! loudness over that block is at least −70 LUFS and no more than
//! [`DIALOGUE_WINDOW_LU`] below the DIA stem's own integrated loudness (so
//! room tone and reverb tails under the lines do not count). The
//! dialogue-gated loudness is the BS.1770 gated loudness of the **master**
//! over those blocks only; the dialogue percentage is their share of all
//! blocks of the range. Blocks overlap, so a block that only partly covers a
//! line counts when the line makes it loud enough: each line's edges add up
//! to 0.3 s to the percentage.

use crate::plan::RenderPlan;
use crate::render::Renderer;
use dubstage_dsp::loudness::{BlockEnergies, energy_to_lufs, gated_loudness};
use dubstage_model::{BusId, SamplePos, Stem};
use ebur128::{EbuR128, Mode};

/// How far below the DIA stem's integrated loudness a block may be and still count as dialogue.
pub const DIALOGUE_WINDOW_LU: f64 = 20.0;

/// Frames rendered per step of the analysis.
const BLOCK: usize = 4096;

/// The R128 figures of one signal. Loudness in LUFS (`None`: too quiet to
/// measure, e.g. silence), range in LU, peaks in dBTP / dBFS.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    pub integrated: Option<f64>,
    pub range: Option<f64>,
    pub max_momentary: Option<f64>,
    pub max_short_term: Option<f64>,
    pub true_peak_dbtp: f64,
    pub sample_peak_dbfs: f64,
}

/// Measures one stereo signal as it is rendered.
pub struct Meter {
    r128: EbuR128,
    max_m: f64,
    max_s: f64,
    interleaved: Vec<f32>,
    /// (frames fed so far, momentary, short-term) after every 100 ms step.
    steps: Vec<(u64, f32, f32)>,
    fed: u64,
    record: bool,
}

fn db(linear: f64) -> f64 {
    if linear > 0.0 {
        20.0 * linear.log10()
    } else {
        f64::NEG_INFINITY
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl Meter {
    pub fn new(rate: u32) -> Result<Meter, ebur128::Error> {
        Ok(Meter {
            r128: EbuR128::new(
                2,
                rate,
                Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK | Mode::SAMPLE_PEAK,
            )?,
            max_m: f64::NEG_INFINITY,
            max_s: f64::NEG_INFINITY,
            interleaved: Vec::new(),
            steps: Vec::new(),
            fed: 0,
            record: false,
        })
    }

    /// Also keeps momentary and short-term loudness after every 100 ms.
    pub fn recording(mut self) -> Meter {
        self.record = true;
        self
    }

    /// Adds a block of stereo audio. Momentary and short-term maxima are
    /// sampled at the end of every block (blocks of 100 ms or less give the
    /// 10 Hz rate Tech 3341 asks for).
    pub fn push(&mut self, l: &[f32], r: &[f32]) -> Result<(), ebur128::Error> {
        self.interleaved.clear();
        self.interleaved
            .extend(l.iter().zip(r).flat_map(|(a, b)| [*a, *b]));
        // Feed in 100 ms steps so the maxima are sampled at 10 Hz or faster.
        let step = (self.r128.rate() as usize / 10).max(1) * 2;
        for chunk in self.interleaved.chunks(step) {
            self.r128.add_frames_f32(chunk)?;
            self.fed += (chunk.len() / 2) as u64;
            let m = self.r128.loudness_momentary().unwrap_or(f64::NEG_INFINITY);
            let s = self.r128.loudness_shortterm().unwrap_or(f64::NEG_INFINITY);
            self.max_m = self.max_m.max(m);
            self.max_s = self.max_s.max(s);
            if self.record {
                self.steps.push((self.fed, m as f32, s as f32));
            }
        }
        Ok(())
    }

    pub fn figures(&self) -> Figures {
        let peak = |f: fn(&EbuR128, u32) -> Result<f64, ebur128::Error>| {
            (0..2)
                .filter_map(|c| f(&self.r128, c).ok())
                .fold(0.0f64, f64::max)
        };
        Figures {
            integrated: self.r128.loudness_global().ok().and_then(finite),
            range: self.r128.loudness_range().ok().and_then(finite),
            max_momentary: finite(self.max_m),
            max_short_term: finite(self.max_s),
            true_peak_dbtp: db(peak(EbuR128::true_peak)),
            sample_peak_dbfs: db(peak(EbuR128::sample_peak)),
        }
    }
}

/// What an analysis measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub start: SamplePos,
    pub end: SamplePos,
    pub master: Figures,
    /// Per bus, in output order: id, name, figures.
    pub stems: Vec<(BusId, String, Figures)>,
    /// The master's loudness over the blocks where the DIA stem carries
    /// dialogue (`None` without dialogue).
    pub dialogue_gated: Option<f64>,
    /// Share of the range's gating blocks that carry dialogue, 0–100.
    pub dialogue_percent: f64,
    /// The master's loudness over time, every 100 ms: timeline position,
    /// momentary and short-term loudness (LUFS; -inf in silence).
    pub curve: Vec<(SamplePos, f32, f32)>,
}

/// Why an analysis stopped.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("nothing to measure: the range is empty")]
    EmptyRange,
    #[error("loudness meter: {0}")]
    Meter(String),
    #[error("cancelled")]
    Cancelled,
}

/// Renders `[start, end)` of `plan` offline and measures it. `progress`
/// gets the fraction done and returns false to cancel.
pub fn analyse(
    plan: RenderPlan,
    rate: u32,
    start: SamplePos,
    end: SamplePos,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Analysis, AnalysisError> {
    let total = end.0 - start.0;
    if total <= 0 {
        return Err(AnalysisError::EmptyRange);
    }
    let meter_err = |e: ebur128::Error| AnalysisError::Meter(e.to_string());
    let buses: Vec<(BusId, String)> = plan.bus_names().map(|(id, n)| (id, n.to_owned())).collect();
    let dia = buses
        .iter()
        .position(|(id, _)| *id == Stem::Dialogue.bus_id());
    let mut master = Meter::new(rate).map_err(meter_err)?.recording();
    let mut stems = buses
        .iter()
        .map(|_| Meter::new(rate))
        .collect::<Result<Vec<_>, _>>()
        .map_err(meter_err)?;
    let mut master_blocks = BlockEnergies::new(rate, 2);
    let mut dia_blocks = BlockEnergies::new(rate, 2);
    let mut renderer = Renderer::new(Box::new(plan));
    renderer.locate(start);
    // The renderer runs here; the meters run on two more threads (master
    // and dialogue gate; stems), fed each block's planar channels: master
    // L/R, then every bus's L/R.
    type Channels = std::sync::Arc<Vec<Vec<f32>>>;
    let (tx_master, rx_master) = std::sync::mpsc::sync_channel::<Channels>(8);
    let (tx_stems, rx_stems) = std::sync::mpsc::sync_channel::<Channels>(8);
    let (master_result, stems_result, cancelled) = std::thread::scope(|scope| {
        let master_worker = scope.spawn(move || {
            for c in rx_master {
                master.push(&c[0], &c[1])?;
                master_blocks.push(&[&c[0], &c[1]]);
                if let Some(d) = dia {
                    dia_blocks.push(&[&c[2 + 2 * d], &c[3 + 2 * d]]);
                }
            }
            Ok::<_, ebur128::Error>((master, master_blocks, dia_blocks))
        });
        let stems_worker = scope.spawn(move || {
            for c in rx_stems {
                for (i, m) in stems.iter_mut().enumerate() {
                    m.push(&c[2 + 2 * i], &c[3 + 2 * i])?;
                }
            }
            Ok::<_, ebur128::Error>(stems)
        });
        let mut done = 0i64;
        let mut cancelled = false;
        while done < total {
            let want = (total - done).min(BLOCK as i64) as usize;
            let block = renderer.render_block(want);
            let (l, r) = block.master();
            let mut chans = Vec::with_capacity(2 + 2 * block.bus_count());
            chans.push(l.to_vec());
            chans.push(r.to_vec());
            for i in 0..block.bus_count() {
                let (bl, br) = block.bus(i);
                chans.push(bl.to_vec());
                chans.push(br.to_vec());
            }
            let chans = std::sync::Arc::new(chans);
            done += block.frames as i64;
            // A worker that stopped (meter error) shows up when joined.
            if tx_master.send(chans.clone()).is_err() || tx_stems.send(chans).is_err() {
                break;
            }
            if !progress(done as f64 / total as f64) {
                cancelled = true;
                break;
            }
        }
        drop(tx_master);
        drop(tx_stems);
        // A worker that panicked is reported as a meter failure.
        let m = master_worker.join().unwrap_or(Err(ebur128::Error::NoMem));
        let s = stems_worker.join().unwrap_or(Err(ebur128::Error::NoMem));
        (m, s, cancelled)
    });
    if cancelled {
        return Err(AnalysisError::Cancelled);
    }
    let (master, master_blocks, dia_blocks) = master_result.map_err(meter_err)?;
    let stems = stems_result.map_err(meter_err)?;
    let (dialogue_gated, dialogue_percent) =
        dialogue_gate(master_blocks.blocks(), dia_blocks.blocks());
    Ok(Analysis {
        start,
        end,
        master: master.figures(),
        stems: buses
            .into_iter()
            .zip(stems)
            .map(|((id, name), m)| (id, name, m.figures()))
            .collect(),
        dialogue_gated,
        dialogue_percent,
        curve: master
            .steps
            .iter()
            .map(|&(fed, m, s)| (SamplePos(start.0 + fed as i64), m, s))
            .collect(),
    })
}

/// Dialogue-gated loudness and dialogue percentage from the master's and
/// the DIA stem's gating-block energies (see the module documentation).
pub fn dialogue_gate(master: &[f64], dia: &[f64]) -> (Option<f64>, f64) {
    let n = master.len().min(dia.len());
    if n == 0 {
        return (None, 0.0);
    }
    let Some(dia_integrated) = gated_loudness(&dia[..n]) else {
        return (None, 0.0);
    };
    let threshold = (dia_integrated - DIALOGUE_WINDOW_LU).max(-70.0);
    let chosen: Vec<f64> = (0..n)
        .filter(|&i| energy_to_lufs(dia[i]) >= threshold)
        .map(|i| master[i])
        .collect();
    let percent = 100.0 * chosen.len() as f64 / n as f64;
    (gated_loudness(&chosen), percent)
}

/// Live loudness meters for the UI thread, fed from the audio thread's
/// loudness ring ([`crate::AudioEngine::drain_loudness`]): master and the
/// DIA, FX and MUS buses. Integrated loudness runs since the last reset
/// (the editor resets when playback starts).
pub struct Live {
    rate: u32,
    meters: Vec<EbuR128>,
    tp_max: [f64; 4],
    scratch: Vec<f32>,
}

/// What a live meter shows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LiveFigures {
    pub momentary: Option<f64>,
    pub short_term: Option<f64>,
    pub integrated: Option<f64>,
    pub range: Option<f64>,
    /// Highest true peak since the reset, dBTP.
    pub true_peak_max: f64,
}

/// Names of the live meters, in order.
pub const LIVE_NAMES: [&str; 4] = ["Master", "DIA", "FX", "MUS"];

impl Live {
    pub fn new(rate: u32) -> Live {
        let mut l = Live {
            rate,
            meters: Vec::new(),
            tp_max: [f64::NEG_INFINITY; 4],
            scratch: Vec::new(),
        };
        l.reset();
        l
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Starts every measurement afresh.
    pub fn reset(&mut self) {
        self.meters = (0..4)
            .filter_map(|_| {
                EbuR128::new(
                    2,
                    self.rate,
                    Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK,
                )
                .ok()
            })
            .collect();
        self.tp_max = [f64::NEG_INFINITY; 4];
    }

    /// Adds interleaved frames of `rt::LOUDNESS_CHANNELS` channels.
    pub fn feed(&mut self, frames: &[f32]) {
        let ch = crate::rt::LOUDNESS_CHANNELS;
        for (k, m) in self.meters.iter_mut().enumerate() {
            self.scratch.clear();
            self.scratch.extend(
                frames
                    .chunks_exact(ch)
                    .flat_map(|f| [f[2 * k], f[2 * k + 1]]),
            );
            if m.add_frames_f32(&self.scratch).is_ok() {
                let tp = (0..2)
                    .filter_map(|c| m.prev_true_peak(c).ok())
                    .fold(0.0f64, f64::max);
                self.tp_max[k] = self.tp_max[k].max(db(tp));
            }
        }
    }

    /// The four meters' readings.
    pub fn figures(&self) -> Vec<LiveFigures> {
        self.meters
            .iter()
            .zip(self.tp_max)
            .map(|(m, tp)| LiveFigures {
                momentary: m.loudness_momentary().ok().and_then(finite),
                short_term: m.loudness_shortterm().ok().and_then(finite),
                integrated: m.loudness_global().ok().and_then(finite),
                range: m.loudness_range().ok().and_then(finite),
                true_peak_max: tp,
            })
            .collect()
    }
}
