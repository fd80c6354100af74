//! The editor's picture actions: open a movie as the picture, place it,
//! change its A/V offset, adopt its frame rate, remove it, keep the frame
//! server asking for the frame being heard, and apply what the viewer asks
//! for. The viewer itself (`picture`) knows nothing of the editor.

use crate::editor::Editor;
use crate::picture::{
    PictureAction, PictureView, fps_label, movie_frame_rate, picture_cache_dir, same_rate,
};
use dubstage_media::video::{FrameServer, ServerConfig, VideoError, probe};
use dubstage_model::{Command, Picture, SamplePos, Timecode};
use std::path::{Path, PathBuf};

impl Editor {
    /// The timeline sample being heard now: the engine's playhead minus the
    /// device's output latency while playing, the cursor when stopped.
    pub fn heard_position(&self) -> SamplePos {
        let ph = self.playhead();
        if self.is_playing() {
            let rate = f64::from(self.project().sample_rate.hz());
            let latency =
                (self.transport.telemetry.output_latency.as_secs_f64() * rate).round() as i64;
            SamplePos(ph.0 - latency)
        } else {
            ph
        }
    }

    /// The movie frame for what is heard now, or `None` outside the picture.
    pub fn picture_frame(&self) -> Option<i64> {
        let p = self.project();
        let pic = p.picture.as_ref()?;
        let mut pic = pic.clone();
        if let Some(ms) = self.picture.av_live {
            pic.av_offset_ms = ms;
        }
        pic.frame_at(self.heard_position(), p.sample_rate)
    }

    /// Opens `path` as the film's picture (one undo step): probes it and
    /// places its first frame at the session start.
    pub fn set_picture_file(&mut self, path: &Path) -> bool {
        let tools = match self.picture.tools() {
            Ok(t) => t,
            Err(e) => {
                self.notify(e.to_string(), true);
                return false;
            }
        };
        let info = match probe(&tools, path) {
            Ok(i) => i,
            Err(e) => {
                self.notify(e.to_string(), true);
                return false;
            }
        };
        let frame_rate = match movie_frame_rate(&info) {
            Ok(r) => r,
            Err(e) => {
                self.notify(format!("{}: {e}", path.display()), true);
                return false;
            }
        };
        let picture = Picture {
            path: std::path::absolute(path).unwrap_or_else(|_| path.to_owned()),
            frame_rate,
            frames: info.frames,
            position: SamplePos::ZERO,
            timecode: info
                .timecode
                .as_deref()
                .and_then(|t| Timecode::parse(t).ok()),
            width: info.width,
            height: info.height,
            av_offset_ms: 0.0,
        };
        let project_rate = self.project().frame_rate;
        if self
            .apply(Command::SetPicture {
                picture: Some(picture),
            })
            .is_none()
        {
            return false;
        }
        self.picture.show = true;
        let name = dubstage_model::file::display_name(path);
        self.notify(
            format!(
                "picture: {name}, {}x{} {} at {} fps, {} frames",
                info.width, info.height, info.codec, info.rate, info.frames
            ),
            false,
        );
        if !same_rate(frame_rate, project_rate) {
            self.notify(
                format!(
                    "the movie runs at {} fps but the project at {} fps: \
                     use Picture > Use Movie Frame Rate to match",
                    info.rate,
                    fps_label(project_rate)
                ),
                true,
            );
        }
        true
    }

    /// Moves the picture so its own timecode lands on the same session timecode.
    pub fn place_picture_by_timecode(&mut self) {
        let Some(mut pic) = self.project().picture.clone() else {
            return;
        };
        match pic.position_by_timecode(self.project().time_map()) {
            Some(pos) => {
                pic.position = pos;
                self.apply(Command::SetPicture { picture: Some(pic) });
            }
            None => self.notify("the movie carries no start timecode", true),
        }
    }

    /// Moves the picture's first frame to `position`.
    pub fn set_picture_position(&mut self, position: SamplePos) {
        if let Some(mut pic) = self.project().picture.clone()
            && pic.position != position
        {
            pic.position = position;
            self.apply(Command::SetPicture { picture: Some(pic) });
        }
    }

