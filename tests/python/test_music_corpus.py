"""training/music_corpus.py and compose.py: a piece is a function of its seed, and its captions say what the
MIDI file (and, where fluidsynth is installed, the rendered audio) holds."""

import os
import shutil
import sys
import tempfile

import numpy as np
import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))

import compose  # noqa: E402
import midi_file  # noqa: E402
import music_corpus  # noqa: E402


def test_a_piece_is_a_function_of_seed_and_index():
    assert compose.plan(1, 5) == compose.plan(1, 5)
    assert compose.notes(compose.plan(1, 5)) == compose.notes(compose.plan(1, 5))
    assert compose.plan(1, 5) != compose.plan(1, 6)
    assert compose.plan(1, 5) != compose.plan(2, 5)
    assert music_corpus.composed_captions(1, 5) == music_corpus.composed_captions(1, 5)


def test_seeds_cover_styles_modes_and_tempi():
    plans = [compose.plan(3, i) for i in range(60)]
    assert len({p["style"] for p in plans}) >= 7
    assert len({p["mode"] for p in plans}) >= 5
    assert max(p["bpm"] for p in plans) - min(p["bpm"] for p in plans) > 60


@pytest.mark.parametrize("index", range(6))
def test_captions_match_the_midi_file(index, tmp_path):
    piece = compose.plan(4, index)
    notes, _, total_beats = compose.notes(piece)
    path = tmp_path / "piece.mid"
    midi_file.write(str(path), notes, piece["bpm"], compose.programs(piece))
    events = midi_file.read(path.read_bytes())
    captions = music_corpus.composed_captions(4, index)
    assert len(captions) == int(total_beats * 60 / piece["bpm"] // music_corpus.CLIP_SECONDS)
    cap = captions[0]
    # Tempo, instruments and drums as the file has them.
    assert events["tempos"][0][1] == pytest.approx(cap["bpm"], abs=0.01)
    families = {compose.family(prog) for _, ch, prog in events["programs"]}
    has_drums = any(ch == midi_file.DRUM_CHANNEL for _, ch, _, _ in events["notes"])
    assert set(cap["instruments"]) == families | ({"drums"} if has_drums else set())
    assert ("drums" in cap["text"]) == has_drums
    # Key and mode: every bass and melody note is in the caption's scale.
    tonic = compose.NOTE_NAMES.index(cap["key"])
    scale = {(tonic + s) % 12 for s in compose.MODES[cap["mode"]]}
    melodic = [pitch for _, ch, pitch, _ in events["notes"] if ch in (0, 2)]
    assert melodic and all(p % 12 in scale for p in melodic)
    assert f"{cap['key']} {cap['mode']}" in cap["text"] and f"{cap['bpm']:.0f} bpm" in cap["text"]


def test_energy_captions_follow_the_score_dynamics():
    for index in range(10):
        for cap in music_corpus.composed_captions(5, index):
            assert cap["energy"] == music_corpus.energy_word(cap["energy_value"])
            assert f"{cap['energy']} energy" in cap["text"]


def test_midi_reader_reads_running_status():
    # Two note-ons on channel 0, the second written with running status (no status byte).
    track = bytes([0, 0x90, 60, 100, 10, 64, 90, 0, 0xFF, 0x2F, 0])
    data = b"MThd" + (6).to_bytes(4, "big") + bytes([0, 0, 0, 1, 0, 96]) + b"MTrk" + len(track).to_bytes(4, "big") + track
    assert midi_file.read(data)["notes"] == [(0, 0, 60, 100), (10, 0, 64, 90)]


def test_cut_keeps_whole_clips_and_drops_silence():
    sr, n = music_corpus.SR, music_corpus.SR * music_corpus.CLIP_SECONDS
    audio = np.concatenate([0.1 * np.sin(np.arange(n) * 0.05), np.zeros(n), 0.1 * np.sin(np.arange(n // 2) * 0.05)])
    clips = music_corpus.cut(audio)
    assert [start for start, _ in clips] == [0]
    assert clips[0][1].dtype == np.int16 and len(clips[0][1]) == n
    assert music_corpus.rms_db(music_corpus.level(audio[:n], -20.0)) == pytest.approx(-20.0, abs=1e-6)
    del sr


def _can_render():
    return shutil.which("fluidsynth") and any(os.path.exists(b) for b in music_corpus.BANKS)


@pytest.mark.skipif(not _can_render(), reason="fluidsynth or the General MIDI banks (fluid-soundfont-gm, "
                                                 "musescore-general-soundfont-small) are not installed")
def test_rendered_loud_sections_are_louder(monkeypatch):
    # One bank, the first installed: FluidR3's .sf2 loads in a fraction of the time the .sf3 takes to unpack.
    monkeypatch.setattr(music_corpus, "BANKS", tuple(b for b in music_corpus.BANKS if os.path.exists(b))[:1])
    with tempfile.TemporaryDirectory() as out:
        music_corpus.build_composed(6, 1, out, first=2)
        audio, captions = music_corpus.load_shards(out)
    assert audio.shape[0] == len(captions) > 1
    for clip, cap in zip(audio, captions):
        assert cap["rms_db"] == pytest.approx(music_corpus.rms_db(clip / 32767), abs=0.01)
    by_energy = sorted(zip((c["energy_value"] for c in captions), (c["rms_db"] for c in captions)))
    assert by_energy[-1][1] > by_energy[0][1]  # the most energetic clip is louder than the least


@pytest.mark.skipif(not os.path.exists(music_corpus.WADS[1]), reason="Freedoom (package freedoom) is not installed")
def test_freedoom_music_lumps_are_midi_files_with_notes():
    tracks = music_corpus.wad_music(music_corpus.WADS[1])
    assert len(tracks) > 20 and all(name.startswith("D_") for name, _ in tracks)
    events = midi_file.read(tracks[0][1])
    assert events["notes"] and events["ticks"] > 0
