//! The sound library index over a generated folder tree whose files carry
//! BWF `bext`, `iXML` and RIFF `INFO` metadata (written here, by hand).

use dubstage_media::library::{
    Library, Query, ScanProgress, Sort, SoundKind, kind_hint, read_header, scan,
};
use std::path::{Path, PathBuf};

/// A WAV file: `fmt `, optional `bext`/`iXML`/`LIST INFO`, then `data`.
struct Wav<'a> {
    channels: u16,
    rate: u32,
    bits: u16,
    frames: u32,
    bext: Option<(&'a str, &'a str)>,
    /// The `bext` TimeReference (samples since midnight).
    time_ref: u64,
    ixml: Option<&'a str>,
    info: &'a [(&'a [u8; 4], &'a str)],
}

fn chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

fn fixed(s: &str, n: usize) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.resize(n, 0);
    v
}

fn write_wav(path: &Path, w: &Wav<'_>) {
    let mut body = b"WAVE".to_vec();
    let block = w.channels * w.bits / 8;
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&1u16.to_le_bytes());
    fmt.extend_from_slice(&w.channels.to_le_bytes());
    fmt.extend_from_slice(&w.rate.to_le_bytes());
    fmt.extend_from_slice(&(w.rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&w.bits.to_le_bytes());
    chunk(&mut body, b"fmt ", &fmt);
    if let Some((desc, originator)) = w.bext {
        // EBU Tech 3285: Description[256], Originator[32], OriginatorReference[32],
        // OriginationDate[10], OriginationTime[8], TimeReference u64, Version u16,
        // UMID[64], loudness fields 5×u16, Reserved[180].
        let mut b = fixed(desc, 256);
        b.extend(fixed(originator, 32));
        b.extend(fixed("REF", 32));
        b.extend(fixed("2026-11-23", 10));
        b.extend(fixed("12:00:00", 8));
        b.extend_from_slice(&w.time_ref.to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend(vec![0u8; 64 + 10 + 180]);
        chunk(&mut body, b"bext", &b);
    }
    if let Some(x) = w.ixml {
        chunk(&mut body, b"iXML", x.as_bytes());
    }
    if !w.info.is_empty() {
        let mut list = b"INFO".to_vec();
        for (id, text) in w.info {
            let mut t = text.as_bytes().to_vec();
            t.push(0);
            chunk(&mut list, id, &t);
        }
        chunk(&mut body, b"LIST", &list);
    }
    chunk(
        &mut body,
        b"data",
        &vec![0u8; (w.frames * u32::from(block)) as usize],
    );
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend(body);
    std::fs::create_dir_all(path.parent().expect("files are in a folder")).expect("mkdir");
    std::fs::write(path, file).expect("write the test file");
}

fn plain(frames: u32) -> Wav<'static> {
    Wav {
        channels: 1,
        rate: 48_000,
        bits: 24,
        frames,
        bext: None,
        time_ref: 0,
        ixml: None,
        info: &[],
    }
}

fn tree(root: &Path) -> Vec<PathBuf> {
    let steps = root.join("Foley/Footsteps/FOLYFtsp_Heels Wood Floor_ACME_01.wav");
    write_wav(
        &steps,
        &Wav {
            bext: Some((
                "Woman in heels walking slowly across creaky oak floor",
                "ACME Sounds",
            )),
            ..plain(24_000)
        },
    );
    let door = root.join("Hard FX/DOORWood_Slam Heavy_ACME_02.wav");
    write_wav(
        &door,
        &Wav {
            channels: 2,
            ixml: Some(
                "<BWFXML><PROJECT>Kitchen</PROJECT><NOTE>heavy wooden door slam with latch rattle</NOTE></BWFXML>",
            ),
            ..plain(96_000)
        },
    );
    let amb = root.join("Ambience/night_city.wav");
    write_wav(
        &amb,
        &Wav {
            channels: 2,
            info: &[
                (b"INAM", "Night city"),
                (
                    b"ICMT",
                    "distant traffic and crickets through an open window",
                ),
                (b"IGNR", "Ambience"),
            ],
            ..plain(480_000)
        },
    );
    let bad = root.join("Hard FX/broken.wav");
    std::fs::write(&bad, b"RIFF\x10\x00\x00\x00WAVEjunk").expect("write");
    std::fs::write(root.join("Hard FX/readme.txt"), "not audio").expect("write");
    vec![steps, door, amb, bad]
}

