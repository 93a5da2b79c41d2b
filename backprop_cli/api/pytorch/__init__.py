"""The PyTorch bridge (torch imported inside functions only).

    bridge  from_torch, to_torch, torch_loss
    model   nn.Sequential <-> layers;  kinds  nn.BatchNorm1d, nn.LayerNorm, nn.Dropout
    maps    nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten and image x
    losses  loss modules;  optim  torch.optim settings/state;  run  compare's torch half
    bounds  compare's error bounds below float64 (bounds_maps: through the map layers)
"""
