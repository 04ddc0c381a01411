"""binkit — a teaching kit and library for document image binarization.

Convention everywhere in binkit: a *binary image* is a ``bool`` array of shape
``(H, W)`` in which ``True`` means **ink** (foreground, text) and ``False``
means page (background).  Grey images are ``float32`` arrays in ``[0, 1]``
with 0 = black.

Modules
-------
binkit.io         read scans and ground truth, write binary images
binkit.datasets   DIBCO loading and download, synthetic pages, 64x64 blocks
binkit.metrics    the DIBCO metrics: FM, pseudo-FM, PSNR, DRD, NRM, MPM
binkit.classical  Otsu, Sauvola, Niblack, Wolf and other classical thresholds
binkit.gridlstm   the Grid LSTM binarizer of Westphal et al. (DAS 2018)
binkit.hybrid     the hybrid method: logistic decision surface, B-spline surface
binkit.train      the shared training loop: checkpoints, resume, logs, DDP
binkit.results    per-image results tables (binkit's and the paper's)
binkit.stats      Friedman, Wilcoxon rank-sum with Holm, the paper's rank score
binkit.perturb    controlled damage to a binarization, for teaching the metrics
binkit.plot       the course's plotting style and error overlays
binkit.experiment_plots  boxplots, training curves, per-image bars
binkit.runtime    quick mode, device choice, seeding
"""

from ._errors import InputError
from ._version import __version__

__all__ = ["InputError", "__version__", "binarize", "methods"]


def methods() -> list[str]:
    """Names :func:`binarize` accepts: the classical methods, ``logistic`` (the
    hybrid method's classical start), and ``gridlstm`` / ``hybrid`` when binkit
    ships their trained weights."""
    from .classical import METHODS
    from .gridlstm.pretrained import available_pretrained
    from .hybrid.run import available_pretrained as hybrid_available

    return (sorted([*METHODS, "logistic"]) + (["gridlstm"] if available_pretrained() else [])
            + (["hybrid"] if hybrid_available() else []))


def binarize(image, method: str = "otsu", **params):
    """Binarize a page with one of binkit's methods.

    Parameters
    ----------
    image : (H, W) array_like
        Grey or colour page (anything :func:`binkit.io.as_gray` accepts).
    method : str
        One of :func:`methods` (e.g. ``"otsu"``, ``"sauvola"``, ``"gridlstm"``).
    **params
        The method's parameters (e.g. ``window=51, k=0.2`` for Sauvola).
        ``gridlstm`` takes ``weights`` (a name from
        :func:`binkit.gridlstm.available_pretrained`, default ``"f4-sf2-dyn"``)
        and ``device``.  ``hybrid`` takes ``weights`` (default ``"hybrid"``),
        ``device`` and ``max_tiles`` (see :func:`binkit.hybrid.page_heights`).
        ``logistic`` takes the parameters of :func:`binkit.hybrid.classical`.

    Returns
    -------
    (H, W) ndarray of bool
        True = ink.
    """
    if str(method).lower() == "gridlstm":
        from .gridlstm.inference import binarize as gridlstm_binarize
        from .gridlstm.pretrained import load_pretrained

        unknown = set(params) - {"weights", "device"}
        if unknown:
            raise InputError(f"gridlstm takes weights= and device=, not {sorted(unknown)}")
        model = load_pretrained(params.get("weights", "f4-sf2-dyn"))
        return gridlstm_binarize(image, model, device=params.get("device"))
    if str(method).lower() == "hybrid":
        from .hybrid.run import load_pretrained as load_adjuster
        from .hybrid.training import binarize as hybrid_binarize

        unknown = set(params) - {"weights", "device", "max_tiles"}
        if unknown:
            raise InputError(f"hybrid takes weights=, device= and max_tiles=, not {sorted(unknown)}")
        return hybrid_binarize(image, load_adjuster(params.get("weights", "hybrid")), device=params.get("device"),
                               max_tiles=params.get("max_tiles"))
    if str(method).lower() == "logistic":
        import inspect

        from .hybrid import classical as logistic

        unknown = set(params) - set(inspect.signature(logistic).parameters) - {"image"}
        if unknown:
            raise InputError(f"logistic does not take {sorted(unknown)}")
        return logistic(image, **params)
    from .classical import binarize as classical_binarize

    return classical_binarize(image, method, **params)
