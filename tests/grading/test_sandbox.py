"""The sandbox a submission's kernel runs in: a real kernel, confined by bubblewrap.

One notebook, run once in a sandboxed kernel, looks around from the
inside: who it runs as, what it sees, what it may write, whether the
network, the course folder or a file handed in beside it can be reached.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mlkit.grading import held_out, sandbox

pytestmark = pytest.mark.skipif(sandbox.unavailable_reason() is not None,
                                reason=f"no sandbox here: {sandbox.unavailable_reason()}")

PROBES = {
    "who": "import json, os\nprint(json.dumps({'uid': os.getuid(), 'cwd': os.getcwd(), 'files': sorted(os.listdir('.'))}))",
    "environment": "print(json.dumps(sorted(os.environ)))",
    "checkout": "import mlkit, pathlib\nroot = pathlib.Path(mlkit.__file__).parents[1]\n"
                "print(json.dumps(sorted(p.name for p in root.iterdir())))",
    "write_package": "import mlkit\ntry:\n    open(os.path.join(os.path.dirname(mlkit.__file__), 'planted.py'), 'w')\n"
                     "    print('written')\nexcept OSError as error:\n    print(type(error).__name__)",
    "network": "import errno, socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=2)\n    print('connected')\n"
               "except OSError as error:\n    print(errno.errorcode.get(error.errno), [n for _, n in socket.if_nameindex()])",
    "handed_in": "import helper_module",
    "scratch": "open('notes.txt', 'w').write('mine')\nprint(open('notes.txt').read())",
    "detached": "import subprocess\nchild = subprocess.Popen(['sleep', '300'], start_new_session=True)\nprint(child.pid)",
    "memory": "try:\n    block = bytearray(8 * 2**30)\n    print('allocated')\nexcept MemoryError:\n    print('MemoryError')",
    "held_out": "from mlkit.grading import held_out\n"
                "print(json.dumps({'images': held_out.images().tolist(), 'labels': held_out.labels()}))",
}
# The images of a course's private held-out digits (two blank ones): given to the kernel, unlike their labels.
HELD_OUT_IMAGES = np.zeros((2, 8, 8, 1), "float32")


class KernelGivenHeldOutImages(sandbox.SandboxedKernelManager):
    """A sandboxed kernel manager as the grader sets it up for a course with private held-out digits."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.held_out_images = held_out.HeldOutDigits(HELD_OUT_IMAGES, np.array([3, 4])).images_as_npy


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    from nbclient import NotebookClient

    submission = tmp_path_factory.mktemp("submission")
    (submission / "helper_module.py").write_text("print('imported the handed-in file')")
    (submission / "numpy").mkdir()
    (submission / "numpy" / "__init__.py").write_text("raise SystemExit('a handed-in numpy was imported')")
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in PROBES.values()])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, submission / "student.ipynb")
    client = NotebookClient(book, timeout=30, allow_errors=True, kernel_manager_class=KernelGivenHeldOutImages,
                            resources={"metadata": {"path": str(submission)}})
    client.execute()
    outputs = {}
    for name, cell in zip(PROBES, book.cells):
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream").strip()
        errors = [o.ename for o in cell.outputs if o.output_type == "error"]
        outputs[name] = (text, errors)
    return outputs, submission


def test_the_kernel_runs_as_its_own_user_in_a_scratch_folder_with_only_the_notebook(probed):
    seen = json.loads(probed[0]["who"][0])
    if os.geteuid() == 0:
        assert seen["uid"] >= sandbox.FIRST_SANDBOX_UID
    assert seen["cwd"] == sandbox.SANDBOX_HOME
    assert [name for name in seen["files"] if not name.startswith(".")] == ["held_out_images.npy", "student.ipynb"]


def test_the_kernel_gets_the_held_out_images_but_no_labels(probed):
    seen = json.loads(probed[0]["held_out"][0])
    assert np.array_equal(seen["images"], HELD_OUT_IMAGES) and seen["labels"] is None


def test_files_handed_in_beside_the_notebook_cannot_be_imported(probed):
    assert probed[0]["handed_in"][1] == ["ModuleNotFoundError"]
    assert "imported the handed-in file" not in probed[0]["handed_in"][0]


def test_no_grader_variable_reaches_the_kernel(probed):
    names = set(json.loads(probed[0]["environment"][0]))
    assert not {name for name in names if name.startswith(("NBGRADER", "JPY_PARENT", "COVERAGE"))}
    assert "HOME" in names


def test_only_the_package_is_visible_of_the_checkout(probed):
    visible = set(json.loads(probed[0]["checkout"][0]))
    assert "mlkit" in visible
    assert not visible & {"solutions", "submitted", "autograded", "feedback", ".nbgrader", "tests", "nbgrader_config.py"}


