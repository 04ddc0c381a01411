"""Reading scans and ground truth, writing binary images.

The conventions that hold everywhere in binkit start here:

* a **grey image** is a ``float32`` array of shape ``(H, W)`` with values in
  ``[0, 1]``, 0 = black;
* a **binary image** (a prediction or a ground truth) is a ``bool`` array of
  shape ``(H, W)`` in which ``True`` means **ink**.

On disk, binkit writes binary images the way the DIBCO contests store them:
8-bit grey PNG, ink = 0 and page = 255.  That is the only form the official
DIBCO evaluation tool reads without surprises (it treats a pixel as ink only
where it is exactly 0; an 8-bit file holding ``{0, 1}`` would be read as all
ink).

Every failure to read a file raises :class:`binkit.InputError` with a one-line
message that names the file.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ._errors import InputError, first_line

__all__ = [
    "LUMA_WEIGHTS",
    "read_torch_file",
    "read_image",
    "read_gt",
    "save_binary",
    "as_gray",
    "as_mask",
    "atomic_write",
    "write_text",
    "write_json",
    "ensure_folder",
    "remove_leftovers",
    "BINARY_FORMATS",
    "made_by",
    "read_json",
    "parse_json",
    "MAX_PIXELS",
    "max_pixels",
]

#: ITU-R BT.601 luma weights (R, G, B).  They are the weights PIL's ``convert("L")``
#: and MATLAB's ``rgb2gray`` use, and so what the Grid LSTM reference code and
#: the DIBCO evaluation tool saw: ``Y = 0.299 R + 0.587 G + 0.114 B``.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

# Exceptions PIL raises for files that are missing, not images, or damaged.
_PIL_READ_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)

#: The largest page binkit reads by default, in pixels (150 MP: an A2 sheet at
#: 600 dpi is about 108 MP).  A file that declares more is refused before it is
#: decoded, so a small file that claims a huge size cannot take the memory.
#: Raise it with the environment variable ``BINKIT_MAX_PIXELS`` or the
#: ``max_pixels=`` argument of :func:`read_image` and :func:`read_gt`.
MAX_PIXELS = 150_000_000


def max_pixels(value=None) -> int:
    """The pixel limit in force: ``value`` if given, else ``BINKIT_MAX_PIXELS`` if set, else :data:`MAX_PIXELS`.

    Parameters
    ----------
    value : int or str, optional
        A limit chosen by the caller (``--max-pixels``): a positive whole
        number, as a number or as text (``"3e8"`` is 300,000,000).

    Raises
    ------
    binkit.InputError
        The limit is not a positive whole number.
    """
    if value is None:
        text = os.environ.get("BINKIT_MAX_PIXELS", "").strip()
        if not text:
            return MAX_PIXELS
        where = "BINKIT_MAX_PIXELS"
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0:
        return int(value)
    else:
        text, where = str(value).strip(), "--max-pixels or max_pixels="
    try:
        number = float(text)                # accepts 300000000 and 3e8 alike
    except ValueError:
        number = 0.0
    if not (number.is_integer() and number > 0) or isinstance(value, bool):  # NaN, inf, fractions, zero, negatives
        raise InputError(f"pixel limit {text!r} ({where}): expected a positive whole number of pixels, "
                         "e.g. 300000000")
    return int(number)


def _check_pixel_limit(path, size, limit) -> None:
    """Refuse a file whose declared ``size`` (W, H) exceeds ``limit`` pixels."""
    limit = max_pixels() if limit is None else limit
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit <= 0:
        raise InputError(f"max_pixels={limit!r}: expected a positive whole number of pixels")
    w, h = size
    if w * h > limit:
        raise InputError(
            f"{path}: {w} x {h} pixels ({w * h / 1e6:.1f} MP) is more than binkit's limit of "
            f"{limit / 1e6:.0f} MP; raise it with BINKIT_MAX_PIXELS (or max_pixels=) if the page is real"
        )


_EXIF_ORIENTATION = 0x0112


class _CapturedStderr:
    """Collect what C libraries (libtiff) write to file descriptor 2 while the block runs.

    libtiff reports damaged data as warnings on stderr and still returns an
    image; binkit treats any such message as a damaged file.
    """

    def __enter__(self):
        import sys

        try:
            sys.stderr.flush()
        except (AttributeError, ValueError, OSError):
            pass
        self._file = tempfile.TemporaryFile()
        self._saved = os.dup(2)
        os.dup2(self._file.fileno(), 2)
        return self

    def __exit__(self, *exc):
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._file.seek(0)
        self.text = self._file.read().decode("utf-8", "replace")
        self._file.close()
        return False


def _open_pixels(path, limit=None) -> tuple[np.ndarray, str]:
    """Decode ``path`` fully and return (pixels, PIL mode), or raise InputError.

    The rules every reader shares: the pixel limit (checked before decoding),
    one page only, libtiff warnings refuse the file, and the EXIF orientation
    is applied, so pixels come out as a viewer displays them.
    """
    import stat

    path = Path(path)
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:  # e.g. inside a folder of mode 000
        raise InputError(f"{path}: cannot read ({exc.strerror or first_line(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder, not an image file")
    size = info.st_size
    if size == 0:
        raise InputError(f"{path}: empty file (0 bytes), not an image")
    try:
        # binkit's own limit (checked next, from the header) replaces Pillow's
        # decompression-bomb guard, so that a raised BINKIT_MAX_PIXELS is obeyed.
        pillow_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            img = Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = pillow_limit
        with img:
            _check_pixel_limit(path, img.size, limit)
            pages = getattr(img, "n_frames", 1)
            if pages > 1:
                raise InputError(
                    f"{path}: holds {pages} pages ({img.format} with {pages} frames); binkit reads one page "
                    "per file: split it first, e.g. `convert in.tif out_%03d.png` or tiffsplit"
                )
            if img.format == "TIFF":
                with _CapturedStderr() as err:
                    img.load()
                messages = [line.strip() for line in err.text.splitlines() if line.strip()]
                if messages:
                    raise InputError(
                        f"{path}: damaged image: the TIFF decoder reported {len(messages)} problem"
                        f"{'s' if len(messages) > 1 else ''} ({messages[0][:120]})"
                    )
            else:
                img.load()  # decode now, so truncation is caught here and not later
            if img.getexif().get(_EXIF_ORIENTATION, 1) not in (1, None):
                img = ImageOps.exif_transpose(img)  # as a viewer shows it: a phone's portrait JPEG upright
            mode = img.mode
            if mode in ("P", "PA"):
                # Palette images may carry transparency; expand to RGBA first.
                img = img.convert("RGBA")
            elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
                img = img.convert("RGB")
            pixels = np.asarray(img)
    except InputError:
        raise
    except UnidentifiedImageError:
        raise InputError(f"{path}: not an image file (unrecognised format)") from None
    except Image.DecompressionBombError:
        raise InputError(
            f"{path}: image is larger than PIL's safety limit; split it into tiles first"
        ) from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except _PIL_READ_ERRORS as exc:
        raise InputError(f"{path}: damaged or truncated image ({first_line(exc)})") from None
    return pixels, mode


def as_gray(array, name: str = "image", *, copy: bool = True) -> np.ndarray:
    """Convert an image array to binkit's grey form: float32 ``(H, W)`` in [0, 1].

    Parameters
    ----------
    array : (H, W), (H, W, 3) or (H, W, 4) ndarray
        ``uint8`` (0..255), ``uint16`` (0..65535), floats in [0, 1], or
        another integer type under the integer rule below.  Three channels
        are RGB, converted to luminance with :data:`LUMA_WEIGHTS`.  Four
        channels are RGBA, composited on a white page before the conversion;
        two channels are grey + alpha.
    name : str
        What to call the array (a file name, an argument name) in error messages.
    copy : bool, default True
        False: a float32 ``(H, W)`` array that passes the checks is returned
        itself, not copied (for callers that only read it: binkit's methods
        on a page :func:`read_image` gave them).

    Returns
    -------
    gray : (H, W) ndarray of float32
        Values in [0, 1], 0 = black.

    Notes
    -----
    **The integer rule**, the same for every method: ``uint8`` is 8-bit
    (divided by 255) and ``uint16`` is 16-bit (divided by 65535).  Any other
    integer type (``int8``, ``int32``, ``int64``, ``uint32``, ...; an int32
    TIFF) is 8-bit if all its values lie in 0..255, 16-bit if they lie in
    0..65535, and refused otherwise.  So 8-bit data stored in a wide type
    reads as 8-bit; the price is that a 16-bit page stored in a wide type and
    darker than 256/65535 everywhere would read as 8-bit, which no real scan is.

    The conversion runs in bands of rows into the result, so that it costs
    the result and one band, not a float32 copy of every channel (an RGB
    page in float32 is 12 bytes a pixel).

    A ``bool`` array is refused: in binkit a bool array is a mask (True = ink),
    not a picture of a page, and reading True as white would invert it.

    Raises
    ------
    binkit.InputError
        Wrong number of dimensions or channels, an empty array, a bool array,
        NaN or infinite values, or values outside the integer rule or [0, 1].
    """
    a = np.asarray(array)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4)):
        raise InputError(
            f"{name}: expected an (H, W) grey or (H, W, 3|4) colour image, got shape {a.shape}"
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"{name}: empty image (shape {a.shape})")

    if a.dtype == bool:
        raise InputError(
            f"{name}: a bool array is a mask (True = ink), not a page to binarize; pass the scan itself, "
            "or np.where(mask, 0, 255).astype(np.uint8) to binarize a picture of the mask"
        )
    if a.dtype == np.uint8:
        scale = np.float32(255)
    elif a.dtype == np.uint16:
        scale = np.float32(65535)
    elif np.issubdtype(a.dtype, np.integer):
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 65535:
            raise InputError(
                f"{name}: {a.dtype} values {lo}..{hi} fit neither 8 bits (0..255) nor 16 bits (0..65535); "
                "scale the image to [0, 1] floats first"
            )
        scale = np.float32(255 if hi <= 255 else 65535)
    elif np.issubdtype(a.dtype, np.floating):
        scale = None
        finite, lo, hi = True, np.inf, -np.inf
        for r0, r1 in _row_bands(a):
            band = a[r0:r1].astype(np.float32)
            if not np.isfinite(band).all():
                finite = False
                break
            lo, hi = min(lo, float(band.min())), max(hi, float(band.max()))
        if not finite:
            raise InputError(f"{name}: contains NaN or infinite values")
        if lo < 0 or hi > 1:
            raise InputError(
                f"{name}: float values must lie in [0, 1], found {lo:.4g}..{hi:.4g}"
            )
        if not copy and a.dtype == np.float32 and a.ndim == 2 and a.flags.c_contiguous:
            return a
    else:
        raise InputError(f"{name}: unsupported dtype {a.dtype}")

    gray = np.empty(a.shape[:2], dtype=np.float32)
    for r0, r1 in _row_bands(a):
        gray[r0:r1] = _gray_rows(a[r0:r1], scale)
    return gray


def _row_bands(a: np.ndarray, pixels: int = 1 << 18):
    """Row ranges of about ``pixels`` pixels of ``a`` (its channels counted as pixels)."""
    per_row = max(1, int(np.prod(a.shape[1:])))
    rows = max(1, pixels // per_row)
    for r0 in range(0, a.shape[0], rows):
        yield r0, min(a.shape[0], r0 + rows)


def _gray_rows(rows: np.ndarray, scale) -> np.ndarray:
    """:func:`as_gray`'s conversion of some rows of a checked array (``scale``: the integer range, or None)."""
    scaled = rows.astype(np.float32)
    if scale is not None:
        scaled = scaled / scale
    if scaled.ndim == 2:
        return scaled
    channels = scaled.shape[2]
    if channels in (2, 4):  # composite on a white page: c * alpha + 1 * (1 - alpha)
        alpha = scaled[..., -1:]
        scaled = scaled[..., :-1] * alpha + (1.0 - alpha)
        channels -= 1
    if channels == 1:
        gray = scaled[..., 0]
    else:
        r, g, b = LUMA_WEIGHTS
        gray = r * scaled[..., 0] + g * scaled[..., 1] + b * scaled[..., 2]
    return np.clip(gray, 0.0, 1.0)


