"""minigrad: a small, fast, honest autograd engine for teaching deep learning."""

from minigrad.dtypes import bool_, float32, float64, int64

__version__ = "0.1.0"

__all__ = ["float32", "float64", "int64", "bool_", "__version__"]