fn names(lib: &Library, hits: &[usize]) -> Vec<String> {
    hits.iter().map(|&i| lib.entries[i].name()).collect()
}

#[test]
fn indexes_headers_and_metadata_and_finds_by_words_and_category() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let progress = ScanProgress::default();
    let (lib, report) = scan(&[dir.path().to_owned()], &Library::default(), &progress);
    assert_eq!(report.added, 4);
    assert_eq!(report.unreadable, 1);
    assert_eq!(lib.entries.len(), 4, "the .txt is not indexed");
    let door = lib
        .entries
        .iter()
        .find(|e| e.name().starts_with("DOOR"))
        .unwrap();
    assert_eq!(
        (door.channels, door.sample_rate, door.bits, door.frames),
        (2, 48_000, 24, 96_000)
    );
    assert!((door.seconds() - 2.0).abs() < 1e-9);
    assert_eq!(door.category, "DOORS");
    let steps = lib
        .entries
        .iter()
        .find(|e| e.name().starts_with("FOLY"))
        .unwrap();
    assert_eq!(steps.originator, "ACME Sounds");
    assert_eq!(steps.kind, Some(SoundKind::Foley));
    let amb = lib
        .entries
        .iter()
        .find(|e| e.name() == "night_city.wav")
        .unwrap();
    assert_eq!(amb.kind, Some(SoundKind::Ambience), "from the INFO genre");

    let q = |text: &str| Query {
        text: text.into(),
        ..Query::default()
    };
    // Description words (bext), in any order and case.
    assert_eq!(
        names(&lib, &lib.search(&q("OAK heels"))),
        ["FOLYFtsp_Heels Wood Floor_ACME_01.wav"]
    );
    // iXML note.
    assert_eq!(
        names(&lib, &lib.search(&q("latch rattle"))),
        ["DOORWood_Slam Heavy_ACME_02.wav"]
    );
    // RIFF INFO comment.
    assert_eq!(
        names(&lib, &lib.search(&q("crickets window"))),
        ["night_city.wav"]
    );
    // Category from the CatID, and folder names.
    assert_eq!(lib.search(&q("foley")).len(), 1);
    assert_eq!(
        names(&lib, &lib.search(&q("doors"))),
        ["DOORWood_Slam Heavy_ACME_02.wav"]
    );
    assert_eq!(
        lib.search(&q("hard fx")).len(),
        1,
        "unreadable files never match"
    );
    // Every word must match.
    assert!(lib.search(&q("door crickets")).is_empty());
    // Filters and sorts.
    let stereo = Query {
        channels: Some(2),
        sort: Sort::Duration,
        ..Query::default()
    };
    assert_eq!(
        names(&lib, &lib.search(&stereo)),
        ["DOORWood_Slam Heavy_ACME_02.wav", "night_city.wav"]
    );
    let long = Query {
        min_seconds: Some(5.0),
        ..Query::default()
    };
    assert_eq!(names(&lib, &lib.search(&long)), ["night_city.wav"]);
    let folder = Query {
        folder: Some(dir.path().join("Foley")),
        ..Query::default()
    };
    assert_eq!(lib.search(&folder).len(), 1);
    let unreadable: Vec<_> = lib.unreadable().collect();
    assert_eq!(unreadable.len(), 1);
    assert!(unreadable[0].0.ends_with("broken.wav"));
}

