//! The bundled demo project loads, and every media file it names exists,
//! its picture included.

use std::path::Path;

#[test]
fn demo_project_loads_with_all_media() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/demo.dubstage");
    let loaded = dubstage_model::file::load(&path).expect("demo project loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let p = loaded.project;
    assert!(p.tracks.len() >= 6, "demo has a track per role");
    for m in &p.media {
        assert!(m.path.exists(), "missing demo media {}", m.path.display());
    }
    let pic = p.picture.as_ref().expect("the demo has a picture");
    assert!(
        pic.path.exists(),
        "missing demo picture {}",
        pic.path.display()
    );
    assert_eq!(
        pic.frame_rate, p.frame_rate,
        "picture and project rates match"
    );
    // The door shuts on its marker's frame.
    let door = p
        .markers
        .iter()
        .find(|m| m.name.to_lowercase().contains("door"))
        .expect("a door marker");
    assert_eq!(pic.frame_at(door.position, p.sample_rate), Some(288));
    let seconds = p
        .sample_rate
        .to_seconds(p.end() - dubstage_model::SamplePos::ZERO);
    assert!((60.0..=90.0).contains(&seconds), "demo lasts {seconds} s");
}
