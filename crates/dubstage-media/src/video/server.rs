//! The frame server: one background thread that delivers the frame the
//! viewer asks for, newest request first.
//!
//! Sources, cheapest first: frames kept in memory around the playhead; the
//! proxy (see [`super::proxy`]) once it reaches the frame; a long-lived
//! `ffmpeg` stream, read forward while playing and restarted with an
//! accurate seek when the request jumps.

use super::proxy::{Proxy, decode_jpeg};
use super::{RawStream, Tools, VideoError, VideoInfo, fit_size};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How a [`FrameServer`] works.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Frames are decoded to fit this box (aspect kept, never enlarged).
    pub max_size: (u32, u32),
    /// Where the proxy is kept; `None` decodes from the movie only.
    pub proxy_dir: Option<PathBuf>,
    /// Decoded frames kept in memory.
    pub memory_frames: usize,
    /// Frames decoded ahead of the playhead while playing.
    pub readahead: i64,
    /// Height of timeline thumbnails, pixels.
    pub thumb_height: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_size: (960, 540),
            proxy_dir: None,
            memory_frames: 32,
            readahead: 8,
            thumb_height: 54,
        }
    }
}

/// Where a delivered frame came from (for the viewer's status and the benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameSource {
    Memory,
    Proxy,
    Movie,
}

/// One decoded frame, RGBA, `width * height * 4` bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Frame index in the movie (0 = first frame).
    pub index: i64,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    pub source: FrameSource,
}

/// A small picture of one frame for the timeline's picture track.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumbnail {
    pub index: i64,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Want {
    index: i64,
    playing: bool,
}

