"""`rigbench report`: the page is written, self-contained, and renders in a real headless Chromium: every section
and every image, on a desktop-wide and a phone-wide window, and printed to PDF."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, assert_user_error, run_cli
from rigbench import catalog, cost, html_report, model, plots
from rigbench import runs
from rigbench.prices import cloud as prices
from rigbench.units import fmt_num
from rigbench.comparison import build_comparison
from rigbench.errors import UserError
from rigbench.probe import probe
from test_results_cli import craft_run, killed_run

SECTIONS = ["machine", "figures", "reference", "predictions", "guidelines", "cost"]
SHIPPED = [p.name for p in (REPO / "results" / "reference").glob("*.json")]     # the reference runs of the repository
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (`make test` "
                                                              "installs it: apt-get install chromium)")

# Run after the page's load event: what rendered, written into the DOM that --dump-dom prints.
PROBE_SCRIPT = """<script>
window.addEventListener('load', () => {
  const out = {
    images: [...document.images].map(i => [i.alt, i.naturalWidth, i.naturalHeight, i.getBoundingClientRect().width]),
    sections: [...document.querySelectorAll('section')].map(s => [s.id, s.getBoundingClientRect().height,
                                                                  s.querySelector('h2') ? s.querySelector('h2').textContent : '']),
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  };
  const pre = document.createElement('pre'); pre.id = 'rendered'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)   # a hang guard, not a speed check


def _rendered(page: Path, width: int, profile: Path) -> dict:
    probe_page = page.with_name(f"probe-{width}.html")
    probe_page.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE_SCRIPT + "</body>"),
                          encoding="utf-8")
    r = _chromium(f"--window-size={width},2000", "--virtual-time-budget=5000", "--dump-dom",
                  probe_page.as_uri(), profile=profile)
    m = re.search(r'<pre id="rendered">(.*?)</pre>', r.stdout, re.S)
    assert m, (r.returncode, r.stderr[-2000:])
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """A report of a run (this machine's real probe, crafted figures) against a crafted reference run."""
    root = tmp_path_factory.mktemp("report")
    this = craft_run(root / "results" / "here-20260201T000000Z.json", "2026-02-01T00:00:00Z")
    doc = json.loads(this.read_text())
    doc["probe"] = probe()
    doc["peaks"] = {"cpu": {"flops:float32": {"value": 0.25, "source": "crafted peak for the test"},
                            "mem_bw": {"value": 40.0, "source": "crafted"}}}
    for m in doc["measurements"]:
        if m["status"] == "ok":
            m["peak"] = 0.25 if m["kernel"] == "gemm" else None
            m["fraction_of_peak"] = m["value"] / 0.25 if m["kernel"] == "gemm" else None
    this.write_text(json.dumps(doc))
    craft_run(root / "results" / "reference" / "old-box-20250101T000000Z.json", "2025-01-01T00:00:00Z",
              gemm_s=0.012, host="old-box")
    # a module-wide fixture runs before the per-test data folder is set: give the command its own here
    r = run_cli("report", "here", "--out", str(root / "report.html"), "--json", cwd=root,
                env={"XDG_DATA_HOME": str(root / "xdg-data")})
    assert r.code == 0, r.stderr
    out = r.json()
    assert out["sections"] == SECTIONS
    # the crafted reference run, and the ones shipped with rigbench (found from any folder)
    assert sorted(Path(p).name for p in out["compared_with"]) == sorted(["old-box-20250101T000000Z.json", *SHIPPED])
    return root / "report.html"


def test_page_is_self_contained(page):
    text = page.read_text(encoding="utf-8")
    # nothing is fetched: no remote src/href, no @import or url() in the CSS, no script
    assert not re.search(r'(src|href)="(?!data:|#)', text)
    assert "url(" not in text and "@import" not in text and "<script" not in text
    assert text.count('src="data:image/png;base64,') == 4
    for section in SECTIONS:
        assert f'<section id="{section}"' in text


def test_page_holds_the_numbers_of_the_run(page):
    text = page.read_text(encoding="utf-8")
    gemm = 2 * 1024 ** 3 / 0.01 / 1e12
    assert f"{gemm:.3f} TFLOP/s" in text                      # the figure
    assert f"{gemm / 0.25:.0%}" in text                       # its fraction of the (crafted) peak
    assert "old-box-20250101T000000Z.json" in text and '<td class="ok">faster</td>' in text  # ref: 1.2x slower
    assert "Break-even" in text and "h/month" in text
    for profile in ("laptop", "desktop", "cloud"):
        assert f"<td>{profile}</td>" in text


