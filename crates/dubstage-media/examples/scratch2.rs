use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::formats::probe::Hint;
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let f = std::fs::File::open(&p).unwrap();
    let mss = MediaSourceStream::new(Box::new(f), Default::default());
    let mut format = symphonia::default::get_probe().probe(&Hint::new(), mss, FormatOptions::default(), Default::default()).map_err(|e| format!("{e:?}")).unwrap();
    let track = format.default_track(TrackType::Audio).unwrap().clone();
    println!("track {:?}", track);
    let mut dec = symphonia::default::get_codecs().make_audio_decoder(track.codec_params.as_ref().unwrap().audio().unwrap(), &Default::default()).unwrap();
    loop {
        match format.next_packet() {
            Ok(Some(pk)) => {
                let r = dec.decode(&pk);
                println!("packet pts={} dur={} len={} trim={}/{} -> {:?}", pk.pts.get(), pk.dur.get(), pk.data.len(), pk.trim_start.get(), pk.trim_end.get(), r.map(|b| b.frames()));
            }
            Ok(None) => { println!("end"); break; }
            Err(e) => { println!("err {e:?}"); break; }
        }
    }
}
