"""How close a bundle's music comes to real music, on held-out paired videos, through the C# runtime.

    real_music.py videos [--clips 24]                       # held-out paired videos -> runs/real_music/videos/
    real_music.py generate --bundle DIR --name v5 [--prompt "slow ambient pad"] [--temperatures 1,0.7,0.4]
    real_music.py measure --name v4 --name v5 [--out logs/v5/real_music.json]
    real_music.py figure --name v4 --name v5 [--clip 0] [--out figures/v5_spectrograms.png]
    real_music.py ceilings [--opus 6 12 24] [--out logs/v5/real_music_ceilings.json]
    real_music.py captions --prompt "slow ambient pad strings" --prompt "fast rock drums guitar" [--out ...]
    real_music.py prompts --prompt "slow ambient pad strings" --prompt "fast rock drums guitar" \
        --name v5 --name v5-calm --name v5-lively [--out logs/v5/prompt_measures.json]

`videos` renders the paired videos (music_video.py: the picture follows the music) of --clips held-out
clips spread evenly over data/music/heldout (composed pieces of seed 2 and Freedoom's held-out tracks).
`generate` scores each with `./v2meow batch --score` (same seeds for every bundle: seed = the clip's
index) into runs/real_music/NAME/. `measure` compares every set of music with held-out real music:

- Fréchet distance (dB²) between the Gaussian statistics (mean, covariance) of 64-band log-mel frames
  (log_mel_distance.log_mel_db: 1024-sample Hann window, hop 256, 30 Hz to 8 kHz, levels in dB floored
  60 dB below the clip's RMS) of the generated clips and of the references, each clip first scaled to
  RMS 1 so that loudness does not count; against the held-out recordings (Singularity, never trained on)
  and against the held-out rendered music (the videos' own music);
- spectral bandwidth: the frequency under which 90 % of the power lies (rolloff), the spectral centroid,
  and the share of power above 2 kHz;
- harmonic share (evaluate.harmonic_ratio) and onsets per second;
- following the video: AV-Align from the runtime's own scores (v2meow batch --score), and beat coverage, hit
  and F1 after D2M-GAN (Zhu et al. 2022): beats are onsets (evaluate.onsets) of the generated music and of the
  music the video was made from; coverage = generated beats / reference beats, hit = the share of reference
  beats with a generated beat within ±BEAT_TOLERANCE s, F1 = the harmonic mean of hit and of the share of
  generated beats within that tolerance of a reference beat, also against another video's music (the next
  clip's) as the chance level of music this dense (LORIS's 1-second bins, which the runtime scores,
  are 1.0 for every set here, since every second of this music has an onset); and motion following: the
  Spearman rank correlation over the videos between a video's motion (its mean Farnebäck flow magnitude,
  score.motion_curve on the frames the runtime's scorer reads) and the onset rate of the music made for it
  (the v4 card's measure);
- prompt steering, for sets generated with --prompt: onsets per second and centroid beside the unprompted set.

`captions` measures the held-out rendered music itself grouped by its captions, with the prompt-steering
numbers (onsets per second, centroid): for each --prompt, the clips whose caption has the prompt's first
word (its tempo) and at least one of its other words. That is the direction a model steered by its corpus
should follow, which need not be the one the words suggest to a listener.

`prompts` adds, for the same caption groups, the videos' own music (also through the codec) and each --name
set, three measures that do not rescale each clip's onset envelope to itself (evaluate.onsets' threshold is
the clip's own mean + 0.25 std, so a flat, sustained clip still gives many weak peaks): tempo in BPM from the
autocorrelation of the spectral-flux envelope over 50-200 BPM (tempo_bpm; for captioned clips also how often
it finds the caption's tempo); the percussive share of the spectrogram's power after Fitzgerald's (2010)
median-filter split (percussive_share); and onsets per second above one fixed threshold on the flux of the
clip scaled to RMS 1 (absolute_onsets: ABSOLUTE_ONSET_THRESHOLD, 0.36 nat, the old rule's mean + 0.25 std
pooled once over all 366 held-out clips).

The held-out real music itself is measured too, as the row a perfect model would approach, and the same
music through the real-music codec (its first 4 levels, as the default model decodes): the closest any
model decoding through that codec can come. `ceilings` puts the videos' own music through the codec (4
levels) and through FFmpeg's libopus at each --opus bitrate, and gives each set's Fréchet distance to both
references split into its mean and covariance terms: the distance a model decoding through a codec that good
could reach at best. `figure` draws
the spectrograms (0-8 kHz, 5 s) of one clip's own music and of each named set's music for its video, top to
bottom (spectrogram_figure.py's scale and colours).
"""