@needs_chromium
def test_every_section_and_image_renders_in_chromium(page, tmp_path):
    wide = _rendered(page, 1200, tmp_path / "profile-wide")
    ids = [s[0] for s in wide["sections"]]
    assert ids == SECTIONS
    assert all(height > 50 and title for _, height, title in wide["sections"]), wide["sections"]
    assert len(wide["images"]) == 4
    for alt, w, h, shown in wide["images"]:
        assert w > 0 and h > 0 and shown > 0, alt
    # a phone-wide window: images shrink to fit and nothing makes the page scroll sideways
    phone = _rendered(page, 400, tmp_path / "profile-phone")
    assert phone["scrollWidth"] <= phone["innerWidth"], phone
    for alt, w, h, shown in phone["images"]:
        assert 0 < shown <= phone["innerWidth"], alt


@needs_chromium
def test_screenshot_and_print(page, tmp_path):
    shot = tmp_path / "shot.png"
    _chromium("--window-size=1000,1400", f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "p1")
    assert html_report.png_size(shot.read_bytes()) == (1000, 1400)
    pdf = tmp_path / "page.pdf"
    _chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri(), profile=tmp_path / "p2")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    # print CSS starts each section on a new page: at least one page per section
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) >= len(SECTIONS)


def test_bad_output_paths_are_one_line_errors(tmp_path):
    craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    assert_user_error(run_cli("report", "--out", str(tmp_path), cwd=tmp_path), "is a folder")
    assert_user_error(run_cli("report", "--out", str(tmp_path / "no" / "r.html"), cwd=tmp_path), "does not exist")
    assert_user_error(run_cli("report", "nothing", cwd=tmp_path), "no run matches")
    assert_user_error(run_cli("report", "--months", "0", cwd=tmp_path), "above 0")
    # one run by a prefix and by its path: a page of it "against 0 other runs" said nothing of the mistake
    assert_user_error(run_cli("report", "a-2026", "results/a-20260101T000000Z.json", cwd=tmp_path),
                      "the same run is given twice")
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("out, hint", [(".html", "report.html"), ("sub/.HTM", "sub/report.HTM")])
def test_an_out_path_with_no_name_before_html_says_so(tmp_path, out, hint):
    # '.html' ends in .html, yet the refusal asked for "a name ending in .html": the name before it is missing
    craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    (tmp_path / "sub").mkdir()
    r = run_cli("report", "--out", out, cwd=tmp_path)
    assert_user_error(r, f"--out {out!r}: no name before {out.rsplit('/', 1)[-1]}; give a name such as {hint}")
    assert "ending in" not in r.stderr and not (tmp_path / out).exists()


def test_an_out_path_written_as_a_folder_is_refused_before_any_work(tmp_path):
    # 'x.html/' was written as the file x.html
    craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    assert_user_error(run_cli("report", "--out", "x.html/", cwd=tmp_path), "--out x.html/ names a folder",
                      "give a file name")
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("args, fragment", [
    (("--gpus", "rtx-3090,no-such-card"), "unknown GPU 'no-such-card'"),
    (("--gpus", ","), "--gpus ',' names no card"),
    (("--buy", "no-such-card"), "unknown GPU 'no-such-card'"),
    (("--rent", "aws:no-such-instance"), "unknown instance"),
])
def test_unknown_cards_and_instances_are_refused_and_the_page_kept(tmp_path, args, fragment):
    craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    (tmp_path / "report.html").write_text("an earlier page")
    assert_user_error(run_cli("report", *args, cwd=tmp_path), fragment)
    assert (tmp_path / "report.html").read_text() == "an earlier page"


def test_an_unreadable_reference_run_is_named_not_passed_over_in_silence(tmp_path):
    craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    craft_run(tmp_path / "results" / "reference" / "good-20250101T000000Z.json", "2025-01-01T00:00:00Z", host="good")
    (tmp_path / "results" / "reference" / "broken-20250102T000000Z.json").write_text('{"schema": "rigbench.res')
    r = run_cli("report", "a", "--out", str(tmp_path / "r.html"), "--json", cwd=tmp_path,
                env={"XDG_DATA_HOME": str(tmp_path / "xdg-data")})
    assert r.code == 0, r.stderr
    assert "reference run broken-20250102T000000Z.json left out of the report:" in r.stderr
    out = r.json()
    assert sorted(Path(p).name for p in out["compared_with"]) == sorted(["good-20250101T000000Z.json", *SHIPPED])
    assert [Path(s["path"]).name for s in out["passed_over"]] == ["broken-20250102T000000Z.json"]


def test_the_default_run_is_the_newest_with_a_measurement(tmp_path):
    # a run killed outright before its first measurement was taken as `latest`: a page of no figure
    craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    killed_run(tmp_path / "results" / "killed-20260105T000000Z.json", "2026-01-05T00:00:00Z")
    r = run_cli("report", "--out", str(tmp_path / "r.html"), "--json", cwd=tmp_path,
                env={"XDG_DATA_HOME": str(tmp_path / "xdg-data")})
    assert r.code == 0, r.stderr
    assert Path(r.json()["run"]).name == "a-20260101T000000Z.json"
    assert r.stderr.splitlines() == [
        "rigbench: note: latest is a-20260101T000000Z.json, the newest run with a measurement; passed over "
        "killed-20260105T000000Z.json (it holds no measurement: the run stopped before its first)"]


