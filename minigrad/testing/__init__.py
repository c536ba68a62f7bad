"""Checking gradients: finite differences and comparisons with PyTorch.

Three tools, for users writing their own ops as much as for minigrad's own tests:

- :func:`gradcheck` compares the gradients autograd computes with central finite
  differences, in float64. Small problems get the whole Jacobian checked element by element;
  large ones are checked along random directions (a numerical directional derivative against
  the vector-Jacobian product, as HIPS autograd's ``check_grads`` does).
- :func:`gradgradcheck` does the same for the gradient itself, built with
  ``minigrad.grad(..., create_graph=True)``: it checks second derivatives.
- :func:`compare_with_torch` runs the same inputs through a minigrad function and a PyTorch
  function and compares the outputs and every input gradient.

Failures raise :class:`GradcheckError` (an ``AssertionError``, so test runners show it as a
failed check) with a report naming the worst element: where it is, both values, and the
absolute and relative error. PyTorch is imported only inside :func:`compare_with_torch`.
"""

from minigrad.testing.finite_differences import gradcheck, gradgradcheck
from minigrad.testing.reports import GradcheckError
from minigrad.testing.torch_comparison import DEFAULT_TOLERANCES, compare_with_torch

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "compare_with_torch",
           "DEFAULT_TOLERANCES"]
