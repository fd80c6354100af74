//! The committed fixtures (written by OpenTimelineIO and its FCP7 XML
//! adapter, and to the CMX3600 and FCPXML layouts, by
//! scripts/make_turnover_fixtures.py; the AAFs by pyaaf2, in
//! scripts/make_aaf_fixtures.py) land on the exact samples; export then import gives the clips back;
//! malformed turnovers are refused with the file and the cause.

use dubstage_interchange::import::{NoMedia, Options};
use dubstage_interchange::{Format, Found, MediaResolver, Time, Wanted, build, read_file};
use dubstage_model::{ClipChannels, FadeShape, FrameRate, Project, Timecode};
use std::path::{Path, PathBuf};

const SR: i64 = 48_000;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn rate(key: &str) -> FrameRate {
    match key {
        "23976" => FrameRate::FPS_23_976,
        "25" => FrameRate::FPS_25,
        _ => FrameRate::FPS_29_97_DF,
    }
}

/// Frame `f` at `r` in samples, rounded as the importer must (exact
/// fraction, nearest sample).
fn s(f: i64, r: FrameRate) -> i64 {
    let n = i128::from(f) * i128::from(SR) * i128::from(r.den());
    let d = i128::from(r.num());
    ((2 * n + d) / (2 * d)) as i64
}

/// Frames since midnight of `h:m:00:00` as the fixture script counts them
/// (drop-frame counting for 29.97 DF, where 10:02:00;00 itself is a
/// skipped label).
fn tc_frames(h: i64, m: i64, r: FrameRate) -> i64 {
    let base = i64::from(r.timecode_base());
    let minutes = h * 60 + m;
    let f = minutes * 60 * base;
    if r.is_drop_frame() {
        f - 2 * (minutes - minutes / 10)
    } else {
        f
    }
}

/// The scene's media, as a disk would have them: the two takes carry BWF
/// time references at 10:00:00:00 and 10:02:00:00, the score none.
struct SceneMedia {
    rate: FrameRate,
    asked: Vec<String>,
}

