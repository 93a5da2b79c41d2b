"""Published convolution and pooling numbers, recomputed with plain numpy.

    python tests/published/conv/reproduce.py           # check: a table, exit 1 on a mismatch
    python tests/published/conv/reproduce.py --write   # rewrite the *.yaml and expected.json

Stdlib and numpy only; it never imports backprop_cli, so it is an independent oracle. This one
file holds the sources' recipes (np.linspace, numpy's legacy RNG after np.random.seed(1)), their
published numbers transcribed digit for digit (README.md says from which file and commit), a
naive loop convolution and pooling, forward and backward, and the writer of the problem files.
The check requires every stored problem file to be, byte for byte, what the recipe writes (so
its inputs are the recipe's float64 values, bit for bit: repr round-trips), expected.json to
hold exactly the transcribed numbers, and every published number to be reproduced within half
a unit of its last printed digit (plus a relative slack of SLACK for the numbers printed in
full, whose last digits depend on the order of summation).
"""

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SLACK = 1e-13  # relative: the order of a sum changes the last bits, not the printed digits

# ------------------------------------------------------------------------------ the sources

CS231N = ("Stanford CS231n (https://cs231n.github.io), assignment 2, ConvolutionalNetworks.ipynb; "
          "public copy read: github.com/Burton2000/CS231n-2017, "
          "assignment2/ConvolutionalNetworks.ipynb at aaa6b7d66315662cb4b75dcfe6d2e4d6dd38624b "
          "(2017); the same cells in github.com/AnirudhM1/CS231n-2022-Solutions at "
          "d2d76e34d86c3e3f3d113f90fd41a6493fa61ec5 (2022)")
DLAI = ("deeplearning.ai Deep Learning Specialization, course 4 (Convolutional Neural Networks, "
        "https://www.coursera.org/learn/convolutional-neural-networks), week 1, "
        "'Convolution model - Step by Step'")
DLAI_2021 = ("2021 edition: github.com/amanchadha/coursera-deep-learning-specialization, "
             "'C4 - Convolutional Neural Networks/Week 1/public_tests.py' and "
             "'Convolution_model_Step_by_Step_v1.ipynb' at "
             "24a54d7d32e733a48fade00e6035381355254d0c")
DLAI_V2A = ("v2a edition: github.com/amanchadha/coursera-deep-learning-specialization, "
            "'C4 - Convolutional Neural Networks/Week 1/Convolution_model_Step_by_Step_v2a.ipynb' "
            "at 3f055e4a8db0d76efbfb6f5a0e7e854535a3e2ec")
DLAI_2018 = ("v2 edition: github.com/sukruc/deeplearningai-c4-w1, "
             "'Convolution model - Step by Step - v2.ipynb' at "
             "38453dd26aedadee60d4a8c60fe21b2ffec3eabd")
DLAI_2017 = ("v1 edition (2017): github.com/Kulbear/deep-learning-coursera, "
             "'Convolutional Neural Networks/Convolution model - Step by Step - v1.ipynb' at "
             "9eb608b498ed9ffad483ee44d5eafa4792cb50d6")

CONVENTIONS = {
    "cs231n": ["Channels first: x (N, C, H, W), w (F, C, HH, WW) as torch; cross-correlation",
               "with zero padding ('pad' on every side). The notebook prints no dout: y is zeros",
               "and only the forward numbers are checked."],
    "dlai": ["Channels last: A_prev (m, n_H, n_W, n_C), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C)",
             "here as bias (n_C,); cross-correlation, zero padding; inputs drawn with",
             "np.random.randn after np.random.seed(1), in the order the notebook draws them.",
             "Backward: the course's dW, db are sums over the m examples (no 1/m), as",
             "∂L/∂W of loss: upstream (reduction sum, L = Σ y ⊙ ŷ) with y = dZ. Where the",
             "notebook has no upstream gradient, y is zeros and only forward numbers count."],
}

# ------------------------------------------------------------------ the published numbers

CS231N_CONV_OUT = [[[[-0.08759809, -0.10987781],
                     [-0.18387192, -0.2109216]],
                    [[0.21027089, 0.21661097],
                     [0.22847626, 0.23004637]],
                    [[0.50813986, 0.54309974],
                     [0.64082444, 0.67101435]]],
                   [[[-0.98053589, -1.03143541],
                     [-1.19128892, -1.24695841]],
                    [[0.69108355, 0.66880383],
                     [0.59480972, 0.56776003]],
                    [[2.36270298, 2.36904306],
                     [2.38090835, 2.38247847]]]]

CS231N_POOL_OUT = [[[[-0.26315789, -0.24842105],
                     [-0.20421053, -0.18947368]],
                    [[-0.14526316, -0.13052632],
                     [-0.08631579, -0.07157895]],
                    [[-0.02736842, -0.01263158],
                     [0.03157895, 0.04631579]]],
                   [[[0.09052632, 0.10526316],
                     [0.14947368, 0.16421053]],
                    [[0.20842105, 0.22315789],
                     [0.26736842, 0.28210526]],
                    [[0.32631579, 0.34105263],
                     [0.38526316, 0.4]]]]

