//! Every command's undo restores the exact prior project; redo restores the result.

use dubstage_model::{
    AutoPoint, BusId, ClipChannels, Command, EnvPoint, Fade, FadeShape, FrameRate, InsertKind,
    NewClip, Output, ParamId, Project, SampleLen, SamplePos, Session, Stem, StripId, TrackKind,
};
use proptest::prelude::*;

/// A project with a few tracks, media and clips to edit.
fn base() -> Project {
    let mut s = Session::new(Project::new("base"));
    let mut media = Vec::new();
    for i in 0..3 {
        let c = s
            .apply(Command::AddMedia {
                path: format!("/media/m{i}.wav").into(),
                name: format!("m{i}.wav"),
                channels: 2,
                length: SampleLen(480_000),
            })
            .expect("add media");
        media.push(c);
    }
    for (i, kind) in [TrackKind::Dialogue, TrackKind::Foley, TrackKind::Music]
        .into_iter()
        .enumerate()
    {
        let dubstage_model::Created::Track(t) = s
            .apply(Command::AddTrack {
                kind,
                name: format!("T{i}"),
            })
            .expect("add track")
        else {
            panic!("AddTrack creates a track")
        };
        let dubstage_model::Created::Media(m) = media[i] else {
            panic!("AddMedia creates media")
        };
        for k in 0..3 {
            s.apply(Command::AddClip {
                track: t,
                clip: NewClip::new(m, SamplePos(k * 100_000), SampleLen(50_000)),
            })
            .expect("add clip");
        }
    }
    s.project().clone()
}

/// Raw material for one command; turned into a command against the current state.
type Op = (u8, u16, u16, i64, i64, f32);

