"""Which PyTorch names a port can use, checked against the code itself.

``COURSE_NAMES`` is the written list of the ``torch.*``, ``Tensor.*``, ``torch.nn.*``,
``torch.nn.functional.*``, ``torch.nn.init.*``, ``torch.optim.*`` and ``torch.autograd.*``
names used by PyTorch's beginner tutorials (tensors, autograd, custom Functions, nn, optim,
the 60-minute blitz, a CNN classifier) and by an introductory deep-learning course. For each
name, :func:`status` looks at minigrad as it is: the name exists (supported), or reaching
for it raises ``NotImplementedError`` with a reason (the tables in ``unsupported.py``).
``docs/pytorch_compatibility.md`` is :func:`render_markdown`'s output, written by
``tools/generate_pytorch_compatibility.py``; a test checks that the file is up to date.
"""

from __future__ import annotations

import importlib

COURSE_NAMES: dict[str, list[str]] = {
    "torch": """
        tensor from_numpy is_tensor zeros ones empty full eye arange linspace rand randn randint
        randperm zeros_like ones_like full_like rand_like randn_like manual_seed Generator
        float32 float64 float double int64 long bool float16 half bfloat16 int32 int int16 int8
        uint8 complex64 get_default_dtype set_default_dtype set_default_device device Size
        Tensor cuda accelerator no_grad enable_grad is_grad_enabled set_grad_enabled inference_mode
        add sub subtract mul multiply div divide true_divide pow neg negative abs sqrt rsqrt
        exp expm1 log log2 log10 log1p sin cos tan asin acos atan arcsin arccos arctan sinh cosh
        tanh asinh acosh atanh sigmoid relu erf floor ceil round trunc fix frac reciprocal
        square clamp clip maximum minimum where eq ne lt le gt ge greater less
        sum mean var std max min amax amin argmax argmin numel
        matmul mm mv bmm dot outer norm softmax log_softmax
        reshape flatten transpose t permute squeeze unsqueeze cat stack clone detach
        is_floating_point allclose equal split chunk save load
        prod cumsum sort argsort topk unique diag tril triu einsum any all compile
        sparse_coo_tensor complex svd inverse det linalg fft jit distributed autocast
    """.split(),
    "Tensor": """
        shape ndim dtype device requires_grad grad grad_fn is_leaf data T size dim numel
        item tolist numpy to cpu cuda float double long bool half int type
        backward detach requires_grad_ register_hook retain_grad clone contiguous
        add sub mul div pow neg abs sqrt rsqrt exp expm1 log log2 log10 log1p sin cos tan asin
        acos atan sinh cosh tanh asinh acosh atanh sigmoid relu erf floor ceil round trunc frac
        reciprocal square sign clamp clip maximum minimum where eq ne lt le gt ge
        sum mean var std max min amax amin argmax argmin any all
        matmul mm mv bmm dot outer norm
        reshape view view_as flatten transpose t permute squeeze unsqueeze expand expand_as
        gather add_ sub_ mul_ div_ copy_ zero_ fill_ clamp_ uniform_ normal_
        is_floating_point softmax log_softmax split chunk tril triu
        element_size itemsize nbytes is_cuda is_cpu
        prod cumsum sort argsort topk unique
        to_sparse pin_memory
    """.split(),
    "nn": """
        Module Parameter Sequential ModuleList Linear Identity Conv1d Conv2d MaxPool2d AvgPool2d
        Flatten Dropout BatchNorm1d BatchNorm2d ReLU LeakyReLU ELU Sigmoid Tanh Softmax
        LogSoftmax MSELoss L1Loss HuberLoss SmoothL1Loss BCELoss BCEWithLogitsLoss
        CrossEntropyLoss NLLLoss GELU SiLU Softplus LayerNorm Unflatten Dropout2d ModuleDict
        functional init utils RNN LSTM GRU Transformer MultiheadAttention Embedding Conv3d
        ConvTranspose2d DataParallel
    """.split(),
    "nn.Module": """
        forward parameters named_parameters children modules named_modules zero_grad train eval
        state_dict load_state_dict to cpu cuda float double register_buffer
        register_forward_hook requires_grad_ apply
    """.split(),
    "nn.functional": """
        linear conv1d conv2d max_pool2d avg_pool2d relu leaky_relu elu sigmoid tanh softmax
        log_softmax softplus dropout batch_norm one_hot mse_loss l1_loss huber_loss
        smooth_l1_loss gelu silu dropout2d layer_norm binary_cross_entropy
        binary_cross_entropy_with_logits cross_entropy nll_loss
        embedding conv3d interpolate
    """.split(),
    "nn.init": """
        xavier_uniform_ xavier_normal_ kaiming_uniform_ kaiming_normal_ zeros_ ones_ normal_
        uniform_ constant_ calculate_gain
    """.split(),
    "optim": "Optimizer SGD Adagrad RMSprop Adam AdamW lr_scheduler LBFGS SparseAdam".split(),
    "optim.lr_scheduler": """
        StepLR MultiStepLR ExponentialLR CosineAnnealingLR LambdaLR ReduceLROnPlateau
    """.split(),
    "nn.utils": """
        clip_grad_norm_ clip_grad_value_ get_total_norm parameters_to_vector
        vector_to_parameters
    """.split(),
    "autograd": "Function grad Variable gradcheck gradgradcheck functional forward_ad".split(),
    "utils.data": """
        DataLoader TensorDataset Dataset random_split Subset ConcatDataset Sampler
    """.split(),
}

