"""The project's own files agree with one another.

- constraints.txt (the lock) pins every dependency of pyproject.toml within its ranges,
  and environment.yml (conda), `make lab` and `make test` install from it;
- .ci/run runs the same test command the README gives;
- the README gives exactly two set-up commands: `make lab` and `make test`;
- the Makefile's test target runs pytest with the venv's Python.

Each comparison is a plain function, tested here on the real files and on
deliberately broken copies, so a check that can no longer fail is noticed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
PROJECT_NAME = "mlkit"

SETUP_COMMANDS = ["make lab", "make test"]


def normalize(name: str) -> str:
    """PEP 503 name normalization (case, '-', '_' and '.' are equivalent)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _spec(text: str) -> str:
    return ",".join(sorted(p.strip() for p in text.replace(" ", "").split(",") if p.strip()))


# --------------------------------------------------------------------------
# pyproject.toml


def pyproject_packages(text: str) -> dict[str, str]:
    """{normalized name: version spec} of the runtime dependencies plus every
    extra, with self-references like ``mlkit[course,test]`` expanded."""
    project = tomllib.loads(text)["project"]
    extras = project.get("optional-dependencies", {})
    out: dict[str, str] = {}
    seen: set[str] = set()

    def add(req_text: str) -> None:
        req = Requirement(req_text)
        name = normalize(req.name)
        if name == normalize(project["name"]):
            for extra in req.extras:
                if extra not in seen:
                    seen.add(extra)
                    for r in extras.get(extra, []):
                        add(r)
            return
        spec = _spec(str(req.specifier))
        if name in out and out[name] != spec:
            # Same package listed twice with different bounds: keep both visible.
            spec = _spec(",".join(filter(None, [out[name], spec])))
        out[name] = spec

    for r in project.get("dependencies", []):
        add(r)
    for extra in extras:
        if extra not in seen:
            seen.add(extra)
            for r in extras[extra]:
                add(r)
    return out


def extra_packages(text: str, extra: str) -> set[str]:
    """Normalized names that ``pip install .[extra]`` brings in (beyond the runtime)."""
    project = tomllib.loads(text)["project"]
    extras = project.get("optional-dependencies", {})
    names: set[str] = set()
    todo, seen = [extra], set()
    while todo:
        e = todo.pop()
        if e in seen:
            continue
        seen.add(e)
        for r in extras.get(e, []):
            req = Requirement(r)
            if normalize(req.name) == normalize(project["name"]):
                todo.extend(req.extras)
            else:
                names.add(normalize(req.name))
    return names


# --------------------------------------------------------------------------
# constraints.txt: the lock


def lock_pins(text: str) -> tuple[dict[str, str], list[str]]:
    """({normalized name: exact version}, [problems]) of a constraints file."""
    pins, problems = {}, []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+!\-]+)", line)
        if not match:
            problems.append(f"constraints.txt line {number} is not an exact pin (name==version): {raw!r}")
            continue
        pins[normalize(match.group(1))] = match.group(2)
    return pins, problems


def lock_mismatches(pyproject_text: str, lock_text: str) -> list[str]:
    """Every way the lock and pyproject.toml disagree, in words (fix: `make lock`)."""
    pins, problems = lock_pins(lock_text)
    for name, spec in sorted(pyproject_packages(pyproject_text).items()):
        if name not in pins:
            problems.append(f"{name} is in pyproject.toml but not pinned in constraints.txt: run `make lock`")
        elif pins[name] not in SpecifierSet(spec):
            problems.append(f"{name}=={pins[name]} in constraints.txt does not satisfy pyproject.toml's "
                            f"{spec!r}: run `make lock`")
    project = tomllib.loads(pyproject_text)["project"]
    if normalize(project["name"]) in pins:
        problems.append(f"constraints.txt pins {project['name']} itself: it is installed from this folder")
    # dev must bring in every other extra, since everyone installs .[dev].
    extras = project.get("optional-dependencies", {})
    if "dev" not in extras:
        problems.append("pyproject.toml has no 'dev' extra")
    else:
        dev = extra_packages(pyproject_text, "dev")
        for extra in extras:
            for name in sorted(extra_packages(pyproject_text, extra) - dev):
                problems.append(f"{name} is in extra {extra!r} but not in 'dev'")
    return problems


# --------------------------------------------------------------------------
# environment.yml (a tiny parser: PyYAML may not be installed)


