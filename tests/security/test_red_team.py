"""The red team: a class of attackers graded by the real pipeline, in one autograde run.

The assignment has two exercises: `double` (1 point) and a `Scale` layer
(2 points). Every attacker hands in `double` solved and `Scale` unfinished
or wrong, which is worth 1 point, plus one attack: patching the grading
code, NumPy, builtins or IPython; lying objects; reading the solutions or
the gradebook; writing the gradebook, the package or another student's
files; files handed in to be imported; detached children, a fork bomb,
memory and output floods, an endless loop; code that detects the grader.

Each attack must gain nothing (the attacker scores what the same
submission scores without the attack), the honest students beside them
keep their grades and files, nobody's submission is lost, the gradebook
passes its integrity check, and the summary names every attacker.
"""

import re
from pathlib import Path

import nbformat
import pytest

from mlkit.grading import sandbox
from mlkit.grading.authoring import graded_cell, markdown_cell, notebook, setup_cell, solution_cell
from mlkit.grading.instructor import GradingError

from .conftest import course_helpers

pytestmark = [pytest.mark.usefixtures("sandbox_available"),
              pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning")]

ASSIGNMENT, NOTEBOOK = "guarded", "guarded.ipynb"
CELL_TIMEOUT = 10   # seconds per cell (nbgrader's Execute.timeout)
TIME_LIMIT = "5"    # seconds per block of checks (MLKIT_GRADING_TIME_LIMIT)

DOUBLE = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
SCALE = ("class Scale(layers.Layer):\n"
         "    def build(self, input_shape):\n"
         "        ### BEGIN SOLUTION\n"
         "        self.scale = self.add_weight(shape=(input_shape[-1],), initializer='ones', name='scale')\n"
         "        ### END SOLUTION\n\n"
         "    def call(self, inputs):\n"
         "        ### BEGIN SOLUTION\n"
         "        return inputs * self.scale\n"
         "        ### END SOLUTION")
DOUBLE_TEST = ('from mlkit import grading\n\nwith grading.exercise("double"):\n'
               '    grading.check_equal(double(3), 6, "double(3)")\n### BEGIN HIDDEN TESTS\n'
               'with grading.exercise("double of a negative number"):\n'
               '    grading.check_equal(double(-4), -8, "double(-4)")\n### END HIDDEN TESTS')
SCALE_TEST = ('import numpy as np\nfrom mlkit import grading\n\n'
              'with grading.exercise("Scale builds lazily"):\n'
              '    grading.check_builds_lazily(lambda: Scale(), input_shape=(2, 3))\n'
              '    grading.check_weights(Scale(), input_shape=(2, 3), expected=[("scale", (3,), True)])\n'
              'with grading.exercise("Scale multiplies by its weight"):\n'
              '    grading.check_layer_output(lambda: Scale(), inputs=np.linspace(-1, 1, 6).reshape(2, 3),\n'
              '                               expected=lambda x, w: x * w["scale"])\n'
              '### BEGIN HIDDEN TESTS\n'
              'with grading.exercise("Scale multiplies any input"):\n'
              '    grading.check_layer_output(lambda: Scale(), inputs=np.random.default_rng(5).normal(size=(3, 4)),\n'
              '                               expected=lambda x, w: x * w["scale"])\n'
              '### END HIDDEN TESTS')

SOLVED_DOUBLE = "def double(x):\n    return 2 * x"
SOLVED_SCALE = re.sub(r" *### (BEGIN|END) SOLUTION\n", "", SCALE)
# Weights right, but call() forgets them: fails the output checks.
WRONG_SCALE = SOLVED_SCALE.replace("return inputs * self.scale", "return inputs")


def source_notebook():
    return notebook([
        markdown_cell("# Guarded"),
        setup_cell("import numpy as np\nfrom mlkit import grading, layers, ops"),
        solution_cell("ex1_double", DOUBLE),
        graded_cell("ex1_test", 1, DOUBLE_TEST),
        solution_cell("ex2_scale", SCALE),
        graded_cell("ex2_test", 2, SCALE_TEST),
    ])


WRONG = "wrong"      # the attack comes with WRONG_SCALE
STUB = "stub"        # the attack comes with the released stub of Scale
LIAR_EQ = ("class _Liar:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n"
           "class Scale(layers.Layer):\n    def build(self, input_shape):\n"
           "        self.scale = self.add_weight(shape=(input_shape[-1],), initializer='ones', name='scale')\n"
           "    def call(self, inputs):\n        return _Liar()\n")
LIAR_NDARRAY = ("import numpy as np\nclass _Always(np.ndarray):\n"
                "    def __array_ufunc__(self, *args, **kwargs):\n        return np.True_\n"
                "    def __eq__(self, other):\n        return True\n"
                "class Scale(layers.Layer):\n    def build(self, input_shape):\n"
                "        self.scale = self.add_weight(shape=(input_shape[-1],), initializer='ones', name='scale')\n"
                "    def call(self, inputs):\n        return np.zeros((2, 3)).view(_Always)\n")

# name -> (attack code run at the top of the Scale cell, which Scale comes with, files handed in beside it)
ATTACKS = {
    # -- the grading code, patched in the kernel
    "exercise_suppresses_errors": ("import contextlib\ngrading.exercise = lambda *a, **k: contextlib.suppress(BaseException)\n", STUB, {}),
    "exercise_exit_returns_true": ("import sys\nsys.modules['mlkit.grading.exercise'].Exercise.__exit__ = lambda self, *a: True\n",
                                   WRONG, {}),
    "every_check_a_no_op": ("import mlkit.grading as _g\nfor _n in dir(_g):\n    if _n.startswith('check'):\n"
                            "        setattr(_g, _n, lambda *a, **k: None)\n", WRONG, {}),
    "check_modules_no_ops": ("import sys\nfor _m in [m for m in list(sys.modules) if m.startswith('mlkit.grading')]:\n"
                             "    for _n in dir(sys.modules[_m]):\n        if _n.startswith('check'):\n"
                             "            setattr(sys.modules[_m], _n, lambda *a, **k: None)\n", WRONG, {}),
    "grading_module_swapped": ("import sys, types, contextlib, mlkit\n_fake = types.ModuleType('mlkit.grading')\n"
                               "_fake.exercise = lambda *a, **k: contextlib.suppress(BaseException)\n"
                               "_fake.__getattr__ = lambda name: (lambda *a, **k: None)\n"
                               "sys.modules['mlkit.grading'] = _fake\nmlkit.grading = _fake\n", STUB, {}),
    "check_code_objects_replaced": ("from mlkit.grading import checks as _c, layer_building as _b, layer_computation as _l\n"
                                    "for _f in (_c.check_equal, _c.check_close, _b.check_builds_lazily, _b.check_weights,\n"
                                    "           _l.check_layer_output):\n    _f.__code__ = (lambda *a, **k: None).__code__\n",
                                    WRONG, {}),
    "failure_explanations_neutered": ("import sys\n_e = sys.modules['mlkit.grading.exercise']\n"
                                      "_e.current_explanation = lambda *a, **k: None\n_e.explain = lambda *a, **k: None\n", STUB, {}),
    "probing_switched_off": ("from mlkit.grading import probe_channel as _p\n_p.state.mode = 'local'\n", WRONG, {}),
    "records_rewritten_to_pass": ("from mlkit.grading import probe_channel as _p\n_send = _p.emit\n"
                                  "_p.emit = lambda r: _send(dict(r, failure=None, error=None))\n", STUB, {}),
    "records_encoded_as_expected": ("from mlkit.grading import probe_channel as _p\n"
                                    "_p.encode = lambda value, depth=0: [] if isinstance(value, list) else value\n", WRONG, {}),
    "records_duplicated": ("from mlkit.grading import probe_channel as _p\n_send = _p.emit\n"
                           "_p.emit = lambda r: (_send(r), _send(r))\n", WRONG, {}),
    "records_forged_after_each_cell": ("from IPython.display import publish_display_data\n"
                                       "from mlkit.grading import probe_channel as _p\n"
                                       "get_ipython().events.register('post_run_cell', lambda result: publish_display_data(\n"
                                       "    {_p.RECORD_TYPE: {'kind': 'end', 'title': 'Scale builds lazily', 'failure': None}}))\n",
                                       WRONG, {}),
    "kernel_exits_in_the_tests": ("import os\ngrading.exercise = lambda *a, **k: os._exit(0)\n", STUB, {}),
    # -- NumPy and builtins
    "numpy_module_swapped": ("import sys, types\n_fake = types.ModuleType('numpy')\n_fake.__getattr__ = lambda name: "
                             "(lambda *a, **k: True)\nsys.modules['numpy'] = _fake\n", WRONG, {}),
    "numpy_comparisons_always_true": ("np.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"
                                      "np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)\n", WRONG, {}),
    "numpy_asarray_patched": ("_asarray = np.asarray\nnp.asarray = lambda *a, **k: _asarray(6)\n", WRONG, {}),
    "builtins_isinstance_and_len": ("import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda *a: 0\n", WRONG, {}),
    "builtins_print_fakes_ticks": ("import builtins\n_print = builtins.print\n"
                                   "builtins.print = lambda *a, **k: _print('✓ Scale builds lazily')\n", STUB, {}),
    "builtins_import_hook": ("import builtins, contextlib\n_import = builtins.__import__\n"
                             "def _hooked(name, *a, **k):\n    module = _import(name, *a, **k)\n"
                             "    if name.startswith('mlkit'):\n        import mlkit.grading\n"
                             "        mlkit.grading.exercise = lambda *x, **y: contextlib.suppress(BaseException)\n"
                             "    return module\nbuiltins.__import__ = _hooked\n", STUB, {}),
    # -- IPython
    "ipython_blanks_test_cells": ("get_ipython().input_transformers_cleanup.append(\n"
                                  "    lambda lines: [] if any('grading.exercise' in l for l in lines) else lines)\n", STUB, {}),
    "ipython_ast_drops_with_blocks": ("import ast\nclass _Strip(ast.NodeTransformer):\n"
                                      "    def visit_With(self, node):\n        return ast.Pass()\n"
                                      "get_ipython().ast_transformers.append(_Strip())\n", STUB, {}),
    "ipython_custom_exception_handler": ("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n", STUB, {}),
    "ipython_tracebacks_hidden": ("_ip = get_ipython()\n_ip.showtraceback = lambda *a, **k: None\n"
                                  "_ip._showtraceback = lambda *a, **k: None\n", STUB, {}),
    # -- objects that lie
    "output_whose_eq_is_always_true": ("", LIAR_EQ, {}),
    "ndarray_subclass_whose_ufuncs_lie": ("", LIAR_NDARRAY, {}),
    # -- reading the course, writing what is not theirs
    "reads_and_runs_the_solution": ("import glob, json\n"
                                    "for _path in glob.glob('../../../solutions/*/*.ipynb') + glob.glob('/work/**/solutions/*/*.ipynb', recursive=True):\n"
                                    "    for _cell in json.load(open(_path))['cells']:\n"
                                    "        if 'class Scale' in ''.join(_cell['source']):\n"
                                    "            exec(''.join(_cell['source']))\n"
                                    "print(sorted(__import__('os').listdir('../../..')))\n", STUB, {}),
    "reads_the_gradebook": ("import sqlite3\nprint(sqlite3.connect('../../../.nbgrader/gradebook.db').execute("
                            "'SELECT id FROM student').fetchall())\n", STUB, {}),
    "writes_the_gradebook": ("import sqlite3\n_db = sqlite3.connect('../../../.nbgrader/gradebook.db')\n"
                             "_db.execute('CREATE TABLE stolen (x)')\n_db.execute(\"INSERT INTO student (id) VALUES ('ghost')\")\n"
                             "_db.commit()\n", STUB, {}),
    "overwrites_another_students_work": ("open('../../../autograded/victim/guarded/guarded.ipynb', 'w').write('{}')\n", STUB, {}),
    "edits_the_installed_grading_code": ("import mlkit.grading.checks as _c\n"
                                         "open(_c.__file__, 'a').write('\\ncheck_equal = lambda *a, **k: None\\n')\n", STUB, {}),
    "plants_a_sitecustomize": ("import os, site\nopen(os.path.join(site.getsitepackages()[0], 'sitecustomize.py'), 'w')"
                               ".write('import mlkit')\n", STUB, {}),
    # -- files handed in beside the notebook
    "hands_in_a_numpy": ("", WRONG, {"numpy/__init__.py": "allclose = lambda *a, **k: True\n"}),
    "hands_in_an_mlkit": ("", STUB, {"mlkit/__init__.py": "raise SystemExit\n",
                                     "mlkit/grading.py": "exercise = None\n"}),
    "hands_in_a_sitecustomize": ("", STUB, {"sitecustomize.py": "import builtins\nbuiltins.isinstance = lambda *a: True\n"}),
    # -- processes, limits and floods
    "detached_child_outlives_the_kernel": ("import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 600'], start_new_session=True)\n",
                                           STUB, {}),
    "fork_bomb": ("import os, time\n_children = 0\nwhile True:\n    _pid = os.fork()\n    if _pid == 0:\n"
                  "        time.sleep(20)\n        os._exit(0)\n    _children += 1\n", STUB, {}),
    "memory_flood": ("_blocks = []\nwhile True:\n    _blocks.append(bytearray(256 * 2**20))\n", STUB, {}),
    "output_flood": ("import sys\nfor _ in range(12):\n    sys.stdout.write('x' * 2**20)\n", STUB, {}),
    "endless_loop": ("while True:\n    pass\n", STUB, {}),
    "kills_its_parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", STUB, {}),
    "double_fork_daemon": ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                           "        time.sleep(600)\n    os._exit(0)\n",
                           STUB, {}),
    "kills_every_process_it_can": ("import os, signal\nos.kill(-1, signal.SIGKILL)\n", STUB, {}),
    "network_exfiltration": ("import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=2)\n", STUB, {}),
    # -- detecting the grader
    "cheats_only_when_graded": ("import os, socket, contextlib\n"
                                "if os.environ.get('NBGRADER_EXECUTION') or os.environ.get('MLKIT_GRADING_MODE') "
                                "or socket.gethostname() == 'sandbox':\n"
                                "    from mlkit.grading import probe_channel as _p\n    _p.state.mode = 'local'\n"
                                "    grading.exercise = lambda *a, **k: contextlib.suppress(BaseException)\n", WRONG, {}),
}

