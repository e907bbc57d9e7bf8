"""The real-music corpus: real instruments and recordings cut into captioned 10 s clips, made on demand
from seeds and Debian packages (never committed; under training/data/music/).

    music_corpus.py composed --seed 1 --pieces 400 --out data/music/train      # procedurally composed scores
    music_corpus.py freedoom --split train --out data/music/train               # Freedoom's MIDI tracks
    music_corpus.py recordings --split heldout --out data/music/heldout_rec     # Singularity's recordings
    music_corpus.py composed --seed 1 --pieces 400 --drum-kits 0.5 --out data/music/train_kits

Sources (licences from /usr/share/doc/<package>/copyright; training/MODEL_CARD.md has the list):
- scores: compose.py (this repository), rendered by `fluidsynth` through one of two General MIDI banks of
  recorded instruments, FluidR3_GM (package fluid-soundfont-gm, MIT) or MuseScore_General_Lite
  (musescore-general-soundfont-small, MIT), drawn per piece;
- real compositions: the 67 music lumps of freedoom1.wad and freedoom2.wad (package freedoom, BSD-3-Clause),
  MIDI files inside the WADs, rendered the same way; every eighth track (index % 8 == 7) is held out;
- recordings: the Ogg tracks of singularity-music (CC-BY-SA-3.0), decoded by ffmpeg. They are held out
  for evaluation only by default (odd-numbered tracks, sorted by name); `--split train` gives the
  even-numbered ones, which a codec trained on would arguably make an adaptation under CC-BY-SA (see
  the model card), so the default training does not use them.

Recorded drum kits (`--drum-kits SHARE`, composed and freedoom; off by default, and default model v5 was
trained without them): that share of the pieces or tracks with drums, drawn per piece from the seed, play
the drum channel (MIDI channel 10) on one of the Hydrogen kits of hydrogen-drumkits (drum_kits.py) instead
of the bank's drum kit; fluidsynth renders the other channels as before, and the kit's track is mixed at the
RMS the bank gives the same drum notes. Only the kits under CC0 or CC-BY are drawn (the GPL and CC-BY-SA
kits with `--drum-kits-copyleft` as well: weights trained on those would arguably fall under their terms).
The draw has its own generator, so a piece keeps its bank, level and notes; without the option every shard
is what it was before kits existed. Captions of a clip with a kit say which (`drum_kit`, `drum_kit_licence`).
Shards are named the same either way and a shard that exists is kept, so give such a build its own --out.

Each source writes one shard per piece or track, NAME.npz: `audio` int16 [clips, 160000] (16 kHz mono)
and `captions` (a JSON list, one object per clip: source, attributes and a `text` caption). A shard that
exists is skipped, so a build that was interrupted continues where it stopped.
"""

import argparse
import functools
import glob
import json
import os
import struct
import subprocess
import tempfile

import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly

import compose
import drum_kits
import midi_file

SR = 16000
CLIP_SECONDS = 10
RENDER_SR = 32000  # fluidsynth renders at twice the corpus rate; resample_poly's filter removes its aliasing
BANKS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")
WADS = ("/usr/share/games/doom/freedoom1.wad", "/usr/share/games/doom/freedoom2.wad")
RECORDINGS = "/usr/share/games/singularity/music"
# The text tower's vocabulary (text_tower.py --vocabulary music): the caption words a listener would prompt
# with: tempo, energy, mode, style and instrument families (keys and numbers left out).
WORDS = ("slow", "medium", "fast", "low", "high", "major", "minor", "harmonic", "dorian", "phrygian", "lydian",
         "mixolydian", "ambient", "ballad", "electronic", "folk", "march", "pop", "rock", "swing", "waltz",
         "bass", "drums", "synth", "lead", "pad", "guitar", "piano", "strings", "ensemble", "pipe", "reed",
         "brass", "organ", "chromatic", "percussion", "percussive", "ethnic", "effects")


# ---------------------------------------------------------------- rendering

