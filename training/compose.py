"""Procedurally composed scores for the real-music corpus: a piece from (seed, index), as MIDI notes and the
attributes its captions are made of.

A piece has a style (its meter, tempo range, drum pattern, bass and accompaniment figures), a key and a
mode, General MIDI instruments for bass, accompaniment and melody (drawn from families that suit the
style), and song sections (intro, verse, chorus, bridge, outro) each with its own dynamic, density and
chord progression. The melody repeats a two-bar motif with variations, so it sounds like a tune rather
than a random walk. Everything is a function of numpy's Generator seeded with [seed, index].
"""

import numpy as np

from midi_file import DRUM_CHANNEL

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MODES = {  # semitones above the tonic
    "major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10), "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10), "phrygian": (0, 1, 3, 5, 7, 8, 10), "lydian": (0, 2, 4, 6, 7, 9, 11),
    "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
}
# The sixteen General MIDI program families (GM 1 sound set, programs 8k..8k+7).
FAMILIES = ("piano", "chromatic percussion", "organ", "guitar", "bass", "strings", "ensemble", "brass",
            "reed", "pipe", "synth lead", "synth pad", "synth effects", "ethnic", "percussive", "sound effects")

# Style: beats per bar, tempo range, drum pattern name (None: no drums), families for each part,
# accompaniment figure, bass figure. Steps are sixteenths (eighth-note triplets for the swing style).
STYLES = {
    "pop": (4, (90, 128), "backbeat", ("piano", "guitar", "synth pad"), ("synth lead", "piano", "reed"), "strum", "eighths"),
    "rock": (4, (100, 160), "rock", ("guitar",), ("guitar", "synth lead", "organ"), "power", "eighths"),
    "ballad": (4, (60, 84), "soft", ("piano", "strings", "synth pad"), ("strings", "pipe", "piano", "reed"), "arpeggio", "roots"),
    "waltz": (3, (84, 150), "waltz", ("piano", "strings", "ensemble"), ("strings", "reed", "pipe", "chromatic percussion"), "waltz", "roots"),
    "electronic": (4, (118, 140), "four", ("synth pad", "synth lead"), ("synth lead", "chromatic percussion"), "arpeggio", "octaves"),
    "swing": (4, (110, 180), "swing", ("piano", "guitar", "organ"), ("brass", "reed"), "comp", "walking"),
    "march": (4, (100, 124), "march", ("brass", "ensemble"), ("brass", "pipe"), "strum", "roots"),
    "ambient": (4, (60, 90), None, ("synth pad", "ensemble", "strings"), ("pipe", "chromatic percussion", "synth pad"), "pad", "roots"),
    "folk": (4, (84, 128), "soft", ("guitar",), ("pipe", "reed", "ethnic", "strings"), "arpeggio", "roots"),
}
PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 0), (1, 4, 0, 0), (0, 5, 1, 4), (5, 3, 0, 4), (0, 6, 5, 4),
                (0, 3, 0, 4), (0, 2, 3, 4))  # scale degrees, one chord per bar
SECTION_PLAN = (("intro", 0.35), ("verse", 0.55), ("chorus", 0.85), ("verse", 0.6), ("bridge", 0.5),
                ("chorus", 0.95), ("outro", 0.3))
KICK, SNARE, HAT, OPEN_HAT, CRASH, RIDE, CLAP, LOW_TOM, HIGH_TOM = 36, 38, 42, 46, 49, 51, 39, 45, 50

DRUMS = {  # instrument -> steps of one bar (16 per 4/4 bar, 12 per 3/4 bar, 12 per swung 4/4 bar)
    "backbeat": {KICK: (0, 6, 8), SNARE: (4, 12), HAT: tuple(range(0, 16, 2))},
    "rock": {KICK: (0, 3, 8, 10), SNARE: (4, 12), HAT: tuple(range(0, 16, 2))},
    "soft": {KICK: (0, 8), RIDE: (0, 4, 8, 12), CLAP: (12,)},
    "waltz": {KICK: (0,), SNARE: (4, 8), HAT: (0, 2, 4, 6, 8, 10)},
    "four": {KICK: (0, 4, 8, 12), CLAP: (4, 12), OPEN_HAT: (2, 6, 10, 14), HAT: tuple(range(0, 16, 1))},
    "swing": {KICK: (0, 6), RIDE: (0, 3, 5, 6, 9, 11), SNARE: (11,)},
    "march": {KICK: (0, 8), SNARE: (4, 6, 7, 12, 14, 15)},
}


def family_program(rng, family):
    return 8 * FAMILIES.index(family) + int(rng.integers(0, 8))