def parse_environment(text: str) -> dict:
    """Return {"name", "channels", "conda": [specs], "pip": [specs]}."""
    result: dict = {"name": None, "channels": [], "conda": [], "pip": []}
    section = None
    pip_indent = None
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        stripped = line.strip()
        if indent == 0:
            pip_indent = None
            key, _, value = stripped.partition(":")
            section = key.strip()
            if section == "name":
                result["name"] = value.strip().strip("'\"")
            continue
        if not stripped.startswith("- "):
            raise ValueError(f"environment.yml: cannot parse line {raw!r}")
        item = stripped[2:].strip().strip("'\"")
        if section == "channels":
            result["channels"].append(item)
        elif section == "dependencies":
            if pip_indent is not None and indent > pip_indent:
                result["pip"].append(item)
            elif item.rstrip() == "pip:":
                pip_indent = indent
            else:
                pip_indent = None
                result["conda"].append(item)
    return result


def conda_spec(item: str) -> tuple[str, str]:
    """'conda-forge::numpy >=2.0' -> ('numpy', '>=2.0')."""
    item = item.split("::", 1)[-1].strip()
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", item)
    if not m:
        raise ValueError(f"environment.yml: cannot parse dependency {item!r}")
    return m.group(1), _spec(m.group(2))


ENVIRONMENT_PIP = ["-c constraints.txt", "-e .[dev]"]


def environment_mismatches(pyproject_text: str, environment_text: str) -> list[str]:
    """How environment.yml strays from the lock: conda gives Python and pip, pip installs the rest."""
    env = parse_environment(environment_text)
    problems = []
    pythons = []
    for item in env["conda"]:
        name, spec = conda_spec(item)
        if normalize(name) == "python":
            pythons.append(spec)
        elif normalize(name) != "pip":
            problems.append(f"environment.yml installs {name} with conda, outside the lock: remove it "
                            "(pip installs it from constraints.txt with the rest of .[dev])")
    if [" ".join(item.split()) for item in env["pip"]] != ENVIRONMENT_PIP:
        problems.append(f"environment.yml's pip: section must be exactly {ENVIRONMENT_PIP}, found {env['pip']}")
    requires = SpecifierSet(tomllib.loads(pyproject_text)["project"].get("requires-python", ""))
    if not pythons:
        problems.append("environment.yml does not pin python")
    for p in pythons:
        version = p.lstrip("=")
        if not re.fullmatch(r"\d+(\.\d+)*\*?", version) or version.rstrip("*") not in requires:
            problems.append(f"environment.yml python {p!r} does not satisfy requires-python {requires}")
    return problems


def test_the_lock_pins_every_dependency_within_pyproject_ranges():
    problems = lock_mismatches((ROOT / "pyproject.toml").read_text(), (ROOT / "constraints.txt").read_text())
    assert not problems, "\n".join(problems)


def test_environment_installs_from_the_lock():
    problems = environment_mismatches((ROOT / "pyproject.toml").read_text(), (ROOT / "environment.yml").read_text())
    assert not problems, "\n".join(problems)


def test_environment_basics():
    env = parse_environment((ROOT / "environment.yml").read_text())
    assert env["name"] == "mlkit-course"
    assert env["channels"] == ["conda-forge"]