impl MediaResolver for SceneMedia {
    fn resolve(&mut self, w: &Wanted<'_>) -> Option<Found> {
        let name = w
            .path
            .and_then(|p| p.file_stem())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| {
                Path::new(w.name)
                    .file_stem()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        self.asked.push(name.clone());
        let tc = |h, m| Time::frames(tc_frames(h, m, self.rate), self.rate).samples(SR as u32);
        let time_reference = match name.as_str() {
            "A001_C003" => Some(tc(10, 0)),
            "A001_C004" => Some(tc(10, 2)),
            "Score_01" => None,
            _ => return None,
        };
        Some(Found {
            path: PathBuf::from(format!("/disk/{name}.wav")),
            channels: 1,
            length: 60 * SR,
            time_reference,
            how: "by name".into(),
        })
    }
}

fn import(name: &str, key: &str) -> (Format, Project, dubstage_interchange::Report) {
    let (format, tl) = read_file(&fixture(name), rate(key)).expect("reads");
    let mut media = SceneMedia {
        rate: rate(key),
        asked: Vec::new(),
    };
    let (p, report) =
        build(&tl, name, format.label(), &Options::default(), &mut media).expect("builds");
    (format, p, report)
}

/// The scene's clips on the exact samples, for any of its formats.
fn check_scene(p: &Project, key: &str, format: Format) {
    let r = rate(key);
    assert_eq!(p.sample_rate.hz(), 48_000);
    assert_eq!(p.frame_rate.num(), r.num(), "{key} {format:?}");
    assert_eq!(p.frame_rate.den(), r.den());
    // 01:00:00:00 (the FCP7 writer labels a drop-frame count as
    // non-drop; the instant is the same).
    let start = Time::frames(
        p.start_timecode.to_frames(p.frame_rate).expect("tc"),
        p.frame_rate,
    );
    let hour = Time::frames(Timecode::new(1, 0, 0, 0).to_frames(r).expect("tc"), r);
    assert_eq!(start, hour, "{key} {format:?}: start {}", p.start_timecode);
    assert_eq!(p.tracks.len(), 2, "{key} {format:?}");
    let dia = &p.tracks[0];
    assert_eq!(dia.kind, dubstage_model::TrackKind::Dialogue);
    assert_eq!(dia.clips.len(), 2, "{key} {format:?}");
    let (a, b) = (&dia.clips[0], &dia.clips[1]);
    // A001_C003: 12 frames in, 72 frames and the dissolve's 6 past the cut.
    assert_eq!(a.position.0, s(12, r), "{key} {format:?}");
    assert_eq!(a.length.0, s(78, r), "{key} {format:?}");
    assert_eq!(a.source_offset.0, s(48, r), "{key} {format:?}");
    assert_eq!(a.fade_out.length.0, s(12, r), "{key} {format:?}");
    assert_eq!(a.fade_out.shape, FadeShape::EqualPower);
    assert_eq!(a.fade_in.length.0, 0);
    // A001_C004: from 6 frames before the cut, 100 − 6 frames into its media.
    assert_eq!(b.position.0, s(78, r), "{key} {format:?}");
    assert_eq!(b.length.0, s(56, r), "{key} {format:?}");
    assert_eq!(b.source_offset.0, s(94, r), "{key} {format:?}");
    assert_eq!(b.fade_in.length.0, s(12, r), "{key} {format:?}");
    assert_eq!(a.channels, ClipChannels::Mono(0));
    let media = |c: &dubstage_model::Clip| {
        p.media
            .iter()
            .find(|m| m.id == c.media)
            .expect("media")
            .clone()
    };
    assert_eq!(media(a).path, PathBuf::from("/disk/A001_C003.wav"));
    assert_eq!(media(b).path, PathBuf::from("/disk/A001_C004.wav"));
    // The take's source timecode is kept: 10:00:00:00 + 48 frames.
    let t3 = Time::frames(tc_frames(10, 0, r), r);
    assert_eq!(media(a).time_reference, Some(t3.samples(48_000)));
    let mus = &p.tracks[1];
    assert_eq!(mus.clips.len(), 1);
    let m = &mus.clips[0];
    assert_eq!(m.position.0, s(24, r), "{key} {format:?}");
    assert_eq!(m.source_offset.0, 0);
    if format == Format::Otio {
        // Its source range is at 25 fps: 100 frames are 4 s whatever the
        // timeline's rate.
        assert_eq!(m.length.0, 4 * SR, "{key}");
    } else {
        assert_eq!(m.length.0, s(96, r), "{key} {format:?}");
    }
    assert_eq!(p.markers.len(), 1, "{key} {format:?}");
    assert_eq!(p.markers[0].name, "Door slam");
    assert_eq!(p.markers[0].position.0, s(30, r), "{key} {format:?}");
}

#[test]
fn every_format_at_every_rate_lands_on_the_exact_samples() {
    for key in ["23976", "25", "2997df"] {
        for (ext, format) in [
            ("otio", Format::Otio),
            ("xml", Format::Fcp7Xml),
            ("edl", Format::Edl),
            ("aaf", Format::Aaf),
            ("fcpxml", Format::Fcpxml),
        ] {
            let (got, p, report) = import(&format!("scene12_{key}.{ext}"), key);
            assert_eq!(got, format);
            check_scene(&p, key, format);
            assert_eq!(report.clips, 3, "{key} {ext}");
            assert_eq!(report.media_found, 3, "{key} {ext}: {}", report.text());
            assert_eq!(report.media_offline, 0);
        }
    }
}

#[test]
fn the_reference_movie_on_the_video_track_is_placed_by_its_first_frame() {
    // Used from two seconds in at the start: its first frame sits two
    // seconds (in frames of the rate) before the start.
    for key in ["23976", "25", "2997df"] {
        let r = rate(key);
        let nominal = i64::from(r.timecode_base());
        for ext in ["otio", "xml", "aaf", "fcpxml"] {
            let (_, tl) = read_file(&fixture(&format!("scene12_{key}.{ext}")), r).expect("reads");
            let pic = tl.picture.expect("a reference movie");
            assert_eq!(pic.path, PathBuf::from("/turnover/picture/scene12_ref.mov"));
            assert_eq!(
                pic.at,
                Time::ZERO - Time::frames(2 * nominal, r),
                "{key} {ext}"
            );
            assert!(
                tl.notes
                    .iter()
                    .any(|n| n.what.contains("reference picture"))
            );
        }
        let (_, tl) = read_file(&fixture(&format!("scene12_{key}.edl")), r).expect("reads");
        assert!(tl.picture.is_none());
    }
}

#[test]
fn the_edl_rate_follows_its_frame_code_mode() {
    // FCM: DROP FRAME makes a 29.97 EDL drop-frame; its timecodes count so.
    let (_, p, _) = import("scene12_2997df.edl", "2997df");
    assert!(p.frame_rate.is_drop_frame());
    assert_eq!(p.start_timecode.to_string_with(true), "01:00:00;00");
    let (_, p, _) = import("scene12_25.edl", "25");
    assert!(!p.frame_rate.is_drop_frame());
}

#[test]
fn missing_media_stays_offline_with_its_path_and_source_timecode() {
    let (format, tl) = read_file(&fixture("scene12_25.otio"), FrameRate::FPS_25).expect("reads");
    let (p, report) = build(
        &tl,
        "scene12_25.otio",
        format.label(),
        &Options::default(),
        &mut NoMedia,
    )
    .expect("builds");
    assert_eq!(report.media_offline, 3);
    assert_eq!(report.media_found, 0);
    let m = p
        .media
        .iter()
        .find(|m| m.name == "A001_C003.wav")
        .expect("media");
    assert_eq!(m.path, PathBuf::from("/turnover/media/A001_C003.wav"));
    assert_eq!(m.time_reference, Some(10 * 3600 * SR));
    assert!(report.text().contains("offline, ready to relink"));
    // The same clips, on the same samples, found or not.
    assert_eq!(
        p.tracks[0].clips[0].source_offset.0,
        s(48, FrameRate::FPS_25)
    );
}

/// A clip as (track, position, length, offset, gain, fades, channels).
type ClipRow = (String, i64, i64, i64, i32, i64, i64, ClipChannels);

/// The clips of a project.
fn clips(p: &Project, fades: bool) -> Vec<ClipRow> {
    let mut v = Vec::new();
    for t in &p.tracks {
        for c in &t.clips {
            v.push((
                t.name.clone(),
                c.position.0,
                c.length.0,
                c.source_offset.0,
                (c.gain_db * 100.0).round() as i32,
                if fades { c.fade_in.length.0 } else { 0 },
                if fades { c.fade_out.length.0 } else { 0 },
                c.channels,
            ));
        }
    }
    v
}

/// Finds the media a project has, by file name.
struct Disk(Vec<dubstage_model::MediaRef>);

impl MediaResolver for Disk {
    fn resolve(&mut self, w: &Wanted<'_>) -> Option<Found> {
        let m = self.0.iter().find(|m| {
            m.path.file_name().map(|n| n.to_string_lossy().into_owned()) == Some(w.name.to_owned())
        })?;
        Some(Found {
            path: m.path.clone(),
            channels: m.channels,
            length: m.length.0,
            time_reference: m.time_reference,
            how: "by name".into(),
        })
    }
}

#[test]
fn export_then_import_gives_the_clips_back() {
    for key in ["23976", "25", "2997df"] {
        let (_, mut p, _) = import(&format!("scene12_{key}.otio"), key);
        // Something the turnover did not have: a gain and a hand fade.
        p.tracks[1].clips[0].gain_db = -4.5;
        p.tracks[1].clips[0].fade_in.length.0 = 777;
        let text = dubstage_interchange::otio::write(&p);
        let tl = dubstage_interchange::otio::read(&text).expect("reads back");
        let (q, _) =
            build(&tl, "round trip", "OTIO", &Options::default(), &mut NoMedia).expect("builds");
        assert_eq!(clips(&q, true), clips(&p, true), "{key} via OTIO");
        assert_eq!(
            q.start_timecode.to_frames(q.frame_rate).ok(),
            p.start_timecode.to_frames(p.frame_rate).ok()
        );
        assert_eq!(
            q.markers.iter().map(|m| m.position).collect::<Vec<_>>(),
            p.markers.iter().map(|m| m.position).collect::<Vec<_>>()
        );
        // The EDL keeps cuts on frames: the positions, lengths and offsets
        // come back (its dissolves are written as cuts) for clips on
        // frames (the 25 fps music is not, at 23.976 and 29.97).
        let r = p.frame_rate;
        p.tracks[1].clips[0].length.0 = s(96, r);
        let (edl, left_out) = dubstage_interchange::edl::write(&p);
        assert!(left_out.is_empty());
        let tl = dubstage_interchange::edl::read(&edl, p.frame_rate).expect("EDL reads back");
        // The same files, with the time references they were found with.
        let mut media = Disk(p.media.clone());
        let (e, _) =
            build(&tl, "round trip", "EDL", &Options::default(), &mut media).expect("builds");
        let strip = |v: Vec<ClipRow>| {
            v.into_iter()
                .map(|c| (c.1, c.2, c.3, c.7))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            strip(clips(&e, false)),
            strip(clips(&p, false)),
            "{key} via EDL"
        );
    }
}

#[test]
fn malformed_turnovers_name_the_file_and_the_cause() {
    let dir = std::env::temp_dir().join(format!("dubstage-bad-turnovers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let good_otio = std::fs::read_to_string(fixture("scene12_25.otio")).expect("read");
    let good_edl = std::fs::read_to_string(fixture("scene12_25.edl")).expect("read");
    let good_xml = std::fs::read_to_string(fixture("scene12_25.xml")).expect("read");
    let good_aaf = std::fs::read(fixture("scene12_25.aaf")).expect("read");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.otio",
            good_otio.as_bytes()[..good_otio.len() / 2].to_vec(),
            "not JSON",
        ),
        (
            "wrong.otio",
            b"{\"OTIO_SCHEMA\": \"Clip.1\"}".to_vec(),
            "not a Timeline",
        ),
        (
            "unclosed.xml",
            good_xml.as_bytes()[..good_xml.len() / 3].to_vec(),
            "not well-formed",
        ),
        (
            "html.xml",
            b"<html><body>hi</body></html>".to_vec(),
            "not an AAF, OTIO",
        ),
        (
            "badtc.edl",
            good_edl.replace("10:00:01:23", "25:61:01:23").into_bytes(),
            "not a timecode",
        ),
        (
            "badtime.fcpxml",
            std::fs::read_to_string(fixture("scene12_25.fcpxml"))
                .expect("read")
                .replace("offset=\"0s\"", "offset=\"soon\"")
                .into_bytes(),
            "is not a time",
        ),
        (
            "short.edl",
            b"TITLE: x\n001  AX  A  C  01:00:00:00 01:00:01:00\n".to_vec(),
            "four timecodes",
        ),
        (
            "backwards.edl",
            b"TITLE: x\n001  AX  A  C  01:00:01:00 01:00:00:00 01:00:00:00 01:00:01:00\n".to_vec(),
            "before its in",
        ),
        (
            "binary.aaf",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0xFF],
            "not a readable AAF",
        ),
        (
            "truncated.aaf",
            good_aaf[..good_aaf.len() / 2].to_vec(),
            "not a readable AAF",
        ),
        ("random.bin", vec![0x00, 0x9F, 0xFF, 0x80, 0x81], "not text"),
        ("empty.edl", Vec::new(), "not an AAF, OTIO"),
    ];
    for (name, bytes, cause) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("write");
        let err = read_file(&path, FrameRate::FPS_25)
            .expect_err(name)
            .to_string();
        assert!(err.contains(name), "{name}: {err}");
        assert!(err.contains(cause), "{name}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn readers_survive_thousands_of_mutated_turnovers() {
    // Byte flips, cuts and splices of every fixture: an error or a
    // timeline, never a panic; a timeline builds or errs.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in [
        "scene12_25.otio",
        "scene12_2997df.xml",
        "scene12_23976.edl",
        "scene12_23976.fcpxml",
    ] {
        let good = std::fs::read(fixture(name)).expect("read");
        for _ in 0..700 {
            let mut b = good.clone();
            match next() % 3 {
                0 => {
                    for _ in 0..1 + next() % 8 {
                        let i = (next() as usize) % b.len();
                        b[i] = {
                            let alphabet = b"0123456789:;-<>/{}\"\n -1e9x";
                            alphabet[(next() as usize) % alphabet.len()]
                        };
                    }
                }
                1 => b.truncate((next() as usize) % b.len()),
                _ => {
                    let i = (next() as usize) % b.len();
                    let j = (next() as usize) % b.len();
                    let piece = b[i.min(j)..i.max(j)].to_vec();
                    let k = (next() as usize) % b.len();
                    b.splice(k..k, piece);
                }
            }
            let Ok(text) = String::from_utf8(b) else {
                continue;
            };
            let Some(format) = dubstage_interchange::detect(&text) else {
                continue;
            };
            if let Ok(tl) = dubstage_interchange::read_str(format, &text, FrameRate::FPS_25) {
                let _ = build(&tl, name, "fuzz", &Options::default(), &mut NoMedia);
            }
        }
    }
}