def read_image(path, *, max_pixels: int | None = None) -> np.ndarray:
    """Read a scan as a grey float32 image in [0, 1].

    Parameters
    ----------
    path : str or os.PathLike
        Any format PIL reads: PNG, BMP, TIFF, JPEG, PPM/PGM/PBM, ...
    max_pixels : int, optional
        Refuse files declaring more pixels than this (default: ``BINKIT_MAX_PIXELS``
        or :data:`MAX_PIXELS`, 150 MP).  Checked before decoding.

    Returns
    -------
    image : (H, W) ndarray of float32
        0 = black, 1 = white.

    Notes
    -----
    * RGB becomes luminance ``Y = 0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601,
      :data:`LUMA_WEIGHTS`), computed in floating point.
    * RGBA (and grey + alpha) is composited on a white page first, so a
      transparent background reads as paper.
    * 16-bit images are divided by 65535; 8-bit ones by 255.
    * Palette images are expanded through their palette (and transparency).
    * 1-bit images give 0 and 1.
    * Integer images of other types (an int32 TIFF) follow the integer rule
      of :func:`as_gray`: 8-bit if their values lie in 0..255.
    * The EXIF orientation is applied: pixels come out as a viewer shows them.
    * Multi-page TIFFs and animated GIF/PNG/WebP files are refused with their
      page count: binkit reads one page per file.
    * Any message of the TIFF decoder (libtiff reports damaged compressed
      data as warnings and still returns an image) refuses the file.

    Raises
    ------
    binkit.InputError
        Missing, empty, unreadable, truncated, damaged, multi-page, too large
        or non-image file.  The message is one line and starts with the file's path.

    Examples
    --------
    >>> import skimage.data, tempfile, os
    >>> from PIL import Image
    >>> path = os.path.join(tempfile.mkdtemp(), "page.png")
    >>> Image.fromarray(skimage.data.page()).save(path)
    >>> img = read_image(path)
    >>> img.dtype, img.shape
    (dtype('float32'), (191, 384))
    """
    pixels, mode = _open_pixels(path, max_pixels)
    if mode == "1":
        # a 1-bit scan: black 0, white 1 exactly as uint8 0 and 255 would read
        gray = np.empty(pixels.shape, dtype=np.float32)
        for r0, r1 in _row_bands(pixels):
            gray[r0:r1] = pixels[r0:r1]
    else:
        try:
            gray = as_gray(pixels, name=str(path))
        except InputError:
            raise
        except Exception as exc:  # pragma: no cover - defensive: unusual PIL modes
            raise InputError(f"{path}: unsupported image mode {mode} ({exc})") from None
    del pixels
    _return_freed_memory()
    return gray


