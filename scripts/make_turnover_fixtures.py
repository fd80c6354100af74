#!/usr/bin/env python3
"""Writes the turnover fixtures in crates/dubstage-interchange/tests/fixtures/.

The OTIO and FCP7 XML files are written by OpenTimelineIO and its FCP7 XML
adapter (independent writers); the EDLs are written here to the CMX3600
layout, since OpenTimelineIO's EDL writer handles video tracks only; the
FCPXML files are written here to the layout Final Cut Pro 10.6 exports
(version 1.10: assets with media-rep, a primary storyline with the
reference movie, the dialogue as a connected storyline with its dissolve,
the music as a connected clip), since OpenTimelineIO's FCPXML writer drops
the start timecode and transitions and nests audio in gaps of the wrong
time base. The AAF fixtures are scripts/make_aaf_fixtures.py's.

    python3 -m venv /tmp/otio && /tmp/otio/bin/pip install opentimelineio==0.17.0 otio-fcp-adapter
    /tmp/otio/bin/python scripts/make_turnover_fixtures.py

Every fixture is the same little scene at one frame rate, starting at
01:00:00:00 (the numbers are in crates/dubstage-interchange/tests/turnover.rs):

  A1 (dialogue): 12 frames of gap, then A001_C003.wav (its timecode starts
      at 10:00:00:00) from 48 frames in, for 72 frames; a 12-frame cross
      dissolve (6 frames each side of the cut) into A001_C004.wav (its
      timecode starts at 10:02:00:00) from 100 frames in, for 50 frames.
  A2 (music): from frame 24, Score_01.wav (no timecode) from its start for
      96 frames; in the OTIO file its source range is at 25 fps whatever
      the timeline's rate (a mixed-rate source).
  A marker "Door slam" at frame 30.
  V1: the reference movie scene12_ref.mov (its timecode starts at
      00:59:58:00), from two seconds in, at the start (not in the EDLs).
"""

import os
import opentimelineio as otio

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "dubstage-interchange", "tests", "fixtures")

RATES = {"23976": 24000 / 1001, "25": 25.0, "2997df": 30000 / 1001}
NOMINAL = {"23976": 24, "25": 25, "2997df": 30}


def tc_frames(h, m, s, f, key):
    """Frames since midnight of a timecode (drop-frame for 29.97 DF)."""
    base = NOMINAL[key]
    frames = ((h * 60 + m) * 60 + s) * base + f
    if key == "2997df":
        minutes = h * 60 + m
        frames -= 2 * (minutes - minutes // 10)
    return frames


def tc_string(frames, key):
    base = NOMINAL[key]
    if key == "2997df":
        d, m = divmod(frames, 17982)
        frames += 18 * d + (2 * ((m - 2) // 1798) if m >= 2 else 0)
    f = frames % base
    s = frames // base % 60
    mi = frames // (base * 60) % 60
    h = frames // (base * 3600)
    sep = ";" if key == "2997df" else ":"
    return f"{h:02}:{mi:02}:{s:02}{sep}{f:02}"


def timeline(key):
    rate = RATES[key]
    start = tc_frames(1, 0, 0, 0, key)
    t3 = tc_frames(10, 0, 0, 0, key)
    t4 = tc_frames(10, 2, 0, 0, key)
    tl = otio.schema.Timeline(name="Scene 12")
    tl.global_start_time = RT(start, rate)
    a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    a1.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(12, rate))))
    c3 = otio.schema.Clip(
        name="A001_C003",
        media_reference=otio.schema.ExternalReference(
            target_url="file:///turnover/media/A001_C003.wav",
            available_range=TR(RT(t3, rate), RT(rate * 60, rate)),
        ),
        source_range=TR(RT(t3 + 48, rate), RT(72, rate)),
    )
    a1.append(c3)
    a1.append(
        otio.schema.Transition(
            transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
            in_offset=RT(6, rate),
            out_offset=RT(6, rate),
        )
    )
    c4 = otio.schema.Clip(
        name="A001_C004",
        media_reference=otio.schema.ExternalReference(
            target_url="file:///turnover/media/A001_C004.wav",
            available_range=TR(RT(t4, rate), RT(rate * 60, rate)),
        ),
        source_range=TR(RT(t4 + 100, rate), RT(50, rate)),
    )
    a1.append(c4)
    a2 = otio.schema.Track(name="Music", kind=otio.schema.TrackKind.Audio)
    a2.append(otio.schema.Gap(source_range=TR(RT(0, rate), RT(24, rate))))
    a2.append(
        otio.schema.Clip(
            name="Score_01",
            media_reference=otio.schema.ExternalReference(
                target_url="file:///turnover/media/Score_01.wav",
                available_range=TR(RT(0, rate), RT(rate * 60, rate)),
            ),
            source_range=TR(RT(0, rate), RT(96, rate)),
        )
    )
    # The reference movie on V1: its first frame (timecode 00:59:58:00,
    # two seconds before the start) is used from 50 frames in, at the
    # start: so the movie's first frame sits two seconds before the start.
    v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    mov = tc_frames(0, 59, 58, 0, key)
    v1.append(
        otio.schema.Clip(
            name="scene12_ref",
            media_reference=otio.schema.ExternalReference(
                target_url="file:///turnover/picture/scene12_ref.mov",
                available_range=TR(RT(mov, rate), RT(rate * 20, rate)),
            ),
            source_range=TR(RT(mov + 2 * NOMINAL[key], rate), RT(150, rate)),
        )
    )
    tl.tracks.append(v1)
    tl.tracks.append(a1)
    tl.tracks.append(a2)
    tl.tracks.markers.append(
        otio.schema.Marker(name="Door slam", marked_range=TR(RT(30, rate), RT(0, rate)))
    )
    return tl