ZERO_PAD_2021 = [[[[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [1.62434536, -0.61175641],
                   [-0.52817175, -1.07296862],
                   [0.86540763, -2.3015387],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [1.74481176, -0.7612069],
                   [0.3190391, -0.24937038],
                   [1.46210794, -2.06014071],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [-0.3224172, -0.38405435],
                   [1.13376944, -1.09989127],
                   [-0.17242821, -0.87785842],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]]],
                 [[[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0.04221375, 0.58281521],
                   [-1.10061918, 1.14472371],
                   [0.90159072, 0.50249434],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0.90085595, -0.68372786],
                   [-0.12289023, -0.93576943],
                   [-0.26788808, 0.53035547],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [-0.69166075, -0.39675353],
                   [-0.6871727, -0.84520564],
                   [-0.67124613, -0.0126646],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]]],
                 [[[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [-1.11731035, 0.2344157],
                   [1.65980218, 0.74204416],
                   [-0.19183555, -0.88762896],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [-0.74715829, 1.6924546],
                   [0.05080775, -0.63699565],
                   [0.19091548, 2.10025514],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0.12015895, 0.61720311],
                   [0.30017032, -0.35224985],
                   [-1.1425182, -0.34934272],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]]],
                 [[[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [-0.20889423, 0.58662319],
                   [0.83898341, 0.93110208],
                   [0.28558733, 0.88514116],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [-0.75439794, 1.25286816],
                   [0.51292982, -0.29809284],
                   [0.48851815, -0.07557171],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [1.13162939, 1.51981682],
                   [2.18557541, -1.39649634],
                   [-1.44411381, -0.50446586],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]],
                  [[0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.],
                   [0., 0.]]]]

X11 = [[0.90085595, -0.68372786],
            [-0.12289023, -0.93576943],
            [-0.26788808, 0.53035547]]

CONV_Z_2021 = [[[[-2.65112363, -0.37849177, -1.97054929, -1.96235299, -1.72259872, 0.4676693,
                  -6.43434016, 1.10764994],
                 [4.67692928, 4.29865415, -1.3608031, 0.80532859, -2.88480108, 8.95280034,
                  5.32627807, -1.82635258],
                 [-2.05881174, 3.40859795, 0.3502282, 0.68303626, -1.88328065, -1.87480174,
                  5.8008721, 0.0700918],
                 [-3.50141791, 2.704286, 0.28341346, 4.15637411, -0.46575834, -0.43668824,
                  -5.56866106, 1.72288033]],
                [[-2.32126108, 0.91040602, 2.31852532, 0.98842271, 3.31716611, 4.05638832,
                  -2.48135123, 0.95872443],
                 [6.03978907, -6.96477888, -1.20799344, 2.68913374, -4.35744033, 10.59355329,
                  3.20856901, 13.98735978],
                 [-3.01280755, -2.90226517, -8.34171936, -5.26220853, 5.6630696, 1.08704033,
                  2.20430705, -10.73218294],
                 [-6.24198266, -0.53158832, -3.29654954, -1.81865997, 0.59196322, 2.51134745,
                  -4.24924673, 5.21936641]],
                [[-2.22187412, -0.95259173, -5.99441273, 0.79147932, 1.16919278, -0.17321161,
                  -3.26346299, -3.62407578],
                 [-2.17796037, 8.07171329, -0.5772704, 3.36286738, 4.48113645, -2.89198428,
                  10.99288867, 3.03171932],
                 [-12.49991261, 5.26845833, -1.67648614, -8.65695762, -10.68157258, 6.71492428,
                  2.83839971, 4.47259772],
                 [0.11421092, -1.90872424, -3.28117601, 0.89922467, 0.83985348, -0.25127044,
                  -0.94409718, 5.17244412]]],
               [[[1.97649814, 2.76743075, -6.39611007, 2.95378171, -0.81235239, -0.53333631,
                  0.71268871, 4.91385105],
                 [-5.14401869, 6.97041391, -4.53976469, 5.89092653, -5.74606931, 2.74256558,
                  3.02124802, -10.04187592],
                 [5.53871187, -8.55886701, -4.70962135, 2.55966738, -2.66959504, 5.60010695,
                  -8.37253342, 4.18848278],
                 [0.63364517, -3.71848223, -3.67072772, 4.34226476, -1.21894465, 3.68929452,
                  5.89166305, 0.94256457]],
                [[2.36049402, -3.09696204, 8.33521755, 3.04680748, 3.7964542, 0.66488788,
                  1.9935476, 1.54396221],
                 [-7.73457048, 0.287562, 7.97481218, 3.32415996, -4.07121488, 2.69182963,
                  4.1356109, -5.16178423],
                 [-6.95635186, -0.10924121, -4.12526441, 0.62578199, 4.69492086, -3.52748877,
                  3.63168271, 0.64007629],
                 [7.94980014, 5.71855659, 3.49970333, 12.7718152, 8.84959478, 2.37150319,
                  -1.42531648, -0.51126641]],
                [[-5.29658283, -4.20466999, -6.63067766, -9.87831724, -5.32130395, 7.32417919,
                  2.96011091, 7.60669481],
                 [11.54630784, -1.93157244, 2.26699242, 7.62184275, 5.40584348, -2.88837958,
                  -1.46981877, 7.91314719],
                 [5.94067877, 3.50739649, 0.82512202, 4.80655489, -4.1044945, 4.14358541,
                  0.13194885, 4.35397285],
                 [4.91298364, -1.44499772, 5.9392078, -3.92690408, 2.12840309, 1.27237402,
                  1.56992581, 0.44270565]]]]

POOL_MAX_F3S1 = [[[[1.74481176, 0.90159072, 1.65980218],
                   [1.74481176, 1.46210794, 1.65980218],
                   [1.74481176, 1.6924546, 1.65980218]],
                  [[1.14472371, 0.90159072, 2.10025514],
                   [1.14472371, 0.90159072, 1.65980218],
                   [1.14472371, 1.6924546, 1.65980218]],
                  [[1.13162939, 1.51981682, 2.18557541],
                   [1.13162939, 1.51981682, 2.18557541],
                   [1.13162939, 1.6924546, 2.18557541]]],
                 [[[1.19891788, 0.84616065, 0.82797464],
                   [0.69803203, 0.84616065, 1.2245077],
                   [0.69803203, 1.12141771, 1.2245077]],
                  [[1.96710175, 0.84616065, 1.27375593],
                   [1.96710175, 0.84616065, 1.23616403],
                   [1.62765075, 1.12141771, 1.2245077]],
                  [[1.96710175, 0.86888616, 1.27375593],
                   [1.96710175, 0.86888616, 1.23616403],
                   [1.62765075, 1.12141771, 0.79280687]]]]

