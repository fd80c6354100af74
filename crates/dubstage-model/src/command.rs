//! Edit commands and the undoable [`Session`].
//!
//! Every change to a [`Project`] is a [`Command`]. Applying a command returns
//! its exact inverse, so undo restores the previous project bit for bit and
//! redo replays the original command (ids are handed out deterministically
//! from `Project::next_id`, which undo restores too).

use crate::mixer::{AuxSend, Insert, InsertKind, NoisePrintData, ParamId, RoutingError, StripId};
use crate::project::{
    Bus, BusId, Clip, ClipChannels, ClipId, Fade, InsertId, Marker, MarkerId, MediaId, MediaRef,
    Output, PanLaw, Picture, Project, SendId, Stem, Track, TrackId, TrackKind,
};
use crate::time::{FrameRate, SampleLen, SamplePos};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A new clip, before it has an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewClip {
    pub media: MediaId,
    pub name: String,
    pub position: SamplePos,
    pub length: SampleLen,
    pub source_offset: SamplePos,
    pub gain_db: f32,
    pub fade_in: Fade,
    pub fade_out: Fade,
    pub channels: ClipChannels,
    /// Its clip-gain envelope (source samples, dB).
    pub gain_envelope: Vec<crate::automation::EnvPoint>,
}

impl NewClip {
    /// A whole-file clip of `length` at `position`, no gain, no fades.
    pub fn new(media: MediaId, position: SamplePos, length: SampleLen) -> NewClip {
        NewClip {
            media,
            name: String::new(),
            position,
            length,
            source_offset: SamplePos::ZERO,
            gain_db: 0.0,
            fade_in: Fade::NONE,
            fade_out: Fade::NONE,
            channels: ClipChannels::Stereo,
            gain_envelope: Vec::new(),
        }
    }
}

/// One edit. The `Insert*`/`ReplaceClip` variants restore exact prior state
/// and are what undo uses; the UI uses the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    AddTrack {
        kind: TrackKind,
        name: String,
    },
    InsertTrack {
        index: usize,
        track: Track,
    },
    RemoveTrack {
        track: TrackId,
    },
    RenameTrack {
        track: TrackId,
        name: String,
    },
    /// A user bus, after the others, feeding the master.
    AddBus {
        name: String,
    },
    InsertBus {
        index: usize,
        bus: Bus,
    },
    /// Removes a user bus no track sends to (the DIA, FX and MUS stem buses
    /// stay).
    RemoveBus {
        bus: BusId,
    },
    RenameBus {
        bus: BusId,
        name: String,
    },
    /// Sets any mixer value (fader, pan, mute, solo, send, insert
    /// parameter, bypass): one command for every [`ParamId`].
    SetParam {
        id: ParamId,
        value: f32,
    },
    /// Adds a processor with default parameters at `index` of a strip's inserts.
    AddInsert {
        strip: StripId,
        index: usize,
        kind: InsertKind,
    },
    /// Puts back an insert exactly (undo of a removal).
    RestoreInsert {
        strip: StripId,
        index: usize,
        insert: Insert,
    },
    RemoveInsert {
        insert: InsertId,
    },
    /// Moves an insert to position `index` of the same strip.
    MoveInsert {
        insert: InsertId,
        index: usize,
    },
    /// The key input of a compressor or gate (`None`: its own signal).
    SetSidechain {
        insert: InsertId,
        source: Option<StripId>,
    },
    /// The learned noise print of a noise reduction.
    SetNoisePrint {
        insert: InsertId,
        print: Option<NoisePrintData>,
    },
    /// Adds a post-fader send at 0 dB from a strip to a bus.
    AddSend {
        strip: StripId,
        bus: BusId,
    },
    RestoreSend {
        strip: StripId,
        index: usize,
        send: AuxSend,
    },
    RemoveSend {
        send: SendId,
    },
    /// Where a bus goes: the master or another bus.
    SetBusOutput {
        bus: BusId,
        output: Output,
    },
    /// The master's delivery chain (gain and limiter) a delivery found.
    SetDelivery {
        delivery: Option<crate::project::DeliveryChain>,
    },
    SetTrackOutput {
        track: TrackId,
        output: Output,
    },
    /// Changes a track's kind. With `output: None` its output follows the
    /// kind's default bus when it was on the old kind's default (the user
    /// did not re-route it); `Some` sets the output exactly (undo).
    SetTrackKind {
        track: TrackId,
        kind: TrackKind,
        output: Option<Output>,
    },
    SetTrackColour {
        track: TrackId,
        colour: Option<[u8; 3]>,
    },
    SetProjectName {
        name: String,
    },
    RenameClip {
        clip: ClipId,
        name: String,
    },
    SetStartTimecode {
        timecode: crate::Timecode,
    },
    /// Changes the sample rate of a project that has no media yet
    /// (positions are sample counts, so a project with clips keeps its rate).
    SetSampleRate {
        rate: crate::SampleRate,
    },
    AddMedia {
        path: PathBuf,
        name: String,
        channels: u16,
        length: SampleLen,
    },
    InsertMedia {
        index: usize,
        media: MediaRef,
    },
    RemoveMedia {
        media: MediaId,
    },
    /// Points a media entry at another file (relinking missing media).
    SetMediaPath {
        media: MediaId,
        path: PathBuf,
    },
    /// Where a media file sits in its own timecode, and its tape name (from
    /// a turnover).
    SetMediaOrigin {
        media: MediaId,
        time_reference: Option<i64>,
        tape: String,
    },
    AddClip {
        track: TrackId,
        clip: NewClip,
    },
    InsertClip {
        track: TrackId,
        clip: Clip,
    },
    RemoveClip {
        clip: ClipId,
    },
    /// Replaces a clip (same id, same track) with another version of itself.
    ReplaceClip {
        clip: Clip,
    },
    MoveClip {
        clip: ClipId,
        track: TrackId,
        position: SamplePos,
    },
    /// Moves the clip's start to `position`, keeping its end and its audio in place.
    TrimClipStart {
        clip: ClipId,
        position: SamplePos,
    },
    /// Moves the clip's end to `end`, keeping its start.
    TrimClipEnd {
        clip: ClipId,
        end: SamplePos,
    },
    /// Splits the clip at timeline position `at` (strictly inside it).
    SplitClip {
        clip: ClipId,
        at: SamplePos,
    },
    /// Copies the clip to `position` on `track` (or right after itself when `None`).
    DuplicateClip {
        clip: ClipId,
        to: Option<(TrackId, SamplePos)>,
    },
    SetClipGain {
        clip: ClipId,
        gain_db: f32,
    },
    SetClipFades {
        clip: ClipId,
        fade_in: Fade,
        fade_out: Fade,
    },
    SetClipChannels {
        clip: ClipId,
        channels: ClipChannels,
    },
    AddMarker {
        position: SamplePos,
        name: String,
    },
    InsertMarker {
        marker: Marker,
    },
    MoveMarker {
        marker: MarkerId,
        position: SamplePos,
    },
    RenameMarker {
        marker: MarkerId,
        name: String,
    },
    RemoveMarker {
        marker: MarkerId,
    },
    SetPanLaw {
        pan_law: PanLaw,
    },
    /// Sets, moves or removes the picture (the whole placement is replaced).
    SetPicture {
        picture: Option<Picture>,
    },
    /// The project's frame rate (timecode display, frame grid, nudge, snap).
    SetFrameRate {
        frame_rate: FrameRate,
    },
    /// Replaces a parameter's automation lane (no points: no lane). Points
    /// are sorted, one per sample, values kept in the parameter's range.
    SetLane {
        param: ParamId,
        points: Vec<crate::automation::AutoPoint>,
    },
    /// Replaces a clip's gain envelope (points in source samples, dB).
    SetClipEnvelope {
        clip: ClipId,
        points: Vec<crate::automation::EnvPoint>,
    },
}