def edl(key):
    """The scene as a CMX3600 EDL (A1 on channel A, the music on A2)."""
    start = tc_frames(1, 0, 0, 0, key)
    t3 = tc_frames(10, 0, 0, 0, key)
    t4 = tc_frames(10, 2, 0, 0, key)
    tc = lambda f: tc_string(f, key)
    fcm = "DROP FRAME" if key == "2997df" else "NON-DROP FRAME"
    lines = [f"TITLE: Scene 12", f"FCM: {fcm}", ""]
    # Event 1: A001_C003 from 48 frames in, 12 frames after the start, up
    # to the cut at 84 (the dissolve is centred on it: 78..90).
    rec1 = start + 12
    lines.append(f"001  A001C003 A     C        {tc(t3 + 48)} {tc(t3 + 48 + 66)} {tc(rec1)} {tc(rec1 + 66)}")
    lines.append("* FROM CLIP NAME: A001_C003")
    lines.append("* SOURCE FILE: A001_C003.wav")
    lines.append("")
    # Event 2: the dissolve from event 1 into A001_C004, starting at 78.
    rec2 = start + 78
    lines.append(f"002  A001C003 A     C        {tc(t3 + 48 + 66)} {tc(t3 + 48 + 66)} {tc(rec2)} {tc(rec2)}")
    lines.append(f"002  A001C004 A     D    012 {tc(t4 + 94)} {tc(t4 + 150)} {tc(rec2)} {tc(rec2 + 56)}")
    lines.append("* FROM CLIP NAME: A001_C004")
    lines.append("")
    # Event 3: the music on A2, a source with no timecode.
    rec3 = start + 24
    lines.append(f"003  AX       A2    C        {tc(0)} {tc(96)} {tc(rec3)} {tc(rec3 + 96)}")
    lines.append("* FROM CLIP NAME: Score_01")
    lines.append("* SOURCE FILE: Score_01.wav")
    lines.append("")
    lines.append(f"* LOC: {tc(start + 30)} RED     Door slam")
    return "\n".join(lines) + "\n"


