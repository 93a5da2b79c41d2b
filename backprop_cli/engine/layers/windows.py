"""The windows a kernel or a pool slides over a feature map, shared by conv2d and the pools.

Shapes: a map batch is (N, C, H, W); the engine passes it as rows (N, C·H·W) in this order
(torch's), so a layer reshapes on the way in and out. A window is kH × kW, moved by the
stride (sH, sW) over the input padded by (pH, pW) on each side:
    H' = (H + 2 pH − kH) / sH + 1      (whole: the problem reader refuses the rest)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided


@dataclass(frozen=True)
class Geometry:
    inp: tuple[int, int, int]  # (C, H, W) of the input map
    kernel: tuple[int, int]  # (kH, kW)
    stride: tuple[int, int]  # (sH, sW)
    padding: tuple[int, int]  # (pH, pW)

    @property
    def out_hw(self) -> tuple[int, int]:
        (_, H, W), (kH, kW), (sH, sW), (pH, pW) = self.inp, self.kernel, self.stride, \
            self.padding
        return (H + 2 * pH - kH) // sH + 1, (W + 2 * pW - kW) // sW + 1

    def cell(self, i: int, j: int) -> tuple:
        """The index of cell (i, j) of every window in a padded (N, C, Hp, Wp) array: an
        (N, C, H', W') strided view."""
        (Ho, Wo), (sH, sW) = self.out_hw, self.stride
        return (slice(None), slice(None), slice(i, i + sH * (Ho - 1) + 1, sH),
                slice(j, j + sW * (Wo - 1) + 1, sW))


class Windowed:
    """The shapes a layer over windows states (its settings define geometry and out):
    its input map, and the width of its output as a row."""

    @property
    def inp(self) -> tuple[int, int, int]:
        return self.geometry.inp

    @property
    def units(self) -> int:
        return int(np.prod(self.out))


def padded(x4: np.ndarray, g: Geometry, fill: float = 0.0) -> np.ndarray:
    """x4 (N, C, H, W) with pH rows and pW columns of `fill` on each side (x4 itself
    without padding)."""
    pH, pW = g.padding
    if not (pH or pW):
        return x4
    N, C, H, W = x4.shape
    out = np.full((N, C, H + 2 * pH, W + 2 * pW), fill)
    out[:, :, pH:pH + H, pW:pW + W] = x4
    return out


def view(xp: np.ndarray, g: Geometry) -> np.ndarray:
    """Every window of the padded xp (N, C, Hp, Wp) as a read-only view
    (N, C, H', W', kH, kW): [n, c, i, j] is the window whose top-left cell is
    (i·sH, j·sW)."""
    N, C = xp.shape[:2]
    (Ho, Wo), (kH, kW), (sH, sW) = g.out_hw, g.kernel, g.stride
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (N, C, Ho, Wo, kH, kW), (s0, s1, s2 * sH, s3 * sW, s2, s3),
                      writeable=False)


def scatter(parts, g: Geometry, N: int) -> np.ndarray:
    """The input's gradient (N, C, H, W) from each window cell's share: parts(i, j) is the
    (N, C, H', W') gradient of cell (i, j) of every window. Overlapping windows add; the
    padding's share is dropped."""
    C, H, W = g.inp
    (kH, kW), (sH, sW), (pH, pW) = g.kernel, g.stride, g.padding
    dxp = np.zeros((N, C, H + 2 * pH, W + 2 * pW))
    apart = sH >= kH and sW >= kW  # no cell in two windows: each share is written once
    for i in range(kH):
        for j in range(kW):
            cells = dxp[g.cell(i, j)]
            if apart:
                cells[...] = parts(i, j)
            else:
                cells += parts(i, j)
    return dxp[:, :, pH:pH + H, pW:pW + W]
