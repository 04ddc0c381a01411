"""The registry of binarization methods: the one place that says what a method is.

Every method binkit offers (the classical thresholds, the hybrid method's
classical start ``logistic``, and the trained models ``gridlstm`` and
``hybrid``) has one :class:`Method` record here: its name, a one-line summary,
its parameters with their defaults, whether it needs torch, which weights
family it loads, and how to build it.  :func:`binarizer` builds a method once
(checking its parameters and loading its model), and everything that
binarizes by name goes through it: :func:`binkit.binarize`, the ``binkit``
command line, :mod:`binkit.batch`, the benchmarks and the weight export.

Importing this module imports no torch; only building a method that needs it does.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._errors import InputError

__all__ = ["DEFAULT_METHOD", "Method", "Parameter", "binarizer", "check_takes", "method", "methods", "parse_params"]

#: The method :func:`binkit.binarize` and ``binkit binarize`` use when none is
#: named: the shipped Grid LSTM, binkit's best method on the hard pages (FM, border
#: ink) and by pseudo-FM on H-DIBCO 2016 (docs/benchmarks.md; docs/models/general.md).
DEFAULT_METHOD = "gridlstm"


@dataclass(frozen=True)
class Parameter:
    """One parameter of a method: its name, default and a few words on it."""

    name: str
    default: object
    help: str = ""

    def __str__(self) -> str:
        value = f"{self.default:.4g}" if isinstance(self.default, float) else repr(self.default)
        return f"{self.name}={value}"


@dataclass(frozen=True)
class Method:
    """What binkit knows about one binarization method.

    Attributes
    ----------
    name : str
        The name :func:`binarizer` takes (``"sauvola"``).
    summary : str
        One line for listings.
    parameters : tuple of Parameter
    needs_torch : bool
        Whether building it imports torch.
    family : str or None
        The :mod:`binkit.weights` family whose weights it loads.
    build : callable
        ``build(**params) -> function(image) -> ink``: checks the parameters
        and loads what the method needs, once.  The function takes any page
        :func:`binkit.io.as_gray` accepts, checks it once (the method's own
        public function does) and returns a bool mask.
    """

    name: str
    summary: str
    parameters: tuple[Parameter, ...]
    needs_torch: bool
    build: Callable = field(repr=False)
    family: str | None = None

    @property
    def available(self) -> bool:
        """True unless the method needs weights and the package ships none."""
        if self.family is None:
            return True
        from . import weights

        return bool(weights.available(self.family))

    def describe(self) -> str:
        """``name  summary`` and the parameters with their defaults, for ``binkit methods``."""
        params = ", ".join(str(p) for p in self.parameters) or "no parameters"
        return f"{self.name:<11} {self.summary}\n{'':<11} parameters: {params}"


def _first_line(function) -> str:
    """The docstring's summary line in plain words: "Sauvola's method: ink = ..." for a listing."""
    line = (inspect.getdoc(function) or "").split("\n")[0].rstrip(".").replace("``", "")
    return line.removeprefix("Binarize with ")


def _signature_parameters(function) -> tuple[Parameter, ...]:
    return tuple(Parameter(p.name, p.default) for p in inspect.signature(function).parameters.values()
                 if p.name != "image")


def _refuse_unknown(name: str, params: dict, parameters) -> None:
    accepted = [p.name for p in parameters]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no parameters"
        raise InputError(f"method {name!r} does not take {', '.join(unknown)} (it takes: {takes})")


# A tiny page on which a function method's own edge checks run once when it is
# built, so a bad parameter fails before the first page of a batch instead of
# once per page.  The checks stay in one place: the method's function.
_PROBE = np.full((3, 3), 0.5, np.float32)


def _function_method(name: str, function, summary: str | None = None) -> Method:
    parameters = _signature_parameters(function)

    def build(**params):
        _refuse_unknown(name, params, parameters)
        function(_PROBE, **params)
        return lambda image: function(image, **params)

    return Method(name, summary or _first_line(function), parameters, False, build)


def _check_max_tiles(value):
    from ._checks import check_int

    return None if value is None else check_int("max_tiles", value, minimum=1)


def _build_gridlstm(weights=None, device=None, upscale=1.0, input_levels=None):
    from . import weights as store
    from .gridlstm.inference import binarize as run_model
    from .gridlstm.inference import check_upscale
    from .gridlstm.inputs import check_input_levels
    from .runtime import check_device

    upscale = check_upscale(upscale)
    if input_levels is not None:
        check_input_levels(input_levels)
    dev = check_device(device)
    model = store.load("gridlstm", weights, device=dev)
    return lambda image: run_model(image, model, device=dev, upscale=upscale, input_levels=input_levels)


def _build_hybrid(weights=None, device=None, max_tiles=None, adapt="page"):
    from . import weights as store
    from .hybrid.inference import ADAPT
    from .hybrid.inference import binarize as run_model
    from .hybrid.model import inference_copy
    from .runtime import check_device

    max_tiles = _check_max_tiles(max_tiles)
    if adapt not in ADAPT:
        raise InputError(f"adapt={adapt!r}: expected one of {', '.join(ADAPT)}")
    dev = check_device(device)
    model = inference_copy(store.load("hybrid", weights, device=dev))  # BatchNorm folded once, not per page
    return lambda image: run_model(image, model, device=dev, max_tiles=max_tiles, adapt=adapt)