def test_reference_runs_of_the_repository_are_readable():
    """Every committed reference run loads and renders its figures section (the report and diff use them)."""
    refs = sorted((REPO / "results" / "reference").glob("*.json"))
    if not refs:
        pytest.skip("results/reference/ holds no run yet")
    for path in refs:
        run = runs.load_run(path, "reference")
        assert (run.doc.get("probe") or {}).get("cpu"), f"{path.name} has no probe"
        section = html_report.figures_section(run)
        assert any("<table" in b for b in section.body)


def _reference_copy(path: Path, change) -> Path:
    doc = json.loads(sorted((REPO / "results" / "reference").glob("vm-*.json"))[0].read_text())   # a 2-core VM's
    change(doc)
    path.write_text(json.dumps(doc))
    return path


def _gemm(doc: dict) -> dict:
    return next(m for m in doc["measurements"] if (m["kernel"], m["dtype"], m["label"]) == ("gemm", "float32", "2048³"))


def test_odd_text_in_a_run_is_escaped_on_the_page_and_in_its_charts_without_warnings(tmp_path):
    # matplotlib warned on stderr of the glyphs of ESC and CR, with the raw ESC, and a 100,000-character label left
    # tight_layout no room; the page held the raw ESC
    def change(doc):
        _gemm(doc)["kernel"] = "gemm\x1b[2J\r\u202e"
        next(m for m in doc["measurements"] if m["kernel"] == "conv2d")["label"] = "x" * 100_000

    run = _reference_copy(tmp_path / "odd.json", change)
    r = run_cli("report", str(run), "--out", str(tmp_path / "odd.html"), cwd=tmp_path,
                env={"XDG_DATA_HOME": str(tmp_path / "xdg-data")})
    assert r.code == 0, r.stderr
    assert r.stderr == ""
    text = (tmp_path / "odd.html").read_text(encoding="utf-8")
    assert not any(ch in text for ch in "\x1b\r\u202e")
    assert "gemm\\x1b[2J\\x0d\\u202e" in text
    assert "x" * 100_000 in text                                   # whole in the page's table


def test_chart_text_is_literal_and_a_long_label_is_shortened():
    from rigbench import plots

    assert plots._text("gemm\x1b[2J") == "gemm\\x1b[2J"
    assert plots._text("x" * 100_000) == "x" * (plots.MAX_LABEL - 1) + "\u2026"
    assert plots._text("y" * plots.MAX_LABEL) == "y" * plots.MAX_LABEL


def test_a_chart_whose_labels_leave_no_room_is_drawn_without_a_warning():
    import warnings

    from rigbench import plots

    fig, ax = plots.pyplot().subplots(figsize=(8, 2))
    ax.barh([0], [1.0])
    ax.set_yticks([0], ["z" * 400])                       # wider than the figure: tight_layout cannot apply
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = plots._png(fig)
    assert png.startswith(b"\x89PNG")


def test_the_machine_table_names_the_cache_level_and_a_missing_driver(tmp_path):
    # it said "16.0 MiB (3)" where probe says (L3), and "driver None" for a GPU whose driver was not reported
    def change(doc):
        doc["probe"]["cpu"].update(llc_bytes=16 * 2 ** 20, llc_level=3)
        doc["probe"]["gpus"] = [{"index": 0, "name": "NVIDIA GeForce RTX 4090", "memory_total_bytes": 24 * 2 ** 30}]

    run = runs.load_run(_reference_copy(tmp_path / "gpu.json", change), "yours")
    body = "".join(html_report.machine_section(run).body)
    assert "<td>16.0 MiB (L3)</td>" in body
    assert "<td>NVIDIA GeForce RTX 4090, 24.0 GiB, driver not reported</td>" in body and "None" not in body