POOL_AVG_F3S1 = [[[[-3.01046719e-02, -3.24021315e-03, -3.36298859e-01],
                   [1.43310483e-01, 1.93146751e-01, -4.44905196e-01],
                   [1.28934436e-01, 2.22428468e-01, 1.25067597e-01]],
                  [[-3.81801899e-01, 1.59993515e-02, 1.70562706e-01],
                   [4.73707165e-02, 2.59244658e-02, 9.20338402e-02],
                   [3.97048605e-02, 1.57189094e-01, 3.45302489e-01]],
                  [[-3.82680519e-01, 2.32579951e-01, 6.25997903e-01],
                   [-2.47157416e-01, -3.48524998e-04, 3.50539717e-01],
                   [-9.52551510e-02, 2.68511000e-01, 4.66056368e-01]]],
                 [[[-1.73134159e-01, 3.23771981e-01, -3.43175716e-01],
                   [3.80634669e-02, 7.26706274e-02, -2.30268958e-01],
                   [2.03009393e-02, 1.41414785e-01, -1.23158476e-02]],
                  [[4.44976963e-01, -2.61694592e-03, -3.10403073e-01],
                   [5.08114737e-01, -2.34937338e-01, -2.39611830e-01],
                   [1.18726772e-01, 1.72552294e-01, -2.21121966e-01]],
                  [[4.29449255e-01, 8.44699612e-02, -2.72909051e-01],
                   [6.76351685e-01, -1.20138225e-01, -2.44076712e-01],
                   [1.50774518e-01, 2.89111751e-01, 1.23238536e-03]]]]

POOL_MAX_F3S1_A11_2021 = [[1.96710175, 0.84616065, 1.27375593],
                          [1.96710175, 0.84616065, 1.23616403],
                          [1.62765075, 1.12141771, 1.2245077]]

POOL_AVG_F3S1_A11_2021 = [[0.44497696, -0.00261695, -0.31040307],
                          [0.50811474, -0.23493734, -0.23961183],
                          [0.11872677, 0.17255229, -0.22112197]]

POOL_MAX_F3S2_V2A = [[[[1.74481176, 0.90159072, 1.65980218],
                       [1.74481176, 1.6924546, 1.65980218]],
                      [[1.13162939, 1.51981682, 2.18557541],
                       [1.13162939, 1.6924546, 2.18557541]]],
                     [[[1.19891788, 0.84616065, 0.82797464],
                       [0.69803203, 1.12141771, 1.2245077]],
                      [[1.96710175, 0.86888616, 1.27375593],
                       [1.62765075, 1.12141771, 0.79280687]]]]

POOL_AVG_F3S2_V2A = [[[[-0.03010467, -0.00324021, -0.33629886],
                       [0.12893444, 0.22242847, 0.1250676]],
                      [[-0.38268052, 0.23257995, 0.6259979],
                       [-0.09525515, 0.268511, 0.46605637]]],
                     [[[-0.17313416, 0.32377198, -0.34317572],
                       [0.02030094, 0.14141479, -0.01231585]],
                      [[0.42944926, 0.08446996, -0.27290905],
                       [0.15077452, 0.28911175, 0.00123239]]]]

POOL_MAX_F3S2_A0_2021 = [[[1.74481176, 0.90159072, 1.65980218],
                          [1.74481176, 1.6924546, 1.65980218]],
                         [[1.13162939, 1.51981682, 2.18557541],
                          [1.13162939, 1.6924546, 2.18557541]]]

POOL_AVG_F3S2_A1_2021 = [[[-0.17313416, 0.32377198, -0.34317572],
                          [0.02030094, 0.14141479, -0.01231585]],
                         [[0.42944926, 0.08446996, -0.27290905],
                          [0.15077452, 0.28911175, 0.00123239]]]

POOL_MAX_2018 = [[[[1.74481176, 0.86540763, 1.13376944]]],
                 [[[1.13162939, 1.51981682, 2.18557541]]]]

POOL_AVG_2018 = [[[[0.02105773, -0.20328806, -0.40389855]]],
                 [[[-0.22154621, 0.51716526, 0.48155844]]]]

POOL_MAX_2017 = [[[[1.74481176, 1.6924546, 2.10025514]]],
                 [[[1.19891788, 1.51981682, 2.18557541]]]]

POOL_AVG_2017 = [[[[-0.09498456, 0.11180064, -0.14263511]]],
                 [[[-0.09525108, 0.28325018, 0.33035185]]]]

Z021_2021 = [-2.17796037, 8.07171329, -0.5772704, 3.36286738, 4.48113645, -2.89198428, 10.99288867,
             3.03171932]

Z321_V2A = [-1.28912231, 2.27650251, 6.61941931, 0.95527176, 8.25132576, 2.31329639, 13.00689405,
            2.34576051]

Z321_2018 = [-0.61490741, -6.7439236, -2.55153897, 1.75698377, 3.56208902, 0.53036437, 5.18531798,
             8.75898442]

CACHE_5x7x4 = [-1.1191154, 1.9560789, -0.3264995, -1.34267579]

CACHE_4x4x3 = [-0.20075807, 0.18656139, 0.41005165]

X_MASK = [[1.62434536, -0.61175641, -0.52817175],
          [-1.07296862, 0.86540763, -2.3015387]]

POOL_BACKWARD_MAX = [[0., 0.],
                     [5.05844394, -1.68282702],
                     [0., 0.]]

