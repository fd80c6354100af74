//! Strips, inserts, sends and routing: one command per parameter, cycles refused, files round-trip.

use dubstage_model::file;
use dubstage_model::{
    BusId, Command, Created, EditError, InsertKind, Output, ParamId, Project, Session, Stem,
    StripId, TrackKind,
};

fn session() -> (Session, dubstage_model::TrackId, dubstage_model::TrackId) {
    let mut s = Session::new(Project::new("mix"));
    let mut add = |kind, name: &str| match s.apply(Command::AddTrack {
        kind,
        name: name.to_owned(),
    }) {
        Ok(Created::Track(t)) => t,
        other => panic!("{other:?}"),
    };
    let dia = add(TrackKind::Dialogue, "Dia");
    let mus = add(TrackKind::Music, "Music");
    (s, dia, mus)
}

fn add_insert(s: &mut Session, strip: StripId, kind: InsertKind) -> dubstage_model::InsertId {
    match s.apply(Command::AddInsert {
        strip,
        index: usize::MAX,
        kind,
    }) {
        Ok(Created::Insert(i)) => i,
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_command_sets_any_parameter_and_undo_restores_it() {
    let (mut s, dia, _) = session();
    let eq = add_insert(&mut s, StripId::Track(dia), InsertKind::Eq);
    let gain = InsertKind::Eq.param_index("b2.gain").expect("key");
    s.apply(Command::SetParam {
        id: ParamId::Insert(eq, gain),
        value: -4.5,
    })
    .expect("set");
    assert_eq!(s.project().param(ParamId::Insert(eq, gain)), Some(-4.5));
    // Clamped to the table's range.
    s.apply(Command::SetParam {
        id: ParamId::Insert(eq, gain),
        value: -400.0,
    })
    .expect("set");
    assert_eq!(s.project().param(ParamId::Insert(eq, gain)), Some(-30.0));
    assert!(s.undo());
    assert_eq!(s.project().param(ParamId::Insert(eq, gain)), Some(-4.5));
    // Faders and switches share the command.
    s.apply(Command::SetParam {
        id: ParamId::Fader(StripId::Track(dia)),
        value: -6.0,
    })
    .expect("fader");
    s.apply(Command::SetParam {
        id: ParamId::Bypass(eq),
        value: 1.0,
    })
    .expect("bypass");
    assert!(s.project().insert(eq).expect("insert").bypass);
    assert_eq!(s.project().tracks[0].gain_db, -6.0);
    assert_eq!(
        s.apply(Command::SetParam {
            id: ParamId::Fader(StripId::Track(dia)),
            value: f32::NAN,
        }),
        Err(EditError::NotFinite("parameter value"))
    );
}

#[test]
fn a_send_or_key_that_would_make_a_loop_is_refused() {
    let (mut s, dia, _) = session();
    let dia_bus = Stem::Dialogue.bus_id();
    let fx = Stem::Effects.bus_id();
    // DIA sends to FX, so FX may not go to DIA.
    s.apply(Command::AddSend {
        strip: StripId::Bus(dia_bus),
        bus: fx,
    })
    .expect("send");
    let before = s.project().clone();
    let err = s
        .apply(Command::SetBusOutput {
            bus: fx,
            output: Output::Bus(dia_bus),
        })
        .expect_err("loop");
    assert!(matches!(err, EditError::Routing(_)), "{err}");
    assert!(err.to_string().contains("loop"), "{err}");
    assert_eq!(s.project(), &before);
    // A compressor on the dialogue track keyed by the DIA bus it feeds.
    let comp = add_insert(&mut s, StripId::Track(dia), InsertKind::Comp);
    assert!(matches!(
        s.apply(Command::SetSidechain {
            insert: comp,
            source: Some(StripId::Bus(dia_bus)),
        }),
        Err(EditError::Routing(_))
    ));
    // A bus cannot send to itself.
    assert!(
        s.apply(Command::AddSend {
            strip: StripId::Bus(fx),
            bus: fx,
        })
        .is_err()
    );
}

#[test]
fn routing_order_puts_every_strip_after_what_feeds_it() {
    let (mut s, dia, mus) = session();
    let comp = add_insert(&mut s, StripId::Track(mus), InsertKind::Comp);
    s.apply(Command::SetSidechain {
        insert: comp,
        source: Some(StripId::Track(dia)),
    })
    .expect("key");
    let order = s.project().routing_order().expect("dag");
    let at = |x: StripId| order.iter().position(|s| *s == x).expect("listed");
    assert!(at(StripId::Track(dia)) < at(StripId::Track(mus)));
    assert!(at(StripId::Track(mus)) < at(StripId::Bus(Stem::Music.bus_id())));
    assert_eq!(*order.last().expect("strips"), StripId::Master);
}

#[test]
fn strips_round_trip_through_the_file_and_bad_values_are_refused() {
    let (mut s, dia, _) = session();
    add_insert(&mut s, StripId::Track(dia), InsertKind::Hpf);
    add_insert(&mut s, StripId::Master, InsertKind::Limiter);
    s.apply(Command::AddBus {
        name: "Verb".to_owned(),
    })
    .expect("bus");
    let verb = s.project().buses.last().expect("bus").id;
    add_insert(&mut s, StripId::Bus(verb), InsertKind::Reverb);
    s.apply(Command::AddSend {
        strip: StripId::Track(dia),
        bus: verb,
    })
    .expect("send");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mix.dubstage");
    file::save(s.project(), &path).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("kind: hpf"), "{text}");
    let loaded = file::load(&path).expect("load").project;
    assert_eq!(loaded.tracks, s.project().tracks);
    assert_eq!(loaded.buses, s.project().buses);
    assert_eq!(loaded.master, s.project().master);

    let bad = text.replace("\"freq\": 80.0", "\"frq\": 80.0");
    assert_ne!(bad, text);
    std::fs::write(&path, bad).expect("write");
    let err = file::load(&path).expect_err("unknown key").to_string();
    assert!(err.contains("no parameter 'frq'"), "{err}");
    let bad = text.replace("\"freq\": 80.0", "\"freq\": 1e9");
    std::fs::write(&path, bad).expect("write");
    let err = file::load(&path).expect_err("range").to_string();
    assert!(err.contains("outside"), "{err}");
}

#[test]
fn a_version_2_file_loads_with_empty_strips() {
    let text = r#"DubstageProject(format_version: 2, project: Project(name: "old", sample_rate: 48000,
        frame_rate: FrameRate(num: 24, den: 1, drop_frame: false), start_timecode: "01:00:00:00",
        tracks: [Track(id: 100, name: "A", kind: Dialogue, output: Bus(1))],
        buses: [Bus(id: 1, name: "DIA")]))"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.dubstage");
    std::fs::write(&path, text).expect("write");
    let p = match file::load(&path) {
        Ok(l) => l.project,
        Err(e) => panic!("{e}"),
    };
    assert!(p.tracks[0].inserts.is_empty() && p.tracks[0].sends.is_empty());
    assert_eq!(p.bus(BusId(1)).expect("bus").output, Output::Master);
    assert!(p.master.inserts.is_empty());
}