def render_midi(midi_path, bank, reverb, gain=0.6):
    """fluidsynth (arguments as a list, no shell) -> float mono at SR."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "out.wav")
        subprocess.run(["fluidsynth", "-ni", "-q", "-F", wav, "-r", str(RENDER_SR), "-g", str(gain),
                        "-R", "1" if reverb else "0", "-C", "1" if reverb else "0", bank, midi_path],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rate, data = wavfile.read(wav)
    assert rate == RENDER_SR, f"{midi_path}: fluidsynth wrote {rate} Hz, asked for {RENDER_SR}"
    mono = data.astype(np.float64).mean(axis=1) / 32768 if data.ndim == 2 else data / 32768
    return resample_poly(mono, 1, RENDER_SR // SR)


def drum_events(midi):
    """bytes of a MIDI file -> its drum channel's hits: [(seconds, GM percussion note, velocity)]."""
    events = midi_file.read(midi)
    return [(seconds_at(events["ticks"], events["tempos"], tick), pitch, vel)
            for tick, ch, pitch, vel in events["notes"] if ch == midi_file.DRUM_CHANNEL]


def render_midi_with_kit(midi_path, bank, reverb, kit):
    """As render_midi, but the drum channel played by a recorded kit (drum_kits.Kit) instead of the bank:
    fluidsynth renders the other channels; the kit's track is scaled to the RMS of the bank's own rendering
    of the drum channel (made for that measure only), so drums sit in the mix where the bank puts them. The
    kit's track is dry: its samples carry their own room, fluidsynth's reverb stays on the other channels."""
    midi = open(midi_path, "rb").read()
    with tempfile.TemporaryDirectory() as tmp:
        others, drums = os.path.join(tmp, "others.mid"), os.path.join(tmp, "drums.mid")
        open(others, "wb").write(midi_file.keep_channels(midi, set(range(16)) - {midi_file.DRUM_CHANNEL}))
        open(drums, "wb").write(midi_file.keep_channels(midi, {midi_file.DRUM_CHANNEL}))
        audio = render_midi(others, bank, reverb)
        bank_drums = render_midi(drums, bank, reverb)
    length = max(len(audio), len(bank_drums))
    kit_drums = drum_kits.render(kit, drum_events(midi), length, SR)
    kit_drums *= 10 ** ((rms_db(bank_drums) - rms_db(kit_drums)) / 20)
    return np.pad(audio, (0, length - len(audio))) + kit_drums


@functools.lru_cache(maxsize=None)
def usable_kits(copyleft):
    """drum_kits.usable, read once per process rather than once per piece that draws a kit (it parses every
    installed kit's drumkit.xml). An empty answer ends the run (drum_kit_for), so caching it costs nothing."""
    return tuple(drum_kits.usable(copyleft))


def drum_kit_for(key, share, copyleft):
    """The recorded kit (drum_kits.Kit) a piece plays its drums on, or None for the bank's own: drawn with
    probability `share` from a generator of its own (seeded with `key`), so that every other draw of the
    piece is the same with or without kits."""
    if share <= 0:
        return None
    rng = np.random.default_rng(key)
    if rng.random() >= share:
        return None
    folders = usable_kits(copyleft)
    if not folders:
        raise SystemExit(f"--drum-kits: no usable kit in {drum_kits.KITS_DIR} (package hydrogen-drumkits)")
    return drum_kits.load(folders[int(rng.integers(0, len(folders)))], SR)


def caption_kit(captions, kit):
    """Which kit played the drums, and under what licence (CC-BY asks for attribution), in each caption."""
    for cap in captions:
        cap["drum_kit"], cap["drum_kit_licence"] = kit.folder, kit.licence


def decode_recording(path):
    """Any audio file ffmpeg reads -> float mono at SR."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-ac", "1", "-ar", str(SR), "-f", "s16le", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float64) / 32768


def rms_db(x):
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x))) + 1e-9))


def level(audio, target_db):
    """The piece at `target_db` RMS (dBFS), peaks limited to 0.99: levels vary between pieces (the seed picks
    the target) but a piece's own dynamics stay."""
    y = audio * 10 ** ((target_db - rms_db(audio)) / 20)
    peak = np.abs(y).max()
    return y * (0.99 / peak) if peak > 0.99 else y