def _model_method(name: str, summary: str, family: str, build, helps: dict) -> Method:
    from .weights import FAMILIES

    defaults = {"weights": FAMILIES[family].default}  # what weights=None loads
    parameters = tuple(Parameter(p.name, defaults.get(p.name, p.default), helps.get(p.name, ""))
                       for p in inspect.signature(build).parameters.values())

    def checked_build(**params):
        _refuse_unknown(name, params, parameters)
        return build(**params)

    return Method(name, summary, parameters, True, checked_build, family)


def _registry() -> dict[str, Method]:
    from . import classical
    from .hybrid import logistic

    records = [_function_method(n, f) for n, f in classical.METHODS.items()]
    records.append(_function_method("logistic", logistic.logistic_binarize,
                                    "The hybrid method's parameter-free classical start (logistic surface)"))
    records.append(_model_method(
        "gridlstm", "Grid LSTM of Westphal et al. (DAS 2018), shipped weights", "gridlstm", _build_gridlstm,
        {"weights": "a shipped name (binkit.weights.available('gridlstm')) or a .pt path; default general",
         "device": "cpu, cuda, cuda:N or mps; default the best available",
         "upscale": "resample the page by this factor (1 to 4) for the model, for scans with thin strokes; "
                    "default 1",
         "input_levels": "minmax or percentile: how the page's grey levels are stretched for the model; "
                         "default the weights' own"}))
    records.append(_model_method(
        "hybrid", "Hybrid: a CNN adjusts the logistic surface's B-spline, shipped weights", "hybrid",
        _build_hybrid,
        {"weights": "a shipped name (binkit.weights.available('hybrid')) or a .pt path; default hybrid",
         "device": "cpu, cuda, cuda:N or mps; default the best available",
         "max_tiles": "average the CNN over the N most text-rich 512x512 tiles (faster); default all",
         "adapt": "page: one adjusted surface for the page; tile: one per 512x512 tile, blended; default page"}))
    return {r.name: r for r in records}


_METHODS: dict[str, Method] | None = None


def methods() -> dict[str, Method]:
    """Every method binkit can run, by name (sorted), as :class:`Method` records.

    A model method is listed when the package ships its weights.
    ``"sauvola" in binkit.methods()`` tests for one; ``binkit methods`` prints them.
    """
    global _METHODS
    if _METHODS is None:
        _METHODS = _registry()
    return {name: m for name, m in sorted(_METHODS.items()) if m.available}


def _lookup(name) -> Method:
    found = methods()
    key = name.lower() if isinstance(name, str) else name
    if key not in found:
        raise InputError(f"unknown method {name!r}; choose one of: {', '.join(found)}")
    return found[key]


def method(name: str) -> Method:
    """The :class:`Method` record of ``name`` (case does not matter)."""
    return _lookup(name)


#: How ``KEY=VALUE`` text spells a flag (``--param swap=true``); the method's own check refuses a
#: flag where it wants a number, and a number where it wants a flag.
_BOOLEANS = {"true": True, "false": False}


def parse_params(pairs) -> dict:
    """Method parameters from ``KEY=VALUE`` texts (``binkit binarize --param``): numbers, flags or text.

    >>> parse_params(["window=31", "k=0.2", "swap=true", "weights=general"])
    {'window': 31, 'k': 0.2, 'swap': True, 'weights': 'general'}
    """
    params = {}
    for pair in pairs or []:
        key, sep, value = str(pair).partition("=")
        if not sep or not key:
            raise InputError(f"--param {pair!r}: expected KEY=VALUE, e.g. --param window=31")
        key = key.replace("-", "_")
        if value.strip().lower() in _BOOLEANS:
            params[key] = _BOOLEANS[value.strip().lower()]
            continue
        for cast in (int, float):
            try:
                value = cast(value)
                break
            except ValueError:
                pass
        params[key] = value
    return params


def check_takes(record: Method, parameter: str) -> None:
    """Refuse ``parameter`` for a method that does not take it, naming the methods that do (``--device``)."""
    if parameter not in {p.name for p in record.parameters}:
        takers = [m.name for m in methods().values() if parameter in {p.name for p in m.parameters}]
        raise InputError(f"{parameter} (--{parameter.replace('_', '-')}) applies to {' and '.join(takers)}, "
                         f"not {record.name}")


def binarizer(method: str = DEFAULT_METHOD, **params) -> Callable[[object], np.ndarray]:
    """Build a method once: check its parameters, load its model; return ``function(image) -> ink``.

    Parameters
    ----------
    method : str, default :data:`DEFAULT_METHOD`
        A name from :func:`methods`.
    **params
        The method's parameters (``binkit methods`` lists them), e.g.
        ``window=31, k=0.2`` for Sauvola, ``weights="f4-sf2-dyn", device="cpu"``
        for the Grid LSTM.

    Returns
    -------
    callable
        ``function(image) -> (H, W) bool ndarray`` (True = ink), for any page
        :func:`binkit.io.as_gray` accepts.  Call it on many pages: the model is
        loaded only once.

    Raises
    ------
    binkit.InputError
        Unknown method, a parameter it does not take, a bad value, missing weights.

    Examples
    --------
    >>> import numpy as np, binkit
    >>> run = binkit.binarizer("sauvola", window=31)
    >>> run(np.random.default_rng(0).random((64, 64))).dtype
    dtype('bool')
    """
    record = _lookup(method)
    function = record.build(**params)

    def run(image):
        return function(image)  # the method's public function checks the page, once

    run.method = record.name
    run.params = dict(params)
    return run