#[test]
fn a_turnover_merged_into_a_session_is_one_undo_step_at_its_timecode() {
    // A session that already has work in it, starting at 00:59:00:00.
    let mut current = Project::new("mix");
    current.frame_rate = FrameRate::FPS_25;
    current.start_timecode = Timecode::new(0, 59, 0, 0);
    let mut session = dubstage_model::Session::new(current);
    session
        .apply(dubstage_model::Command::AddTrack {
            kind: dubstage_model::TrackKind::Foley,
            name: "Feet".into(),
        })
        .expect("track");
    session
        .apply(dubstage_model::Command::AddMarker {
            position: dubstage_model::SamplePos(5),
            name: "mine".into(),
        })
        .expect("marker");
    let before = session.project().clone();
    let (_, imported, _) = import("scene12_25.otio", "25");
    let offset = dubstage_interchange::import::timecode_offset(session.project(), &imported)
        .expect("offset");
    assert_eq!(offset, 60 * SR, "01:00:00:00 is a minute after 00:59:00:00");
    let cmds = dubstage_interchange::import::merge_commands(session.project(), &imported, offset);
    session
        .apply_group("Import Turnover", cmds)
        .expect("the predicted ids hold");
    let p = session.project().clone();
    assert_eq!(p.tracks.len(), 3);
    assert_eq!(p.tracks[0].name, "Feet");
    let a1 = &p.tracks[1];
    assert_eq!(a1.clips[0].position.0, offset + s(12, FrameRate::FPS_25));
    assert_eq!(a1.clips[0].source_offset.0, s(48, FrameRate::FPS_25));
    let m = p
        .media
        .iter()
        .find(|m| m.id == a1.clips[0].media)
        .expect("media");
    assert_eq!(m.path, PathBuf::from("/disk/A001_C003.wav"));
    assert_eq!(m.time_reference, Some(10 * 3600 * SR));
    assert_eq!(p.markers.len(), 2);
    // One undo takes it all away.
    session.undo();
    assert_eq!(session.project(), &before);
}

