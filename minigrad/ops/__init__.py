"""Differentiable ops, one module per family. Each op is an ``autograd.Function`` whose
forward calls the tensor's backend and whose backward is written with Tensor ops."""
