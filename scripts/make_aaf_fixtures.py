#!/usr/bin/env python3
"""Writes the AAF turnover fixtures in crates/dubstage-interchange/tests/fixtures/.

The files are written by pyaaf2 (an independent AAF writer), laid out as
Avid Media Composer lays out a turnover: a top-level CompositionMob whose
clips reference MasterMobs, each MasterMob a file SourceMob (its essence
descriptor, and its essence embedded or linked by a NetworkLocator), and
each file SourceMob a tape (or import) SourceMob that carries the source
timecode.

    python3 -m venv /tmp/otio && /tmp/otio/bin/pip install pyaaf2==1.7.1
    /tmp/otio/bin/python scripts/make_aaf_fixtures.py

The scene is the one of scripts/make_turnover_fixtures.py (the numbers are
in crates/dubstage-interchange/tests/turnover.rs), with what AAF adds:

  - the music track's slot counts in samples (48000 edit rate, as
    Premiere Pro and Resolve write audio tracks) and its MasterMob slot at
    25 fps whatever the timeline's rate (a mixed-rate source);
  - A001_C003's timecode comes from its tape's timecode track starting at
    midnight and the file's offset into the tape (10:00:00:00 in samples);
    A001_C004's from a tape whose timecode track starts at 10:02:00:00;
  - A001_C004 has a clip gain of 1/2 (Mono Audio Gain, constant
    Amplitude: -6.02 dB); the music has a volume automation (Mono Audio
    Gain, varying Amplitude) that the importer reports as not carried;
  - the marker "Door slam" is a DescriptiveMarker on an event slot.

scene12_{23976,25,2997df}.aaf link their media (file:///turnover/media/...);
protools_25.aaf and resolve_25.aaf carry those writers' quirks (see
write_vendor); loop.aaf is damage (see write_loop); nested_25.aaf is a reel that plays part of a nested sequence (see
write_nested). scene12_25_embedded.aaf embeds it (16-bit A001_C003, 24-bit A001_C004,
16-bit Score_01, all mono, 48 kHz), each sample given by embedded_sample()
below so that a test can check the extracted files bit for bit.
"""

import os
import struct
import tempfile
import wave

import aaf2

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "dubstage-interchange", "tests", "fixtures")
RATES = {"23976": (24000, 1001), "25": (25, 1), "2997df": (30000, 1001)}
NOMINAL = {"23976": 24, "25": 25, "2997df": 30}
SR = 48000


