#!/usr/bin/env python3
"""Draws the picture for the bundled Dubstage demo scene.

    python3 scripts/make_demo_picture.py

Reads the markers of assets/demo/demo.dubstage and writes
assets/demo/picture/kitchen_night.mp4: a simple storyboard of
INT. KITCHEN - NIGHT drawn with ffmpeg filters, so that the sync events of the
sound (the door, the glass, every dialogue line) can be checked against
picture frame by frame.

    640x360, 24/1 fps, 74 s = 1776 frames, H.264 (yuv420p, a keyframe every
    second), start timecode 01:00:00:00, no audio.

What it shows:
    - a title card for the first 3 s;
    - the timecode and the frame number burned into the top-right corner;
    - the door swinging shut over the 12 frames before the "Door" marker,
      fully closed on the marker's frame, with a 2-frame white flash and a
      "DOOR SHUTS" caption from that frame;
    - a glass lowered onto the table, touching it on the "Glass" marker's
      frame, with a "GLASS" caption from that frame;
    - every other marker's name as a caption for 1.5 s from its frame.

A marker's frame is floor(position * 24 / sample_rate); frame 0 is
01:00:00:00, the session start.

Needs python3 (standard library only) and ffmpeg with libx264 and drawtext.
The output is replaced atomically; running the script again rewrites it.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo"
PROJECT_FILE = DEMO / "demo.dubstage"
PICTURE_DIR = DEMO / "picture"
OUTPUT = PICTURE_DIR / "kitchen_night.mp4"

W, H = 640, 360
FPS = 24
SECONDS = 74
FRAMES = FPS * SECONDS  # 1776
START_TC = "01:00:00:00"

TITLE_FRAMES = 3 * FPS  # title card: the first 3 s
CAPTION_FRAMES = FPS * 3 // 2  # captions stay up 1.5 s
DOOR_SWING = 12  # frames the door takes to swing shut, before the marker frame
FLASH_FRAMES = 2
GLASS_HOLD = 30  # frames the glass is held still above the table
GLASS_DROP = 16  # frames it takes to come down onto the table
GLASS_LIFT = 64  # pixels above the table where it starts

# Layout (pixels).
WALL_BOTTOM = 272
DOOR_X, DOOR_Y, DOOR_W, DOOR_H = 64, 84, 104, 188
DOOR_OPEN_W = 10  # panel width seen edge-on while the door is open
WINDOW_X, WINDOW_Y, WINDOW_W, WINDOW_H = 300, 70, 120, 84
TABLE_X, TABLE_W, TABLE_TOP, TABLE_THICK = 396, 180, 232, 8
GLASS_X, GLASS_W, GLASS_H = 484, 22, 34
CAPTION_ROWS = (296, 326)  # text top of each caption row at the bottom

# Colours.
BG = "0x14171d"
WALL = "0x1e222b"
FLOOR = "0x18140f"
LINE = "0x3c424f"
HALL_LIGHT = "0xd8b56a"
DOOR_PANEL = "0x6e4c2c"
DOOR_EDGE = "0x4a321c"
WINDOW = "0x0b1730"
TABLE = "0x8a6a45"
GLASS = "0xa8dcea"
LABEL = "0x5a6170"
ANNA = "0xf4bccb"
BEN = "0xaecbf2"
OTHER = "0xf0e3a0"

MARKER_RE = re.compile(r'Marker\(\s*id:\s*(\d+),\s*position:\s*(-?\d+),\s*name:\s*"((?:[^"\\]|\\.)*)"\s*\)')
SAMPLE_RATE_RE = re.compile(r"^\s*sample_rate:\s*(\d+),", re.M)


# ---------------------------------------------------------------------------
# The project's markers
# ---------------------------------------------------------------------------


def ron_unescape(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def read_markers(path):
    text = path.read_text(encoding="utf-8")
    m = SAMPLE_RATE_RE.search(text)
    if not m:
        sys.exit("%s: no sample_rate found" % path)
    rate = int(m.group(1))
    markers = []
    for mid, pos, name in MARKER_RE.findall(text):
        pos = int(pos)
        markers.append(dict(id=int(mid), position=pos, name=ron_unescape(name), frame=pos * FPS // rate))
    if not markers:
        sys.exit("%s: no markers found" % path)
    markers.sort(key=lambda mk: (mk["position"], mk["id"]))
    return rate, markers


def find_marker(markers, name):
    found = [mk for mk in markers if mk["name"].strip().lower() == name]
    if len(found) != 1:
        sys.exit("expected one marker named %r in %s, found %d" % (name, PROJECT_FILE, len(found)))
    return found[0]


def timecode(frame):
    """01:00:00:00 + frame, non-drop 24 fps."""
    total = 3600 * FPS + frame
    return "%02d:%02d:%02d:%02d" % (total // (3600 * FPS), total // (60 * FPS) % 60, total // FPS % 60, total % FPS)


# ---------------------------------------------------------------------------
# Filter graph text
# ---------------------------------------------------------------------------


def esc(value):
    """Escapes an option value for both levels of ffmpeg's filter graph syntax:
    first the option string (\\ ' :), then the graph description (\\ ' [ ] , ;)."""
    v = str(value)
    v = re.sub(r"([\\':])", r"\\\1", v)
    v = re.sub(r"([\\'\[\],;])", r"\\\1", v)
    return v


def filt(name, **opts):
    return name + "=" + ":".join("%s=%s" % (k, esc(v)) for k, v in opts.items())


def box(x, y, w, h, color, enable=None, t="fill"):
    opts = dict(x=x, y=y, w=w, h=h, color=color, t=t)
    if enable:
        opts["enable"] = enable
    return filt("drawbox", **opts)


def on(frame):
    return "eq(n,%d)" % frame


def between(first, last):
    return "between(n,%d,%d)" % (first, last)


class Graph:
    def __init__(self, tmp, font, mono):
        self.tmp = tmp
        self.font = font
        self.mono = mono
        self.filters = []
        self.n_text = 0

    def add(self, f):
        self.filters.append(f)

    def text(self, text, x, y, size, color, enable=None, box_alpha=0.0, font=None):
        """Draws literal text (from a file, so nothing in it needs escaping)."""
        self.n_text += 1
        path = self.tmp / ("text_%02d.txt" % self.n_text)
        path.write_text(text, encoding="utf-8")
        opts = dict(fontfile=font or self.font, textfile=path, expansion="none",
                    fontsize=size, fontcolor=color, x=x, y=y)
        if box_alpha > 0:
            opts.update(box=1, boxcolor="black@%.2f" % box_alpha, boxborderw=max(4, size // 4))
        if enable:
            opts["enable"] = enable
        self.add(filt("drawtext", **opts))

    def chain(self):
        return ",".join(self.filters)


# ---------------------------------------------------------------------------
# The storyboard
# ---------------------------------------------------------------------------


def speaker_color(name):
    low = name.lower()
    if low.startswith("anna"):
        return ANNA
    if low.startswith("ben"):
        return BEN
    return OTHER


def build(g, markers):
    """Adds the scene's filters to g. Returns [(frame, description)] of the events drawn."""
    events = []
    door = find_marker(markers, "door")
    glass = find_marker(markers, "glass")
    fd, fg = door["frame"], glass["frame"]
    if fd - DOOR_SWING < TITLE_FRAMES or fd + FLASH_FRAMES >= FRAMES:
        sys.exit("the door marker (frame %d) leaves no room for the swing" % fd)
    if fg - GLASS_DROP - GLASS_HOLD < TITLE_FRAMES or fg >= FRAMES:
        sys.exit("the glass marker (frame %d) leaves no room for the glass" % fg)

    # --- the room
    g.add(box(0, 0, W, WALL_BOTTOM, WALL))
    g.add(box(0, WALL_BOTTOM, W, H - WALL_BOTTOM, FLOOR))
    g.add(box(0, WALL_BOTTOM, W, 3, LINE))
    # window, wind outside
    g.add(box(WINDOW_X, WINDOW_Y, WINDOW_W, WINDOW_H, WINDOW))
    g.add(box(WINDOW_X, WINDOW_Y, WINDOW_W, WINDOW_H, LINE, t=4))
    g.add(box(WINDOW_X + WINDOW_W // 2 - 2, WINDOW_Y, 4, WINDOW_H, LINE))
    g.add(box(WINDOW_X, WINDOW_Y + WINDOW_H // 2 - 2, WINDOW_W, 4, LINE))
    g.text("window", WINDOW_X + 4, WINDOW_Y + WINDOW_H + 6, 13, LABEL)
    # table and two chairs
    g.add(box(TABLE_X, TABLE_TOP, TABLE_W, TABLE_THICK, TABLE))
    g.add(box(TABLE_X + 12, TABLE_TOP + TABLE_THICK, 8, WALL_BOTTOM + 40 - TABLE_TOP - TABLE_THICK, TABLE))
    g.add(box(TABLE_X + TABLE_W - 20, TABLE_TOP + TABLE_THICK, 8, WALL_BOTTOM + 40 - TABLE_TOP - TABLE_THICK, TABLE))
    for cx in (TABLE_X - 44, TABLE_X + TABLE_W + 14):
        g.add(box(cx, TABLE_TOP + 14, 30, 6, DOOR_EDGE))
        g.add(box(cx + (0 if cx < TABLE_X else 24), TABLE_TOP - 40, 6, 54, DOOR_EDGE))
        g.add(box(cx + 2, TABLE_TOP + 20, 5, WALL_BOTTOM + 30 - TABLE_TOP - 20, DOOR_EDGE))
        g.add(box(cx + 23, TABLE_TOP + 20, 5, WALL_BOTTOM + 30 - TABLE_TOP - 20, DOOR_EDGE))
    g.text("table", TABLE_X + TABLE_W // 2 - 18, TABLE_TOP + 16, 13, LABEL)

    # --- the door: the hall light shows through the doorway until the panel
    # (hinged on the left) swings across it. Seen from the front, the swing is
    # the panel's width growing; it accelerates and lands on frame fd.
    g.add(box(DOOR_X, DOOR_Y, DOOR_W, DOOR_H, HALL_LIGHT, enable="lt(n,%d)" % fd))
    g.add(box(DOOR_X, DOOR_Y, DOOR_OPEN_W, DOOR_H, DOOR_PANEL, enable="lt(n,%d)" % (fd - DOOR_SWING)))
    swing = []
    for k in range(1, DOOR_SWING + 1):
        frame = fd - DOOR_SWING - 1 + k
        frac = (k / (DOOR_SWING + 1)) ** 2
        w = DOOR_OPEN_W + int(round((DOOR_W - DOOR_OPEN_W) * frac))
        w = min(w, DOOR_W - 6)  # never closed before fd
        swing.append(w)
        g.add(box(DOOR_X, DOOR_Y, w, DOOR_H, DOOR_PANEL, enable=on(frame)))
        g.add(box(DOOR_X + w - 3, DOOR_Y, 3, DOOR_H, DOOR_EDGE, enable=on(frame)))
    closed = "gte(n,%d)" % fd
    g.add(box(DOOR_X, DOOR_Y, DOOR_W, DOOR_H, DOOR_PANEL, enable=closed))
    g.add(box(DOOR_X + 14, DOOR_Y + 16, DOOR_W - 28, 60, DOOR_EDGE, enable=closed, t=3))
    g.add(box(DOOR_X + 14, DOOR_Y + 96, DOOR_W - 28, 76, DOOR_EDGE, enable=closed, t=3))
    g.add(box(DOOR_X + DOOR_W - 16, DOOR_Y + DOOR_H // 2, 8, 8, HALL_LIGHT, enable=closed))
    g.add(box(DOOR_X - 6, DOOR_Y - 6, DOOR_W + 12, DOOR_H + 6, LINE, t=6))
    g.text("door", DOOR_X + DOOR_W // 2 - 14, WALL_BOTTOM + 8, 13, LABEL)
    events.append((fd - DOOR_SWING, "door starts to swing shut (panel %s px of %d)"
                   % ("/".join(str(w) for w in swing), DOOR_W)))
    events.append((fd, "door closed, white flash frames %d-%d, caption DOOR SHUTS (%s)"
                   % (fd, fd + FLASH_FRAMES - 1, door["name"])))

    # --- the glass: held above the table, lowered, resting from frame fg on.
    table_y = TABLE_TOP  # the glass touches the table when its bottom is here
    g.add(box(GLASS_X, table_y - GLASS_H - GLASS_LIFT, GLASS_W, GLASS_H, GLASS,
              enable=between(fg - GLASS_DROP - GLASS_HOLD, fg - GLASS_DROP)))
    gaps = []
    for k in range(1, GLASS_DROP):
        frame = fg - GLASS_DROP + k
        frac = k / GLASS_DROP
        gap = max(3, int(round(GLASS_LIFT * (1 - frac))))  # still in the air before fg
        gaps.append(gap)
        g.add(box(GLASS_X, table_y - GLASS_H - gap, GLASS_W, GLASS_H, GLASS, enable=on(frame)))
    g.add(box(GLASS_X, table_y - GLASS_H, GLASS_W, GLASS_H, GLASS, enable="gte(n,%d)" % fg))
    g.add(box(GLASS_X + 3, table_y - GLASS_H + 10, GLASS_W - 6, GLASS_H - 12, "0x5c8fa8",
              enable="gte(n,%d)" % fg))  # water in it once it is down
    events.append((fg - GLASS_DROP - GLASS_HOLD, "glass appears above the table"))
    events.append((fg - GLASS_DROP + 1, "glass lowers (gap %s px)" % "/".join(str(v) for v in gaps)))
    events.append((fg, "glass touches the table, caption GLASS (%s)" % glass["name"]))

    # --- captions for every other marker, stacked in rows when they overlap
    rows_free = [0] * len(CAPTION_ROWS)
    for mk in markers:
        if mk is door or mk is glass:
            continue
        f0 = mk["frame"]
        if f0 >= FRAMES:
            continue
        row = next((i for i, free in enumerate(rows_free) if free <= f0), None)
        if row is None:
            row = min(range(len(rows_free)), key=lambda i: rows_free[i])
        rows_free[row] = f0 + CAPTION_FRAMES
        g.text(mk["name"], "(w-text_w)/2", CAPTION_ROWS[row], 20, speaker_color(mk["name"]),
               enable=between(f0, min(FRAMES - 1, f0 + CAPTION_FRAMES - 1)), box_alpha=0.55)
        events.append((f0, "caption \"%s\" (row %d)" % (mk["name"], row)))

    # --- the sync captions and the flash, above everything in the room
    g.add(box(0, 0, W, H, "white@0.6", enable=between(fd, fd + FLASH_FRAMES - 1)))
    g.text("DOOR SHUTS", "(w-text_w)/2", 168, 46, "white", enable=between(fd, fd + CAPTION_FRAMES - 1),
           box_alpha=0.6)
    g.text("GLASS", GLASS_X + GLASS_W // 2 - 56, TABLE_TOP - GLASS_H - GLASS_LIFT - 56, 40, "white",
           enable=between(fg, fg + CAPTION_FRAMES - 1), box_alpha=0.6)

    # --- title card
    title = between(0, TITLE_FRAMES - 1)
    g.add(box(0, 0, W, H, "black", enable=title))
    g.text("INT. KITCHEN - NIGHT", "(w-text_w)/2", "(h-text_h)/2-16", 40, "white", enable=title)
    g.text("Anna has waited up. Ben comes in late.", "(w-text_w)/2", "(h-text_h)/2+34", 18, LABEL,
           enable=title)
    events.append((0, "title card INT. KITCHEN - NIGHT (frames 0-%d)" % (TITLE_FRAMES - 1)))

    # --- burned-in timecode and frame number, top right
    g.add(filt("drawtext", fontfile=g.mono, timecode=START_TC, rate=FPS, fontsize=15, fontcolor="white",
               x="w-text_w-10", y=8, box=1, boxcolor="black@0.6", boxborderw=4))
    g.add(filt("drawtext", fontfile=g.mono, text="frame %{eif:n:d:4}", fontsize=15, fontcolor="white",
               x="w-text_w-10", y=32, box=1, boxcolor="black@0.6", boxborderw=4))
    return events


def font_file(pattern, fallback):
    if shutil.which("fc-match"):
        res = subprocess.run(["fc-match", "-f", "%{file}", pattern], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        path = res.stdout.decode(errors="replace").strip()
        if res.returncode == 0 and path and Path(path).is_file():
            return path
    if Path(fallback).is_file():
        return fallback
    sys.exit("no font found for %r: install fonts-dejavu-core" % pattern)


def main():
    if not shutil.which("ffmpeg"):
        sys.exit("make_demo_picture.py needs `ffmpeg` on PATH")
    rate, markers = read_markers(PROJECT_FILE)
    font = font_file("DejaVu Sans:style=Bold", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    mono = font_file("DejaVu Sans Mono", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
    PICTURE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="dubstage_picture_"))
    partial = PICTURE_DIR / (".%s.partial.mp4" % OUTPUT.stem)
    try:
        g = Graph(tmp, font, mono)
        events = build(g, markers)
        args = [
            "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-f", "lavfi", "-i", "color=c=%s:s=%dx%d:r=%d:d=%d" % (BG, W, H, FPS, SECONDS),
            "-vf", g.chain(),
            "-frames:v", str(FRAMES),
            "-r", str(FPS),
            "-an",
            "-c:v", "libx264", "-preset", "medium", "-crf", "28", "-pix_fmt", "yuv420p",
            "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0",
            "-timecode", START_TC,
            "-map_metadata", "-1",
            "-movflags", "+faststart",
            "-f", "mp4", str(partial),
        ]
        res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if res.returncode != 0:
            sys.stderr.write(res.stderr.decode(errors="replace"))
            sys.exit("ffmpeg failed")
        os.replace(partial, OUTPUT)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if partial.exists():
            partial.unlink()

    print("picture events (frame, timecode) at %d fps, markers at %d Hz:" % (FPS, rate))
    for frame, what in sorted(events, key=lambda e: e[0]):
        print("  %4d  %s  %s" % (frame, timecode(frame), what))
    print("wrote %s (%dx%d, %d frames, %d bytes)"
          % (OUTPUT.relative_to(ROOT), W, H, FRAMES, OUTPUT.stat().st_size))


if __name__ == "__main__":
    main()
