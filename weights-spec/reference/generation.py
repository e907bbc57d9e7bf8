"""Stage-2 generation (SPEC §7.2, §8): one window of coarse codes from its semantic tokens and the frames
carried over from the window before, in either layout.

In the interleaved layout the semantic tokens are part of the decoded sequence: after the last coarse token
of a group the next semantic token is fed as it is, not sampled, and draws nothing from the RNG. Counters
count coarse tokens only, so token k of the stage's output has counter k in both layouts.
"""

import numpy as np
import torch

import config as config_mod
import sampling
import tokens as tok


def decode(decoder, memory, prompt, steps, choose):
    """Feeds `prompt`, then `steps` more tokens; choose(k, logits) gives token k (sampled or forced)."""
    cache = decoder.new_cache()
    logits = decoder(torch.tensor(prompt, dtype=torch.long), memory, cache)["logits"][-1]
    out = []
    for k in range(steps):
        token = choose(k, logits.numpy())
        out.append(token)
        if k + 1 < steps:
            logits = decoder(torch.tensor([token], dtype=torch.long), memory, cache)["logits"][-1]
    return out


@torch.no_grad()
def stage2_continue(config, decoder, semantic, carried, frames, temperature, seed, first_frame,
                    memory=None, top_k=0, stream=2):
    """`frames` new coarse frames [Qc, frames] after `carried` [Qc, Tc] for the window's `semantic` tokens.

    first_frame is the index of the first new frame in the stage's whole output (its first token has counter
    first_frame * Qc); stream is 2 for candidate 0 (SPEC §8.1). Prefix layout: `semantic` covers the window.
    Interleaved: Tc and frames are whole groups of r frames and `semantic` has (Tc + frames) / r tokens.
    """
    qc = config["tokens"]["coarse_levels"]
    carried = np.asarray(carried, dtype=np.int64).reshape(qc, -1)
    if frames < 0:
        raise ValueError(f"stage 2: {frames} frames to generate")
    counter0 = first_frame * qc

    def draw(logits, c):
        lo, hi = tok.stage2_range(config, c)
        return sampling.sample(logits, temperature, sampling.uniform(seed, stream, counter0 + c), lo, hi, top_k)

    if not tok.stage2_interleaved(config):
        if frames == 0:
            return np.zeros((qc, 0), dtype=np.int64)
        prompt = tok.stage2_sequence(config, semantic, carried)
        ids = decode(decoder, memory, prompt, frames * qc, lambda k, logits: draw(logits, k))
    else:
        r = config_mod.frames_per_semantic(config)
        g = tok.stage2_group(config)
        tc = carried.shape[1]
        if tc % r or frames % r or len(semantic) * r != tc + frames:
            raise ValueError(f"interleaved stage 2: {tc} carried and {frames} new frames for {len(semantic)} semantic "
                             f"tokens; both must be whole groups of {r} frames covering the tokens")
        if frames == 0:
            return np.zeros((qc, 0), dtype=np.int64)
        first = tc // r
        prompt = tok.stage2_sequence(config, semantic[:first + 1], carried)  # ends on the first new group's token

        def choose(k, logits):
            if (k + 1) % g == 0:
                return int(semantic[first + (k + 1) // g])
            return draw(logits, k - (k + 1) // g)

        steps = (frames // r) * g - 1
        ids = [t for k, t in enumerate(decode(decoder, memory, prompt, steps, choose)) if (k + 1) % g]
    codes = np.array([t - tok.stage2_range(config, k)[0] for k, t in enumerate(ids)], dtype=np.int64)
    return codes.reshape(-1, qc).T