def test_a_run_without_a_probe_says_so_and_shows_no_none(tmp_path):
    # "cores None usable / None physical / None logical" and "NVIDIA GPUs none: none found" for a file with no probe
    path = _reference_copy(tmp_path / "noprobe.json", lambda doc: doc.pop("probe"))
    r = run_cli("report", str(path), "--out", str(tmp_path / "x.html"), cwd=tmp_path,
                env={"XDG_DATA_HOME": str(tmp_path / "xdg-data")})
    assert r.code == 0, r.stderr
    page = (tmp_path / "x.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)))
    assert "None" not in text
    assert "Not known: the file holds no probe of the machine" in text
    assert "none found" not in text and "usable /" not in text
    assert "desktop.gpu unknown - >= rtx-2070 the file holds no probe of the machine" in " ".join(text.split())
    # a probe that leaves a core count out shows it as "-"
    run = runs.load_run(_reference_copy(tmp_path / "cores.json", lambda doc: doc["probe"]["cpu"].update(
        physical_cores=None)), "yours")
    body = "".join(html_report.machine_section(run).body)
    assert "<td>2 usable / - physical / 2 logical</td>" in body and "None" not in body


def test_a_run_without_a_host_is_shown_as_every_command_shows_it(tmp_path):
    # the page showed "-" where `results show` says "unknown host"
    run = runs.load_run(_reference_copy(tmp_path / "nohost.json", lambda doc: doc.pop("host")), "yours")
    body = "".join(html_report.machine_section(run).body)
    assert '<td>host</td><td class="muted">unknown host</td>' in body


def test_a_newline_in_the_out_path_stays_on_the_line(tmp_path):
    run = craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    r = run_cli("report", str(run), "--out", "a\nb.html", cwd=tmp_path,
                env={"XDG_DATA_HOME": str(tmp_path / "xdg-data")})
    assert r.code == 0, r.stderr
    assert (tmp_path / "a\nb.html").is_file()
    assert r.stdout.splitlines() == [f"report: a\\nb.html (a-20260101T000000Z.json against {len(SHIPPED)} other "
                                     f"run{'s' if len(SHIPPED) != 1 else ''})"]


@pytest.mark.parametrize("value", [10.0, 1e6, 1e20])
def test_the_fraction_of_peak_plot_holds_any_value(value, recwarn):
    # a recorded fraction beyond its interval over the peak was drawn past the axis's end: at 1e6 matplotlib failed
    # to rasterise the label (RuntimeError), at 10 (the most a file may hold) the layout gave up with a warning
    png = plots.fraction_of_peak([plots.Bar("gemm", value, 0.60, 0.64, valid=False), plots.Bar("conv", 0.5, 0.4, 0.6)],
                                 "t")
    assert png.startswith(b"\x89PNG")
    assert not [w for w in recwarn if "Tight layout not applied" in str(w.message)]


def test_the_throughput_plot_labels_bars_with_the_tables_digits(monkeypatch):
    # a 1,301 images/s bar was labelled '1.3e+03' (format ',.3g'), beside a table saying 1,301
    import matplotlib.axes

    said: list[str] = []
    real = matplotlib.axes.Axes.text
    monkeypatch.setattr(matplotlib.axes.Axes, "text",
                        lambda self, x, y, s, *a, **k: said.append(s.strip()) or real(self, x, y, s, *a, **k))
    png = plots.throughput([plots.Bar("rtx-4090", 1301.0, 1200.0, 1400.0, group="amp"),
                            plots.Bar("gtx-1080-ti", 105.3, 95.0, 115.0, group="amp")], "t", "images/s")
    assert png.startswith(b"\x89PNG") and said == ["1,301", "105"]


def test_a_page_the_user_did_not_name_never_replaces_a_file_already_there(tmp_path):
    # without --out, the user's own ./report.html was replaced by the page
    run = craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    (tmp_path / "report.html").write_text("my own page")
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    r = run_cli("report", str(run), cwd=tmp_path, env=env)
    assert r.code == 0, r.stderr
    assert (tmp_path / "report.html").read_text() == "my own page"
    assert "<section" in (tmp_path / "report-2.html").read_text(encoding="utf-8")
    assert r.stdout.startswith("report: report-2.html (a-20260101T000000Z.json against ")
    # a name the user gives replaces an earlier report there, and only that: their own page is refused
    r = run_cli("report", str(run), "--out", "report-2.html", cwd=tmp_path, env=env)
    assert r.code == 0, r.stderr
    assert "<section" in (tmp_path / "report-2.html").read_text(encoding="utf-8")
    assert_user_error(run_cli("report", str(run), "--out", "report.html", cwd=tmp_path, env=env),
                      "--out report.html exists and is not a rigbench report")
    assert (tmp_path / "report.html").read_text() == "my own page"
    assert not (tmp_path / "report-3.html").exists()



def test_out_replaces_an_earlier_report_and_nothing_else(tmp_path):
    # `report RUN --out run.html`, run.html a copy of the run: the results were replaced by the page in silence
    run = craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    r = run_cli("report", str(run), "--out", "page.html", cwd=tmp_path, env=env)
    assert r.code == 0, r.stderr
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert re.search(r'<meta name="generator" content="rigbench [^"]+">', page)
    # an earlier report is replaced, the page of this version and one marked only by its title (written before the
    # generator mark)
    old_page = re.sub(r'<meta name="generator"[^>]*>', "", page).replace("</main>", "<p>old</p></main>")
    for earlier in (page.replace("</main>", "<p>old</p></main>"), old_page):
        (tmp_path / "page.html").write_text(earlier, encoding="utf-8")
        r = run_cli("report", str(run), "--out", "page.html", cwd=tmp_path, env=env)
        assert r.code == 0, r.stderr
        assert "<p>old</p>" not in (tmp_path / "page.html").read_text(encoding="utf-8")
    # a run, notes, another program's page: refused before any work, and left as they were
    other_page = "<!DOCTYPE html>\n<html><head><title>my notes</title></head><body>rigbench report: </body></html>"
    for name, text in (("run.html", run.read_text()), ("notes.html", "my notes"), ("mine.html", other_page),
                       ("empty.html", "")):
        (tmp_path / name).write_text(text)
        r = run_cli("report", str(run), "--out", name, cwd=tmp_path, env=env)
        assert_user_error(r, f"--out {name} exists and is not a rigbench report (not an HTML page with rigbench's "
                             "generator mark); it is left as it is: give another name, or move it away")
        assert (tmp_path / name).read_text() == text
    assert not list(tmp_path.glob(".*.tmp")) and not (tmp_path / "report.html").exists()
    # the library's write checks again: the name may be taken while the page is made
    with pytest.raises(UserError, match="is not a rigbench report"):
        html_report.write(tmp_path / "run.html", page)
    assert (tmp_path / "run.html").read_text() == run.read_text()


def test_only_the_pages_own_head_says_rigbench_wrote_it(tmp_path):
    # a blog post that quotes the mark in its text was replaced by a report: the mark counted anywhere in 4 KiB
    quote = '<meta name="generator" content="rigbench 0.1.0">'
    blog = ('<!doctype html><html><head><meta name="generator" content="Hugo 0.1"><title>How I use rigbench</title>'
            f'</head><body><pre>{html.escape(quote)}</pre><p>The report starts with <code>{quote}</code></p></body>'
            '</html>')
    titled = ('<!doctype html><html><head><meta name="generator" content="Hugo 0.1"><title>rigbench report: my '
              'notes</title></head><body></body></html>')
    no_head_mark = f'<!doctype html><html><head><title>notes</title></head><body>{quote}</body></html>'
    commented = f'<!doctype html><html><head><!-- {quote} --><title>notes</title></head><body></body></html>'
    for page in (blog, titled, no_head_mark, commented):
        (tmp_path / "page.html").write_text(page, encoding="utf-8")
        with pytest.raises(UserError, match="not an HTML page with rigbench's generator mark"):
            html_report.refuse_replacing_other_than_a_report(tmp_path / "page.html")
        assert (tmp_path / "page.html").read_text(encoding="utf-8") == page
    # rigbench's own marks, in the head: the generator (any version), or the title of a page written before it
    ours = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="generator" content="rigbench '
            '0.3.0"><title>rigbench report: vm, 2026-12-04</title></head><body></body></html>',
            '<!doctype html><html><head><title>rigbench report: vm, 2026-12-01</title></head><body></body></html>')
    for page in ours:
        (tmp_path / "page.html").write_text(page, encoding="utf-8")
        html_report.refuse_replacing_other_than_a_report(tmp_path / "page.html")     # an earlier report: no error


