"""How a property is differentiated: exactly by autograd, or numerically — decided once.

A calculator that differentiates its own energy exactly (an
:class:`~ennp_lab.calculator.ENNPCalculator`) follows :class:`ExactlyDifferentiable`:
Hessian rows, Hessian-vector products and strain derivatives by autograd. Every property
that needs second derivatives (Hessians and normal modes, λ_max, phonons, elasticity)
asks :func:`resolve_method` which route to take; any other ASE calculator (EMT, a DFT
code) is differentiated numerically (finite differences of forces or stresses, or
phonopy's displacements).
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

import numpy as np

__all__ = ["ExactlyDifferentiable", "is_exactly_differentiable", "resolve_method"]


@runtime_checkable
class ExactlyDifferentiable(Protocol):
    """Calculators whose second derivatives are exact (autograd)."""

    def get_hessian(self, atoms=None, indices=None) -> np.ndarray: ...

    def hessian_vector_product(self, atoms=None) -> Callable[[np.ndarray], np.ndarray]: ...

    def get_strain_derivatives(self, atoms=None) -> dict: ...


def is_exactly_differentiable(calc) -> bool:
    """Whether ``calc`` differentiates its own energy twice (an ENNP calculator)."""
    return isinstance(calc, ExactlyDifferentiable)


def resolve_method(calc, method: str, numerical: str = "finite-difference", what: str = "") -> str:
    """The route for ``calc``: ``"autograd"`` or the ``numerical`` one.

    Args:
        calc: any ASE calculator.
        method: ``"auto"`` (autograd where the calculator supports it), ``"autograd"`` or
            ``numerical``.
        numerical: the name of the numerical route of the caller ("finite-difference",
            "displacement").
        what: what is computed, for messages ("Hessian", "force-constant").

    Raises:
        ValueError: an unknown method, or autograd for a calculator that cannot do it.
    """
    choices = ("auto", "autograd", numerical)
    if method not in choices:
        raise ValueError(f"unknown {what + ' ' if what else ''}method {method!r}: use {', '.join(repr(c) for c in choices)}")
    exact = is_exactly_differentiable(calc)
    if method == "auto":
        return "autograd" if exact else numerical
    if method == "autograd" and not exact:
        raise ValueError(f"{type(calc).__name__} cannot differentiate its energy twice; use method={numerical!r}")
    return method