    pub fn set_av_offset(&mut self, ms: f32) {
        if let Some(mut pic) = self.project().picture.clone()
            && pic.av_offset_ms != ms
        {
            pic.av_offset_ms = ms;
            self.apply(Command::SetPicture { picture: Some(pic) });
        }
    }

    /// Sets the project's frame rate to the movie's (one undo step).
    pub fn use_movie_frame_rate(&mut self) {
        if let Some(rate) = self.project().picture.as_ref().map(|p| p.frame_rate) {
            self.apply(Command::SetFrameRate { frame_rate: rate });
        }
    }

    pub fn remove_picture(&mut self) {
        if self.project().picture.is_some() {
            self.apply(Command::SetPicture { picture: None });
        }
    }

    /// Keeps the frame server on the project's movie and asks it for the
    /// frame of the moment. Call once per UI frame.
    pub fn sync_picture(&mut self) {
        let path = self.project().picture.as_ref().map(|p| p.path.clone());
        if path != self.picture.server_for {
            self.picture.server = None;
            self.picture.texture = None;
            self.picture.texture_index = None;
            self.picture.thumbs.clear();
            self.picture.error = None;
            self.picture.server_for = path.clone();
            if let Some(path) = path {
                match self.start_picture_server(&path) {
                    Ok(server) => self.picture.server = Some(server),
                    Err(e) => {
                        self.picture.error = Some(e.to_string());
                        self.notify(e.to_string(), true);
                    }
                }
            }
        }
        self.picture.wanted = self.picture_frame();
        let playing = self.is_playing();
        if let (Some(server), Some(i)) = (&self.picture.server, self.picture.wanted) {
            server.request(i, playing);
        }
    }

    fn start_picture_server(&mut self, path: &Path) -> Result<FrameServer, VideoError> {
        let tools = self.picture.tools()?;
        let info = probe(&tools, path)?;
        let config = ServerConfig {
            proxy_dir: Some(picture_cache_dir(self.path.as_deref())),
            ..ServerConfig::default()
        };
        Ok(FrameServer::start(&tools, info, config))
    }

    /// Probes the picture's audio streams for a guide track: `(audio index,
    /// offset from the first frame in samples)` of the first audio stream.
    pub fn picture_audio(&mut self) -> Result<(PathBuf, u32, SamplePos), String> {
        let Some(pic) = self.project().picture.clone() else {
            return Err("set a picture first (File > Set Picture…)".to_owned());
        };
        let tools = self.picture.tools().map_err(|e| e.to_string())?;
        let info = probe(&tools, &pic.path).map_err(|e| e.to_string())?;
        let Some(a) = info.audio.first() else {
            return Err(format!("{}: the movie has no audio", pic.path.display()));
        };
        let rate = f64::from(self.project().sample_rate.hz());
        let offset = ((a.start_time - info.start_time) * rate).round() as i64;
        Ok((
            pic.path.clone(),
            a.audio_index,
            SamplePos(pic.position.0 + offset),
        ))
    }
}

impl Editor {
    /// The viewer's view of the editor: the picture state, the project and
    /// the sample being heard.
    pub fn picture_view(&mut self) -> PictureView<'_> {
        let heard = self.heard_position();
        let output_latency = self.transport.telemetry.output_latency;
        PictureView {
            st: &mut self.picture,
            project: self.session.project(),
            heard,
            output_latency,
        }
    }

    /// Applies what the viewer asked for.
    pub fn apply_picture_actions(&mut self, actions: Vec<PictureAction>) {
        for a in actions {
            match a {
                PictureAction::SetPosition(p) => self.set_picture_position(p),
                PictureAction::SetAvOffset(ms) => self.set_av_offset(ms),
                PictureAction::UseMovieRate => self.use_movie_frame_rate(),
                PictureAction::PlaceByTimecode => self.place_picture_by_timecode(),
                PictureAction::Notice(text, error) => self.notify(text, error),
            }
        }
    }
}
