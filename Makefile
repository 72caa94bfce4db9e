# rigbench: the two commands a new user needs are `make run` and `make test`.
# Both create .venv, install torch first and then rigbench with its test tools.
#
#   make run                      probe this machine, run the quick benchmark, check it against the guidelines
#   make test                     the whole test suite
#   make bench                    the speed benchmarks (pytest-benchmark tables)
#   make run TORCH_INDEX=URL      take torch from another index, e.g. a CUDA build (see README)

PYTHON      ?= python3
VENV        ?= .venv
TORCH_SPEC  ?= torch==2.13.0
TORCH_INDEX ?=
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.rigbench-installed

.PHONY: run test bench install clean

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

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pytest tests/benchmarks --benchmark-enable --benchmark-columns=min,median,iqr,max,rounds

clean:
	rm -rf $(VENV) build *.egg-info
