"""Where binkit looks for its data sets, in one rule for all of them.

binkit runs from a checkout of the project *and* from a plain ``pip install``
that has no project folder around it, so a data set is looked for in several
places, first match wins:

1. the folder passed as an argument (then nowhere else);
2. the data set's environment variable (``BINKIT_DIBCO_ROOT``,
   ``BINKIT_SYNTHETIC_ROOT``);
3. the checkout's own ``data/<set>`` folder, when binkit is imported from a
   checkout (a folder with ``pyproject.toml`` above the ``binkit`` package);
   an installed binkit has no checkout and skips this;
4. the user data folder's ``<set>`` folder: ``$BINKIT_DATA_HOME``, else
   ``$XDG_DATA_HOME/binkit``, else ``~/.local/share/binkit`` (the XDG base
   directory rule).  :func:`binkit.datasets.fetch_dibco` writes there by
   default, so a fetched data set is found without any setting.

A miss raises :class:`FileNotFoundError` with one line that names every place
looked in and how to get the data.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DATA_HOME_ENV_VAR",
    "candidate_roots",
    "checkout_root",
    "describe_candidates",
    "user_data_dir",
]

#: Environment variable naming binkit's user data folder (holds ``dibco/``, ``synthetic/``).
DATA_HOME_ENV_VAR = "BINKIT_DATA_HOME"


def checkout_root() -> Path | None:
    """The project folder binkit is imported from, or None for an installed binkit.

    Returns
    -------
    pathlib.Path or None
        The folder holding ``pyproject.toml`` and the ``binkit`` package when
        this binkit is a checkout (or an editable install of one); None when it
        lives in ``site-packages``.
    """
    # binkit/datasets/locations.py -> binkit/ -> the folder above the package
    project = Path(__file__).resolve().parents[2]
    if (project / "pyproject.toml").is_file() and (project / "binkit" / "__init__.py").is_file():
        return project
    return None


def user_data_dir() -> Path:
    """binkit's user data folder, which holds ``dibco/`` and ``synthetic/``.

    Returns
    -------
    pathlib.Path
        ``$BINKIT_DATA_HOME`` if set, else ``$XDG_DATA_HOME/binkit``, else
        ``~/.local/share/binkit``.  It need not exist.
    """
    home = os.environ.get(DATA_HOME_ENV_VAR)
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    # The XDG spec says a relative $XDG_DATA_HOME is invalid and must be ignored.
    if xdg and Path(xdg).expanduser().is_absolute():
        return Path(xdg).expanduser() / "binkit"
    return Path.home() / ".local" / "share" / "binkit"


def candidate_roots(name: str, env_var: str, root=None) -> list[tuple[Path, str]]:
    """The folders to look in for the data set ``name``, in order, with where each came from.

    Parameters
    ----------
    name : str
        The data set's folder name under ``data/`` and the user data folder
        (``"dibco"``, ``"synthetic"``).
    env_var : str
        Its environment variable.
    root : str or os.PathLike, optional
        An explicit folder: then it is the only candidate.

    Returns
    -------
    list of (pathlib.Path, str)
        Each candidate folder and a short label saying why it is looked at.
    """
    if root is not None:
        return [(Path(root).expanduser(), "the folder given")]
    found = []
    env = os.environ.get(env_var)
    if env:
        found.append((Path(env).expanduser(), f"${env_var}"))
    project = checkout_root()
    if project is not None:
        found.append((project / "data" / name, f"the checkout's data/{name}"))
    found.append((
        user_data_dir() / name,
        f"the user data folder: ${DATA_HOME_ENV_VAR}, else $XDG_DATA_HOME/binkit, else ~/.local/share/binkit",
    ))
    return found


def describe_candidates(candidates: list[tuple[Path, str]], env_var: str) -> str:
    """One line naming every candidate folder, and the environment variable when it is unset."""
    where = ", ".join(f"{path} ({label})" for path, label in candidates)
    if len(candidates) > 1 and not os.environ.get(env_var):
        where += f"; {env_var} is not set"
    return where
