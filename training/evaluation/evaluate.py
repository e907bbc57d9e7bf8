"""Evaluate an exported bundle on held-out synthetic clips (data/heldout.npz, corpus seed 2).

    evaluate.py --bundle DIR [--clips 24] [--style-clips 8] [--workers 2] [--temperature stage2=0.5] [--split heldout]

Music is generated from the `builtin` rows of each held-out clip with
pipeline.py (the reference modules and the SPEC §8 sampler, seed 0), then:

- Onset rate (onsets per second; spectral-flux peaks of a 100 Hz log-mel,
  above mean + 0.25 std, >= 50 ms apart) against the clip's motion (mean
  `motion_lag1` over its rows): Spearman correlation and tertile means. The same
  for the corpus's own music of those clips, the target the model imitates.
- Beat alignment with the clip's corpus music, after Zhu et al. 2022 as adjusted
  by Yu et al. 2023 (the V2Meow paper's Table 3): beats are the onsets above;
  a generated beat is aligned when a ground-truth beat lies within 0.1 s;
  BCS = aligned / generated beats, BHS = aligned ground-truth beats / ground-truth
  beats, F1 their harmonic mean. Baseline: every mismatched pairing of the
  clips' generated music with their corpus music, averaged (no one derangement's
  luck decides it). The F1 gain is the matched mean minus that; the
  permutation test's p (shuffle_p) is the share of 10,000 random pairings that
  score at least as well. Per clip, the gain removes both of the clip's sides
  (per_clip_gains; otherwise the density of the clip's own music decides its
  sign); it gives the 95 % bootstrap interval, the count of clips where it is
  positive and the two-sided sign test's p for that count. The onset lists go
  beside the JSON (OUT.onsets.json), so pool_beats.py can pool runs on other clips.
- Tonal content: the harmonic share of the spectral magnitude between 200 Hz
  and 4 kHz (median-filter harmonic/percussive split, Fitzgerald 2010: a bin is
  harmonic when its magnitude smoothed along time exceeds the one smoothed
  along frequency). Sustained notes and chords score high, drums and noise low.
- Pulse clarity: the highest normalised autocorrelation of the onset envelope
  at lags of 0.25-1.5 s (40-240 BPM); a steady beat scores high, scattered
  hits low.
- Text control: the same videos with the style vector of a prompt (text tower)
  "slow dark minor bell ambient" vs "fast bright major piano drums": onset rate
  and spectral centroid of each.

--temperature samples a stage at another temperature than the bundle's, as the CLI's --temperatures
does. --split names another set of unseen clips (data/SPLIT.npz with its features), e.g. a larger one
built with another corpus seed to narrow the beat interval. Writes logs/eval.json and prints a Markdown table.
"""

import argparse
import json
import math
import multiprocessing as mp
import os

import numpy as np
import torch

import sys
# training/ holds common (which puts weights-spec/reference and training/evaluation on the path) and the build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common
import bundle as bundle_io  # weights-spec/reference, on the path once common is imported
import pipeline  # weights-spec/reference/pipeline.py, on the path once common is imported
import text_tower

ONSET_RATE = 100.0  # text_tower.onset_times: frames of the 100 Hz onset envelope
PROMPTS = {"calm": "slow dark minor bell ambient", "lively": "fast bright major piano drums"}


def onsets(wav):
    env = text_tower.onset_envelope(torch.tensor(wav[None], dtype=torch.float32))[0].numpy()
    return text_tower.onset_times(env)


def centroid(wav):
    return float(text_tower.spectral_centroid(torch.tensor(wav[None], dtype=torch.float32))[0])


def harmonic_ratio(wav, n_fft=1024, hop=256, fmin=200.0, fmax=4000.0, width=17):
    """Share of spectral magnitude in [fmin, fmax) in bins where the time-smoothed magnitude beats the
    frequency-smoothed one. Magnitude, not power, and no bass: otherwise a low hum counts as music."""
    from scipy.ndimage import median_filter

    spec = torch.stft(torch.tensor(wav, dtype=torch.float32), n_fft, hop, window=torch.hann_window(n_fft),
                      return_complex=True).abs().numpy()
    spec = spec[int(fmin / common.SR * n_fft): int(fmax / common.SR * n_fft)]
    harmonic = median_filter(spec, size=(1, width)) > median_filter(spec, size=(width, 1))
    return float((spec * harmonic).sum() / max(spec.sum(), 1e-12))


def pulse_clarity(wav):
    """envelope_pulse_clarity of the audio's 100 Hz onset envelope."""
    return envelope_pulse_clarity(text_tower.onset_envelope(torch.tensor(wav[None], dtype=torch.float32))[0].numpy())