def _return_freed_memory() -> None:
    """Hand the decoder's freed buffers back to the system (glibc; elsewhere nothing).

    Once large blocks have been freed, glibc serves blocks of their size from
    its heap and keeps them when they are freed: after a 150-MP page was read,
    3 bytes a pixel (the decoded pixels and their copy) stayed in the process
    through the whole binarization.
    """
    from .runtime import _glibc

    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def read_gt(path, *, allow_majority_ink: bool = False, max_pixels: int | None = None) -> np.ndarray:
    """Read a ground-truth image as an ink mask (``True`` = ink).

    Parameters
    ----------
    path : str or os.PathLike
        The ground-truth file.
    allow_majority_ink : bool, default False
        A ground truth whose pixels are mostly ink is almost surely inverted
        (white text on black), and is refused.  Pass True when such a mask is
        intended.
    max_pixels : int, optional
        As for :func:`read_image`.

    Returns
    -------
    gt : (H, W) ndarray of bool
        True = ink.

    Notes
    -----
    The DIBCO rule decides what is ink:

    * 1-bit images (PBM, 1-bit PNG or TIFF): black is ink.  In PBM terms this
      is the value 1.
    * 8-bit and 16-bit grey: a pixel is ink exactly where it is 0; any other
      value is page.  This is how the official evaluation tool binarises GT.
    * Colour and palette images: converted to luminance first, rounded to
      8 bits, then the same rule (only pure black is ink).

    The file rules of :func:`read_image` hold too: the pixel limit, one page
    per file, decoder messages refuse the file, and the EXIF orientation is
    applied (so a GT and its scan, rotated alike, still match).

    A ground truth that holds grey values other than black and white is read
    with the same rule, and a :class:`UserWarning` says how many pixels were
    grey, since anti-aliased GT usually means a resampled file.

    Raises
    ------
    binkit.InputError
        Unreadable file (see :func:`read_image`), or a mask that is more than
        half ink while ``allow_majority_ink`` is False.
    """
    pixels, mode = _open_pixels(path, max_pixels)
    if mode == "1":
        ink = ~pixels.astype(bool)  # PIL maps PBM 1 (black) to False
    else:
        if pixels.ndim == 3:
            gray = as_gray(pixels, name=str(path))
            pixels = np.rint(gray * 255).astype(np.uint8)
        if not np.issubdtype(pixels.dtype, np.integer):
            raise InputError(f"{path}: ground truth must be an integer image, got {pixels.dtype}")
        ink = pixels == 0
        white = int(pixels.max())
        grey = int(np.count_nonzero((pixels != 0) & (pixels != white)))
        if grey:
            warnings.warn(
                f"{path}: ground truth has {grey} grey pixels (neither 0 nor {white}); "
                "following the DIBCO rule, only exact 0 counts as ink",
                UserWarning,
                stacklevel=2,
            )
    ink = np.ascontiguousarray(ink, dtype=bool)
    fraction = float(ink.mean())
    if fraction > 0.5 and not allow_majority_ink:
        raise InputError(
            f"{path}: ground truth is {fraction:.0%} ink, so it looks inverted "
            "(binkit expects ink = 0/black, page = 255/white); "
            "invert it, or pass allow_majority_ink=True if this is intended"
        )
    return ink