impl Command {
    /// A short description for the Undo/Redo menu items.
    pub fn label(&self) -> &'static str {
        match self {
            Command::AddTrack { .. } | Command::InsertTrack { .. } => "Add Track",
            Command::RemoveTrack { .. } => "Delete Track",
            Command::RenameTrack { .. } => "Rename Track",
            Command::AddBus { .. } | Command::InsertBus { .. } => "Add Bus",
            Command::RemoveBus { .. } => "Delete Bus",
            Command::RenameBus { .. } => "Rename Bus",
            Command::SetParam { id, .. } => match id {
                ParamId::Fader(StripId::Master) => "Master Gain",
                ParamId::Fader(StripId::Bus(_)) => "Bus Gain",
                ParamId::Fader(_) => "Track Gain",
                ParamId::Pan(_) => "Pan",
                ParamId::Mute(_) => "Mute",
                ParamId::Solo(_) => "Solo",
                ParamId::SoloSafe(_) => "Solo Safe",
                ParamId::SendLevel(_) | ParamId::SendMute(_) | ParamId::SendPre(_) => "Send",
                ParamId::Bypass(_) => "Bypass",
                ParamId::Insert(..) => "Insert Parameter",
            },
            Command::AddInsert { .. } | Command::RestoreInsert { .. } => "Add Insert",
            Command::RemoveInsert { .. } => "Remove Insert",
            Command::MoveInsert { .. } => "Move Insert",
            Command::SetSidechain { .. } => "Sidechain",
            Command::SetNoisePrint { .. } => "Learn Noise",
            Command::AddSend { .. } | Command::RestoreSend { .. } => "Add Send",
            Command::RemoveSend { .. } => "Remove Send",
            Command::SetBusOutput { .. } => "Bus Output",
            Command::SetDelivery { .. } => "Delivery Chain",
            Command::SetTrackOutput { .. } => "Track Output",
            Command::SetTrackKind { .. } => "Track Kind",
            Command::SetTrackColour { .. } => "Track Colour",
            Command::SetProjectName { .. } => "Project Name",
            Command::RenameClip { .. } => "Rename Clip",
            Command::SetStartTimecode { .. } => "Start Timecode",
            Command::SetSampleRate { .. } => "Sample Rate",
            Command::AddMedia { .. } | Command::InsertMedia { .. } => "Import Media",
            Command::RemoveMedia { .. } => "Remove Media",
            Command::SetMediaPath { .. } => "Relink Media",
            Command::SetMediaOrigin { .. } => "Media Timecode",
            Command::AddClip { .. } | Command::InsertClip { .. } => "Add Clip",
            Command::RemoveClip { .. } => "Delete Clip",
            Command::ReplaceClip { .. } => "Edit Clip",
            Command::MoveClip { .. } => "Move Clip",
            Command::TrimClipStart { .. } => "Trim Start",
            Command::TrimClipEnd { .. } => "Trim End",
            Command::SplitClip { .. } => "Split",
            Command::DuplicateClip { .. } => "Duplicate",
            Command::SetClipGain { .. } => "Clip Gain",
            Command::SetClipFades { .. } => "Fades",
            Command::SetClipChannels { .. } => "Clip Channels",
            Command::AddMarker { .. } | Command::InsertMarker { .. } => "Add Marker",
            Command::MoveMarker { .. } => "Move Marker",
            Command::RenameMarker { .. } => "Rename Marker",
            Command::RemoveMarker { .. } => "Delete Marker",
            Command::SetPanLaw { .. } => "Pan Law",
            Command::SetPicture { .. } => "Picture",
            Command::SetFrameRate { .. } => "Frame Rate",
            Command::SetLane { .. } => "Automation",
            Command::SetClipEnvelope { .. } => "Clip Gain Envelope",
        }
    }
}

/// What a command created, so the caller can select it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Nothing,
    Track(TrackId),
    Media(MediaId),
    Clip(ClipId),
    Marker(MarkerId),
    Bus(BusId),
    Insert(InsertId),
    Send(SendId),
}