#[derive(Default)]
struct State {
    want: Option<Want>,
    /// Set when `want` changes; the worker clears it when it picks it up.
    fresh: bool,
    delivered: Option<Arc<Frame>>,
    error: Option<(i64, VideoError)>,
    thumbs_wanted: BTreeSet<i64>,
    thumbs: HashMap<i64, Arc<Thumbnail>>,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Signals the worker: new request or stop.
    wake: Condvar,
    /// Signals waiters: a frame was delivered or failed.
    done: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic on the worker cannot leave State inconsistent (plain
        // assignments), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Serves frames of one movie. Dropping it stops its thread and its ffmpeg
/// children (a proxy build keeps going only if it is shared elsewhere).
pub struct FrameServer {
    info: VideoInfo,
    size: (u32, u32),
    shared: Arc<Shared>,
    proxy: Option<Arc<Proxy>>,
    proxy_error: Option<VideoError>,
    worker: Option<JoinHandle<()>>,
}

impl FrameServer {
    /// Starts serving `info`'s movie; starts (or reopens) its proxy when the
    /// config has a proxy folder.
    pub fn start(tools: &Tools, info: VideoInfo, config: ServerConfig) -> FrameServer {
        let (mw, mh) = config.max_size;
        let size = fit_size(info.width, info.height, info.sar, mw, mh);
        let (proxy, proxy_error) = match &config.proxy_dir {
            Some(dir) => match Proxy::build(tools, &info, dir, size) {
                Ok(p) => (Some(p), None),
                Err(e) => (None, Some(e)),
            },
            None => (None, None),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            done: Condvar::new(),
        });
        let worker = {
            let mut w = Worker {
                shared: shared.clone(),
                tools: tools.clone(),
                info: info.clone(),
                size,
                proxy: proxy.clone(),
                config,
                memory: BTreeMap::new(),
                stream: None,
                buf: Vec::new(),
            };
            std::thread::Builder::new()
                .name("dubstage-picture".into())
                .spawn(move || w.run())
                .ok()
        };
        FrameServer {
            info,
            size,
            shared,
            proxy,
            proxy_error,
            worker,
        }
    }

    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// The size frames are delivered at.
    pub fn frame_size(&self) -> (u32, u32) {
        self.size
    }

    /// Asks for frame `index` (the newest request wins). `playing` lets the
    /// server decode ahead.
    pub fn request(&self, index: i64, playing: bool) {
        let index = index.clamp(0, (self.info.frames - 1).max(0));
        let want = Want { index, playing };
        let mut st = self.shared.lock();
        if st.want != Some(want) {
            st.want = Some(want);
            st.fresh = true;
            drop(st);
            self.shared.wake.notify_one();
        }
    }

    /// The most recently delivered frame (possibly not the one asked for yet).
    pub fn latest(&self) -> Option<Arc<Frame>> {
        self.shared.lock().delivered.clone()
    }

    /// The last decode error, with the frame it concerned.
    pub fn error(&self) -> Option<(i64, VideoError)> {
        self.shared.lock().error.clone()
    }

    /// Asks for frame `index` and waits until it is delivered (or fails, or
    /// `timeout` passes). `playing` as for [`FrameServer::request`].
    pub fn wait_for(
        &self,
        index: i64,
        playing: bool,
        timeout: Duration,
    ) -> Result<Arc<Frame>, VideoError> {
        self.request(index, playing);
        let index = index.clamp(0, (self.info.frames - 1).max(0));
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        loop {
            if let Some(f) = st.delivered.as_ref().filter(|f| f.index == index) {
                return Ok(f.clone());
            }
            if let Some((i, e)) = &st.error
                && *i == index
            {
                return Err(e.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(VideoError::Decode {
                    path: self.info.path.clone(),
                    reason: format!("frame {index} not ready after {timeout:?}"),
                });
            }
            st = self
                .shared
                .done
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Frames the proxy holds, the movie's frame count, and whether the build
    /// has finished. `None` without a proxy.
    pub fn proxy_progress(&self) -> Option<(i64, i64, bool)> {
        self.proxy
            .as_ref()
            .map(|p| (p.frames(), self.info.frames, p.is_complete()))
    }

    /// Why the proxy could not be built or stopped early.
    pub fn proxy_error(&self) -> Option<VideoError> {
        self.proxy_error
            .clone()
            .or_else(|| self.proxy.as_ref().and_then(|p| p.failure()))
    }

    /// The thumbnail of frame `index`, if made; otherwise asks for it (it is
    /// made once the proxy holds the frame).
    pub fn thumbnail(&self, index: i64) -> Option<Arc<Thumbnail>> {
        let mut st = self.shared.lock();
        if let Some(t) = st.thumbs.get(&index) {
            return Some(t.clone());
        }
        let available = self.proxy.as_ref().is_some_and(|p| index < p.frames());
        if available && index >= 0 && st.thumbs_wanted.insert(index) {
            drop(st);
            self.shared.wake.notify_one();
        }
        None
    }
}

impl Drop for FrameServer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        if let Some(p) = &self.proxy
            && Arc::strong_count(p) <= 2
            && !p.is_complete()
        {
            p.cancel();
        }
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// Frames a running stream may be read forward to reach a request, rather
/// than restarting it with a seek (about two seconds of picture).
fn max_skip(info: &VideoInfo) -> i64 {
    (info.rate.fps() * 2.0).ceil() as i64
}

/// Thumbnails kept in memory.
const MAX_THUMBS: usize = 4000;

enum Job {
    Frame(Want),
    Thumb(i64),
    Prefetch(i64),
}

struct Worker {
    shared: Arc<Shared>,
    tools: Tools,
    info: VideoInfo,
    size: (u32, u32),
    proxy: Option<Arc<Proxy>>,
    config: ServerConfig,
    memory: BTreeMap<i64, Arc<Frame>>,
    stream: Option<RawStream>,
    buf: Vec<u8>,
}

impl Worker {
    fn run(&mut self) {
        let mut served: Option<Want> = None;
        loop {
            let job = {
                let mut st = self.shared.lock();
                loop {
                    if st.stop {
                        return;
                    }
                    if st.fresh
                        && let Some(w) = st.want
                    {
                        st.fresh = false;
                        break Job::Frame(w);
                    }
                    if let Some(t) = st.thumbs_wanted.pop_first() {
                        break Job::Thumb(t);
                    }
                    if let Some(w) = served.filter(|w| w.playing)
                        && let Some(next) = self.next_prefetch(w.index)
                    {
                        break Job::Prefetch(next);
                    }
                    st = self
                        .shared
                        .wake
                        .wait_timeout(st, Duration::from_millis(100))
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            };
            match job {
                Job::Frame(w) => {
                    let result = self.fetch(w.index);
                    let mut st = self.shared.lock();
                    match result {
                        Ok(f) => {
                            st.delivered = Some(f);
                            if st.error.as_ref().is_some_and(|(i, _)| *i == w.index) {
                                st.error = None;
                            }
                        }
                        Err(e) => st.error = Some((w.index, e)),
                    }
                    drop(st);
                    self.shared.done.notify_all();
                    served = Some(w);
                }
                Job::Thumb(i) => {
                    if let Some(t) = self.make_thumbnail(i) {
                        let mut st = self.shared.lock();
                        if st.thumbs.len() >= MAX_THUMBS {
                            st.thumbs.clear();
                        }
                        st.thumbs.insert(i, Arc::new(t));
                    }
                }
                Job::Prefetch(i) => {
                    if self.fetch(i).is_err() {
                        // Past the end or undecodable: stop reading ahead.
                        served = None;
                    }
                }
            }
        }
    }

    /// The next frame worth decoding ahead of `current` while playing.
    fn next_prefetch(&self, current: i64) -> Option<i64> {
        (current + 1..=current + self.config.readahead)
            .take_while(|&i| i < self.info.frames)
            .find(|i| !self.memory.contains_key(i))
            // Proxy frames are cheap enough to decode on request.
            .filter(|&i| self.proxy.as_ref().is_none_or(|p| i >= p.frames()))
    }

    fn remember(&mut self, frame: Arc<Frame>, around: i64) {
        self.memory.insert(frame.index, frame);
        while self.memory.len() > self.config.memory_frames.max(1) {
            let first = *self.memory.keys().next().expect("the map is not empty");
            let last = *self
                .memory
                .keys()
                .next_back()
                .expect("the map is not empty");
            let victim = if around - first >= last - around {
                first
            } else {
                last
            };
            self.memory.remove(&victim);
        }
    }

    fn fetch(&mut self, index: i64) -> Result<Arc<Frame>, VideoError> {
        if let Some(f) = self.memory.get(&index) {
            let mut f = (**f).clone();
            f.source = FrameSource::Memory;
            return Ok(Arc::new(f));
        }
        if let Some(proxy) = &self.proxy
            && let Some(jpeg) = proxy.jpeg(index)
            // A damaged proxy frame falls through to the movie.
            && let Ok((width, height, rgba)) = decode_jpeg(&jpeg)
        {
            return Ok(Arc::new(Frame {
                index,
                width,
                height,
                rgba,
                source: FrameSource::Proxy,
            }));
        }
        let reusable = self.stream.as_ref().is_some_and(|s| {
            s.next_index() <= index && index - s.next_index() <= max_skip(&self.info)
        });
        if !reusable {
            self.stream = None;
            self.stream = Some(RawStream::open(&self.tools, &self.info, index, self.size)?);
        }
        let stream = self.stream.as_mut().expect("opened above");
        loop {
            match stream.read_frame(&mut self.buf) {
                Ok(Some(i)) if i == index => {
                    let frame = Arc::new(Frame {
                        index,
                        width: self.size.0,
                        height: self.size.1,
                        rgba: std::mem::take(&mut self.buf),
                        source: FrameSource::Movie,
                    });
                    self.remember(frame.clone(), index);
                    return Ok(frame);
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    self.stream = None;
                    return Err(VideoError::Decode {
                        path: self.info.path.clone(),
                        reason: format!("the movie ends before frame {index}"),
                    });
                }
                Err(e) => {
                    self.stream = None;
                    return Err(e);
                }
            }
        }
    }

    fn make_thumbnail(&mut self, index: i64) -> Option<Thumbnail> {
        let jpeg = self.proxy.as_ref()?.jpeg(index)?;
        let (w, h, rgba) = decode_jpeg(&jpeg).ok()?;
        let th = self.config.thumb_height.clamp(8, h.max(8));
        let tw = ((u64::from(w) * u64::from(th)) / u64::from(h.max(1))).max(1) as u32;
        Some(Thumbnail {
            index,
            width: tw,
            height: th,
            rgba: downscale(&rgba, w, h, tw, th),
        })
    }
}

/// Box-filter downscale of an RGBA image.
fn downscale(src: &[u8], w: u32, h: u32, tw: u32, th: u32) -> Vec<u8> {
    let mut out = vec![0u8; tw as usize * th as usize * 4];
    for ty in 0..th {
        let y0 = (u64::from(ty) * u64::from(h) / u64::from(th)) as u32;
        let y1 = ((u64::from(ty + 1) * u64::from(h) / u64::from(th)) as u32).max(y0 + 1);
        for tx in 0..tw {
            let x0 = (u64::from(tx) * u64::from(w) / u64::from(tw)) as u32;
            let x1 = ((u64::from(tx + 1) * u64::from(w) / u64::from(tw)) as u32).max(x0 + 1);
            let mut sum = [0u32; 4];
            for y in y0..y1.min(h) {
                for x in x0..x1.min(w) {
                    let o = (y as usize * w as usize + x as usize) * 4;
                    for c in 0..4 {
                        sum[c] += u32::from(src[o + c]);
                    }
                }
            }
            let n = ((y1.min(h) - y0) * (x1.min(w) - x0)).max(1);
            let o = (ty as usize * tw as usize + tx as usize) * 4;
            for c in 0..4 {
                out[o + c] = (sum[c] / n) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscale_averages_boxes() {
        // 2x2 -> 1x1: mean of the four pixels.
        let src = [
            0, 0, 0, 255, 100, 100, 100, 255, 200, 200, 200, 255, 100, 100, 100, 255,
        ];
        assert_eq!(downscale(&src, 2, 2, 1, 1), vec![100, 100, 100, 255]);
    }
}
