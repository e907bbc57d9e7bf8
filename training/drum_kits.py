"""Recorded drum kits for the real-music corpus: the Hydrogen kits of Debian's hydrogen-drumkits, played
from a list of General MIDI percussion hits.

    drum_kits.py                     # the installed kits, their licences, and which ones the corpus may use

A kit is a folder with drumkit.xml (instruments, each with one or more velocity layers of recorded
samples, FLAC/WAV/AIFF, decoded by ffmpeg) beside its samples. Instruments are given General MIDI
percussion notes by their names (case-insensitive keywords: "kick", "snare", "hat" + "open", ...); a
note whose instrument the kit lacks falls back to a close one (a ride to a cymbal, a clap to a snare,
toms to the other toms) or is dropped. A hit is its velocity layer's sample scaled by velocity / 127 and
the instrument's and layer's gains, as Hydrogen plays it; an open hi-hat rings until the next hi-hat hit.

Licences: drumkit.xml's licence field is missing or loose in several kits, so the licence of each kit is
the one Debian's copyright file (/usr/share/doc/hydrogen-drumkits/copyright) records, copied into LICENCES
below with the xml's field beside it in the listing. Only kits under licences that let weights trained on
them ship without share-alike terms are used (ALLOWED_LICENCES); the GPL and CC-BY-SA kits only with
`copyleft=True` (music_corpus.py --drum-kits-copyleft), and a kit missing from LICENCES (not reviewed) never.
A kit must also play a kick, a snare and a closed hi-hat: the hand-percussion kits stand in for no drum set.
"""

import bisect
import functools
import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np
from scipy.io import wavfile

KITS_DIR = "/usr/share/hydrogen/data/drumkits"
COPYRIGHT = "/usr/share/doc/hydrogen-drumkits/copyright"

# Folder -> (licence, author) as /usr/share/doc/hydrogen-drumkits/copyright (package 2017.09.19~dfsg-1) has
# them. rumpf_kit_z01_h2: the copyright file's comment calls its README's licence "GPL", but the README and
# drumkit.xml both say CC-BY 3.0, as does the file's own License field.
LICENCES = {
    "Audiophob": ("CC0-1.0", "soundcloud.com/audiophobdubstep (samples from freesound.org)"),
    "rumpf_kit_z01_h2": ("CC-BY-3.0", "Emanuel Rumpf"),
    "BJA_Pacific": ("CC-BY-SA-3.0-US", "Luc Tanguay / Bransin James Anderson"),
    "circAfrique v4": ("CC-BY-SA-3.0", "Jim Harney"),
    "ColomboAcousticDrumkit": ("GPL-2+ with composition exception", "Marcos Guglielmetti"),
    "ElectricEmpireKit": ("GPL-2+", "Artemiy Pavlov"),
    "HardElectro1": ("GPL-2+", "Artemiy Pavlov"),
    "VariBreaks": ("GPL-2+", "Artemiy Pavlov"),
    "Millo-Drums_v.1": ("GPL-2", "Emiliano Grilli"),
    "Millo_MultiLayered2": ("GPL-2", "Emiliano Grilli"),
    "Millo_MultiLayered3": ("GPL-2", "Emiliano Grilli"),
    "ForzeeStereo": ("GPL-2", "Vladimir Sadovnikov, Alexander Belokurov"),
    "Gimme A Hand 1.0": ("GPL-2", "Glen MacArthur"),
    "The Black Pearl 1.0": ("GPL-2", "Glen MacArthur"),
}
# Weights trained on these may ship under any terms (CC-BY: with the attribution, MODEL_CARD.md "Data").
ALLOWED_LICENCES = ("CC0-1.0", "public-domain", "CC-BY-3.0", "CC-BY-4.0", "MIT", "BSD-2-Clause", "BSD-3-Clause")
# Share-alike: weights trained on these would arguably be adaptations to be offered under the same licence.
COPYLEFT_LICENCES = ("CC-BY-SA-3.0", "CC-BY-SA-3.0-US", "GPL-2", "GPL-2+", "GPL-2+ with composition exception")

