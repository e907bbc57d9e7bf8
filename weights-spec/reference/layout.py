"""Every tensor of a bundle, name -> shape, as a function of the config (SPEC §5).

The order of the returned dicts is the canonical order used by export.py to
draw random weights, so it must not change between versions.
"""

from config import has_encoder, total_levels, vocab_size


def _norm(out, prefix, d, norm):
    out[f"{prefix}.weight"] = (d,)
    if norm == "layernorm":
        out[f"{prefix}.bias"] = (d,)


def _attention(out, prefix, d, inner):
    out[f"{prefix}.q.weight"] = (inner, d)
    out[f"{prefix}.k.weight"] = (inner, d)
    out[f"{prefix}.v.weight"] = (inner, d)
    out[f"{prefix}.o.weight"] = (d, inner)


def _stack(out, stack, layers, t, cross):
    d, inner = t["d_model"], t["n_heads"] * t["head_dim"]
    out[f"{stack}.rel_bias.weight"] = (t["rel_buckets"], t["n_heads"])
    for i in range(layers):
        p = f"{stack}.layers.{i}"
        _norm(out, f"{p}.self_attn_norm", d, t["norm"])
        _attention(out, f"{p}.self_attn", d, inner)
        if cross:
            _norm(out, f"{p}.cross_attn_norm", d, t["norm"])
            _attention(out, f"{p}.cross_attn", d, inner)
        _norm(out, f"{p}.ffn_norm", d, t["norm"])
        out[f"{p}.ffn.up.weight"] = (t["d_ff"], d)
        if t["activation"] == "geglu":
            out[f"{p}.ffn.gate.weight"] = (t["d_ff"], d)
        out[f"{p}.ffn.down.weight"] = (d, t["d_ff"])
    _norm(out, f"{stack}.final_norm", d, t["norm"])


def stage_tensors(config, stage):
    t = config[stage]
    d = t["d_model"]
    out = {}
    encoder = has_encoder(config, stage)
    if encoder:
        for s in t["streams"]:
            if s["kind"] == "dense":
                out[f"encoder.streams.{s['name']}.proj.weight"] = (d, s["dim"])
                out[f"encoder.streams.{s['name']}.proj.bias"] = (d,)
            else:
                out[f"encoder.streams.{s['name']}.embed.weight"] = (s["vocab"], d)
        if t["style_dim"] > 0:
            out["encoder.style.proj.weight"] = (d, t["style_dim"])
            out["encoder.style.proj.bias"] = (d,)
        _stack(out, "encoder", t["encoder_layers"], t, cross=False)
    v = vocab_size(config, stage)
    out["decoder.embed.weight"] = (v, d)
    _stack(out, "decoder", t["decoder_layers"], t, cross=encoder)
    out["decoder.head.weight"] = (v, d)
    return out