def tc_frames(h, m, s, f, key):
    base = NOMINAL[key]
    frames = ((h * 60 + m) * 60 + s) * base + f
    if key == "2997df":
        minutes = h * 60 + m
        frames -= 2 * (minutes - minutes // 10)
    return frames


def samples(frames, key):
    """Frames at the rate as the nearest sample (exact fraction)."""
    num, den = RATES[key]
    n = frames * SR * den
    return (2 * n + num) // (2 * num)


# The embedded media: (name, sample width in bytes, seconds, index).
EMBEDDED = [("A001_C003", 2, 5.2, 1), ("A001_C004", 3, 6.2, 2), ("Score_01", 2, 4.1, 3)]


def embedded_sample(i, index, width):
    """Sample i of embedded file `index`: a pattern that uses every bit."""
    bits = 8 * width
    v = (i * 7919 + index * 104729 + (i * i) % 65521) % (1 << bits)
    return v - (1 << (bits - 1))


def write_wav(path, width, frames, index):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(SR)
        data = bytearray()
        for i in range(frames):
            data += embedded_sample(i, index, width).to_bytes(width, "little", signed=True)
        w.writeframes(bytes(data))


def master(f, name, wav, tape_name, tape_rate, fps, drop, tape_tc_start, file_offset, master_rate, url, embedded, length):
    """A MasterMob over a file SourceMob over a tape SourceMob."""
    tape_clip = None
    if tape_name is not None:
        tape = f.create.SourceMob()
        f.content.mobs.append(tape)
        tape.create_tape_slots(tape_name, tape_rate, fps, drop, media_kind="sound")
        for slot in tape.slots:
            if isinstance(slot.segment, aaf2.components.Timecode):
                slot.segment.start = tape_tc_start
        tape_clip = tape.create_source_clip(slot_id=1, start=file_offset)
    m = f.create.MasterMob(name)
    f.content.mobs.append(m)
    slot = m.import_audio_essence(wav, SR, tape=tape_clip, offline=not embedded)
    file_mob = slot.segment.mob
    desc = file_mob.descriptor
    desc.length = length
    file_mob.slot_at(1).segment.length = length
    if url:
        loc = f.create.NetworkLocator()
        loc["URLString"].value = url
        desc["Locator"].append(loc)
    if master_rate != SR:
        # The MasterMob's slot at another rate (its clip into the file
        # mob counts in that rate too).
        slot.edit_rate = master_rate
        slot.segment.length = length * master_rate.numerator // (master_rate.denominator * SR)
    else:
        slot.segment.length = length
    return m


def gain_group(f, inner, amplitude=None, points=None):
    opdef = f.create.OperationDef("9d2ea894-0968-11d3-8a38-0050040ef7d2", "Mono Audio Gain")
    opdef.media_kind = "sound"
    opdef["NumberInputs"].value = 1
    f.dictionary.register_def(opdef)
    typedef = f.dictionary.lookup_typedef("Rational")
    pdef = f.create.ParameterDef("e4962321-2267-11d3-8a4c-0050040ef7d2", "Amplitude", "Amplitude multiplier", typedef)
    f.dictionary.register_def(pdef)
    group = f.create.OperationGroup(opdef, inner.length)
    group.media_kind = "sound"
    group.segments.append(inner)
    if points is None:
        c = f.create.ConstantValue()
        c.parameterdef = pdef
        c.value = amplitude
        group.parameters.append(c)
    else:
        interp = f.create.InterpolationDef(aaf2.misc.LinearInterp, "LinearInterp", "Linear")
        f.dictionary.register_def(interp)
        v = f.create.VaryingValue()
        v.parameterdef = pdef
        v["Interpolation"].value = interp
        for t, val in points:
            cp = f.create.ControlPoint()
            cp["Time"].value = t
            cp["Value"].value = val
            cp["EditHint"].value = "Proportional"
            v["PointList"].append(cp)
        group.parameters.append(v)
    return group


def dissolve(f, length, cut):
    opdef = f.create.OperationDef("0c3bea41-fc05-11d2-8a29-0050040ef7d2", "Mono Audio Dissolve")
    opdef.media_kind = "sound"
    opdef["NumberInputs"].value = 2
    f.dictionary.register_def(opdef)
    group = f.create.OperationGroup(opdef, length)
    group.media_kind = "sound"
    t = f.create.Transition("sound", length)
    t["OperationGroup"].value = group
    t["CutPoint"].value = cut
    return t


def write(key, path, embedded, wavs):
    rate = aaf2.rational.AAFRational(*RATES[key])
    fps = NOMINAL[key]
    drop = key == "2997df"
    start = tc_frames(1, 0, 0, 0, key)
    t3 = tc_frames(10, 0, 0, 0, key)
    t4 = tc_frames(10, 2, 0, 0, key)
    minute = 60 * SR
    with aaf2.open(path, "w") as f:
        def url(name, folder="media"):
            return None if embedded else f"file:///turnover/{folder}/{name}"
        lengths = {n: int(sec * SR) for n, _, sec, _ in EMBEDDED} if embedded else {}
        # A001_C003: its tape's timecode starts at midnight; the file sits
        # at 10:00:00:00 into the tape (counted in samples).
        m3 = master(f, "A001_C003", wavs["A001_C003"], "A001", rate, fps, drop, 0,
                    samples(t3, key), SR, url("A001_C003.wav"), embedded,
                    lengths.get("A001_C003", minute))
        # A001_C004: its tape's timecode track starts at 10:02:00:00.
        m4 = master(f, "A001_C004", wavs["A001_C004"], "A001", rate, fps, drop, t4,
                    0, SR, url("A001_C004.wav"), embedded, lengths.get("A001_C004", minute))
        # Score_01: no tape (no timecode); its MasterMob slot at 25 fps.
        ms = master(f, "Score_01", wavs["Score_01"], None, None, None, False, 0, 0, aaf2.rational.AAFRational(25, 1),
                    url("Score_01.wav"), embedded, lengths.get("Score_01", minute))
        # The reference movie: a picture MasterMob over a file mob with a
        # locator over a tape whose timecode starts at 00:59:58:00.
        tape = f.create.SourceMob()
        f.content.mobs.append(tape)
        tape.create_tape_slots("REF", rate, fps, drop, media_kind="picture")
        for slot in tape.slots:
            if isinstance(slot.segment, aaf2.components.Timecode):
                slot.segment.start = tc_frames(0, 59, 58, 0, key)
        movie_file = f.create.SourceMob("scene12_ref.mov")
        f.content.mobs.append(movie_file)
        d = f.create.CDCIDescriptor()
        d["ComponentWidth"].value = 8
        d["HorizontalSubsampling"].value = 2
        d["StoredHeight"].value = 1080
        d["StoredWidth"].value = 1920
        d["FrameLayout"].value = "FullFrame"
        d["VideoLineMap"].value = [42, 0]
        d["ImageAspectRatio"].value = "16/9"
        movie_file.descriptor = d
        movie_file.descriptor["Length"].value = 20 * fps
        movie_file.descriptor["SampleRate"].value = rate
        loc = f.create.NetworkLocator()
        loc["URLString"].value = "file:///turnover/picture/scene12_ref.mov"
        movie_file.descriptor["Locator"].append(loc)
        fslot = movie_file.create_timeline_slot(rate, 1)
        fslot.segment = tape.create_source_clip(slot_id=1, start=0, length=20 * fps)
        fslot.segment.media_kind = "picture"
        movie = f.create.MasterMob("scene12_ref")
        f.content.mobs.append(movie)
        mslot = movie.create_timeline_slot(rate, 1)
        mslot.segment = movie_file.create_source_clip(slot_id=1, start=0, length=20 * fps)

        comp = f.create.CompositionMob("Scene 12")
        comp.usage = "Usage_TopLevel"
        f.content.mobs.append(comp)
        tc = comp.create_timeline_slot(rate)
        tc.name = "TC1"
        tc.segment = f.create.Timecode(fps, drop=drop)
        tc.segment.start = start
        v1 = comp.create_picture_slot(rate)
        v1.name = "V1"
        v1["PhysicalTrackNumber"].value = 1
        v1.segment.components.append(movie.create_source_clip(slot_id=1, start=2 * fps, length=150))
        # A1: 12 frames of filler; A001_C003 48 frames in for 78 frames
        # (72 and the dissolve's 6 past the cut); a 12-frame dissolve cut
        # in its middle; A001_C004 94 frames in for 56 frames, at -6.02 dB.
        a1 = comp.create_sound_slot(rate)
        a1.name = "A1"
        a1["PhysicalTrackNumber"].value = 1
        seq = a1.segment
        seq.components.append(f.create.Filler("sound", 12))
        seq.components.append(m3.create_source_clip(slot_id=1, start=48, length=78))
        seq.components.append(dissolve(f, 12, 6))
        c4 = m4.create_source_clip(slot_id=1, start=94, length=56)
        seq.components.append(gain_group(f, c4, amplitude=aaf2.rational.AAFRational(1, 2)))
        seq.length = 12 + 78 - 12 + 56
        # A2, the music: counted in samples.
        a2 = comp.create_sound_slot(SR)
        a2.name = "Music"
        a2["PhysicalTrackNumber"].value = 2
        seq = a2.segment
        seq.components.append(f.create.Filler("sound", samples(24, key)))
        length = samples(96, key)
        cs = ms.create_source_clip(slot_id=1, start=0, length=length)
        seq.components.append(gain_group(f, cs, points=[
            (aaf2.rational.AAFRational(0, 1), aaf2.rational.AAFRational(1, 1)),
            (aaf2.rational.AAFRational(1, 1), aaf2.rational.AAFRational(1, 4)),
        ]))
        seq.length = samples(24, key) + length
        # The marker on an event slot.
        ev = f.create.EventMobSlot()
        ev["SlotID"].value = 1000
        ev["EditRate"].value = rate
        ev["PhysicalTrackNumber"].value = 1
        ev_seq = f.create.Sequence("DescriptiveMetadata")
        mark = f.create.DescriptiveMarker()
        mark["Position"].value = 30
        mark["Comment"].value = "Door slam"
        mark["Length"].value = 1
        mark["DescribedSlots"].value = [a1.slot_id]
        ev_seq.components.append(mark)
        ev["Segment"].value = ev_seq
        comp.slots.append(ev)


def write_nested(path, wavs):
    """A reel whose dialogue track plays part of a nested sequence: 10
    frames of filler, then frames 20..120 of "Scene 12 (nest)", whose A1 is
    A001_C003 from its start for 60 frames, then A001_C004 from its start
    for 80 (a cut at nested frame 60), all at 25 fps."""
    key = "25"
    rate = aaf2.rational.AAFRational(25, 1)
    t3 = tc_frames(10, 0, 0, 0, key)
    t4 = tc_frames(10, 2, 0, 0, key)
    minute = 60 * SR
    with aaf2.open(path, "w") as f:
        m3 = master(f, "A001_C003", wavs["A001_C003"], "A001", rate, 25, False, 0,
                    samples(t3, key), SR, "file:///turnover/media/A001_C003.wav", False, minute)
        m4 = master(f, "A001_C004", wavs["A001_C004"], "A001", rate, 25, False, t4,
                    0, SR, "file:///turnover/media/A001_C004.wav", False, minute)
        nest = f.create.CompositionMob("Scene 12 (nest)")
        f.content.mobs.append(nest)
        n1 = nest.create_sound_slot(rate)
        n1.name = "A1"
        n1.segment.components.append(m3.create_source_clip(slot_id=1, start=0, length=60))
        n1.segment.components.append(m4.create_source_clip(slot_id=1, start=0, length=80))
        n1.segment.length = 140
        comp = f.create.CompositionMob("Reel 1")
        comp.usage = "Usage_TopLevel"
        f.content.mobs.append(comp)
        tc = comp.create_timeline_slot(rate)
        tc.segment = f.create.Timecode(25)
        tc.segment.start = tc_frames(1, 0, 0, 0, key)
        a1 = comp.create_sound_slot(rate)
        a1.name = "A1"
        a1.segment.components.append(f.create.Filler("sound", 10))
        a1.segment.components.append(nest.create_source_clip(slot_id=n1.slot_id, start=20, length=100))
        a1.segment.length = 110


def write_loop(path):
    """Damage an AAF writer could make: a composition whose track plays
    itself three times over, after two fillers each 2^62 frames long."""
    rate = aaf2.rational.AAFRational(25, 1)
    with aaf2.open(path, "w") as f:
        comp = f.create.CompositionMob("Loop")
        comp.usage = "Usage_TopLevel"
        f.content.mobs.append(comp)
        a1 = comp.create_sound_slot(rate)
        a1.name = "A1"
        a1.segment.components.append(f.create.Filler("sound", 1 << 62))
        a1.segment.components.append(f.create.Filler("sound", 1 << 62))
        for _ in range(3):
            clip = f.create.SourceClip(media_kind="sound", length=25)
            clip.mob_id = comp.mob_id
            clip.slot_id = a1.slot_id
            a1.segment.components.append(clip)
        a1.segment.length = 75


def write_vendor(path, wavs, vendor):
    """The quirks of two writers, at 25 fps, A1 only:

    - "protools" (Identification: Digidesign, Inc. / ProTools): A001_C003
      for 40 frames from 10 frames in, a rendered fade clip "Fade " of 8
      frames, A001_C004 for 40 frames from 20 frames in (so a crossfade of
      8 frames); then, after 20 frames of filler, a 1-frame "Sample
      accurate edit" clip followed by A001_C003 again from 60 frames in for
      30 frames;
    - "resolve" (Blackmagic Design / DaVinci Resolve): A001_C003 for 40
      frames, then a disabled clip (a Selector selecting a Filler, the clip
      A001_C004 as its alternate) of 30 frames.
    """
    key = "25"
    rate = aaf2.rational.AAFRational(25, 1)
    t3 = tc_frames(10, 0, 0, 0, key)
    t4 = tc_frames(10, 2, 0, 0, key)
    minute = 60 * SR
    with aaf2.open(path, "w") as f:
        ident = f.header["IdentificationList"].value[0]
        if vendor == "protools":
            ident["CompanyName"].value = "Digidesign, Inc."
            ident["ProductName"].value = "ProTools"
        else:
            ident["CompanyName"].value = "Blackmagic Design"
            ident["ProductName"].value = "DaVinci Resolve"
        m3 = master(f, "A001_C003", wavs["A001_C003"], "A001", rate, 25, False, 0,
                    samples(t3, key), SR, "file:///turnover/media/A001_C003.wav", False, minute)
        m4 = master(f, "A001_C004", wavs["A001_C004"], "A001", rate, 25, False, t4,
                    0, SR, "file:///turnover/media/A001_C004.wav", False, minute)
        comp = f.create.CompositionMob("Vendor")
        comp.usage = "Usage_TopLevel"
        f.content.mobs.append(comp)
        tc = comp.create_timeline_slot(rate)
        tc.segment = f.create.Timecode(25)
        tc.segment.start = tc_frames(1, 0, 0, 0, key)
        a1 = comp.create_sound_slot(rate)
        a1.name = "A1"
        seq = a1.segment
        if vendor == "protools":
            fade = master(f, "Fade ", wavs["A001_C003"], None, None, None, False, 0, 0, SR,
                          "file:///turnover/media/Fade.wav", False, 8 * SR // 25)
            sae = master(f, "Sample accurate edit", wavs["A001_C003"], None, None, None, False, 0, 0, SR,
                         "file:///turnover/media/SAE.wav", False, SR // 25)
            seq.components.append(m3.create_source_clip(slot_id=1, start=10, length=40))
            seq.components.append(fade.create_source_clip(slot_id=1, start=0, length=8))
            seq.components.append(m4.create_source_clip(slot_id=1, start=20, length=40))
            seq.components.append(f.create.Filler("sound", 20))
            seq.components.append(sae.create_source_clip(slot_id=1, start=0, length=1))
            seq.components.append(m3.create_source_clip(slot_id=1, start=60, length=30))
            seq.length = 40 + 8 + 40 + 20 + 1 + 30
        else:
            seq.components.append(m3.create_source_clip(slot_id=1, start=0, length=40))
            sel = f.create.Selector()
            sel.media_kind = "sound"
            sel["Length"].value = 30
            sel["Selected"].value = f.create.Filler("sound", 30)
            sel["Alternates"].append(m4.create_source_clip(slot_id=1, start=0, length=30))
            seq.components.append(sel)
            seq.length = 70


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Linked: the WAVs only give the descriptors their format.
        stubs = {}
        for name, width, _, index in EMBEDDED:
            p = os.path.join(tmp, name + ".wav")
            write_wav(p, width, 1, index)
            stubs[name] = p
        for key in RATES:
            write(key, os.path.join(OUT, f"scene12_{key}.aaf"), False, stubs)
        full = {}
        for name, width, sec, index in EMBEDDED:
            p = os.path.join(tmp, name + "_full.wav")
            write_wav(p, width, int(sec * SR), index)
            full[name] = p
        write("25", os.path.join(OUT, "scene12_25_embedded.aaf"), True, full)
        write_nested(os.path.join(OUT, "nested_25.aaf"), stubs)
    write_loop(os.path.join(OUT, "loop.aaf"))
    with tempfile.TemporaryDirectory() as tmp:
        stubs = {}
        for name, width, _, index in EMBEDDED:
            p = os.path.join(tmp, name + ".wav")
            write_wav(p, width, 1, index)
            stubs[name] = p
        write_vendor(os.path.join(OUT, "protools_25.aaf"), stubs, "protools")
        write_vendor(os.path.join(OUT, "resolve_25.aaf"), stubs, "resolve")


if __name__ == "__main__":
    main()
