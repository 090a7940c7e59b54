"""Fixtures shared by the whole test suite."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

import mlkit


@pytest.fixture(autouse=True)
def fresh_session():
    """Every test starts with reproducible randomness, fresh layer names and the
    default global settings, whatever the test before it changed."""
    from mlkit import dtype_policies

    mlkit.utils.set_random_seed(1234)
    mlkit.backend.clear_session()
    yield
    mlkit.backend.set_floatx("float32")
    mlkit.backend.set_epsilon(1e-7)
    dtype_policies._global["policy"] = None


@pytest.fixture(scope="session")
def digits_flat():
    """The bundled digits as flat float32 vectors in [0, 1] and integer labels."""
    (x_train, y_train), (x_test, y_test) = mlkit.datasets.digits.load_data()
    flatten = lambda x: (x.reshape(len(x), -1) / 16.0).astype(np.float32)
    return (flatten(x_train), y_train.astype(np.int64)), (flatten(x_test), y_test.astype(np.int64))


@pytest.fixture(scope="session")
def unseen_digits():
    """Digits no student has seen, as an instructor's own held-out digits would be: 300 of the test
    digits, shuffled and redrawn with a little noise, pixel counts 0..16 like the dataset's (uint8
    images (300, 8, 8), labels (300,)). Few pixels keep their value: no image is the dataset's."""
    _, (x_test, y_test) = mlkit.datasets.digits.load_data()
    rng = np.random.default_rng(1)
    order = rng.permutation(len(x_test))[:300]
    images = np.clip(np.rint(x_test[order] + rng.normal(0, 0.6, (300, 8, 8))), 0, 16).astype("uint8")
    return images, y_test[order]


@pytest.fixture(scope="session")
def public_label_cheats():
    """{name: a learner's cell defining `classifier`}: models that carry the public test labels instead of
    reading digits, by looking each image up or by answering in the test split's order. Both get every
    public test digit right; judged on digits no student has seen, nothing."""
    load = ("import numpy as np\nimport mlkit\nfrom mlkit import layers\n\n"
            "_, (x_public, y_public) = mlkit.datasets.digits.load_data()\n")
    return {
        "looks_up_each_image": load + """
answers = {image.tobytes(): label for image, label in zip((x_public[..., None] / 16.0).astype("float32"), y_public)}


class Lookup(layers.Layer):
    def call(self, inputs):
        found = [answers.get(np.asarray(image).tobytes(), 0) for image in np.asarray(inputs)]
        return mlkit.ops.convert_to_tensor(np.eye(10, dtype="float32")[found])


classifier = mlkit.Sequential([Lookup()])
""",
        "answers_in_order": load + """

class InOrder(mlkit.Sequential):
    def predict(self, x, **kwargs):
        return np.eye(10, dtype="float32")[y_public[:len(x)]]


classifier = InOrder([layers.Flatten(), layers.Dense(10, activation="softmax")])
""",
    }


class RunningJupyter:
    """A Jupyter server (or JupyterLab) of this environment, started by a test on a free port."""

    def __init__(self, root_dir, home, app="jupyter_server", config_path=""):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        # Hermetic: the user's own Jupyter settings and data never apply; `config_path`
        # (e.g. the project's jupyter/student) is the only settings folder added.
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
               "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_CONFIG_PATH": str(config_path)}
        self.log = open(home / f"{app}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", app, f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={root_dir}",
             "--ServerApp.open_browser=False", "--allow-root"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.log_path = home / f"{app}.log"
        self._wait_until_ready()

    def _wait_until_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Jupyter server exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                self.request("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.5)
        raise TimeoutError(f"the Jupyter server did not answer in {timeout} s:\n{self.log_path.read_text()[-3000:]}")

    def request(self, method, path, body=None):
        """A call to the server's REST API; returns the decoded JSON answer (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and the kernels it started
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture
def start_jupyter(tmp_path_factory):
    """`start_jupyter(root_dir, app="jupyter_server", config_path="")`: a running server
    (see RunningJupyter), stopped with every kernel it started when the test ends."""
    servers = []

    def start(root_dir, app="jupyter_server", config_path=""):
        home = tmp_path_factory.mktemp("jupyter-home")
        servers.append(RunningJupyter(root_dir, home, app=app, config_path=config_path))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
