"""binkit — a teaching kit and library for document image binarization.

Convention everywhere in binkit: a *binary image* is a ``bool`` array of shape
``(H, W)`` in which ``True`` means **ink** (foreground, text) and ``False``
means page (background).  Grey images are ``float32`` arrays in ``[0, 1]``
with 0 = black.

Modules
-------
binkit.registry   every method by name: binarizer(), methods(), the default method
binkit.weights    the shipped weights of every model family, and their provenance
binkit.io         read scans and ground truth, write binary images (and every file, atomically)
binkit.batch      folders of scans: binarize_files, evaluate_folders, write_evaluation
binkit.datasets   DIBCO loading and download, the paper's folds, synthetic pages, 64x64 blocks
binkit.metrics    the DIBCO metrics: FM, pseudo-FM, PSNR, DRD, NRM, MPM
binkit.classical  Otsu, Sauvola, Niblack, Wolf and other classical thresholds
binkit.gridlstm   the Grid LSTM binarizer of Westphal et al. (DAS 2018)
binkit.hybrid     the hybrid method: logistic decision surface, B-spline surface
binkit.train      the shared training loop: checkpoints, resume, logs, DDP
binkit.runs       the shared run skeleton of ``binkit train``: skip if finished, fit, score, summary
binkit.results    per-image results tables (binkit's and the paper's)
binkit.stats      Friedman, Wilcoxon rank-sum with Holm, the paper's rank score
binkit.perturb    controlled damage to a binarization, for teaching the metrics
binkit.plot       the course's plotting style and error overlays
binkit.experiment_plots  boxplots, training curves, per-image bars
binkit.runtime    quick mode, device choice, seeding
"""

from ._errors import InputError
from ._version import __version__
from .registry import DEFAULT_METHOD, binarizer, method, methods

__all__ = ["DEFAULT_METHOD", "InputError", "__version__", "binarize", "binarizer", "method", "methods"]


def binarize(image, method: str = DEFAULT_METHOD, **params):
    """Binarize a page with one of binkit's methods: ``binarizer(method, **params)(image)``.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Grey or colour page (anything :func:`binkit.io.as_gray` accepts).
    method : str, default :data:`DEFAULT_METHOD` (``"gridlstm"``)
        A name from :func:`methods` (``binkit methods`` lists them with their
        parameters): ``"otsu"``, ``"sauvola"``, ..., ``"logistic"``,
        ``"gridlstm"``, ``"hybrid"``.
    **params
        The method's parameters, e.g. ``window=51, k=0.2`` for Sauvola;
        ``weights`` and ``device`` for ``gridlstm``; ``weights``, ``device`` and
        ``max_tiles`` for ``hybrid``.

    Returns
    -------
    (H, W) ndarray of bool
        True = ink.

    Notes
    -----
    To binarize many pages, build the method once with :func:`binarizer`: a
    model method loads its weights each time :func:`binarize` is called.
    """
    return binarizer(method, **params)(image)
