"""`sandbox`: each submission's notebook runs in a kernel that cannot reach the course.

At autograde, a student's code is untrusted: left alone it could read the
solutions, write the gradebook, import a `numpy/` handed in beside the
notebook, or leave a process running. So the kernel that runs a
submission is confined with bubblewrap (`bwrap`):

- its own unprivileged user id (when grading as root), no network, a new
  process namespace (the whole process tree dies with the kernel);
- a read-only view of the Python environment and of the installed `mlkit`
  package (for an editable install, the package folder alone: not the
  checkout that holds it);
- a private, writable home folder holding only a copy of the submission's
  notebooks, which is the working folder: files handed in beside a
  notebook are not there, so they cannot be imported (and, when the course
  has private held-out digits, their images: never their labels, `held_out`);
- nothing of solutions/, submitted/, autograded/, feedback/, .nbgrader/;
- limits on memory, processes, CPU time, file size and open files;
- a clean environment (no `NBGRADER_EXECUTION`, no instructor variables).

What every kernel would otherwise redo is done once by the grader: mlkit's
modules compiled to bytecode (the sandbox may not write it), matplotlib's
font list built (handed to each sandbox read-only). Each kernel imports NumPy,
matplotlib and mlkit before it answers (`PRELOADED`, no name left defined),
so that a kernel started ahead of need (`spare_kernels`) is ready to run the
notebook's cells at once; the sandboxed kernel is killed, not asked to shut
down, once its notebook has run.

The kernel talks to the grader over Unix sockets (ZeroMQ's `ipc`
transport) in a folder shared with the sandbox, since it has no network.

nbgrader_config.py puts `SandboxedExecute` in the autograde steps; its
`sandboxed` setting (`--unsafe` on the command line) turns the sandbox off.

    >>> command = sandbox_command(["python", "-c", "print(1)"], home="/tmp/h", sockets="/tmp/s")
    >>> command[0].endswith("bwrap"), "--unshare-net" in command, command[-3:]
    (True, True, ['python', '-c', 'print(1)'])
"""

import compileall
import functools
import importlib.util
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbformat import NotebookNode
from traitlets import Bool, Bytes, Instance, Unicode, default

from mlkit.grading import held_out, spare_kernels
from mlkit.grading.resilient_execute import ResilientExecute

# The home (and working) folder of the student's code inside the sandbox.
SANDBOX_HOME = "/home/student"
# Sandboxed kernels of one grading process get user ids from here on (as root).
FIRST_SANDBOX_UID = 200_000
# Environment variables the kernel may inherit; every other one is dropped.
PASSED_VARIABLES = ("LANG", "LC_ALL", "MPLBACKEND", "PYTHONHASHSEED", "MLKIT_GRADING_TIME_LIMIT")
# A cell whose outputs are larger than this gets a note (LimitOutput then cuts them).
OUTPUT_NOTE_BYTES = 2 * 2**20
# What each kernel imports before it answers; the names are deleted again (the notebook imports
# them itself), so only the time moves: out of the first cell, into the kernel's start.
# (Not mlkit.grading: imported, it starts watching the notebook's cells, which must begin with
# the notebook's own.)
PRELOADED = "import numpy, matplotlib.pyplot, mlkit; del numpy, matplotlib, mlkit"
# Where matplotlib keeps its settings and font list in the sandbox (a fresh, writable folder).
MATPLOTLIB_FOLDER = "/tmp/matplotlib"
INSTALL_HINT = (
    "Install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install "
    "bubblewrap), or grade without a sandbox with --unsafe, only if you trust every submission."
)


@dataclass(frozen=True)
class Limits:
    """What one sandboxed kernel may use (each one a `prlimit` resource limit)."""

    memory_bytes: int = 3 * 2**30       # address space: NumPy, the kernel and the notebook's arrays
    processes: int = 64                 # processes and threads of the sandbox's user
    cpu_seconds: int = 900              # CPU time of the whole notebook
    file_bytes: int = 64 * 2**20        # the largest file the notebook may write
    open_files: int = 256

    def arguments(self):
        return [
            f"--as={self.memory_bytes}", f"--nproc={self.processes}", f"--cpu={self.cpu_seconds}",
            f"--fsize={self.file_bytes}", f"--nofile={self.open_files}", "--core=0",
        ]


