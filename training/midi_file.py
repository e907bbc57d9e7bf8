"""Standard MIDI files: write a list of notes as a format-0 file, read back the events a caption needs, and
keep some channels of a file (to render the drum channel apart from the rest).

Only what the music corpus uses: note on/off, program change, tempo. Format from the MIDI 1.0 Detailed
Specification (Standard MIDI Files 1.0): chunks "MThd" (format, tracks, ticks per quarter) and "MTrk"
(events with variable-length delta times, running status allowed when reading).
"""

import struct

TICKS_PER_QUARTER = 480
DRUM_CHANNEL = 9  # General MIDI: channel 10, numbered from 1


def _varlen(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def write(path, notes, bpm, programs):
    """notes: (start_beats, length_beats, channel, pitch, velocity); programs: channel -> GM program 0-127.
    One tempo for the whole file, so beats convert to ticks exactly."""
    events = []  # (tick, order, bytes): note offs (order 0) before note ons (1) at the same tick
    for start, length, ch, pitch, vel in notes:
        on = int(round(start * TICKS_PER_QUARTER))
        off = max(on + 1, int(round((start + length) * TICKS_PER_QUARTER)))
        events.append((on, 1, bytes([0x90 | ch, pitch, max(1, min(127, int(vel)))])))
        events.append((off, 0, bytes([0x80 | ch, pitch, 0])))
    events.sort(key=lambda e: (e[0], e[1]))
    micros = int(round(60_000_000 / bpm))
    head = [(0, b"\xff\x51\x03" + micros.to_bytes(3, "big"))]
    head += [(0, bytes([0xC0 | ch, prog])) for ch, prog in sorted(programs.items())]
    track, last = bytearray(), 0
    for tick, data in head + [(t, d) for t, _, d in events]:
        track += _varlen(tick - last) + data
        last = tick
    track += b"\x00\xff\x2f\x00"
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER))
        f.write(b"MTrk" + struct.pack(">I", len(track)) + bytes(track))


def _read_varlen(data, i):
    n = 0
    while True:
        b = data[i]
        i += 1
        n = (n << 7) | (b & 0x7F)
        if b < 0x80:
            return n, i


def read(data):
    """bytes of a format 0 or 1 file -> {"ticks": per quarter, "tempos": [(tick, bpm)],
    "programs": [(tick, channel, program)], "notes": [(tick, channel, pitch, velocity)]} (note ons only)."""
    if data[:4] != b"MThd":
        raise ValueError("not a standard MIDI file (no MThd chunk)")
    _, _, ntracks, division = struct.unpack(">IHHH", data[4:14])
    out = {"ticks": division, "tempos": [], "programs": [], "notes": []}
    i = 8 + struct.unpack(">I", data[4:8])[0]
    for _ in range(ntracks):
        if data[i:i + 4] != b"MTrk":
            break
        end = i + 8 + struct.unpack(">I", data[i + 4:i + 8])[0]
        i += 8
        tick, status = 0, 0
        while i < end:
            delta, i = _read_varlen(data, i)
            tick += delta
            if data[i] & 0x80:
                status = data[i]
                i += 1
            if status == 0xFF:
                kind = data[i]
                size, i = _read_varlen(data, i + 1)
                if kind == 0x51:
                    out["tempos"].append((tick, 60_000_000 / int.from_bytes(data[i:i + 3], "big")))
                i += size
            elif status in (0xF0, 0xF7):
                size, i = _read_varlen(data, i)
                i += size
            else:
                kind, ch = status & 0xF0, status & 0x0F
                if kind in (0xC0, 0xD0):
                    if kind == 0xC0:
                        out["programs"].append((tick, ch, data[i]))
                    i += 1
                else:
                    if kind == 0x90 and data[i + 1] > 0:
                        out["notes"].append((tick, ch, data[i], data[i + 1]))
                    i += 2
        i = end
    return out


def keep_channels(data, channels):
    """bytes of a standard MIDI file -> the same file with the channel messages (notes, controllers, programs,
    ...) of channels not in `channels` left out. A dropped event's delta time moves to the next event kept,
    so every other event keeps its tick; meta and system exclusive events are all kept. Written without
    running status (each kept message has its status byte)."""
    header_end = 8 + struct.unpack(">I", data[4:8])[0]
    out = bytearray(data[:header_end])
    i = header_end
    while i + 8 <= len(data):
        end = i + 8 + struct.unpack(">I", data[i + 4:i + 8])[0]
        if data[i:i + 4] != b"MTrk":
            out += data[i:end]  # an unknown chunk: kept as it is
            i = end
            continue
        track, pending, status, j = bytearray(), 0, 0, i + 8
        while j < end:
            delta, j = _read_varlen(data, j)
            pending += delta
            start = j
            if data[j] & 0x80:
                status = data[j]
                j += 1
            if status == 0xFF:
                size, j = _read_varlen(data, j + 1)
                event, j = data[start:j + size], j + size
            elif status in (0xF0, 0xF7):
                size, j = _read_varlen(data, j)
                event, j = data[start:j + size], j + size
            else:
                size = 1 if (status & 0xF0) in (0xC0, 0xD0) else 2
                event, j = bytes([status]) + data[j:j + size], j + size
                if (status & 0x0F) not in channels:
                    continue
            track += _varlen(pending) + event
            pending = 0
        out += b"MTrk" + struct.pack(">I", len(track)) + track
        i = end
    return bytes(out)
