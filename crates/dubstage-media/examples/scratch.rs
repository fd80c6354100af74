fn main() {
    for a in std::env::args().skip(1) {
        let p = std::path::PathBuf::from(a);
        match dubstage_media::decode_file(&p) {
            Ok(d) => println!("OK {}: frames={} warn={:?}", p.display(), d.audio.frames(), d.warning.map(|w| w.to_string())),
            Err(e) => println!("ERR {}", e),
        }
    }
}
