"""A class on JupyterHub, tried for real: release, fetch, submit, collect, grade, feedback.

A real JupyterHub (with `configurable-http-proxy`) runs on 127.0.0.1 with an
instructor and two students, and nbgrader's exchange in a temp folder. Each
student works through their own single-user server, reached through the
Hub's proxy, exactly as the Assignments tab of their JupyterLab does it
(nbgrader's `/assignments/fetch|submit|fetch_feedback` and Jupyter's contents
API). The instructor's side runs the commands of docs/instructor_guide.md in
the course root:

    instructor: release_assignment 01_the_layer
    student1, student2: fetch; student1 solves everything, student2 the first exercise; submit
    instructor: collect, `python -m mlkit.grading autograde`, `... feedback`, release_feedback
    students: fetch_feedback, and read their score in the feedback page

The Hub spawns servers with its local-process spawner, each user with their
own home folder; every server runs as this machine's user, so each student's
nbgrader config names its student id (a Hub of real accounts gets it from the
login name instead). Skipped, with the reason, where JupyterHub or the proxy
is not installed (`make test` installs both).
"""

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from mlkit.grading.authoring import solved

from .conftest import ROOT, copy_course

ASSIGNMENT = "01_the_layer"
NOTEBOOK = "the_layer.ipynb"
COURSE_ID = "mlkit-course"
STUDENTS = {"student1": None, "student2": ["ex1_"]}  # student -> exercises solved (None: all)
BIN = Path(sys.executable).parent


def proxy_command():
    """The configurable-http-proxy that `make test` installs into the venv (or one on PATH)."""
    installed = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(installed) if installed.exists() else shutil.which("configurable-http-proxy")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Hub:
    """A JupyterHub on 127.0.0.1 in `folder`, driven through its REST API with a service token."""

    def __init__(self, folder, users, exchange):
        self.folder = Path(folder)
        self.port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.homes = self.folder / "home"
        for user in users:
            (self.homes / user).mkdir(parents=True, exist_ok=True)
        config = self.folder / "jupyterhub_config.py"
        config.write_text("\n".join([
            "c = get_config()",
            "c.JupyterHub.ip = '127.0.0.1'",
            f"c.JupyterHub.port = {self.port}",
            f"c.JupyterHub.hub_port = {self.hub_port}",
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{self.api_port}'",
            f"c.ConfigurableHTTPProxy.command = [{proxy_command()!r}]",
            f"c.JupyterHub.db_url = 'sqlite:///{self.folder / 'jupyterhub.sqlite'}'",
            f"c.JupyterHub.cookie_secret_file = {str(self.folder / 'cookie_secret')!r}",
            "c.JupyterHub.authenticator_class = 'dummy'",
            f"c.Authenticator.allowed_users = {set(users)!r}",
            "c.JupyterHub.spawner_class = 'simple'",
            f"c.SimpleLocalProcessSpawner.home_dir_template = {str(self.homes) + '/{username}'!r}",
            f"c.Spawner.cmd = [{str(BIN / 'jupyterhub-singleuser')!r}]",
            # This machine's user may be root (CI): a single-user server refuses root without it.
            "c.Spawner.args = ['--allow-root']",
            f"c.Spawner.environment = {{'PATH': {str(BIN) + os.pathsep + os.environ['PATH']!r}}}",
            "c.Spawner.start_timeout = 120",
            "c.Spawner.http_timeout = 120",
            f"c.JupyterHub.services = [{{'name': 'course-test', 'api_token': {self.token!r}}}]",
            "c.JupyterHub.load_roles = [{'name': 'course-test', 'services': ['course-test'],",
            "    'scopes': ['admin:users', 'admin:servers', 'access:servers', 'read:users']}]",
        ]) + "\n")
        self.log = open(self.folder / "jupyterhub.log", "wb")
        self.process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(config)], cwd=self.folder,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            self.wait_until(self.answers, "the Hub to answer", 90)
        except BaseException:
            self.stop()  # the Hub and its proxy must not outlive a failed start
            raise

    def answers(self):
        try:
            return self.request("GET", "/hub/api/") is not None
        except AssertionError:  # the proxy is up before the Hub has routed itself: HTTP 404/503
            return False

    def request(self, method, path, data=None, timeout=60):
        """JSON from the Hub (or a user's server through the proxy); None when unreachable."""
        body = json.dumps(data).encode() if data is not None else None
        headers = {"Authorization": f"token {self.token}", "Content-Type": "application/json"}
        try:
            with urllib.request.urlopen(urllib.request.Request(self.url + path, body, headers, method=method),
                                        timeout=timeout) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: HTTP {error.code}: {error.read().decode()[:2000]}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None
        return json.loads(text) if text else {}

    def wait_until(self, condition, what, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"JupyterHub exited while waiting for {what}:\n{self.log_text()}")
            if condition():
                return
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log_text()}")

    def log_text(self):
        self.log.flush()
        return (self.folder / "jupyterhub.log").read_text(errors="replace")[-6000:]

    def start_server(self, user):
        self.request("POST", f"/hub/api/users/{user}/server")
        self.wait_until(lambda: (self.request("GET", f"/hub/api/users/{user}") or {}).get("servers", {})
                        .get("", {}).get("ready"), f"{user}'s server", 120)

    def assignments(self, user, action, **data):
        """What the Assignments tab does: POST /user/<user>/assignments/<action>."""
        result = self.request("POST", f"/user/{user}/assignments/{action}",
                              {"course_id": COURSE_ID, **data}, timeout=120)
        assert result.get("success"), f"{user}: {action} failed: {result}"
        return result["value"]

    def listed(self, user):
        result = self.request("GET", f"/user/{user}/assignments?course_id={COURSE_ID}")
        assert result.get("success"), result
        return {a["assignment_id"]: a for a in result["value"]}

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the Hub, the proxy and every user's server
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        # The proxy and the users' servers live in sessions of their own: stop any the Hub
        # left behind (its proxy by its API port, servers by the Hub's port they report to).
        subprocess.run(["pkill", "-f", f"--api-port {self.api_port}"], check=False)
        subprocess.run(["pkill", "-f", f"jupyterhub-singleuser.*{self.hub_port}|{self.homes}"], check=False)
        self.log.close()