def codec_tensors(config, levels=None, codebook_size=None):
    """levels and codebook_size default to a v2meow/1 config's (tokens); vmas/1 passes its codec section's."""
    c = config["codec"]
    ch, strides, k = c["channels"], c["strides"], c["kernel_size"]
    levels = total_levels(config) if levels is None else levels
    codebook_size = config["tokens"]["codebook_size"] if codebook_size is None else codebook_size
    encodec = c.get("kind") == "encodec"  # VMAS.md §9: LSTM, residual kernel and width
    out = {
        "rvq.codebooks": (levels, codebook_size, c["codebook_dim"]),
    }
    if c["out_proj"]:
        out["rvq.out_proj.weight"] = (c["latent_dim"], c["codebook_dim"])
        out["rvq.out_proj.bias"] = (c["latent_dim"],)
    out["decoder.in_conv.weight"] = (ch[0], c["latent_dim"], k)
    out["decoder.in_conv.bias"] = (ch[0],)
    for layer in range(c["lstm_layers"] if encodec else 0):
        p = f"decoder.lstm.{layer}"
        out[f"{p}.weight_ih"] = (4 * ch[0], ch[0])
        out[f"{p}.weight_hh"] = (4 * ch[0], ch[0])
        out[f"{p}.bias_ih"] = (4 * ch[0],)
        out[f"{p}.bias_hh"] = (4 * ch[0],)
    snake = c["activation"] == "snake"  # Snake has an alpha per channel at each activation; ELU has none
    for b, s in enumerate(strides):
        cin, cout = ch[b], ch[b + 1]
        hidden, kr = (cout // c["compress"], c["residual_kernel_size"]) if encodec else (cout, k)
        if snake:
            out[f"decoder.blocks.{b}.act.alpha"] = (cin,)
        out[f"decoder.blocks.{b}.up.weight"] = (cin, cout, 2 * s)
        out[f"decoder.blocks.{b}.up.bias"] = (cout,)
        for r in range(len(c["residual_dilations"])):
            p = f"decoder.blocks.{b}.res.{r}"
            if snake:
                out[f"{p}.act1.alpha"] = (cout,)
            out[f"{p}.conv1.weight"] = (hidden, cout, kr)
            out[f"{p}.conv1.bias"] = (hidden,)
            if snake:
                out[f"{p}.act2.alpha"] = (hidden,)
            out[f"{p}.conv2.weight"] = (cout, hidden, 1)
            out[f"{p}.conv2.bias"] = (cout,)
    if snake:
        out["decoder.out_act.alpha"] = (ch[-1],)
    out["decoder.out_conv.weight"] = (1, ch[-1], k)
    out["decoder.out_conv.bias"] = (1,)
    return out


def codec_encoder_tensors(c):
    """The optional codec_encoder component (SPEC §9.3) from a codec section `c` alone: the decoder's blocks in
    reverse (block b takes C_(B-b) channels to C_(B-b-1) at stride strides[B-1-b]), in module order."""
    ch, k = list(reversed(c["channels"])), c["kernel_size"]
    encodec = c.get("kind") == "encodec"
    snake = c["activation"] == "snake"
    out = {"encoder.in_conv.weight": (ch[0], 1, k), "encoder.in_conv.bias": (ch[0],)}
    for b, s in enumerate(reversed(c["strides"])):
        cin, cout = ch[b], ch[b + 1]
        hidden, kr = (cin // c["compress"], c["residual_kernel_size"]) if encodec else (cin, k)
        for r in range(len(c["residual_dilations"])):
            p = f"encoder.blocks.{b}.res.{r}"
            if snake:
                out[f"{p}.act1.alpha"] = (cin,)
            out[f"{p}.conv1.weight"] = (hidden, cin, kr)
            out[f"{p}.conv1.bias"] = (hidden,)
            if snake:
                out[f"{p}.act2.alpha"] = (hidden,)
            out[f"{p}.conv2.weight"] = (cin, hidden, 1)
            out[f"{p}.conv2.bias"] = (cin,)
        if snake:
            out[f"encoder.blocks.{b}.act.alpha"] = (cin,)
        out[f"encoder.blocks.{b}.down.weight"] = (cout, cin, 2 * s)
        out[f"encoder.blocks.{b}.down.bias"] = (cout,)
    for layer in range(c["lstm_layers"] if encodec else 0):
        p = f"encoder.lstm.{layer}"
        out[f"{p}.weight_ih"] = (4 * ch[-1], ch[-1])
        out[f"{p}.weight_hh"] = (4 * ch[-1], ch[-1])
        out[f"{p}.bias_ih"] = (4 * ch[-1],)
        out[f"{p}.bias_hh"] = (4 * ch[-1],)
    if snake:
        out["encoder.out_act.alpha"] = (ch[-1],)
    out["encoder.out_conv.weight"] = (c["latent_dim"], ch[-1], k)
    out["encoder.out_conv.bias"] = (c["latent_dim"],)
    if c["out_proj"]:
        out["rvq.in_proj.weight"] = (c["codebook_dim"], c["latent_dim"])
        out["rvq.in_proj.bias"] = (c["codebook_dim"],)
    return out


def component_tensors(config, component):
    if component == "codec":
        return codec_tensors(config)
    if component == "codec_encoder":
        return codec_encoder_tensors(config["codec"])
    return stage_tensors(config, component)