def envelope_pulse_clarity(envelope, rate=100.0, shortest=0.25, longest=1.5):
    """Largest autocorrelation of the mean-removed onset envelope over beat-period lags, over its zero-lag value."""
    env = np.asarray(envelope, dtype=np.float64)
    env = env - env.mean()
    energy = float(env @ env)
    if energy <= 0:
        return 0.0
    lags = range(int(shortest * rate), int(longest * rate) + 1)
    return max(float(env[:-lag] @ env[lag:]) / energy for lag in lags)


def beat_scores(generated, truth, tolerance=0.1):
    """BCS, BHS and their F1 of one generated onset list against one ground-truth list (seconds)."""
    generated, truth = np.sort(np.asarray(generated, float)), np.sort(np.asarray(truth, float))
    if len(generated) == 0 or len(truth) == 0:
        return 0.0, 0.0, 0.0
    bcs = float(np.mean(_nearest_distance(generated, truth) <= tolerance))
    bhs = float(np.mean(_nearest_distance(truth, generated) <= tolerance))
    return bcs, bhs, (2 * bcs * bhs / (bcs + bhs) if bcs + bhs > 0 else 0.0)


def _nearest_distance(times, sorted_reference):
    """Distance from each of `times` to the nearest of `sorted_reference` (non-empty)."""
    i = np.searchsorted(sorted_reference, times)
    before = sorted_reference[np.clip(i - 1, 0, len(sorted_reference) - 1)]
    after = sorted_reference[np.clip(i, 0, len(sorted_reference) - 1)]
    return np.minimum(np.abs(times - before), np.abs(times - after))


def pairing_scores(generated, truth):
    """[n, n, 3]: BCS, BHS, F1 of clip i's generated onsets against clip j's music."""
    return np.array([[beat_scores(g, t) for t in truth] for g in generated])


def sign_test_p(wins, n):
    """Two-sided sign test: the chance that n fair coin flips split at least as unevenly as wins : n - wins."""
    k = max(wins, n - wins)
    return min(1.0, 2 * sum(math.comb(n, j) for j in range(k, n + 1)) / 2 ** n)


def per_clip_gains(f1):
    """Each clip's matched F1 over what its mismatched pairings score: minus the mean of its music against the
    other clips' music, minus the mean of its music's clip against the other clips' generated music, plus the
    mean of every mismatched pair. Removing both sides matters: how easy a clip's own music is to hit (its
    onset density) otherwise decides the sign of the gain, clip by clip. The mean is the same either way."""
    rows, cols = mismatched_means(f1)
    return np.diag(f1) - rows - cols + f1[~np.eye(len(f1), dtype=bool)].mean()


def mismatched_means(f1):
    """Per clip: the mean F1 of its generated music against the other clips' music (rows of `f1`), and of
    its music against the other clips' generated music (columns)."""
    off = ~np.eye(len(f1), dtype=bool)
    return (f1 * off).sum(1) / (len(f1) - 1), (f1 * off).sum(0) / (len(f1) - 1)


def shuffle_p(f1_matrices, resamples=10000, seed=0):
    """One-sided permutation test of the pairing: the share of random pairings (each set of clips shuffled on
    its own) whose summed F1 is at least the matched pairing's, counting the matched one."""
    rng = np.random.default_rng(seed)
    matched = sum(float(np.trace(f1)) for f1 in f1_matrices)
    at_least = 0
    for _ in range(resamples):
        shuffled = sum(float(f1[np.arange(len(f1)), rng.permutation(len(f1))].sum()) for f1 in f1_matrices)
        at_least += shuffled >= matched - 1e-9
    return (1 + at_least) / (1 + resamples)


def alignment_summary(score_matrices, resamples=10000, seed=0):
    """Matched against shuffled BCS/BHS/F1 over one or more disjoint sets of clips ([n, n, 3] each, from
    pairing_scores; a clip is only ever paired within its own set), with the per-clip F1 gains summarised by
    gain_summary and the permutation test's p."""
    matched = np.concatenate([np.diagonal(m, axis1=0, axis2=1).T for m in score_matrices])
    shuffled = np.concatenate([m[~np.eye(len(m), dtype=bool)] for m in score_matrices])
    gains = np.concatenate([per_clip_gains(m[:, :, 2]) for m in score_matrices])
    return {"matched_bcs_bhs_f1": matched.mean(0).tolist(), "shuffled_bcs_bhs_f1": shuffled.mean(0).tolist(),
            **gain_summary(gains, resamples, seed),
            "shuffle_p": shuffle_p([m[:, :, 2] for m in score_matrices], resamples, seed),
            "f1_gain_per_clip": gains.tolist()}


def beat_alignment(generated, truth, resamples=10000, seed=0):
    """alignment_summary of one set of clips; generated[i] and truth[i] are onset times of clip i."""
    return alignment_summary([pairing_scores(generated, truth)], resamples, seed)


