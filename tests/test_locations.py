"""Where binkit looks for its data: argument, env var, the checkout's data/, the user data folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from binkit.datasets import (
    dibco_root,
    load_dibco,
    load_synthetic,
    locations,
    synthetic_root,
)
from binkit.datasets.dibco import default_dest


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No data setting at all, HOME in tmp_path, and binkit seen as a plain install (no checkout)."""
    for var in ("BINKIT_DIBCO_ROOT", "BINKIT_SYNTHETIC_ROOT", "BINKIT_DATA_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(locations, "checkout_root", lambda: None)
    return tmp_path


def _dibco_year(root: Path, year: int = 2030, name: str = "H01") -> Path:
    for sub, value in (("images", 128), ("gt", 255)):
        (root / str(year) / sub).mkdir(parents=True, exist_ok=True)
        a = np.full((8, 8), value, np.uint8)
        a[2:4, 2:4] = 0
        Image.fromarray(a).save(root / str(year) / sub / f"{year}_{name}.png")
    return root


def _synthetic_set(root: Path) -> Path:
    from binkit.datasets.synthetic import write_synthetic_set

    write_synthetic_set(root, seeds=[0], size=(64, 96))
    return root


# -- the user data folder -----------------------------------------------------


def test_user_data_dir_rule(clean_env, monkeypatch):
    home = clean_env / "home"
    assert locations.user_data_dir() == home / ".local" / "share" / "binkit"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")  # invalid by the XDG spec: ignored
    assert locations.user_data_dir() == home / ".local" / "share" / "binkit"
    monkeypatch.setenv("XDG_DATA_HOME", str(clean_env / "xdg"))
    assert locations.user_data_dir() == clean_env / "xdg" / "binkit"
    monkeypatch.setenv("BINKIT_DATA_HOME", str(clean_env / "mine"))
    assert locations.user_data_dir() == clean_env / "mine"


def test_checkout_is_recognised_by_its_pyproject(tmp_path, monkeypatch):
    this = Path(locations.__file__).resolve()
    project = this.parents[2]
    assert locations.checkout_root() == project  # the tests run from a checkout
    # the same module inside site-packages: no pyproject.toml above the package
    fake = tmp_path / "site-packages" / "binkit" / "datasets" / "locations.py"
    fake.parent.mkdir(parents=True)
    (fake.parents[1] / "__init__.py").touch()
    monkeypatch.setattr(locations, "__file__", str(fake))
    assert locations.checkout_root() is None
    (tmp_path / "site-packages" / "pyproject.toml").touch()
    assert locations.checkout_root() == tmp_path / "site-packages"


# -- DIBCO --------------------------------------------------------------------


def test_dibco_found_in_the_user_data_folder_without_any_setting(clean_env):
    _dibco_year(clean_env / "home" / ".local" / "share" / "binkit" / "dibco")
    assert dibco_root() == clean_env / "home" / ".local" / "share" / "binkit" / "dibco"
    assert [s.name for s in load_dibco()] == ["2030_H01"]


def test_dibco_order_argument_env_checkout_user(clean_env, monkeypatch):
    user = _dibco_year(clean_env / "data-home" / "dibco", name="H01")
    checkout = clean_env / "project"
    _dibco_year(checkout / "data" / "dibco", name="H02")
    env = _dibco_year(clean_env / "env", name="H03")
    arg = _dibco_year(clean_env / "arg", name="H04")
    monkeypatch.setenv("BINKIT_DATA_HOME", str(clean_env / "data-home"))
    assert dibco_root() == user
    monkeypatch.setattr(locations, "checkout_root", lambda: checkout)
    assert dibco_root() == checkout / "data" / "dibco"
    monkeypatch.setenv("BINKIT_DIBCO_ROOT", str(env))
    assert dibco_root() == env
    assert dibco_root(arg) == arg
    # an argument is the only place looked in
    with pytest.raises(FileNotFoundError, match="nowhere"):
        dibco_root(clean_env / "nowhere")


def test_dibco_env_var_without_data_falls_through(clean_env, monkeypatch):
    user = _dibco_year(clean_env / "home" / ".local" / "share" / "binkit" / "dibco")
    monkeypatch.setenv("BINKIT_DIBCO_ROOT", str(clean_env / "empty"))
    assert dibco_root() == user


def test_dibco_missing_names_every_place_and_the_fetch_command(clean_env, monkeypatch):
    checkout = clean_env / "project"
    monkeypatch.setattr(locations, "checkout_root", lambda: checkout)
    with pytest.raises(FileNotFoundError) as info:
        load_dibco()
    msg = str(info.value)
    user = clean_env / "home" / ".local" / "share" / "binkit" / "dibco"
    assert "\n" not in msg
    assert f"{checkout / 'data' / 'dibco'} (the checkout's data/dibco)" in msg
    assert f"{user} (the user data folder" in msg and "$BINKIT_DATA_HOME" in msg
    assert "BINKIT_DIBCO_ROOT is not set" in msg
    assert f"`binkit fetch-dibco YEARS --dest {user}`" in msg and "fetch_dibco(years)" in msg

    monkeypatch.setenv("BINKIT_DIBCO_ROOT", str(clean_env / "env"))
    msg = str(pytest.raises(FileNotFoundError, load_dibco).value)
    assert f"{clean_env / 'env'} ($BINKIT_DIBCO_ROOT)" in msg and "is not set" not in msg
    assert f"--dest {clean_env / 'env'}`" in msg  # fetch would write where load_dibco reads first


def test_default_dest(clean_env, monkeypatch):
    assert default_dest() == clean_env / "home" / ".local" / "share" / "binkit" / "dibco"
    monkeypatch.setenv("BINKIT_DATA_HOME", str(clean_env / "dh"))
    assert default_dest() == clean_env / "dh" / "dibco"
    monkeypatch.setenv("BINKIT_DIBCO_ROOT", "~/dibco")
    assert default_dest() == clean_env / "home" / "dibco"


def test_missing_year_says_how_to_fetch_it(clean_env):
    root = _dibco_year(clean_env / "d")
    with pytest.raises(FileNotFoundError, match=r"`binkit fetch-dibco 1999 2001 --dest .*d`"):
        load_dibco(root, years=[1999, 2001])


# -- the synthetic set ----------------------------------------------------------


def test_committed_synthetic_set_is_found_in_the_checkout(monkeypatch):
    monkeypatch.delenv("BINKIT_SYNTHETIC_ROOT", raising=False)
    assert synthetic_root() == locations.checkout_root() / "data" / "synthetic"


def test_synthetic_order_argument_env_checkout_user(clean_env, monkeypatch):
    user = _synthetic_set(clean_env / "home" / ".local" / "share" / "binkit" / "synthetic")
    assert synthetic_root() == user and len(load_synthetic()) == 1
    checkout = clean_env / "project"
    _synthetic_set(checkout / "data" / "synthetic")
    monkeypatch.setattr(locations, "checkout_root", lambda: checkout)
    assert synthetic_root() == checkout / "data" / "synthetic"
    env = _synthetic_set(clean_env / "env")
    monkeypatch.setenv("BINKIT_SYNTHETIC_ROOT", str(env))
    assert synthetic_root() == env
    arg = _synthetic_set(clean_env / "arg")
    assert synthetic_root(arg) == arg and load_synthetic(arg)[0].image_path.parent == arg / "images"


def test_synthetic_missing_names_every_place(clean_env, monkeypatch):
    monkeypatch.setattr(locations, "checkout_root", lambda: clean_env / "project")
    with pytest.raises(FileNotFoundError) as info:
        load_synthetic()
    msg = str(info.value)
    user = clean_env / "home" / ".local" / "share" / "binkit" / "synthetic"
    assert "\n" not in msg
    assert str(clean_env / "project" / "data" / "synthetic") in msg and str(user) in msg
    assert "BINKIT_SYNTHETIC_ROOT is not set" in msg
    assert f"`binkit synthetic --dest {user}`" in msg and "synthetic_page(seed)" in msg
    with pytest.raises(FileNotFoundError, match=r"no synthetic set found; looked in .*there \(the folder given\)"):
        load_synthetic(clean_env / "there")
