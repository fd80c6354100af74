#!/usr/bin/env python3
"""Regenerates the bundled Dubstage demo scene from scratch.

    python3 scripts/make_demo.py              # writes assets/demo/
    python3 scripts/make_demo.py --mixdown /tmp/demo_mix.wav   # also renders a rough stereo check mix

Scene: INT. KITCHEN - NIGHT. Anna waits up; Ben comes home late. Room tone,
a wind/traffic ambience bed heard through the window, footsteps, a door
closing, cloth rustle, a glass set on the table, two characters' dialogue
(espeak-ng), and a short music cue at the end.

Everything is synthesised here, deterministically (fixed seeds; sox runs in
repeatable mode), with python3's standard library plus the command-line tools
`espeak-ng` and `sox`. At the end it runs scripts/make_demo_picture.py, which
draws the scene's picture from the markers with `ffmpeg` (skipped with
--no-picture; `ffmpeg` also prints loudness for --mixdown).

Outputs (audio at 48 kHz):
    assets/demo/audio/*.wav|*.flac           the media
    assets/demo/demo.dubstage                the project (RON, format_version 2)
    assets/demo/picture/kitchen_night.mp4    the picture (make_demo_picture.py)
"""

import argparse
import array
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SR = 48000
ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "assets" / "demo"
AUDIO = DEMO / "audio"
PROJECT_FILE = DEMO / "demo.dubstage"
PICTURE_SCRIPT = ROOT / "scripts" / "make_demo_picture.py"

# The picture drawn by make_demo_picture.py: 24 fps, 74 s, placed at sample 0
# (01:00:00:00). Keep in step with that script.
PICTURE = dict(path="picture/kitchen_night.mp4", fps=24, frames=1776, timecode="01:00:00:00",
               width=640, height=360)

# Scene length: every bed ends here.
SCENE_END = 74.0

TMP: Path = Path(".")  # set in main()


# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------


def sec(t):
    """Seconds to samples at 48 kHz."""
    return int(round(t * SR))


def run(args, capture=False):
    args = [str(a) for a in args]
    res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if res.returncode != 0:
        sys.stderr.write("command failed: %s\n%s\n" % (" ".join(args), res.stderr.decode(errors="replace")))
        sys.exit(1)
    return res.stdout.decode() + res.stderr.decode() if capture else None


def sox(*args, capture=False):
    # -R: repeatable mode (fixed seeds for dither and noise), -V1: errors only.
    return run(["sox", "-R", "-V1"] + list(args), capture=capture)


def f32(ch=1, rate=SR):
    """sox format arguments for a raw 32-bit float file."""
    return ["-t", "f32", "-r", rate, "-c", ch]


def s16(ch=1, rate=SR):
    return ["-t", "s16", "-r", rate, "-c", ch]


_counter = [0]


def tmpfile(stem, ext="f32"):
    _counter[0] += 1
    return TMP / ("%03d_%s.%s" % (_counter[0], stem, ext))


def save_f32(chans):
    """Writes a list of channels (lists of floats) as an interleaved raw f32 file."""
    path = tmpfile("buf")
    if len(chans) == 1:
        a = array.array("f", chans[0])
    else:
        n = len(chans[0])
        a = array.array("f", bytes(4 * n * len(chans)))
        for i, c in enumerate(chans):
            a[i :: len(chans)] = array.array("f", c)
    with open(path, "wb") as f:
        a.tofile(f)
    return path


def load_f32(path, ch=1):
    a = array.array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    if ch == 1:
        return [a.tolist()]
    return [a[i::ch].tolist() for i in range(ch)]


def sox_fx(chans, effects, out_ch=None):
    """Runs Python buffers through a sox effects chain and reads the result back."""
    ch = len(chans)
    out_ch = out_ch or ch
    src = save_f32(chans)
    dst = tmpfile("fx")
    sox(*f32(ch), src, *f32(out_ch), dst, *effects)
    return load_f32(dst, out_ch)


def noise_file(n, seed, ch=1):
    """Deterministic uniform white noise as a raw s16 file (read it with s16())."""
    path = tmpfile("noise%d" % seed, "s16")
    path.write_bytes(random.Random(seed).randbytes(2 * n * ch))
    return path


def noise(n, seed):
    r = random.Random(seed).random
    return [2.0 * r() - 1.0 for _ in range(n)]


def frames_of(path):
    return int(run(["soxi", "-s", path], capture=True).strip())


def channels_of(path):
    return int(run(["soxi", "-c", path], capture=True).strip())


def write_media(src_args, name, bits, effects=()):
    """Converts a (temp) source to a media file in assets/demo/audio."""
    out = AUDIO / name
    extra = ["-C", "8"] if name.endswith(".flac") else []
    sox(*src_args, "-b", bits, *extra, out, *effects)
    return out


# ---------------------------------------------------------------------------
# Small DSP in pure Python (used for short events only; long beds go through sox)
# ---------------------------------------------------------------------------


def biquad(x, kind, f0, q=0.7071):
    w0 = 2.0 * math.pi * f0 / SR
    cw, sw = math.cos(w0), math.sin(w0)
    alpha = sw / (2.0 * q)
    if kind == "lp":
        b0, b1, b2 = (1 - cw) / 2, 1 - cw, (1 - cw) / 2
    elif kind == "hp":
        b0, b1, b2 = (1 + cw) / 2, -(1 + cw), (1 + cw) / 2
    elif kind == "bp":  # 0 dB peak gain
        b0, b1, b2 = alpha, 0.0, -alpha
    else:
        raise ValueError(kind)
    a0, a1, a2 = 1 + alpha, -2 * cw, 1 - alpha
    b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
    x1 = x2 = y1 = y2 = 0.0
    out = [0.0] * len(x)
    for i, v in enumerate(x):
        y = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2, x1, y2, y1 = x1, v, y1, y
        out[i] = y
    return out


def env_ar(n, attack, tau):
    """Linear attack (s) then exponential decay with time constant tau (s)."""
    na = max(1, sec(attack))
    k = math.exp(-1.0 / (tau * SR))
    out = [0.0] * n
    g = 1.0
    for i in range(n):
        if i < na:
            out[i] = i / na
        else:
            out[i] = g
            g *= k
    return out


def mul(a, b):
    return [x * y for x, y in zip(a, b)]


def scale(a, g):
    return [x * g for x in a]


