//! Loudness of the mix, measured offline through the same renderer as
//! playback and export: per stem (bus) and master, EBU R128 / ITU-R
//! BS.1770-4 momentary, short-term, integrated, loudness range and true
//! peak (`dubstage_dsp::loudness::LoudnessMeter`, which passes the EBU Tech
//! 3341/3342 cases and agrees with the `ebur128` crate), and the
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
use dubstage_dsp::loudness::{Layout, LoudnessMeter, energy_to_lufs, gated_loudness};
use dubstage_model::{BusId, SamplePos, Stem};

/// How far below the DIA stem's integrated loudness a block may be and still count as dialogue.
pub const DIALOGUE_WINDOW_LU: f64 = 20.0;

/// Frames rendered per step of the analysis.
const BLOCK: usize = 4096;

/// Threads the meters of an analysis run on, beside the renderer.
const METER_THREADS: usize = 2;

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

/// Measures one stereo signal as it is rendered (a [`LoudnessMeter`]):
/// momentary and short-term maxima are taken every 100 ms, the rate Tech
/// 3341 asks for.
#[derive(Debug, Clone)]
pub struct Meter {
    m: LoudnessMeter,
}

fn db(linear: f64) -> f64 {
    if linear > 0.0 {
        20.0 * linear.log10()
    } else {
        f64::NEG_INFINITY
    }
}

impl Meter {
    pub fn new(rate: u32) -> Meter {
        Meter {
            m: LoudnessMeter::new(rate, Layout::Stereo),
        }
    }

    /// Also keeps momentary and short-term loudness after every 100 ms.
    pub fn recording(self) -> Meter {
        Meter {
            m: self.m.recording(),
        }
    }

    /// Adds a block of stereo audio.
    pub fn push(&mut self, l: &[f32], r: &[f32]) {
        self.m.push(&[l, r]);
    }

    pub fn figures(&self) -> Figures {
        Figures {
            integrated: self.m.integrated(),
            range: self.m.range(),
            max_momentary: self.m.max_momentary(),
            max_short_term: self.m.max_short_term(),
            true_peak_dbtp: db(self.m.true_peak()),
            sample_peak_dbfs: db(self.m.sample_peak()),
        }
    }

    /// The gating blocks measured so far.
    pub fn blocks(&self) -> &[f64] {
        self.m.blocks()
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
    /// The DIA stem's gating blocks (empty without a DIA bus): the gate
    /// depends only on them, so a processed master is re-gated with these.
    pub dia_blocks: Vec<f64>,
    /// The master's loudness over time, every 100 ms: timeline position,
    /// momentary and short-term loudness (LUFS; -inf in silence).
    pub curve: Vec<(SamplePos, f32, f32)>,
}

/// Why an analysis stopped.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("nothing to measure: the range is empty")]
    EmptyRange,
    #[error("a loudness meter stopped unexpectedly")]
    Meter,
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
    analyse_buses(plan, rate, start, end, true, progress)
}