def as_mask(array, name: str = "mask") -> np.ndarray:
    """Check that ``array`` is a binary image and return it as a bool (H, W) array.

    Parameters
    ----------
    array : (H, W) array_like
        ``bool`` (True = ink), or an integer array holding only 0 and 1
        (1 = ink).  Anything else is refused: a 0/255 image has no single
        obvious polarity, so convert it explicitly (``img == 0`` for DIBCO files).
    name : str
        What to call the array in error messages.

    Returns
    -------
    mask : (H, W) ndarray of bool
    """
    a = np.asarray(array)
    if a.ndim != 2:
        raise InputError(f"{name}: expected a 2-D (H, W) mask, got shape {a.shape}")
    if a.dtype == bool:
        return a
    if np.issubdtype(a.dtype, np.integer):
        # 0/1 integer masks are unambiguous (1 = ink); 0/255 images are not.
        if a.size == 0 or (int(a.min()) >= 0 and int(a.max()) <= 1):
            return a.astype(bool)
        raise InputError(
            f"{name}: integer mask must hold only 0 and 1 (1 = ink), got values "
            f"{int(a.min())}..{int(a.max())}; convert it, e.g. mask = (img == 0) for a DIBCO file"
        )
    raise InputError(
        f"{name}: expected a bool mask (True = ink), got dtype {a.dtype}; "
        "convert it explicitly, e.g. mask = (img == 0) for a DIBCO 0/255 file"
    )


