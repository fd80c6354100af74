//! Timecode ↔ frames ↔ samples, exact at every frame rate, drop-frame included.

use dubstage_model::{FrameRate, SamplePos, SampleRate, TimeMap, Timecode};

fn tc(s: &str) -> Timecode {
    Timecode::parse(s).expect("valid timecode literal")
}

/// `next` is the timecode one frame after `prev` at `rate`.
fn check_next(rate: FrameRate, prev: &str, next: &str) {
    let f = tc(prev).to_frames(rate).expect("prev exists");
    let n = Timecode::from_frames(f + 1, rate);
    assert_eq!(n.to_string(), next, "{prev} + 1 frame at {rate}");
    assert_eq!(tc(next).to_frames(rate), Ok(f + 1));
}

fn check_frames(rate: FrameRate, s: &str, frames: i64) {
    assert_eq!(tc(s).to_frames(rate), Ok(frames), "{s} at {rate}");
    assert_eq!(Timecode::from_frames(frames, rate).to_string(), s);
}

#[test]
fn drop_frame_skips_two_frames_each_minute() {
    let df = FrameRate::FPS_29_97_DF;
    check_next(df, "00:00:59;29", "00:01:00;02");
    check_next(df, "00:01:59;29", "00:02:00;02");
    check_next(df, "00:09:59;29", "00:10:00;00");
    check_next(df, "00:10:00;00", "00:10:00;01");
    check_next(df, "00:10:59;29", "00:11:00;02");
    check_next(df, "00:59:59;29", "01:00:00;00");
}

#[test]
fn drop_frame_counts() {
    let df = FrameRate::FPS_29_97_DF;
    check_frames(df, "00:00:00;00", 0);
    check_frames(df, "00:01:00;02", 1800);
    check_frames(df, "00:10:00;00", 17982);
    check_frames(df, "01:00:00;00", 107_892);
    check_frames(df, "23:59:59;29", 2_589_407);
}

#[test]
fn drop_frame_refuses_skipped_labels() {
    let df = FrameRate::FPS_29_97_DF;
    assert!(tc("00:01:00;00").to_frames(df).is_err());
    assert!(tc("00:01:00;01").to_frames(df).is_err());
    assert!(tc("00:10:00;00").to_frames(df).is_ok());
}

#[test]
fn drop_frame_59_94_skips_four() {
    let df = FrameRate::FPS_59_94_DF;
    check_next(df, "00:00:59;59", "00:01:00;04");
    check_next(df, "00:09:59;59", "00:10:00;00");
    check_frames(df, "01:00:00;00", 215_784);
}

#[test]
fn non_drop_counts() {
    check_frames(FrameRate::FPS_24, "01:00:00:00", 86_400);
    check_frames(FrameRate::FPS_23_976, "01:00:00:00", 86_400);
    check_frames(FrameRate::FPS_25, "00:00:01:24", 49);
    check_frames(FrameRate::FPS_29_97_NDF, "00:01:00:00", 1800);
    check_frames(FrameRate::FPS_50, "00:00:01:49", 99);
    check_frames(FrameRate::FPS_60, "10:00:00:00", 2_160_000);
    check_next(FrameRate::FPS_24, "00:00:00:23", "00:00:01:00");
    assert!(tc("00:00:00:24").to_frames(FrameRate::FPS_24).is_err());
}

#[test]
fn every_frame_of_a_day_round_trips_for_drop_frame() {
    for rate in [FrameRate::FPS_29_97_DF, FrameRate::FPS_59_94_DF] {
        let mut prev = Timecode::from_frames(0, rate);
        for f in (1..2_589_408i64).step_by(7) {
            let t = Timecode::from_frames(f, rate);
            assert_eq!(t.to_frames(rate), Ok(f), "{t} at {rate}");
            assert_ne!(t, prev);
            prev = t;
        }
    }
}

#[test]
fn frames_to_samples_is_exact() {
    let sr = SampleRate::HZ_48000;
    // 23.976: 2002 samples per frame exactly.
    assert_eq!(
        FrameRate::FPS_23_976.frame_to_samples(1, sr),
        SamplePos(2002)
    );
    assert_eq!(
        FrameRate::FPS_24.frame_to_samples(24, sr),
        SamplePos(48_000)
    );
    // 29.97: 1601.6 samples per frame; five frames are exactly 8008 samples.
    assert_eq!(
        FrameRate::FPS_29_97_NDF.frame_to_samples(5, sr),
        SamplePos(8008)
    );
    assert_eq!(
        FrameRate::FPS_29_97_NDF.frame_to_samples(1, sr),
        SamplePos(1601)
    );
    assert_eq!(
        FrameRate::FPS_25.frame_to_samples(1, SampleRate::HZ_44100),
        SamplePos(1764)
    );
}

#[test]
fn samples_to_frame_inverts_frame_start_at_every_rate() {
    for sr in SampleRate::ALLOWED {
        for rate in FrameRate::ALL {
            for f in (-3000i64..3000).chain(1_000_000..1_000_100) {
                let s = rate.frame_to_samples(f, sr);
                assert_eq!(rate.samples_to_frame(s, sr), f, "{rate} {sr} frame {f}");
                assert_eq!(
                    rate.samples_to_frame(s - dubstage_model::SampleLen(1), sr),
                    f - 1
                );
            }
        }
    }
}

#[test]
fn session_time_map_starts_at_one_hour() {
    let map = TimeMap {
        sample_rate: SampleRate::HZ_48000,
        frame_rate: FrameRate::FPS_24,
        start: Timecode::ONE_HOUR,
    };
    assert_eq!(map.timecode_at(SamplePos(0)).to_string(), "01:00:00:00");
    assert_eq!(map.timecode_at(SamplePos(1999)).to_string(), "01:00:00:00");
    assert_eq!(map.timecode_at(SamplePos(2000)).to_string(), "01:00:00:01");
    assert_eq!(
        map.timecode_at(SamplePos(48_000 * 61)).to_string(),
        "01:01:01:00"
    );
    assert_eq!(
        map.samples_at(tc("01:00:10:12")),
        Ok(SamplePos(10 * 48_000 + 12 * 2000))
    );
    // Before the start: pre-roll counts back into the previous hour.
    assert_eq!(map.timecode_at(SamplePos(-1)).to_string(), "00:59:59:23");
    assert_eq!(map.samples_at(tc("00:59:59:00")), Ok(SamplePos(-48_000)));
}

#[test]
fn parse_rejects_garbage() {
    for bad in [
        "",
        "1:2:3",
        "aa:bb:cc:dd",
        "01:00:00:00:00",
        "25:00:00:00",
        "01:61:00:00",
        "-1:00:00:00",
    ] {
        assert!(Timecode::parse(bad).is_err(), "{bad:?}");
    }
    assert!(tc("01:00:00;00").drop_frame);
}