def test_out_naming_a_large_file_is_told_by_its_head_without_reading_it_all(tmp_path, monkeypatch):
    # the check read the whole file to look at its first 4 KiB: a video named as --out was read to the end (or,
    # past 64 MiB, refused for its size, whatever its head said)
    run = craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    video = tmp_path / "video.html"
    with open(video, "wb") as fh:
        fh.write(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00")   # an MP4's first box, then 1 GiB of holes
        fh.truncate(1 << 30)
    r = run_cli("report", str(run), "--out", "video.html", cwd=tmp_path, env=env)
    assert_user_error(r, "--out video.html exists and is not a rigbench report (not an HTML page with rigbench's "
                         "generator mark); it is left as it is")
    assert video.stat().st_size == 1 << 30
    with open(video, "rb") as fh:
        assert fh.read(8) == b"\x00\x00\x00\x20ftyp"
    # the check reads HEAD_BYTES at most, as bytes decoded leniently: a page's head followed by a gigabyte (and a
    # character cut at the end of the head) is still told to be a page
    page = run_cli("report", str(run), "--out", "page.html", cwd=tmp_path, env=env)
    assert page.code == 0, page.stderr
    head = (tmp_path / "page.html").read_bytes()[:html_report.HEAD_BYTES - 1] + "é".encode()
    big = tmp_path / "big.html"
    with open(big, "wb") as fh:
        fh.write(head)
        fh.truncate(1 << 30)
    read: list[int] = []
    real_fdopen = os.fdopen

    class Counted:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def read(self, n=-1):
            data = self.fh.read(n)
            read.append(len(data))
            return data

    monkeypatch.setattr(os, "fdopen", lambda *a, **kw: Counted(real_fdopen(*a, **kw)))
    html_report.refuse_replacing_other_than_a_report(big)      # an earlier report: no error
    assert read and sum(read) <= html_report.HEAD_BYTES
    read.clear()
    with pytest.raises(UserError, match="not an HTML page with rigbench's generator mark"):
        html_report.refuse_replacing_other_than_a_report(video)
    assert read and sum(read) <= html_report.HEAD_BYTES


@pytest.mark.parametrize("kind", ["folder", "link to a page", "link to nowhere"])
def test_a_default_name_taken_by_a_folder_or_link_is_named_as_the_default(tmp_path, kind):
    # the refusal read "--out report.html is a folder", of an --out that was never given
    run = craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    taken = tmp_path / "report.html"
    if kind == "folder":
        taken.mkdir()
    else:
        (tmp_path / "page.html").write_text("my own page")
        taken.symlink_to(tmp_path / ("page.html" if kind == "link to a page" else "nowhere.html"))
    r = run_cli("report", str(run), cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "xdg-data")})
    what = "a directory (a folder)" if kind == "folder" else "a symbolic link"
    assert_user_error(r, f"the default name report.html is taken here by {what}", "pass --out FILE.html")
    assert "--out report.html" not in r.stderr
    assert not list(tmp_path.glob("report-*.html"))
    assert taken.is_dir() if kind == "folder" else taken.is_symlink()
    assert kind == "folder" or (tmp_path / "page.html").read_text() == "my own page"