def mix_into(dst, src, at, gain=1.0):
    end = min(len(dst), at + len(src))
    for i in range(max(0, at), end):
        dst[i] += src[i - at] * gain


def modes(n, partials, attack=0.0008):
    """Sum of exponentially decaying sines: partials = [(freq, tau, amp, phase)]."""
    out = [0.0] * n
    na = max(1, sec(attack))
    for f, tau, amp, ph in partials:
        w = 2.0 * math.pi * f / SR
        k = math.exp(-1.0 / (tau * SR))
        m = min(n, int(tau * SR * 9) + na)
        # rotate a phasor: cheap sine generation
        c, s = math.cos(w), math.sin(w)
        re, im = math.cos(ph), math.sin(ph)
        g = amp
        for i in range(m):
            a = g * (i / na if i < na else 1.0)
            out[i] += a * im
            re, im = re * c - im * s, re * s + im * c
            g *= k
    return out


def peak(x):
    return max(abs(v) for v in x) if x else 0.0


def normalize(x, db):
    p = peak(x)
    return scale(x, 10 ** (db / 20) / p) if p > 0 else x


def smooth_random(n_ctrl, spacing, seed, lo=0.0, hi=1.0):
    """Cosine-interpolated random control points every `spacing` control samples."""
    r = random.Random(seed)
    pts = [r.uniform(lo, hi) for _ in range(n_ctrl // spacing + 3)]
    out = []
    for i in range(n_ctrl):
        j, fr = divmod(i, spacing)
        t = fr / spacing
        w = (1 - math.cos(math.pi * t)) / 2
        out.append(pts[j] * (1 - w) + pts[j + 1] * w)
    return out


def control_to_audio(chans, ctrl_rate, n):
    """Upsamples control signals (lists at ctrl_rate) to an audio-rate raw f32 file of n frames."""
    src = save_f32(chans)
    dst = tmpfile("env")
    ch = len(chans)
    sox(*f32(ch, ctrl_rate), src, *f32(ch), dst, "rate", "-q", SR, "trim", "0", "%ds" % n)
    return dst


# ---------------------------------------------------------------------------
# Dialogue
# ---------------------------------------------------------------------------

# (voice, base pitch, speed) and lines. Each line becomes a region of one file per character.
ANNA = dict(
    name="Anna",
    voice="en-gb+f2",
    pitch=58,
    speed=150,
    lines=[
        "You're late. I kept a plate warm for you.",
        "You could have called.",
        "Sit down. I'll get you some water.",
        "Long day?",
    ],
)
BEN = dict(
    name="Ben",
    voice="en-us+m3",
    pitch=38,
    speed=142,
    lines=[
        "Sorry. They closed the bridge, I had to go the long way round.",
        "My phone died. I'm sorry. Really.",
        "Thanks.",
        "The longest. But I'm home now.",
    ],
)

LINE_HEAD = 0.08  # seconds of handle before each line in its file
LINE_TAIL = 0.15
LINE_GAP = 0.6  # silence between lines in the file


def make_dialogue(who, seed):
    """Renders a character's lines into one mono 24-bit WAV. Returns (path, [(start, length)])."""
    r = random.Random(seed)
    parts = []
    regions = []
    pos = sec(0.25)
    for i, text in enumerate(who["lines"]):
        raw = tmpfile("%s%d" % (who["name"], i), "wav")
        run(
            [
                "espeak-ng",
                "-v", who["voice"],
                "-p", who["pitch"] + r.randint(-4, 4),
                "-s", who["speed"] + r.randint(-8, 6),
                "-g", "1",
                "-w", raw,
                text,
            ]
        )
        out = tmpfile("%s%d_48k" % (who["name"], i))
        # Trim the synthesiser's silence, resample, shape like a boom/lav line,
        # give it a touch of the room, leave short handles and set the peak.
        sox(
            raw, *f32(1), out,
            "silence", "1", "0.01", "-55d", "reverse", "silence", "1", "0.01", "-55d", "reverse",
            "highpass", "85", "equalizer", "220", "1.2q", "+2", "equalizer", "3200", "1.5q", "-2",
            "rate", "-v", SR,
            "pad", LINE_HEAD, LINE_TAIL,
            "compand", "0.005,0.12", "6:-40,-40,-30,-24,-20,-18,0,-10", "0", "-90", "0.005",
            "reverb", "10", "70", "15", "100", "0", "-10",
            "gain", "-n", -7.0 - r.uniform(0, 1.0),
        )
        x = load_f32(out)[0]
        parts.append((pos, x))
        regions.append((pos, len(x)))
        pos += len(x) + sec(LINE_GAP)
    total = pos + sec(0.25)
    buf = [0.0] * total
    for at, x in parts:
        mix_into(buf, x, at)
    path = write_media([*f32(1), save_f32([buf])], "dia_%s.wav" % who["name"].lower(), 24)
    return path, regions


# ---------------------------------------------------------------------------
# Room tone: a quiet kitchen at night, with the fridge humming
# ---------------------------------------------------------------------------

ROOM_LEN = 42.0


def make_room_tone():
    n = sec(ROOM_LEN)
    hiss = tmpfile("room_hiss")
    sox(*s16(1), noise_file(n, 101), *f32(1), hiss,
        "highpass", "-2", "40", "lowpass", "-1", "1800", "lowpass", "5500",
        "equalizer", "180", "0.8q", "+5", "equalizer", "1200", "1q", "-3")
    hum = tmpfile("room_hum")
    # Fridge compressor: 50 Hz mains family, slightly unsteady.
    sox("-r", SR, "-c", 4, "-n", *f32(1), hum,
        "synth", ROOM_LEN, "sine", "100", "sine", "150", "sine", "200", "sine", "300.4",
        "remix", "1v0.5,2v0.18,3v0.3,4v0.08",
        "tremolo", "0.37", "18", "tremolo", "0.11", "25")
    mixed = tmpfile("room_mix")
    sox("-m", "-v", "1.0", *f32(1), hiss, "-v", "0.09", *f32(1), hum, *f32(1), mixed)
    return write_media([*f32(1), mixed], "room_tone.flac", 16, ["gain", "-n", "-45"])


# ---------------------------------------------------------------------------
# Ambience: night wind and distant traffic through the kitchen window
# ---------------------------------------------------------------------------

AMB_LEN = SCENE_END + 2.0
CTRL = 1000  # control rate for envelopes


def car_pass(dur, seed, direction):
    """A distant car passing: rumble + tyre hiss swelling in, engine drone with a
    Doppler drop, panned across. Returns stereo lists."""
    n = sec(dur)
    r = random.Random(seed)
    tc = dur * r.uniform(0.45, 0.55)
    width = r.uniform(1.3, 1.8)
    src = noise(n, seed)
    rumble = biquad(biquad(src, "lp", 260, 0.6), "hp", 35)
    hiss = biquad(src, "bp", r.uniform(900, 1300), 0.7)
    f0 = r.uniform(34, 44)
    out_l = [0.0] * n
    out_r = [0.0] * n
    phase = 0.0
    twopi = 2 * math.pi
    for i in range(n):
        t = i / SR
        u = (t - tc) / width
        prox = 1.0 / (1.0 + u * u)
        f = f0 * (1.0 + 0.03 * math.tanh(-u * 1.5))
        phase += twopi * f / SR
        eng = math.sin(phase) + 0.5 * math.sin(2 * phase + 0.3) + 0.25 * math.sin(3 * phase + 1.1)
        s = rumble[i] * prox ** 0.9 * 2.2 + hiss[i] * prox ** 1.7 * 1.1 + eng * prox ** 1.2 * 0.05
        theta = math.pi / 4 + direction * 0.55 * math.atan(u) / 2
        out_l[i] = s * math.cos(theta)
        out_r[i] = s * math.sin(theta)
    return [out_l, out_r]


def make_ambience():
    n = sec(AMB_LEN)
    nc = int(AMB_LEN * CTRL) + CTRL
    layers = []

    # Distant traffic rumble: deep, steady, slowly breathing.
    rumble = tmpfile("amb_rumble")
    sox(*s16(2), noise_file(n, 201, 2), *f32(2), rumble,
        "lowpass", "-2", "160", "lowpass", "-2", "220", "highpass", "25", "gain", "12")
    breath = [smooth_random(nc, 4000, 202 + c, 0.6, 1.0) for c in range(2)]
    rumble_mod = tmpfile("amb_rumble_mod")
    sox("-T", *f32(2), rumble, *f32(2), control_to_audio(breath, CTRL, n), *f32(2), rumble_mod)
    layers.append((rumble_mod, 0.6))

    # City wash: far-away broadband hum of the town.
    wash = tmpfile("amb_wash")
    sox(*s16(2), noise_file(n, 211, 2), *f32(2), wash,
        "highpass", "-1", "120", "lowpass", "-1", "900", "lowpass", "2500")
    layers.append((wash, 0.35))

    # Wind: two bands driven by a gust envelope; the upper band only when it blows harder.
    gust = []
    for c in range(2):
        slow = smooth_random(nc, 5200, 221 + c, 0.25, 1.0)
        fast = smooth_random(nc, 900, 231 + c, 0.7, 1.0)
        gust.append([a * b for a, b in zip(slow, fast)])
    gust_env = control_to_audio(gust, CTRL, n)
    gust_hi_env = control_to_audio([[g ** 2.2 for g in ch] for ch in gust], CTRL, n)
    for seed, fx, env, g in (
        (241, ["bandpass", "380", "0.9q", "lowpass", "1500"], gust_env, 1.8),
        (251, ["bandpass", "950", "2.5q", "bandpass", "1000", "3q"], gust_hi_env, 2.0),
    ):
        band = tmpfile("amb_wind")
        sox(*s16(2), noise_file(n, seed, 2), *f32(2), band, *fx)
        mod = tmpfile("amb_wind_mod")
        sox("-T", *f32(2), band, *f32(2), env, *f32(2), mod)
        layers.append((mod, g))

    # Three car passes.
    for seed, at, direction, g in ((261, 5.0, 1, 0.8), (262, 29.0, -1, 0.55), (263, 57.5, 1, 0.7)):
        dur = 9.0
        car = car_pass(dur, seed, direction)
        placed = tmpfile("amb_car")
        sox(*f32(2), save_f32(car), *f32(2), placed, "pad", at, AMB_LEN - at - dur)
        layers.append((placed, g))

    args = ["-m"]
    for path, g in layers:
        args += ["-v", g, *f32(2), path]
    mixed = tmpfile("amb_mix")
    sox(*args, *f32(2), mixed, "trim", "0", "%ds" % n)
    # Heard through a closed window: top end softened.
    return write_media(
        [*f32(2), mixed], "amb_wind_traffic.flac", 16,
        ["lowpass", "-1", "3000", "highpass", "20", "gain", "-n", "-23"],
    )


# ---------------------------------------------------------------------------
# Foley: footsteps
# ---------------------------------------------------------------------------


def footstep(r, gain, bright, hard):
    """One step: heel strike then the sole rolling onto the floor."""
    n = sec(0.45)
    out = [0.0] * n
    nz = noise(n, r.randrange(1 << 30))
    # heel: a knock with body, and (hard shoes) a tap
    heel_env = env_ar(n, 0.0008, r.uniform(0.008, 0.014))
    heel = mul(biquad(nz, "bp", 900 * bright * r.uniform(0.85, 1.2), 0.9), heel_env)
    body = modes(n, [(r.uniform(95, 130), 0.022, 0.5, 0.0), (r.uniform(190, 260), 0.012, 0.25, 0.0)])
    mix_into(out, heel, 0, 1.0)
    mix_into(out, body, 0, 1.0)
    if hard:
        tap = mul(biquad(nz, "hp", 2800 * bright, 0.8), env_ar(n, 0.0003, 0.0022))
        mix_into(out, tap, 0, 0.9 * bright)
    # toe / sole: later, softer, a little scuffed
    toe_at = sec(r.uniform(0.075, 0.13))
    nz2 = noise(n, r.randrange(1 << 30))
    toe = mul(biquad(nz2, "bp", 1300 * bright * r.uniform(0.9, 1.15), 0.7), env_ar(n, 0.006, r.uniform(0.02, 0.035)))
    mix_into(out, toe, toe_at, r.uniform(0.35, 0.6))
    scuff = mul(biquad(nz2, "bp", 3200 * bright, 1.2), env_ar(n, 0.015, 0.04))
    mix_into(out, scuff, toe_at, r.uniform(0.05, 0.15) * bright)
    return scale(out, gain)


# Step segments in the footsteps file:
# (name, steps, mean interval, gain start->end, brightness start->end, hard soles)
STEP_SEGMENTS = [
    ("Ben approaching", 12, 0.62, (0.22, 0.75), (0.55, 0.95), True),
    ("Ben into kitchen", 5, 0.58, (0.95, 0.8), (1.0, 1.0), True),
    ("Anna to the sink", 4, 0.66, (0.55, 0.6), (0.6, 0.6), False),
    ("Anna back to table", 4, 0.7, (0.6, 0.5), (0.6, 0.6), False),
]


def make_footsteps():
    r = random.Random(301)
    segs = []
    pieces = []
    pos = sec(0.2)
    for name, count, interval, (g0, g1), (b0, b1), hard in STEP_SEGMENTS:
        seg = [0.0] * sec(count * interval + 1.2)
        t = 0.05
        for k in range(count):
            u = k / max(1, count - 1)
            step = footstep(r, g0 + (g1 - g0) * u, b0 + (b1 - b0) * u, hard)
            mix_into(seg, step, sec(t), 1.0)
            # irregular gait: a slightly shorter/longer stride, left/right asymmetry
            t += interval * r.uniform(0.9, 1.1) * (1.04 if k % 2 else 0.96)
        seg_len = sec(t + 0.5)
        seg = seg[:seg_len]
        pieces.append((pos, seg))
        segs.append((name, pos, seg_len))
        pos += seg_len + sec(0.8)
    buf = [0.0] * (pos + sec(0.2))
    for at, x in pieces:
        mix_into(buf, x, at)
    # a small tiled kitchen
    wet = sox_fx([buf], ["lowpass", "-2", "10000", "reverb", "22", "40", "35", "100", "4", "-4"])[0][: len(buf)]
    wet = normalize(wet, -13.0)
    path = write_media([*f32(1), save_f32([wet])], "foley_steps.wav", 24)
    return path, segs


# ---------------------------------------------------------------------------
# Foley: cloth
# ---------------------------------------------------------------------------


def rustle(r, dur, shape):
    """Cloth movement: dense short crinkles of band-limited noise following a motion
    envelope, with a low 'weight' component. `shape` = [(time, level)] breakpoints."""
    n = sec(dur)

    def motion(t):
        for (t0, v0), (t1, v1) in zip(shape, shape[1:]):
            if t0 <= t <= t1:
                w = (1 - math.cos(math.pi * (t - t0) / (t1 - t0))) / 2
                return v0 + (v1 - v0) * w
        return 0.0

    mot = [motion(i / SR) for i in range(n)]
    grains = [0.0] * n
    t = 0.0
    while t < dur:
        m = motion(t)
        rate = 5 + 90 * m
        t += r.expovariate(rate)
        if m <= 0.01:
            continue
        length = sec(r.uniform(0.01, 0.06))
        amp = m * r.uniform(0.2, 1.0)
        tau = r.uniform(0.004, 0.02) * SR
        at = sec(t)
        k = math.exp(-1.0 / tau)
        a = amp
        for i in range(at, min(n, at + length)):
            grains[i] += a
            a *= k
    src = noise(n, r.randrange(1 << 30))
    swish = biquad(biquad(src, "bp", 2200, 0.6), "hp", 450)
    crinkle = biquad(biquad(src, "bp", 4800, 0.9), "lp", 8000)
    env = [0.25 * m + g for m, g in zip(mot, grains)]
    low = biquad(noise(n, r.randrange(1 << 30)), "lp", 220)
    out = [s * e + c * e * e * 0.4 + l * m * 0.9 for s, c, l, e, m in zip(swish, crinkle, low, env, mot)]
    return out


# (name, duration, motion breakpoints)
CLOTH_SEGMENTS = [
    ("Ben sits", 2.4, [(0, 0), (0.25, 0.7), (0.7, 1.0), (1.1, 0.5), (1.5, 0.35), (1.9, 0.1), (2.4, 0)]),
    ("Anna stands", 1.5, [(0, 0), (0.2, 0.6), (0.55, 0.8), (0.9, 0.3), (1.5, 0)]),
    ("Anna sits", 2.0, [(0, 0), (0.3, 0.5), (0.8, 0.9), (1.2, 0.3), (1.6, 0.15), (2.0, 0)]),
]


def make_cloth():
    r = random.Random(401)
    segs = []
    pieces = []
    pos = sec(0.2)
    for name, dur, shape in CLOTH_SEGMENTS:
        x = rustle(r, dur, shape)
        pieces.append((pos, x))
        segs.append((name, pos, len(x)))
        pos += len(x) + sec(0.8)
    buf = [0.0] * (pos + sec(0.2))
    for at, x in pieces:
        mix_into(buf, x, at)
    wet = sox_fx([buf], ["lowpass", "-2", "8500", "reverb", "15", "50", "30", "100", "2", "-8"])[0][: len(buf)]
    wet = normalize(wet, -24.0)
    path = write_media([*f32(1), save_f32([wet])], "foley_cloth.wav", 24)
    return path, segs


# ---------------------------------------------------------------------------
# Hard effects: door close, glass on table
# ---------------------------------------------------------------------------

DOOR_IMPACT = 0.10  # seconds into the file


def make_door():
    r = random.Random(501)
    n = sec(2.6)
    out = [0.0] * n
    t0 = sec(DOOR_IMPACT)
    # the air pushed ahead of the door, just before it shuts
    whoosh = mul(biquad(noise(sec(0.25), 502), "lp", 300), [math.sin(math.pi * i / sec(0.25)) ** 2 for i in range(sec(0.25))])
    mix_into(out, whoosh, t0 - sec(0.22), 0.15)
    # slab and frame: low modes, a little pitch-heavy thump
    thump = modes(sec(1.2), [(58, 0.16, 1.0, 0.0), (91, 0.11, 0.8, 0.3), (143, 0.07, 0.55, 1.0),
                             (227, 0.05, 0.35, 2.0), (396, 0.03, 0.22, 0.5), (611, 0.02, 0.12, 1.5)])
    mix_into(out, thump, t0)
    impact = mul(biquad(noise(sec(0.15), 503), "lp", 1400), env_ar(sec(0.15), 0.0005, 0.009))
    mix_into(out, impact, t0, 0.9)
    # latch: bolt hits the strike plate, then snaps into the keeper
    for dt, g, base in ((0.006, 0.45, 2700), (0.052, 0.8, 3100), (0.071, 0.25, 3300)):
        click = modes(sec(0.12), [(base, 0.012, 1.0, 0.0), (base * 1.47, 0.009, 0.7, 1.0),
                                  (base * 2.13, 0.007, 0.5, 2.0), (base * 2.91, 0.004, 0.35, 0.4)], attack=0.0002)
        tick = mul(biquad(noise(sec(0.12), r.randrange(1 << 30)), "hp", 3500), env_ar(sec(0.12), 0.0001, 0.0012))
        mix_into(out, click, t0 + sec(dt), g * 0.35)
        mix_into(out, tick, t0 + sec(dt), g * 0.6)
    # frame rattle
    for k in range(4):
        dt = 0.09 + 0.03 * k + r.uniform(0, 0.015)
        rat = mul(biquad(noise(sec(0.05), r.randrange(1 << 30)), "bp", 1800, 1.5), env_ar(sec(0.05), 0.0005, 0.006))
        mix_into(out, rat, t0 + sec(dt), 0.12 / (k + 1))
    wet = sox_fx([out], ["reverb", "45", "55", "55", "100", "6", "-3", "lowpass", "9000"])[0][:n]
    wet = normalize(wet, -7.0)
    return write_media([*f32(1), save_f32([wet])], "fx_door_close.wav", 24)


GLASS_IMPACT = 0.05


def make_glass():
    r = random.Random(601)
    n = sec(2.2)
    out = [0.0] * n
    t0 = sec(GLASS_IMPACT)
    base = 1540.0
    ratios = [(1.0, 0.42, 1.0), (2.74, 0.26, 0.6), (5.12, 0.15, 0.38), (8.1, 0.07, 0.14), (11.6, 0.04, 0.05)]
    for k, (dt, g) in enumerate(((0.0, 1.0), (0.068, 0.35))):
        parts = []
        for ratio, tau, amp in ratios:
            f = base * ratio
            split = r.uniform(1.5, 4.0)  # slightly out-of-round glass: beating doublets
            parts.append((f, tau, amp * 0.6, r.uniform(0, 6.28)))
            parts.append((f + split, tau * 0.9, amp * 0.4, r.uniform(0, 6.28)))
        ring = modes(sec(2.0), parts, attack=0.0003)
        mix_into(out, ring, t0 + sec(dt), g * 0.5)
        # glass base on the wooden table: knock + contact tick
        knock = modes(sec(0.2), [(r.uniform(170, 200), 0.03, 1.0, 0.0), (r.uniform(320, 360), 0.018, 0.6, 0.0)])
        mix_into(out, knock, t0 + sec(dt), g * 0.5)
        tick = mul(biquad(noise(sec(0.05), r.randrange(1 << 30)), "bp", 2500, 0.8), env_ar(sec(0.05), 0.0001, 0.0015))
        mix_into(out, tick, t0 + sec(dt), g * 0.8)
    wet = sox_fx([out], ["reverb", "20", "40", "30", "100", "3", "-7"])[0][:n]
    wet = normalize(wet, -12.0)
    return write_media([*f32(1), save_f32([wet])], "fx_glass_set.wav", 24)


# ---------------------------------------------------------------------------
# Music: a soft pad with a sparse piano-ish line (A minor)
# ---------------------------------------------------------------------------

MUSIC_LEN = 30.0
CHORD_LEN = 5.2
# (bass midi, pad midis)
CHORDS = [
    (45, [52, 55, 60, 64]),  # Am7
    (41, [53, 57, 60, 64]),  # Fmaj7
    (48, [52, 55, 60, 67]),  # C
    (40, [50, 55, 59, 62]),  # Em7
    (45, [52, 57, 59, 60, 64]),  # Am(add9), held to the end
]
# (beat time within chord, midi, velocity)
MELODY = [
    [(0.9, 76, 0.8), (2.4, 72, 0.6), (4.1, 71, 0.65)],
    [(0.8, 69, 0.75), (2.3, 72, 0.55), (3.9, 76, 0.7)],
    [(0.9, 79, 0.7), (2.5, 76, 0.55), (4.0, 72, 0.6)],
    [(0.8, 71, 0.7), (2.4, 67, 0.5), (4.2, 74, 0.6)],
    [(1.0, 72, 0.6), (2.8, 71, 0.5), (4.6, 69, 0.55)],
]


def hz(m):
    return 440.0 * 2 ** ((m - 69) / 12)


def make_music():
    r = random.Random(701)
    n = sec(MUSIC_LEN)
    layers = []
    for k, (bass, pad) in enumerate(CHORDS):
        start = k * CHORD_LEN
        last = k == len(CHORDS) - 1
        dur = (MUSIC_LEN - start) if last else CHORD_LEN + 3.0
        # Pad: each note twice, detuned differently on each side -> a wide, slow chorus.
        specs = []
        left, right = [], []
        ch = 0
        for m in pad:
            for det in (-4.0, 3.0, 6.5, -7.0):  # cents
                specs += ["sawtooth", "%.3f" % (hz(m) * 2 ** (det / 1200))]
                ch += 1
                (left if det in (-4.0, 6.5) else right).append(ch)
        specs += ["sine", "%.3f" % hz(bass), "sine", "%.3f" % hz(bass + 12)]
        bass_ch = (ch + 1, ch + 2)
        vol = 0.11
        remix = [",".join(["%dv%.3f" % (c, vol) for c in left] + ["%dv0.3,%dv0.08" % bass_ch]),
                 ",".join(["%dv%.3f" % (c, vol) for c in right] + ["%dv0.3,%dv0.08" % bass_ch])]
        chord = tmpfile("mus_chord")
        fade_out = 4.0 if last else 3.0
        sox("-r", SR, "-c", ch + 2, "-n", *f32(2), chord,
            "synth", dur, *specs, "remix", *remix,
            "lowpass", "-2", "700" if k % 2 else "800", "lowpass", "1800",
            "fade", "h", 2.2, dur, fade_out,
            "pad", start, max(0.0, MUSIC_LEN - start - dur))
        layers.append(chord)
        # piano-ish notes
        for beat, m, vel in MELODY[k]:
            t = start + beat + r.uniform(-0.05, 0.05)
            note_len = min(4.0, MUSIC_LEN - t - 0.5)
            note = tmpfile("mus_note")
            sox("-r", SR, "-c", 2, "-n", *f32(2), note,
                "synth", note_len, "pluck", "%.3f" % hz(m), "pluck", "%.3f" % hz(m - 12),
                "remix", "1v0.55,2v0.3", "1v0.45,2v0.35",
                "lowpass", "-2", "2600", "equalizer", "%.1f" % hz(m), "1q", "+3",
                "fade", "q", 0.004, note_len, min(2.5, note_len * 0.7),
                "vol", vel * 0.5,
                "pad", t, max(0.0, MUSIC_LEN - t - note_len))
            layers.append(note)
    args = ["-m"]
    for path in layers:
        args += ["-v", "1", *f32(2), path]
    mixed = tmpfile("mus_mix")
    sox(*args, *f32(2), mixed, "trim", "0", "%ds" % n)
    wet = tmpfile("mus_wet")
    sox(*f32(2), mixed, *f32(2), wet, "reverb", "70", "50", "100", "100", "25", "-2", "trim", "0", "%ds" % n,
        "fade", "t", "0", MUSIC_LEN, "1.5")
    return write_media([*f32(2), wet], "music_cue.flac", 16, ["gain", "-n", "-14"])


# ---------------------------------------------------------------------------
# The project
# ---------------------------------------------------------------------------


class Ids:
    def __init__(self, start):
        self.next = start

    def __call__(self):
        v = self.next
        self.next += 1
        return v


def ron_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ron_f(v):
    return "%.1f" % v if float(v).is_integer() else ("%.3f" % v).rstrip("0")


def build_project(media, tracks, markers, next_id):
    L = []
    L.append("// Generated by scripts/make_demo.py - edit the script, not this file.")
    L.append("DubstageProject(")
    L.append("    format_version: 2,")
    L.append("    project: Project(")
    L.append("        name: %s," % ron_str("Kitchen \u2013 Night (demo)"))
    L.append("        sample_rate: 48000,")
    L.append("        frame_rate: FrameRate(num: 24, den: 1, drop_frame: false),")
    L.append('        start_timecode: "01:00:00:00",')
    L.append("        pan_law: ConstantPower3dB,")
    L.append("        media: [")
    for m in media:
        L.append("            MediaRef(id: %d, path: %s, name: %s, channels: %d, length: %d),"
                 % (m["id"], ron_str(m["path"]), ron_str(m["name"]), m["channels"], m["length"]))
    L.append("        ],")
    L.append("        tracks: [")
    for t in tracks:
        L.append("            Track(")
        L.append("                id: %d, name: %s, kind: %s, gain_db: %s, pan: %s," %
                 (t["id"], ron_str(t["name"]), t["kind"], ron_f(t["gain_db"]), ron_f(t["pan"])))
        L.append("                mute: false, solo: false, solo_safe: false, output: %s," % t["output"])
        L.append("                clips: [")
        for c in sorted(t["clips"], key=lambda c: (c["position"], c["id"])):
            L.append("                    Clip(id: %d, media: %d, name: %s, position: %d, length: %d, source_offset: %d, gain_db: %s,"
                     % (c["id"], c["media"], ron_str(c["name"]), c["position"], c["length"], c["source_offset"], ron_f(c["gain_db"])))
            L.append("                         fade_in: Fade(length: %d, shape: %s), fade_out: Fade(length: %d, shape: %s), channels: %s),"
                     % (c["fade_in"][0], c["fade_in"][1], c["fade_out"][0], c["fade_out"][1], c["channels"]))
        L.append("                ],")
        L.append("            ),")
    L.append("        ],")
    L.append("        buses: [")
    for bid, name in ((1, "DIA"), (2, "FX"), (3, "MUS")):
        L.append("            Bus(id: %d, name: %s, gain_db: 0.0, mute: false)," % (bid, ron_str(name)))
    L.append("        ],")
    L.append("        markers: [")
    for mk in sorted(markers, key=lambda m: (m["position"], m["id"])):
        L.append("            Marker(id: %d, position: %d, name: %s)," % (mk["id"], mk["position"], ron_str(mk["name"])))
    L.append("        ],")
    L.append("        master: Master(gain_db: 0.0),")
    L.append("        picture: Some(Picture(")
    L.append("            path: %s," % ron_str(PICTURE["path"]))
    L.append("            frame_rate: FrameRate(num: %d, den: 1, drop_frame: false)," % PICTURE["fps"])
    L.append("            frames: %d," % PICTURE["frames"])
    L.append("            position: 0,")
    L.append("            timecode: Some(%s)," % ron_str(PICTURE["timecode"]))
    L.append("            width: %d," % PICTURE["width"])
    L.append("            height: %d," % PICTURE["height"])
    L.append("            av_offset_ms: 0.0,")
    L.append("        )),")
    L.append("        next_id: %d," % next_id)
    L.append("    ),")
    L.append(")")
    return "\n".join(L) + "\n"


def generate():
    t_start = time.time()

    def step(label, fn, *a):
        t = time.time()
        res = fn(*a)
        print("  %-14s %5.1f s" % (label, time.time() - t), flush=True)
        return res

    print("generating assets in %s" % AUDIO.relative_to(ROOT))
    anna_path, anna_lines = step("dialogue Anna", make_dialogue, ANNA, 801)
    ben_path, ben_lines = step("dialogue Ben", make_dialogue, BEN, 802)
    room_path = step("room tone", make_room_tone)
    amb_path = step("ambience", make_ambience)
    steps_path, step_segs = step("footsteps", make_footsteps)
    cloth_path, cloth_segs = step("cloth", make_cloth)
    door_path = step("door", make_door)
    glass_path = step("glass", make_glass)
    music_path = step("music", make_music)

    ids = Ids(100)
    media = []
    mid = {}
    for key, path in (("room", room_path), ("amb", amb_path), ("anna", anna_path), ("ben", ben_path),
                      ("steps", steps_path), ("cloth", cloth_path), ("door", door_path),
                      ("glass", glass_path), ("music", music_path)):
        m = dict(id=ids(), path="audio/" + path.name, name=path.name, channels=channels_of(path), length=frames_of(path))
        media.append(m)
        mid[key] = m

    clip_ids = Ids(300)
    marker_ids = Ids(500)
    markers = []

    def clip(media_key, name, position, length, offset=0, gain=0.0, fin=(480, "EqualPower"),
             fout=(960, "EqualPower"), channels="Mono(0)"):
        m = mid[media_key]
        assert position >= 0 and length > 0
        assert offset >= 0 and offset + length <= m["length"], (name, offset, length, m["length"])
        assert fin[0] + fout[0] <= length, name
        return dict(id=clip_ids(), media=m["id"], name=name, position=position, length=length,
                    source_offset=offset, gain_db=gain, fade_in=fin, fade_out=fout, channels=channels)

    def marker(t_samples, name):
        markers.append(dict(id=marker_ids(), position=t_samples, name=name))

    end = sec(SCENE_END)
    assert 60.0 <= SCENE_END <= 90.0
    assert PICTURE["frames"] == int(round(SCENE_END * PICTURE["fps"])), "the picture must last the whole scene"

    # --- Room tone: two clips from one file, equal-power crossfade at 40-42 s
    xf_at, xf = sec(36.0), sec(2.0)
    room_src2 = sec(3.0)
    room = [
        clip("room", "Room tone A", 0, xf_at + xf, 0, 0.0, (sec(0.5), "EqualPower"), (xf, "EqualPower")),
        clip("room", "Room tone B", xf_at, end - xf_at, room_src2, 0.0, (xf, "EqualPower"), (sec(2.0), "EqualPower")),
    ]

    # --- Ambience: the whole scene
    amb = [clip("amb", "Night wind + traffic (window)", 0, end, sec(0.5), 0.0,
                (sec(3.0), "SCurve"), (sec(4.0), "SCurve"), "Stereo")]

    # --- Action
    steps = []
    cloth = []
    fx = []
    dia = {"anna": [], "ben": []}

    def step_clip(seg_index, at, name, gain=0.0, fin=sec(0.05), fout=sec(0.3)):
        seg_name, pos, length = step_segs[seg_index]
        c = clip("steps", name, at, length, pos, gain, (fin, "EqualPower"), (fout, "EqualPower"))
        steps.append(c)
        return at + length

    def cloth_clip(seg_index, at, name, gain=0.0):
        seg_name, pos, length = cloth_segs[seg_index]
        lead = sec(0.1)
        c = clip("cloth", name, at - lead, length + 2 * lead, pos - lead, gain, (sec(0.08), "EqualPower"), (sec(0.15), "EqualPower"))
        cloth.append(c)
        return at + length

    def line(who, index, at, label):
        """Places a dialogue line so that its first word starts at `at`."""
        regions = anna_lines if who == "anna" else ben_lines
        pos, length = regions[index]
        speech_off = pos + sec(LINE_HEAD)
        speech_len = length - sec(LINE_HEAD) - sec(LINE_TAIL)
        head, tail = sec(0.15), sec(0.3)  # handles: room before the breath, the reverb tail after
        c = clip(who, label, at - head, head + speech_len + tail, speech_off - head, 0.0,
                 (sec(0.02), "EqualPower"), (sec(0.12), "EqualPower"))
        dia[who].append(c)
        marker(at, label)
        return at + speech_len

    t = step_clip(0, sec(2.0), "Ben approaching (hall)", -3.0, fin=sec(1.5))
    door_t = sec(12.0)
    fx.append(clip("door", "Door close", door_t - sec(DOOR_IMPACT), mid["door"]["length"], 0, 0.0,
                   (sec(0.01), "Linear"), (sec(0.6), "Exponential")))
    marker(door_t, "Door")
    t = step_clip(1, sec(12.7), "Ben into kitchen")
    t = line("anna", 0, max(t - sec(0.6), sec(15.6)), "Anna 1: You're late")
    t = line("ben", 0, t + sec(0.45), "Ben 1: Sorry, the bridge")
    sit = t + sec(0.2)
    cloth_clip(0, sit, "Ben sits")
    marker(sit, "Ben sits")
    t = line("anna", 1, sit + sec(1.8), "Anna 2: You could have called")
    t = line("ben", 1, t + sec(0.5), "Ben 2: My phone died")
    a3 = t + sec(0.6)
    t = line("anna", 2, a3, "Anna 3: Sit down, water")
    stand = a3 + sec(1.2)  # she gets up while she says it
    cloth_clip(1, stand, "Anna stands")
    t = step_clip(2, stand + sec(0.6), "Anna to the sink", -1.0)
    glass_t = sec(41.0)
    back = glass_t - step_segs[3][2] + sec(0.2)  # the last step lands just before the glass
    assert t + sec(0.3) < back, "Anna's walk back would start before she reached the sink"
    step_clip(3, back, "Anna back to table", -1.0)
    fx.append(clip("glass", "Glass on table", glass_t - sec(GLASS_IMPACT), mid["glass"]["length"], 0, 0.0,
                   (sec(0.005), "Linear"), (sec(0.5), "Exponential")))
    marker(glass_t, "Glass")
    t = line("ben", 2, glass_t + sec(0.9), "Ben 3: Thanks")
    sit2 = t + sec(0.6)
    cloth_clip(2, sit2, "Anna sits")
    music_t = sec(46.5)
    t = line("anna", 3, max(sit2 + sec(2.6), sec(46.0)), "Anna 4: Long day?")
    t = line("ben", 3, t + sec(1.2), "Ben 4: I'm home now")
    assert t < sec(60.0), "dialogue runs too long"

    music = [clip("music", "Cue 1M1 \"Home late\"", music_t, min(end - music_t, mid["music"]["length"]), 0, 0.0,
                  (sec(5.0), "SCurve"), (sec(7.0), "SCurve"), "Stereo")]
    marker(music_t, "Music in (1M1)")

    # --- tracks
    track_ids = Ids(200)
    dia_out, fx_out, mus_out = "Bus(1)", "Bus(2)", "Bus(3)"
    tracks = [
        dict(id=track_ids(), name="DIA Anna", kind="Dialogue", gain_db=0.0, pan=0.0, output=dia_out, clips=dia["anna"]),
        dict(id=track_ids(), name="DIA Ben", kind="Dialogue", gain_db=0.0, pan=0.0, output=dia_out, clips=dia["ben"]),
        dict(id=track_ids(), name="Room Tone", kind="Dialogue", gain_db=0.0, pan=0.0, output=dia_out, clips=room),
        dict(id=track_ids(), name="Amb Wind/Traffic", kind="Ambience", gain_db=-2.0, pan=0.0, output=fx_out, clips=amb),
        dict(id=track_ids(), name="Foley Steps", kind="Foley", gain_db=0.0, pan=-0.15, output=fx_out, clips=steps),
        dict(id=track_ids(), name="Foley Cloth", kind="Foley", gain_db=0.0, pan=0.0, output=fx_out, clips=cloth),
        dict(id=track_ids(), name="FX Hard", kind="Sfx", gain_db=0.0, pan=-0.1, output=fx_out, clips=fx),
        dict(id=track_ids(), name="Music", kind="Music", gain_db=-4.0, pan=0.0, output=mus_out, clips=music),
    ]
    # per-character checks: no overlapping clips on one track
    for tr in tracks:
        cs = sorted(tr["clips"], key=lambda c: c["position"])
        if tr["name"] != "Room Tone":
            for a, b in zip(cs, cs[1:]):
                assert a["position"] + a["length"] <= b["position"], (tr["name"], a["name"], b["name"])

    assert clip_ids.next <= 500 and marker_ids.next <= 600 and ids.next <= 200 and track_ids.next <= 300
    text = build_project(media, tracks, markers, 600)
    PROJECT_FILE.write_text(text, encoding="utf-8")

    for mk in sorted(markers, key=lambda m: m["position"]):
        frames = mk["position"] * 24 // SR
        print("  01:00:%02d:%02d  %s" % (frames // 24, frames % 24, mk["name"]))
    total = time.time() - t_start
    print("wrote %s (%d tracks, %d clips, %d markers) in %.1f s"
          % (PROJECT_FILE.relative_to(ROOT), len(tracks), sum(len(t["clips"]) for t in tracks), len(markers), total))
    return media, tracks, markers


# ---------------------------------------------------------------------------
# Optional check mix (sox approximation of the engine: clip gain, fades, pan, track gain)
# ---------------------------------------------------------------------------

SOX_FADE = {"Linear": "t", "EqualPower": "q", "SCurve": "h", "Exponential": "l"}


def mixdown(media, tracks, out_path):
    by_id = {m["id"]: m for m in media}
    length = max(c["position"] + c["length"] for t in tracks for c in t["clips"])
    parts = []
    stems = {"Bus(1)": [], "Bus(2)": [], "Bus(3)": []}
    for t in tracks:
        pan = t["pan"]
        theta = (pan + 1) * math.pi / 4
        gl, gr = math.cos(theta), math.sin(theta)
        for c in t["clips"]:
            m = by_id[c["media"]]
            src = DEMO / m["path"]
            if c["channels"] == "Stereo" and m["channels"] >= 2:
                remix = ["remix", "1", "2"]
            else:
                ch = 1 if c["channels"] == "Stereo" else int(c["channels"][5:-1]) + 1
                remix = ["remix", "%dv%.4f" % (ch, gl), "%dv%.4f" % (ch, gr)]
            fi, fo = c["fade_in"], c["fade_out"]
            out = tmpfile("mixclip")
            g = c["gain_db"] + t["gain_db"]
            fx = ["trim", "%ds" % c["source_offset"], "%ds" % c["length"], *remix]
            if fi[0]:
                fx += ["fade", SOX_FADE[fi[1]], "%ds" % fi[0]]
            if fo[0]:
                fx += ["fade", SOX_FADE[fo[1]], "0", "%ds" % c["length"], "%ds" % fo[0]]
            fx += ["vol", "%.2fdB" % g, "pad", "%ds" % c["position"], "%ds" % (length - c["position"] - c["length"])]
            sox(src, *f32(2), out, *fx)
            parts.append(out)
            stems[t["output"]].append(out)

    def mix(paths, dst):
        args = ["-m"]
        for p in paths:
            args += ["-v", "1", *f32(2), p]
        if len(paths) == 1:
            args = [*f32(2), paths[0]]
        sox(*args, "-b", "24", dst)

    mix(parts, out_path)
    print("check mix: %s" % out_path)
    for bus, name in (("Bus(1)", "DIA"), ("Bus(2)", "FX"), ("Bus(3)", "MUS")):
        p = tmpfile("stem_" + name, "wav")
        mix(stems[bus], p)
        report_loudness(name + " stem", p)
    report_loudness("full mix", out_path)


def report_loudness(label, path):
    if not shutil.which("ffmpeg"):
        return
    txt = run(["ffmpeg", "-nostats", "-hide_banner", "-i", path, "-filter_complex", "ebur128=peak=sample", "-f", "null", "-"], capture=True)
    summary = txt[txt.rfind("Summary:"):]
    i = lra = pk = "?"
    for ln in summary.splitlines():
        ln = ln.strip()
        if ln.startswith("I:"):
            i = ln.split()[1]
        elif ln.startswith("LRA:"):
            lra = ln.split()[1]
        elif ln.startswith("Peak:"):
            pk = ln.split()[1]
    print("  %-10s integrated %s LUFS, LRA %s LU, sample peak %s dBFS" % (label, i, lra, pk))


def main():
    global TMP
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mixdown", metavar="WAV", help="also render a rough stereo check mix and print loudness")
    ap.add_argument("--keep-temp", action="store_true", help="keep the scratch folder")
    ap.add_argument("--no-picture", action="store_true",
                    help="do not redraw the picture (scripts/make_demo_picture.py, needs ffmpeg)")
    args = ap.parse_args()
    tools = ["espeak-ng", "sox", "soxi"] + ([] if args.no_picture else ["ffmpeg"])
    for tool in tools:
        if not shutil.which(tool):
            sys.exit("make_demo.py needs `%s` on PATH" % tool)
    tmp = tempfile.mkdtemp(prefix="dubstage_demo_")
    TMP = Path(tmp)
    try:
        if AUDIO.exists():
            shutil.rmtree(AUDIO)
        AUDIO.mkdir(parents=True)
        media, tracks, _ = generate()
        if args.mixdown:
            mixdown(media, tracks, Path(args.mixdown).resolve())
        if not args.no_picture:
            # The picture follows the markers just written.
            print("drawing the picture with %s" % PICTURE_SCRIPT.relative_to(ROOT), flush=True)
            res = subprocess.run([sys.executable, str(PICTURE_SCRIPT)])
            if res.returncode != 0:
                sys.exit("%s failed" % PICTURE_SCRIPT.relative_to(ROOT))
    finally:
        if args.keep_temp:
            print("scratch files kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