fn command(p: &Project, (op, a, b, x, y, g): Op) -> Option<Command> {
    let pick = |n: usize, k: u16| (n > 0).then(|| usize::from(k) % n);
    let track = pick(p.tracks.len(), a).map(|i| p.tracks[i].id);
    let clips: Vec<_> = p.clips().map(|(_, c)| c.clone()).collect();
    let clip = pick(clips.len(), b).map(|i| clips[i].clone());
    let marker = pick(p.markers.len(), b).map(|i| p.markers[i].id);
    let media = pick(p.media.len(), a).map(|i| p.media[i].id);
    let strips = p.strips();
    let strip = pick(strips.len(), a).map(|i| strips[i]);
    let inserts: Vec<_> = strips
        .iter()
        .flat_map(|s| p.strip_inserts(*s).iter().cloned())
        .collect();
    let insert = pick(inserts.len(), b).map(|i| inserts[i].clone());
    let sends: Vec<_> = p
        .tracks
        .iter()
        .flat_map(|t| &t.sends)
        .chain(p.buses.iter().flat_map(|b| &b.sends))
        .map(|s| s.id)
        .collect();
    let send = pick(sends.len(), a).map(|i| sends[i]);
    let shape = FadeShape::ALL[usize::from(a) % 4];
    let bus = Stem::ALL[usize::from(b) % 3].bus_id();
    let any_bus = pick(p.buses.len(), b).map(|i| p.buses[i].id);
    Some(match op % 50 {
        0 => Command::AddTrack {
            kind: TrackKind::ALL[usize::from(a) % 6],
            name: format!("n{b}"),
        },
        1 => Command::RemoveTrack { track: track? },
        2 => Command::RenameTrack {
            track: track?,
            name: format!("r{b}"),
        },
        3 => Command::SetParam {
            id: ParamId::Fader(StripId::Track(track?)),
            value: g,
        },
        4 => Command::SetParam {
            id: ParamId::Pan(StripId::Track(track?)),
            value: g / 10.0,
        },
        5 => Command::SetParam {
            id: ParamId::Mute(StripId::Track(track?)),
            value: if x % 2 == 0 { 1.0 } else { 0.0 },
        },
        6 => Command::SetParam {
            id: ParamId::Solo(track?),
            value: if x % 2 == 0 { 1.0 } else { 0.0 },
        },
        7 => Command::SetParam {
            id: ParamId::SoloSafe(track?),
            value: if x % 2 == 0 { 1.0 } else { 0.0 },
        },
        8 => Command::SetTrackOutput {
            track: track?,
            output: if x % 4 == 0 {
                Output::Master
            } else {
                Output::Bus(BusId(1 + (x.rem_euclid(3)) as u32))
            },
        },
        9 => Command::AddClip {
            track: track?,
            clip: NewClip {
                channels: if y % 2 == 0 {
                    ClipChannels::Stereo
                } else {
                    ClipChannels::Mono(1)
                },
                ..NewClip::new(media?, SamplePos(x), SampleLen(y.rem_euclid(10_000)))
            },
        },
        10 => Command::RemoveClip { clip: clip?.id },
        11 => Command::MoveClip {
            clip: clip?.id,
            track: track?,
            position: SamplePos(x),
        },
        12 => {
            let c = clip?;
            Command::TrimClipStart {
                clip: c.id,
                position: c.position + SampleLen(y % 60_000),
            }
        }
        13 => {
            let c = clip?;
            Command::TrimClipEnd {
                clip: c.id,
                end: c.end() + SampleLen(y % 60_000),
            }
        }
        14 => {
            let c = clip?;
            Command::SplitClip {
                clip: c.id,
                at: c.position + SampleLen(y.rem_euclid(c.length.0 + 2) - 1),
            }
        }
        15 => Command::DuplicateClip {
            clip: clip?.id,
            to: (x % 2 == 0).then_some((track?, SamplePos(y))),
        },
        16 => Command::SetClipGain {
            clip: clip?.id,
            gain_db: g,
        },
        17 => Command::SetClipFades {
            clip: clip?.id,
            fade_in: Fade::new(SampleLen(x.rem_euclid(70_000)), shape),
            fade_out: Fade::new(SampleLen(y.rem_euclid(70_000)), shape),
        },
        18 => Command::AddMarker {
            position: SamplePos(x),
            name: format!("m{a}"),
        },
        19 => Command::MoveMarker {
            marker: marker?,
            position: SamplePos(y),
        },
        20 => Command::RemoveMarker { marker: marker? },
        21 => Command::RenameMarker {
            marker: marker?,
            name: format!("k{a}"),
        },
        22 => Command::SetParam {
            id: ParamId::Fader(StripId::Bus(bus)),
            value: g,
        },
        23 => Command::SetParam {
            id: ParamId::Mute(StripId::Bus(bus)),
            value: if x % 2 == 0 { 1.0 } else { 0.0 },
        },
        24 => Command::SetParam {
            id: ParamId::Fader(StripId::Master),
            value: g,
        },
        25 => Command::SetClipChannels {
            clip: clip?.id,
            channels: ClipChannels::Mono(a % 3),
        },
        26 => Command::RemoveMedia { media: media? },
        27 => Command::SetPicture {
            picture: (a % 4 != 0).then(|| dubstage_model::Picture {
                path: format!("/films/reel{b}.mov").into(),
                frame_rate: FrameRate::ALL[usize::from(a) % FrameRate::ALL.len()],
                frames: i64::from(b) + 1,
                position: SamplePos(x % 100_000),
                timecode: None,
                width: 1920,
                height: 1080,
                av_offset_ms: g,
            }),
        },
        28 => Command::SetFrameRate {
            frame_rate: FrameRate::ALL[usize::from(b) % FrameRate::ALL.len()],
        },
        29 => Command::AddBus {
            name: format!("B{a}"),
        },
        30 => Command::RemoveBus { bus: any_bus? },
        31 => Command::RenameBus {
            bus: any_bus?,
            name: format!("b{a}"),
        },
        32 => Command::SetTrackOutput {
            track: track?,
            output: Output::Bus(any_bus?),
        },
        33 => Command::AddInsert {
            strip: strip?,
            index: usize::from(b) % 3,
            kind: InsertKind::ALL[usize::from(a) % InsertKind::ALL.len()],
        },
        34 => Command::RemoveInsert { insert: insert?.id },
        35 => Command::MoveInsert {
            insert: insert?.id,
            index: usize::from(b) % 4,
        },
        36 => {
            let ins = insert?;
            let n = ins.kind.params().len() as u16;
            Command::SetParam {
                id: ParamId::Insert(ins.id, b % n),
                value: g,
            }
        }
        37 => Command::SetParam {
            id: ParamId::Bypass(insert?.id),
            value: f32::from(a % 2),
        },
        38 => Command::AddSend {
            strip: strip?,
            bus: any_bus?,
        },
        39 => Command::RemoveSend { send: send? },
        40 => Command::SetParam {
            id: ParamId::SendLevel(send?),
            value: g,
        },
        41 => Command::SetSidechain {
            insert: insert?.id,
            source: strip,
        },
        42 => Command::SetBusOutput {
            bus: any_bus?,
            output: if a % 2 == 0 {
                Output::Master
            } else {
                Output::Bus(any_bus?)
            },
        },
        43 => Command::SetParam {
            id: ParamId::Pan(StripId::Bus(any_bus?)),
            value: g / 60.0,
        },
        44 => Command::SetDelivery {
            delivery: (a % 3 != 0).then(|| dubstage_model::DeliveryChain {
                preset: "EBU R128".to_owned(),
                gain_db: g / 4.0,
                ceiling_dbtp: (b % 2 == 0).then_some(-1.1),
            }),
        },
        45 => Command::SetMediaOrigin {
            media: media?,
            time_reference: (a % 2 == 0).then_some(i64::from(b) * 48_000),
            tape: format!("A{a:03}"),
        },
        46 => Command::SetMediaPath {
            media: media?,
            path: format!("/elsewhere/m{b}.wav").into(),
        },
        47 => Command::SetLane {
            param: if a % 3 == 0 {
                ParamId::Mute(StripId::Track(track?))
            } else if a % 3 == 1 {
                ParamId::Pan(StripId::Track(track?))
            } else {
                ParamId::Fader(strip?)
            },
            points: (0..usize::from(b % 5))
                .map(|k| AutoPoint::new(x + k as i64 * y.abs().max(1), g - k as f32))
                .collect(),
        },
        48 => Command::SetLane {
            param: ParamId::Fader(StripId::Master),
            points: Vec::new(),
        },
        _ => Command::SetClipEnvelope {
            clip: clip?.id,
            points: (0..usize::from(b % 4))
                .map(|k| EnvPoint {
                    at: SamplePos(x + k as i64 * 1000),
                    db: g / (k as f32 + 1.0),
                })
                .collect(),
        },
    })
}