def bubblewrap():
    """The path of `bwrap`, or None when bubblewrap is not installed."""
    return shutil.which("bwrap")


def unavailable_reason():
    """None when sandboxed kernels can start here; else what is wrong and how to fix it."""
    path = bubblewrap()
    if path is None:
        return f"Autograding runs each submission in a sandbox, and bubblewrap (bwrap) is not installed. {INSTALL_HINT}"
    command = sandbox_command([sys.executable, "-c", "import mlkit"], home=None, sockets=None, uid=_next_uid())
    trial = subprocess.run(command, capture_output=True, text=True, cwd="/")
    if trial.returncode != 0:
        reason = (trial.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap is installed, but a sandboxed Python could not import mlkit ({reason}). "
                "Without root, bubblewrap needs user namespaces (sysctl kernel.unprivileged_userns_clone=1); "
                "grade as root, or with --unsafe only if you trust every submission.")
    return None


def sandbox_command(command, *, home, sockets, uid=None, limits=Limits(), environment=None, font_list=None):
    """`command` wrapped so that it runs confined (see the module docstring).

    `home` (host folder) becomes the writable working folder /home/student;
    `sockets` (host folder) is shared at the same path, for the kernel's
    connection file and sockets. The command's environment is `environment`
    (default: `sandbox_environment()`) and nothing else. `uid` (grading as root) is the user the
    command runs as: bubblewrap sets up the sandbox as root, then `setpriv`
    drops to `uid` with no capability left. Without `uid`, the sandbox is an
    unprivileged user namespace of the grading user.
    """
    options = [
        bubblewrap() or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox",
    ]
    options.append("--clearenv")
    for name, value in (sandbox_environment() if environment is None else environment).items():
        options += ["--setenv", name, value]
    drop_privileges = []
    if uid is None:
        options.append("--unshare-user")
    else:
        options += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        drop_privileges = [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}",
                           "--clear-groups", "--bounding-set=-all", "--inh-caps=-all", "--"]
    # The fresh /tmp first: a Python environment may live under /tmp (a checkout there), and a
    # tmpfs mounted after it would hide it.
    options += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    if font_list is not None:  # matplotlib's font list, read-only, in its writable settings folder
        options += ["--perms", "1777", "--dir", MATPLOTLIB_FOLDER,
                    "--ro-bind", str(font_list), f"{MATPLOTLIB_FOLDER}/{Path(font_list).name}"]
    mounted, made = [], {"/tmp"}  # folders in the fresh tmpfs must be made
    for path in readable_paths():
        options += _parent_folders(path, mounted, made)
        mounted.append(path)
        if os.path.islink(path):
            options += ["--symlink", os.readlink(path), path]
        else:
            options += ["--ro-bind", path, path]
    if sockets is not None:
        options += _parent_folders(str(sockets), mounted, made) + ["--bind", str(sockets), str(sockets)]
    if home is not None:
        options += _parent_folders(SANDBOX_HOME, mounted, made)
        options += ["--bind", str(home), SANDBOX_HOME, "--chdir", SANDBOX_HOME]
    launcher = [shutil.which("prlimit") or "prlimit", *limits.arguments(), "--"]
    return options + ["--"] + drop_privileges + launcher + list(command)


def _parent_folders(path, mounted, made):
    """bwrap options creating the parents of `path` that do not exist in the sandbox yet
    (neither mounted nor made), traversable by anyone (bwrap's default would be 0700)."""
    options = []
    for parent in [str(p) for p in reversed(Path(path).parents) if str(p) != "/"]:
        if parent in made or any(parent == m or parent.startswith(m + "/") for m in mounted):
            continue
        options += ["--perms", "0755", "--dir", parent]
        made.add(parent)
    return options


