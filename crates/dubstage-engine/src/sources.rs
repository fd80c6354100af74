//! Loading a project's media: decode and resample every file of the media
//! pool to the project rate, in parallel, collecting problems per file
//! instead of failing on the first.

use crate::plan::Sources;
use dubstage_media::MediaError;
use dubstage_model::{MediaId, Project};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Why one media file is not (fully) available.
#[derive(Debug)]
pub enum MediaProblem {
    /// The file does not exist (or the entry has no path).
    Missing,
    /// The file exists but could not be decoded.
    Unreadable(MediaError),
    /// The file decoded partly; what decoded is used.
    Partial(MediaError),
}

/// A problem with one entry of the media pool.
#[derive(Debug)]
pub struct SourceIssue {
    pub media: MediaId,
    pub path: PathBuf,
    pub problem: MediaProblem,
}

impl SourceIssue {
    /// Whether the clips using this media will be silent.
    pub fn is_offline(&self) -> bool {
        !matches!(self.problem, MediaProblem::Partial(_))
    }
}

impl std::fmt::Display for SourceIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            MediaProblem::Missing if self.path.as_os_str().is_empty() => {
                write!(f, "media {} has no file", self.media)
            }
            MediaProblem::Missing => write!(f, "{}: file not found", self.path.display()),
            MediaProblem::Unreadable(e) => write!(f, "{e}"),
            MediaProblem::Partial(e) => write!(f, "{e} (the part before the error is used)"),
        }
    }
}

/// The result of loading a project's media.
#[derive(Debug, Default)]
pub struct LoadedSources {
    pub sources: Sources,
    pub issues: Vec<SourceIssue>,
}

impl LoadedSources {
    /// Issues that leave clips silent (missing or unreadable files).
    pub fn offline(&self) -> impl Iterator<Item = &SourceIssue> {
        self.issues.iter().filter(|i| i.is_offline())
    }
}

/// Only the media used by at least one clip is loaded.
pub fn load_sources(project: &Project, progress: &(dyn Fn(usize, usize) + Sync)) -> LoadedSources {
    let used: Vec<_> = project
        .media
        .iter()
        .filter(|m| project.clips().any(|(_, c)| c.media == m.id))
        .collect();
    let rate = project.sample_rate.hz();
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8)
        .min(used.len().max(1));
    let results: Vec<Vec<(usize, Result<dubstage_media::Decoded, MediaProblem>)>> =
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(m) = used.get(i) else { break };
                            let r = if m.path.as_os_str().is_empty() || !m.path.exists() {
                                Err(MediaProblem::Missing)
                            } else {
                                dubstage_media::load_for_project(&m.path, rate)
                                    .map_err(MediaProblem::Unreadable)
                            };
                            out.push((i, r));
                            progress(finished.fetch_add(1, Ordering::Relaxed) + 1, used.len());
                        }
                        out
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
    let mut loaded = LoadedSources::default();
    let mut flat: Vec<_> = results.into_iter().flatten().collect();
    flat.sort_by_key(|(i, _)| *i);
    let mut seen = vec![false; used.len()];
    for (i, r) in flat {
        seen[i] = true;
        let m = used[i];
        match r {
            Ok(decoded) => {
                if let Some(w) = decoded.warning {
                    loaded.issues.push(SourceIssue {
                        media: m.id,
                        path: m.path.clone(),
                        problem: MediaProblem::Partial(w),
                    });
                }
                loaded.sources.insert(m.id, Arc::new(decoded.audio));
            }
            Err(problem) => loaded.issues.push(SourceIssue {
                media: m.id,
                path: m.path.clone(),
                problem,
            }),
        }
    }
    // A worker that panicked leaves its files unseen: report them, never drop them.
    for (i, m) in used.iter().enumerate() {
        if !seen[i] {
            loaded.issues.push(SourceIssue {
                media: m.id,
                path: m.path.clone(),
                problem: MediaProblem::Missing,
            });
        }
    }
    loaded
}