/// Sample `i` of embedded file `index` as scripts/make_aaf_fixtures.py
/// writes it.
fn embedded_sample(i: i64, index: i64, width: u32) -> i64 {
    let bits = 8 * width;
    let v = (i * 7919 + index * 104_729 + (i * i) % 65_521).rem_euclid(1 << bits);
    v - (1 << (bits - 1))
}

#[test]
fn an_aaf_carries_tapes_clip_gain_and_says_what_it_did_not() {
    let (format, p, report) = import("scene12_25.aaf", "25");
    assert_eq!(format, Format::Aaf);
    let a1 = &p.tracks[0];
    assert_eq!(a1.name, "A1");
    assert_eq!(a1.clips[0].gain_db, 0.0);
    // Mono Audio Gain, constant amplitude 1/2.
    assert!(
        (a1.clips[1].gain_db + 6.0206).abs() < 1e-3,
        "{}",
        a1.clips[1].gain_db
    );
    let tape = |c: &dubstage_model::Clip| {
        p.media
            .iter()
            .find(|m| m.id == c.media)
            .map(|m| m.tape.clone())
            .unwrap_or_default()
    };
    assert_eq!(tape(&a1.clips[0]), "A001");
    assert_eq!(tape(&a1.clips[1]), "A001");
    // The take whose tape's timecode track starts at 10:02:00:00 keeps it.
    let m4 = p
        .media
        .iter()
        .find(|m| m.id == a1.clips[1].media)
        .expect("media");
    assert_eq!(m4.time_reference, Some((10 * 3600 + 120) * SR));
    let text = report.text();
    assert!(
        text.contains("clip gain keyframes (2 points): carried as a clip-gain envelope"),
        "{text}"
    );
    // Mono Audio Gain, varying from 1 to 1/4 over the music clip: its
    // envelope, in source samples, 0 dB to −12.04 dB over its 96 frames.
    let music = &p.tracks[1].clips[0];
    let env = &music.gain_envelope;
    assert_eq!(env.len(), 2, "{env:?}");
    assert_eq!(env[0].at.0, music.source_offset.0);
    assert!(env[0].db.abs() < 1e-4);
    assert_eq!(
        env[1].at.0,
        music.source_offset.0 + s(96, FrameRate::FPS_25)
    );
    assert!((env[1].db + 12.041).abs() < 1e-2, "{}", env[1].db);
    assert!(text.contains("reference picture"), "{text}");
}