def test_the_package_is_read_only_and_the_scratch_folder_writable(probed):
    assert probed[0]["write_package"][0] == "OSError"
    assert probed[0]["scratch"][0] == "mine"


def test_there_is_no_network(probed):
    assert probed[0]["network"][0] == "ENETUNREACH ['lo']"


def test_memory_is_limited(probed):
    assert probed[0]["memory"][0] == "MemoryError"


def test_a_detached_child_dies_with_the_kernel_and_nothing_is_left_behind(probed):
    assert probed[0]["detached"][0].isdigit()
    sleeping = subprocess.run(["pgrep", "-f", "^sleep 317$"], capture_output=True, text=True).stdout.split()
    assert sleeping == []
    if os.geteuid() == 0:  # as root, each sandbox has its own user: its processes can be counted
        assert sandbox.LEFT_RUNNING.pop(str(probed[1].resolve()), 0) >= 1


def test_the_sandbox_command_confines_what_it_runs(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    command = sandbox.sandbox_command(["/bin/sh", "-c", "pwd; echo [$NBGRADER_EXECUTION]; ls /"], home=home,
                                      sockets=None, environment={"PATH": "/usr/bin:/bin"})
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "NBGRADER_EXECUTION": "autograde"})
    assert result.returncode == 0, result.stderr
    folder, variable, *top_level = result.stdout.split()
    assert (folder, variable) == (sandbox.SANDBOX_HOME, "[]")
    environment_roots = {path.split("/")[1] for path in sandbox.readable_paths()}
    assert set(top_level) <= environment_roots | {"proc", "dev", "tmp", "home"}


def test_autograde_refuses_without_bubblewrap(monkeypatch, tmp_path):
    from mlkit.grading import instructor

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(instructor.GradingError, match="bubblewrap"):
        instructor.autograde(tmp_path, ["an_assignment"], ["a_student"], log=None)


def test_autograde_refuses_without_bubblewrap_unless_unsafe(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    reason = sandbox.unavailable_reason()
    assert "bubblewrap" in reason and "apt-get install bubblewrap" in reason and "--unsafe" in reason


NOBODY = 65534  # an ordinary user, as an instructor without root grades


@pytest.mark.skipif(os.geteuid() != 0, reason="becoming an ordinary user needs root")
def test_without_root_the_sandbox_is_an_unprivileged_user_namespace(monkeypatch):
    """Grading as an ordinary user: bubblewrap makes a user namespace, with no capability left, the same
    confinement (the system read-only, only the home folder writable, no network). Shown with a shell:
    the Python of this machine lives in root's home folder, out of an ordinary user's reach."""
    import tempfile

    monkeypatch.setattr(sandbox, "readable_paths", lambda: [p for p in ("/usr", "/bin", "/lib", "/lib64", "/etc")
                                                            if os.path.lexists(p)])
    folder = Path(tempfile.mkdtemp(prefix="mlkit-without-root-"))  # (pytest's tmp_path is root's alone)
    try:
        folder.chmod(0o755)
        (folder / "home").mkdir()
        os.chown(folder / "home", NOBODY, NOBODY)
        (folder / "course").mkdir()  # a folder of the instructor's, readable outside the sandbox
        script = ("id -u; grep CapEff /proc/self/status; ls /; echo interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1); "
                  f"ls -d {folder}/course 2>&1; echo mine > notes.txt && echo home-writable; "
                  "touch /usr/planted 2>/dev/null || echo usr-read-only")
        command = sandbox.sandbox_command(["/bin/sh", "-c", script], home=folder / "home", sockets=None,
                                          environment={"PATH": "/usr/bin:/bin"})
        assert "--unshare-user" in command and not any("setpriv" in str(part) for part in command)
        as_nobody = [shutil.which("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        result = subprocess.run(as_nobody + command, cwd="/", capture_output=True, text=True, timeout=60)
        if "No permissions to create new namespace" in result.stderr or "setting up uid map" in result.stderr:
            pytest.skip(f"user namespaces are off here: {result.stderr.strip()}")
        assert result.returncode == 0, result.stderr
        uid, capabilities, *rest = result.stdout.split("\n")
        assert uid == str(NOBODY) and capabilities.split() == ["CapEff:", "0000000000000000"]
        assert "home-writable" in rest and "usr-read-only" in rest
        assert any("No such file or directory" in line and "course" in line for line in rest)
        top_level = rest[:rest.index(next(line for line in rest if line.startswith("interfaces:")))]
        assert set(top_level) <= {"bin", "dev", "etc", "home", "lib", "lib64", "proc", "tmp", "usr"}
        assert "interfaces: lo" in rest  # no network but the namespace's own loopback
        assert (folder / "home" / "notes.txt").read_text() == "mine\n"
    finally:
        shutil.rmtree(folder)
