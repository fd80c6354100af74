//! The renderer never allocates: the whole demo scene is rendered through
//! `render_block` and `process_interleaved` under an allocation guard that
//! aborts the test process on any allocation or deallocation (debug builds).

use assert_no_alloc::{AllocDisabler, assert_no_alloc};
use dubstage_engine::{CompileOptions, Renderer, compile, load_sources};
use dubstage_model::SamplePos;
use std::path::Path;

#[cfg(debug_assertions)]
#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

#[test]
fn rendering_the_demo_never_allocates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/demo.dubstage");
    let project = dubstage_model::file::load(&path)
        .expect("demo loads")
        .project;
    let loaded = load_sources(&project, &|_, _| {});
    assert!(loaded.issues.is_empty(), "{:?}", loaded.issues);
    let end = project.end();
    let plan = compile(
        &project,
        &loaded.sources,
        CompileOptions { max_block: 1024 },
    );
    let mut r = Renderer::new(Box::new(plan));
    r.locate(SamplePos(-4800));
    let mut out = vec![0.0f32; 3000 * 2];
    let mut peak = 0.0f32;
    // Odd sizes, sizes over max_block, and the block API, all under the guard.
    let sizes = [1usize, 64, 511, 1024, 3000, 17];
    let mut i = 0;
    while r.position() < end {
        let n = sizes[i % sizes.len()];
        i += 1;
        if i % 2 == 0 {
            assert_no_alloc(|| r.process_interleaved(&mut out[..n * 2], 2));
            peak = out[..n * 2].iter().fold(peak, |m, s| m.max(s.abs()));
        } else {
            let p = assert_no_alloc(|| {
                let b = r.render_block(n);
                let (l, rr) = b.master();
                l.iter().chain(rr).fold(0.0f32, |m, s| m.max(s.abs()))
            });
            peak = peak.max(p);
        }
    }
    assert!(peak > 0.05, "the demo is audible (peak {peak})");
    assert!(peak <= 1.0, "the demo does not clip (peak {peak})");
    // Swapping plans and locating are allocation-free too (the old plan is
    // handed back, to be dropped outside the guard).
    let plan = compile(
        &project,
        &loaded.sources,
        CompileOptions { max_block: 1024 },
    );
    let mut new_plan = Some(Box::new(plan));
    let old = assert_no_alloc(|| {
        r.locate(SamplePos(48_000));
        let old = r.swap_plan(new_plan.take().expect("plan"));
        r.render_block(1024);
        old
    });
    drop(old);
}