POOL_BACKWARD_AVG = [[0.08485462, 0.2787552],
                     [1.26461098, -0.25749373],
                     [1.17975636, -0.53624893]]

# ------------------------------------------------------------------------------ the recipes


def _randn(*shapes):
    """np.random.seed(1), then one np.random.randn array per shape, in the notebook's order."""
    np.random.seed(1)
    return [np.random.randn(*shape) for shape in shapes]


def _linspace(lo, hi, shape):
    return np.linspace(lo, hi, num=np.prod(shape)).reshape(shape)


def _conv(W, b, stride, pad):
    layer = {"kind": "conv2d", "weights": np.asarray(W, float).tolist()}
    if b is not None:
        layer["bias"] = np.ravel(b).tolist()
    layer["stride"], layer["padding"] = stride, pad
    return layer


def _pool(mode, f, stride):
    return {"kind": f"{mode}pool2d", "size": f, "stride": stride}


def _problem(title, channels, x, layers, y=None):
    """A one-layer problem with loss: upstream; y (dL/dŷ) zeros when the source prints none."""
    p = {"title": title, "channels": channels, "x": x.tolist(), "y": None, "loss": "upstream",
         "layers": layers}
    out = forward(p)["forward.a1"]
    p["y"] = (np.zeros_like(out) if y is None else out if isinstance(y, str) else y).tolist()
    return p


def _check(printed, key, published, where, decimals=None, significant=None, index=None,
           reduce=None):
    """One published number (or array): `key` names it in `backprop solve --format json`
    (forward.a1, gradients.x, ...; x and y: the problem's own inputs), `index` picks a part
    of it, `reduce: mean` averages it; `decimals` or `significant`: what the source prints."""
    c = {"printed": printed, "key": key}
    if index is not None:
        c["index"] = index
    if reduce is not None:
        c["reduce"] = reduce
    c["published"] = published
    c["decimals" if decimals is not None else "significant"] = (
        decimals if decimals is not None else significant)
    c["where"] = where
    return c


def _entry(title, source, checks, note=None):
    e = {"title": title, "source": source, "slack_rel": SLACK, "checks": checks}
    if note:
        e["note"] = note
    return e


NB21 = "2021 notebook, executed output of the public copy (not a printed 'Expected Output')"
PT21 = "2021 public_tests.py"
EO = "'Expected Output' of the {} notebook"
ALL3 = "'Expected Output' of the v2, v2a and 2021 notebooks"