def readable_paths():
    """What the sandbox sees, read-only: the system, the Python environment, the mlkit package."""
    system = [p for p in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc") if os.path.lexists(p)]
    python = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    package = importlib.util.find_spec("mlkit").submodule_search_locations[0]
    paths = system + sorted(p for p in python | {package} if not p.startswith(tuple(s + "/" for s in system)))
    return [p for i, p in enumerate(paths) if not any(p.startswith(q + "/") for q in paths[:i])]


@functools.cache
def compiled_package():
    """Compile mlkit's modules to bytecode once (a sandboxed kernel cannot write it, and would
    compile every module it imports, every time). Quietly nothing when the folder is read-only."""
    package = importlib.util.find_spec("mlkit").submodule_search_locations[0]
    if os.access(package, os.W_OK):
        compileall.compile_dir(package, quiet=2, force=False)


@functools.cache
def matplotlib_font_list():
    """The path of matplotlib's font list, built once per grading process (matplotlib would build
    it in each fresh sandbox, a second or so); None without matplotlib."""
    folder = tempfile.mkdtemp(prefix="mlkit-matplotlib-")
    built = subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True,
                           env={**sandbox_environment(), "MPLCONFIGDIR": folder}, cwd=folder)
    lists = sorted(Path(folder).glob("fontlist-*.json"))
    return str(lists[0]) if built.returncode == 0 and lists else None


_uids = itertools.count()


