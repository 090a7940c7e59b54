"""`spare_kernels`: the next notebook's sandboxed kernel, started while this one runs.

Starting a sandboxed kernel takes a second or two before the first cell can
run: bubblewrap, Python, IPython, then NumPy, matplotlib and mlkit imported
(`sandbox.PRELOADED`). A worker grades one notebook after another, so it
need not wait: as soon as a notebook's kernel answers, the worker starts a
spare kernel, which boots while the notebook runs, and the next notebook
takes it.

A spare is a fresh sandbox whose home folder is empty; the notebook is
copied in when it is taken (`SandboxedKernelManager.receive`), so nothing of
one submission is ever in another's kernel. Each worker thread keeps at most
one spare, kept only for a notebook whose kernel would be started the same
way (`key`); `stop_all()` ends the spares left when the class is graded.

    manager = spare_kernels.take(key)          # a started kernel, or None
    spare_kernels.start(key, new_manager, extra_arguments=[...])
    spare_kernels.stop_all()
"""

import threading

from jupyter_core.utils import run_sync

_spares = {}  # worker thread id -> (key, kernel manager)
_lock = threading.Lock()


def take(key):
    """This thread's spare kernel manager (its kernel started) if it was started for `key`;
    else None (a spare for another key is stopped)."""
    with _lock:
        entry = _spares.pop(threading.get_ident(), None)
    if entry is None:
        return None
    spare_key, manager = entry
    if spare_key == key and run_sync(manager.is_alive)():
        return manager
    stop(manager)
    return None


def has_spare():
    with _lock:
        return threading.get_ident() in _spares


def start(key, manager, **options):
    """Start `manager`'s kernel (`options` go to `start_kernel`) and keep it as this thread's spare."""
    run_sync(manager.start_kernel)(**options)
    with _lock:
        previous = _spares.pop(threading.get_ident(), None)
        _spares[threading.get_ident()] = (key, manager)
    if previous is not None:
        stop(previous[1])


def stop(manager):
    """Kill a kernel at once (a spare has run nothing of a student's) and remove its sandbox."""
    try:
        run_sync(manager.shutdown_kernel)(now=True)
    except Exception:  # already gone: nothing left to stop
        pass


def stop_all():
    """Stop every spare kernel of this process (at the end of a class, or on Ctrl-C)."""
    with _lock:
        managers = [manager for _, manager in _spares.values()]
        _spares.clear()
    for manager in managers:
        stop(manager)