# General MIDI percussion note -> the roles that may play it, best first, and which instrument of the first
# role (0: the kit's first, 1: its second where it has two, e.g. bass drum 1 and 2).
NOTE_ROLES = {
    35: (("kick",), 1), 36: (("kick",), 0),
    37: (("side stick", "snare"), 0), 38: (("snare",), 0), 40: (("snare",), 1),
    39: (("clap", "snare"), 0),
    42: (("closed hat", "pedal hat", "open hat"), 0), 44: (("pedal hat", "closed hat"), 0),
    46: (("open hat", "closed hat"), 0),
    41: (("low tom", "mid tom", "high tom"), 0), 43: (("low tom", "mid tom", "high tom"), 1),
    45: (("mid tom", "low tom", "high tom"), 0), 47: (("mid tom", "low tom", "high tom"), 1),
    48: (("high tom", "mid tom", "low tom"), 1), 50: (("high tom", "mid tom", "low tom"), 0),
    49: (("crash", "cymbal", "ride"), 0), 57: (("crash", "cymbal", "ride"), 1),
    51: (("ride", "cymbal", "crash"), 0), 59: (("ride", "cymbal", "crash"), 1),
    53: (("ride bell", "ride", "cowbell"), 0), 52: (("china", "crash", "cymbal"), 0),
    55: (("splash", "crash", "cymbal"), 0),
    54: (("tambourine", "shaker"), 0), 56: (("cowbell",), 0),
    69: (("shaker", "tambourine"), 0), 70: (("shaker", "tambourine"), 0), 82: (("shaker", "tambourine"), 0),
    60: (("bongo",), 0), 61: (("bongo",), 1), 62: (("conga",), 0), 63: (("conga",), 1), 64: (("conga",), 2),
    67: (("agogo",), 0), 68: (("agogo",), 1), 75: (("clave",), 0), 76: (("woodblock",), 0),
    77: (("woodblock",), 1),
}
HAT_ROLES = ("closed hat", "pedal hat", "open hat")
CHOKE_FADE_S = 0.005  # an open hat cut by the next hat hit fades out over this, not in one sample (a click)


def instrument_role(name):
    """An instrument's name -> its role (a key of NOTE_ROLES' roles) or None, by keywords of the name."""
    words = set(re.findall(r"[a-z]+", name.lower()))
    if words & {"hat", "hh", "hihat", "hats"}:
        if words & {"pedal", "pd", "foot"}:
            return "pedal hat"
        if words & {"semiopen", "semi", "swish", "choke", "free"}:
            return None  # neither closed nor open: not a stand-in for either
        if words & {"open", "opened", "op"}:
            return "open hat"
        return "closed hat"
    if words & {"rimshot", "roll"}:
        return None  # a snare articulation, not the snare
    if "kick" in words or "bassdrum" in words or "bd" in words or {"bass", "drum"} <= words:
        return "kick"
    if "stick" in words or {"rim", "click"} <= words:
        return "side stick"
    if "snare" in words:
        return "snare"
    if "clap" in words:
        return "clap"
    if "tom" in words:
        if words & {"low", "lo", "floor"}:
            return "low tom"
        if words & {"high", "hi"}:
            return "high tom"
        return "mid tom"
    if ("ride" in words and "bell" in words) or "cup" in words:
        return "ride bell"
    for role in ("china", "splash", "crash", "ride", "cymbal", "tambourine", "cowbell", "bongo", "conga",
                 "agogo", "clave", "woodblock"):
        if role in words or role + "s" in words:
            return role
    if words & {"shaker", "maraca", "maracas", "cabasa"}:
        return "shaker"
    return None