def fcpxml(key):
    """The scene as FCPXML 1.10, laid out as Final Cut Pro exports it."""
    num, den = {"23976": (24000, 1001), "25": (25, 1), "2997df": (30000, 1001)}[key]

    def t(frames):
        """`frames` at the rate as FCPXML's rational seconds."""
        n, d = frames * den, num
        if n % d == 0:
            return f"{n // d}s"
        return f"{n}/{d}s"

    start = tc_frames(1, 0, 0, 0, key)
    t3 = tc_frames(10, 0, 0, 0, key)
    t4 = tc_frames(10, 2, 0, 0, key)
    mov = tc_frames(0, 59, 58, 0, key)
    nominal = NOMINAL[key]
    minute = 60 * nominal
    tc_format = "DF" if key == "2997df" else "NDF"
    name = {"23976": "FFVideoFormat1080p2398", "25": "FFVideoFormat1080p25", "2997df": "FFVideoFormat1080p2997"}[key]

    def asset(id_, nm, first, frames, url, video, reel=None):
        kind = 'hasVideo="1" format="r1" hasAudio="0"' if video else 'hasAudio="1" audioSources="1" audioChannels="1" audioRate="48000"'
        md = f'\n            <metadata>\n                <md key="com.apple.proapps.studio.reel" value="{reel}"/>\n            </metadata>' if reel else ""
        return (f'        <asset id="{id_}" name="{nm}" uid="{id_.upper()}0000" start="{t(first)}" duration="{t(frames)}" {kind}>\n'
                f'            <media-rep kind="original-media" src="{url}"/>{md}\n'
                f'        </asset>')

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!DOCTYPE fcpxml>",
        "",
        '<fcpxml version="1.10">',
        "    <resources>",
        f'        <format id="r1" name="{name}" frameDuration="{t(1)}" width="1920" height="1080" colorSpace="1-1-1 (Rec. 709)"/>',
        asset("r2", "scene12_ref", mov, 20 * nominal, "file:///turnover/picture/scene12_ref.mov", True),
        asset("r3", "A001_C003", t3, minute, "file:///turnover/media/A001_C003.wav", False, "A001"),
        asset("r4", "A001_C004", t4, minute, "file:///turnover/media/A001_C004.wav", False, "A001"),
        asset("r5", "Score_01", 0, minute, "file:///turnover/media/Score_01.wav", False),
        "    </resources>",
        "    <library>",
        '        <event name="Turnover">',
        '            <project name="Scene 12">',
        f'                <sequence format="r1" duration="{t(150)}" tcStart="{t(start)}" tcFormat="{tc_format}" audioLayout="stereo" audioRate="48k">',
        "                    <spine>",
        # The reference movie on the primary storyline, from 2 s in.
        f'                        <asset-clip ref="r2" offset="{t(start)}" name="scene12_ref" start="{t(mov + 2 * nominal)}" duration="{t(150)}" tcFormat="{tc_format}">',
        # The dialogue: a connected storyline 12 frames in, with the
        # dissolve centred on the cut (6 frames each side).
        f'                            <spine lane="-1" offset="{t(mov + 2 * nominal + 12)}">',
        f'                                <asset-clip ref="r3" offset="0s" name="A001_C003" start="{t(t3 + 48)}" duration="{t(72)}" audioRole="dialogue" tcFormat="{tc_format}"/>',
        f'                                <transition name="Cross Dissolve" offset="{t(66)}" duration="{t(12)}">',
        '                                    <filter-audio ref="r6" name="Audio Crossfade"/>',
        "                                </transition>",
        f'                                <asset-clip ref="r4" offset="{t(72)}" name="A001_C004" start="{t(t4 + 100)}" duration="{t(50)}" audioRole="dialogue" tcFormat="{tc_format}">',
        '                                    <adjust-volume amount="-6dB"/>',
        "                                </asset-clip>",
        "                            </spine>",
        # The music: a connected clip 24 frames in, a second lane down.
        f'                            <asset-clip ref="r5" lane="-2" offset="{t(mov + 2 * nominal + 24)}" name="Score_01" start="0s" duration="{t(96)}" audioRole="music"/>',
        f'                            <marker start="{t(mov + 2 * nominal + 30)}" duration="{t(1)}" value="Door slam"/>',
        "                        </asset-clip>",
        "                    </spine>",
        "                </sequence>",
        "            </project>",
        "        </event>",
        "    </library>",
        "</fcpxml>",
    ]
    lines.insert(10, '        <effect id="r6" name="Audio Crossfade" uid="FFAudioTransition"/>')
    return "\n".join(lines) + "\n"


def main():
    os.makedirs(OUT, exist_ok=True)
    for key in RATES:
        tl = timeline(key)
        otio.adapters.write_to_file(tl, os.path.join(OUT, f"scene12_{key}.otio"))
        # The FCP7 XML: the music's 25 fps source range is a timeline-rate
        # one there (the format has one rate per clip item).
        for clip in tl.find_clips():
            if clip.name == "Score_01":
                clip.source_range = TR(RT(0, RATES[key]), RT(96, RATES[key]))
        otio.adapters.write_to_file(tl, os.path.join(OUT, f"scene12_{key}.xml"))
        with open(os.path.join(OUT, f"scene12_{key}.edl"), "w") as f:
            f.write(edl(key))
        with open(os.path.join(OUT, f"scene12_{key}.fcpxml"), "w") as f:
            f.write(fcpxml(key))
    # The OTIO fixtures' mixed-rate source: the music's source range at 25 fps.
    for key in RATES:
        path = os.path.join(OUT, f"scene12_{key}.otio")
        tl = otio.adapters.read_from_file(path)
        for clip in tl.find_clips():
            if clip.name == "Score_01":
                clip.source_range = TR(RT(0, 25), RT(100, 25))
        otio.adapters.write_to_file(tl, path)


if __name__ == "__main__":
    main()
