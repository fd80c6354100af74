//! Loudness: EBU Tech 3341 and 3342 cases generated from their definitions,
//! the gating-block integrator against `ebur128`, and the dialogue gate on a
//! rendered project.

use dubstage_dsp::loudness::{BlockEnergies, gated_loudness};
use dubstage_engine::loudness::{Meter, analyse};
use dubstage_engine::{CompileOptions, Sources, compile};
use dubstage_media::AudioBuffer;
use dubstage_model::{
    Command, Created, NewClip, Project, SampleLen, SamplePos, Session, TrackKind,
};
use std::sync::Arc;

const RATE: u32 = 48_000;

/// A 1 kHz sine at `dbfs` (peak) for `seconds`, continuing the phase.
fn sine_segments(parts: &[(f64, f64)]) -> Vec<f32> {
    let mut out = Vec::new();
    let mut n = 0u64;
    for &(dbfs, seconds) in parts {
        let amp = 10f64.powf(dbfs / 20.0);
        for _ in 0..(seconds * f64::from(RATE)).round() as u64 {
            let t = n as f64 / f64::from(RATE);
            out.push((amp * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()) as f32);
            n += 1;
        }
    }
    out
}

fn measure(x: &[f32]) -> dubstage_engine::loudness::Figures {
    let mut m = Meter::new(RATE).expect("48 kHz stereo meter");
    for c in x.chunks(4800) {
        m.push(c, c).expect("meter takes the block");
    }
    m.figures()
}

fn close(got: Option<f64>, want: f64, tol: f64) {
    let g = got.expect("a measurement");
    assert!((g - want).abs() <= tol, "{g} vs {want} (±{tol})");
}

#[test]
fn tech_3341_cases_1_to_5() {
    // Case 1 and 2: constant tones; M, S and I all read the level.
    for level in [-23.0, -33.0] {
        let f = measure(&sine_segments(&[(level, 20.0)]));
        close(f.integrated, level, 0.1);
        close(f.max_momentary, level, 0.1);
        close(f.max_short_term, level, 0.1);
    }
    // Cases 3–5: gating keeps the integrated loudness at -23.
    let cases: [&[(f64, f64)]; 3] = [
        &[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)],
        &[
            (-72.0, 10.0),
            (-36.0, 10.0),
            (-23.0, 60.0),
            (-36.0, 10.0),
            (-72.0, 10.0),
        ],
        &[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)],
    ];
    for c in cases {
        let x = sine_segments(c);
        close(measure(&x).integrated, -23.0, 0.1);
        // The block integrator used for dialogue gating agrees with ebur128.
        let mut b = BlockEnergies::new(RATE, 2);
        b.push(&[&x, &x]);
        close(
            gated_loudness(b.blocks()),
            measure(&x).integrated.unwrap(),
            0.01,
        );
    }
}

#[test]
fn tech_3341_case_9_short_term_is_steady_over_alternating_tones() {
    // 1.34 s at -20 dBFS and 1.66 s at -30 dBFS, five times: every 3 s
    // window holds one of each, so S reads -23.0 throughout (after the
    // first 3 s).
    let parts: Vec<(f64, f64)> = (0..5)
        .flat_map(|_| [(-20.0, 1.34), (-30.0, 1.66)])
        .collect();
    let x = sine_segments(&parts);
    let f = measure(&x);
    close(f.max_short_term, -23.0, 0.1);
    // Every gating block is within 10 LU of the mean: the integrated
    // loudness is the same energy average.
    close(f.integrated, -23.0, 0.2);
}

#[test]
fn tech_3342_loudness_range_cases_1_to_4() {
    let cases: [(&[(f64, f64)], f64); 4] = [
        (&[(-20.0, 20.0), (-30.0, 20.0)], 10.0),
        (&[(-20.0, 20.0), (-15.0, 20.0)], 5.0),
        (&[(-40.0, 20.0), (-20.0, 20.0)], 20.0),
        (
            &[
                (-50.0, 20.0),
                (-35.0, 20.0),
                (-20.0, 20.0),
                (-35.0, 20.0),
                (-50.0, 20.0),
            ],
            15.0,
        ),
    ];
    for (parts, lra) in cases {
        close(measure(&sine_segments(parts)).range, lra, 1.0);
    }
}

#[test]
fn true_peak_finds_the_peak_between_samples() {
    // 12 kHz at full scale, sampled 45 degrees off its peaks: the samples
    // reach only -3 dBFS, the waveform reaches 0 dBTP.
    let x: Vec<f32> = (0..RATE as usize * 2)
        .map(|n| {
            let ph = 2.0 * std::f64::consts::PI * 12_000.0 * n as f64 / f64::from(RATE);
            (0.999 * (ph + std::f64::consts::FRAC_PI_4).sin()) as f32
        })
        .collect();
    let f = measure(&x);
    assert!(
        (f.sample_peak_dbfs - -3.02).abs() < 0.05,
        "{}",
        f.sample_peak_dbfs
    );
    let tp = f.true_peak_dbtp;
    let want = 20.0 * 0.999f64.log10();
    assert!(tp - want <= 0.2 && want - tp <= 0.4, "{tp} vs {want}");
}