#: Output formats of :func:`save_binary`: name -> (file suffix, description).
BINARY_FORMATS = {
    "png": (".png", "8-bit PNG, ink = 0, page = 255 (what the DIBCO tool reads)"),
    "png1": (".png", "1-bit PNG (black = ink), 8x smaller"),
    "tif": (".tif", "1-bit TIFF with CCITT Group 4 compression (black = ink), for archives"),
}

#: Key of the PNG text chunk / TIFF description that records how an output was made.
MADE_BY_KEY = "binkit"

#: The highest resolution an output records, in dots per inch.  A PNG stores
#: dots per metre as a 32-bit number, so 4294967295 dpi (the largest a TIFF
#: header can state) cannot be written; no scanner comes near 100000 dpi.
MAX_DPI = 100_000


def check_dpi(dpi, name: str = "dpi") -> tuple[float, float]:
    """``dpi`` as two finite resolutions in (0, :data:`MAX_DPI`]; InputError otherwise.

    Parameters
    ----------
    dpi : (x, y) pair of numbers
        The resolution to record, e.g. what a scan's header says.
    name : str
        What to call it in the message (a scan's path).
    """
    import math

    from ._checks import is_real

    try:
        pair = tuple(dpi)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(is_real(v) and math.isfinite(v) and 0 < v <= MAX_DPI for v in pair):
        shown_pair = tuple(float(v) if is_real(v) else v for v in pair) or dpi
        raise InputError(f"{name}: records a resolution of {shown_pair!r} dpi, which no scan has; expected two "
                         f"numbers in (0, {MAX_DPI}]")
    return tuple(float(v) for v in pair)


