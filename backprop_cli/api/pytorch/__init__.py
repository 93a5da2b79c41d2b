"""The PyTorch bridge (torch imported inside functions only).

    bridge  from_torch, to_torch, torch_loss
    model   nn.Sequential <-> layers;  losses  loss modules;  optim  torch.optim settings/state
"""
