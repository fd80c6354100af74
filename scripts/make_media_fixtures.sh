#!/usr/bin/env bash
# Generates the audio fixtures used by `crates/dubstage-media/tests/`.
#
#   scripts/make_media_fixtures.sh            # (re)writes tests/media/{fixtures,bad}
#
# Everything derives from ONE deterministic reference signal, written by the
# python3 standard library (no numpy):
#
#   0.25 s (12 000 frames) at 48 kHz, stereo, float32
#     L: 440 Hz sine at -6 dBFS   (peak 10^(-6/20)  = 0.501187...)
#     R: 660 Hz sine at -12 dBFS  (peak 10^(-12/20) = 0.251188...)
#
# The same signal sampled at 44.1 kHz (11 025 frames) is the resampling input,
# and a six-channel variant (one frequency per channel, see `six_channel`
# below) checks channel count and channel order. All other fixtures are
# conversions of the reference made with ffmpeg using bit-exact flags and no
# metadata, so re-running the script with the same tool versions reproduces
# the same bytes. The "bad" corpus is made with python3 from the good files
# and from a SHA-256 counter stream (deterministic "random" bytes).
#
# Tools: python3, ffmpeg (with libmp3lame and libvorbis). The fixtures are
# committed, so tests never run this script.
set -euo pipefail

for tool in python3 ffmpeg; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
good="$root/tests/media/fixtures"
bad="$root/tests/media/bad"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$good" "$bad"
mkdir -p "$good" "$bad"

# ---------------------------------------------------------------------------
# Reference signals (python3 stdlib): minimal float32 WAV files.
# ---------------------------------------------------------------------------
python3 - "$good" "$work" <<'PY'
import math, struct, sys

good, work = sys.argv[1], sys.argv[2]
SECONDS = 0.25

def write_float_wav(path, rate, channels):
    """Minimal WAVE_FORMAT_IEEE_FLOAT file (16-byte fmt chunk, no fact chunk)."""
    frames = len(channels[0])
    nch = len(channels)
    data = bytearray()
    for i in range(frames):
        for ch in channels:
            data += struct.pack('<f', ch[i])
    fmt = struct.pack('<HHIIHH', 3, nch, rate, rate * nch * 4, nch * 4, 32)
    body = b'WAVE' + b'fmt ' + struct.pack('<I', len(fmt)) + fmt
    body += b'data' + struct.pack('<I', len(data)) + bytes(data)
    with open(path, 'wb') as f:
        f.write(b'RIFF' + struct.pack('<I', len(body)) + body)

def sine(rate, freq, dbfs):
    amp = 10 ** (dbfs / 20)
    n = int(round(rate * SECONDS))
    return [amp * math.sin(2 * math.pi * freq * i / rate) for i in range(n)]

def stereo(rate):
    return [sine(rate, 440.0, -6.0), sine(rate, 660.0, -12.0)]

# 5.1 in WAV order L R C LFE Ls Rs; one distinct frequency per channel.
SIX = [(220.0, -6.0), (330.0, -6.0), (440.0, -9.0), (110.0, -12.0), (550.0, -9.0), (660.0, -9.0)]

write_float_wav(f'{good}/ref.wav', 48000, stereo(48000))
write_float_wav(f'{good}/ref_44k.wav', 44100, stereo(44100))
write_float_wav(f'{work}/six.wav', 48000, [sine(48000, f, db) for f, db in SIX])
PY

# ---------------------------------------------------------------------------
# Conversions with ffmpeg.
# ---------------------------------------------------------------------------
ff() {
    # ff <input> <output> [codec options...]
    local in="$1" out="$2"
    shift 2
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$in" \
        -map_metadata -1 -fflags +bitexact -flags:a +bitexact "$@" "$out"
}

ref="$good/ref.wav"
ff "$ref" "$good/pcm16.wav" -c:a pcm_s16le
ff "$ref" "$good/pcm24.wav" -c:a pcm_s24le
ff "$ref" "$good/pcm32.wav" -c:a pcm_s32le
ff "$ref" "$good/f32.wav" -c:a pcm_f32le -rf64 never
ff "$ref" "$good/f64.wav" -c:a pcm_f64le
ff "$ref" "$good/ref.aiff" -c:a pcm_s24be
ff "$ref" "$good/ref16.flac" -c:a flac -sample_fmt s16
ff "$ref" "$good/ref24.flac" -c:a flac -sample_fmt s32 -bits_per_raw_sample 24
ff "$ref" "$good/ref.mp3" -c:a libmp3lame -b:a 192k
ff "$ref" "$good/ref.ogg" -c:a libvorbis -q:a 6
ff "$ref" "$good/ref.m4a" -c:a aac -b:a 192k
ff "$ref" "$good/mono.wav" -af 'pan=mono|c0=c0' -c:a pcm_s16le
ff "$good/ref_44k.wav" "$good/pcm24_44k.wav" -c:a pcm_s24le
ff "$work/six.wav" "$good/6ch.wav" -af 'channelmap=channel_layout=5.1' -c:a pcm_s16le