/// Deleting the track that keys a compressor once left the key dangling
/// (and undo, then redo, disagreed about it): the key goes with the track
/// and undo brings both back.
#[test]
fn deleting_a_key_track_removes_its_keys_and_undo_restores_them() {
    let (mut s, dia, mus) = session();
    let comp = add_insert(&mut s, StripId::Track(mus), InsertKind::Comp);
    s.apply(Command::SetSidechain {
        insert: comp,
        source: Some(StripId::Track(dia)),
    })
    .expect("key");
    s.apply(Command::RemoveTrack { track: dia })
        .expect("delete");
    let key = |s: &Session| s.project().insert(comp).expect("comp").sidechain;
    assert_eq!(key(&s), None);
    let text = file::to_string(s.project(), std::path::Path::new("/p"));
    assert!(file::from_str(&text, "/p/x.dubstage".as_ref(), "/p".as_ref()).is_ok());
    assert!(s.undo());
    assert_eq!(key(&s), Some(StripId::Track(dia)));
    assert!(s.redo());
    assert_eq!(key(&s), None);
    // A file that still holds a dangling key loads, with the key removed
    // and a warning.
    let mut p = s.project().clone();
    if let Some(i) = p.insert_mut(comp) {
        i.sidechain = Some(StripId::Track(dia));
    }
    let text = file::to_string(&p, std::path::Path::new("/p"));
    let loaded = file::from_str(&text, "/p/x.dubstage".as_ref(), "/p".as_ref()).expect("loads");
    assert_eq!(loaded.project.insert(comp).expect("comp").sidechain, None);
    assert!(
        loaded.warnings.iter().any(|w| w.contains("sidechain key")),
        "{:?}",
        loaded.warnings
    );
}
