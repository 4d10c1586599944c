"""ivfcore.warmup.warm_up: every compiled kernel route the app runs gets called (so compiled or
loaded from the disk cache) once. Checked in a fresh process, where nothing else called them."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = """
import json, sys, numba
from ivfcore import adc, lloyd, scan
if sys.argv[1] == "warm":
    from ivfcore.warmup import warm_up
    warm_up()
print(json.dumps(sorted(f"{m.__name__}.{n}" for m in (scan, lloyd, adc) for n, f in vars(m).items()
                        if isinstance(f, numba.core.registry.CPUDispatcher) and f.signatures)))
"""

# the entry points of each route: per-query scan (serial and parallel), one product per list,
# the fused Lloyd pass, the IVF-PQ scan
ROUTES = ("ivfcore.scan._scan_serial", "ivfcore.scan._scan_parallel", "ivfcore.scan.push_block",
          "ivfcore.scan.push_rows", "ivfcore.lloyd._block", "ivfcore.adc._scan")


def _compiled(mode):
    out = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, capture_output=True, text=True,
                         timeout=600, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_warm_up_compiles_the_kernels_of_each_route():
    assert not _compiled("cold") & set(ROUTES)
    assert set(ROUTES) <= _compiled("warm")
