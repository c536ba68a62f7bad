"""``einsum``: products of tensors summed over named indices, e.g. ``"ij,jk->ik"`` (matmul).

Every operand's axes get a letter. The result is, for each choice of the output letters,
the sum over all other letters of the product of the operands' elements. This module
builds it from ordinary Tensor ops, so gradients come for free:

1. a letter repeated inside one operand (``"ii->i"``) takes that operand's diagonal:
   multiply by the identity matrix on those two axes and sum one of them away;
2. operands are combined left to right: each is permuted into one shared letter order,
   with size-1 axes for the letters it lacks, and multiplied with broadcasting;
3. after each product, the letters no later operand and not the output uses are summed
   away at once, so the intermediate products stay small.
"""

from __future__ import annotations

import string

from minigrad.ops.shape import permute


def _parse(equation: str, count: int) -> tuple[list[str], str]:
    equation = equation.replace(" ", "")
    if "." in equation:
        raise ValueError(f"einsum: the ellipsis '...' is not supported (equation {equation!r}); "
                         "name every axis with a letter")
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    letters = "".join(terms)
    if any(letter not in string.ascii_letters for letter in letters + output):
        raise ValueError(f"einsum: equation {equation!r} may only use letters, ',' and '->'")
    if len(terms) != count:
        raise ValueError(f"einsum: equation {equation!r} names {len(terms)} operands, got "
                         f"{count}")
    if not arrow:  # implicit output: the letters used once, in alphabetical order
        output = "".join(sorted(letter for letter in set(letters) if letters.count(letter) == 1))
    for letter in output:
        if letter not in letters or output.count(letter) > 1:
            raise ValueError(f"einsum: output letter {letter!r} in {equation!r} must appear "
                             "exactly once in the output and at least once in an input")
    return terms, output


def _take_repeated_diagonals(operand, term: str):
    """``operand`` with every repeated letter of ``term`` reduced to its diagonal."""
    from minigrad.creation import eye

    while len(set(term)) < len(term):
        letter = next(letter for letter in term if term.count(letter) > 1)
        first = term.index(letter)
        second = term.index(letter, first + 1)
        size = operand.shape[first]
        if operand.shape[second] != size:
            raise ValueError(f"einsum: letter {letter!r} labels axes of sizes {size} and "
                             f"{operand.shape[second]} in one operand")
        identity_shape = [1] * operand.ndim
        identity_shape[first] = identity_shape[second] = size
        identity = eye(size, dtype=operand.dtype, device=operand.device)
        operand = (operand * identity.reshape(identity_shape)).sum(dim=second)
        term = term[:second] + term[second + 1:]
    return operand, term


def _aligned(operand, term: str, order: str):
    """``operand`` permuted to the letter order ``order``, size 1 where it lacks a letter."""
    present = [letter for letter in order if letter in term]
    operand = permute(operand, *[term.index(letter) for letter in present])
    shape = [operand.shape[present.index(letter)] if letter in term else 1 for letter in order]
    return operand.reshape(shape)


def einsum(equation: str, *operands):
    """``torch.einsum(equation, *operands)`` (operands may also come as one list)."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    terms, output = _parse(equation, len(operands))
    sizes: dict[str, int] = {}
    prepared = []
    for operand, term in zip(operands, terms, strict=True):
        if len(term) != operand.ndim:
            raise ValueError(f"einsum: term {term!r} names {len(term)} axes but its operand "
                             f"has shape {operand.shape}")
        operand, term = _take_repeated_diagonals(operand, term)
        for letter, size in zip(term, operand.shape, strict=True):
            known = sizes.setdefault(letter, size)
            if known != size and 1 not in (known, size):
                raise ValueError(f"einsum: letter {letter!r} labels axes of sizes {known} "
                                 f"and {size} in {equation!r}")
            sizes[letter] = max(known, size)
        prepared.append((operand, term))

    result, result_term = prepared[0]
    for position in range(len(prepared)):
        if position > 0:
            operand, term = prepared[position]
            order = result_term + "".join(letter for letter in term if letter not in result_term)
            result = _aligned(result, result_term, order) * _aligned(operand, term, order)
            result_term = order
        still_needed = output + "".join(term for _, term in prepared[position + 1:])
        done = [axis for axis, letter in enumerate(result_term) if letter not in still_needed]
        if done:
            result = result.sum(dim=tuple(done))
            result_term = "".join(letter for letter in result_term if letter in still_needed)
    return _aligned(result, result_term, output)