def note_map(roles):
    """roles: each instrument's role (None: unused), in kit order -> {GM note: instrument index}."""
    by_role = {}
    for index, role in enumerate(roles):
        if role is not None:
            by_role.setdefault(role, []).append(index)
    out = {}
    for note, (choices, nth) in NOTE_ROLES.items():
        for k, role in enumerate(choices):
            if role in by_role:
                players = by_role[role]
                # Only the preferred role picks its nth instrument; a stand-in role plays its first.
                out[note] = players[min(nth, len(players) - 1)] if k == 0 else players[0]
                break
    return out


# ---------------------------------------------------------------- the kit's file

@dataclass
class Layer:
    low: float  # velocity range, 0..1, as drumkit.xml gives it
    high: float
    gain: float
    path: str
    audio: np.ndarray = None  # decoded on load


@dataclass
class Instrument:
    name: str
    role: str  # None: the instrument plays no note
    gain: float
    layers: list = field(default_factory=list)


@dataclass
class Kit:
    folder: str
    name: str
    licence: str
    author: str
    instruments: list
    notes: dict  # GM note -> index into instruments


def _text(element, tag, default=None):
    found = element.find(tag)
    return found.text.strip() if found is not None and found.text and found.text.strip() else default


def _float(element, tag, default):
    return float(_text(element, tag, default))


def read_xml(folder):
    """drumkit.xml -> (kit name, the xml's licence text, [Instrument] with their layers' files). Both formats
    of the installed kits: <layer> elements (min/max velocity, gain, filename), and the older single
    <filename> per instrument."""
    path = os.path.join(KITS_DIR, folder)
    root = ET.parse(os.path.join(path, "drumkit.xml")).getroot()
    for element in root.iter():  # drop the namespace some kits declare, so tags read the same in all
        element.tag = element.tag.rsplit("}", 1)[-1]
    instruments = []
    for inst in root.find("instrumentList").findall("instrument"):
        name = _text(inst, "name", "")
        if _text(inst, "isMuted", "false") == "true":
            continue
        layers = []
        for layer in inst.iter("layer"):
            filename = _text(layer, "filename")
            if filename and os.path.exists(os.path.join(path, filename)):
                layers.append(Layer(_float(layer, "min", 0), _float(layer, "max", 1), _float(layer, "gain", 1),
                                    os.path.join(path, filename)))
        filename = _text(inst, "filename")
        if not layers and filename and os.path.exists(os.path.join(path, filename)):
            layers.append(Layer(0.0, 1.0, 1.0, os.path.join(path, filename)))
        role = instrument_role(name) if layers else None
        instruments.append(Instrument(name, role, _float(inst, "volume", 1) * _float(inst, "gain", 1),
                                      sorted(layers, key=lambda x: x.low)))
    return _text(root, "name", folder), _text(root, "license", ""), instruments


def installed():
    """[(folder, licence, author, the xml's licence text, allowed)] of the kits installed, by folder name."""
    if not os.path.isdir(KITS_DIR):
        return []
    out = []
    for folder in sorted(os.listdir(KITS_DIR)):
        if not os.path.exists(os.path.join(KITS_DIR, folder, "drumkit.xml")):
            continue
        licence, author = LICENCES.get(folder, ("not reviewed", ""))
        out.append((folder, licence, author, read_xml(folder)[1], licence in ALLOWED_LICENCES))
    return out


def plays_a_drum_set(folder):
    """Whether the kit has a kick, a snare and a closed hi-hat of its own (not stand-ins)."""
    roles = {inst.role for inst in read_xml(folder)[2]}
    return {"kick", "snare", "closed hat"} <= roles


def usable(copyleft=False):
    """Folders of the installed kits the corpus may draw from: the allowed licences, plus the share-alike
    ones with `copyleft`, among the kits that play a drum set."""
    licences = ALLOWED_LICENCES + (COPYLEFT_LICENCES if copyleft else ())
    return [folder for folder, licence, _, _, _ in installed() if licence in licences and plays_a_drum_set(folder)]