def test_pyproject_basics():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    assert project["name"] == PROJECT_NAME
    assert [normalize(Requirement(r).name) for r in project["dependencies"]] == ["numpy", "h5py"]
    assert "3.11" in SpecifierSet(project["requires-python"])
    assert "3.10" not in SpecifierSet(project["requires-python"])
    assert data["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    norecurse = data["tool"]["pytest"]["ini_options"]["norecursedirs"]
    for d in ("submitted", "autograded", "feedback", ".venv"):
        assert d in norecurse


def test_every_way_in_installs_from_the_lock():
    """`make lab`/`make test` (the venv step) and the guide's JupyterHub recipe use -c constraints.txt."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    # -n prints without running; -W pretends pyproject.toml changed, so the install step is shown.
    out = subprocess.run([make, "--no-print-directory", "-n", "-W", "pyproject.toml", "venv"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    installs = [line for line in out.splitlines() if "pip install" in line and "-e" in line]
    assert installs and all("-c constraints.txt" in line for line in installs), out
    guide = (ROOT / "docs" / "instructor_guide.md").read_text()
    hub = guide[guide.index("## Running the course for a class on JupyterHub"):]
    assert "pip install -c constraints.txt -e '.[course]'" in hub


@pytest.fixture
def project_copy(tmp_path):
    for name in ("pyproject.toml", "environment.yml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _lock_mismatches(folder: Path) -> list[str]:
    return lock_mismatches((folder / "pyproject.toml").read_text(), (folder / "constraints.txt").read_text())


def test_lock_check_catches_a_package_added_to_pyproject_only(project_copy):
    path = project_copy / "pyproject.toml"
    text = path.read_text()
    new = re.sub(r'(\ntest = \[)', r'\1\n    "Scipy_Extra>=1.0",', text, count=1)
    assert new != text
    path.write_text(new)
    assert _lock_mismatches(project_copy) == [
        "scipy-extra is in pyproject.toml but not pinned in constraints.txt: run `make lock`"]


def test_lock_check_catches_a_pin_outside_pyproject_range(project_copy):
    path = project_copy / "constraints.txt"
    text = path.read_text()
    new = re.sub(r"(?m)^numpy==.*$", "numpy==1.26.4", text)
    assert new != text
    path.write_text(new)
    problems = _lock_mismatches(project_copy)
    assert problems == ["numpy==1.26.4 in constraints.txt does not satisfy pyproject.toml's '>=2.0': run `make lock`"]


def test_lock_check_catches_a_range_instead_of_a_pin(project_copy):
    path = project_copy / "constraints.txt"
    path.write_text(re.sub(r"(?m)^nbgrader==.*$", "nbgrader>=0.9", path.read_text()))
    problems = _lock_mismatches(project_copy)
    assert any("is not an exact pin" in p and "nbgrader>=0.9" in p for p in problems), problems
    assert "nbgrader is in pyproject.toml but not pinned in constraints.txt: run `make lock`" in problems


def test_lock_check_catches_an_extra_missing_from_dev():
    pyproject = (
        '[project]\nname = "mlkit"\nrequires-python = ">=3.11"\ndependencies = ["numpy>=2.0"]\n'
        '[project.optional-dependencies]\ncourse = ["jupyterlab"]\ntest = ["pytest"]\n'
        'dev = ["mlkit[course]"]\n'
    )
    lock = "numpy==2.1.0\nJupyterLab==4.2.0\npytest==8.0.0\n"
    assert lock_mismatches(pyproject, lock) == ["pytest is in extra 'test' but not in 'dev'"]
    fixed = pyproject.replace('dev = ["mlkit[course]"]', 'dev = ["mlkit[course,test]"]')
    assert lock_mismatches(fixed, lock) == []  # names compare case-insensitively
    assert lock_mismatches(fixed, lock + "mlkit==0.1.0\n") != []


def test_environment_check_catches_conda_packages_and_a_changed_pip_section(project_copy):
    path = project_copy / "environment.yml"
    text = path.read_text()
    pyproject = (project_copy / "pyproject.toml").read_text()
    assert environment_mismatches(pyproject, text) == []
    with_conda_package = text.replace("  - pip:\n", "  - conda-forge::h5py>=3\n  - pip:\n", 1)
    assert environment_mismatches(pyproject, with_conda_package) == [
        "environment.yml installs h5py with conda, outside the lock: remove it "
        "(pip installs it from constraints.txt with the rest of .[dev])"]
    without_lock = text.replace("      - -c constraints.txt\n", "")
    assert any("pip: section must be exactly" in p for p in environment_mismatches(pyproject, without_lock))
    old_python = text.replace("python=3.11", "python=3.10")
    assert environment_mismatches(pyproject, old_python) == [
        "environment.yml python '=3.10' does not satisfy requires-python >=3.11"]


# --------------------------------------------------------------------------
# README, .ci/run, Makefile


def code_blocks(markdown: str) -> list[tuple[str, str]]:
    """[(language, body)] of the fenced code blocks."""
    return re.findall(r"^```([^\n`]*)\n(.*?)^```", markdown, flags=re.M | re.S)


def shell_commands(block: str) -> list[str]:
    out = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(" ".join(line.split()))
    return out


def readme_setup_commands(readme: str) -> list[str]:
    """The commands of the shell block(s) in the README's 'Set up' section."""
    m = re.search(r"^##\s+Set[ -]?up\b.*?$(.*?)(?=^##\s|\Z)", readme, flags=re.M | re.S | re.I)
    if not m:
        raise AssertionError("README has no '## Set up' section")
    commands = []
    for lang, body in code_blocks(m.group(1)):
        if lang.strip() in ("sh", "bash", "shell", "console", ""):
            commands += shell_commands(body)
    return commands


def readme_test_command(readme: str) -> str:
    commands = [c for c in readme_setup_commands(readme) if c.split()[-1] == "test"]
    assert len(commands) == 1, f"README should give one test command, found {commands}"
    return commands[0]


def ci_commands(script: str) -> list[str]:
    """The commands .ci/run executes, without the shebang, comments, `set` and `cd`."""
    out = []
    for line in shell_commands(script):
        if line.startswith(("set ", "cd ")):
            continue
        out.append(line)
    return out


def test_readme_gives_exactly_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    assert readme_setup_commands(readme) == SETUP_COMMANDS
    # No other code block offers another `make` command as a way in.
    for lang, body in code_blocks(readme):
        for cmd in shell_commands(body) if lang.strip() in ("sh", "bash", "shell", "") else []:
            if cmd.startswith("make"):
                assert cmd in SETUP_COMMANDS, f"README code block has an extra command {cmd!r}"


def test_readme_check_fails_on_a_third_command():
    readme = (ROOT / "README.md").read_text()
    broken = readme.replace("make test ", "make test\nmake bench ", 1)
    assert broken != readme
    assert readme_setup_commands(broken) != SETUP_COMMANDS


def test_ci_runs_the_readme_test_command():
    script_path = ROOT / ".ci" / "run"
    script = script_path.read_text()
    assert script.startswith("#!/usr/bin/env bash") or script.startswith("#!/bin/bash")
    assert "set -euo pipefail" in script
    assert os.access(script_path, os.X_OK), ".ci/run must be executable"
    readme = (ROOT / "README.md").read_text()
    assert ci_commands(script) == [readme_test_command(readme)]


def test_ci_check_fails_when_ci_runs_something_else():
    readme = (ROOT / "README.md").read_text()
    script = "#!/usr/bin/env bash\nset -euo pipefail\ncd x\npytest -q\n"
    assert ci_commands(script) != [readme_test_command(readme)]


def makefile_rule(makefile: str, target: str) -> tuple[list[str], list[str]]:
    """(prerequisites, recipe lines) of `target` in a Makefile."""
    lines = makefile.splitlines()
    for i, line in enumerate(lines):
        m = re.match(rf"^{re.escape(target)}\s*:(?!=)(.*)$", line)
        if m:
            prereqs = m.group(1).split("#", 1)[0].split()
            recipe = []
            for body in lines[i + 1:]:
                if body.startswith("\t"):
                    recipe.append(body[1:])
                elif body.strip() and not body.lstrip().startswith("#"):
                    break
            return prereqs, recipe
    raise AssertionError(f"Makefile has no {target!r} rule")


def test_makefile_test_target_uses_the_venv_python():
    makefile = (ROOT / "Makefile").read_text()
    prereqs, recipe = makefile_rule(makefile, "test")
    assert "venv" in prereqs, "make test must install the venv first"
    assert any("pytest" in line for line in recipe)
    for target in ("venv", "lab", "bench", "clean"):
        makefile_rule(makefile, target)

    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed: checked the Makefile's text only")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    # -n prints without running; -o venv leaves the install step out.
    out = subprocess.run(
        [make, "--no-print-directory", "-n", "-o", "venv", "test"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout
    commands = [line for line in out.splitlines() if "pytest" in line]
    assert len(commands) == 1, out
    command = commands[0]
    assert re.search(r"""["']?\.venv/bin/python["']? -m pytest""", command), command
    # nbgrader runs `alembic` by name: the venv's bin/ must be on PATH.
    assert re.search(r"""PATH=["']?[^ ]*/\.venv/bin:""", command), command


# --------------------------------------------------------------------------
# student and instructor mode

STUDENT_SETTINGS = ROOT / "jupyter" / "student"
INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:menu"]


def disabled_lab_extensions(config_path: str) -> list[str]:
    """What `jupyter labextension list` reports disabled with this Jupyter config path."""
    env = {**os.environ, "JUPYTER_CONFIG_PATH": config_path}
    home = Path(os.environ.get("TMPDIR", "/tmp"))
    env["JUPYTER_CONFIG_DIR"] = str(home / "mlkit-no-user-jupyter-settings")  # the user's own never apply
    out = subprocess.run([sys.executable, "-m", "jupyterlab.labextensions", "list"], env=env,
                         capture_output=True, text=True, check=True)
    text = out.stdout + out.stderr
    if "Disabled extensions:" not in text:
        return []
    return sorted(line.strip() for line in text.split("Disabled extensions:")[1].splitlines()
                  if line.strip().startswith("@"))


def test_student_mode_turns_off_nbgrader_instructor_tools_and_only_those():
    pytest.importorskip("jupyterlab")
    assert disabled_lab_extensions(str(STUDENT_SETTINGS)) == INSTRUCTOR_PLUGINS
    assert disabled_lab_extensions("") == []  # instructor mode: everything on
    server = json.loads((STUDENT_SETTINGS / "jupyter_server_config.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"] == {
        "nbgrader.server_extensions.formgrader": False, "nbgrader.server_extensions.course_list": False}


def test_make_lab_is_student_mode_and_instructor_lab_is_not():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "JUPYTER_CONFIG_PATH")}

    def command(target):
        out = subprocess.run([make, "--no-print-directory", "-n", "-o", "venv", target], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout
        return next(line for line in out.replace("\\\n", " ").splitlines() if " lab " in line)

    student, instructor = command("lab"), command("instructor-lab")
    assert f'JUPYTER_CONFIG_PATH="{STUDENT_SETTINGS}' in student and "--ServerApp.root_dir=course" in student
    assert "JUPYTER_CONFIG_PATH" not in instructor and "--ServerApp.root_dir=." in instructor