# Where minigrad means the same thing as PyTorch but behaves differently on purpose.
DIFFERENCES: dict[str, str] = {
    "torch.empty": "zero-filled (PyTorch leaves memory uninitialised)",
    "torch.from_numpy": "integer and float widths other than int64/float32/float64 are "
                        "converted (copied) to those",
    "torch.matmul": "float32 with float64 raises (as PyTorch does); elementwise ops promote "
                    "to float64 like PyTorch. out= (also of mm, mv, bmm, dot, outer, norm, "
                    "tril, triu and the elementwise functions) must have the result's shape "
                    "or be empty (PyTorch resizes it with a warning)",
    "torch.device": "'cpu' and 'cuda' ('cuda:0'): one GPU",
    "torch.cuda": "is_available() and the device of tensors; no streams or memory stats",
    "Tensor.grad_fn": "PyTorch's node names (MulBackward0) in reprs, as `grad_fn.pytorch_name`; "
                      "`next_functions` as in PyTorch; `grad_fn.name` is minigrad's op name",
    "Tensor.size": "returns minigrad.Size, whose str() is a plain tuple (used in messages)",
    "Tensor.contiguous": "returns the tensor itself (minigrad copies where layout matters)",
    "Tensor.long": "int64 is minigrad's only integer dtype",
    "torch.tensor": "numpy data of a width minigrad lacks (int32, uint8, float16) raises "
                    "and asks for dtype= instead of being widened",
    "torch.Tensor": "Tensor(data) is float32 and Tensor(2, 3) a tensor of that size, as "
                    "PyTorch's legacy constructor; the sizes form is zero-filled (PyTorch "
                    "leaves memory uninitialised)",
    "torch.Generator": "draws come from numpy's PCG64: a seed does not give PyTorch's numbers",
    "Tensor.type": "type() is 'minigrad.FloatTensor'; type(name) takes 'torch.DoubleTensor' "
                   "as well as 'minigrad.DoubleTensor' and dtypes (not the tensor classes)",
    "torch.prod": "the second derivative through exact zeros raises NotImplementedError",
    "torch.sort": "always stable (PyTorch promises it only with stable=True)",
    "Tensor.sort": "always stable (PyTorch promises it only with stable=True)",
    "torch.topk": "values come sorted also for sorted=False",
    "Tensor.topk": "values come sorted also for sorted=False",
    "torch.unique": "always sorted; computed on the host (a device tensor makes the round "
                    "trip)",
    "Tensor.unique": "always sorted; computed on the host",
    "torch.einsum": "letters, ',' and '->' only: no '...' (ellipsis)",
    "utils.data.DataLoader": "batches are always loaded in the calling process: num_workers, "
                             "pin_memory and persistent_workers are accepted and change "
                             "nothing; no sampler= or batch_sampler=",
    "utils.data.random_split": "generator= takes a minigrad.Generator (or a "
                               "numpy.random.Generator; default: the one "
                               "minigrad.manual_seed seeds); a seed does not pick the same "
                               "samples as PyTorch's",
}

NAMESPACES = {
    "torch": "minigrad", "Tensor": "minigrad:Tensor", "nn": "minigrad.nn",
    "nn.Module": "minigrad.nn:Module", "nn.functional": "minigrad.nn.functional",
    "nn.init": "minigrad.nn.init", "nn.utils": "minigrad.nn.utils", "optim": "minigrad.optim",
    "optim.lr_scheduler": "minigrad.optim.lr_scheduler", "autograd": "minigrad.autograd",
    "utils.data": "minigrad.utils.data",
}


def namespace_object(namespace: str):
    """The minigrad module or class that stands for a PyTorch namespace."""
    module_name, _, attribute = NAMESPACES[namespace].partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def status(namespace: str, name: str) -> tuple[bool, str]:
    """``(True, note)`` if minigrad has the name; ``(False, reason)`` if using it raises
    NotImplementedError. Any other outcome (an AttributeError) is a gap in minigrad."""
    owner = namespace_object(namespace)
    qualified = f"{'torch' if namespace == 'torch' else namespace}.{name}"
    try:
        getattr(owner, name)
    except NotImplementedError as error:
        return False, str(error).split(": ", 1)[-1]
    except AttributeError:
        if namespace != "Tensor":
            raise
    if namespace == "Tensor" and not hasattr(owner, name):
        try:  # instance attributes (shape, grad, ...) and __getattr__'s out-of-scope names
            from minigrad import ones

            getattr(ones(1), name)
        except NotImplementedError as error:
            return False, str(error).split(": ", 1)[-1]
    return True, DIFFERENCES.get(qualified, "")


def _status_word(supported: bool) -> str:
    return "supported" if supported else "not supported"


def render_markdown() -> str:
    lines = [
        "# PyTorch compatibility",
        "",
        "Generated by `python tools/generate_pytorch_compatibility.py` from the code "
        "(`minigrad/pytorch_api.py`, `minigrad/unsupported.py` and the op families' tables); "
        "do not edit by hand.",
        "",
        "The names PyTorch's beginner tutorials and an introductory deep-learning course use. "
        "*supported* names follow PyTorch's signature and semantics (float32/float64, CPU "
        "and CUDA), with any deliberate difference noted. *not supported* names are outside "
        "minigrad's scope: using one raises `NotImplementedError` with the reason (an error "
        "that is also an `AttributeError`, so `hasattr` reports the name as absent).",
        "",
    ]
    for namespace, names in COURSE_NAMES.items():
        results = [(name, *status(namespace, name)) for name in names]
        supported = sum(ok for _, ok, _ in results)
        prefix = namespace if namespace in ("torch", "Tensor") else f"torch.{namespace}"
        lines += [f"## `{prefix}` ({supported} of {len(names)} supported)", "",
                  "| name | status | notes |", "| --- | --- | --- |"]
        for name, ok, note in results:
            lines.append(f"| `{name}` | {_status_word(ok)} | {note} |")
        lines.append("")
    return "\n".join(lines)
