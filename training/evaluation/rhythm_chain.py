"""Where the rhythm is kept or lost: each stage of a bundle fed the true tokens of the stage before it.

    rhythm_chain.py --bundle DIR [--clips 6] [--workers 2] [--links semantic->2->3 ...] [--temperature stage2=0.5]

For the first held-out clips (data/heldout.npz, with data/semantic_heldout.npy and
data/codes_heldout.npy from semantic.py and train_codec.py encode), the music of:

  corpus              the corpus's own music, the target
  codes               the clip's true codes (coarse + fine) through the bundle's codec
  coarse->3           true coarse codes -> stage 3 -> codec
  semantic->2->3      true semantic tokens -> stage 2 -> stage 3 -> codec
  video->1->2->3      the clip's video features -> every stage (what `generate` does)

scored with evaluate.py's pulse clarity, harmonic share, onset rate and beat alignment with
the clip's corpus music (F1 gain over every other clip's music, evaluate.beat_alignment), seed 0,
the bundle's temperatures and windows as pipeline.py runs them. --temperature overrides a stage's
sampling temperature, a diagnostic (how much of a stage's loss is the spread it samples from rather
than what it ranks first); --links scores only some links (the corpus's music is always scored). Writes
logs/rhythm_chain.json and prints a Markdown table.
"""

import argparse
import json
import multiprocessing as mp
import os

import numpy as np
import torch

import sys
# training/ holds common (which puts weights-spec/reference and training/evaluation on the path) and the build steps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common
import bundle as bundle_io  # weights-spec/reference, on the path once common is imported
import evaluate
import pipeline  # weights-spec/reference/pipeline.py, on the path once common is imported

CHAIN = ("corpus", "codes", "coarse->3", "semantic->2->3", "video->1->2->3")
_STATE = {}


@torch.no_grad()
def link_music(config, models, link, features, semantic, codes, seed=0):
    """One clip's waveform for a link of CHAIN other than "corpus": features are its video rows, semantic
    and codes its true tokens."""
    if link == "video->1->2->3":
        return pipeline.generate(config, models, features, None, seed=seed)[0]
    qc = config["tokens"]["coarse_levels"]
    if link == "codes":
        out = codes
    elif link == "coarse->3":
        out = np.concatenate([codes[:qc], pipeline.fine_from_coarse(config, models, codes[:qc], seed)])
    elif link == "semantic->2->3":
        coarse = pipeline.coarse_from_semantic(config, models, list(semantic), seed)
        out = np.concatenate([coarse, pipeline.fine_from_coarse(config, models, coarse, seed)])
    else:
        raise ValueError(f"not a generated link: {link}")
    return models["codec"](torch.tensor(out))["waveform"].numpy()


def _work(job):
    torch.set_num_threads(1)
    if "models" not in _STATE:
        _STATE["config"], _STATE["models"] = pipeline.load_bundle(_STATE["bundle"], _STATE["temperatures"])
    i, link, features, semantic, codes = job
    return i, link, link_music(_STATE["config"], _STATE["models"], link, features, semantic, codes)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--clips", type=int, default=6)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--links", nargs="+", choices=CHAIN[1:], default=list(CHAIN[1:]))
    p.add_argument("--temperature", nargs="*", default=[], type=common.temperature_override, metavar="STAGE=T",
                   help="sampling temperature overrides, e.g. stage2=0.5 (default: the bundle's)")
    p.add_argument("--out", default=os.path.join(common.LOGS, "rhythm_chain.json"))
    args = p.parse_args()
    temperatures = dict(args.temperature)
    held = common.load_corpus("heldout")
    semantic = np.load(os.path.join(common.DATA, "semantic_heldout.npy")).astype(np.int64)
    n = min(args.clips, semantic.shape[0])
    codes = [None] * n
    if {"codes", "coarse->3"} & set(args.links):  # only these links read the codes (train_codec.py encode)
        codes = np.load(os.path.join(common.DATA, "codes_heldout.npy")).astype(np.int64)
        n = min(n, codes.shape[0])
    features = common.load_features("heldout", bundle_io.read_config(args.bundle))
    jobs = [(i, link, features[i], semantic[i], codes[i]) for i in range(n) for link in args.links]
    _STATE["bundle"], _STATE["temperatures"] = args.bundle, temperatures
    with mp.get_context("fork").Pool(args.workers) as pool:
        music = {(i, link): wav for i, link, wav in pool.map(_work, jobs, chunksize=1)}
    music.update({(i, "corpus"): held["audio"][i].astype(np.float32) / 32767 for i in range(n)})
    seconds = held["audio"].shape[1] / common.SR
    result = {"bundle": os.path.normpath(args.bundle), "clips": n, "temperatures": temperatures, "links": {}}
    truth = [evaluate.onsets(music[(i, "corpus")]) for i in range(n)]
    print("| input | pulse clarity | harmonic share | onsets /s | beat F1 matched / shuffled | F1 gain (95 % CI) |\n"
          "|---|---|---|---|---|---|")
    for link in ["corpus"] + args.links:
        wavs = [music[(i, link)] for i in range(n)]
        row = {"pulse_clarity": float(np.mean([evaluate.pulse_clarity(w) for w in wavs])),
               "harmonic_share": float(np.mean([evaluate.harmonic_ratio(w) for w in wavs])),
               "onset_rate": float(np.mean([len(evaluate.onsets(w)) / seconds for w in wavs])),
               "beats": evaluate.beat_alignment([evaluate.onsets(w) for w in wavs], truth)}
        result["links"][link] = row
        b = row["beats"]
        print(f"| {link} | {row['pulse_clarity']:.3f} | {row['harmonic_share']:.3f} | {row['onset_rate']:.2f} | "
              f"{b['matched_bcs_bhs_f1'][2]:.3f} / {b['shuffled_bcs_bhs_f1'][2]:.3f} | {evaluate.f1_gain_text(b)} |", flush=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