#[test]
fn rescans_pick_up_added_changed_and_removed_files_and_the_index_persists() {
    let dir = tempfile::tempdir().unwrap();
    let files = tree(dir.path());
    let folders = vec![dir.path().to_owned()];
    let (lib, _) = scan(&folders, &Library::default(), &ScanProgress::default());
    let index = dir.path().join("index/library.dslb");
    lib.save(&index).unwrap();
    let loaded = Library::load(&index).unwrap();
    assert_eq!(loaded, lib);

    // Nothing changed: every entry kept, no header read.
    let progress = ScanProgress::default();
    let (same, report) = scan(&folders, &loaded, &progress);
    assert_eq!(report.unchanged, 4);
    assert_eq!(progress.read.load(std::sync::atomic::Ordering::Relaxed), 0);
    assert_eq!(same, lib);

    // Add one, change one (longer, new description), remove one.
    write_wav(
        &dir.path().join("Foley/Cloth/CLOTHMvmt_Jacket Rustle.wav"),
        &Wav {
            bext: Some(("leather jacket rustle", "")),
            ..plain(4_800)
        },
    );
    write_wav(
        &files[2],
        &Wav {
            channels: 2,
            info: &[(b"ICMT", "rain on the roof")],
            ..plain(960_000)
        },
    );
    std::fs::remove_file(&files[0]).unwrap();
    let (next, report) = scan(&folders, &same, &ScanProgress::default());
    assert_eq!((report.added, report.changed, report.removed), (1, 1, 1));
    let q = |t: &str| Query {
        text: t.into(),
        ..Query::default()
    };
    assert_eq!(next.search(&q("jacket")).len(), 1);
    assert_eq!(next.search(&q("roof")).len(), 1);
    assert!(next.search(&q("crickets")).is_empty());
    assert!(next.search(&q("heels")).is_empty());
    // A damaged index is an error, not a panic.
    let bytes = std::fs::read(&index).unwrap();
    std::fs::write(&index, &bytes[..bytes.len() / 2]).unwrap();
    assert!(Library::load(&index).is_err());
}

#[test]
fn a_cancelled_scan_keeps_the_previous_index() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let progress = ScanProgress::default();
    progress
        .cancel
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let previous = Library::default();
    let (lib, report) = scan(&[dir.path().to_owned()], &previous, &progress);
    assert!(report.cancelled);
    assert_eq!(lib, previous);
}

/// Files named in the UCS style, in folders whose names say nothing.
fn ucs_tree(root: &Path) {
    for name in [
        "FOLYFtsp_Gravel Walk_ABC.wav",
        "FEETGrvl_Crunch Slow_XYZ.wav",
        "AMBRoom_Kitchen Night_ABC.wav",
        "DOORSlid_Patio_ABC.wav",
        "WHSH_Fast By_ABC.wav",
        "CRWDWalla_Pub_ABC.wav",
    ] {
        write_wav(&root.join("lib/a").join(name), &plain(4_800));
    }
}

#[test]
fn ucs_subcategories_are_found_by_full_name_forms_and_synonyms() {
    let dir = tempfile::tempdir().unwrap();
    ucs_tree(dir.path());
    let (lib, _) = scan(
        &[dir.path().join("lib")],
        &Library::default(),
        &ScanProgress::default(),
    );
    let index = dir.path().join("library.dslb");
    lib.save(&index).unwrap();
    let loaded = Library::load(&index).unwrap();
    for lib in [&lib, &loaded] {
        let find = |text: &str| {
            let mut n = names(
                lib,
                &lib.search(&Query {
                    text: text.into(),
                    ..Query::default()
                }),
            );
            n.sort();
            n
        };
        let steps = [
            "FEETGrvl_Crunch Slow_XYZ.wav",
            "FOLYFtsp_Gravel Walk_ABC.wav",
        ];
        // FOLEY/Ftsp is FOOTSTEPS; FEET is the FOOTSTEPS category.
        assert_eq!(find("footsteps"), steps);
        assert_eq!(find("footstep"), steps);
        assert_eq!(find("Footsteps gravel"), steps);
        assert_eq!(find("foley footstep"), ["FOLYFtsp_Gravel Walk_ABC.wav"]);
        // AMB/Room is ROOM TONE, and ambience by its other names.
        assert_eq!(find("room tone"), ["AMBRoom_Kitchen Night_ABC.wav"]);
        assert_eq!(find("roomtone"), ["AMBRoom_Kitchen Night_ABC.wav"]);
        assert_eq!(find("ambiance kitchen"), ["AMBRoom_Kitchen Night_ABC.wav"]);
        assert_eq!(find("atmos"), ["AMBRoom_Kitchen Night_ABC.wav"]);
        // Category names in the singular, subcategories by name.
        assert_eq!(find("door"), ["DOORSlid_Patio_ABC.wav"]);
        assert_eq!(find("sliding door"), ["DOORSlid_Patio_ABC.wav"]);
        assert_eq!(find("crowd walla"), ["CRWDWalla_Pub_ABC.wav"]);
        assert_eq!(find("swoosh"), ["WHSH_Fast By_ABC.wav"]);
        // Words that match nothing still find nothing.
        assert!(find("helicopter").is_empty());
        assert!(find("footsteps kitchen").is_empty());
        assert!(find("room tone gravel").is_empty());
    }
    let steps = lib
        .entries
        .iter()
        .find(|e| e.name().starts_with("FOLY"))
        .unwrap();
    assert_eq!(
        (steps.category.as_str(), steps.sub_category.as_str()),
        ("FOLEY", "Ftsp")
    );
}