def save_binary(path, ink, *, format: str = "png", dpi=None, made_by: dict | None = None) -> Path:
    """Write an ink mask: by default an 8-bit PNG with ink = 0 and page = 255.

    The 8-bit PNG is the form the official DIBCO tool reads correctly; the
    1-bit formats (:data:`BINARY_FORMATS`) are for archives.  The file is
    written to a temporary name in the same folder and then renamed, so a
    crash never leaves a half-written file behind.  Missing parent folders
    are created.

    Parameters
    ----------
    path : str or os.PathLike
        Destination (its suffix should match ``format``).
    ink : (H, W) array_like of bool
        True = ink (see :func:`as_mask` for what else is accepted).
    format : {"png", "png1", "tif"}
    dpi : (float, float), optional
        Resolution to record in the file (e.g. the scan's).
    made_by : dict, optional
        How the mask was made (method, parameters, binkit version), stored as
        JSON in a PNG text chunk or the TIFF's description; :func:`made_by` reads it.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    binkit.InputError
        ``ink`` is not a mask, an unknown format, or the folder cannot be written to.
    """
    import json

    from PIL import PngImagePlugin

    if format not in BINARY_FORMATS:
        raise InputError(f"format {format!r}: choose one of {', '.join(BINARY_FORMATS)}")
    path = Path(path)
    mask = as_mask(ink, name="ink")
    if format == "png":
        image = Image.fromarray(np.where(mask, np.uint8(0), np.uint8(255)))
    else:
        image = Image.fromarray(~mask)  # mode "1": True is white
    options = {"dpi": check_dpi(dpi)} if dpi else {}
    text = json.dumps(made_by, sort_keys=True, default=str) if made_by else None
    if format == "tif":
        options["compression"] = "group4"
        if text:
            options["description"] = f"{MADE_BY_KEY} {text}"
    elif text:
        info = PngImagePlugin.PngInfo()
        info.add_text(MADE_BY_KEY, text)
        options["pnginfo"] = info
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    atomic_write(path, lambda fh: image.save(fh, format="TIFF" if format == "tif" else "PNG", **options))
    return path


def made_by(path) -> dict | None:
    """How a binkit output was made (what :func:`save_binary` recorded).

    Returns
    -------
    dict or None
        The record; None for a file that holds none (not an image, or an
        image binkit did not write).

    Raises
    ------
    binkit.InputError
        The file holds a ``binkit`` record that is not a JSON object of
        method and parameters (``[1, 2]``, ``5``, nesting 100000 deep, bad
        JSON): it cannot be told what made the file.
    """
    try:
        with Image.open(path) as image:
            if image.format == "TIFF":
                text = image.tag_v2.get(270, "")  # ImageDescription
                text = text if isinstance(text, str) else ""
                text = text[len(MADE_BY_KEY) + 1 :] if text.startswith(MADE_BY_KEY + " ") else ""
            else:
                text = image.info.get(MADE_BY_KEY, "")
    except _PIL_READ_ERRORS:
        return None
    if not text:
        return None
    record = parse_json(str(text), f"{path}: its {MADE_BY_KEY!r} record")
    if not isinstance(record.get("method"), str) or not isinstance(record.get("params", {}), dict):
        raise InputError(f"{path}: its {MADE_BY_KEY!r} record names no method and parameters")
    return record


