//! A display spectrum analyser (UI thread, not real time): Hann-windowed
//! 2048-point FFT with 50 % overlap, magnitudes smoothed over time, read
//! out in dBFS at any frequency (for drawing under an EQ curve).

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

const SIZE: usize = 2048;

/// Feeds samples, reads a smoothed magnitude spectrum.
pub struct Analyzer {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    scratch: Vec<f32>,
    out: Vec<Complex<f32>>,
    /// Smoothed power per bin.
    power: Vec<f32>,
    rate: u32,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl Analyzer {
    pub fn new(rate: u32) -> Analyzer {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(SIZE);
        let window = (0..SIZE)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / SIZE as f32).cos())
            .collect();
        let out = fft.make_output_vec();
        Analyzer {
            fft,
            window,
            input: Vec::with_capacity(SIZE * 2),
            scratch: vec![0.0; SIZE],
            power: vec![0.0; out.len()],
            out,
            rate: rate.max(1),
        }
    }

    /// Adds samples; every 1024 new samples update the spectrum.
    pub fn push(&mut self, samples: &[f32]) {
        for &s in samples {
            self.input.push(if s.is_finite() { s } else { 0.0 });
            if self.input.len() == SIZE {
                for ((d, x), w) in self.scratch.iter_mut().zip(&self.input).zip(&self.window) {
                    *d = x * w;
                }
                if self.fft.process(&mut self.scratch, &mut self.out).is_ok() {
                    // Hann's coherent gain is 0.5: a full-scale sine reads 0 dBFS.
                    let norm = 2.0 / (SIZE as f32 * 0.5);
                    for (p, c) in self.power.iter_mut().zip(&self.out) {
                        let m = c.norm() * norm;
                        *p = 0.7 * *p + 0.3 * m * m;
                    }
                }
                self.input.drain(..SIZE / 2);
            }
        }
    }

    /// The level at `freq` in dBFS (−120 floor).
    pub fn level_db(&self, freq: f32) -> f32 {
        let bin = (freq / self.rate as f32 * SIZE as f32).round().max(0.0) as usize;
        let p = self.power.get(bin).copied().unwrap_or(0.0);
        (10.0 * p.max(1e-12).log10()).max(-120.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_reads_near_0_dbfs_at_its_frequency() {
        let mut a = Analyzer::new(48_000);
        let f = 1_500.0;
        let s: Vec<f32> = (0..48_000)
            .map(|i| (2.0 * std::f32::consts::PI * f * i as f32 / 48_000.0).sin())
            .collect();
        a.push(&s);
        assert!(a.level_db(f).abs() < 1.5, "{}", a.level_db(f));
        assert!(a.level_db(6_000.0) < -60.0);
    }
}
