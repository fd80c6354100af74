//! A fork–join team for offline renders: the calling thread and helper
//! threads run one job at a time, each call of the job taking work items
//! from a shared counter until none are left.
//!
//! Between jobs the helpers spin for a while before they park, so the
//! next block's job finds them awake: an offline render hands out a job
//! every few milliseconds, and waking a parked thread costs tens of
//! microseconds on a virtual machine, each block. The calling thread works
//! too instead of blocking, and waits for the last helper by spinning.
//! Never for the audio thread: the helpers are parked and woken through
//! the operating system.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle helper spins (then yields) before it parks.
const SPIN: Duration = Duration::from_millis(2);

/// The job being run: a borrowed closure, its lifetime erased. Only read
/// between the start of a job (`generation` bumped) and the helper's
/// `running` decrement; [`Team::run`] does not return before every helper
/// has decremented.
type Job = *const (dyn Fn() + Sync);

struct Shared {
    generation: AtomicU64,
    job: UnsafeCell<Option<Job>>,
    running: AtomicUsize,
    panicked: AtomicBool,
    quit: AtomicBool,
}

// SAFETY: `job` is written by the team's owner only while no helper is in a
// job (`running` is 0) and before `generation` is bumped with release
// ordering; helpers read it after acquiring the new generation. The closure
// behind it is `Sync`.
unsafe impl Sync for Shared {}
// SAFETY: as above; the pointer is only a borrow handed across for the
// duration of `Team::run`.
unsafe impl Send for Shared {}

/// The calling thread plus `helpers` threads.
pub(crate) struct Team {
    shared: Arc<Shared>,
    helpers: Vec<JoinHandle<()>>,
}

impl Team {
    /// A team of `threads` in all (the caller and `threads − 1` helpers);
    /// `None` when fewer than two, or when no helper thread can be made.
    pub(crate) fn new(threads: usize) -> Option<Team> {
        if threads < 2 {
            return None;
        }
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(0),
            job: UnsafeCell::new(None),
            running: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            quit: AtomicBool::new(false),
        });
        let mut team = Team {
            shared,
            helpers: Vec::new(),
        };
        for i in 1..threads {
            let shared = Arc::clone(&team.shared);
            let spawned = std::thread::Builder::new()
                .name(format!("dubstage-render-{i}"))
                .spawn(move || helper(&shared));
            match spawned {
                Ok(h) => team.helpers.push(h),
                Err(_) => break,
            }
        }
        (!team.helpers.is_empty()).then_some(team)
    }

    /// Threads in the team, the caller's included.
    pub(crate) fn threads(&self) -> usize {
        self.helpers.len() + 1
    }

    /// Runs `job` on every thread of the team at once and returns when all
    /// calls have returned. A panic in any call is raised here, after the
    /// others have finished.
    pub(crate) fn run(&self, job: &(dyn Fn() + Sync)) {
        let s = &*self.shared;
        // SAFETY: only the lifetime is erased; the helpers stop using the
        // pointer before `running` reaches 0, which is awaited below
        // before this borrow ends.
        let erased: Job = unsafe { std::mem::transmute::<&(dyn Fn() + Sync), Job>(job) };
        // SAFETY: no helper is in a job (the last `run` waited for them),
        // so nothing reads `job` now.
        unsafe { *s.job.get() = Some(erased) };
        s.running.store(self.helpers.len(), Ordering::Relaxed);
        s.generation.fetch_add(1, Ordering::Release);
        for h in &self.helpers {
            h.thread().unpark();
        }
        let mine = catch_unwind(AssertUnwindSafe(job));
        let mut spins = 0u32;
        while s.running.load(Ordering::Acquire) != 0 {
            spins = spins.saturating_add(1);
            if spins < 1 << 16 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        // SAFETY: every helper is out of the job.
        unsafe { *s.job.get() = None };
        if let Err(p) = mine {
            resume_unwind(p);
        }
        if s.panicked.swap(false, Ordering::Relaxed) {
            panic!("a render thread panicked");
        }
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.shared.quit.store(true, Ordering::Release);
        for h in &self.helpers {
            h.thread().unpark();
        }
        for h in self.helpers.drain(..) {
            let _ = h.join();
        }
    }
}

fn helper(s: &Shared) {
    let mut seen = 0u64;
    loop {
        let idle = Instant::now();
        let mut spins = 0u32;
        let generation = loop {
            if s.quit.load(Ordering::Acquire) {
                return;
            }
            let g = s.generation.load(Ordering::Acquire);
            if g != seen {
                break g;
            }
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(64) {
                std::hint::spin_loop();
            } else if idle.elapsed() < SPIN {
                std::thread::yield_now();
            } else {
                // A wake-up sent before this (a token) returns at once.
                std::thread::park();
            }
        };
        seen = generation;
        // SAFETY: the owner wrote the job before the generation this
        // thread acquired, and keeps it alive until `running` is 0.
        let job = unsafe { *s.job.get() };
        if let Some(job) = job {
            // SAFETY: see above: the closure outlives this call.
            let job = unsafe { &*job };
            if catch_unwind(AssertUnwindSafe(job)).is_err() {
                s.panicked.store(true, Ordering::Relaxed);
            }
        }
        s.running.fetch_sub(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_taken_once_by_the_whole_team() {
        let team = Team::new(3).expect("team");
        assert_eq!(team.threads(), 3);
        for round in 0..200usize {
            let next = AtomicUsize::new(0);
            let hits: Vec<AtomicUsize> = (0..97).map(|_| AtomicUsize::new(0)).collect();
            let job = || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(h) = hits.get(i) else { break };
                    h.fetch_add(round + 1, Ordering::Relaxed);
                }
            };
            team.run(&job);
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == round + 1),
                "round {round}"
            );
        }
    }

    #[test]
    fn a_panic_in_the_job_reaches_the_caller_and_the_team_goes_on() {
        let team = Team::new(2).expect("team");
        let caller = std::thread::current().id();
        let job = || {
            if std::thread::current().id() != caller {
                panic!("helper");
            }
        };
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = catch_unwind(AssertUnwindSafe(|| team.run(&job)));
        std::panic::set_hook(hook);
        assert!(r.is_err());
        let count = AtomicUsize::new(0);
        team.run(&|| {
            count.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(count.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn fewer_than_two_threads_is_no_team() {
        assert!(Team::new(1).is_none());
        assert!(Team::new(0).is_none());
    }
}