/// Why a command could not be applied. The project is unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("no track with id {0}")]
    NoTrack(TrackId),
    #[error(
        "the sample rate of a project with media cannot change (its positions are samples at the current rate)"
    )]
    RateWithMedia,
    #[error("no clip with id {0}")]
    NoClip(ClipId),
    #[error("no media with id {0}")]
    NoMedia(MediaId),
    #[error("no bus with id {0}")]
    NoBus(BusId),
    #[error("the {0} bus is a stem bus (dialogue, effects or music) and stays")]
    StemBus(String),
    #[error("the {0} bus is in use by {1}; route them elsewhere first")]
    BusInUse(String, String),
    #[error("no marker with id {0}")]
    NoMarker(MarkerId),
    #[error("a clip must be at least one sample long")]
    EmptyClip,
    #[error("a picture must have at least one frame")]
    EmptyPicture,
    #[error("the clip cannot start before the beginning of its source")]
    BeforeSourceStart,
    #[error("the split point is not inside the clip")]
    SplitOutsideClip,
    #[error("{0} is not a finite number")]
    NotFinite(&'static str),
    #[error("media {0} is still used by clips")]
    MediaInUse(MediaId),
    #[error("an id is already in use: {0}")]
    DuplicateId(u32),
    #[error("nothing to group")]
    EmptyGroup,
    #[error("no such mixer parameter")]
    NoParam,
    #[error("no such mixer strip")]
    NoStrip,
    #[error("no insert with id {0}")]
    NoInsert(InsertId),
    #[error("no send with id {0}")]
    NoSend(SendId),
    #[error(transparent)]
    Routing(#[from] RoutingError),
    #[error("{0}")]
    Invalid(String),
}

fn finite(v: f32, what: &'static str) -> Result<f32, EditError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(EditError::NotFinite(what))
    }
}

/// Gains are kept within what a fader offers: −144 dB (silence) to +24 dB.
fn gain(v: f32, what: &'static str) -> Result<f32, EditError> {
    Ok(finite(v, what)?.clamp(-144.0, 24.0))
}

fn clamp_fade(f: Fade, len: SampleLen) -> Fade {
    Fade {
        length: SampleLen(f.length.0.clamp(0, len.0)),
        shape: f.shape,
    }
}

fn sort_clips(t: &mut Track) {
    t.clips.sort_by_key(|c| (c.position, c.id));
}

fn sort_markers(p: &mut Project) {
    p.markers.sort_by_key(|m| (m.position, m.id));
}

fn locate_clip(p: &Project, id: ClipId) -> Result<(usize, usize), EditError> {
    p.tracks
        .iter()
        .enumerate()
        .find_map(|(ti, t)| t.clips.iter().position(|c| c.id == id).map(|ci| (ti, ci)))
        .ok_or(EditError::NoClip(id))
}

fn clip_ref(p: &Project, id: ClipId) -> Result<&Clip, EditError> {
    let (ti, ci) = locate_clip(p, id)?;
    Ok(&p.tracks[ti].clips[ci])
}

fn track_mut(p: &mut Project, id: TrackId) -> Result<&mut Track, EditError> {
    p.track_mut(id).ok_or(EditError::NoTrack(id))
}

fn id_in_use(p: &Project, id: u32) -> bool {
    p.tracks
        .iter()
        .any(|t| t.id.0 == id || t.clips.iter().any(|c| c.id.0 == id))
        || p.media.iter().any(|m| m.id.0 == id)
        || p.buses.iter().any(|b| b.id.0 == id)
        || p.markers.iter().any(|m| m.id.0 == id)
        || p.strips()
            .into_iter()
            .any(|s| p.strip_inserts(s).iter().any(|i| i.id.0 == id))
        || p.send(SendId(id)).is_some()
}

fn check_strip(p: &Project, s: StripId) -> Result<(), EditError> {
    let ok = match s {
        StripId::Track(t) => p.track(t).is_some(),
        StripId::Bus(b) => p.bus(b).is_some(),
        StripId::Master => true,
    };
    if ok { Ok(()) } else { Err(EditError::NoStrip) }
}

/// Replaces the clip with the same id (on its current track) and keeps order.
fn put_clip(p: &mut Project, clip: Clip) -> Result<Clip, EditError> {
    let (ti, ci) = locate_clip(p, clip.id)?;
    let old = std::mem::replace(&mut p.tracks[ti].clips[ci], clip);
    sort_clips(&mut p.tracks[ti]);
    Ok(old)
}