def parse_json(text: str, where: str, *, expect: type = dict):
    """Parse JSON that binkit wrote (a record, a log, a lock file), refusing anything else in one line.

    Parameters
    ----------
    text : str
    where : str
        What the text is, for the message (``"runs/a/log.json"``).
    expect : type, default dict
        The type the top level must have (a JSON object).

    Raises
    ------
    binkit.InputError
        Not JSON, nested too deep for the parser (RecursionError), or a top
        level of another type (``[1, 2]``, ``"x"``, ``5`` where an object belongs).
    """
    import json

    try:
        value = json.loads(text)
    except RecursionError:  # json's parser recurses once per level: "[" * 100000 exhausts the stack
        raise InputError(f"{where}: JSON nested too deep to read; not a file binkit wrote") from None
    except ValueError as exc:
        raise InputError(f"{where}: not valid JSON ({first_line(exc)})") from None
    if not isinstance(value, expect):
        kinds = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
                 bool: "true or false", type(None): "null"}
        raise InputError(f"{where}: JSON holds {kinds.get(type(value), type(value).__name__)}, "
                         f"expected {kinds.get(expect, expect.__name__)}")
    return value


def read_json(path, what: str = "JSON file", *, expect: type = dict):
    """Read and parse a JSON file with :func:`parse_json`; InputError if it cannot be read.

    Parameters
    ----------
    path : path
    what : str
        What the file is, for the message (``"run summary"``).
    expect : type, default dict
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: {what} is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror or first_line(exc)})") from None
    return parse_json(text, f"{path}: {what}" if what != "JSON file" else str(path), expect=expect)


#: How binkit names a file while it writes it: ``.<name>.<random>.tmp`` beside
#: the destination (:func:`atomic_write`), so a rerun can recognise and remove
#: what a killed run left (:func:`remove_leftovers`).
TEMP_PREFIX, TEMP_SUFFIX = ".", ".tmp"


def _new_file_mode(path: Path) -> int:
    """The permissions an ordinary write would give: the existing file's, else 0o666 less the umask.

    Never the setuid, setgid or sticky bit: an existing file (or the target
    of a symlink at ``path``) may carry them, and a file binkit writes must
    not become a program that runs as its owner.  An ordinary ``open(path,
    "w")`` by another user clears them too.
    """
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        pass
    try:  # Linux tells the umask without changing it
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and set it back at once
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path, write, *, durable: bool = False) -> Path:
    """Write a file through a temporary name in the same folder, then rename it into place.

    A crash or a kill never leaves half a file at ``path``; the finished file
    gets the permissions an ordinary write would give (mkstemp's own 0600
    would otherwise stick), never with a setuid or setgid bit.  This is the
    one writer of every file binkit replaces (outputs, results, weights,
    checkpoints, logs, lock files).

    Parameters
    ----------
    path : path
        The destination; its folder must exist.
    write : callable
        ``write(binary_file_object)`` writes the content.
    durable : bool, default False
        ``fsync`` the content before the rename, so that a power cut leaves
        the old file or the new one (training checkpoints).

    Raises
    ------
    binkit.InputError
        The folder cannot be written to, or the disk is full.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise InputError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    # The temporary file stays locked until it is renamed, so that another run's
    # remove_leftovers() can tell it from a killed run's file and leaves it alone.
    lock = _lock_temporary(fd)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise
    finally:
        if lock is not None:
            os.close(lock)
    return path


