"""training/drum_kits.py and the recorded-kit path of music_corpus.py: instruments get General MIDI notes by
their names, a kit plays its hits where and as loud as the events say, and the default corpus build (no
kits) is what it was before kits existed."""

import os
import shutil
import sys
import tempfile

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))

import compose  # noqa: E402
import drum_kits  # noqa: E402
import midi_file  # noqa: E402
import music_corpus  # noqa: E402

SR = music_corpus.SR
KITS = drum_kits.usable() if shutil.which("ffmpeg") else []
needs_kits = pytest.mark.skipif(not KITS, reason="no allowed Hydrogen kit installed (training package "
                                                 "hydrogen-drumkits) or no ffmpeg to decode it")


def test_instrument_names_give_roles():
    assert drum_kits.instrument_role("c3 - bass drum 1") == "kick"
    assert drum_kits.instrument_role("Kick (Tama Superstar 22\")") == "kick"
    assert drum_kits.instrument_role("Snare Jazz") == "snare"
    assert drum_kits.instrument_role("Pearl Snare Rimshot") is None  # an articulation, not the snare
    assert drum_kits.instrument_role("Closed HH") == "closed hat"
    assert drum_kits.instrument_role("a#3 - hi-hat open") == "open hat"
    assert drum_kits.instrument_role("VariBreaks Hat 1 Pd") == "pedal hat"
    assert drum_kits.instrument_role("Sabian Hat Semi-Open") is None
    assert drum_kits.instrument_role("Floor Tom") == "low tom"
    assert drum_kits.instrument_role("Tom Hi") == "high tom"
    assert drum_kits.instrument_role("Ride Bell") == "ride bell"
    assert drum_kits.instrument_role("Crash Jazz") == "crash"
    assert drum_kits.instrument_role("Sample: beats_01-39.flac") is None


def test_notes_fall_back_to_close_instruments_or_are_dropped():
    roles = ["kick", "kick", "snare", "closed hat", "cymbal", "mid tom"]
    notes = drum_kits.note_map(roles)
    assert notes[36] == 0 and notes[35] == 1  # bass drum 1 and 2
    assert notes[38] == notes[40] == 2  # one snare plays both
    assert notes[39] == 2  # no clap: the snare
    assert notes[42] == notes[44] == notes[46] == 3  # no pedal or open hat: the closed one
    assert notes[51] == notes[49] == 4  # no ride or crash: the cymbal
    assert notes[41] == notes[50] == 5  # any tom plays every tom
    assert 56 not in notes and 81 not in notes  # no cowbell, no triangle: dropped


def test_keep_channels_splits_the_drum_channel_from_the_rest(tmp_path):
    piece = compose.plan(1, 1)
    notes, _, _ = compose.notes(piece)
    path = tmp_path / "piece.mid"
    midi_file.write(str(path), notes, piece["bpm"], compose.programs(piece))
    data = path.read_bytes()
    everything = midi_file.read(data)
    drums = midi_file.read(midi_file.keep_channels(data, {midi_file.DRUM_CHANNEL}))
    others = midi_file.read(midi_file.keep_channels(data, set(range(16)) - {midi_file.DRUM_CHANNEL}))
    assert drums["notes"] and all(ch == midi_file.DRUM_CHANNEL for _, ch, _, _ in drums["notes"])
    assert sorted(drums["notes"] + others["notes"]) == sorted(everything["notes"])  # same ticks, nothing lost
    assert drums["tempos"] == others["tempos"] == everything["tempos"]
    assert midi_file.read(midi_file.keep_channels(data, set(range(16)))) == everything
    # Running status in the input: the second note-on has no status byte and is dropped with its channel.
    track = bytes([0, 0x99, 36, 100, 10, 38, 90, 5, 0x90, 60, 80, 0, 0xFF, 0x2F, 0])
    smf = (b"MThd" + (6).to_bytes(4, "big") + bytes([0, 0, 0, 1, 0, 96])
           + b"MTrk" + len(track).to_bytes(4, "big") + track)
    assert midi_file.read(midi_file.keep_channels(smf, {0}))["notes"] == [(15, 0, 60, 80)]
    assert midi_file.read(midi_file.keep_channels(smf, {9}))["notes"] == [(0, 9, 36, 100), (10, 9, 38, 90)]