def cut(audio):
    """Non-overlapping CLIP_SECONDS clips (the tail dropped) -> [(start_s, int16 clip)], near-silent ones
    (below -50 dBFS) left out."""
    n = SR * CLIP_SECONDS
    out = []
    for k in range(len(audio) // n):
        clip = audio[k * n:(k + 1) * n]
        if rms_db(clip) > -50:
            out.append((k * CLIP_SECONDS, np.round(clip * 32767).astype(np.int16)))
    return out


def write_shard(path, clips, captions):
    np.savez(path + ".tmp.npz", audio=np.stack(clips), captions=json.dumps(captions))
    os.replace(path + ".tmp.npz", path)  # a reader never sees half a shard


def energy_word(value):
    return "low" if value < 0.45 else "medium" if value < 0.75 else "high"


def tempo_word(bpm):
    return "slow" if bpm < 90 else "medium" if bpm < 130 else "fast"


def caption_text(attrs):
    parts = [f"{tempo_word(attrs['bpm'])} {attrs['bpm']:.0f} bpm"] if attrs.get("bpm") else []
    if attrs.get("mode"):
        parts.append(f"{attrs['key']} {attrs['mode']}")
    if attrs.get("style"):
        parts.append(attrs["style"])
    parts.append(", ".join(attrs["instruments"]))
    parts.append(f"{attrs['energy']} energy")
    return "; ".join(parts)


# ---------------------------------------------------------------- composed scores

def composed_captions(seed, index):
    """The captions of piece `index`'s clips as the score defines them (no rendering): one per clip, for
    the clip that starts at k * CLIP_SECONDS."""
    piece = compose.plan(seed, index)
    _, starts, total_beats = compose.notes(piece)
    spb = 60.0 / piece["bpm"]
    families = [compose.family(p) for p in compose.programs(piece).values()]
    instruments = list(dict.fromkeys(families)) + (["drums"] if piece["drums"] else [])
    captions = []
    for k in range(int(total_beats * spb // CLIP_SECONDS)):
        t0, t1 = k * CLIP_SECONDS / spb, (k + 1) * CLIP_SECONDS / spb  # in beats
        bounds = starts + [total_beats]
        overlap = [(min(t1, bounds[i + 1]) - max(t0, bounds[i]), s) for i, s in enumerate(piece["sections"])]
        weight = sum(max(0, o) for o, _ in overlap)
        energy = sum(max(0, o) * s[1] for o, s in overlap) / weight
        names = [s[0] for o, s in overlap if o > 0]
        attrs = {"source": "composed", "seed": seed, "index": index, "start_s": k * CLIP_SECONDS,
                 "bpm": piece["bpm"], "key": compose.NOTE_NAMES[piece["tonic"]], "mode": piece["mode"],
                 "style": piece["style"], "instruments": instruments,
                 "programs": compose.programs(piece), "sections": names,
                 "energy": energy_word(energy), "energy_value": round(energy, 3)}
        attrs["text"] = caption_text(attrs)
        captions.append(attrs)
    return captions


def build_composed(seed, pieces, out, first=0, drum_kit_share=0.0, copyleft_kits=False):
    os.makedirs(out, exist_ok=True)
    for index in range(first, first + pieces):
        path = os.path.join(out, f"composed_s{seed}_{index:05d}.npz")
        if os.path.exists(path):
            continue
        piece = compose.plan(seed, index)
        notes, _, _ = compose.notes(piece)
        rng = np.random.default_rng([seed, index, 1])
        kit = drum_kit_for([seed, index, 2], drum_kit_share, copyleft_kits) if piece["drums"] else None
        with tempfile.TemporaryDirectory() as tmp:
            mid = os.path.join(tmp, "piece.mid")
            midi_file.write(mid, notes, piece["bpm"], compose.programs(piece))
            bank = BANKS[int(rng.integers(0, len(BANKS)))]
            audio = (render_midi(mid, bank, piece["reverb"]) if kit is None
                     else render_midi_with_kit(mid, bank, piece["reverb"], kit))
        audio = level(audio, rng.uniform(-28, -16))
        clips = cut(audio)
        captions = composed_captions(seed, index)
        keep = [(c, captions[start // CLIP_SECONDS]) for start, c in clips if start // CLIP_SECONDS < len(captions)]
        for clip, cap in keep:
            cap["rms_db"] = round(rms_db(clip / 32767), 2)
        if kit is not None:
            caption_kit([cap for _, cap in keep], kit)
        if keep:
            write_shard(path, [c for c, _ in keep], [cap for _, cap in keep])
        print(f"{path}: {len(keep)} clips", flush=True)


# ---------------------------------------------------------------- Freedoom's MIDI

def wad_music(path):
    """(lump name, MIDI bytes) of a WAD's music lumps (D_*). WAD layout: "IWAD", lump count, directory
    offset; 16-byte directory entries (offset, size, 8-byte name)."""
    data = open(path, "rb").read()
    count, directory = struct.unpack("<ii", data[4:12])
    out = []
    for i in range(count):
        offset, size, name = struct.unpack("<ii8s", data[directory + 16 * i:directory + 16 * i + 16])
        name = name.rstrip(b"\0").decode("ascii")
        if name.startswith("D_") and data[offset:offset + 4] == b"MThd":
            out.append((name, data[offset:offset + size]))
    return out


def seconds_at(division, tempos, tick):
    """Tick -> seconds through the tempo map (120 BPM until the first tempo event)."""
    t, last, bpm = 0.0, 0, 120.0
    for at, new in sorted(tempos):
        if at >= tick:
            break
        t += (at - last) / division * 60 / bpm
        last, bpm = at, new
    return t + (tick - last) / division * 60 / bpm


def midi_captions(name, midi, clips):
    """Captions of a real MIDI track's clips: tempo at the clip, instrument families sounding in it,
    energy from the clip's loudness against the track's (no score-level dynamics to read)."""
    events = midi_file.read(midi)
    div = events["ticks"]
    note_s = np.array([seconds_at(div, events["tempos"], n[0]) for n in events["notes"]])
    track_db = np.mean([rms_db(c / 32767) for _, c in clips])
    captions = []
    for start, clip in clips:
        program = {}
        for tick, ch, prog in events["programs"]:
            if seconds_at(div, events["tempos"], tick) <= start + CLIP_SECONDS:
                program[ch] = prog
        inside = [n for n, s in zip(events["notes"], note_s) if start <= s < start + CLIP_SECONDS]
        channels = sorted({n[1] for n in inside})
        instruments = list(dict.fromkeys(compose.family(program.get(ch, 0)) for ch in channels
                                         if ch != midi_file.DRUM_CHANNEL))
        if midi_file.DRUM_CHANNEL in channels:
            instruments.append("drums")
        tempos = [b for tick, b in events["tempos"] if seconds_at(div, events["tempos"], tick) <= start]
        relative = rms_db(clip / 32767) - track_db
        attrs = {"source": "freedoom", "track": name, "start_s": start,
                 "bpm": round(tempos[-1] if tempos else 120.0, 1), "instruments": instruments,
                 "energy": "low" if relative < -4 else "high" if relative > 2 else "medium",
                 "rms_db": round(rms_db(clip / 32767), 2)}
        attrs["text"] = caption_text(attrs)
        captions.append(attrs)
    return captions


def build_freedoom(split, out, drum_kit_share=0.0, copyleft_kits=False):
    os.makedirs(out, exist_ok=True)
    tracks = [(os.path.basename(w)[:-4], n, m) for w in WADS for n, m in wad_music(w)]
    for k, (wad, name, midi) in enumerate(tracks):
        if (k % 8 == 7) != (split == "heldout"):
            continue
        path = os.path.join(out, f"freedoom_{wad}_{name}.npz")
        if os.path.exists(path):
            continue
        rng = np.random.default_rng([7, k])
        kit = drum_kit_for([7, k, 2], drum_kit_share, copyleft_kits)
        if kit is not None and not drum_events(midi):
            kit = None
        with tempfile.TemporaryDirectory() as tmp:
            mid = os.path.join(tmp, "track.mid")
            open(mid, "wb").write(midi)
            audio = (render_midi(mid, BANKS[k % len(BANKS)], reverb=True) if kit is None
                     else render_midi_with_kit(mid, BANKS[k % len(BANKS)], True, kit))
        clips = cut(level(audio, rng.uniform(-26, -16)))
        if clips:
            captions = midi_captions(name, midi, clips)
            if kit is not None:
                caption_kit(captions, kit)
            write_shard(path, [c for _, c in clips], captions)
        print(f"{path}: {len(clips)} clips", flush=True)


# ---------------------------------------------------------------- recordings

def recording_paths():
    return sorted(glob.glob(os.path.join(RECORDINGS, "**", "*.ogg"), recursive=True))


def build_recordings(split, out):
    os.makedirs(out, exist_ok=True)
    for k, src in enumerate(recording_paths()):
        if (k % 2 == 1) != (split == "heldout"):
            continue
        name = os.path.splitext(os.path.basename(src))[0]
        path = os.path.join(out, "singularity_" + "".join(c if c.isalnum() else "_" for c in name) + ".npz")
        if os.path.exists(path):
            continue
        clips = cut(decode_recording(src))  # the recording's own level: nothing re-mastered
        captions = [{"source": "singularity-music", "track": name, "start_s": s, "licence": "CC-BY-SA-3.0",
                     "author": "Max McCracken", "rms_db": round(rms_db(c / 32767), 2)} for s, c in clips]
        if clips:
            write_shard(path, [c for _, c in clips], captions)
        print(f"{path}: {len(clips)} clips", flush=True)


def load_shards(folder):
    """All shards of a folder -> (audio int16 [N, samples], captions list)."""
    audio, captions = [], []
    for path in sorted(glob.glob(os.path.join(folder, "*.npz"))):
        if path.endswith(".tmp.npz"):
            continue
        d = np.load(path)
        audio.append(d["audio"])
        captions += json.loads(str(d["captions"]))
    return (np.concatenate(audio) if audio else np.zeros((0, SR * CLIP_SECONDS), np.int16)), captions


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", choices=["composed", "freedoom", "recordings"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pieces", type=int, default=100)
    p.add_argument("--first", type=int, default=0, help="composed: the first piece index")
    p.add_argument("--split", choices=["train", "heldout"], default="train")
    p.add_argument("--out", required=True)
    p.add_argument("--drum-kits", type=float, nargs="?", const=0.5, default=0.0, metavar="SHARE",
                   help="composed, freedoom: play the drums of this share of the pieces (0.5 if no number is "
                        "given) on a recorded Hydrogen kit; off (0) by default")
    p.add_argument("--drum-kits-copyleft", action="store_true",
                   help="with --drum-kits: draw from the GPL and CC-BY-SA kits too")
    args = p.parse_args()
    if not 0 <= args.drum_kits <= 1:
        p.error("--drum-kits takes a share between 0 and 1")
    if args.source == "recordings" and (args.drum_kits or args.drum_kits_copyleft):
        p.error("--drum-kits applies to the composed and freedoom sources")
    if args.source == "composed":
        build_composed(args.seed, args.pieces, args.out, args.first, args.drum_kits, args.drum_kits_copyleft)
    elif args.source == "freedoom":
        build_freedoom(args.split, args.out, args.drum_kits, args.drum_kits_copyleft)
    else:
        build_recordings(args.split, args.out)


if __name__ == "__main__":
    main()