def decode(paths, rate):
    """Audio files (any format ffmpeg reads) -> [float mono at `rate`], in one ffmpeg run (a run per file
    costs more than the decoding): each the mean of its channels, as the corpus mixes fluidsynth's stereo
    (ffmpeg's own stereo-to-mono mix is (L + R) / sqrt 2, which would put stereo samples 3 dB above mono)."""
    if not paths:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        command = ["ffmpeg", "-v", "error"]
        for path in paths:
            command += ["-i", path]
        outputs = [os.path.join(tmp, f"{k}.wav") for k in range(len(paths))]
        for k, output in enumerate(outputs):
            command += ["-map", f"{k}:a:0", "-ar", str(rate), "-c:a", "pcm_f32le", output]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        decoded = []
        for output in outputs:
            got, data = wavfile.read(output)
            assert got == rate, f"{output}: ffmpeg wrote {got} Hz, asked for {rate}"
            decoded.append((data.mean(axis=1) if data.ndim == 2 else data).astype(np.float64))
    return decoded


def trim_lead(audio, floor=0.01):
    """The sample from its first value above `floor` x its peak (-40 dB): several recorded hits start with
    up to 20 ms of room noise, which would put the hit that much after its note."""
    peak = np.abs(audio).max()
    return audio[int(np.argmax(np.abs(audio) > floor * peak)):] if peak > 0 else audio


@functools.lru_cache(maxsize=None)
def load(folder, rate):
    """The kit in KITS_DIR/folder with the samples of the instruments it plays decoded at `rate` (cached:
    the corpus draws the same few kits for every piece)."""
    name, _, instruments = read_xml(folder)
    notes = note_map([inst.role for inst in instruments])
    layers = [layer for index in sorted(set(notes.values())) for layer in instruments[index].layers]
    for layer, audio in zip(layers, decode([layer.path for layer in layers], rate)):
        layer.audio = trim_lead(audio)
    licence, author = LICENCES.get(folder, ("not reviewed", ""))
    return Kit(folder, name, licence, author, instruments, notes)


# ---------------------------------------------------------------- playing it

def layer_for(instrument, velocity):
    """The layer whose velocity range holds velocity / 127 (the first, as Hydrogen picks), else the nearest."""
    v = velocity / 127
    for layer in instrument.layers:
        if layer.low <= v <= layer.high:
            return layer
    return min(instrument.layers, key=lambda x: min(abs(v - x.low), abs(v - x.high)))


def render(kit, events, length, rate):
    """events: (time s, GM note, velocity 1-127) -> float mono [length] at `rate`. Notes the kit cannot play
    are dropped; an open hi-hat stops (with a short fade) at the next hi-hat hit of any kind."""
    out = np.zeros(length)
    hits = sorted((t, kit.notes[note], vel) for t, note, vel in events if note in kit.notes)
    hat_times = [t for t, index, _ in hits if kit.instruments[index].role in HAT_ROLES]
    fade = max(1, int(CHOKE_FADE_S * rate))
    for t, index, vel in hits:
        start = int(round(t * rate))
        if start >= length:
            continue
        inst = kit.instruments[index]
        layer = layer_for(inst, vel)
        sound = layer.audio * (vel / 127 * inst.gain * layer.gain)
        if inst.role == "open hat":
            following = bisect.bisect_right(hat_times, t)
            stop = int(round(hat_times[following] * rate)) - start if following < len(hat_times) else len(sound)
            if stop < len(sound):
                sound = sound[:stop + fade].copy()
                sound[stop:] *= np.linspace(1, 0, fade, endpoint=False)[:len(sound) - stop]
        sound = sound[:length - start]
        out[start:start + len(sound)] += sound
    return out


def main():
    print(f"Hydrogen kits in {KITS_DIR} (licences from {COPYRIGHT}):")
    for folder, licence, author, xml_licence, allowed in installed():
        print(f"  {'allowed ' if allowed else 'excluded'}  {folder:24s} {licence:36s} {author}")
        print(f"            drumkit.xml: {xml_licence or '(no licence field)'}")


if __name__ == "__main__":
    main()