#[test]
fn silence_measures_as_nothing() {
    let f = measure(&vec![0.0; RATE as usize * 5]);
    assert_eq!(f.integrated, None);
    assert_eq!(f.true_peak_dbtp, f64::NEG_INFINITY);
}

/// A project: DIA with three 2-second lines over quiet room tone, FX with a
/// steady bed, rendered and analysed.
#[test]
fn dialogue_gated_loudness_counts_only_the_blocks_with_dialogue() {
    let seconds = 30usize;
    let n = RATE as usize * seconds;
    let lines = [(4.0, 6.0), (12.0, 14.0), (20.0, 22.0)];
    let tone = |db: f64, s: f64| (10f64.powf(db / 20.0) * s) as f32;
    let mut dia = vec![0.0f32; n];
    let mut x = 0x1234_5678u32;
    let mut noise = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        (x as f64 / f64::from(u32::MAX)) * 2.0 - 1.0
    };
    for (i, s) in dia.iter_mut().enumerate() {
        let t = i as f64 / f64::from(RATE);
        let mut v = tone(-66.0, noise()); // room tone
        if lines.iter().any(|&(a, b)| t >= a && t < b) {
            v += tone(-20.0, (2.0 * std::f64::consts::PI * 440.0 * t).sin());
        }
        *s = v;
    }
    let fx: Vec<f32> = (0..n).map(|_| tone(-40.0, noise())).collect();
    let mut s = Session::new(Project::new("dia"));
    let mut sources = Sources::new();
    for (kind, audio) in [
        (TrackKind::Dialogue, dia.clone()),
        (TrackKind::Sfx, fx.clone()),
    ] {
        let Ok(Created::Media(m)) = s.apply(Command::AddMedia {
            path: "/x.wav".into(),
            name: "x".into(),
            channels: 1,
            length: SampleLen(n as i64),
        }) else {
            panic!("media")
        };
        sources.insert(
            m,
            Arc::new(AudioBuffer {
                sample_rate: RATE,
                channels: vec![audio],
            }),
        );
        let Ok(Created::Track(t)) = s.apply(Command::AddTrack {
            kind,
            name: "t".into(),
        }) else {
            panic!("track")
        };
        s.apply(Command::AddClip {
            track: t,
            clip: NewClip::new(m, SamplePos(0), SampleLen(n as i64)),
        })
        .unwrap();
    }
    let plan = compile(s.project(), &sources, CompileOptions { max_block: 4096 });
    let mut calls = 0;
    let a = analyse(plan, RATE, SamplePos(0), SamplePos(n as i64), &mut |_| {
        calls += 1;
        true
    })
    .unwrap();
    assert!(calls > 1, "progress is reported");
    // Six seconds of thirty carry dialogue; a gating block that overlaps a
    // line counts (a line 20 LU over the bed dominates any block it touches).
    let blocks = (n - 19_200) / 4_800 + 1;
    let touching = (0..blocks)
        .filter(|&i| {
            let (a0, b0) = (i * 4_800, i * 4_800 + 19_200);
            lines
                .iter()
                .any(|&(s, e)| a0 < (e * 48_000.0) as usize && b0 > (s * 48_000.0) as usize)
        })
        .count();
    let want_percent = 100.0 * touching as f64 / blocks as f64;
    assert!(
        (a.dialogue_percent - want_percent).abs() < 0.5,
        "{} vs {want_percent}",
        a.dialogue_percent
    );
    // Expected, by the definition: the master (both tracks through the -3 dB
    // pan law, mono clips centred) built here, its gating blocks measured by
    // the integrator that agrees with ebur128 (Tech 3341 test above), and
    // integrated over the blocks that touch a line.
    let g = 10f32.powf(-3.0 / 20.0);
    let master: Vec<f32> = dia.iter().zip(&fx).map(|(d, f)| (d + f) * g).collect();
    let mut b = BlockEnergies::new(RATE, 2);
    b.push(&[&master, &master]);
    let chosen: Vec<f64> = b
        .blocks()
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            let (a0, b0) = (i * 4_800, i * 4_800 + 19_200);
            lines
                .iter()
                .any(|&(s, e)| a0 < (e * 48_000.0) as usize && b0 > (s * 48_000.0) as usize)
        })
        .map(|(_, e)| *e)
        .collect();
    let want = gated_loudness(&chosen).unwrap();
    close(a.dialogue_gated, want, 0.05);
    // And close to the lines measured alone by ebur128 (the edge blocks pull
    // it down a little).
    let mut during = Vec::new();
    for &(a0, b0) in &lines {
        let (i, j) = ((a0 * 48_000.0) as usize, (b0 * 48_000.0) as usize);
        during.extend_from_slice(&master[i..j]);
    }
    close(a.dialogue_gated, measure(&during).integrated.unwrap(), 1.0);
    // The whole programme: the bed between the lines is more than 10 LU
    // down, so BS.1770's relative gate leaves about the same blocks.
    close(a.master.integrated, want, 1.0);
    assert_eq!(a.stems.len(), 3);
    let dia_stem = &a.stems[0];
    assert_eq!(dia_stem.1, "DIA");
    assert!(dia_stem.2.integrated.is_some());
}
