use dubstage_media::library::{category_from_name, search_terms};
#[test]
fn perf() {
    let cats = ["FOLYFtsp_a b", "AMBForst_x", "DOORWood_y", "WATRSplsh_z", "CLOTHMvmt_q", "VEHCar_w", "BIRDSong_e", "GLASBrk_r"];
    let t = std::time::Instant::now();
    let mut n = 0;
    for i in 0..100_000 {
        let c = category_from_name(cats[i % 8]).unwrap();
        let s = c.sub_name();
        n += search_terms(&c.name, s).len();
    }
    eprintln!("{n} terms in {:?}", t.elapsed());
}