def gain_summary(gain, resamples=10000, seed=0):
    """Mean per-clip F1 gain with its 95 % bootstrap interval over clips, how many clips gain at all, and the
    two-sided sign test's p for that count."""
    gain = np.asarray(gain, dtype=np.float64)
    n = len(gain)
    boot = np.random.default_rng(seed).integers(0, n, (resamples, n))
    low, high = np.percentile(gain[boot].mean(1), [2.5, 97.5])
    better = int((gain > 0).sum())
    return {"f1_gain": float(gain.mean()), "f1_gain_95ci": [float(low), float(high)],
            "clips_matched_better": better, "clips": n, "sign_test_p": sign_test_p(better, n)}


def f1_gain_text(beats):
    """beat_alignment's F1 gain and its 95 % interval as table text, e.g. "+0.054 (+0.018 .. +0.088)"."""
    low, high = beats["f1_gain_95ci"]
    return f"{beats['f1_gain']:+.3f} ({low:+.3f} .. {high:+.3f})"


_STATE = {}


def _work(job):
    torch.set_num_threads(1)
    if "models" not in _STATE:
        _STATE["config"], _STATE["models"] = pipeline.load_bundle(_STATE["bundle"], _STATE["temperatures"])
    i, features, style_name = job
    style = None if style_name is None else text_tower.style_for(PROMPTS[style_name])
    wav, _, _ = pipeline.generate(_STATE["config"], _STATE["models"], features, style, seed=0)
    return i, style_name, wav


def write_onsets(out, generated, truth):
    """Onset lists beside the summary (OUT.onsets.json, whole envelope frames, compact) so that pool_beats.py
    can pool runs on other clips; returns the file's name."""
    frames = {}
    for side, lists in (("generated", generated), ("truth", truth)):
        frames[side] = [np.rint(np.asarray(o) * ONSET_RATE).astype(int).tolist() for o in lists]
        if any(not np.array_equal(np.array(f, dtype=np.int64) / ONSET_RATE, o) for f, o in zip(frames[side], lists)):
            raise ValueError(f"{side} onsets are not on the {ONSET_RATE:g} Hz envelope's frames")
    path = os.path.splitext(out)[0] + ".onsets.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"rate_hz": ONSET_RATE, **frames}, f, separators=(",", ":"))
    return os.path.basename(path)


def read_onsets(summary_path, beats):
    """(generated, truth) onset times in seconds from the file write_onsets named in `beats`."""
    with open(os.path.join(os.path.dirname(summary_path), beats["onsets_file"]), encoding="utf-8") as f:
        d = json.load(f)
    return ([np.array(o, dtype=np.int64) / d["rate_hz"] for o in d["generated"]],
            [np.array(o, dtype=np.int64) / d["rate_hz"] for o in d["truth"]])


def spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--clips", type=int, default=24)
    p.add_argument("--style-clips", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--save-audio", help="folder for a few generated wavs")
    p.add_argument("--temperature", nargs="*", default=[], type=common.temperature_override, metavar="STAGE=T",
                   help="sampling temperatures in place of the bundle's, e.g. stage2=0.5 (as the CLI's --temperatures)")
    p.add_argument("--split", default="heldout", help="clips to evaluate on: data/SPLIT.npz and its feature rows")
    p.add_argument("--out", default=os.path.join(common.LOGS, "eval.json"))
    args = p.parse_args()
    temperatures = dict(args.temperature)
    held = common.load_corpus(args.split)
    feats = common.load_features(args.split, bundle_io.read_config(args.bundle))
    audio = held["audio"].astype(np.float32) / 32767
    n = min(args.clips, feats.shape[0])
    jobs = [(i, feats[i], None) for i in range(n)]
    jobs += [(i, feats[i], s) for i in range(min(args.style_clips, n)) for s in PROMPTS]
    _STATE["bundle"], _STATE["temperatures"] = args.bundle, temperatures
    with mp.get_context("fork").Pool(args.workers) as pool:
        results = pool.map(_work, jobs, chunksize=1)
    gen = {(i, s): w for i, s, w in results}
    if args.save_audio:
        import corpus

        os.makedirs(args.save_audio, exist_ok=True)
        for (i, s), w in gen.items():
            if i < 3:
                corpus.write_wav(os.path.join(args.save_audio, f"heldout{i}_{s or 'video'}.wav"), w)

    motion = held["features"][:n, :, 17].mean(1)  # 1 fps rows whatever the bundle reads: comparable across bundles
    seconds = audio.shape[1] / common.SR
    gen_rate = np.array([len(onsets(gen[(i, None)])) / seconds for i in range(n)])
    gt_on = [onsets(audio[i]) for i in range(n)]
    gt_rate = np.array([len(o) / seconds for o in gt_on])
    order = np.argsort(motion)
    terts = np.array_split(order, 3)
    gen_on = [onsets(gen[(i, None)]) for i in range(n)]
    beats = beat_alignment(gen_on, gt_on)
    beats.pop("f1_gain_per_clip")
    beats["onsets_file"] = write_onsets(args.out, gen_on, gt_on)
    style = {}
    for s in (PROMPTS if args.style_clips > 0 else []):
        k = min(args.style_clips, n)
        style[s] = {
            "onset_rate": float(np.mean([len(onsets(gen[(i, s)])) / seconds for i in range(k)])),
            "centroid_hz": float(np.mean([centroid(gen[(i, s)]) for i in range(k)])),
        }
    k = min(args.style_clips, n)
    if k == 0:
        gen.update({(i, s): gen[(i, None)] for i in range(1) for s in PROMPTS})  # placeholders, not reported
        k = 1
    lively_faster = int(sum(len(onsets(gen[(i, "lively")])) > len(onsets(gen[(i, "calm")])) for i in range(k)))
    lively_brighter = int(sum(centroid(gen[(i, "lively")]) > centroid(gen[(i, "calm")]) for i in range(k)))
    result = {
        "split": args.split, "clips": n, "style_clips": k, "temperature_overrides": temperatures,
        "spearman_motion_onset_rate_generated": spearman(motion, gen_rate),
        "spearman_motion_onset_rate_corpus": spearman(motion, gt_rate),
        "onset_rate_by_motion_tertile_generated": [float(gen_rate[t].mean()) for t in terts],
        "onset_rate_by_motion_tertile_corpus": [float(gt_rate[t].mean()) for t in terts],
        "beats": beats,
        "style": style, "lively_more_onsets": lively_faster, "lively_higher_centroid": lively_brighter,
        "no_prompt_centroid_hz": float(np.mean([centroid(gen[(i, None)]) for i in range(k)])),
        "no_prompt_onset_rate": float(np.mean(gen_rate[:k])),
        "harmonic_ratio_generated": float(np.mean([harmonic_ratio(gen[(i, None)]) for i in range(n)])),
        "harmonic_ratio_corpus": float(np.mean([harmonic_ratio(audio[i]) for i in range(n)])),
        "pulse_clarity_generated": float(np.mean([pulse_clarity(gen[(i, None)]) for i in range(n)])),
        "pulse_clarity_corpus": float(np.mean([pulse_clarity(audio[i]) for i in range(n)])),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    r = result
    print(f"| measure | generated | corpus music |\n|---|---|---|")
    print(f"| Spearman(motion, onset rate), {n} clips | {r['spearman_motion_onset_rate_generated']:.2f} | "
          f"{r['spearman_motion_onset_rate_corpus']:.2f} |")
    print("| onset rate /s, motion tertiles low/mid/high | "
          + " / ".join(f"{v:.2f}" for v in r["onset_rate_by_motion_tertile_generated"]) + " | "
          + " / ".join(f"{v:.2f}" for v in r["onset_rate_by_motion_tertile_corpus"]) + " |")
    print(f"| harmonic share 200 Hz-4 kHz | {r['harmonic_ratio_generated']:.3f} | {r['harmonic_ratio_corpus']:.3f} |")
    print(f"| pulse clarity | {r['pulse_clarity_generated']:.3f} | {r['pulse_clarity_corpus']:.3f} |")
    print(f"\n| pairing | BCS | BHS | F1 |\n|---|---|---|---|")
    print("| matched | " + " | ".join(f"{v:.3f}" for v in beats["matched_bcs_bhs_f1"]) + " |")
    print("| shuffled (all other clips) | " + " | ".join(f"{v:.3f}" for v in beats["shuffled_bcs_bhs_f1"]) + " |")
    print(f"F1 gain {beats['f1_gain']:+.4f} (95 % CI {beats['f1_gain_95ci'][0]:+.4f} .. {beats['f1_gain_95ci'][1]:+.4f}), "
          f"matched better on {beats['clips_matched_better']} of {n} clips (sign test p {beats['sign_test_p']:.3f}); "
          f"random pairings scoring at least the matched one: p {beats['shuffle_p']:.4f}")
    if not style:
        return
    print(f"\n| style ({k} clips) | onset rate /s | spectral centroid Hz |\n|---|---|---|")
    print(f"| no prompt (zeros) | {r['no_prompt_onset_rate']:.2f} | {r['no_prompt_centroid_hz']:.0f} |")
    for s in PROMPTS:
        print(f"| \"{PROMPTS[s]}\" | {style[s]['onset_rate']:.2f} | {style[s]['centroid_hz']:.0f} |")
    print(f"\nlively > calm: onsets {lively_faster}/{k} clips, centroid {lively_brighter}/{k} clips")


if __name__ == "__main__":
    main()