/// Like [`analyse`], measuring only the master and the DIA stem (what
/// normalisation needs): [`Analysis::stems`] holds just DIA.
pub fn analyse_master(
    plan: RenderPlan,
    rate: u32,
    start: SamplePos,
    end: SamplePos,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Analysis, AnalysisError> {
    analyse_buses(plan, rate, start, end, false, progress)
}

fn analyse_buses(
    plan: RenderPlan,
    rate: u32,
    start: SamplePos,
    end: SamplePos,
    all_buses: bool,
    progress: &mut dyn FnMut(f64) -> bool,
) -> Result<Analysis, AnalysisError> {
    let total = end.0 - start.0;
    if total <= 0 {
        return Err(AnalysisError::EmptyRange);
    }
    let dia_id = Stem::Dialogue.bus_id();
    // Each measured bus, with its index among the plan's buses.
    let buses: Vec<(usize, BusId, String)> = plan
        .bus_names()
        .enumerate()
        .filter(|(_, (id, _))| all_buses || *id == dia_id)
        .map(|(i, (id, n))| (i, id, n.to_owned()))
        .collect();
    let dia = buses.iter().position(|(_, id, _)| *id == dia_id);
    let mut renderer = Renderer::new(Box::new(plan));
    renderer.use_threads(None);
    renderer.locate(start);
    // The inserts' latency: measure what the timeline holds in the range,
    // as the export writes it.
    renderer.skip_latency();
    // Meter 0 is the master, meter 1 + i bus i. They are dealt out over
    // the worker threads, which get each block's planar channels (master
    // L/R, then every bus's L/R) while the renderer goes on.
    let mut meters = vec![(0, Meter::new(rate).recording())];
    meters.extend(buses.iter().map(|(i, _, _)| (1 + i, Meter::new(rate))));
    let mut shares: Vec<Vec<(usize, Meter)>> = (0..METER_THREADS).map(|_| Vec::new()).collect();
    for (k, m) in meters.into_iter().enumerate() {
        shares[k % METER_THREADS].push(m);
    }
    type Channels = std::sync::Arc<Vec<Vec<f32>>>;
    let (measured, cancelled) = std::thread::scope(|scope| {
        let mut senders = Vec::new();
        let mut workers = Vec::new();
        for mut share in shares {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Channels>(8);
            senders.push(tx);
            workers.push(scope.spawn(move || {
                for c in rx {
                    for (i, m) in &mut share {
                        m.push(&c[2 * *i], &c[2 * *i + 1]);
                    }
                }
                share
            }));
        }
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
            if senders.iter().any(|tx| tx.send(chans.clone()).is_err()) {
                break;
            }
            if !progress(done as f64 / total as f64) {
                cancelled = true;
                break;
            }
        }
        drop(senders);
        let mut measured: Vec<(usize, Meter)> = Vec::new();
        for w in workers {
            match w.join() {
                Ok(share) => measured.extend(share),
                Err(_) => return (Err(AnalysisError::Meter), cancelled),
            }
        }
        measured.sort_by_key(|(i, _)| *i);
        (Ok(measured), cancelled)
    });
    if cancelled {
        return Err(AnalysisError::Cancelled);
    }
    let mut meters = measured?.into_iter().map(|(_, m)| m);
    let master = meters.next().ok_or(AnalysisError::Meter)?;
    let stems: Vec<Meter> = meters.collect();
    let dia_blocks = dia
        .and_then(|d| stems.get(d))
        .map(|d| d.blocks().to_vec())
        .unwrap_or_default();
    let (dialogue_gated, dialogue_percent) = dialogue_gate(master.blocks(), &dia_blocks);
    Ok(Analysis {
        start,
        end,
        master: master.figures(),
        stems: buses
            .into_iter()
            .zip(&stems)
            .map(|((_, id, name), m)| (id, name, m.figures()))
            .collect(),
        dialogue_gated,
        dialogue_percent,
        dia_blocks,
        curve: master
            .m
            .curve()
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
/// loudness ring ([`crate::AudioEngine::drain_loudness`]): the master, then
/// the project's buses in order (DIA, FX, MUS and user buses, up to
/// [`crate::rt::LOUDNESS_BUSES`]). Integrated loudness runs since the last
/// reset (the editor resets when playback starts).
pub struct Live {
    rate: u32,
    meters: Vec<LoudnessMeter>,
    scratch: Vec<Vec<f32>>,
    /// The readings, brought up to date when a 100 ms hop completes (the
    /// gated figures sort every block so far: not work for every frame).
    readings: Vec<LiveFigures>,
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

impl Live {
    pub fn new(rate: u32) -> Live {
        let mut l = Live {
            rate,
            meters: Vec::new(),
            scratch: vec![Vec::new(); crate::rt::LOUDNESS_CHANNELS],
            readings: Vec::new(),
        };
        l.reset();
        l
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Starts every measurement afresh.
    pub fn reset(&mut self) {
        self.meters = (0..=crate::rt::LOUDNESS_BUSES)
            .map(|_| LoudnessMeter::new(self.rate, Layout::Stereo))
            .collect();
        self.update();
    }

    fn update(&mut self) {
        self.readings = self
            .meters
            .iter()
            .map(|m| LiveFigures {
                momentary: m.momentary(),
                short_term: m.short_term(),
                integrated: m.integrated(),
                range: m.range(),
                true_peak_max: db(m.true_peak()),
            })
            .collect();
    }

    /// Adds interleaved frames of `rt::LOUDNESS_CHANNELS` channels.
    pub fn feed(&mut self, frames: &[f32]) {
        let ch = crate::rt::LOUDNESS_CHANNELS;
        for (c, s) in self.scratch.iter_mut().enumerate() {
            s.clear();
            s.extend(frames.chunks_exact(ch).map(|f| f[c]));
        }
        let before = self.meters.first().map_or(0, LoudnessMeter::hops);
        for (k, m) in self.meters.iter_mut().enumerate() {
            m.push(&[&self.scratch[2 * k], &self.scratch[2 * k + 1]]);
        }
        if self.meters.first().map_or(0, LoudnessMeter::hops) != before {
            self.update();
        }
    }

    /// The meters' readings (as of the last completed 100 ms): master
    /// first, then bus by bus.
    pub fn figures(&self) -> Vec<LiveFigures> {
        self.readings.clone()
    }
}
