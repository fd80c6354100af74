//! Picture placement: which movie frame belongs to a timeline sample.

use dubstage_model::{
    Command, FrameRate, Picture, Project, SamplePos, SampleRate, Session, Timecode, file,
};
use std::path::PathBuf;

fn picture(rate: FrameRate, frames: i64) -> Picture {
    Picture {
        path: PathBuf::from("/films/reel 1.mov"),
        frame_rate: rate,
        frames,
        position: SamplePos(0),
        timecode: None,
        width: 1920,
        height: 1080,
        av_offset_ms: 0.0,
    }
}

/// Independent reference: frame k covers [k*den*sr/num, (k+1)*den*sr/num).
fn expected(pos: i64, num: i64, den: i64, sr: i64) -> i64 {
    (pos * num).div_euclid(den * sr)
}

#[test]
fn frame_at_matches_exact_rational_math_at_every_rate() {
    let sr = SampleRate::HZ_48000;
    for rate in FrameRate::ALL {
        let p = picture(rate, 1_000_000);
        let (num, den) = (i64::from(rate.num()), i64::from(rate.den()));
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pos = (x % 48_000_000) as i64;
            assert_eq!(
                p.frame_at(SamplePos(pos), sr),
                Some(expected(pos, num, den, 48_000)),
                "{rate:?} at {pos}"
            );
        }
        // Frame boundaries exactly.
        for k in [1i64, 2, 1000, 1001, 24_000] {
            let start = p.frame_position(k, sr);
            assert_eq!(p.frame_at(start, sr), Some(k));
            assert_eq!(p.frame_at(SamplePos(start.0 - 1), sr), Some(k - 1));
        }
    }
}

#[test]
fn outside_the_movie_there_is_no_frame() {
    let sr = SampleRate::HZ_48000;
    let mut p = picture(FrameRate::FPS_24, 48);
    p.position = SamplePos(48_000);
    assert_eq!(p.frame_at(SamplePos(47_999), sr), None);
    assert_eq!(p.frame_at(SamplePos(48_000), sr), Some(0));
    assert_eq!(p.frame_at(SamplePos(48_000 + 95_999), sr), Some(47));
    assert_eq!(p.frame_at(SamplePos(48_000 + 96_000), sr), None);
    assert_eq!(p.end(sr), SamplePos(144_000));
}

#[test]
fn av_offset_delays_the_picture() {
    let sr = SampleRate::HZ_48000;
    let mut p = picture(FrameRate::FPS_25, 1000);
    p.av_offset_ms = 40.0; // one frame at 25 fps
    assert_eq!(p.frame_at(SamplePos(1920), sr), Some(0));
    assert_eq!(p.frame_at(SamplePos(3840), sr), Some(1));
}

#[test]
fn movie_timecode_places_frame_zero_at_its_timecode() {
    // A movie starting at 01:00:00:00 on a session that starts at 00:59:58:00.
    for rate in [
        FrameRate::FPS_23_976,
        FrameRate::FPS_24,
        FrameRate::FPS_25,
        FrameRate::FPS_29_97_DF,
        FrameRate::FPS_29_97_NDF,
    ] {
        let mut project = Project::new("tc");
        project.frame_rate = rate;
        let sep = if rate.is_drop_frame() { ";" } else { ":" };
        project.start_timecode = Timecode::parse(&format!("00:59:58{sep}00")).unwrap();
        let mut p = picture(rate, 500);
        p.timecode = Some(Timecode::parse(&format!("01:00:00{sep}00")).unwrap());
        let map = project.time_map();
        let pos = p.position_by_timecode(map).unwrap();
        p.position = pos;
        let sr = project.sample_rate;
        assert_eq!(p.frame_at(pos, sr), Some(0), "{rate:?}");
        assert_eq!(p.frame_at(SamplePos(pos.0 - 1), sr), None, "{rate:?}");
        assert_eq!(
            map.timecode_at(pos).to_string(),
            format!("01:00:00{sep}00"),
            "{rate:?}"
        );
        // Two seconds of timecode after the session start.
        assert_eq!(
            map.frame_at(pos),
            i64::from(rate.timecode_base()) * 2,
            "{rate:?}"
        );
    }
}

#[test]
fn set_picture_and_frame_rate_undo_exactly() {
    let mut s = Session::new(Project::new("p"));
    let before = s.project().clone();
    s.apply(Command::SetPicture {
        picture: Some(picture(FrameRate::FPS_25, 100)),
    })
    .unwrap();
    s.apply(Command::SetFrameRate {
        frame_rate: FrameRate::FPS_25,
    })
    .unwrap();
    assert_eq!(s.project().frame_rate, FrameRate::FPS_25);
    assert!(s.project().picture.is_some());
    assert!(
        s.apply(Command::SetPicture {
            picture: Some(picture(FrameRate::FPS_25, 0)),
        })
        .is_err()
    );
    s.undo();
    s.undo();
    assert_eq!(s.project(), &before);
}

#[test]
fn picture_path_is_stored_relative_and_round_trips() {
    let mut project = Project::new("p");
    let mut p = picture(FrameRate::FPS_24, 10);
    p.path = PathBuf::from("/films/pic/reel 1.mov");
    p.timecode = Some(Timecode::ONE_HOUR);
    project.picture = Some(p);
    let text = file::to_string(&project, std::path::Path::new("/films/project"));
    assert!(text.contains("\"../pic/reel 1.mov\""), "{text}");
    let loaded = file::from_str(
        &text,
        std::path::Path::new("/films/project/p.dubstage"),
        std::path::Path::new("/films/project"),
    )
    .unwrap();
    assert_eq!(loaded.project, project);
}