def test_kits_under_share_alike_licences_are_not_drawn():
    allowed = set(drum_kits.usable())
    for folder, licence, _, xml_licence, is_allowed in drum_kits.installed():
        assert is_allowed == (folder in allowed) == (licence in drum_kits.ALLOWED_LICENCES)
        if is_allowed:  # the kit's own file does not say otherwise
            assert not any(word in xml_licence.lower() for word in ("gpl", "share", "-sa"))
    assert allowed <= set(drum_kits.usable(copyleft=True))


@needs_kits
@pytest.mark.parametrize("folder", KITS)
def test_every_allowed_kit_plays_kick_snare_hats_and_the_composed_drums(folder):
    kit = drum_kits.load(folder, SR)
    roles = {note: kit.instruments[index].role for note, index in kit.notes.items()}
    assert roles[35] == roles[36] == "kick"
    assert roles[38] == roles[40] == "snare"
    assert roles[42] == "closed hat" and roles[46] == "open hat" and roles[44] in drum_kits.HAT_ROLES
    composed = (compose.KICK, compose.SNARE, compose.HAT, compose.OPEN_HAT, compose.CRASH, compose.RIDE,
                compose.CLAP, compose.LOW_TOM, compose.HIGH_TOM)
    assert set(composed) <= set(kit.notes)