def _next_uid():
    """A user id no other sandbox of this machine uses now (as root; None otherwise)."""
    if os.geteuid() != 0:
        return None
    return FIRST_SANDBOX_UID + (os.getpid() * 64 + next(_uids) % 64) % 1_000_000


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run confined by `sandbox_command`."""

    limits = Instance(Limits, args=())
    sandbox_folder = Unicode("", help="The host folder holding the sandbox's home and sockets.")
    held_out_images = Bytes(b"", help="The images of the course's private held-out digits (.npy bytes), "
                                      "copied into the home folder; empty when the course has none.")

    @default("transport")
    def _default_transport(self):
        return "ipc"  # the sandbox has no network: Unix sockets in a shared folder

    async def _async_pre_start_kernel(self, **kw):
        self.sandbox_folder = tempfile.mkdtemp(prefix="mlkit-sandbox-")
        folder = Path(self.sandbox_folder)
        self.sandbox_uid = _next_uid()
        home, sockets = folder / "home", folder / "sockets"
        home.mkdir()
        sockets.mkdir()
        self.ip = str(sockets / "kernel")
        self.connection_file = str(sockets / "connection.json")
        if self.sandbox_uid is not None:
            folder.chmod(0o711)
            for path in [home, sockets]:
                os.chown(path, self.sandbox_uid, self.sandbox_uid)
        self.submission_folder = None
        if kw.get("cwd"):  # a spare kernel (spare_kernels) gets its notebook when it is taken
            self.receive(kw["cwd"])
        self.kernel_spec.interrupt_mode = "message"  # signals would reach bwrap, not the kernel
        kw["cwd"] = str(folder)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # bwrap's own; the kernel's is set by bwrap
        kw["stdout"] = subprocess.DEVNULL  # the kernel's banner; its errors still reach stderr
        command, kw = await super()._async_pre_start_kernel(**kw)
        if self.sandbox_uid is not None:
            os.chown(self.connection_file, self.sandbox_uid, self.sandbox_uid)
        return command, kw

    def receive(self, submission_folder):
        """Copy the submission's notebooks (nothing else of its folder) into the sandbox's home, with
        the images of the private held-out digits when there are some."""
        submission = Path(submission_folder).resolve()
        self.submission_folder = str(submission)
        home = Path(self.sandbox_folder) / "home"
        copied = []
        for notebook in submission.glob("*.ipynb"):
            shutil.copyfile(notebook, home / notebook.name)
            copied.append(home / notebook.name)
        if self.held_out_images:
            (home / held_out.IMAGES_FILE_NAME).write_bytes(self.held_out_images)
            copied.append(home / held_out.IMAGES_FILE_NAME)
        if self.sandbox_uid is not None:
            for path in copied:
                os.chown(path, self.sandbox_uid, self.sandbox_uid)

    def format_kernel_cmd(self, extra_arguments=None):
        compiled_package()
        command = super().format_kernel_cmd(extra_arguments) + [f"--IPKernelApp.exec_lines={PRELOADED}"]
        folder = Path(self.sandbox_folder)
        return sandbox_command(command, home=folder / "home", sockets=folder / "sockets",
                               uid=self.sandbox_uid, limits=self.limits, font_list=matplotlib_font_list())

    async def _async_shutdown_kernel(self, now=False, restart=False):
        leftover = len(processes_of(self.sandbox_uid)) - 1 if getattr(self, "sandbox_uid", None) else 0
        if leftover > 0 and self.submission_folder:
            LEFT_RUNNING[self.submission_folder] = LEFT_RUNNING.get(self.submission_folder, 0) + leftover
        await super()._async_shutdown_kernel(now=now, restart=restart)

    shutdown_kernel = _async_shutdown_kernel

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if self.sandbox_folder and not restart:
            shutil.rmtree(self.sandbox_folder, ignore_errors=True)
            self.sandbox_folder = ""

    cleanup_resources = _async_cleanup_resources


# {submission folder: processes its kernels had left running when they were shut down}
LEFT_RUNNING = {}


def processes_of(uid):
    """The process ids of user `uid` on this machine (as seen from /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nUid:\t{uid}\t" in status.read_text():
                found.append(int(status.parent.name))
        except OSError:  # the process ended meanwhile
            continue
    return found


def sandbox_environment():
    """The kernel's environment: a few harmless variables, nothing of the grader's."""
    environment = {name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ}
    environment.update(
        PATH=os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
        HOME=SANDBOX_HOME, TMPDIR="/tmp", MPLCONFIGDIR="/tmp/matplotlib", PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
        MLKIT_GRADING_MODE="probe",  # the checks send what they observe; the grader judges
        **{held_out.IMAGES_VARIABLE: f"{SANDBOX_HOME}/{held_out.IMAGES_FILE_NAME}"},  # there if the course has them
    )
    environment.setdefault("LANG", "C.UTF-8")
    return environment


class SandboxedExecute(ResilientExecute):
    """nbgrader's Execute step (with ResilientExecute's recovery), each kernel in a sandbox.

    `sandboxed=False` (the `--unsafe` flag) runs kernels as nbgrader does,
    unconfined, for an instructor who trusts every submission.
    """

    sandboxed = Bool(True, help="Run each submission's kernel in a bubblewrap sandbox.").tag(config=True)
    judged = Bool(True, help="Decide each test cell in this process from the kernel's records "
                             "(mlkit.grading.judge), not from the kernel's own verdict.").tag(config=True)
    start_ahead = Bool(False, help="Start the next notebook's sandboxed kernel while this one runs "
                                   "(spare_kernels; the class grader's local workers do).").tag(config=True)

    held_out = None  # the private held-out digits of the notebook being run (`held_out`), if any

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.sandboxed:
            self.kernel_manager_class = SandboxedKernelManager

    @default("shutdown_kernel")
    def _shutdown_kernel_default(self):
        # Nothing in a sandbox is worth a graceful shutdown: it is killed, with every process it holds.
        return "immediate" if self.sandboxed else "graceful"

    def create_kernel_manager(self):
        manager = super().create_kernel_manager()
        if self.sandboxed:
            self._give_held_out_images(manager)
        return manager

    def _give_held_out_images(self, manager):
        """Let `manager` copy this notebook's private held-out images into its sandbox (none without)."""
        manager.held_out_images = self.held_out.images_as_npy if self.held_out is not None else b""

    def _spare_kernel_manager(self, resources):
        if not (self.sandboxed and self.start_ahead):
            return None
        manager = spare_kernels.take(self._spare_key())
        if manager is not None:
            self._give_held_out_images(manager)
            manager.receive((resources or {}).get("metadata", {}).get("path") or ".")
        return manager

    def _kernel_ready(self):
        if not (self.sandboxed and self.start_ahead) or spare_kernels.has_spare():
            return
        current = self.km
        manager = self.create_kernel_manager()  # (nbclient keeps it as self.km: put the current one back)
        self.km = current
        spare_kernels.start(self._spare_key(), manager, extra_arguments=self._kernel_arguments(manager))

    def _spare_key(self):
        """What a kernel started ahead must share with this notebook's own."""
        arguments = tuple(a for a in self.extra_arguments if not a.startswith("--HistoryManager.hist_file"))
        return (self.kernel_name or self.nb.metadata.get("kernelspec", {}).get("name"),
                arguments, self.config.get("SandboxedKernelManager"))

    def _kernel_arguments(self, manager):
        """The kernel's arguments, as nbclient's own start of a kernel gives them."""
        arguments = list(self.extra_arguments)
        if getattr(manager, "ipykernel", False) and self.ipython_hist_file and not any(
                argument.startswith("--HistoryManager.hist_file") for argument in arguments):
            arguments.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")
        return arguments

    def preprocess(self, nb, resources=None, km=None):
        self.held_out = self._held_out_digits(resources) if self.sandboxed and self.judged else None
        folder = str(Path((resources or {}).get("metadata", {}).get("path") or ".").resolve())
        LEFT_RUNNING.pop(folder, None)
        nb, resources = super().preprocess(nb, resources, km)
        left_running = LEFT_RUNNING.pop(folder, 0)
        code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
        if left_running and code_cells:  # notes go first: cutting a flooded cell's outputs keeps them
            code_cells[-1].outputs.insert(0, NotebookNode(output_type="stream", name="stdout", text=(
                f"Note: {left_running} processes the notebook started were still running when it ended; "
                "they were killed.\n")))
        for cell in nb.cells:
            size = sum(len(str(output)) for output in cell.get("outputs", []))
            if size > OUTPUT_NOTE_BYTES:
                cell.outputs.insert(0, NotebookNode(output_type="stream", name="stdout", text=(
                    f"Note: this cell printed {size / 2**20:.0f} MB, more output than allowed; it is cut.\n")))
        if self.sandboxed:
            self._note_files_left_out(nb, resources)
        source = self._source_notebook(resources) if self.sandboxed and self.judged else None
        if source is not None:
            from mlkit.grading import judge

            clock = time.perf_counter()
            with held_out.judged_with(self.held_out):
                verdicts = judge.judge_notebook(nb, source)
            self.seconds["judge"] += time.perf_counter() - clock
            unjudged = {grade_id: v.unjudgeable for grade_id, v in verdicts.items() if v.unjudgeable}
            if unjudged:
                self.log.info("Test cells judged in the sandbox only: %s", unjudged)
        return nb, resources

    def _note_files_left_out(self, nb, resources):
        """Tell the student (and the incident check) that importable files handed in beside the
        notebook were left out of the sandbox. The list comes with the notebook (the class grader
        sends it, a Dask worker has no copy of the submission), or from the notebook's folder."""
        from mlkit.grading.integrity import files_handed_in, importable

        handed_in = (resources or {}).get("nbgrader", {}).get("handed_in")
        if handed_in is None:
            handed_in = files_handed_in((resources or {}).get("metadata", {}).get("path") or ".")
        left_out = importable(handed_in)
        first = next((cell for cell in nb.cells if cell.cell_type == "code"
                      and not cell.metadata.get("nbgrader", {}).get("grade")), None)
        if left_out and first is not None:
            first.outputs.insert(0, NotebookNode(output_type="stream", name="stdout", text=(
                f"Note: the files handed in beside the notebook are left out of grading ({', '.join(left_out[:5])}): "
                "the notebook runs without them, so it cannot import them.\n")))

    def _held_out_digits(self, resources):
        """The course's private held-out digits (`held_out`), or None: sent along by the class grader (a
        Dask worker has no course), or read from the course folder."""
        info = (resources or {}).get("nbgrader", {})
        if "held_out" in info:
            return info["held_out"]
        from nbgrader.coursedir import CourseDirectory

        return held_out.private(CourseDirectory(config=self.config).root)

    def _source_notebook(self, resources):
        """The instructor's notebook (solutions/) this submission answers, or None."""
        import nbformat
        from nbgrader.coursedir import CourseDirectory

        info = (resources or {}).get("nbgrader", {})
        if info.get("source_notebook") is not None:  # sent along by the class grader (a Dask worker has no course)
            return info["source_notebook"]
        if not info.get("assignment") or not info.get("notebook"):
            return None
        coursedir = CourseDirectory(config=self.config)
        path = Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"])) / f"{info['notebook']}.ipynb"
        return nbformat.read(path, as_version=4) if path.exists() else None
