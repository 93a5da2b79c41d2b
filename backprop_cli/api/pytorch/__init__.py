"""The PyTorch bridge (torch imported inside functions only).

    bridge  from_torch, to_torch, torch_loss
    model   nn.Sequential <-> layers;  kinds  nn.BatchNorm1d, nn.LayerNorm, nn.Dropout
    losses  loss modules;  optim  torch.optim settings/state;  run  compare's torch half
"""
