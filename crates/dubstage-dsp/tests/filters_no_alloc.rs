//! The equaliser, pass filter and trim never allocate once prepared: not in
//! `process`, not in `reset`, not in any setter.

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use dubstage_dsp::Processor;
use dubstage_dsp::filter::{Band, BandType, EQ_BANDS, Eq, PassFilter};
use dubstage_dsp::trim::Trim;

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

const FRAMES: usize = 480;

/// Runs `p` over a few blocks of a 6-channel signal, calling `touch`
/// (the setters) between blocks, all inside the allocation guard.
fn exercise<P: Processor>(p: &mut P, mut touch: impl FnMut(&mut P, usize)) {
    p.prepare(48_000, 6, FRAMES);
    let mut data = vec![0.0f32; 6 * FRAMES];
    for (i, v) in data.iter_mut().enumerate() {
        *v = ((i as f32) * 0.013).sin() * 0.5;
    }
    assert_no_alloc(|| {
        for round in 0..8 {
            let mut rows: [&mut [f32]; dubstage_dsp::MAX_CHANNELS] = Default::default();
            let n = dubstage_dsp::split_rows(&mut data, FRAMES, FRAMES - round * 13, &mut rows);
            p.process(&mut rows[..n], None);
            touch(p, round);
        }
        p.reset();
        let mut rows: [&mut [f32]; dubstage_dsp::MAX_CHANNELS] = Default::default();
        let n = dubstage_dsp::split_rows(&mut data, FRAMES, 1, &mut rows);
        p.process(&mut rows[..n], None);
    });
}

#[test]
fn pass_filter_never_allocates() {
    let mut p = PassFilter::new(true, 80.0, 12);
    exercise(&mut p, |p, round| {
        p.set_freq(80.0 + round as f32 * 500.0);
        p.set_slope(6 * (round as u32 % 5));
        p.set_high(round % 2 == 0);
        p.set_freq(f32::NAN);
        let _ = p.response_db(1000.0);
    });
}

#[test]
fn eq_never_allocates() {
    let mut eq = Eq::new();
    exercise(&mut eq, |eq, round| {
        for i in 0..=EQ_BANDS {
            eq.set_band(
                i,
                Band {
                    kind: BandType::ALL[(i + round) % BandType::ALL.len()],
                    freq: 50.0 * (i + 1) as f32 * (round + 1) as f32,
                    gain_db: round as f32 - 4.0,
                    q: 0.3 + i as f32,
                    enabled: (i + round) % 3 != 0,
                },
            );
        }
        let _ = eq.band(round);
        let _ = eq.response_db(440.0);
    });
}

#[test]
fn trim_never_allocates() {
    let mut t = Trim::new();
    exercise(&mut t, |t, round| {
        t.set_gain_db(round as f32 * 3.0 - 12.0);
        t.set_invert(round % 2 == 1);
        t.set_delay_ms(round as f32 * 130.0);
        t.set_gain_db(f32::NAN);
        t.set_delay_ms(f32::INFINITY);
    });
}