# BWF: 24-bit WAV with a `bext` chunk. ffmpeg's WAV muxer writes the chunk from
# these metadata keys; the python check below makes sure it is really there.
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$ref" \
    -fflags +bitexact -flags:a +bitexact -map_metadata -1 \
    -c:a pcm_s24le -write_bext 1 \
    -metadata description="Dubstage fixture" -metadata originator="dubstage" \
    -metadata originator_reference="DUBSTAGE0001" -metadata origination_date="2024-01-01" \
    -metadata origination_time="00:00:00" -metadata time_reference=172800000 \
    "$good/bwf.wav"

# ---------------------------------------------------------------------------
# Bad-input corpus (python3 stdlib).
# ---------------------------------------------------------------------------
python3 - "$good" "$bad" <<'PY'
import hashlib, struct, sys

good, bad = sys.argv[1], sys.argv[2]

def chunks(data):
    """Yields (id, offset_of_payload, size) for each top-level RIFF chunk."""
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack('<I', data[pos + 4:pos + 8])[0]
        yield cid, pos + 8, size
        pos += 8 + size + (size & 1)

def find(data, cid):
    for c, off, size in chunks(data):
        if c == cid:
            return off, size
    raise SystemExit(f'chunk {cid!r} not found')

def pseudo_random(n, seed):
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f'{seed}:{counter}'.encode()).digest()
        counter += 1
    return bytes(out[:n])

def write(name, data):
    with open(f'{bad}/{name}', 'wb') as f:
        f.write(data)

pcm16 = open(f'{good}/pcm16.wav', 'rb').read()
data_off, data_size = find(pcm16, b'data')

# The BWF fixture must really carry a bext chunk.
find(open(f'{good}/bwf.wav', 'rb').read(), b'bext')

# Header intact (sizes claim 12 000 frames), sample data cut at ~40 %.
write('truncated.wav', pcm16[:data_off + (data_size * 2 // 5) // 4 * 4])

# Complete file whose RIFF and data sizes claim far more than the file holds.
wrong = bytearray(pcm16)
wrong[4:8] = struct.pack('<I', 0x7FFF_0000)
wrong[data_off - 4:data_off] = struct.pack('<I', 0x7FFF_0000 - 36)
write('wrong_sizes.wav', bytes(wrong))

# Cut inside the fmt chunk.
write('truncated_header.wav', pcm16[:30])

# Valid header, zero frames.
write('no_frames.wav', pcm16[:data_off - 8] + b'data' + struct.pack('<I', 0))

# A fmt chunk claiming zero channels (block align 0, byte rate 0).
fmt_off, _ = find(pcm16, b'fmt ')
zero = bytearray(pcm16)
zero[fmt_off + 2:fmt_off + 4] = struct.pack('<H', 0)
zero[fmt_off + 8:fmt_off + 12] = struct.pack('<I', 0)
zero[fmt_off + 12:fmt_off + 14] = struct.pack('<H', 0)
write('zero_channels.wav', bytes(zero))

write('empty.wav', b'')
write('random.wav', pseudo_random(4096, 'wav'))
write('random.flac', pseudo_random(4096, 'flac'))
write('random.mp3', pseudo_random(4096, 'mp3'))
write('text.ogg', b'This is not an Ogg Vorbis file.\nIt is plain text with an .ogg name.\n' * 8)

# A FLAC file with a damaged frame in the middle: the decoder must skip it
# (CRC mismatch) and keep the rest.
flac = bytearray(open(f'{good}/ref16.flac', 'rb').read())
mid = len(flac) // 2
flac[mid:mid + 64] = pseudo_random(64, 'flac-frame')
write('corrupt_frame.flac', bytes(flac))
PY

echo "fixtures:"
ls -l "$good" | tail -n +2
echo "bad corpus:"
ls -l "$bad" | tail -n +2
du -ch "$good" "$bad" | tail -n 1
