"""Size and load time of the HTML inspector for long traces (figures for docs/inspector.md).

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/inspector_load.py [--steps 10000] [--width 3000] [--repeat 3]

Builds a synthetic AP-MDM trace (constant length ``width``; step k unmasks the only mask and
remasks the position 7 further on), writes the page with ``render_inspector``, and, when
chromium, chromedriver and selenium are installed, opens it headless ``repeat`` times and
reports when the page's script is ready (``performance.now()`` at the end of its start-up)
and the wall time of the load. Measures, does not assert.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_inspector_browser import FLAGS, _big_trace  # noqa: E402

from apmdm.machines.inspector import render_inspector  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--width", type=int, default=3_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    threads = {k: os.environ.get(k, "unset") for k in
               ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    print(f"threads: {threads}")
    t0 = time.perf_counter()
    trace = _big_trace(args.steps, args.width)
    t1 = time.perf_counter()
    page = render_inspector(trace)
    t2 = time.perf_counter()
    size = len(page.encode())
    print(f"trace {args.steps} steps x {args.width} positions built in {t1 - t0:.2f} s; "
          f"page {size} bytes ({size / args.steps:.1f} bytes/step) written in {t2 - t1:.2f} s")
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        chromium = None
    if not (chromium and driver_path):
        print("no chromium/chromedriver/selenium: load time not measured")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.html"
        path.write_text(page)
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in (*FLAGS, f"--user-data-dir={tmp}/profile"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
        ready, wall = [], []
        try:
            for _ in range(args.repeat):
                start = time.perf_counter()
                driver.get(path.as_uri())
                WebDriverWait(driver, 60, poll_frequency=0.02).until(
                    lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
                wall.append(time.perf_counter() - start)
                ready.append(float(driver.execute_script(
                    "return Number(document.body.dataset.readyMs)")))
        finally:
            driver.quit()
    print(f"ready after {statistics.median(ready):.0f} ms (median of {args.repeat}; "
          f"min {min(ready):.0f}, max {max(ready):.0f}); load wall time median "
          f"{statistics.median(wall):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
