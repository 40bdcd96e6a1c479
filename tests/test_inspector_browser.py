"""The HTML inspector driven in a real headless browser (chromium + chromedriver, selenium).

Needs Debian's ``chromium`` and ``chromium-driver`` and ``pip install 'apmdm[browser]'``.
Without them the tests are skipped, unless the environment variable CI is set: in CI a
missing browser fails the run. Screenshots and timings go to tests/artifacts/ (git-ignored;
APMDM_TEST_ARTIFACTS overrides the directory).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from apmdm.checks.cli import main
from apmdm.checks.state_decoders import decoded_states
from apmdm.machines.inspector import render_inspector
from apmdm.machines.process import Limits, Model, RunCounters, StopReason
from apmdm.machines.tokens import MASK, format_token
from apmdm.machines.trace import Trace, TraceStep, read_trace

HOSTILE = "<img src=x onerror=alert(1)>"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")
ARTIFACTS = Path(os.environ.get("APMDM_TEST_ARTIFACTS",
                                Path(__file__).resolve().parent / "artifacts"))


def _browser_or_skip() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, found in (("chromium", chromium), ("chromedriver", driver))
               if not found]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install 'apmdm[browser]')")
    if missing:
        message = "browser tests need " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: install them)")
        pytest.skip(message)
    return chromium, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, driver_path = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def open_page(driver, path: Path) -> float:
    """Load the page, wait for the script to finish; returns its ready time in ms."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 30, poll_frequency=0.05).until(
        lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    return float(driver.execute_script("return Number(document.body.dataset.readyMs)"))


def goto(driver, k: int) -> None:
    driver.execute_script("const s = document.getElementById('slider'); s.value = arguments[0];"
                          "s.dispatchEvent(new Event('input'));", str(k))
    assert current_step(driver) == k


def current_step(driver) -> int:
    return int(driver.execute_script("return document.body.dataset.step"))


def press(driver, key) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.TAG_NAME, "h1").click()  # focus the page, not the slider
    driver.switch_to.active_element.send_keys(key)


def cell_texts(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#cells span[data-pos]'), e => e.textContent)")


def short(token) -> str:
    t = format_token(token)
    return t if len(t) <= 24 else t[:23] + "…"


def section_cells(driver, title: str, changed: bool = False) -> list[str]:
    cls = "[contains(@class,'chg')]" if changed else ""
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(
        By.XPATH, f"//div[@id='state']/h2[starts-with(., '{title}')]"
                  f"/following-sibling::table[1]//td{cls}")]