# Attacks that leave no trace to name: a read of paths the sandbox does not have (nothing
# found, no error), and an ndarray subclass whose lie is gone once the values become plain
# arrays. They gain nothing (tested like every attack); the summary cannot name them.
SILENT = {"reads_and_runs_the_solution", "ndarray_subclass_whose_ufuncs_lie"}

HONEST = {
    "victim": {"ex1_double": SOLVED_DOUBLE, "ex2_scale": SOLVED_SCALE},          # 3 points
    "baseline_stub": {"ex1_double": SOLVED_DOUBLE},                                # 1 point
    "baseline_wrong": {"ex1_double": SOLVED_DOUBLE, "ex2_scale": WRONG_SCALE},   # 1 point
}
BASELINE = {"ex1_test": 1.0, "ex2_test": 0.0}


def attacker_answers(attack):
    code, scale, _ = ATTACKS[attack]
    body = {STUB: None, WRONG: WRONG_SCALE}.get(scale, scale)
    return code, body


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    helpers = course_helpers()
    root = tmp_path_factory.mktemp("red_team_course")
    course = helpers.CourseFolder(helpers.copy_course(root, assignments=[]), Execute__timeout=CELL_TIMEOUT)
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "solutions" / ASSIGNMENT / NOTEBOOK)
    course.release([ASSIGNMENT])

    def submit(student, answers, prefix="", files=None):
        book = course.student_notebook(ASSIGNMENT, NOTEBOOK)
        for cell in book.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers and answers[grade_id] is not None:
                cell.source = answers[grade_id]
            if grade_id == "ex2_scale":
                cell.source = prefix + cell.source
        course.submit(student, ASSIGNMENT, NOTEBOOK, book)
        for name, text in (files or {}).items():
            path = root / "submitted" / student / ASSIGNMENT / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    for student, answers in HONEST.items():
        submit(student, answers)
    for attack in ATTACKS:
        code, body = attacker_answers(attack)
        submit(attack, {"ex1_double": SOLVED_DOUBLE, "ex2_scale": body}, prefix=code, files=ATTACKS[attack][2])
    submitted = {p.relative_to(root): p.read_bytes() for p in (root / "submitted").rglob("*") if p.is_file()}
    course.sandbox_folders = []
    make_folder = sandbox.tempfile.mkdtemp

    def recorded_folder(*args, **kwargs):
        course.sandbox_folders.append(make_folder(*args, **kwargs))
        return course.sandbox_folders[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLKIT_GRADING_TIME_LIMIT", TIME_LIMIT)
        patch.setattr(sandbox.tempfile, "mkdtemp", recorded_folder)
        try:
            course.results, course.integrity_error = course.autograde([ASSIGNMENT]), None
        except GradingError as error:  # raised after every submission was graded and recorded
            course.results, course.integrity_error = None, error
    course.submitted_before = submitted
    course.feedback([ASSIGNMENT])
    return course


def scores(course, student):
    return {grade_id: score for grade_id, (score, _) in course.scores(student, ASSIGNMENT, NOTEBOOK).items()}


def test_there_are_forty_attacks_or_more():
    assert len(ATTACKS) >= 40


def test_honest_students_get_exactly_their_points_and_are_not_named(graded_class):
    assert scores(graded_class, "victim") == {"ex1_test": 1.0, "ex2_test": 2.0}
    assert scores(graded_class, "baseline_stub") == BASELINE
    assert scores(graded_class, "baseline_wrong") == BASELINE
    assert {student: graded_class.results[ASSIGNMENT, student].incidents for student in HONEST} == {
        student: [] for student in HONEST}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_attack_gains_nothing(graded_class, attack):
    got = scores(graded_class, attack)
    assert got["ex2_test"] == 0.0, graded_class.autograded(attack, ASSIGNMENT, NOTEBOOK).cells[-1].outputs
    assert sum(got.values()) <= sum(BASELINE.values())


@pytest.mark.parametrize("attack", sorted(set(ATTACKS) - SILENT))
def test_the_summary_names_the_attacker(graded_class, attack):
    outputs = [cell.get("outputs") for cell in graded_class.autograded(attack, ASSIGNMENT, NOTEBOOK).cells
               if cell.cell_type == "code"]
    assert graded_class.results[ASSIGNMENT, attack].incidents, f"not named; the graded cells' outputs: {outputs}"


def test_no_submission_is_lost_and_none_changed(graded_class):
    everyone = set(HONEST) | set(ATTACKS)
    assert {student for (_, student) in graded_class.results} == everyone
    assert all(outcome.graded for outcome in graded_class.results.values())
    for student in everyone:
        assert graded_class.autograded(student, ASSIGNMENT, NOTEBOOK).cells
        assert "double" in graded_class.feedback_html(student, ASSIGNMENT, NOTEBOOK)
    root = graded_class.root
    now = {p.relative_to(root): p.read_bytes() for p in (root / "submitted").rglob("*") if p.is_file()}
    assert now == graded_class.submitted_before


def test_the_victims_graded_notebook_and_feedback_are_intact(graded_class):
    book = graded_class.autograded("victim", ASSIGNMENT, NOTEBOOK)
    text = " ".join("".join(o.get("text", "")) for c in book.cells for o in c.get("outputs", []))
    assert "✓ Scale multiplies any input" in text
    assert "✓ Scale multiplies any input" in graded_class.feedback_html("victim", ASSIGNMENT, NOTEBOOK)


def test_the_gradebook_passes_its_integrity_check(graded_class):
    assert graded_class.integrity_error is None


def test_nothing_was_written_outside_the_sandboxes(graded_class):
    import site

    from mlkit.grading import checks

    assert "check_equal = lambda" not in open(checks.__file__).read()
    assert not any((Path(folder) / "sitecustomize.py").exists() for folder in site.getsitepackages())
    assert len(graded_class.sandbox_folders) >= len(ATTACKS)
    assert not [folder for folder in graded_class.sandbox_folders if Path(folder).exists()]
