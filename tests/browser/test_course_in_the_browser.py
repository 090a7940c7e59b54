"""The course as a learner uses it: JupyterLab in student mode, driven in headless Chromium.

JupyterLab starts from this environment on a free port, with the project's
student settings (jupyter/student), on a copy of course/ (so nothing the
browser saves touches the repository). The test opens 00 and runs all its
cells, waits for the training progress bar, the learning curves and the
progress view (its cell at the top of 00), opens
01 with its first exercise solved and presses Validate, and checks that
nbgrader's instructor tools are absent. Screenshots are saved in
tests/browser/screenshots/ (git-ignored), the test's artifacts.

It needs Debian's `chromium` and `chromium-driver` (tests/system-packages.txt:
`make test` installs them when run as root, as in CI) and skips without them;
Selenium is told where both are, so it never downloads a browser.
"""

import io
import re
import shutil
import time
import urllib.error
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mlkit.grading.authoring import solved

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).with_name("screenshots")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no headless browser: install Debian's chromium and chromium-driver "
           "(`make test` does, as root; or: sudo apt-get install chromium chromium-driver)")

# A learner who fits with verbose=1 sees the progress bar; 00 itself fits quietly.
FIT_WITH_PROGRESS_BAR = "model.fit(x_train_flat, y_train, epochs=2, batch_size=32, verbose=1)"


@pytest.fixture(scope="module")
def learner_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("browser") / "course"
    for name in ("00_welcome", "01_the_layer"):
        shutil.copytree(ROOT / "course" / name, course / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    welcome = course / "00_welcome" / "welcome.ipynb"
    book = nbformat.read(welcome, as_version=4)
    curves = next(i for i, cell in enumerate(book.cells) if "val_loss" in cell.source and "plt.show()" in cell.source)
    book.cells.insert(curves + 1, nbformat.v4.new_code_cell(FIT_WITH_PROGRESS_BAR))
    nbformat.write(book, welcome)
    layer = course / "01_the_layer" / "the_layer.ipynb"
    nbformat.write(solved(nbformat.read(layer, as_version=4),
                          nbformat.read(ROOT / "solutions" / "01_the_layer" / "the_layer.ipynb", as_version=4),
                          ["ex1_"]), layer)
    return course


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def wait_for(driver, condition, seconds, what):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.5).until(lambda _: condition())
    except TimeoutException:
        driver.save_screenshot(str(SCREENSHOTS / "timeout.png"))
        raise AssertionError(f"timed out after {seconds} s waiting for {what} (see screenshots/timeout.png)")


def open_notebook(driver, lab, path):
    """Open `path` and wait until it is the current tab, its cells shown and its kernel idle (JupyterLab
    also restores the notebooks opened before, whose panels stay in the page, hidden)."""
    driver.get(f"{lab.url}/lab/tree/{path}?token={lab.token}")
    name = path.rsplit("/", 1)[-1]
    wait_for(driver, lambda: [tab for tab in driver.find_elements(By.CSS_SELECTOR, ".lm-TabBar-tab.lm-mod-current")
                              if name in tab.text], 90, f"{path} to be the current tab")
    wait_for(driver, lambda: [cell for cell in driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell")
                              if cell.is_displayed()], 90, f"{path} to open")
    wait_for(driver, lambda: "Idle" in kernel_status(driver), 90, "the kernel to start")
    dismiss_news_prompt(driver)


def kernel_status(driver):
    """The status bar's text, e.g. "Python 3 (ipykernel) | Idle"."""
    return " ".join(e.text for e in driver.find_elements(By.ID, "jp-main-statusbar"))


def dismiss_news_prompt(driver):
    """JupyterLab asks once whether to fetch Jupyter news; answer No so it covers nothing."""
    for button in driver.find_elements(By.CSS_SELECTOR, ".jp-toast-button"):
        if button.text.strip() == "No":
            button.click()


def click_menu(driver, *labels):
    """Click through the menu bar: click_menu(driver, "Run", "Run All Cells")."""
    for index, label in enumerate(labels):
        selector = ".lm-MenuBar-itemLabel" if index == 0 else ".lm-Menu-itemLabel"
        items = [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.text.strip() == label]
        assert items, f"no menu item {label!r} (menus: {[e.text for e in driver.find_elements(By.CSS_SELECTOR, selector)]})"
        items[0].click()
        time.sleep(0.3)


def code_cell_output(driver, text_in_source):
    """The output area of the code cell whose source contains `text_in_source`."""
    for cell in driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell"):
        if text_in_source in cell.find_element(By.CSS_SELECTOR, ".jp-InputArea").text:
            return cell.find_element(By.CSS_SELECTOR, ".jp-OutputArea")
    raise AssertionError(f"no code cell containing {text_in_source!r}")


