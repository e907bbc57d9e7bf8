"""Multi-scale STFT discriminator and the adversarial losses of EnCodec (Défossez et al. 2022, §3.3-3.4).

Each scale reads the complex STFT (real and imaginary parts as two channels) of the waveform at one
window size and runs 2-D convolutions over [time, frequency]: dilated in time (1, 2, 4), strided by 2 in
frequency, LeakyReLU 0.2. EnCodec uses 32 channels and windows 2048/1024/512/256/128 at 24 kHz; here 8
channels and three windows (1024/512/256 at 16 kHz) so a step fits this CPU budget. Losses: hinge for the
discriminator, hinge for the generator, and feature matching as the L1 distance of every layer's output,
relative to the mean magnitude of the real one (EnCodec eq. 2), averaged over layers and scales.
"""

import torch
import torch.nn.functional as F
from torch import nn


class StftScale(nn.Module):
    def __init__(self, n_fft, channels=8):
        super().__init__()
        self.n_fft = n_fft
        c = channels
        self.convs = nn.ModuleList([
            nn.Conv2d(2, c, (3, 9), padding=(1, 4)),
            nn.Conv2d(c, c, (3, 9), stride=(1, 2), dilation=(1, 1), padding=(1, 4)),
            nn.Conv2d(c, c, (3, 9), stride=(1, 2), dilation=(2, 1), padding=(2, 4)),
            nn.Conv2d(c, c, (3, 9), stride=(1, 2), dilation=(4, 1), padding=(4, 4)),
            nn.Conv2d(c, c, (3, 3), padding=(1, 1)),
        ])
        self.out = nn.Conv2d(c, 1, (3, 3), padding=(1, 1))

    def forward(self, wav):
        """wav [B, samples] -> (logits [B, 1, frames, bins'], feature maps)."""
        spec = torch.stft(wav, self.n_fft, self.n_fft // 4, window=torch.hann_window(self.n_fft, device=wav.device),
                          return_complex=True)
        x = torch.stack([spec.real, spec.imag], 1).transpose(2, 3)  # [B, 2, frames, bins]
        features = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
            features.append(x)
        return self.out(x), features


class MultiScaleStftDiscriminator(nn.Module):
    def __init__(self, windows=(1024, 512, 256), channels=8):
        super().__init__()
        self.scales = nn.ModuleList([StftScale(n, channels) for n in windows])

    def forward(self, wav):
        return [scale(wav) for scale in self.scales]


def discriminator_loss(real, fake):
    """Hinge: mean(relu(1 - D(x))) + mean(relu(1 + D(x̂))), averaged over scales."""
    return sum(F.relu(1 - r[0]).mean() + F.relu(1 + f[0]).mean() for r, f in zip(real, fake)) / len(real)


def generator_losses(real, fake):
    """(adversarial hinge mean(relu(1 - D(x̂))), feature matching), each averaged over scales (and layers)."""
    adv = sum(F.relu(1 - f[0]).mean() for f in fake) / len(fake)
    feat, n = 0.0, 0
    for r, f in zip(real, fake):
        for fr, ff in zip(r[1], f[1]):
            feat = feat + (fr.detach() - ff).abs().mean() / (fr.detach().abs().mean() + 1e-8)
            n += 1
    return adv, feat / n