def write_text(path, text: str, *, durable: bool = False) -> Path:
    """Write ``text`` as UTF-8 to ``path`` through :func:`atomic_write`."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data), durable=durable)


def write_json(path, obj, *, indent: int = 2, durable: bool = False) -> Path:
    """Write ``obj`` as JSON (``default=str`` for paths and the like) through :func:`atomic_write`."""
    return write_text(path, json.dumps(obj, indent=indent, default=str) + "\n", durable=durable)


def _lock_temporary(fd: int) -> int | None:
    """Hold an exclusive ``flock`` on the open file ``fd`` through a second descriptor (returned).

    The lock lives until that descriptor is closed, after the rename; None where
    the system has no ``flock`` (Windows) or the file system refuses it.
    """
    try:
        import fcntl
    except ImportError:
        return None
    lock = os.dup(fd)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        return None
    return lock


def _owned_by_a_live_writer(tmp: Path) -> bool:
    """True when a running :func:`atomic_write` holds ``tmp``'s lock (it is still being written)."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(tmp, os.O_RDONLY)
    except OSError:
        return True  # gone already, or not ours to open: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def ensure_folder(path, what: str = "folder") -> Path:
    """Create the folder ``path`` (and its parents) if missing; InputError in one line if it cannot be.

    Parameters
    ----------
    path : path
    what : str
        What the folder is, for the message (``"output folder"``).

    Raises
    ------
    binkit.InputError
        ``path`` (or a parent) is a file, or cannot be created or written to.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"{path}: the {what} is a file, not a folder") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot create the {what} ({exc.strerror or first_line(exc)})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"{path}: the {what} cannot be written to")
    return path


def remove_leftovers(path) -> list[Path]:
    """Remove the temporary files a killed :func:`atomic_write` of ``path`` left beside it.

    Only names of binkit's own pattern for this very destination
    (``.<name>.<8 random characters>.tmp``) are touched, and only files no
    live process is writing: another run writing the same folder at the same
    time keeps its temporary file (it holds a lock on it while it writes).

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(f"{TEMP_PREFIX}{glob.escape(path.name)}.*{TEMP_SUFFIX}"):
        middle = tmp.name[len(TEMP_PREFIX) + len(path.name) + 1 : -len(TEMP_SUFFIX)]
        if len(middle) == 8 and tmp.is_file() and not _owned_by_a_live_writer(tmp):  # mkstemp's random part
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def read_torch_file(path, *, what: str = "not a file binkit wrote", map_location="cpu") -> dict:
    """Read a torch file binkit wrote (weight set or training checkpoint), running no code from it.

    The one ``torch.load`` in binkit: ``weights_only=True``, so the file's
    pickle may build tensors, numbers, strings, lists and dicts only; a
    file that asks for anything else (a function to call, a class to build)
    is refused before any of it runs.  The one exception allowed is NumPy's
    array, which checkpoints written before binkit stored its random-number
    state as plain lists hold (``np.random.get_state()``); an array cannot
    run code.

    Parameters
    ----------
    path : path
    what : str
        What the message says the file is not, when it is refused.
    map_location : str or torch.device, default "cpu"

    Returns
    -------
    dict

    Raises
    ------
    binkit.InputError
        Empty, damaged, foreign or hostile file, or one that does not hold a dict; one line.
    """
    import re

    import torch

    path = Path(path)
    numpy_array = [np.ndarray, np.dtype, np._core.multiarray._reconstruct]
    numpy_array += [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith("DType")]
    try:
        with torch.serialization.safe_globals(numpy_array), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on pickle protocols: not the user's business
            blob = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - an unpickler fed a hostile file can raise anything
        asked = re.search(r"(?:unsupported|Unsupported global:) GLOBAL ([\w.]+)", str(exc))
        if "Weights only load failed" in str(exc):  # torch's advice (to turn weights_only off) is not for binkit
            why = (f"it asks for {asked.group(1)}, code binkit never runs from a file" if asked else
                   "its pickle holds more than tensors, numbers and text; binkit runs no code from a file")
        else:
            why = f"unreadable as a torch file: {first_line(exc)}"
        raise InputError(f"{path}: {what} ({why})") from None
    if not isinstance(blob, dict):
        raise InputError(f"{path}: {what} (it holds a {type(blob).__name__}, not a dict)")
    return blob