/// Applies `cmd` to `p`. On success returns what was created and the
/// commands that undo it (to be applied in order). On error `p` is unchanged.
pub fn apply(p: &mut Project, cmd: &Command) -> Result<(Created, Vec<Command>), EditError> {
    use Command as C;
    let done = |inv: Command| Ok((Created::Nothing, vec![inv]));
    match cmd {
        C::AddTrack { kind, name } => {
            let id = TrackId(p.alloc_id());
            let output = p.default_output(*kind);
            p.tracks.push(Track {
                id,
                name: name.clone(),
                kind: *kind,
                gain_db: 0.0,
                pan: 0.0,
                mute: *kind == TrackKind::Guide,
                solo: false,
                solo_safe: false,
                output,
                inserts: Vec::new(),
                sends: Vec::new(),
                colour: None,
                clips: Vec::new(),
            });
            Ok((Created::Track(id), vec![C::RemoveTrack { track: id }]))
        }
        C::InsertTrack { index, track } => {
            if id_in_use(p, track.id.0) || track.clips.iter().any(|c| id_in_use(p, c.id.0)) {
                return Err(EditError::DuplicateId(track.id.0));
            }
            let index = (*index).min(p.tracks.len());
            let mut track = track.clone();
            sort_clips(&mut track);
            let id = track.id;
            p.tracks.insert(index, track);
            Ok((Created::Track(id), vec![C::RemoveTrack { track: id }]))
        }
        C::RemoveTrack { track } => {
            let index = p.track_index(*track).ok_or(EditError::NoTrack(*track))?;
            // Inserts keyed by the track lose their key (a dangling key
            // once made undo and redo disagree); undo restores them.
            let key = Some(StripId::Track(*track));
            let mut keyed = Vec::new();
            for strip in p.strips() {
                for ins in p.strip_inserts_mut(strip).into_iter().flatten() {
                    if ins.sidechain == key {
                        ins.sidechain = None;
                        keyed.push(C::SetSidechain {
                            insert: ins.id,
                            source: key,
                        });
                    }
                }
            }
            let old = p.tracks.remove(index);
            let mut inverse = vec![C::InsertTrack { index, track: old }];
            inverse.extend(keyed);
            Ok((Created::Nothing, inverse))
        }
        C::AddBus { name } => {
            let id = BusId(p.alloc_id());
            p.buses.push(Bus::new(id, name));
            Ok((Created::Bus(id), vec![C::RemoveBus { bus: id }]))
        }
        C::InsertBus { index, bus } => {
            if id_in_use(p, bus.id.0) {
                return Err(EditError::DuplicateId(bus.id.0));
            }
            let index = (*index).min(p.buses.len());
            p.buses.insert(index, bus.clone());
            Ok((Created::Bus(bus.id), vec![C::RemoveBus { bus: bus.id }]))
        }
        C::RemoveBus { bus } => {
            let index = p
                .buses
                .iter()
                .position(|b| b.id == *bus)
                .ok_or(EditError::NoBus(*bus))?;
            let name = p.buses[index].name.clone();
            if Stem::ALL.iter().any(|s| s.bus_id() == *bus) {
                return Err(EditError::StemBus(name));
            }
            let users = p.bus_users(*bus);
            if !users.is_empty() {
                return Err(EditError::BusInUse(name, users.join(", ")));
            }
            let old = p.buses.remove(index);
            done(C::InsertBus { index, bus: old })
        }
        C::RenameBus { bus, name } => {
            let b = p.bus_mut(*bus).ok_or(EditError::NoBus(*bus))?;
            let old = std::mem::replace(&mut b.name, name.clone());
            done(C::RenameBus {
                bus: *bus,
                name: old,
            })
        }
        C::RenameTrack { track, name } => {
            let t = track_mut(p, *track)?;
            let old = std::mem::replace(&mut t.name, name.clone());
            done(C::RenameTrack {
                track: *track,
                name: old,
            })
        }
        C::SetParam { id, value } => {
            let v = finite(*value, "parameter value")?;
            let old = p.set_param(*id, v).ok_or(EditError::NoParam)?;
            done(C::SetParam {
                id: *id,
                value: old,
            })
        }
        C::AddInsert { strip, index, kind } => {
            let id = InsertId(p.peek_next_id());
            let list = p.strip_inserts_mut(*strip).ok_or(EditError::NoStrip)?;
            let index = (*index).min(list.len());
            list.insert(index, Insert::new(id, *kind));
            p.alloc_id();
            Ok((Created::Insert(id), vec![C::RemoveInsert { insert: id }]))
        }
        C::RestoreInsert {
            strip,
            index,
            insert,
        } => {
            if id_in_use(p, insert.id.0) {
                return Err(EditError::DuplicateId(insert.id.0));
            }
            insert.validate().map_err(EditError::Invalid)?;
            let list = p.strip_inserts_mut(*strip).ok_or(EditError::NoStrip)?;
            let index = (*index).min(list.len());
            list.insert(index, insert.clone());
            if let Err(e) = p.routing_order() {
                if let Some(list) = p.strip_inserts_mut(*strip) {
                    list.remove(index);
                }
                return Err(EditError::Routing(e));
            }
            Ok((
                Created::Insert(insert.id),
                vec![C::RemoveInsert { insert: insert.id }],
            ))
        }
        C::RemoveInsert { insert } => {
            let (strip, index) = p.find_insert(*insert).ok_or(EditError::NoInsert(*insert))?;
            let list = p.strip_inserts_mut(strip).ok_or(EditError::NoStrip)?;
            let old = list.remove(index);
            done(C::RestoreInsert {
                strip,
                index,
                insert: old,
            })
        }
        C::MoveInsert { insert, index } => {
            let (strip, from) = p.find_insert(*insert).ok_or(EditError::NoInsert(*insert))?;
            let list = p.strip_inserts_mut(strip).ok_or(EditError::NoStrip)?;
            let x = list.remove(from);
            let to = (*index).min(list.len());
            list.insert(to, x);
            done(C::MoveInsert {
                insert: *insert,
                index: from,
            })
        }
        C::SetSidechain { insert, source } => {
            if let Some(src) = source {
                check_strip(p, *src)?;
            }
            let ins = p.insert_mut(*insert).ok_or(EditError::NoInsert(*insert))?;
            if source.is_some() && !ins.kind.has_sidechain() {
                return Err(EditError::Invalid(format!(
                    "a {} has no sidechain input",
                    ins.kind.label()
                )));
            }
            let old = std::mem::replace(&mut ins.sidechain, *source);
            if let Err(e) = p.routing_order() {
                if let Some(ins) = p.insert_mut(*insert) {
                    ins.sidechain = old;
                }
                return Err(EditError::Routing(e));
            }
            done(C::SetSidechain {
                insert: *insert,
                source: old,
            })
        }
        C::SetNoisePrint { insert, print } => {
            if let Some(pr) = print
                && (pr.magnitudes.is_empty()
                    || pr.magnitudes.iter().any(|m| !m.is_finite() || *m < 0.0))
            {
                return Err(EditError::Invalid(
                    "the noise print has no usable values".to_owned(),
                ));
            }
            let ins = p.insert_mut(*insert).ok_or(EditError::NoInsert(*insert))?;
            let old = std::mem::replace(&mut ins.print, print.clone());
            done(C::SetNoisePrint {
                insert: *insert,
                print: old,
            })
        }
        C::AddSend { strip, bus } => {
            if p.bus(*bus).is_none() {
                return Err(EditError::NoBus(*bus));
            }
            let id = SendId(p.peek_next_id());
            let send = AuxSend {
                id,
                bus: *bus,
                level_db: 0.0,
                pre_fader: false,
                mute: false,
            };
            let list = p.strip_sends_mut(*strip).ok_or(EditError::NoStrip)?;
            list.push(send);
            if let Err(e) = p.routing_order() {
                if let Some(list) = p.strip_sends_mut(*strip) {
                    list.pop();
                }
                return Err(EditError::Routing(e));
            }
            p.alloc_id();
            Ok((Created::Send(id), vec![C::RemoveSend { send: id }]))
        }
        C::RestoreSend { strip, index, send } => {
            if id_in_use(p, send.id.0) {
                return Err(EditError::DuplicateId(send.id.0));
            }
            if p.bus(send.bus).is_none() {
                return Err(EditError::NoBus(send.bus));
            }
            let list = p.strip_sends_mut(*strip).ok_or(EditError::NoStrip)?;
            let index = (*index).min(list.len());
            list.insert(index, send.clone());
            if let Err(e) = p.routing_order() {
                if let Some(list) = p.strip_sends_mut(*strip) {
                    list.remove(index);
                }
                return Err(EditError::Routing(e));
            }
            Ok((
                Created::Send(send.id),
                vec![C::RemoveSend { send: send.id }],
            ))
        }
        C::RemoveSend { send } => {
            let (strip, index) = p.find_send(*send).ok_or(EditError::NoSend(*send))?;
            let list = p.strip_sends_mut(strip).ok_or(EditError::NoStrip)?;
            let old = list.remove(index);
            done(C::RestoreSend {
                strip,
                index,
                send: old,
            })
        }
        C::SetDelivery { delivery } => {
            if let Some(d) = delivery
                && (!d.gain_db.is_finite()
                    || d.gain_db.abs() > 60.0
                    || d.ceiling_dbtp
                        .is_some_and(|c| !c.is_finite() || !(-20.0..=0.0).contains(&c)))
            {
                return Err(EditError::Invalid(
                    "a delivery chain needs a gain within ±60 dB and a ceiling within −20…0 dBTP"
                        .to_owned(),
                ));
            }
            let old = std::mem::replace(&mut p.master.delivery, delivery.clone());
            done(C::SetDelivery { delivery: old })
        }
        C::SetBusOutput { bus, output } => {
            if let Output::Bus(b) = output
                && p.bus(*b).is_none()
            {
                return Err(EditError::NoBus(*b));
            }
            let b = p.bus_mut(*bus).ok_or(EditError::NoBus(*bus))?;
            let old = std::mem::replace(&mut b.output, *output);
            if let Err(e) = p.routing_order() {
                if let Some(b) = p.bus_mut(*bus) {
                    b.output = old;
                }
                return Err(EditError::Routing(e));
            }
            done(C::SetBusOutput {
                bus: *bus,
                output: old,
            })
        }
        C::SetTrackOutput { track, output } => {
            if let Output::Bus(b) = output
                && p.bus(*b).is_none()
            {
                return Err(EditError::NoBus(*b));
            }
            let t = track_mut(p, *track)?;
            let old = std::mem::replace(&mut t.output, *output);
            if let Err(e) = p.routing_order() {
                if let Some(t) = p.track_mut(*track) {
                    t.output = old;
                }
                return Err(EditError::Routing(e));
            }
            done(C::SetTrackOutput {
                track: *track,
                output: old,
            })
        }
        C::SetTrackKind {
            track,
            kind,
            output,
        } => {
            if let Some(Output::Bus(b)) = output
                && p.bus(*b).is_none()
            {
                return Err(EditError::NoBus(*b));
            }
            let (old_kind, old_output) = {
                let t = p.track(*track).ok_or(EditError::NoTrack(*track))?;
                (t.kind, t.output)
            };
            let new_output = match output {
                Some(o) => *o,
                None if old_output == p.default_output(old_kind) => p.default_output(*kind),
                None => old_output,
            };
            let t = track_mut(p, *track)?;
            t.kind = *kind;
            t.output = new_output;
            done(C::SetTrackKind {
                track: *track,
                kind: old_kind,
                output: Some(old_output),
            })
        }
        C::SetTrackColour { track, colour } => {
            let t = track_mut(p, *track)?;
            let old = std::mem::replace(&mut t.colour, *colour);
            done(C::SetTrackColour {
                track: *track,
                colour: old,
            })
        }
        C::SetProjectName { name } => {
            let old = std::mem::replace(&mut p.name, name.clone());
            done(C::SetProjectName { name: old })
        }
        C::SetStartTimecode { timecode } => {
            let old = std::mem::replace(&mut p.start_timecode, *timecode);
            done(C::SetStartTimecode { timecode: old })
        }
        C::SetSampleRate { rate } => {
            if *rate != p.sample_rate && !p.media.is_empty() {
                return Err(EditError::RateWithMedia);
            }
            let old = std::mem::replace(&mut p.sample_rate, *rate);
            done(C::SetSampleRate { rate: old })
        }
        C::AddMedia {
            path,
            name,
            channels,
            length,
        } => {
            let id = MediaId(p.alloc_id());
            p.media.push(MediaRef {
                id,
                path: path.clone(),
                name: name.clone(),
                channels: *channels,
                length: *length,
                time_reference: None,
                tape: String::new(),
            });
            Ok((Created::Media(id), vec![C::RemoveMedia { media: id }]))
        }
        C::InsertMedia { index, media } => {
            if id_in_use(p, media.id.0) {
                return Err(EditError::DuplicateId(media.id.0));
            }
            let index = (*index).min(p.media.len());
            p.media.insert(index, media.clone());
            Ok((
                Created::Media(media.id),
                vec![C::RemoveMedia { media: media.id }],
            ))
        }
        C::RemoveMedia { media } => {
            let index = p
                .media
                .iter()
                .position(|m| m.id == *media)
                .ok_or(EditError::NoMedia(*media))?;
            if p.clips().any(|(_, c)| c.media == *media) {
                return Err(EditError::MediaInUse(*media));
            }
            let old = p.media.remove(index);
            done(C::InsertMedia { index, media: old })
        }
        C::SetMediaPath { media, path } => {
            let m = p
                .media
                .iter_mut()
                .find(|m| m.id == *media)
                .ok_or(EditError::NoMedia(*media))?;
            let old = std::mem::replace(&mut m.path, path.clone());
            done(C::SetMediaPath {
                media: *media,
                path: old,
            })
        }
        C::SetMediaOrigin {
            media,
            time_reference,
            tape,
        } => {
            let m = p
                .media
                .iter_mut()
                .find(|m| m.id == *media)
                .ok_or(EditError::NoMedia(*media))?;
            let old = (
                std::mem::replace(&mut m.time_reference, *time_reference),
                std::mem::replace(&mut m.tape, tape.clone()),
            );
            done(C::SetMediaOrigin {
                media: *media,
                time_reference: old.0,
                tape: old.1,
            })
        }
        C::AddClip { track, clip } => {
            if p.track(*track).is_none() {
                return Err(EditError::NoTrack(*track));
            }
            if p.media(clip.media).is_none() {
                return Err(EditError::NoMedia(clip.media));
            }
            if clip.length.0 <= 0 {
                return Err(EditError::EmptyClip);
            }
            if clip.source_offset.0 < 0 {
                return Err(EditError::BeforeSourceStart);
            }
            let gain_db = gain(clip.gain_db, "clip gain")?;
            let id = ClipId(p.alloc_id());
            let new = Clip {
                id,
                media: clip.media,
                name: clip.name.clone(),
                position: clip.position,
                length: clip.length,
                source_offset: clip.source_offset,
                gain_db,
                fade_in: clamp_fade(clip.fade_in, clip.length),
                fade_out: clamp_fade(clip.fade_out, clip.length),
                channels: clip.channels,
                gain_envelope: {
                    let mut e = Vec::with_capacity(clip.gain_envelope.len());
                    for pt in &clip.gain_envelope {
                        e.push(crate::automation::EnvPoint {
                            at: pt.at,
                            db: gain(pt.db, "an envelope point")?,
                        });
                    }
                    crate::automation::normalise(&e, |q| q.at.0)
                },
            };
            let t = track_mut(p, *track)?;
            t.clips.push(new);
            sort_clips(t);
            Ok((Created::Clip(id), vec![C::RemoveClip { clip: id }]))
        }
        C::InsertClip { track, clip } => {
            if id_in_use(p, clip.id.0) {
                return Err(EditError::DuplicateId(clip.id.0));
            }
            let t = track_mut(p, *track)?;
            t.clips.push(clip.clone());
            sort_clips(t);
            Ok((
                Created::Clip(clip.id),
                vec![C::RemoveClip { clip: clip.id }],
            ))
        }
        C::RemoveClip { clip } => {
            let (ti, ci) = locate_clip(p, *clip)?;
            let track = p.tracks[ti].id;
            let old = p.tracks[ti].clips.remove(ci);
            done(C::InsertClip { track, clip: old })
        }
        C::ReplaceClip { clip } => {
            if clip.length.0 <= 0 {
                return Err(EditError::EmptyClip);
            }
            let old = put_clip(p, clip.clone())?;
            done(C::ReplaceClip { clip: old })
        }
        C::MoveClip {
            clip,
            track,
            position,
        } => {
            let (ti, ci) = locate_clip(p, *clip)?;
            let to = p.track_index(*track).ok_or(EditError::NoTrack(*track))?;
            let from_track = p.tracks[ti].id;
            let mut c = p.tracks[ti].clips.remove(ci);
            let old_pos = std::mem::replace(&mut c.position, *position);
            p.tracks[to].clips.push(c);
            sort_clips(&mut p.tracks[to]);
            done(C::MoveClip {
                clip: *clip,
                track: from_track,
                position: old_pos,
            })
        }
        C::TrimClipStart { clip, position } => {
            let mut c = clip_ref(p, *clip)?.clone();
            let end = c.end();
            if *position >= end {
                return Err(EditError::EmptyClip);
            }
            let delta = *position - c.position;
            let offset = c.source_offset + delta;
            if offset.0 < 0 {
                return Err(EditError::BeforeSourceStart);
            }
            c.source_offset = offset;
            c.position = *position;
            c.length = end - *position;
            c.fade_in = clamp_fade(c.fade_in, c.length);
            c.fade_out = clamp_fade(c.fade_out, c.length);
            let old = put_clip(p, c)?;
            done(C::ReplaceClip { clip: old })
        }
        C::TrimClipEnd { clip, end } => {
            let mut c = clip_ref(p, *clip)?.clone();
            if *end <= c.position {
                return Err(EditError::EmptyClip);
            }
            c.length = *end - c.position;
            c.fade_in = clamp_fade(c.fade_in, c.length);
            c.fade_out = clamp_fade(c.fade_out, c.length);
            let old = put_clip(p, c)?;
            done(C::ReplaceClip { clip: old })
        }
        C::SplitClip { clip, at } => {
            let (ti, ci) = locate_clip(p, *clip)?;
            let c = p.tracks[ti].clips[ci].clone();
            if *at <= c.position || *at >= c.end() {
                return Err(EditError::SplitOutsideClip);
            }
            let id = ClipId(p.alloc_id());
            let left_len = *at - c.position;
            let mut left = c.clone();
            left.length = left_len;
            left.fade_in = clamp_fade(c.fade_in, left_len);
            left.fade_out = Fade::NONE;
            let mut right = c.clone();
            right.id = id;
            right.position = *at;
            right.source_offset = c.source_offset + left_len;
            right.length = c.length - left_len;
            right.fade_in = Fade::NONE;
            right.fade_out = clamp_fade(c.fade_out, right.length);
            let t = &mut p.tracks[ti];
            t.clips[ci] = left;
            t.clips.push(right);
            sort_clips(t);
            Ok((
                Created::Clip(id),
                vec![C::RemoveClip { clip: id }, C::ReplaceClip { clip: c }],
            ))
        }
        C::DuplicateClip { clip, to } => {
            let (ti, ci) = locate_clip(p, *clip)?;
            let src = p.tracks[ti].clips[ci].clone();
            let (track, position) = to.unwrap_or((p.tracks[ti].id, src.end()));
            let to_index = p.track_index(track).ok_or(EditError::NoTrack(track))?;
            let id = ClipId(p.alloc_id());
            let mut copy = src;
            copy.id = id;
            copy.position = position;
            let t = &mut p.tracks[to_index];
            t.clips.push(copy);
            sort_clips(t);
            Ok((Created::Clip(id), vec![C::RemoveClip { clip: id }]))
        }
        C::RenameClip { clip, name } => {
            let mut c = clip_ref(p, *clip)?.clone();
            let old = std::mem::replace(&mut c.name, name.clone());
            put_clip(p, c)?;
            done(C::RenameClip {
                clip: *clip,
                name: old,
            })
        }
        C::SetClipGain { clip, gain_db } => {
            let g = gain(*gain_db, "clip gain")?;
            let mut c = clip_ref(p, *clip)?.clone();
            let old = std::mem::replace(&mut c.gain_db, g);
            put_clip(p, c)?;
            done(C::SetClipGain {
                clip: *clip,
                gain_db: old,
            })
        }
        C::SetLane { param, points } => {
            if p.param(*param).is_none() && !points.is_empty() {
                return Err(EditError::NoParam);
            }
            let range = p.param_range(*param).unwrap_or((f32::MIN, f32::MAX));
            let switch = crate::automation::is_switch(*param);
            // Insert switches, choices and slopes hold between points too.
            let stepped = match param {
                ParamId::Insert(i, k) => p
                    .insert(*i)
                    .and_then(|x| x.kind.params().get(usize::from(*k)))
                    .is_some_and(|spec| {
                        matches!(
                            spec.unit,
                            crate::mixer::Unit::Switch
                                | crate::mixer::Unit::Choice
                                | crate::mixer::Unit::Slope
                        )
                    }),
                _ => false,
            };
            let mut pts = Vec::with_capacity(points.len());
            for pt in points {
                if !pt.value.is_finite() {
                    return Err(EditError::NotFinite("an automation value"));
                }
                let mut pt = *pt;
                pt.value = pt.value.clamp(range.0, range.1);
                pt.at.0 = pt
                    .at
                    .0
                    .clamp(-crate::automation::MAX_TIME, crate::automation::MAX_TIME);
                if stepped {
                    pt.shape = crate::automation::Shape::Hold;
                }
                if switch {
                    pt.value = if pt.value >= 0.5 { 1.0 } else { 0.0 };
                    pt.shape = crate::automation::Shape::Hold;
                }
                pts.push(pt);
            }
            let pts = crate::automation::normalise(&pts, |q| q.at.0);
            let old = p
                .automation
                .iter()
                .position(|l| l.param == *param)
                .map(|i| p.automation.remove(i).points)
                .unwrap_or_default();
            if !pts.is_empty() {
                p.automation.push(crate::automation::Lane {
                    param: *param,
                    points: pts,
                });
                p.automation.sort_by_key(|l| l.param);
            }
            done(C::SetLane {
                param: *param,
                points: old,
            })
        }
        C::SetClipEnvelope { clip, points } => {
            let mut c = clip_ref(p, *clip)?.clone();
            let mut pts = Vec::with_capacity(points.len());
            for pt in points {
                let mut pt = *pt;
                pt.db = gain(pt.db, "an envelope point")?;
                pt.at.0 = pt
                    .at
                    .0
                    .clamp(-crate::automation::MAX_TIME, crate::automation::MAX_TIME);
                pts.push(pt);
            }
            let pts = crate::automation::normalise(&pts, |q| q.at.0);
            let old = std::mem::replace(&mut c.gain_envelope, pts);
            put_clip(p, c)?;
            done(C::SetClipEnvelope {
                clip: *clip,
                points: old,
            })
        }
        C::SetClipFades {
            clip,
            fade_in,
            fade_out,
        } => {
            let mut c = clip_ref(p, *clip)?.clone();
            let old = C::SetClipFades {
                clip: *clip,
                fade_in: c.fade_in,
                fade_out: c.fade_out,
            };
            c.fade_in = clamp_fade(*fade_in, c.length);
            c.fade_out = clamp_fade(*fade_out, c.length);
            put_clip(p, c)?;
            done(old)
        }
        C::SetClipChannels { clip, channels } => {
            let mut c = clip_ref(p, *clip)?.clone();
            let old = std::mem::replace(&mut c.channels, *channels);
            put_clip(p, c)?;
            done(C::SetClipChannels {
                clip: *clip,
                channels: old,
            })
        }
        C::AddMarker { position, name } => {
            let id = MarkerId(p.alloc_id());
            p.markers.push(Marker {
                id,
                position: *position,
                name: name.clone(),
            });
            sort_markers(p);
            Ok((Created::Marker(id), vec![C::RemoveMarker { marker: id }]))
        }
        C::InsertMarker { marker } => {
            if id_in_use(p, marker.id.0) {
                return Err(EditError::DuplicateId(marker.id.0));
            }
            p.markers.push(marker.clone());
            sort_markers(p);
            Ok((
                Created::Marker(marker.id),
                vec![C::RemoveMarker { marker: marker.id }],
            ))
        }
        C::MoveMarker { marker, position } => {
            let m = p
                .markers
                .iter_mut()
                .find(|m| m.id == *marker)
                .ok_or(EditError::NoMarker(*marker))?;
            let old = std::mem::replace(&mut m.position, *position);
            sort_markers(p);
            done(C::MoveMarker {
                marker: *marker,
                position: old,
            })
        }
        C::RenameMarker { marker, name } => {
            let m = p
                .markers
                .iter_mut()
                .find(|m| m.id == *marker)
                .ok_or(EditError::NoMarker(*marker))?;
            let old = std::mem::replace(&mut m.name, name.clone());
            done(C::RenameMarker {
                marker: *marker,
                name: old,
            })
        }
        C::RemoveMarker { marker } => {
            let index = p
                .markers
                .iter()
                .position(|m| m.id == *marker)
                .ok_or(EditError::NoMarker(*marker))?;
            let old = p.markers.remove(index);
            done(C::InsertMarker { marker: old })
        }
        C::SetPanLaw { pan_law } => {
            let old = std::mem::replace(&mut p.pan_law, *pan_law);
            done(C::SetPanLaw { pan_law: old })
        }
        C::SetPicture { picture } => {
            if picture.as_ref().is_some_and(|p| p.frames <= 0) {
                return Err(EditError::EmptyPicture);
            }
            let old = std::mem::replace(&mut p.picture, picture.clone());
            done(C::SetPicture { picture: old })
        }
        C::SetFrameRate { frame_rate } => {
            let old = std::mem::replace(&mut p.frame_rate, *frame_rate);
            done(C::SetFrameRate { frame_rate: old })
        }
    }
}

