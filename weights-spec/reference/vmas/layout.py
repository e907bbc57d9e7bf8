"""Every tensor of a vmas/1 bundle, name -> shape, as a function of the config (VMAS.md §5, §9).

The order of the returned dicts is the order vmas/export.py draws random weights in, so it must not change
between versions.
"""

import layout as shared

from . import config as vconfig


def video_encoder_tensors(config):
    e = config["encoder"]
    c0, (kt, kh, kw) = e["embed_dim"], e["patch_kernel"]
    t0, h0, w0 = vconfig.patch_grid(config)
    out = {
        "patch_embed.weight": (c0, 3, kt, kh, kw),
        "patch_embed.bias": (c0,),
        "pos_embed.spatial": (h0 * w0, c0),
        "pos_embed.temporal": (t0, c0),
    }
    for b in vconfig.blocks(config):
        p, d, din, m = f"blocks.{b.index}", b.dim, b.dim_in, vconfig.mlp_width(config, b.dim)
        out[f"{p}.norm1.weight"] = (din,)
        out[f"{p}.norm1.bias"] = (din,)
        if b.transition:
            out[f"{p}.proj.weight"] = (d, din)
            out[f"{p}.proj.bias"] = (d,)
        out[f"{p}.attn.qkv.weight"] = (3 * d, din)
        out[f"{p}.attn.qkv.bias"] = (3 * d,)
        out[f"{p}.attn.proj.weight"] = (d, d)
        out[f"{p}.attn.proj.bias"] = (d,)
        out[f"{p}.norm2.weight"] = (d,)
        out[f"{p}.norm2.bias"] = (d,)
        out[f"{p}.mlp.fc1.weight"] = (m, d)
        out[f"{p}.mlp.fc1.bias"] = (m,)
        out[f"{p}.mlp.fc2.weight"] = (d, m)
        out[f"{p}.mlp.fc2.bias"] = (d,)
    dl = vconfig.final_width(config)
    out["norm.weight"] = (dl,)
    out["norm.bias"] = (dl,)
    out["proj.weight"] = (config["decoder"]["d_model"], dl)
    out["proj.bias"] = (config["decoder"]["d_model"],)
    return out


def music_decoder_tensors(config):
    t = config["decoder"]
    d, inner, n, k = t["d_model"], t["n_heads"] * t["head_dim"], t["codebook_size"], t["codebooks"]
    out = {}
    for c in range(k):
        out[f"decoder.embed.{c}.weight"] = (n + 1, d)  # row n is the special token (VMAS.md §7.1)
    for i in range(t["layers"]):
        p = f"decoder.layers.{i}"
        shared._norm(out, f"{p}.self_attn_norm", d, t["norm"])
        shared._attention(out, f"{p}.self_attn", d, inner)
        shared._norm(out, f"{p}.cross_attn_norm", d, t["norm"])
        shared._attention(out, f"{p}.cross_attn", d, inner)
        shared._norm(out, f"{p}.ffn_norm", d, t["norm"])
        out[f"{p}.ffn.up.weight"] = (t["d_ff"], d)
        if t["activation"] == "geglu":
            out[f"{p}.ffn.gate.weight"] = (t["d_ff"], d)
        out[f"{p}.ffn.down.weight"] = (d, t["d_ff"])
    shared._norm(out, "decoder.final_norm", d, t["norm"])
    for c in range(k):
        out[f"decoder.head.{c}.weight"] = (n, d)
    return out


def codec_tensors(config):
    c = config["codec"]
    return shared.codec_tensors(config, c["levels"], c["codebook_size"])


def contrastive_tensors(config):
    """The optional contrastive projections (VMAS.md §14.2): video side from the decoder's width d, music side from
    the codec's codebook_dim D, both into the shared width E."""
    e, d, dc = config["contrastive"]["dim"], config["decoder"]["d_model"], config["codec"]["codebook_dim"]
    return {"video.weight": (e, d), "video.bias": (e,), "music.weight": (e, dc), "music.bias": (e,)}


def component_tensors(config, component):
    if component == "video_encoder":
        return video_encoder_tensors(config)
    if component == "music_decoder":
        return music_decoder_tensors(config)
    if component == "codec":
        return codec_tensors(config)
    if component == "codec_encoder":  # the codec's optional encoder (SPEC §5.3)
        return shared.codec_encoder_tensors(config["codec"])
    if component == "contrastive":
        return contrastive_tensors(config)
    raise ValueError(component)
