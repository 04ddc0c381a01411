"""binkit — a teaching kit and library for document image binarization.

Convention everywhere in binkit: a *binary image* is a ``bool`` array of shape
``(H, W)`` in which ``True`` means **ink** (foreground, text) and ``False``
means page (background).  Grey images are ``float32`` arrays in ``[0, 1]``
with 0 = black.

Modules
-------
binkit.io        read scans and ground truth, write binary images
binkit.datasets  DIBCO loading and download, synthetic pages, 64x64 blocks
"""

from ._errors import InputError

__version__ = "0.1.0"

__all__ = ["InputError", "__version__"]
