# Quick start: `make demo` (install + run the bundled example), `make test` (install + every test).
# Python packages go into .venv; Debian packages (cross toolchain, qemu, yosys, clang) are installed
# with apt-get when run as root and missing.

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
DSGEN   := $(VENV)/bin/dsgen
STAMP   := $(VENV)/.dsgen-installed
JOBS    ?= 2
DEBS    := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm yosys clang chromium iverilog
DEMO    ?= demo_out
# Xilinx's open ap_types headers (from the hls4ml wheel on PyPI, unpacked, not installed): the HLS
# C simulation is built a second time against them.
AP_TYPES := $(VENV)/share/dsgen/ap_types

.PHONY: demo test install sysdeps vendor lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[all]"
	touch $(STAMP)

vendor: $(AP_TYPES)/ap_int.h

$(AP_TYPES)/ap_int.h: $(STAMP)
	$(PY) -m dsgen.backends.hls.vendor $(AP_TYPES)

sysdeps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "warning: missing Debian packages:$$missing (tests that need them will skip)"; \
	fi

demo: $(STAMP) sysdeps
	@mkdir -p $(DEMO)
	$(DSGEN) zoo ds_cnn_kws -o $(DEMO)/ds_cnn_kws.onnx
	$(DSGEN) report $(DEMO)/ds_cnn_kws.onnx
	$(DSGEN) compile $(DEMO)/ds_cnn_kws.onnx --target c -o $(DEMO)/c
	$(MAKE) -s -C $(DEMO)/c host
	$(DSGEN) compile $(DEMO)/ds_cnn_kws.onnx --target hls --multipliers 64 -o $(DEMO)/hls
	$(DSGEN) compile $(DEMO)/ds_cnn_kws.onnx --target rtl --multipliers 64 -o $(DEMO)/rtl
	$(DSGEN) report $(DEMO)/ds_cnn_kws.onnx --html $(DEMO)/report.html --multipliers 64 \
		--samples 2 --verify float,int,c,mcu,hls,rtl
	@echo
	@echo "demo outputs in $(DEMO)/:"
	@echo "  ds_cnn_kws.onnx   the example model (dsgen zoo)"
	@echo "  c/                C for microcontrollers: make -C $(DEMO)/c host | cortex-m4"
	@echo "  hls/              Vitis HLS project: cd $(DEMO)/hls && vitis_hls -f run_hls.tcl"
	@echo "  rtl/              Verilog + cocotb bench + yosys script"
	@echo "  report.html       the report, with every target verified (float, int, C, Cortex-M4, HLS, RTL)"

test: $(STAMP) vendor sysdeps
	$(PY) -m pytest -n $(JOBS) -q -rs -p no:cacheprovider --durations=25

lint: $(STAMP)
	$(VENV)/bin/ruff check dsgen tests bench sim
	$(VENV)/bin/ruff format --check dsgen tests bench sim

clean:
	rm -rf $(DEMO) build dist .dsgen_cache
