# rigbench: the two commands a new user needs are `make run` and `make test`.
# Both create .venv, install torch first and then rigbench with its test tools.
#
#   make run                      probe this machine, run the quick benchmark, check it against the guidelines
#   make test                     the whole test suite
#   make bench                    the speed benchmarks (pytest-benchmark tables)
#   make run TORCH_INDEX=URL      take torch from another index, e.g. a CUDA build (see README)
#   make gpu-check                prove every GPU path on this machine's NVIDIA card (docs/gpu-check.md);
#                                 uses the machine's own python3 (torch with CUDA), no .venv, nothing fetched
#   make gpu-check DRY=1          the same steps and checks with recorded outputs, on any machine

PYTHON      ?= python3
VENV        ?= .venv
TORCH_SPEC  ?= torch==2.13.0
TORCH_INDEX ?=
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.rigbench-installed

.PHONY: run test bench install clean gpu-check browser

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# torch goes in first and on its own: a plain `torch` requirement would resolve to the newest
	@# multi-GB CUDA build; an already installed torch (CPU or CUDA) is kept as it is.
	$(BIN)/python -c "import torch" 2>/dev/null || \
	  $(BIN)/python -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/rigbench probe
	$(BIN)/rigbench bench --quick
	$(BIN)/rigbench recommend

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The report's tests open it in a real headless browser: Debian's chromium (installed as root, e.g. in CI).
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null); } || \
	  echo "chromium is not installed (apt-get install chromium as root): the report's browser tests will skip"

bench: $(STAMP)
	$(BIN)/python -m pytest tests/benchmarks --benchmark-enable --benchmark-columns=min,median,iqr,max,rounds

# The GPU machine's python3 already holds torch with CUDA: rigbench goes in beside it, without its dependencies
# and from this folder only (--no-index: nothing fetched). If that install is refused, gpu_check.py assembles the
# package in a temporary folder (setup.cfg's package_dir mapping) and runs from there.
GPU_PYTHON ?= python3

gpu-check:
ifndef DRY
	-$(GPU_PYTHON) -m pip install --quiet --no-deps --no-index --no-build-isolation -e .
endif
	$(GPU_PYTHON) tests/benchmarks/gpu_check.py $(if $(DRY),--dry-run) $(GPU_CHECK_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