@needs_kits
@pytest.mark.parametrize("folder", KITS)
def test_hits_sound_at_their_times_and_nowhere_else(folder):
    kit = drum_kits.load(folder, SR)
    times = (0.5, 2.5, 4.5, 6.5)
    events = list(zip(times, (36, 38, 42, 36), (100, 100, 100, 60)))
    audio = drum_kits.render(kit, events, 9 * SR, SR)
    for t in times:
        i = int(round(t * SR))
        assert not audio[i - SR // 2:i].any()  # silence before the hit (the previous one has died away)
        hit = np.abs(audio[i:i + SR // 2])
        assert hit.max() > 0.05
        assert np.abs(audio[i:i + SR * 3 // 1000]).max() > 0.1 * hit.max()  # loud within 3 ms of its time
    assert not audio[:int(0.5 * SR)].any() and not audio[int(8.5 * SR):].any()
    # Louder velocity, louder hit: the kick at 100 against the same kick at 60.
    loud, soft = (music_corpus.rms_db(audio[int(t * SR):int(t * SR) + SR // 4]) for t in (0.5, 6.5))
    assert loud > soft + 3


@needs_kits
@pytest.mark.parametrize("folder", KITS)
def test_a_closed_hat_chokes_the_open_one(folder):
    kit = drum_kits.load(folder, SR)
    open_only = drum_kits.render(kit, [(0.5, 46, 100)], 3 * SR, SR)
    choked = drum_kits.render(kit, [(0.5, 46, 100), (0.6, 42, 100)], 3 * SR, SR)
    closed = drum_kits.render(kit, [(0.6, 42, 100)], 3 * SR, SR)
    after = int(0.6 * SR) + int(drum_kits.CHOKE_FADE_S * SR)
    assert np.abs(open_only[after:after + SR // 10]).max() > 0  # the open hat rings on by itself
    assert np.array_equal(choked[after:], closed[after:])  # and not past the closed hit


@needs_kits
def test_the_kit_draw_is_seeded_off_by_default_and_about_its_share():
    assert music_corpus.drum_kit_for([1, 0, 2], 0.0, False) is None
    drawn = [music_corpus.drum_kit_for([1, i, 2], 0.5, False) for i in range(40)]
    assert 10 <= sum(k is not None for k in drawn) <= 30
    assert {k.folder for k in drawn if k is not None} <= set(KITS)
    again = music_corpus.drum_kit_for([1, 3, 2], 0.5, False)
    assert (again and again.folder) == (drawn[3] and drawn[3].folder)


def _can_render():
    return shutil.which("fluidsynth") and os.path.exists(music_corpus.BANKS[0])


def _old_build_composed(seed, index, out):
    """build_composed's body as it was before recorded kits (the code that made v5's corpus)."""
    piece = compose.plan(seed, index)
    notes, _, _ = compose.notes(piece)
    rng = np.random.default_rng([seed, index, 1])
    with tempfile.TemporaryDirectory() as tmp:
        mid = os.path.join(tmp, "piece.mid")
        midi_file.write(mid, notes, piece["bpm"], compose.programs(piece))
        audio = music_corpus.render_midi(mid, music_corpus.BANKS[int(rng.integers(0, len(music_corpus.BANKS)))],
                                         piece["reverb"])
    audio = music_corpus.level(audio, rng.uniform(-28, -16))
    clips = music_corpus.cut(audio)
    captions = music_corpus.composed_captions(seed, index)
    keep = [(c, captions[start // music_corpus.CLIP_SECONDS]) for start, c in clips
            if start // music_corpus.CLIP_SECONDS < len(captions)]
    for clip, cap in keep:
        cap["rms_db"] = round(music_corpus.rms_db(clip / 32767), 2)
    music_corpus.write_shard(os.path.join(out, "old.npz"), [c for c, _ in keep], [cap for _, cap in keep])


@pytest.mark.skipif(not _can_render(), reason="fluidsynth or the FluidR3_GM bank (fluid-soundfont-gm) is not installed")
def test_the_default_build_is_what_it_was_before_kits(monkeypatch):
    # FluidR3 only (it loads in a fraction of the .sf3's time); a drum kit loaded here would be an error.
    monkeypatch.setattr(music_corpus, "BANKS", music_corpus.BANKS[:1])
    monkeypatch.setattr(drum_kits, "load", lambda *_: pytest.fail("the default build loaded a drum kit"))
    seed, index = 1, 20  # a short piece (31 s) with drums
    assert compose.plan(seed, index)["drums"]
    with tempfile.TemporaryDirectory() as out:
        music_corpus.build_composed(seed, 1, out, first=index)
        _old_build_composed(seed, index, out)
        new = np.load(os.path.join(out, f"composed_s{seed}_{index:05d}.npz"))
        old = np.load(os.path.join(out, "old.npz"))
        assert np.array_equal(new["audio"], old["audio"])
        assert str(new["captions"]) == str(old["captions"])


@needs_kits
@pytest.mark.skipif(not _can_render(), reason="fluidsynth or the FluidR3_GM bank (fluid-soundfont-gm) is not installed")
def test_a_kit_replaces_the_bank_drums_at_their_level(tmp_path):
    notes = [(b * 0.5, 0.45, 0, 48 + 2 * (b % 4), 90) for b in range(12)]
    notes += [(b, 0.1, midi_file.DRUM_CHANNEL, (36, 38)[b % 2], 100) for b in range(6)]
    notes += [(b + 0.5, 0.1, midi_file.DRUM_CHANNEL, 42, 80) for b in range(6)]
    paths = {name: str(tmp_path / f"{name}.mid") for name in ("piece", "others", "drums")}
    midi_file.write(paths["piece"], notes, 120.0, {0: 33})
    midi_file.write(paths["others"], [n for n in notes if n[2] != midi_file.DRUM_CHANNEL], 120.0, {0: 33})
    midi_file.write(paths["drums"], [n for n in notes if n[2] == midi_file.DRUM_CHANNEL], 120.0, {})
    bank = music_corpus.BANKS[0]
    mix = music_corpus.render_midi_with_kit(paths["piece"], bank, False, drum_kits.load(KITS[0], SR))
    rest = music_corpus.render_midi(paths["others"], bank, False)
    bank_drums = music_corpus.render_midi(paths["drums"], bank, False)
    kit_part = mix - np.pad(rest, (0, len(mix) - len(rest)))
    # The rest is the bank's; the kit's part sits at the RMS the bank gives the same drum notes.
    assert music_corpus.rms_db(kit_part) == pytest.approx(music_corpus.rms_db(bank_drums), abs=0.01)
    # At 120 BPM: kick and snare on the beats (every 0.5 s), hats between them.
    peak = np.abs(kit_part).max()
    assert all(np.abs(kit_part[int(t * SR):int(t * SR) + SR * 3 // 1000]).max() > 0.05 * peak
               for t in np.arange(0, 3, 0.25))