fn op() -> impl Strategy<Value = Op> {
    (
        any::<u8>(),
        any::<u16>(),
        any::<u16>(),
        -200_000i64..600_000,
        -200_000i64..600_000,
        -60.0f32..20.0,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn undo_all_restores_original_and_redo_all_restores_final(ops in prop::collection::vec(op(), 1..60)) {
        let original = base();
        let mut s = Session::new(original.clone());
        let mut applied = 0;
        let mut states = vec![original.clone()];
        for o in ops {
            if let Some(cmd) = command(s.project(), o)
                && s.apply(cmd).is_ok()
            {
                applied += 1;
                states.push(s.project().clone());
            }
        }
        let last = s.project().clone();
        // Step back through every intermediate state.
        for i in (0..applied).rev() {
            prop_assert!(s.undo());
            prop_assert_eq!(s.project(), &states[i]);
        }
        prop_assert!(!s.undo());
        prop_assert_eq!(s.project(), &original);
        for state in &states[1..] {
            prop_assert!(s.redo());
            prop_assert_eq!(s.project(), state);
        }
        prop_assert!(!s.redo());
        prop_assert_eq!(s.project(), &last);
    }

    #[test]
    fn a_failed_group_changes_nothing(ops in prop::collection::vec(op(), 1..20)) {
        let original = base();
        let mut s = Session::new(original.clone());
        let mut cmds: Vec<Command> = ops.into_iter().filter_map(|o| command(&original, o)).collect();
        // A command that always fails, last.
        cmds.push(Command::RemoveTrack { track: dubstage_model::TrackId(9_999_999) });
        prop_assert!(s.apply_group("group", cmds).is_err());
        prop_assert_eq!(s.project(), &original);
        prop_assert!(!s.can_undo());
    }
}

#[test]
fn split_then_undo_is_one_step() {
    let mut s = Session::new(base());
    let before = s.project().clone();
    let (_, clip) = before.clips().next().expect("base has clips");
    let id = clip.id;
    let at = clip.position + SampleLen(1000);
    s.apply(Command::SplitClip { clip: id, at }).expect("split");
    let t = &s.project().tracks[0];
    assert_eq!(t.clips.len(), 4);
    assert_eq!(t.clips[0].length, SampleLen(1000));
    assert_eq!(t.clips[1].position, at);
    assert_eq!(t.clips[1].source_offset, SamplePos(1000));
    assert_eq!(s.undo_label(), Some("Split"));
    assert!(s.undo());
    assert_eq!(s.project(), &before);
}

#[test]
fn guide_tracks_start_muted_and_kinds_route_to_their_stem() {
    let mut s = Session::new(Project::new("p"));
    for kind in TrackKind::ALL {
        s.apply(Command::AddTrack {
            kind,
            name: kind.label().into(),
        })
        .expect("add track");
    }
    let outs: Vec<_> = s
        .project()
        .tracks
        .iter()
        .map(|t| (t.kind, t.output, t.mute))
        .collect();
    assert_eq!(
        outs,
        [
            (TrackKind::Dialogue, Output::Bus(BusId(1)), false),
            (TrackKind::Foley, Output::Bus(BusId(2)), false),
            (TrackKind::Sfx, Output::Bus(BusId(2)), false),
            (TrackKind::Ambience, Output::Bus(BusId(2)), false),
            (TrackKind::Music, Output::Bus(BusId(3)), false),
            (TrackKind::Guide, Output::Master, true),
        ]
    );
}

#[test]
fn user_buses_come_and_go_but_stem_buses_and_buses_in_use_stay() {
    let mut s = Session::new(base());
    let dubstage_model::Created::Bus(b) = s
        .apply(Command::AddBus {
            name: "Crowd".into(),
        })
        .expect("add bus")
    else {
        panic!("AddBus creates a bus")
    };
    assert_eq!(s.project().buses.len(), 4);
    s.apply(Command::RenameBus {
        bus: b,
        name: "Walla".into(),
    })
    .expect("rename");
    assert_eq!(s.project().bus(b).map(|b| b.name.as_str()), Some("Walla"));
    let t = s.project().tracks[0].id;
    s.apply(Command::SetTrackOutput {
        track: t,
        output: Output::Bus(b),
    })
    .expect("route");
    let name = s.project().tracks[0].name.clone();
    match s.apply(Command::RemoveBus { bus: b }) {
        Err(e @ dubstage_model::EditError::BusInUse(..)) => {
            assert!(e.to_string().contains(&name), "names what uses it: {e}")
        }
        other => panic!("refused as in use, not {other:?}"),
    }
    assert!(matches!(
        s.apply(Command::RemoveBus {
            bus: Stem::Dialogue.bus_id()
        }),
        Err(dubstage_model::EditError::StemBus(_))
    ));
    assert!(s.undo(), "route undone");
    s.apply(Command::RemoveBus { bus: b }).expect("remove");
    assert_eq!(s.project().buses.len(), 3);
    assert!(s.undo());
    assert_eq!(s.project().bus(b).map(|b| b.name.as_str()), Some("Walla"));
}