import argparse
import json
import os
import subprocess
import sys
import wave

import numpy as np
from scipy import linalg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402
import evaluate  # noqa: E402
import log_mel_distance  # noqa: E402
import music_corpus  # noqa: E402
import music_video  # noqa: E402

REPO = os.path.abspath(os.path.join(common.HERE, ".."))
ROOT = os.path.join(common.HERE, "runs", "real_music")
VIDEOS = os.path.join(ROOT, "videos")
HELDOUT = os.path.join(common.HERE, "data", "music", "heldout")
RECORDINGS = os.path.join(common.HERE, "data", "music", "heldout_rec")


def picks(n, clips):
    return np.linspace(0, n - 1, min(clips, n)).round().astype(int)


def videos(clips):
    os.makedirs(VIDEOS, exist_ok=True)
    audio, captions = music_corpus.load_shards(HELDOUT)
    index = []
    for i in picks(len(audio), clips):
        path = os.path.join(VIDEOS, f"clip{i:04d}.mp4")
        wav = audio[i].astype(np.float64) / 32767
        if not os.path.exists(path):
            music_video.write_video(music_video.describe(captions[i], wav), wav, path + ".tmp.mp4")
            os.replace(path + ".tmp.mp4", path)
        index.append({"clip": int(i), "video": os.path.basename(path), "caption": captions[i].get("text", "")})
    with open(os.path.join(VIDEOS, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)
    print(f"{len(index)} videos in {VIDEOS}")


def generate(bundle, name, prompt, temperatures=None):
    with open(os.path.join(VIDEOS, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    out = os.path.join(ROOT, name)
    os.makedirs(out, exist_ok=True)
    manifest = os.path.join(out, "manifest.jsonl")
    with open(manifest, "w", encoding="utf-8") as f:
        for item in index:
            line = {"video": os.path.join(VIDEOS, item["video"]), "output": os.path.join(out, f"clip{item['clip']:04d}.wav"),
                    "seed": item["clip"]}
            if prompt:
                line["prompt"] = prompt
            f.write(json.dumps(line) + "\n")
    # An argument list, never a command string: the paths go to the runtime unchanged.
    command = [os.path.join(REPO, "v2meow"), "batch", manifest, "--bundle", os.path.abspath(bundle), "--score"]
    if temperatures:
        command += ["--temperatures", temperatures]
    subprocess.run(command, check=True)


def read_wav(path):
    with wave.open(path) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64) / 32767


def frames_of(wav):
    return log_mel_distance.log_mel_db(wav / (np.sqrt(np.mean(wav ** 2)) + 1e-9))


def frechet_terms(a, b):
    """(mean term, covariance term) of the Fréchet distance between the Gaussians of frames a and b."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum()), float(np.trace(cov_a + cov_b - 2 * root))


def frechet(a, b):
    return max(0.0, sum(frechet_terms(a, b)))  # sqrtm rounding


def spectrum_numbers(wav):
    n_fft, hop = 1024, 256
    frames = 1 + (len(wav) - n_fft) // hop
    idx = np.arange(n_fft)[None] + hop * np.arange(frames)[:, None]
    power = (np.abs(np.fft.rfft(wav[idx] * np.hanning(n_fft), axis=1)) ** 2).sum(0)
    freqs = np.fft.rfftfreq(n_fft, 1 / common.SR)
    cumulative = np.cumsum(power) / power.sum()
    return {"rolloff90_hz": float(freqs[np.searchsorted(cumulative, 0.9)]),
            "centroid_hz": float((power * freqs).sum() / power.sum()),
            "above_2khz": float(power[freqs >= 2000].sum() / power.sum())}


# Rhythm measures that do not rescale each clip's onset envelope to itself (evaluate.onsets does: its threshold
# is the clip's mean + 0.25 std, so a flat, sustained clip still yields many weak peaks).
ABSOLUTE_ONSET_THRESHOLD = 0.36  # nat: evaluate.onsets' mean + 0.25 std, pooled once over all 366 held-out clips


def flux_envelope(wav):
    """text_tower.onset_envelope (spectral flux of a 100 Hz log-mel) of the clip scaled to RMS 1: a frame's value
    is the mean rise, in nat, of the 64 mel bands over 10 ms, on the same scale in every clip."""
    import torch
    import text_tower

    wav = wav / (np.sqrt(np.mean(wav ** 2)) + 1e-9)
    return text_tower.onset_envelope(torch.tensor(wav[None], dtype=torch.float32))[0].numpy().astype(np.float64)


def tempo_bpm(wav, slowest=50.0, fastest=200.0, rate=100.0):
    """The beat period with the largest autocorrelation of the mean-removed flux envelope, over lags from
    60/fastest to 60/slowest s (refined by a parabola through the peak and its neighbours), in BPM."""
    env = flux_envelope(wav)
    env = env - env.mean()
    lags = np.arange(int(np.ceil(rate * 60 / fastest)), int(rate * 60 / slowest) + 1)
    corr = np.array([env[:-lag] @ env[lag:] for lag in lags])
    if not np.any(corr > 0):
        return 0.0
    i = int(np.argmax(corr))
    lag = float(lags[i])
    if 0 < i < len(lags) - 1:
        a, b, c = corr[i - 1], corr[i], corr[i + 1]
        if a - 2 * b + c < 0:
            lag += 0.5 * (a - c) / (a - 2 * b + c)
    return 60 * rate / lag


def percussive_share(wav, n_fft=1024, hop=256, width=17):
    """Fitzgerald's (2010) median-filter split: a spectrogram bin is percussive where the magnitude's median over
    `width` frequency bins beats its median over `width` frames; the share of the spectrogram's power (all
    frequencies) in percussive bins."""
    import torch
    from scipy.ndimage import median_filter

    spec = torch.stft(torch.tensor(wav, dtype=torch.float32), n_fft, hop, window=torch.hann_window(n_fft),
                      return_complex=True).abs().numpy().astype(np.float64)
    percussive = median_filter(spec, size=(width, 1)) > median_filter(spec, size=(1, width))
    power = spec ** 2
    return float((power * percussive).sum() / max(power.sum(), 1e-12))


def absolute_onsets(wav, threshold=ABSOLUTE_ONSET_THRESHOLD):
    """evaluate.onsets' peak picking (text_tower.onset_times) on flux_envelope, above one fixed threshold instead
    of each clip's own: times in s."""
    import text_tower

    return text_tower.onset_times(flux_envelope(wav), threshold=threshold)


def through_codec(clips, levels=4):
    """Each clip encoded and decoded by the real-music codec's first `levels` levels (float64 arrays)."""
    from codec_vs_opus import load_codec, round_trip
    from train_codec_music import SMALL

    model, _ = load_codec(SMALL)
    return [round_trip(model, clip, levels) for clip in clips]


def held_out_references():
    """(index, held-out int16 clips, the videos' own music as floats, 96 recordings as floats, references):
    the videos' index, and each reference set's log-mel frames, as measure and ceilings compare against."""
    with open(os.path.join(VIDEOS, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    held_audio, _ = music_corpus.load_shards(HELDOUT)
    rec_audio, _ = music_corpus.load_shards(RECORDINGS)
    rendered = [held_audio[item["clip"]].astype(np.float64) / 32767 for item in index]
    recordings = [c.astype(np.float64) / 32767 for c in rec_audio[picks(len(rec_audio), 96)]]
    references = {"recordings": np.concatenate([frames_of(c) for c in recordings]),
                  "rendered": np.concatenate([frames_of(c) for c in rendered])}
    return index, held_audio, rendered, recordings, references


def ceilings(opus, out):
    """The videos' own music through the codec and through libopus, against both references."""
    from codec_vs_opus import opus_roundtrip

    index, held_audio, rendered, recordings, references = held_out_references()
    sets = {"the videos' own music": rendered, "through the codec (4 levels, 2 kbit/s)": through_codec(rendered)}
    for kbps in opus:
        sets[f"through Opus {kbps} kbit/s"] = [opus_roundtrip(held_audio[item["clip"]], kbps)[0] for item in index]
    result = {"clips": len(index), "recording_clips": len(recordings), "sets": {}}
    for name, clips in sets.items():
        frames = np.concatenate([frames_of(c) for c in clips])
        row = {}
        for ref, ref_frames in references.items():
            mean, cov = frechet_terms(frames, ref_frames)
            row[f"frechet_{ref}"] = round(max(0.0, mean + cov), 1)
            row[f"mean_term_{ref}"], row[f"covariance_term_{ref}"] = round(mean, 1), round(cov, 1)
        result["sets"][name] = row
        common.log("real_music.log", f"ceiling, {name}: {json.dumps(row)}")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)


def describe_set(clips, references):
    """The numbers of one set of clips (float arrays) against each reference set's log-mel frames."""
    frames = np.concatenate([frames_of(c) for c in clips])
    row = {"clips": len(clips)}
    for name, ref_frames in references.items():
        row[f"frechet_{name}"] = round(frechet(frames, ref_frames), 1)
    spectra = [spectrum_numbers(c) for c in clips]
    for key in spectra[0]:
        row[key] = round(float(np.mean([s[key] for s in spectra])), 3)
    row["harmonic_share"] = round(float(np.mean([evaluate.harmonic_ratio(c) for c in clips])), 3)
    row["onsets_per_s"] = round(float(np.mean([len(evaluate.onsets(c)) / (len(c) / common.SR) for c in clips])), 2)
    return row


BEAT_TOLERANCE = 0.1  # seconds: the overlap window VMAs' beat weighting trains with (±5 codec frames at 50 Hz)


def beat_scores(clips, references, tolerance=BEAT_TOLERANCE):
    """D2M-GAN's beat coverage and hit, and an F1 of hit and precision, of generated clips against the reference
    clips (the videos' own music), pooled over clips."""
    generated_n = reference_n = hits = precise = 0
    for clip, reference in zip(clips, references):
        g, r = np.asarray(evaluate.onsets(clip), float), np.asarray(evaluate.onsets(reference), float)
        generated_n, reference_n = generated_n + len(g), reference_n + len(r)
        if len(g) and len(r):
            hits += int((np.abs(r[:, None] - g[None]).min(1) <= tolerance).sum())
            precise += int((np.abs(g[:, None] - r[None]).min(1) <= tolerance).sum())
    hit = hits / max(reference_n, 1)
    precision = precise / max(generated_n, 1)
    return {"d2m_beat_coverage": round(generated_n / max(reference_n, 1), 3), "d2m_beat_hit": round(hit, 3),
            "d2m_beat_f1": round(2 * hit * precision / max(hit + precision, 1e-12), 3)}


def video_motion(index):
    """Each video's mean optical-flow magnitude (score.motion_curve over score.read_frames), cached beside the videos."""
    import score

    cache = os.path.join(VIDEOS, "motion.json")
    known = json.load(open(cache, encoding="utf-8")) if os.path.exists(cache) else {}
    for item in index:
        if item["video"] not in known:
            frames, _, _ = score.read_frames(os.path.join(VIDEOS, item["video"]))
            known[item["video"]] = float(np.mean(score.motion_curve(list(frames))))
    with open(cache, "w", encoding="utf-8") as f:
        json.dump(known, f, indent=1)
    return np.array([known[item["video"]] for item in index])


def motion_following(clips, motion):
    """Spearman correlation between the videos' motion and the onset rate of each video's music."""
    from scipy.stats import spearmanr

    rates = [len(evaluate.onsets(c)) / (len(c) / common.SR) for c in clips]
    return {"motion_following": round(float(spearmanr(motion, rates).correlation), 3)}


def runtime_scores(name):
    """Means of the runtime's beat scores and AV-Align over a set's results lines (v2meow batch --score)."""
    path = os.path.join(ROOT, name, "manifest.results.jsonl")
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    scores = [r["scores"] for r in rows if isinstance(r.get("scores"), dict)]
    out = {}
    for key in sorted({k for s in scores for k, v in s.items() if isinstance(v, (int, float))}):
        out[key] = round(float(np.mean([s[key] for s in scores if key in s])), 3)
    return out


def measure(names, out):
    index, _, rendered, _, references = held_out_references()
    result = {"clips": len(index), "sets": {}}
    motion = video_motion(index)
    result["sets"]["held-out rendered music (the videos' own)"] = describe_set(rendered, references)
    result["sets"]["held-out rendered music (the videos' own)"].update(motion_following(rendered, motion))
    coded = through_codec(rendered)
    result["sets"]["the same through the codec (4 levels)"] = describe_set(coded, references)
    result["sets"]["the same through the codec (4 levels)"].update(beat_scores(coded, rendered))
    result["sets"]["the same through the codec (4 levels)"]["d2m_beat_f1_mismatched"] = beat_scores(coded, rendered[1:] + rendered[:1])["d2m_beat_f1"]
    for name in names:
        clips = [read_wav(os.path.join(ROOT, name, f"clip{item['clip']:04d}.wav")) for item in index]
        row = describe_set(clips, references)
        row.update(beat_scores(clips, rendered))
        # The same scores against another video's music: what dense onsets reach by chance at this tolerance.
        row["d2m_beat_f1_mismatched"] = beat_scores(clips, rendered[1:] + rendered[:1])["d2m_beat_f1"]
        row.update(motion_following(clips, motion))
        row.update(runtime_scores(name))
        result["sets"][name] = row
        common.log("real_music.log", f"{name}: {json.dumps(row)}")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    keys = list(dict.fromkeys(k for row in result["sets"].values() for k in row))
    print("set".ljust(44) + "".join(k[:14].rjust(15) for k in keys))
    for name, row in result["sets"].items():
        print(name[:43].ljust(44) + "".join(str(row.get(k, "")).rjust(15) for k in keys))


def caption_words(caption):
    """A caption's words as the text tower splits them (text_tower.py: lower case, split on spaces, commas, semicolons)."""
    return set(w for w in caption.lower().replace(",", " ").replace(";", " ").split() if w)


def matches_prompt(caption, prompt):
    """Whether a clip's caption has the prompt's first word (its tempo) and at least one of the prompt's other words."""
    words, wanted = caption_words(caption), prompt.lower().split()
    return wanted[0] in words and any(w in words for w in wanted[1:])


def caption_groups(prompts, out):
    held_audio, captions = music_corpus.load_shards(HELDOUT)
    texts = [c["text"] for c in captions]
    groups = {"all held-out clips": list(range(len(texts)))}
    for prompt in prompts:
        groups[f"captions like '{prompt}'"] = [i for i, t in enumerate(texts) if matches_prompt(t, prompt)]
    result = {}
    for name, members in groups.items():
        if not members:
            result[name] = {"clips": 0}
            continue
        clips = [held_audio[i].astype(np.float64) / 32767 for i in members]
        result[name] = {
            "clips": len(clips),
            "onsets_per_s": round(float(np.mean([len(evaluate.onsets(c)) / (len(c) / common.SR) for c in clips])), 2),
            "centroid_hz": round(float(np.mean([spectrum_numbers(c)["centroid_hz"] for c in clips])), 1),
        }
        common.log("real_music.log", f"{name}: {json.dumps(result[name])}")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    for name, row in result.items():
        print(f"{name[:60]:60s} {json.dumps(row)}")


def rhythm_row(clips, bpms=None, per_clip=False):
    """The prompt-steering numbers of a set of clips: the old two (onsets per second after evaluate.onsets'
    per-clip threshold, centroid) and the three that do not rescale each clip; with the captions' tempi
    (`bpms`), how often tempo_bpm finds them: within 4 %, and within 4 % of 1/3, 1/2, 1, 2 or 3 times them
    (MIREX's tempo accuracies 1 and 2). With `per_clip`, the new three clip by clip too (for paired comparisons
    of sets made for the same videos)."""
    seconds = [len(c) / common.SR for c in clips]
    tempi = np.array([tempo_bpm(c) for c in clips])
    shares = [percussive_share(c) for c in clips]
    rates = [len(absolute_onsets(c)) / s for c, s in zip(clips, seconds)]
    row = {"clips": len(clips),
           "onsets_per_s": round(float(np.mean([len(evaluate.onsets(c)) / s for c, s in zip(clips, seconds)])), 2),
           "centroid_hz": round(float(np.mean([spectrum_numbers(c)["centroid_hz"] for c in clips])), 1),
           "tempo_bpm": round(float(np.mean(tempi)), 1),
           "tempo_bpm_median": round(float(np.median(tempi)), 1),
           "percussive_share": round(float(np.mean(shares)), 3),
           "absolute_onsets_per_s": round(float(np.mean(rates)), 2)}
    if bpms is not None:
        bpms = np.asarray(bpms, dtype=np.float64)
        row["caption_bpm"] = round(float(np.mean(bpms)), 1)
        row["tempo_within_4pct"] = round(float(np.mean(np.abs(tempi / bpms - 1) <= 0.04)), 3)
        factors = np.array([1 / 3, 1 / 2, 1, 2, 3])
        row["tempo_within_4pct_octave"] = round(float(np.mean(
            (np.abs(tempi[:, None] / (bpms[:, None] * factors[None]) - 1) <= 0.04).any(1))), 3)
    if per_clip:
        row["per_clip"] = {"tempo_bpm": [round(float(t), 1) for t in tempi],
                           "percussive_share": [round(x, 3) for x in shares],
                           "absolute_onsets_per_s": [round(x, 2) for x in rates]}
    return row


def prompt_measures(prompts, names, out):
    """rhythm_row for the held-out music grouped by captions like each prompt, and for the generated sets `names`."""
    held_audio, captions = music_corpus.load_shards(HELDOUT)
    texts = [c["text"] for c in captions]
    groups = {"all held-out clips": list(range(len(texts)))}
    for prompt in prompts:
        groups[f"captions like '{prompt}'"] = [i for i, t in enumerate(texts) if matches_prompt(t, prompt)]
    result = {"absolute_onset_threshold_nat": ABSOLUTE_ONSET_THRESHOLD, "sets": {}}
    for name, members in groups.items():
        clips = [held_audio[i].astype(np.float64) / 32767 for i in members]
        result["sets"][name] = rhythm_row(clips, [captions[i]["bpm"] for i in members]) if clips else {"clips": 0}
        common.log("real_music.log", f"{name}: {json.dumps(result['sets'][name])}")
    with open(os.path.join(VIDEOS, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    members = [item["clip"] for item in index]
    clips = [held_audio[i].astype(np.float64) / 32767 for i in members]
    bpms = [captions[i]["bpm"] for i in members]
    sets = {"held-out rendered music (the videos' own)": (clips, bpms),
            "the same through the codec (4 levels)": (through_codec(clips), bpms)}
    for name in names:
        sets[name] = ([read_wav(os.path.join(ROOT, name, f"clip{item['clip']:04d}.wav")) for item in index], None)
    for name, (clips, bpms) in sets.items():
        row = rhythm_row(clips, bpms, per_clip=True)
        result["sets"][name] = row
        common.log("real_music.log", f"{name}: {json.dumps({k: v for k, v in row.items() if k != 'per_clip'})}")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    keys = list(dict.fromkeys(k for row in result["sets"].values() for k in row if k != "per_clip"))
    print("set".ljust(44) + "".join(k[:14].rjust(15) for k in keys))
    for name, row in result["sets"].items():
        print(name[:43].ljust(44) + "".join(str(row.get(k, "")).rjust(15) for k in keys))


def figure(names, clip, out, seconds=5.0):
    import spectrogram_figure as fig

    held_audio, _ = music_corpus.load_shards(HELDOUT)
    waves = [held_audio[clip].astype(np.float32) / 32767]
    waves += [read_wav(os.path.join(ROOT, name, f"clip{clip:04d}.wav")).astype(np.float32) for name in names]
    panels = [fig.colour(fig.spectrogram(w, seconds, top_hz=8000.0)) for w in waves]
    gap = np.full((fig.SEPARATOR, panels[0].shape[1], 3), 255, dtype=np.uint8)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fig.write_png(out, np.concatenate([x for panel in panels for x in (panel, gap)][:-1]))
    print(f"{out}: {len(panels)} panels: clip {clip}'s own music, then {', '.join(names)}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["videos", "generate", "measure", "figure", "captions", "prompts", "ceilings"])
    p.add_argument("--clip", type=int, default=0, help="figure: the held-out clip (one of the videos')")
    p.add_argument("--clips", type=int, default=24)
    p.add_argument("--bundle")
    p.add_argument("--name", action="append", default=[])
    p.add_argument("--prompt", action="append", default=[],
                   help="generate: the prompt (one); captions, prompts: each prompt to group by")
    p.add_argument("--temperatures", help="generate: T1,T2,T3 in place of the bundle's")
    p.add_argument("--opus", type=int, nargs="*", default=[6, 12, 24], help="ceilings: libopus bitrates (kbit/s)")
    p.add_argument("--out", help="measure: default logs/[SET/]real_music.json; ceilings: logs/[SET/]real_music_ceilings.json; "
                                 "figure: figures/real_music.png")
    args = p.parse_args()
    if args.command == "videos":
        videos(args.clips)
    elif args.command == "generate":
        if not args.bundle or len(args.name) != 1:
            p.error("generate needs --bundle and one --name")
        if len(args.prompt) > 1:
            p.error("generate takes at most one --prompt")
        generate(args.bundle, args.name[0], args.prompt[0] if args.prompt else None, args.temperatures)
    elif args.command == "measure":
        measure(args.name, args.out or os.path.join(common.LOGS, "real_music.json"))
    elif args.command == "ceilings":
        ceilings(args.opus, args.out or os.path.join(common.LOGS, "real_music_ceilings.json"))
    elif args.command == "captions":
        if not args.prompt:
            p.error("captions needs at least one --prompt")
        caption_groups(args.prompt, args.out or os.path.join(common.LOGS, "prompt_reference.json"))
    elif args.command == "prompts":
        if not args.prompt:
            p.error("prompts needs at least one --prompt")
        prompt_measures(args.prompt, args.name, args.out or os.path.join(common.LOGS, "prompt_measures.json"))
    else:
        figure(args.name, args.clip, args.out or os.path.join(common.HERE, "figures", "real_music.png"))


if __name__ == "__main__":
    main()