@pytest.mark.parametrize("kind", ["folder", "link to a page"])
def test_the_default_name_moves_past_a_file_only(tmp_path, kind):
    # report.html a file and report-2.html a folder: the page went to report-3.html in silence, where a folder at
    # report.html is refused
    run = craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    (tmp_path / "report.html").write_text("my own page")
    taken = tmp_path / "report-2.html"
    if kind == "folder":
        taken.mkdir()
    else:
        taken.symlink_to(tmp_path / "report.html")
    r = run_cli("report", str(run), cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "xdg-data")})
    what = "a directory (a folder)" if kind == "folder" else "a symbolic link"
    assert_user_error(r, f"the default name report-2.html is taken here by {what}; pass --out FILE.html to name "
                         "the page")
    assert not (tmp_path / "report-3.html").exists()
    assert (tmp_path / "report.html").read_text() == "my own page"
    assert taken.is_dir() if kind == "folder" else taken.is_symlink()


def _cost_text(page: Path) -> str:
    """The cost section of a page as a person reads it: its words, without tags or images."""
    text = page.read_text(encoding="utf-8")
    section = text[text.index('<section id="cost"'):]
    section = re.sub(r'src="data:[^"]*"', "", section[:section.index("</section>")])
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())


def test_the_cost_says_a_resale_outside_the_fit_is_extrapolated_and_what_a_month_cannot_hold(tmp_path):
    # --months 0.001: "resale 100% after 0.001 months" as a fact, from a curve fitted on cards 43-68 months old;
    # --hours-per-month 100000: "no rented instance can do this work", not a word of the bought card
    run = craft_run(tmp_path / "results" / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    r = run_cli("report", str(run), "--out", "short.html", "--months", "0.001", cwd=tmp_path, env=env)
    assert r.code == 0, r.stderr
    # what the fit saw is cards' ages: the RTX 4090 (launched 2022-10) is sold at its age today, and the page says
    # "extrapolated" exactly when that age is outside the fitted cards' 43-68 months
    today = dt.date.today()
    age = (today.year - 2022) * 12 + today.month - 10
    outside = ("below" if age < 43 else "above") if not 43 <= age <= 68 else None
    said = re.search(r"resale [\d.]+% after 0\.001 months( \(extrapolated (below|above) the range of the fit, cards "
                     r"43-68 months old\))?", _cost_text(tmp_path / "short.html"))
    assert said is not None and said.group(2) == outside
    r = run_cli("report", str(run), "--out", "busy.html", "--hours-per-month", "100000", cwd=tmp_path, env=env)
    assert r.code == 0, r.stderr
    text = _cost_text(tmp_path / "busy.html")
    assert "none of the options can do 100,000 h/month on rtx-4090 within the 730.5 h of a month" in text
    assert ("rtx-4090 would need 100,000 h/month, 137x the 730.5 h in a month: even at perfect scaling it takes 137 "
            "cards, more than the 8 one machine holds (--buy-count takes 1 to 8)") in text


def test_a_card_without_a_price_is_advised_with_options_that_exist(tmp_path):
    # the page said "give the price with --gpu-price USD, the whole machine with --build-price USD", which report
    # does not take
    r = run_cli("report", str(REPO / "tests" / "fixtures" / "gpu_check" / "bench-cuda.json"), "--out", "g.html",
                cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "xdg-data")})
    assert r.code == 0, r.stderr
    text = _cost_text(tmp_path / "g.html")
    assert ("no cost comparison: no price at all for H200 SXM 141GB: profiles/card_prices.csv and the catalog have "
            "none; for this card's cost give its price to `rigbench cost --buy h200-sxm --gpu-price USD "
            "--hours-per-month 80 --months 24`, or name a card with a price here with --buy CARD") in text
    assert "--build-price" not in text