#[test]
fn entries_get_the_kind_hint_of_their_name() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("dia_ben_01.wav"), &plain(480));
    write_wav(&dir.path().join("door_slam_fx.wav"), &plain(480));
    write_wav(&dir.path().join("mix.wav"), &plain(480));
    let (lib, _) = scan(
        &[dir.path().to_owned()],
        &Library::default(),
        &ScanProgress::default(),
    );
    let kind = |n: &str| lib.entries.iter().find(|e| e.name() == n).unwrap().kind;
    assert_eq!(kind("dia_ben_01.wav"), Some(SoundKind::Dialogue));
    assert_eq!(kind("door_slam_fx.wav"), Some(SoundKind::Effect));
    assert_eq!(kind("mix.wav"), None);
}

#[test]
fn bwf_time_reference_scene_and_take_from_the_header() {
    let dir = tempfile::tempdir().unwrap();
    // One hour past midnight at 48 kHz.
    let bext = dir.path().join("bext.wav");
    write_wav(
        &bext,
        &Wav {
            bext: Some(("", "")),
            time_ref: 3600 * 48_000,
            ..plain(480)
        },
    );
    let h = read_header(&bext).unwrap();
    assert_eq!(h.time_reference, Some(172_800_000));
    assert_eq!((h.scene.as_str(), h.take.as_str()), ("", ""));

    let none = dir.path().join("plain.wav");
    write_wav(&none, &plain(480));
    assert_eq!(read_header(&none).unwrap().time_reference, None);

    // iXML only, beyond 32 bits: 23 h at 192 kHz.
    let t = 23 * 3600 * 192_000u64;
    let xml = format!(
        "<BWFXML><SCENE>12A</SCENE><TAKE>3</TAKE><TAPE>DAY04</TAPE><BEXT>\
         <BWF_TIME_REFERENCE_LOW>{}</BWF_TIME_REFERENCE_LOW>\
         <BWF_TIME_REFERENCE_HIGH>{}</BWF_TIME_REFERENCE_HIGH></BEXT></BWFXML>",
        t & 0xFFFF_FFFF,
        t >> 32
    );
    let ixml = dir.path().join("T003.wav");
    write_wav(
        &ixml,
        &Wav {
            rate: 192_000,
            ixml: Some(&xml),
            ..plain(480)
        },
    );
    let h = read_header(&ixml).unwrap();
    assert_eq!(h.time_reference, Some(t));
    assert_eq!(
        (h.scene.as_str(), h.take.as_str(), h.tape.as_str()),
        ("12A", "3", "DAY04")
    );
    // A production recorder's file: nothing in the name, scene and take in iXML.
    assert_eq!(kind_hint(&ixml, Some(&h)), Some(SoundKind::Dialogue));
    assert_eq!(kind_hint(&ixml, None), None);

    // Both: the bext wins.
    let both = dir.path().join("both.wav");
    write_wav(
        &both,
        &Wav {
            bext: Some(("", "")),
            time_ref: 48_000,
            ixml: Some(&xml),
            ..plain(480)
        },
    );
    assert_eq!(read_header(&both).unwrap().time_reference, Some(48_000));
}