def run_instructor(course, *command):
    """A command of the instructor guide, in the course root, with the course's environment."""
    env = {**os.environ, "PATH": str(BIN) + os.pathsep + os.environ["PATH"]}
    result = subprocess.run(list(command), cwd=course, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def class_on_hub(tmp_path_factory):
    for tool in ("jupyterhub", "jupyterhub-singleuser"):
        if not (BIN / tool).exists():
            pytest.skip(f"JupyterHub is not installed in this environment ({tool}); `make test` installs it")
    if proxy_command() is None:
        pytest.skip("configurable-http-proxy is not installed (npm); `make test` installs it into .venv/node")
    folder = tmp_path_factory.mktemp("hub")
    exchange = folder / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader's exchange: every account writes its submissions there
    course = copy_course(folder / "home" / "instructor", [ASSIGNMENT])
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    hub = Hub(folder, ["instructor", *STUDENTS], exchange)
    try:
        for student in STUDENTS:
            (hub.homes / student / "nbgrader_config.py").write_text("\n".join([
                "c = get_config()",
                f"c.CourseDirectory.course_id = {COURSE_ID!r}",
                f"c.Exchange.root = {str(exchange)!r}",
                f"c.CourseDirectory.student_id = {student!r}",
            ]) + "\n")
            hub.start_server(student)
        yield hub, course
    finally:
        hub.stop()


def solve(hub, course, student, exercises):
    """The student opens the fetched notebook, writes the solutions, and saves it (contents API)."""
    path = f"/user/{student}/api/contents/{ASSIGNMENT}/{NOTEBOOK}"
    model = hub.request("GET", path + "?content=1")
    book = nbformat.from_dict(model["content"])
    book = solved(book, nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, as_version=4), exercises)
    hub.request("PUT", path, {"type": "notebook", "format": "json", "content": book})


def test_a_class_round_trip_through_jupyterhub(class_on_hub):
    hub, course = class_on_hub

    run_instructor(course, str(BIN / "python"), "-m", "mlkit.grading", "release", ASSIGNMENT)
    run_instructor(course, str(BIN / "nbgrader"), "release_assignment", ASSIGNMENT)

    for student, exercises in STUDENTS.items():
        assert hub.listed(student)[ASSIGNMENT]["status"] == "released"
        hub.assignments(student, "fetch", assignment_id=ASSIGNMENT)
        assert (hub.homes / student / ASSIGNMENT / NOTEBOOK).exists()
        solve(hub, course, student, exercises)
        hub.assignments(student, "submit", assignment_id=ASSIGNMENT)
        assert hub.listed(student)[ASSIGNMENT]["status"] == "submitted"

    run_instructor(course, str(BIN / "nbgrader"), "collect", ASSIGNMENT)
    for student in STUDENTS:
        assert (course / "submitted" / student / ASSIGNMENT / NOTEBOOK).exists()
    run_instructor(course, str(BIN / "python"), "-m", "mlkit.grading", "autograde", ASSIGNMENT)
    run_instructor(course, str(BIN / "python"), "-m", "mlkit.grading", "feedback", ASSIGNMENT)
    run_instructor(course, str(BIN / "nbgrader"), "release_feedback", ASSIGNMENT)
    run_instructor(course, str(BIN / "python"), "-m", "mlkit.grading", "grades",
                   "--to", "grades.csv", "--by-test", "grades_by_test.csv")

    scores = {}
    with open(course / "grades_by_test.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        total, maximum = scores.get(row["student_id"], (0.0, 0.0))
        scores[row["student_id"]] = (total + float(row["score"]), maximum + float(row["max_score"]))
    assert scores["student1"] == (9.0, 9.0), rows
    assert scores["student2"] == (6.0, 9.0), rows  # the first exercise: its three test cells

    for student in STUDENTS:
        hub.assignments(student, "fetch_feedback", assignment_id=ASSIGNMENT)
        pages = list((hub.homes / student / ASSIGNMENT / "feedback").glob("*/the_layer.html"))
        assert len(pages) == 1, f"{student} fetched {pages}"
        total, maximum = scores[student]
        assert f"Score: {total:g}" in pages[0].read_text() or f"{total:g} / {maximum:g}" in pages[0].read_text()