def test_the_runs_compared_with_are_named_by_what_they_are(tmp_path):
    # a run of the user's own was headed "This run against the reference runs" and said "yours run."
    def load(name, created, origin="yours", **kw):
        return runs.load_run(craft_run(tmp_path / name, created, **kw), origin)

    this = load("a-20260101T000000Z.json", "2026-01-01T00:00:00Z")
    mine = load("b-20260102T000000Z.json", "2026-01-02T00:00:00Z", gemm_s=0.012)
    ref = load("old-box-20250101T000000Z.json", "2025-01-01T00:00:00Z", "reference", host="old-box")
    s = html_report.reference_section(this, [mine])
    body = "".join(s.body)
    assert s.title == "This run against your other runs"
    assert "one of your runs. " in body and "reference" not in body and "yours run" not in body
    s = html_report.reference_section(this, [mine, ref])
    assert s.title == "This run against your other runs and the reference runs"
    assert "a reference run (results/reference/). " in "".join(s.body)
    assert html_report.reference_section(this, [ref]).title == "This run against the reference runs"


def test_the_cost_band_is_the_band_of_the_speed_ratio_that_compare_and_cost_use(tmp_path):
    """The rented line's band is the error of its speed relative to the bought card: a ratio of two predictions, so
    its band is model.ratio_uncertainty, as rigbench compare gives a ratio and rigbench cost judges a tie. RTX 2080 Ti
    (Turing) against aws:p3.2xlarge (a V100, Volta) on ResNet-50: the MAE of the 7 published Turing x Volta pairs,
    6.7%, not the larger of the two cards' own bands (the V100's 9.3%), which the page said before."""
    run = runs.load_run(craft_run(tmp_path / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z"), "yours")
    opts = html_report.Options(buy="rtx-2080-ti", rent="aws:p3.2xlarge")
    section = html_report.cost_section(run, opts)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]*"', "", "".join(section.body)))
                    ).split())
    band = model.ratio_uncertainty(catalog.resolve("rtx-2080-ti"), catalog.resolve("tesla-v100-sxm2-16gb"), "resnet50")
    assert band["fraction"] == pytest.approx(0.0668, abs=1e-4) and band["pairs"] == 7
    rep = cost.compare(cost.CostRequest(buy=["rtx-2080-ti"], rent=["aws:p3.2xlarge"], hours_per_month=80))
    assert rep.speed_band(rep.buys[0], rep.rents[0]) == band
    row = build_comparison(["rtx-2080-ti", "tesla-v100-sxm2-16gb"], ["resnet50"], ["amp"])["workloads"][0]
    assert row["ratio_band"]["tesla-v100-sxm2-16gb"] == pytest.approx(band["fraction"])
    assert ("the error of that ratio (6.7%, validation MAE of the 7 published pairs of turing x volta on conv; the band "
            "rigbench compare and rigbench cost give it)") in text
    assert "larger of" not in text


