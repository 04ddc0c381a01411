# binkit — two commands on a fresh machine:
#   make lab    set up .venv and open JupyterLab on the course
#   make test   set up .venv and run the whole suite (the package's doctests, unit tests, notebooks in quick mode)
#
# Variables (override on the command line, e.g. `make lab HEADLESS=1 IP=0.0.0.0 PORT=8890`):
PYTHON   ?= python3
VENV     ?= .venv
HEADLESS ?= 0
IP       ?= 127.0.0.1
PORT     ?= 8888
PYTEST_ARGS ?=

PY    := $(VENV)/bin/python
STAMP := $(VENV)/.binkit-installed

# Jupyter refuses to run as root unless told; containers and cloud shells often are root.
LAB_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

ifeq ($(HEADLESS),1)
LAB_FLAGS := --no-browser --ip=$(IP) --port=$(PORT)
else
LAB_FLAGS := --ip=$(IP) --port=$(PORT)
endif

.PHONY: setup lab test test-unit test-notebooks test-notebooks-nodata test-browser editions notebook-times data clean-venv help

help:
	@echo "make lab    - set up .venv and open JupyterLab on the repository root, at notebooks/00_start_here.ipynb"
	@echo "              (so the notebooks' links to ../docs/*.md open; headless: make lab HEADLESS=1 IP=0.0.0.0 PORT=8888)"
	@echo "make test   - set up .venv and run the doctests, unit tests and every notebook under nbval (quick mode)"
	@echo "make test-notebooks-nodata - every notebook (quick mode) with no DIBCO data: the synthetic fallback"
	@echo "make test-browser - install chromium (apt) and playwright, then run JupyterLab widgets in headless Chromium"
	@echo "make editions - write student/ (exercise stubs) and teacher/ (solutions) editions of the notebooks"
	@echo "make notebook-times - run every notebook in full mode (idle machine, 20+ min) and write the run-time"
	@echo "              table into notebooks/TEACHING.md (python -m binkit.course --time: quick-mode times, printed only)"
	@echo "make data   - regenerate the committed synthetic pages in data/synthetic and the hard pages"
	@echo "              (borders, gutter, facing page, corner, ruler/card, lower resolution) in data/synthetic_hard"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-installs only when the project's dependency list or the torch step changes,
# so a second `make test` / `make lab` starts at once.
$(STAMP): pyproject.toml tools/install_torch.sh | $(PY)
	sh tools/install_torch.sh $(PY)
	$(PY) -m pip install --quiet -e ".[notebooks,test]"
	$(PY) -m ipykernel install --sys-prefix --name binkit --display-name "Python (binkit)" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

# The server's root is the repository (not notebooks/, which a notebook given alone would make it),
# so the notebooks' links to ../docs/*.md resolve; the browser opens the first notebook.
lab: setup
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) $(LAB_ROOT) --ServerApp.root_dir=. notebooks/00_start_here.ipynb

test: setup
	MPLBACKEND=Agg $(PY) -m pytest -q -p no:cacheprovider --doctest-modules binkit
	BINKIT_QUICK=1 MPLBACKEND=Agg $(PY) -m pytest --nbval-lax --nbval-current-env -m "not browser" tests notebooks $(PYTEST_ARGS)

test-unit: setup
	BINKIT_QUICK=1 MPLBACKEND=Agg $(PY) -m pytest tests $(PYTEST_ARGS)

test-notebooks: setup
	BINKIT_QUICK=1 MPLBACKEND=Agg $(PY) -m pytest --nbval-lax --nbval-current-env notebooks $(PYTEST_ARGS)

# As a student without the DIBCO data: BINKIT_DIBCO_ROOT and BINKIT_REFERENCE_DIR unset, an
# empty HOME and user data folder; refuses to run if binkit still finds DIBCO data.
test-notebooks-nodata: setup
	sh tools/test_notebooks_nodata.sh $(PY) $(PYTEST_ARGS)

# A real browser: JupyterLab in Debian's headless chromium, driven by Playwright.
# Installs /usr/bin/chromium (apt) and playwright (pip) when missing; never downloads a browser.
test-browser: setup
	sh tools/install_browser.sh $(PY)
	BINKIT_QUICK=1 BINKIT_REQUIRE_BROWSER=1 $(PY) -m pytest -m browser tests/browser -v $(PYTEST_ARGS)

editions: setup
	$(PY) -m binkit.course --src notebooks --student student --teacher teacher

# The course as nbgrader grades it, over every notebook: generate_assignment, then autograde of the teacher
# edition (full marks) and of the untouched student release (zero), on a SQLite gradebook in a temporary folder;
# and the student edition of every notebook run top to bottom (each check says "not done yet"). CI runs the
# round trip on two notebooks only (tests/test_nbgrader.py).
.PHONY: test-course
test-course: setup
	BINKIT_QUICK=1 MPLBACKEND=Agg BINKIT_COURSE_ALL=1 $(PY) -m pytest tests/test_nbgrader.py tests/test_course.py $(PYTEST_ARGS)

# The guide's run-time table: every notebook, full mode, in a fresh kernel each; written between the
# notebook-times markers of notebooks/TEACHING.md only when every notebook ran to the end.
notebook-times: setup
	$(PY) -m binkit.course_guide --src notebooks --full --write-guide notebooks/TEACHING.md

data: setup
	$(PY) -m binkit synthetic --dest data/synthetic
	$(PY) -m binkit synthetic --hard --dest data/synthetic_hard

clean-venv:
	rm -rf $(VENV)