/// One undo step: the commands that made it and the commands that revert it.
#[derive(Debug, Clone)]
struct Edit {
    label: String,
    forward: Vec<Command>,
    inverse: Vec<Command>,
    next_id_before: u32,
}

/// A project being edited: the project, unlimited undo/redo, and a revision
/// counter that changes whenever the project does (so views and the engine
/// know when to rebuild).
#[derive(Debug, Clone)]
pub struct Session {
    project: Project,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    revision: u64,
    saved_revision: u64,
}

impl Session {
    pub fn new(project: Project) -> Session {
        Session {
            project,
            undo: Vec::new(),
            redo: Vec::new(),
            revision: 0,
            saved_revision: 0,
        }
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Replaces the whole project (New/Open). Clears history.
    pub fn replace_project(&mut self, project: Project) {
        self.project = project;
        self.undo.clear();
        self.redo.clear();
        self.revision += 1;
        self.saved_revision = self.revision;
    }

    /// Changes whenever the project changes (apply, undo, redo, replace).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Whether the project changed since [`Session::mark_saved`].
    pub fn is_dirty(&self) -> bool {
        self.revision != self.saved_revision
    }

    pub fn mark_saved(&mut self) {
        self.saved_revision = self.revision;
    }

    /// Marks the project as changed since the last save (e.g. after
    /// recovering an autosave).
    pub fn mark_unsaved(&mut self) {
        self.saved_revision = self.revision.wrapping_sub(1);
    }

    /// Applies one command as one undo step.
    pub fn apply(&mut self, cmd: Command) -> Result<Created, EditError> {
        let label = cmd.label().to_owned();
        self.apply_group(label, vec![cmd])
    }

    /// Applies several commands as one undo step (e.g. moving a selection, or
    /// a fader gesture). All or nothing: if one fails, the ones before it are
    /// reverted and the error is returned. Returns what the last command created.
    pub fn apply_group(
        &mut self,
        label: impl Into<String>,
        cmds: Vec<Command>,
    ) -> Result<Created, EditError> {
        if cmds.is_empty() {
            return Err(EditError::EmptyGroup);
        }
        let next_id_before = self.project.next_id;
        let mut inverse: Vec<Command> = Vec::new();
        let mut created = Created::Nothing;
        for cmd in &cmds {
            match apply(&mut self.project, cmd) {
                Ok((c, mut inv)) => {
                    if c != Created::Nothing {
                        created = c;
                    }
                    // Later commands are undone first.
                    inv.append(&mut inverse);
                    inverse = inv;
                }
                Err(e) => {
                    revert(&mut self.project, &inverse);
                    self.project.next_id = next_id_before;
                    return Err(e);
                }
            }
        }
        self.undo.push(Edit {
            label: label.into(),
            forward: cmds,
            inverse,
            next_id_before,
        });
        self.redo.clear();
        self.revision += 1;
        Ok(created)
    }

    /// Reverts the last edit. Returns false when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        let Some(edit) = self.undo.pop() else {
            return false;
        };
        revert(&mut self.project, &edit.inverse);
        self.project.next_id = edit.next_id_before;
        self.redo.push(edit);
        self.revision += 1;
        true
    }

    /// Re-applies the last undone edit. Returns false when there is nothing to redo.
    pub fn redo(&mut self) -> bool {
        let Some(edit) = self.redo.pop() else {
            return false;
        };
        let mut inverse = Vec::new();
        for cmd in &edit.forward {
            // The project is exactly as it was when these commands first
            // succeeded, so they succeed again.
            if let Ok((_, mut inv)) = apply(&mut self.project, cmd) {
                inv.append(&mut inverse);
                inverse = inv;
            }
        }
        self.undo.push(Edit { inverse, ..edit });
        self.revision += 1;
        true
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Label of the edit Undo would revert.
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(|e| e.label.as_str())
    }

    /// Label of the edit Redo would re-apply.
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|e| e.label.as_str())
    }
}

fn revert(p: &mut Project, inverse: &[Command]) {
    for cmd in inverse {
        // Inverse commands were produced from the state they restore; they
        // cannot fail on it.
        let _ = apply(p, cmd);
    }
}