def chord(scale, degree, size=3):
    """Scale positions of a diatonic chord (stacked thirds) on `degree`, as semitones above the tonic."""
    return [scale[(degree + 2 * k) % 7] + 12 * ((degree + 2 * k) // 7) for k in range(size)]


def plan(seed, index):
    """The piece's attributes (no notes): what its captions say."""
    rng = np.random.default_rng([seed, index])
    style = list(STYLES)[int(rng.integers(0, len(STYLES)))]
    beats, (lo, hi), drums, accomp, lead, _, _ = STYLES[style]
    mode = list(MODES)[int(rng.choice(len(MODES), p=(0.3, 0.25, 0.12, 0.12, 0.06, 0.06, 0.09)))]
    sections = [s for s in SECTION_PLAN if s[0] in ("verse", "chorus") or rng.random() < 0.7]
    return {
        "style": style, "bpm": float(round(rng.uniform(lo, hi))), "beats_per_bar": beats,
        "tonic": int(rng.integers(0, 12)), "mode": mode,
        "programs": {"bass": family_program(rng, "bass"),
                     "accompaniment": family_program(rng, accomp[int(rng.integers(0, len(accomp)))]),
                     "melody": family_program(rng, lead[int(rng.integers(0, len(lead)))])},
        "drums": drums if drums is not None and rng.random() < 0.9 else None,
        "sections": [(name, float(np.clip(level + rng.normal(0, 0.08), 0.15, 1.0)), int(rng.choice((4, 8))),
                      PROGRESSIONS[int(rng.integers(0, len(PROGRESSIONS)))]) for name, level in sections],
        "register": int(rng.choice((-12, 0, 0, 12))),
        "reverb": bool(rng.random() < 0.7),
        "rng_state": int(rng.integers(0, 2 ** 31)),
    }


def notes(piece):
    """MIDI notes (start_beats, length_beats, channel, pitch, velocity) and section start times in beats."""
    rng = np.random.default_rng(piece["rng_state"])
    beats, _, _, _, _, figure, bassline = STYLES[piece["style"]]
    scale = MODES[piece["mode"]]
    tonic = piece["tonic"]
    swing = piece["style"] == "swing"
    steps = 12 if (swing or beats == 3) else 16
    step_beats = beats / steps
    out, starts, t = [], [], 0.0
    motif = [(int(rng.integers(0, steps // 2)) * step_beats, int(rng.integers(-3, 5)), float(rng.choice((0.5, 1, 1.5))))
             for _ in range(int(rng.integers(3, 7)))]
    for name, level, bars, progression in piece["sections"]:
        starts.append(t)
        vel = 40 + 80 * level
        for bar in range(bars):
            degree = progression[bar % len(progression)]
            triad = chord(scale, degree)
            root = 36 + tonic + triad[0]
            # Bass: the chord's root in the style's figure.
            if bassline == "roots":
                hits = [(0, beats * 0.95, root)]
            elif bassline == "octaves":
                hits = [(b * 0.5, 0.45, root + 12 * (b % 2)) for b in range(beats * 2)]
            elif bassline == "walking":
                hits = [(b, 0.9, 36 + tonic + scale[(degree + b * 2) % 7]) for b in range(beats)]
            else:
                hits = [(b * 0.5, 0.45, root) for b in range(beats * 2)]
            for s, length, pitch in hits:
                out.append((t + s, length, 0, pitch, vel * 0.9))
            # Accompaniment: the triad voiced around middle C.
            voiced = [60 + tonic + piece["register"] // 2 + p - 12 * (tonic > 6) for p in triad]
            if figure == "pad":
                out += [(t, beats, 1, p, vel * 0.7) for p in voiced]
            elif figure == "arpeggio":
                seq = voiced + [voiced[0] + 12]
                out += [(t + k * 0.5, 0.5, 1, seq[k % len(seq)], vel * 0.75) for k in range(beats * 2)]
            elif figure == "waltz":
                out += [(t + b, 0.8, 1, p, vel * 0.7) for b in (1, 2) for p in voiced]
            elif figure == "power":
                out += [(t + k * 0.5, 0.45, 1, p, vel * 0.8) for k in range(beats * 2) for p in (voiced[0], voiced[0] + 7)]
            elif figure == "comp":
                out += [(t + b, 0.4, 1, p, vel * 0.65) for b in (0.66, 2.66) for p in voiced]
            else:  # strum: chord on each beat, slightly spread
                out += [(t + b + 0.02 * k, 0.9, 1, p, vel * 0.7) for b in range(beats) for k, p in enumerate(voiced)]
            # Melody: the motif, transposed to the chord, every bar; sparser in quiet sections.
            if name != "intro" or bar >= bars // 2:
                for s, offset, length in motif:
                    if rng.random() < 0.35 + 0.6 * level:
                        pos = degree + offset + (1 if (bar % 2 and rng.random() < 0.5) else 0)
                        pitch = 72 + tonic + piece["register"] + scale[pos % 7] + 12 * (pos // 7) - 12 * (tonic > 6)
                        out.append((t + s, min(length, beats - s), 2, pitch, vel * (0.8 + 0.3 * rng.random())))
            # Drums: the style's bar, hats dropped in quiet sections, a crash on each section's first bar.
            if piece["drums"]:
                for inst, hits in DRUMS[piece["drums"]].items():
                    if inst in (HAT, OPEN_HAT) and level < 0.4:
                        continue
                    for step in hits:
                        accent = 1.0 if step % (steps // beats) == 0 else 0.75
                        out.append((t + step * step_beats, 0.1, DRUM_CHANNEL, inst,
                                    vel * accent * (0.9 + 0.2 * rng.random())))
                if bar == 0:
                    out.append((t, 1.0, DRUM_CHANNEL, CRASH, vel))
                if bar == bars - 1 and level > 0.5:  # a fill into the next section
                    out += [(t + beats - 1 + k * 0.25, 0.1, DRUM_CHANNEL, (HIGH_TOM, HIGH_TOM, LOW_TOM, LOW_TOM)[k],
                             vel) for k in range(4)]
            t += beats
    return out, starts, t


def programs(piece):
    return {0: piece["programs"]["bass"], 1: piece["programs"]["accompaniment"], 2: piece["programs"]["melody"]}


def family(program):
    return FAMILIES[program // 8]
