"""The networks of the five seed notebooks (/work/shared/seeds/), written as they appear there.

Only the wrapping differs where a notebook shows a bare layer (seeds 002, 003, 004): those layers
are put inside a small Fashion-MNIST classifier, described next to each builder below.
"""
import torch
from torch import nn


# ---------------------------------------------------------------- seed 000: MLP with / without BN
class MyNet(nn.Module):
    def __init__(self):
        super(MyNet, self).__init__()
        self.classifier = nn.Sequential(
            nn.Linear(784, 48),
            nn.ReLU(),
            nn.Linear(48, 24),
            nn.ReLU(),
            nn.Linear(24, 10)
        )

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = self.classifier(x)
        return x


class MyNetBN(nn.Module):
    def __init__(self):
        super(MyNetBN, self).__init__()
        self.classifier = nn.Sequential(
            nn.Linear(784, 48),
            nn.BatchNorm1d(48),
            nn.ReLU(),
            nn.Linear(48, 24),
            nn.BatchNorm1d(24),
            nn.ReLU(),
            nn.Linear(24, 10)
        )

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = self.classifier(x)
        return x


# ---------------------------------------------------------------- seed 001: hand-written BN, LeNet
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # `is_grad_enabled` selects the mode: prediction (moving statistics) without grad,
    # training (batch statistics) with grad, exactly as in the notebook.
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=[0, 2, 3], keepdim=True)
            var = ((X - mean) ** 2).mean(dim=[0, 2, 3], keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        # Plain tensor attributes (not buffers): not in state_dict, not converted by .double(),
        # and traced into the ONNX graph as constants.
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var,
            eps=1e-5, momentum=0.9)
        return Y


def lenet_handwritten_bn():
    return nn.Sequential(nn.Conv2d(1, 6, kernel_size=5), BatchNorm(6, num_dims=4),
                         nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
                         nn.Conv2d(6, 16, kernel_size=5), BatchNorm(16, num_dims=4),
                         nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
                         nn.Flatten(), nn.Linear(16 * 4 * 4, 120),
                         BatchNorm(120, num_dims=2), nn.Sigmoid(),
                         nn.Linear(120, 84), BatchNorm(84, num_dims=2),
                         nn.Sigmoid(), nn.Linear(84, 10))


def lenet_bn():  # the notebook's `net2`
    return nn.Sequential(nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6),
                         nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
                         nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16),
                         nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
                         nn.Flatten(), nn.Linear(256, 120), nn.BatchNorm1d(120),
                         nn.Sigmoid(), nn.Linear(120, 84), nn.BatchNorm1d(84),
                         nn.Sigmoid(), nn.Linear(84, 10))


# ---------------------------------------------------------------- seed 002: BatchNorm1d on [N,C,L]
class BN1dNCL(nn.Module):
    """The notebook normalises [N,16,784] with nn.BatchNorm1d(16); here a Fashion-MNIST image is
    viewed as [N,16,49] and the same layer sits in a small classifier."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(16)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        x = x.view(x.size(0), 16, -1)
        return self.head(self.bn(x))


# ---------------------------------------------------------------- seed 003: naive whole-tensor BN
size_output = 48


class bachnorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(size_output))
        self.shift = nn.Parameter(torch.zeros(size_output))

    def forward(self, x):
        return ((x - x.mean()) / x.std()) * self.scale + self.shift


def naive_bn_mlp():
    # Always batch statistics (one mean, one unbiased std over the whole tensor), in eval too.
    return nn.Sequential(nn.Flatten(), nn.Linear(784, size_output), nn.ReLU(), bachnorm(),
                         nn.Linear(size_output, 10))


# ---------------------------------------------------------------- seed 004: conv-relu-bn-pool block
def conv_relu_bn_pool():
    batch_norm_example = nn.Sequential(nn.Conv2d(1, 6, kernel_size=3),
                                       nn.ReLU(),
                                       nn.BatchNorm2d(6),
                                       nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(batch_norm_example, nn.Flatten(), nn.Linear(6 * 13 * 13, 10))


# name -> (builder, SGD learning rate, batch size, note on the choice)
DEMOS = {
    "mlp": (MyNet, 0.1, 64, "seed 000 uses lr=0.01 with batch 512; far too slow for ~1 epoch"),
    "mlp_bn": (MyNetBN, 0.1, 64, "seed 000 uses lr=0.01 with batch 512; far too slow for ~1 epoch"),
    "lenet_handwritten_bn": (lenet_handwritten_bn, 1.0, 128, "seed 001: lr=1, batch 128"),
    "lenet_bn": (lenet_bn, 1.0, 128, "seed 001: lr=1, batch 128"),
    "bn1d_ncl": (BN1dNCL, 0.1, 64, "seed 002 trains nothing; lr chosen"),
    "naive_bn_mlp": (naive_bn_mlp, 0.1, 64, "seed 003 trains nothing; lr chosen"),
    "conv_relu_bn_pool": (conv_relu_bn_pool, 0.02, 64,
                          "seed 004 trains nothing; lr=0.1 kills a ReLU channel (BN running_var ~ 0)"),
}


def handwritten_bn_modules(model):
    """(qualified name, module) of every hand-written BatchNorm in `model`."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, BatchNorm)]