def test_the_cost_warnings_name_no_column_the_table_beside_them_lacks(tmp_path):
    """An 8-GPU instance rented: the warning that multi-GPU options assume data-parallel training pointed to a
    'scaling' column, which rigbench cost's table has and the page's table (option, kind, throughput, source,
    h/month, USD/h, total USD) does not: the page shows the efficiency in 'source'."""
    run = runs.load_run(craft_run(tmp_path / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z"), "yours")
    section = html_report.cost_section(run, html_report.Options(buy="rtx-4090", rent="lambda:gpu_8x_v100"))
    body = "".join(section.body)
    header = re.findall(r"<th[^>]*>([^<]*)</th>", body)
    assert header == ["option", "kind", "throughput", "source", "h/month", "USD/h", "total USD"]
    warnings = [html.unescape(w) for w in re.findall(r'<p class="warn">(.*?)</p>', body)]
    multi = [w for w in warnings if "multi-GPU option(s) assume the job trains data-parallel" in w]
    assert len(multi) == 1 and "(predicted efficiency 98%)" in multi[0]
    assert "column" not in multi[0] and "'scaling'" not in multi[0]
    assert "rigbench.scaling: efficiency 0.98" in html.unescape(body)    # where the page shows it


def test_the_cost_names_the_price_list_it_used_your_own_before_the_shipped_one(tmp_path):
    """The page said 'Prices: profiles/cloud_prices.csv' while its cost used the user's own list (rigbench prices
    refresh is read before the shipped list): the cost section names the list it read, as rigbench cost does."""
    run = runs.load_run(craft_run(tmp_path / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z"), "yours")
    opts = html_report.Options(buy="rtx-4090", rent="aws:p3.2xlarge")
    shipped = html.unescape("".join(html_report.cost_section(run, opts).body))
    assert "Rented prices from the list shipped with rigbench, profiles/cloud_prices.csv, dated " in shipped
    # dated by the rented row used (aws:p3.2xlarge's), not by the list's oldest row, maybe another provider's
    row = next(i for i in prices.load_shipped_prices().instances if i.key == "aws:p3.2xlarge")
    assert f"profiles/cloud_prices.csv, dated {row.price_date.isoformat()}" in shipped
    own = prices.load_shipped_prices()
    prices.write_prices(prices.user_prices_path(), own.instances, ["test"])
    mine = html.unescape("".join(html_report.cost_section(run, opts).body))
    assert f"Rented prices from your own list (rigbench prices refresh), {prices.user_prices_path()}" in mine


def test_the_cost_warnings_speak_of_the_two_options_the_table_shows(tmp_path):
    """With no --rent the page looks through every instance for the cheapest, and showed the warnings of all of them
    beside a table of two rows ('11 multi-GPU option(s)', the dates of three providers' prices): they are the
    warnings of the bought card and the instance shown, and the verdict is the same."""
    run = runs.load_run(craft_run(tmp_path / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z"), "yours")
    section = html_report.cost_section(run, html_report.Options(buy="rtx-4090"))
    body = html.unescape("".join(section.body))
    rows = re.findall(r"<tr><td>([^<]*)</td><td>(buy|rent)</td>", body)
    assert [kind for _, kind in rows] == ["buy", "rent"]
    rented = rows[1][0]
    everything = cost.compare(cost.CostRequest(buy=["rtx-4090"], rent=["all"], hours_per_month=80))
    assert everything.cheapest("rent").name == rented
    alone = cost.compare(cost.CostRequest(buy=["rtx-4090"], rent=[rented], hours_per_month=80))
    warnings = re.findall(r'<p class="warn">(.*?)</p>', body)
    assert warnings == alone.warnings != everything.warnings
    assert alone.recommendation() == everything.recommendation() in body


def test_the_cost_table_shows_a_short_horizons_totals_apart(tmp_path):
    """One hour a month for a hundredth of a month: the totals are cents, and the page printed both as '0' beside a
    verdict naming the difference; they are printed to significant digits, as rigbench cost prints them."""
    run = runs.load_run(craft_run(tmp_path / "a-20260101T000000Z.json", "2026-01-01T00:00:00Z"), "yours")
    opts = html_report.Options(buy="rtx-3090", rent="aws:p3.2xlarge", hours_per_month=1, months=0.01)
    body = "".join(html_report.cost_section(run, opts).body)
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", body)]
    totals = {row[0]: row[-1] for row in rows if row}
    rep = cost.compare(cost.CostRequest(buy=["rtx-3090"], rent=["aws:p3.2xlarge"], hours_per_month=1, months=0.01))
    for o in rep.options:
        assert totals[o.name] == fmt_num(o.total_usd) != "0"


def test_write_puts_the_page_at_the_path_given_and_write_default_under_the_default_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.html").write_text("mine")
    assert html_report.write(tmp_path / "rig.html", "<p>a</p>") == tmp_path / "rig.html"
    assert (tmp_path / "rig.html").read_text() == "<p>a</p>" and not (tmp_path / "report-2.html").exists()
    # no --out: the user's report.html is kept, the page takes the next free default name
    written = html_report.write_default("<p>b</p>")
    assert Path(written).name == "report-2.html" and (tmp_path / "report-2.html").read_text() == "<p>b</p>"
    assert (tmp_path / "report.html").read_text() == "mine"


def test_out_naming_a_page_the_user_may_not_write_is_refused_and_left(tmp_path, monkeypatch):
    # another user's read-only page in a shared folder was replaced: the rename that writes the page atomically
    # needs write permission on the folder only. The tests run as root, whom access(2) lets write any file, so
    # "not writable" is answered at that one call
    page = tmp_path / "ro.html"
    page.write_text("x")
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, *a, **kw: False if os.fspath(path) == str(page) and
                        mode & os.W_OK else real(path, mode, *a, **kw))
    for step in (lambda: html_report.check_out(str(page)), lambda: html_report.write(page, "<html></html>")):
        with pytest.raises(UserError, match=r"^cannot write the report to .*ro\.html: Permission denied"):
            step()
    assert page.read_text() == "x" and [p.name for p in tmp_path.iterdir()] == ["ro.html"]
