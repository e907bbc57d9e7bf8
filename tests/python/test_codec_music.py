"""training/codec_music.py: the decoder it trains is the bundle's, so the runtime can run it unchanged."""

import copy
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "training")))

import codec_music  # noqa: E402
import common  # noqa: E402
from common import ref  # noqa: E402


def small_config():
    config = copy.deepcopy(common.load_config(os.path.join(common.HERE, "codec_music.json")))
    config["codec"]["channels"] = [16, 8, 8, 4, 4]
    config["tokens"]["codebook_size"] = 32
    return config


def test_encoder_gives_one_latent_frame_per_hop_and_is_causal():
    torch.manual_seed(0)
    config = small_config()
    enc = codec_music.ConvEncoder(config["codec"])
    wav = torch.randn(2, 320 * 6)
    z = enc(wav)
    assert z.shape == (2, config["codec"]["latent_dim"], 6)
    later = wav.clone()
    later[:, 320 * 4:] = 0  # changing the future does not change the first four frames
    assert torch.allclose(enc(later)[..., :4], z[..., :4], atol=1e-6)


def test_exported_state_loads_strictly_into_the_reference_codec_and_decodes_the_same():
    torch.manual_seed(0)
    config = small_config()
    model = codec_music.MusicCodec(config)
    model(torch.randn(2, 320 * 40) * 0.1)  # initialises the codebooks from data
    model.eval()
    tensors = {k: v.numpy() for k, v in codec_music.bundle_state(model.state_dict()).items()}
    reference = ref.load(config, "codec", tensors)
    codes = torch.randint(0, 32, (1, 5, 7))
    with torch.no_grad():
        ours = model.decode_codes(codes)[0].numpy()
        theirs = reference(codes[0])["waveform"].numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)  # the same float32 ops, batched vs unbatched


def test_bitrate_is_frames_times_levels_times_bits():
    config = common.load_config(os.path.join(common.HERE, "codec_music.json"))
    assert codec_music.bits_per_second(config, 12) == 50 * 12 * 10


def test_the_trained_encoder_loads_strictly_as_the_codec_encoder_component():
    """codec_music.ConvEncoder's state dict is the bundle's codec_encoder `encoder.*` unchanged (SPEC §5.3), and the
    reference encoder computes what it computes, so export_codec_music.py exports what was trained."""
    import codec_encoder

    torch.manual_seed(0)
    config = small_config()
    enc = codec_music.ConvEncoder(config["codec"]).eval()
    reference = codec_encoder.load(config["codec"], {f"encoder.{k}": v.numpy() for k, v in enc.state_dict().items()})
    wav = torch.randn(320 * 5) * 0.3
    with torch.no_grad():
        torch.testing.assert_close(reference(wav)["latent"], enc(wav[None])[0], rtol=0, atol=0)


def test_decoder_channels_widen_the_decoder_alone():
    torch.manual_seed(0)
    config = small_config()
    narrow = codec_music.MusicCodec(config)
    config["codec"]["decoder_channels"] = [32, 16, 16, 8, 8]
    wide = codec_music.MusicCodec(config)
    assert wide.decoder.in_conv.out_channels == 32 and narrow.decoder.in_conv.out_channels == 16
    # The encoder and codebooks are the narrow codec's, so its trained ones load into the wider one.
    kept = {k: v for k, v in narrow.state_dict().items() if not k.startswith("decoder.")}
    missing, unexpected = wide.load_state_dict(kept, strict=False)
    assert not unexpected and missing and all(k.startswith("decoder.") for k in missing)
    codes = torch.randint(0, 32, (1, 4, 5))
    assert wide.decode_codes(codes).shape == narrow.decode_codes(codes).shape