def scalar(driver, key: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(
        By.XPATH, f"//div[@id='state']/table[1]//td[.='{key}']/following-sibling::td").text


def record(path: Path, tmp_path: Path, *args: str) -> Path:
    trace = tmp_path / (path.stem + ".jsonl")
    assert main(["trace", *args, "-o", str(trace)]) == 0
    assert main(["show", str(trace), "-o", str(path)]) == 0
    return trace


def test_prefix_sum_commit_at_step_19(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page = tmp_path / "t.html"
    trace_file = record(page, tmp_path, "prefix-sum", "--model", "apmdm", "--n", "8")
    trace = read_trace(trace_file)
    states, _ = decoded_states(trace)
    n = len(trace.steps)
    open_page(browser, page)
    assert current_step(browser) == 0
    # navigation: keys and buttons
    press(browser, Keys.END)
    assert current_step(browser) == n
    press(browser, Keys.HOME)
    assert current_step(browser) == 0
    press(browser, Keys.ARROW_RIGHT)
    press(browser, Keys.ARROW_RIGHT)
    assert current_step(browser) == 2
    press(browser, Keys.ARROW_LEFT)
    assert current_step(browser) == 1
    browser.find_element(By.ID, "next").click()
    assert current_step(browser) == 2
    browser.find_element(By.ID, "prev").click()
    assert current_step(browser) == 1
    assert browser.find_element(By.ID, "stepinfo").text == f"step 1 / {n}"
    # the canvas the page rebuilds from its keyframes and events is the recorded one
    for k in (19, 40, n, 33, 0):
        goto(browser, k)
        assert cell_texts(browser) == [short(t) for t in trace.canvases()[k]], k
    # step 19: the commit; which cells changed, who wrote them
    goto(browser, 19)
    changes = browser.find_element(By.ID, "changes").text
    assert "changed since step 18" in changes
    for a in range(1, 8):
        assert f"memory[{a}]: _ → {states[19]['memory'][a]}" in changes
    assert section_cells(browser, "memory", changed=True) == [
        str(v) for v in states[19]["memory"][1:]]
    headers = [e.text for e in browser.find_elements(
        By.XPATH, "//div[@id='state']/h2[.='writes']/following-sibling::table[1]//th")]
    assert headers == ["addr", "value", "pid", "won"]
    rows = section_cells(browser, "writes")
    assert [(rows[i], rows[i + 2]) for i in range(0, len(rows), 4)] == [
        (str(a), str(a)) for a in range(1, 8)]
    assert scalar(browser, "next") == "advance"
    # named fields of a slot token, with its instruction
    pos = next(i for i, t in enumerate(trace.canvases()[19]) if isinstance(t, tuple)
               and t[1] == 3)
    browser.find_element(By.CSS_SELECTOR, f"#cells span[data-pos='{pos}']").click()
    fields = browser.find_element(By.ID, "fields").text
    slot = trace.canvases()[19][pos]
    assert "kind: slot" in fields
    for name, value in zip(("t", "pid", "pc", "halted", "waddr", "wval"), slot, strict=False):
        assert f"{name} {value}" in fields
    listing = trace.schema["listing"]
    assert f"next instruction (pc {slot[2]}): {listing[slot[2]]}" in fields
    browser.save_screenshot(str(ARTIFACTS / "inspector-prefix-sum-step19.png"))
    # nothing left the page, and the policy is enforced
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').length") == 0
    assert browser.execute_script(
        "return getComputedStyle(document.getElementById('controls')).position") == "sticky"
    probe = browser.execute_async_script("""
        const done = arguments[arguments.length - 1], seen = [];
        document.addEventListener('securitypolicyviolation', e => seen.push(e.blockedURI));
        fetch('http://127.0.0.1:9/leak').then(() => done(['fetched', seen]),
            () => setTimeout(() => done(['blocked', seen]), 200));""")
    assert probe[0] == "blocked" and any("127.0.0.1" in u for u in probe[1])


def test_tm_tape_head_state(browser, tmp_path):
    page = tmp_path / "tm.html"
    trace = read_trace(record(page, tmp_path, "tm-palindromes", "--model", "apmdm", "--n", "5"))
    states, _ = decoded_states(trace)
    open_page(browser, page)
    for k in (0, 7, len(trace.steps)):
        goto(browser, k)
        s = states[k]
        assert scalar(browser, "state") == s["state"]
        assert scalar(browser, "head") == str(s["head"])
        assert section_cells(browser, "tape") == s["tape"]
    goto(browser, 7)
    browser.save_screenshot(str(ARTIFACTS / "inspector-tm.png"))


def test_sudoku_grid(browser, tmp_path):
    page = tmp_path / "sudoku.html"
    trace = read_trace(record(page, tmp_path, "task-sudoku", "--model", "ap-mdm", "--n", "4"))
    states, _ = decoded_states(trace)
    open_page(browser, page)
    for k in (0, 6, len(trace.steps)):
        goto(browser, k)
        want = ["_" if v is None else str(v) for row in states[k]["grid"] for v in row]
        assert section_cells(browser, "grid") == want
    goto(browser, 6)
    changed = section_cells(browser, "grid", changed=True)
    assert changed and all(c != "_" for c in changed)
    browser.save_screenshot(str(ARTIFACTS / "inspector-sudoku.png"))


def test_hostile_token_is_text_and_runs_nothing(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    page = tmp_path / "hostile.html"
    page.write_text(render_inspector(_hostile_trace()))
    open_page(browser, page)
    goto(browser, 1)
    assert HOSTILE in browser.find_element(By.TAG_NAME, "h1").text
    assert HOSTILE in browser.find_element(By.ID, "summary").text
    assert cell_texts(browser)[1] == short(HOSTILE)
    browser.find_element(By.CSS_SELECTOR, "#cells span[data-pos='1']").click()
    assert f"token: {HOSTILE}" in browser.find_element(By.ID, "fields").text
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').length") == 0
    browser.save_screenshot(str(ARTIFACTS / "inspector-hostile.png"))


def test_ten_thousand_steps_open_in_a_few_seconds(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    trace = _big_trace()
    page = tmp_path / "big.html"
    started = time.perf_counter()
    page.write_text(render_inspector(trace))
    written = time.perf_counter() - started
    started = time.perf_counter()
    ready_ms = open_page(browser, page)
    wall = time.perf_counter() - started
    press(browser, Keys.END)
    assert current_step(browser) == 10_000
    shown = cell_texts(browser)
    assert len(shown) == 1000 and shown == [short(t) for t in trace.final[:1000]]
    goto(browser, 5_000)
    assert cell_texts(browser) == [short(t) for t in trace.steps[4_999].canvas[:1000]]
    size = page.stat().st_size
    (ARTIFACTS / "inspector-10000-steps.txt").write_text(
        f"10000 steps x 3000 positions: page {size} bytes ({size / 10_000:.1f} bytes/step), "
        f"written in {written:.2f} s, ready after {ready_ms:.0f} ms (performance.now), "
        f"load wall time {wall:.2f} s\n")
    browser.save_screenshot(str(ARTIFACTS / "inspector-10000-steps.png"))
    assert wall < 10 and ready_ms < 5_000, (wall, ready_ms)


def _hostile_trace() -> Trace:
    """Recorded by record_trace: an AP-MDM that writes a hostile string token."""
    from apmdm.machines.process import GenerationProcess, StepOutput
    from apmdm.machines.trace import record_trace

    def f(canvas):
        return StepOutput({1: HOSTILE}) if canvas[1] is MASK else StepOutput({})
    proc = GenerationProcess(Model.APMDM, f, name="x")
    return record_trace(proc, ("a", MASK), Limits(4, 4), HOSTILE, {"n": HOSTILE}, {"size": 2})


def _big_trace(steps: int = 10_000, width: int = 3_000) -> Trace:
    """AP-MDM of constant length: step k unmasks the mask at p (token k) and remasks p + 7
    (built directly; recording it through the process would take seconds)."""
    canvas = list(range(width - 1)) + [MASK]
    initial = tuple(canvas)
    out = []
    p = width - 1
    for k in range(1, steps + 1):
        q = (p + 7) % width
        canvas[p], canvas[q] = k, MASK
        out.append(TraceStep(k, tuple(canvas), (p,), (q,), (), ()))
        p = q
    counters = RunCounters(steps, width, width, width, steps, steps, 0, 0)
    return Trace(Model.APMDM, "synthetic", {"n": width}, {"size": 0}, None,
                 Limits(steps, width), initial, tuple(out), StopReason.STEP_LIMIT, None,
                 counters)


def test_big_trace_is_a_valid_run():
    """The synthetic trace above is what g does (checked on its first steps)."""
    from apmdm.machines.trace import replay_step

    t = _big_trace(steps=50, width=40)
    before = t.initial
    for s in t.steps:
        replay_step(t.model, before, s)
        before = s.canvas