def colour_share(png, colour, tolerance=40):
    """The share of a screenshot's pixels close to `colour` (r, g, b)."""
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    return float(np.mean(np.all(np.abs(pixels - np.array(colour)) <= tolerance, axis=-1)))


MATPLOTLIB_BLUE, MATPLOTLIB_ORANGE = (31, 119, 180), (255, 127, 14)


def test_a_learner_runs_00_validates_01_and_sees_no_instructor_tools(learner_course, start_jupyter, browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    lab = start_jupyter(learner_course, app="jupyterlab", config_path=ROOT / "jupyter" / "student")

    # 00: run all cells; the run stops at the exercise stub, as it does for a learner.
    open_notebook(browser, lab, "00_welcome/welcome.ipynb")
    click_menu(browser, "Run", "Run All Cells")
    bar = code_cell_output(browser, FIT_WITH_PROGRESS_BAR)
    wait_for(browser, lambda: "Epoch 2/2" in bar.text and "━" in bar.text.split("Epoch 2/2")[-1], 180,
             "the training progress bar")
    curves = code_cell_output(browser, "val_loss")
    image = wait_for(browser, lambda: curves.find_elements(By.CSS_SELECTOR, ".jp-RenderedImage img"), 60,
                     "the learning-curve plot")[0]
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 300
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
    time.sleep(0.5)
    plot_png = image.screenshot_as_png
    (SCREENSHOTS / "00_learning_curves.png").write_bytes(plot_png)
    # Two curves per panel: matplotlib's blue (training) and orange (validation) lines.
    assert colour_share(plot_png, MATPLOTLIB_BLUE) > 0.002 and colour_share(plot_png, MATPLOTLIB_ORANGE) > 0.002
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", bar)
    time.sleep(0.5)
    bar_png = bar.screenshot_as_png
    (SCREENSHOTS / "00_progress_bar.png").write_bytes(bar_png)
    assert colour_share(bar_png, (0, 0, 0), tolerance=90) > 0.01  # the drawn bar and its text
    assert "accuracy on images the model never saw" in code_cell_output(browser, "model.evaluate").text
    # The progress cell at the top of 00: 01's solved exercise passes, the rest is not started.
    view = code_cell_output(browser, "progress.show()")
    wait_for(browser, lambda: view.find_elements(By.CSS_SELECTOR, ".jp-RenderedImage img"), 120, "the progress view")
    assert re.search(r"01_the_layer +ex1_simple_dense +6 +passes the visible checks", view.text), view.text
    assert re.search(r"01_the_layer +ex2_compute_sum +3 +not started", view.text), view.text
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", view)
    time.sleep(0.5)
    (SCREENSHOTS / "00_progress_view.png").write_bytes(view.screenshot_as_png)
    browser.save_screenshot(str(SCREENSHOTS / "00_after_run_all.png"))

    # Student mode: nbgrader's instructor tools are absent, Validate is there.
    assert not browser.find_elements(By.ID, "jp-mainmenu-nbgrader")
    menus = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-itemLabel")]
    assert "Run" in menus and "Nbgrader" not in menus, menus
    tabs = " ".join((e.get_attribute("title") or "") + " " + e.text
                    for e in browser.find_elements(By.CSS_SELECTOR, ".lm-TabBar-tab"))
    assert "Create Assignment" not in tabs and "Formgrader" not in tabs, tabs
    assert browser.find_elements(By.CSS_SELECTOR, ".validate-button")
    with pytest.raises(urllib.error.HTTPError, match="404"):  # the formgrader's server side is off too
        lab.request("GET", "/formgrader")

    # 01: the first exercise solved; Validate runs the notebook and answers in a dialog.
    open_notebook(browser, lab, "01_the_layer/the_layer.ipynb")
    buttons = [b for b in browser.find_elements(By.CSS_SELECTOR, ".validate-button") if b.is_displayed()]
    assert buttons, "no Validate button in the notebook's toolbar"
    buttons[0].click()
    dialog = wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Dialog-content"), 180,
                      "Validate's answer")[0]
    time.sleep(1)
    browser.save_screenshot(str(SCREENSHOTS / "01_validate.png"))
    answer = dialog.text
    print("Validate said:\n" + answer)
    assert "ComputeSum" in answer and "NotImplementedError" in answer, answer  # exercise 2: not done yet
    assert "SimpleDense" not in answer, answer                                 # exercise 1: passes