#[test]
fn embedded_aaf_media_is_extracted_bit_exact_with_its_timecode() {
    let dir = std::env::temp_dir().join(format!("dubstage-aaf-essence-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let aaf = fixture("scene12_25_embedded.aaf");
    let (_, mut tl) = read_file(&aaf, FrameRate::FPS_25).expect("reads");
    assert_eq!(tl.essence.len(), 3);
    let mut calls = 0;
    let files = dubstage_interchange::aaf::extract_embedded(&aaf, &mut tl, &dir, &mut |d, t| {
        assert!(d <= t);
        calls += 1;
        true
    })
    .expect("extracts");
    assert!(calls >= 3);
    assert_eq!(files.len(), 3);
    let r = FrameRate::FPS_25;
    for (name, width, seconds_x10, index, tc) in [
        ("A001_C003", 2u32, 52i64, 1i64, Some(10 * 3600 * SR)),
        ("A001_C004", 3, 62, 2, Some((10 * 3600 + 120) * SR)),
        ("Score_01", 2, 41, 3, None),
    ] {
        let path = dir.join(format!("{name}.wav"));
        let b = std::fs::read(&path).expect("extracted file");
        // RIFF, fmt, bext (time reference), data: every sample as written.
        assert_eq!(&b[..4], b"RIFF");
        assert_eq!(&b[8..12], b"WAVE");
        let mut at = 12;
        let mut tr = None;
        let mut data = None;
        while at + 8 <= b.len() {
            let size =
                u32::from_le_bytes(b[at + 4..at + 8].try_into().expect("four bytes")) as usize;
            match &b[at..at + 4] {
                b"fmt " => {
                    assert_eq!(u16::from_le_bytes([b[at + 10], b[at + 11]]), 1);
                    assert_eq!(
                        u32::from_le_bytes(b[at + 12..at + 16].try_into().expect("four bytes")),
                        48_000
                    );
                    assert_eq!(
                        u16::from_le_bytes([b[at + 22], b[at + 23]]),
                        8 * width as u16
                    );
                }
                b"bext" => {
                    tr = Some(u64::from_le_bytes(
                        b[at + 8 + 338..at + 8 + 346]
                            .try_into()
                            .expect("eight bytes"),
                    ));
                }
                b"data" => data = Some(&b[at + 8..at + 8 + size]),
                _ => {}
            }
            at += 8 + size + (size & 1);
        }
        assert_eq!(tr, Some(tc.unwrap_or(0) as u64), "{name}");
        let data = data.expect("data chunk");
        // As the script counts them: int(seconds * 48000) in floating point.
        let frames = (seconds_x10 as f64 / 10.0 * SR as f64) as i64;
        assert_eq!(data.len() as i64, frames * i64::from(width), "{name}");
        for (i, s) in data.chunks_exact(width as usize).enumerate() {
            let mut v = 0i64;
            for (k, byte) in s.iter().enumerate() {
                v |= i64::from(*byte) << (8 * k);
            }
            let v = if v >= 1 << (8 * width - 1) {
                v - (1 << (8 * width))
            } else {
                v
            };
            assert_eq!(
                v,
                embedded_sample(i as i64, index, width),
                "{name} sample {i}"
            );
        }
    }
    // The clips now play the extracted files, on the same samples.
    for c in tl.tracks.iter().flat_map(|t| &t.clips) {
        let p = c.media.path.as_ref().expect("path");
        assert!(p.starts_with(&dir), "{}", p.display());
    }
    let mut media = SceneMedia {
        rate: r,
        asked: Vec::new(),
    };
    let (p, report) =
        build(&tl, "embedded", "AAF", &Options::default(), &mut media).expect("builds");
    check_scene(&p, "25", Format::Aaf);
    assert!(report.text().contains("extracted to"), "{}", report.text());
    // Extracting again reuses the same files (nothing new is written).
    let (_, mut again) = read_file(&aaf, FrameRate::FPS_25).expect("reads");
    let files2 =
        dubstage_interchange::aaf::extract_embedded(&aaf, &mut again, &dir, &mut |_, _| true)
            .expect("extracts again");
    assert_eq!(files, files2);
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 3);
    // A different file of the same name is never replaced.
    std::fs::write(dir.join("Score_01.wav"), b"someone else's").expect("write");
    let (_, mut third) = read_file(&aaf, FrameRate::FPS_25).expect("reads");
    let files3 =
        dubstage_interchange::aaf::extract_embedded(&aaf, &mut third, &dir, &mut |_, _| true)
            .expect("extracts");
    assert!(files3.contains(&dir.join("Score_01 2.wav")), "{files3:?}");
    assert_eq!(
        std::fs::read(dir.join("Score_01.wav")).expect("read"),
        b"someone else's"
    );
    // Cancelled: an error, and no partial file left.
    let (_, mut fourth) = read_file(&aaf, FrameRate::FPS_25).expect("reads");
    let sub = dir.join("cancelled");
    let err =
        dubstage_interchange::aaf::extract_embedded(&aaf, &mut fourth, &sub, &mut |_, _| false)
            .expect_err("cancelled");
    assert!(err.to_string().contains("cancelled"));
    assert_eq!(std::fs::read_dir(&sub).expect("dir").count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_aaf_reader_survives_mutated_files() {
    // Byte flips, zeroed runs and cuts of an AAF: an error or a timeline,
    // never a panic.
    let good = std::fs::read(fixture("scene12_25.aaf")).expect("read");
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut read = 0;
    for round in 0..240 {
        let mut b = good.clone();
        match round % 3 {
            0 => {
                for _ in 0..1 + next() % 16 {
                    let i = (next() as usize) % b.len();
                    b[i] = next() as u8;
                }
            }
            1 => {
                let i = (next() as usize) % b.len();
                let n = ((next() as usize) % 512).min(b.len() - i);
                b[i..i + n].fill(if next() % 2 == 0 { 0 } else { 0xFF });
            }
            _ => b.truncate(512 + (next() as usize) % (b.len() - 512)),
        }
        if let Ok(tl) = dubstage_interchange::aaf::read(std::io::Cursor::new(b)) {
            read += 1;
            let _ = build(&tl, "fuzz", "AAF", &Options::default(), &mut NoMedia);
        }
    }
    // Most flips land in the dictionaries, which the reader skips.
    assert!(read > 0);
}

#[test]
fn xml_turnovers_with_a_doctype_line_are_read() {
    // Premiere Pro and Final Cut Pro 7 write `<!DOCTYPE xmeml>`; Final Cut
    // Pro 10 writes `<!DOCTYPE fcpxml>`.
    let xml = std::fs::read_to_string(fixture("scene12_25.xml")).expect("read");
    let with = xml.replacen("<xmeml", "<!DOCTYPE xmeml>\n<xmeml", 1);
    assert!(with.contains("<!DOCTYPE xmeml>"));
    let tl = dubstage_interchange::read_str(Format::Fcp7Xml, &with, FrameRate::FPS_25)
        .expect("an FCP7 XML with its DOCTYPE reads");
    assert_eq!(tl.tracks.len(), 2);
    let fcpx = std::fs::read_to_string(fixture("scene12_25.fcpxml")).expect("read");
    assert!(fcpx.contains("<!DOCTYPE fcpxml>"));
    // An entity bomb is refused, not expanded without end.
    let bomb = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE fcpxml [\n<!ENTITY a \"aaaaaaaaaa\">\n{}]>\n<fcpxml version=\"1.10\">&z;</fcpxml>",
        (b'b'..=b'z')
            .map(|c| {
                let p = (c - 1) as char;
                format!(
                    "<!ENTITY {} \"{}\">\n",
                    c as char,
                    format!("&{p};").repeat(10)
                )
            })
            .collect::<String>()
    );
    assert!(dubstage_interchange::read_str(Format::Fcpxml, &bomb, FrameRate::FPS_25).is_err());
}

#[test]
fn an_fcpxml_carries_lanes_roles_volume_and_reels() {
    let (format, p, report) = import("scene12_23976.fcpxml", "23976");
    assert_eq!(format, Format::Fcpxml);
    // The lanes became tracks named by their audio roles.
    assert_eq!(p.tracks[0].name, "Dialogue");
    assert_eq!(p.tracks[1].name, "Music");
    assert_eq!(p.tracks[1].kind, dubstage_model::TrackKind::Music);
    assert_eq!(p.tracks[0].clips[1].gain_db, -6.0);
    let reel = p
        .media
        .iter()
        .find(|m| m.id == p.tracks[0].clips[0].media)
        .map(|m| m.tape.clone());
    assert_eq!(reel.as_deref(), Some("A001"));
    assert!(
        report.text().contains("reference picture"),
        "{}",
        report.text()
    );
}

#[test]
fn a_nested_sequence_in_an_aaf_is_flattened_to_the_part_the_reel_uses() {
    // Frames 20..120 of the nest (A001_C003 0..60, A001_C004 60..140) after
    // 10 frames of filler.
    let (_, p, report) = import("nested_25.aaf", "25");
    let r = FrameRate::FPS_25;
    let a1 = &p.tracks[0];
    assert_eq!(a1.clips.len(), 2);
    assert_eq!(a1.clips[0].position.0, s(10, r));
    assert_eq!(a1.clips[0].length.0, s(40, r));
    assert_eq!(a1.clips[0].source_offset.0, s(20, r));
    assert_eq!(a1.clips[1].position.0, s(50, r));
    assert_eq!(a1.clips[1].length.0, s(60, r));
    assert_eq!(a1.clips[1].source_offset.0, 0);
    assert!(report.text().contains("flattened"), "{}", report.text());
}

#[test]
fn an_aaf_composition_that_plays_itself_is_refused_not_expanded() {
    // Three clips of the composition inside itself, after two fillers of
    // 2^62 frames: a note, no hang, no overflow.
    let (_, tl) = read_file(&fixture("loop.aaf"), FrameRate::FPS_25).expect("reads");
    assert!(
        tl.notes.iter().any(|n| n.what.contains("contains itself")),
        "{:?}",
        tl.notes
    );
    assert!(tl.notes.len() < 100, "{} notes", tl.notes.len());
}

fn fcpxml(body: &str, resources: &str) -> dubstage_interchange::Timeline {
    let xml = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE fcpxml>\n<fcpxml version=\"1.10\"><resources>\
         <format id=\"r1\" frameDuration=\"1/25s\"/>\
         <asset id=\"cam\" name=\"cam\" start=\"0s\" duration=\"100s\" hasVideo=\"1\" hasAudio=\"1\" audioChannels=\"2\"><media-rep src=\"file:///m/cam.mov\"/></asset>\
         <asset id=\"rec\" name=\"rec\" start=\"36000s\" duration=\"100s\" hasAudio=\"1\" audioChannels=\"4\"><media-rep src=\"file:///m/rec.wav\"/></asset>\
         {resources}</resources><library><event><project name=\"P\"><sequence format=\"r1\" tcStart=\"3600s\"><spine>{body}</spine></sequence></project></event></library></fcpxml>"
    );
    dubstage_interchange::read_str(Format::Fcpxml, &xml, FrameRate::FPS_25).expect("reads")
}

#[test]
fn fcpxml_clips_carry_their_own_audio_channel_and_volume() {
    // A synced clip (its camera video, the recorder's channel 3 under it),
    // inside a clip at -3 dB; then a clip whose audio is turned off.
    let tl = fcpxml(
        "<clip name=\"sync\" offset=\"3600s\" start=\"0s\" duration=\"4s\">\
           <adjust-volume amount=\"-3dB\"/>\
           <video ref=\"cam\" offset=\"0s\" start=\"0s\" duration=\"4s\">\
             <audio lane=\"-1\" ref=\"rec\" offset=\"0s\" start=\"36001s\" duration=\"4s\" srcCh=\"3\" role=\"dialogue\">\
               <adjust-volume amount=\"-2dB\"/></audio>\
           </video>\
         </clip>\
         <asset-clip ref=\"cam\" offset=\"3604s\" start=\"10s\" duration=\"2s\" srcEnable=\"video\"/>",
        "",
    );
    let clips: Vec<&dubstage_interchange::timeline::Clip> =
        tl.tracks.iter().flat_map(|t| &t.clips).collect();
    assert_eq!(clips.len(), 1, "{tl:?}");
    let c = clips[0];
    assert_eq!(c.media.name, "rec.wav");
    assert_eq!(c.record, Time::ZERO);
    assert_eq!(c.source_in, Time::new(36_001, 1));
    assert_eq!(c.duration, Time::new(4, 1));
    assert_eq!(c.channel, Some(2));
    assert_eq!(c.gain_db, -5.0);
    assert_eq!(tl.tracks[0].name, "Dialogue");
    assert_eq!(tl.picture.as_ref().map(|p| p.at), Some(Time::ZERO));
}

#[test]
fn an_fcpxml_compound_clip_carries_only_the_part_it_shows() {
    // The compound's sequence plays rec.wav for 10 s; the clip shows 2..5 s.
    let tl = fcpxml(
        "<ref-clip ref=\"c1\" offset=\"3600s\" start=\"2s\" duration=\"3s\" name=\"compound\"/>",
        "<media id=\"c1\" name=\"compound\"><sequence format=\"r1\"><spine>\
           <asset-clip ref=\"rec\" offset=\"0s\" start=\"36000s\" duration=\"10s\" audioRole=\"dialogue\"/>\
         </spine></sequence></media>",
    );
    let c = &tl.tracks[0].clips[0];
    assert_eq!(tl.tracks[0].clips.len(), 1);
    assert_eq!(c.record, Time::ZERO);
    assert_eq!(c.source_in, Time::new(36_002, 1));
    assert_eq!(c.duration, Time::new(3, 1));
}

#[test]
fn an_fcpxml_transition_crossfades_its_neighbours_not_a_connected_clip() {
    // A [0, 5) with a connected clip under it also ending at 5; a 2 s
    // dissolve at 4..6; B [5, 10).
    let tl = fcpxml(
        "<asset-clip ref=\"rec\" name=\"A\" offset=\"3600s\" start=\"36000s\" duration=\"5s\" audioRole=\"dialogue\">\
           <asset-clip ref=\"rec\" name=\"under\" lane=\"-1\" offset=\"36000s\" start=\"36050s\" duration=\"5s\" audioRole=\"effects\"/>\
         </asset-clip>\
         <transition offset=\"3604s\" duration=\"2s\"/>\
         <asset-clip ref=\"rec\" name=\"B\" offset=\"3605s\" start=\"36020s\" duration=\"5s\" audioRole=\"dialogue\"/>",
        "",
    );
    let find = |n: &str| {
        tl.tracks
            .iter()
            .flat_map(|t| &t.clips)
            .find(|c| c.name == n)
            .expect(n)
            .clone()
    };
    let (a, b, under) = (find("A"), find("B"), find("under"));
    assert_eq!(a.duration, Time::new(6, 1));
    assert!(a.fade_out.crossfade);
    assert_eq!(a.fade_out.length, Time::new(2, 1));
    assert_eq!(b.record, Time::new(4, 1));
    assert_eq!(b.source_in, Time::new(36_019, 1));
    assert_eq!(b.duration, Time::new(6, 1));
    assert_eq!(under.duration, Time::new(5, 1));
    assert!(under.fade_out.length.is_zero());
}

#[test]
fn fcpxml_volume_keyframes_become_a_clip_gain_envelope() {
    let tl = fcpxml(
        "<asset-clip ref=\"rec\" name=\"line\" offset=\"3600s\" start=\"36010s\" duration=\"4s\" audioRole=\"dialogue\">\
           <adjust-volume><param name=\"amount\"><keyframeAnimation>\
             <keyframe time=\"36010s\" value=\"0dB\"/><keyframe time=\"36012s\" value=\"-9dB\"/>\
           </keyframeAnimation></param></adjust-volume>\
         </asset-clip>",
        "",
    );
    let c = &tl.tracks[0].clips[0];
    assert_eq!(
        c.envelope,
        vec![(Time::new(36_010, 1), 0.0), (Time::new(36_012, 1), -9.0)]
    );
    let (p, report) = build(&tl, "x", "FCPXML", &Options::default(), &mut NoMedia).expect("builds");
    let clip = &p.tracks[0].clips[0];
    // In source samples, from the media's start (36,000 s).
    assert_eq!(clip.gain_envelope[0].at.0, 10 * SR);
    assert_eq!(clip.gain_envelope[1].at.0, 12 * SR);
    assert!(report.text().contains("carried as a clip-gain envelope"));
}

#[test]
fn pro_tools_rendered_fades_and_sample_accurate_edits_become_fades_and_clips_again() {
    let (_, p, report) = import("protools_25.aaf", "25");
    let r = FrameRate::FPS_25;
    let a1 = &p.tracks[0];
    assert_eq!(a1.clips.len(), 3, "{:?}", a1.clips);
    let (a, b, c) = (&a1.clips[0], &a1.clips[1], &a1.clips[2]);
    // The 8-frame "Fade " clip between two takes: a crossfade over it.
    assert_eq!((a.position.0, a.length.0), (0, s(48, r)));
    assert_eq!(a.fade_out.length.0, s(8, r));
    assert_eq!(a.fade_out.shape, FadeShape::EqualPower);
    assert_eq!((b.position.0, b.length.0), (s(40, r), s(48, r)));
    assert_eq!(b.source_offset.0, s(12, r));
    assert_eq!(b.fade_in.length.0, s(8, r));
    // The 1-frame sample-accurate edit folded into the clip after it.
    assert_eq!((c.position.0, c.length.0), (s(108, r), s(31, r)));
    assert_eq!(c.source_offset.0, s(59, r));
    let text = report.text();
    assert!(text.contains("Pro Tools rendered fade"), "{text}");
    assert!(text.contains("sample-accurate edit"), "{text}");
}

#[test]
fn a_clip_resolve_disabled_is_reported_not_played() {
    let (_, tl) = read_file(&fixture("resolve_25.aaf"), FrameRate::FPS_25).expect("reads");
    let clips = &tl.tracks[0].clips;
    assert_eq!(clips.len(), 2);
    assert!(clips[0].enabled);
    assert!(
        !clips[1].enabled,
        "the alternate of an empty selector is the disabled clip"
    );
    let (_, p, report) = import("resolve_25.aaf", "25");
    assert_eq!(p.tracks[0].clips.len(), 1);
    assert!(
        report.text().contains("disabled in the turnover"),
        "{}",
        report.text()
    );
}
