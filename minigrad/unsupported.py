"""PyTorch names minigrad leaves out on purpose, each with the reason.

Reaching for one (``minigrad.float16``, ``x.half()``, ``nn.LSTM``) raises
``NotImplementedError`` with that reason instead of an ``AttributeError``, so a port from
PyTorch learns at once that the name is outside minigrad's scope, not misspelled. The
compatibility table in ``docs/pytorch_compatibility.md`` is generated from these tables and
from the names minigrad does have.
"""

from __future__ import annotations

from minigrad import dtypes

_HALF = "float16/bfloat16 are outside minigrad's scope (float32 and float64 only)"
_SPARSE = "sparse tensors are outside minigrad's scope (dense arrays only)"
_COMPLEX = "complex numbers are outside minigrad's scope (real-valued deep learning)"
_DISTRIBUTED = "multi-process and multi-GPU training are outside minigrad's scope (one device)"
_RNN = ("recurrent layers are not part of minigrad's course scope (MLPs and CNNs); build one "
        "from nn.Linear and a loop over time steps")
_JIT = "TorchScript and torch.fx are outside minigrad's scope (minigrad runs eagerly)"
_ATTENTION = ("attention layers are not part of minigrad's course scope (MLPs and CNNs); "
              "write one from nn.Linear, matmul and softmax")
_FFT = "Fourier transforms are outside minigrad's scope"
_LINALG = ("factorizations (SVD, eigenvalues, inverses) are outside minigrad's scope; "
           "minigrad has matmul, mm, mv, bmm, dot, outer and norm")

TORCH = {
    **{name: reason for name, reason in dtypes.UNSUPPORTED.items()},
    "sparse_coo_tensor": _SPARSE, "sparse": _SPARSE,
    "complex": _COMPLEX, "view_as_complex": _COMPLEX,
    "distributed": _DISTRIBUTED, "multiprocessing": _DISTRIBUTED,
    "jit": _JIT, "fx": _JIT,
    "svd": _LINALG, "inverse": _LINALG, "det": _LINALG, "linalg": _LINALG, "fft": _FFT,
    "autocast": _HALF, "amp": _HALF,
    "backends": "there are no backend switches (cuDNN, MPS) in minigrad: 'cpu' and 'cuda' only",
    "mps": "Apple GPUs (MPS) are not a minigrad device: 'cpu' and 'cuda' only",
}

TENSOR = {
    "half": _HALF, "bfloat16": _HALF, "int": dtypes.UNSUPPORTED["int"],
    "short": dtypes.UNSUPPORTED["short"], "char": dtypes.UNSUPPORTED["int8"],
    "byte": dtypes.UNSUPPORTED["uint8"], "to_sparse": _SPARSE, "is_sparse": _SPARSE,
    "is_complex": _COMPLEX, "real": _COMPLEX, "imag": _COMPLEX, "svd": _LINALG,
    "inverse": _LINALG, "det": _LINALG, "pin_memory": _DISTRIBUTED,
    "share_memory_": _DISTRIBUTED,
}

NN = {
    "RNN": _RNN, "LSTM": _RNN, "GRU": _RNN, "RNNCell": _RNN, "LSTMCell": _RNN, "GRUCell": _RNN,
    "Transformer": _ATTENTION,
    "MultiheadAttention": _ATTENTION,
    "DataParallel": _DISTRIBUTED, "parallel": _DISTRIBUTED,
    "Conv3d": "3-D convolution is outside minigrad's scope (conv1d and conv2d)",
    "ConvTranspose2d": "transposed convolution is not part of minigrad's course scope",
    "Embedding": ("embeddings are not part of minigrad's course scope; index a Parameter "
                  "matrix with a tensor of ints instead"),
}

FUNCTIONAL = {
    "conv3d": NN["Conv3d"], "conv_transpose2d": NN["ConvTranspose2d"],
    "embedding": NN["Embedding"],
    "scaled_dot_product_attention": _ATTENTION,
    "interpolate": "resampling images is outside minigrad's scope",
    "grid_sample": "resampling images is outside minigrad's scope",
}

OPTIM = {
    "LBFGS": "second-order optimizers are outside minigrad's scope (first-order ones only)",
    "SparseAdam": _SPARSE,
}

AUTOGRAD = {
    "functional": "autograd.functional (jacobian, hessian) is not in minigrad: use "
                  "minigrad.grad with create_graph=True",
    "profiler": "minigrad has no profiler; time steps with benchmarks/timing.py",
    "forward_ad": "forward-mode AD is outside minigrad's scope (reverse mode only)",
    "gradgradcheck": "use minigrad.testing.gradcheck on the gradient function",
}


class OutOfScopeError(NotImplementedError, AttributeError):
    """Reading a PyTorch name that minigrad leaves out. A NotImplementedError, so the message
    with the reason is what a port sees; also an AttributeError, so feature checks such as
    ``hasattr(minigrad, "svd")`` or ``getattr(x, "half", None)`` answer "no" as they would for
    any missing name instead of raising."""


def module_getattr(module_name: str, table: dict):
    """A module ``__getattr__`` that raises OutOfScopeError (with the reason) for the
    out-of-scope names in ``table`` and AttributeError for every other missing name."""

    def __getattr__(name: str):
        if name in table:
            raise OutOfScopeError(f"{module_name}.{name}: {table[name]}")
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")

    return __getattr__
