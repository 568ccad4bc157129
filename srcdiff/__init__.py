"""srcdiff: source-to-source automatic differentiation for Python and NumPy.

srcdiff reads a function's source, emits a derivative function that applies the chain rule
statement by statement, and runs it. See ``srcdiff.emit`` to read the generated code.
"""
from srcdiff.api import (
    check_grad,
    emit,
    explain,
    grad,
    hessian,
    jacobian,
    jvp,
    jvp_batch,
    value_and_grad,
    vjp,
    vjp_batch,
)
from srcdiff.control import no_grad, stop_gradient
from srcdiff.custom import defrule, elementwise
from srcdiff.errors import (
    GradientCheckError,
    NonScalarOutputError,
    SrcdiffError,
    UnsupportedSyntaxError,
)
from srcdiff.graph import graph
from srcdiff.memory import memory

__version__ = "0.1.0"

__all__ = [
    "GradientCheckError", "NonScalarOutputError", "SrcdiffError", "UnsupportedSyntaxError",
    "check_grad", "defrule", "elementwise", "emit", "explain", "grad", "graph", "hessian",
    "jacobian", "jvp", "jvp_batch", "memory", "no_grad", "stop_gradient", "value_and_grad",
    "vjp", "vjp_batch",
]