def catalogue():
    """name -> (problem, expected entry), in the order of README.md."""
    c = {}
    # CS231n assignment 2: conv_forward_naive, max_pool_forward_naive
    x = _linspace(-0.1, 0.5, (2, 3, 4, 4))
    w = _linspace(-0.2, 0.3, (3, 3, 4, 4))
    b = np.linspace(-0.1, 0.2, num=3)
    c["cs231n_conv_forward_naive"] = (
        _problem("CS231n conv_forward_naive: stride 2, pad 1", "first", x, [_conv(w, b, 2, 1)]),
        _entry("CS231n conv_forward_naive: stride 2, pad 1", CS231N, [
            _check("correct_out", "forward.a1", CS231N_CONV_OUT, "the notebook's test cell",
                   decimals=8)]))
    x = _linspace(-0.3, 0.4, (2, 3, 4, 4))
    c["cs231n_max_pool_forward_naive"] = (
        _problem("CS231n max_pool_forward_naive: 2x2, stride 2", "first", x, [_pool("max", 2, 2)]),
        _entry("CS231n max_pool_forward_naive: 2x2, stride 2", CS231N, [
            _check("correct_out", "forward.a1", CS231N_POOL_OUT, "the notebook's test cell",
                   decimals=8)]))

    # deeplearning.ai: zero_pad as a 1x1 identity convolution with padding 2
    (x,) = _randn((4, 3, 3, 2))
    eye = np.eye(2).reshape(1, 1, 2, 2)
    title = "deeplearning.ai zero_pad(x, 2) as a 1x1 identity convolution with padding 2"
    c["dlai_zero_pad"] = (
        _problem(title, "last", x, [_conv(eye, None, 1, 2)]),
        _entry(title, f"{DLAI}; {DLAI_2021}", [
            _check("expected_output of zero_pad_test", "forward.a1", ZERO_PAD_2021, PT21,
                   decimals=8),
            _check("x[1,1]", "x", X11, ALL3.replace("v2, ", "v1, v2, "), decimals=8,
                   index=[1, 1])],
            note="zero_pad is not a layer; a 1x1 convolution whose weights are the identity on "
                 "the channels, with no bias and padding 2, returns the zero-padded x exactly "
                 "(x·1 + x'·0)"))

    # conv_single_step: one window, the bias added once
    a, W, b = _randn((4, 4, 3), (4, 4, 3), (1, 1, 1))
    title = "deeplearning.ai conv_single_step: one 4x4x3 window, one filter"
    c["dlai_conv_single_step"] = (
        _problem(title, "last", a, [_conv(W[..., None], b, 1, 0)]),
        _entry(title, f"{DLAI}; {DLAI_2018}; {DLAI_V2A}; {DLAI_2021}", [
            _check("Z", "forward.a1", -6.99908945068, EO.format("v2 and v2a"), decimals=11,
                   index=[0, 0, 0]),
            _check("expected_output of conv_single_step_test", "forward.a1", -6.999089450680221,
                   PT21, decimals=15, index=[0, 0, 0])],
            note="a_slice_prev (4, 4, 3) is one sample (H, W, C); W (4, 4, 3) is one filter, "
                 "here weights (4, 4, 3, 1). The v1 (2017) notebook printed Z = -23.1602122025: "
                 "its conv_single_step added b to each of the 48 products before summing "
                 "(reproduce.py's side checks)"))

    # conv_forward, 2021: the whole Z is published
    A, W, b = _randn((2, 5, 7, 4), (3, 3, 4, 8), (1, 1, 1, 8))
    title = "deeplearning.ai conv_forward (2021): A_prev (2, 5, 7, 4), 3x3, pad 1, stride 2"
    c["dlai_conv_forward"] = (
        _problem(title, "last", A, [_conv(W, b, 2, 1)]),
        _entry(title, f"{DLAI}; {DLAI_2021}", [
            _check("expected_Z of conv_forward_test", "forward.a1", CONV_Z_2021, PT21,
                   decimals=8),
            _check("Z[0,2,1]", "forward.a1", Z021_2021, NB21, decimals=8, index=[0, 2, 1]),
            _check("Z's mean", "forward.a1", 0.5511276474566768, NB21, decimals=16,
                   reduce="mean"),
            _check("cache_conv[0][1][2][3]", "x", CACHE_5x7x4, NB21, decimals=8,
                   index=[1, 2, 3])]))

    # conv_forward, v2a
    A, W, b = _randn((10, 5, 7, 4), (3, 3, 4, 8), (1, 1, 1, 8))
    title = "deeplearning.ai conv_forward (v2a): A_prev (10, 5, 7, 4), 3x3, pad 1, stride 2"
    c["dlai_conv_forward_v2a"] = (
        _problem(title, "last", A, [_conv(W, b, 2, 1)]),
        _entry(title, f"{DLAI}; {DLAI_V2A}", [
            _check("Z's mean", "forward.a1", 0.692360880758, EO.format("v2a"), decimals=12,
                   reduce="mean"),
            _check("Z[3,2,1]", "forward.a1", Z321_V2A, EO.format("v2a"), decimals=8,
                   index=[3, 2, 1]),
            _check("cache_conv[0][1][2][3]", "x", CACHE_5x7x4, EO.format("v2a"), decimals=8,
                   index=[1, 2, 3])]))

    # conv_backward with dZ = Z: v2 (2018), v2a and 2021 print the same means
    A, W, b = _randn((10, 4, 4, 3), (2, 2, 3, 8), (1, 1, 1, 8))
    title = "deeplearning.ai conv_backward(Z, cache): 2x2, pad 2, stride 2, upstream dZ = Z"
    c["dlai_conv_backward"] = (
        _problem(title, "last", A, [_conv(W, b, 2, 2)], y="output"),
        _entry(title, f"{DLAI}; {DLAI_2018}; {DLAI_V2A}; {DLAI_2021}", [
            _check("Z's mean", "forward.a1", 0.0489952035289, EO.format("v2"), decimals=13,
                   reduce="mean"),
            _check("Z[3,2,1]", "forward.a1", Z321_2018, EO.format("v2"), decimals=8,
                   index=[3, 2, 1]),
            _check("dA_mean", "gradients.x", 1.45243777754, ALL3, decimals=11, reduce="mean"),
            _check("dW_mean", "gradients.W1", 1.72699145831, ALL3, decimals=11, reduce="mean"),
            _check("db_mean", "gradients.b1", 7.83923256462, ALL3, decimals=11, reduce="mean"),
            _check("dA_mean", "gradients.x", 1.4524377775388075, NB21, decimals=16,
                   reduce="mean"),
            _check("dW_mean", "gradients.W1", 1.7269914583139097, NB21, decimals=16,
                   reduce="mean"),
            _check("db_mean", "gradients.b1", 7.839232564616838, NB21, decimals=15,
                   reduce="mean"),
            _check("cache_conv[0][1][2][3]", "x", CACHE_4x4x3, EO.format("v2"), decimals=8,
                   index=[1, 2, 3])],
            note="the test calls conv_backward(Z, cache_conv) with the Z that conv_forward "
                 "returned, so dZ = Z: y is Z, computed from the inputs in float64"))

    # conv_backward, v1 (2017): stride 1, and the bias counted f·f·n_C_prev = 12 times
    A, W, b = _randn((10, 4, 4, 3), (2, 2, 3, 8), (1, 1, 1, 8))
    title = ("deeplearning.ai conv_backward (v1, 2017): 2x2, pad 2, stride 1, upstream dZ = Z, "
             "bias 12·b")
    c["dlai_conv_backward_2017"] = (
        _problem(title, "last", A, [_conv(W, 12 * b, 1, 2)], y="output"),
        _entry(title, f"{DLAI}; {DLAI_2017}", [
            _check("Z's mean", "forward.a1", 0.155859324889, EO.format("v1"), decimals=12,
                   reduce="mean"),
            _check("dA_mean", "gradients.x", 9.60899067587, EO.format("v1"), decimals=11,
                   reduce="mean"),
            _check("dW_mean", "gradients.W1", 10.5817412755, EO.format("v1"), decimals=10,
                   reduce="mean"),
            _check("db_mean", "gradients.b1", 76.3710691956, EO.format("v1"), decimals=10,
                   reduce="mean"),
            _check("cache_conv[0][1][2][3]", "x", CACHE_4x4x3, EO.format("v1"), decimals=8,
                   index=[1, 2, 3])],
            note="the v1 conv_single_step computed np.sum(a_slice_prev * W + b): b added to "
                 "each of the 2·2·3 = 12 products, so every output carries 12·b. Only that "
                 "reproduces the printed numbers (with b once: Z's mean 0.0028129462864862967, "
                 "dA_mean 4.1145817049149835); here the bias is 12·b (float64 products), "
                 "and y = Z"))

    # pool_forward: A_prev (2, 5, 5, 3), f = 3 (v2a and 2021), strides 1 and 2
    (A,) = _randn((2, 5, 5, 3))
    for mode, s, full, part, at, fwhere, pwhere in (
            ("max", 1, POOL_MAX_F3S1, POOL_MAX_F3S1_A11_2021, [1, 1], PT21, NB21),
            ("avg", 1, POOL_AVG_F3S1, POOL_AVG_F3S1_A11_2021, [1, 1], PT21, NB21),
            ("max", 2, POOL_MAX_F3S2_V2A, POOL_MAX_F3S2_A0_2021, [0], EO.format("v2a"),
             EO.format("2021")),
            ("avg", 2, POOL_AVG_F3S2_V2A, POOL_AVG_F3S2_A1_2021, [1], EO.format("v2a"),
             EO.format("2021"))):
        name = "max" if mode == "max" else "average"
        title = f"deeplearning.ai pool_forward, mode {name}: A_prev (2, 5, 5, 3), f 3, stride {s}"
        digits = ({"significant": 9} if (mode, s) == ("avg", 1) else {"decimals": 8})
        if s == 1:
            fwhere = f"{PT21} (and the v2a notebook's 'Expected Output', the same digits)"
        label = "expected_A_" + ("max" if mode == "max" else "average")
        c[f"dlai_pool_forward_{mode}_f3s{s}"] = (
            _problem(title, "last", A, [_pool(mode, 3, s)]),
            _entry(title, f"{DLAI}; {DLAI_V2A}; {DLAI_2021}", [
                _check(label if s == 1 else "A", "forward.a1", full, fwhere, **digits),
                _check("A" + "".join(f"[{i}]" for i in at) if s == 2 else "A[1, 1]",
                       "forward.a1", part, pwhere, decimals=8, index=at)]))

    # pool_forward: A_prev (2, 4, 4, 3): v2 (f 3, stride 2) and v1 (f 4, stride 1)
    (A,) = _randn((2, 4, 4, 3))
    for mode, year, f, s, want, src, ed in (
            ("max", 2018, 3, 2, POOL_MAX_2018, DLAI_2018, "v2"),
            ("avg", 2018, 3, 2, POOL_AVG_2018, DLAI_2018, "v2"),
            ("max", 2017, 4, 1, POOL_MAX_2017, DLAI_2017, "v1"),
            ("avg", 2017, 4, 1, POOL_AVG_2017, DLAI_2017, "v1")):
        name = "max" if mode == "max" else "average"
        title = (f"deeplearning.ai pool_forward ({ed}), mode {name}: A_prev (2, 4, 4, 3), "
                 f"f {f}, stride {s}")
        # v2's 3-wide windows at stride 2 leave a row and a column of the 4x4 input over:
        # the course (int(...)) and torch floor, which `remainder: drop` asks for
        pool = {**_pool(mode, f, s), **({"remainder": "drop"} if (4 - f) % s else {})}
        c[f"dlai_pool_forward_{mode}_{year}"] = (
            _problem(title, "last", A, [pool]),
            _entry(title, f"{DLAI}; {src}", [
                _check("A", "forward.a1", want, EO.format(ed), decimals=8)]))

    # create_mask_from_window and distribute_value: one pooling window's backward
    (x,) = _randn((2, 3))
    title = "deeplearning.ai create_mask_from_window: max pooling's backward over one 2x3 window"
    c["dlai_create_mask_from_window"] = (
        _problem(title, "last", x, [_pool("max", [2, 3], [2, 3])], y=np.ones((1, 1, 1))),
        _entry(title, f"{DLAI}; {DLAI_2017}; {DLAI_2018}; {DLAI_V2A}; {DLAI_2021}", [
            _check("mask", "gradients.x", [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                   EO.format("v1, v2, v2a and 2021"), decimals=16),
            _check("x", "x", X_MASK, EO.format("v1, v2, v2a and 2021"), decimals=8)],
            note="x = np.random.randn(2, 3) is one sample with one channel, (H, W); the mask "
                 "(printed as booleans, exact) is the gradient of the window's maximum, "
                 "i.e. of a 2x3 max pool with upstream 1"))
    x = np.array([[-1, 2, 3], [2, -3, 2], [1, 5, -2]], dtype=float)
    title = "deeplearning.ai create_mask_from_window (2021 assert): one 3x3 window"
    c["dlai_create_mask_from_window_2021"] = (
        _problem(title, "last", x, [_pool("max", 3, 3)], y=np.ones((1, 1, 1))),
        _entry(title, f"{DLAI}; {DLAI_2021}", [
            _check("y (the assert's expected mask)", "gradients.x",
                   [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
                   "2021 notebook's assert: 'The True value must be at position (2, 1)'",
                   decimals=16)]))
    title = "deeplearning.ai distribute_value(2, (2, 2)): average pooling's backward, one window"
    c["dlai_distribute_value"] = (
        _problem(title, "last", np.zeros((2, 2)), [_pool("avg", 2, 2)], y=np.full((1, 1, 1), 2.0)),
        _entry(title, f"{DLAI}; {DLAI_2017}; {DLAI_2018}; {DLAI_V2A}; {DLAI_2021}", [
            _check("distributed value", "gradients.x", [[0.5, 0.5], [0.5, 0.5]],
                   EO.format("v1, v2, v2a and 2021"), decimals=8)],
            note="distribute_value(dz, shape) spreads dz evenly over a window: the gradient "
                 "of a 2x2 average pool with upstream dz = 2; x (zeros, one 2x2 sample) plays "
                 "no part"))

    # pool_backward: A_prev (5, 5, 3, 2), f 2, stride 1; dA (5, 4, 2, 2) drawn next
    A, dA = _randn((5, 5, 3, 2), (5, 4, 2, 2))
    for mode, want in (("max", POOL_BACKWARD_MAX), ("avg", POOL_BACKWARD_AVG)):
        name = "max" if mode == "max" else "average"
        title = (f"deeplearning.ai pool_backward, mode {name}: A_prev (5, 5, 3, 2), f 2, "
                 f"stride 1, upstream dA (5, 4, 2, 2)")
        c[f"dlai_pool_backward_{mode}"] = (
            _problem(title, "last", A, [_pool(mode, 2, 1)], y=dA),
            _entry(title, f"{DLAI}; {DLAI_2017}; {DLAI_2018}; {DLAI_V2A}; {DLAI_2021}", [
                _check("dA_prev[1,1]", "gradients.x", want, EO.format("v1, v2, v2a and 2021"),
                       decimals=8, index=[1, 1]),
                _check("mean of dA", "y", 0.145713902729, EO.format("v1, v2, v2a and 2021"),
                       decimals=12, reduce="mean"),
                _check("mean of dA", "y", 0.14571390272918056, NB21, decimals=17,
                       reduce="mean")],
                note="the windows overlap (f 2, stride 1): dA_prev accumulates over them"))
    return c


# ------------------------------------------------------------------------------ the oracle


def _batch(a, last):
    """A map as written -> (N, C, H, W): the rank decides (4 batched, 3 one sample, 2 one
    sample with one channel)."""
    a = np.asarray(a, float)
    if a.ndim == 2:
        a = a[..., None] if last else a[None]
    if a.ndim == 3:
        a = a[None]
    return a.transpose(0, 3, 1, 2) if last else a


def _written(a, last, rank):
    """(N, C, H, W) -> the file's layout and rank."""
    a = a.transpose(0, 2, 3, 1) if last else a
    if rank == 4:
        return a
    a = a[0]
    return a if rank == 3 else a[..., 0] if last else a[0]


def _conv_forward(x, W, b, s, p):
    N, _, H, Wd = x.shape
    F, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    Ho, Wo = (H + 2 * p - kh) // s + 1, (Wd + 2 * p - kw) // s + 1
    out = np.empty((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * s:i * s + kh, j * s:j * s + kw]
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def _conv_backward(dout, x, W, s, p):
    N, _, H, Wd = x.shape
    F, _, kh, kw = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp, dW, db = np.zeros_like(xp), np.zeros_like(W), np.zeros(F)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    g = dout[n, f, i, j]
                    rows, cols = slice(i * s, i * s + kh), slice(j * s, j * s + kw)
                    dxp[n, :, rows, cols] += g * W[f]
                    dW[f] += g * xp[n, :, rows, cols]
                    db[f] += g
    return dxp[:, :, p:p + H, p:p + Wd], dW, db


def _pair(v):
    """An int or [rows, columns] -> (rows, columns)."""
    return (v[0], v[1]) if isinstance(v, list) else (v, v)


def _pool_windows(x, k, s):
    """(output index, window) of every pooling window, no padding: k, s are (rows, columns)."""
    N, C, H, W = x.shape
    for n, c, i, j in np.ndindex(N, C, (H - k[0]) // s[0] + 1, (W - k[1]) // s[1] + 1):
        yield (n, c, i, j), (n, c, slice(i * s[0], i * s[0] + k[0]),
                             slice(j * s[1], j * s[1] + k[1]))


def _pool_forward(x, mode, k, s):
    N, C, H, W = x.shape
    out = np.empty((N, C, (H - k[0]) // s[0] + 1, (W - k[1]) // s[1] + 1))
    for o, w in _pool_windows(x, k, s):
        out[o] = x[w].max() if mode == "max" else x[w].sum() / (k[0] * k[1])
    return out


def _pool_backward(dout, x, mode, k, s):
    dx = np.zeros_like(x)
    for o, w in _pool_windows(x, k, s):
        if mode == "max":  # the first maximum in row-major order takes the gradient
            i, j = np.unravel_index(np.argmax(x[w]), k)
            dx[w[0], w[1], w[2].start + i, w[3].start + j] += dout[o]
        else:
            dx[w] += dout[o] / (k[0] * k[1])
    return dx


def _params(layer, last):
    W = np.asarray(layer["weights"], float)
    W = W.transpose(3, 2, 0, 1) if last else W
    b = np.asarray(layer.get("bias", np.zeros(W.shape[0])), float)
    return W, b


def forward(p):
    """forward.a{l} (= h{l}: no activation in these files) in the file's layout."""
    return solve(p, backward=False)


def solve(p, backward=True):
    last = p.get("channels", "first") == "last"
    rank = np.ndim(p["x"])
    hs, out = [_batch(p["x"], last)], {}
    for l, layer in enumerate(p["layers"], 1):
        h, kind = hs[-1], layer["kind"]
        if kind == "conv2d":
            W, b = _params(layer, last)
            a = _conv_forward(h, W, b, layer["stride"], layer["padding"])
        else:
            a = _pool_forward(h, kind[:3], _pair(layer["size"]), _pair(layer["stride"]))
        hs.append(a)
        # a map keeps a sample's rank: (C, H, W) or (H, W, C) even for an (H, W) x
        out[f"forward.a{l}"] = out[f"forward.h{l}"] = _written(a, last, max(rank, 3))
    if not backward:
        return out
    g = _batch(p["y"], last)  # loss: upstream, reduction sum: dL/dŷ = y
    for l in range(len(p["layers"]), 0, -1):
        layer, h = p["layers"][l - 1], hs[l - 1]
        if layer["kind"] == "conv2d":
            W, _ = _params(layer, last)
            g, dW, db = _conv_backward(g, h, W, layer["stride"], layer["padding"])
            out[f"gradients.W{l}"] = dW.transpose(2, 3, 1, 0) if last else dW
            if "bias" in layer:
                out[f"gradients.b{l}"] = db
        else:
            g = _pool_backward(g, h, layer["kind"][:3], _pair(layer["size"]),
                               _pair(layer["stride"]))
    out["gradients.x"] = _written(g, last, rank)
    out["x"], out["y"] = np.asarray(p["x"], float), np.asarray(p["y"], float)
    return out


# ------------------------------------------------------------------------------ checking


def half_unit(check):
    """Half a unit of the last printed digit, per element."""
    want = np.asarray(check["published"], float)
    if "decimals" in check:
        return np.full(want.shape, 0.5 * 10.0 ** -check["decimals"])
    exponent = np.floor(np.log10(np.where(want == 0, 1.0, np.abs(want))))
    return 0.5 * 10.0 ** (exponent - (check["significant"] - 1))


def value(got, check):
    """The quantity a check names, from a dict of arrays keyed like `key`."""
    v = np.asarray(got[check["key"]], float)
    if "index" in check:
        v = v[tuple(check["index"])]
    return v.mean() if check.get("reduce") == "mean" else v


def compare(got, check, slack=SLACK):
    """(max |diff|, within tolerance) for one check."""
    want = np.asarray(check["published"], float)
    got = np.asarray(got, float)
    if got.shape != want.shape:
        return float("nan"), False
    err = np.abs(got - want)
    return float(err.max()), bool(np.all(err <= half_unit(check) + slack * np.abs(want)))


def side_checks():
    """Published numbers of the sources' own variants: (label, got, want, decimals)."""
    a, W, b = _randn((4, 4, 3), (4, 4, 3), (1, 1, 1))
    yield "v1 conv_single_step: sum(a*W + b)", np.sum(a * W + b), -23.1602122025, 10
    yield "v2 conv_single_step: sum(a*W) + b", np.sum(a * W) + b.item(), -6.99908945068, 11
    A, W, b = _randn((10, 4, 4, 3), (2, 2, 3, 8), (1, 1, 1, 8))
    Ap = np.pad(A, ((0, 0), (2, 2), (2, 2), (0, 0)))
    Z = np.empty((10, 7, 7, 8))  # the v1 notebook's own loop: b inside every product
    for i, h, w, ch in np.ndindex(*Z.shape):
        Z[i, h, w, ch] = np.sum(Ap[i, h:h + 2, w:w + 2, :] * W[..., ch] + b[..., ch])
    yield "v1 conv_forward, b in each product: Z's mean", Z.mean(), 0.155859324889, 12


def _stored(name):
    path = HERE / f"{name}.yaml"
    return path.read_text() if path.exists() else None


def rows():
    expected = json.loads((HERE / "expected.json").read_text())
    cat = catalogue()
    if sorted(expected) != sorted(f"{n}.yaml" for n in cat):
        yield "expected.json", "files", "", "differ from the catalogue", False
    for name, (p, entry) in cat.items():
        file = f"{name}.yaml"
        if _stored(name) != problem_text(name, p, entry):
            yield file, "the file", "", "differs from its recipe", False
            continue
        if json.loads(json.dumps(entry)) != expected.get(file):
            yield file, "expected.json", "", "differs from the transcription", False
            continue
        got = solve(p)
        for check in entry["checks"]:
            err, ok = compare(value(got, check), check)
            yield file, check["printed"], check["key"], f"{err:.1e}", ok
    for label, got, want, decimals in side_checks():
        err, ok = compare(got, {"published": want, "decimals": decimals})
        yield "(side check)", label, "", f"{err:.1e}", ok


# ------------------------------------------------------------------------------ writing


def _num(v):
    if isinstance(v, (bool, int, str)):
        return str(v)
    s = repr(float(v))
    return s.replace("e", ".0e") if "e" in s and "." not in s else s  # YAML 1.1 floats


def _flow(v, col):
    """A nested list as a YAML flow sequence, one innermost list per line."""
    if not isinstance(v, list):
        return _num(v)
    if v and isinstance(v[0], list):
        return "[" + (",\n" + " " * (col + 1)).join(_flow(r, col + 1) for r in v) + "]"
    return "[" + ", ".join(_num(e) for e in v) + "]"


def _wrap(text, width=92):
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(f"# {line}")
            line = ""
        line = f"{line} {word}".strip()
    return [*lines, f"# {line}"]


def problem_text(name, p, entry):
    head = [f"# {entry['title']}.", *_wrap(f"Source: {entry['source']}."),
            *(f"# {line}" for line in CONVENTIONS[name.split("_")[0]])]
    if "note" in entry:
        head += _wrap(f"Note: {entry['note']}.")
    head.append("# Published numbers: expected.json; recomputed by reproduce.py.")
    out = [*head, f"title: {json.dumps(p['title'], ensure_ascii=False)}",
           f"channels: {p['channels']}", f"x: {_flow(p['x'], 3)}", f"y: {_flow(p['y'], 3)}",
           f"loss: {p['loss']}", "layers:"]
    for layer in p["layers"]:
        for k, (key, v) in enumerate(layer.items()):
            lead = "  - " if k == 0 else "    "
            out.append(f"{lead}{key}: {_flow(v, len(lead) + len(key) + 2)}")
    return "\n".join(out) + "\n"


def write():
    cat = catalogue()
    expected = {f"{name}.yaml": entry for name, (_, entry) in cat.items()}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False)
                                        + "\n")
    for name, (p, entry) in cat.items():
        (HERE / f"{name}.yaml").write_text(problem_text(name, p, entry))


def main(argv):
    if "--write" in argv:
        write()
        return 0
    table = list(rows())
    width = max(len(r[0]) for r in table)
    label = max(len(r[1]) for r in table)
    print(f"{'file':{width}}  {'printed':{label}}  {'as':12} {'max |diff|':>10}  ok")
    for file, printed, key, err, ok in table:
        print(f"{file:{width}}  {printed:{label}}  {key:12} {err:>10}  {'yes' if ok else 'NO'}")
    bad = sum(not r[-1] for r in table)
    print(f"{len(table) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
