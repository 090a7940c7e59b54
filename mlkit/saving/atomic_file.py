"""`AtomicFile`: write a file so that readers see the old one or the new one, never half.

The bytes go to a temporary file beside the target, which replaces the
target in one rename once it is complete. A crash or a kill mid-save leaves
the previous file intact; the temporary file it leaves behind is removed by
the next save into the same folder. The new file gets the permissions the
umask gives (as `open()` would), not the private mode of a temporary file.

    >>> import os, tempfile
    >>> from mlkit.saving import AtomicFile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with AtomicFile(path) as handle:
    ...     _ = handle.write(b"all or nothing")
    >>> open(path, "rb").read()
    b'all or nothing'
"""

import glob
import os
import tempfile
import time

PREFIX = ".saving-"
SUFFIX = ".tmp"
# A leftover older than this was abandoned: no save runs that long.
STALE_AFTER_SECONDS = 60 * 60


class AtomicFile:
    def __init__(self, path, overwrite=True):
        self.path = os.fspath(path)
        if os.path.lexists(self.path) and not overwrite:
            raise FileExistsError(f"{self.path} already exists; pass overwrite=True to replace it.")
        self.directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(self.directory, exist_ok=True)
        remove_leftovers(self.directory, os.path.basename(self.path))
        handle, self.temporary = tempfile.mkstemp(prefix=self._prefix(), suffix=SUFFIX, dir=self.directory)
        os.chmod(self.temporary, 0o666 & ~current_umask())
        self.file = os.fdopen(handle, "wb")

    def _prefix(self):
        return f"{PREFIX}{os.path.basename(self.path)}-{os.getpid()}-"

    def __enter__(self):
        return self.file

    def __exit__(self, error_type, error, traceback):
        try:
            if error_type is None:
                self.file.flush()
                os.fsync(self.file.fileno())
        finally:
            self.file.close()
            if error_type is None:
                os.replace(self.temporary, self.path)
            elif os.path.exists(self.temporary):
                os.unlink(self.temporary)
        return False


def remove_leftovers(directory, name):
    """Delete the temporary files an interrupted save of `name` left in `directory`.

    A temporary file's name carries the id of the process writing it: it is a
    leftover once that process is gone (or, for a writer on another machine
    sharing the folder, once it is an hour old). Other files are never touched.
    """
    pattern = os.path.join(glob.escape(directory), glob.escape(f"{PREFIX}{name}-") + "*" + SUFFIX)
    now = time.time()
    for leftover in glob.glob(pattern):
        writer = os.path.basename(leftover)[len(f"{PREFIX}{name}-"):].split("-", 1)[0]
        try:
            if not _process_alive(writer) or now - os.lstat(leftover).st_mtime > STALE_AFTER_SECONDS:
                os.unlink(leftover)
        except FileNotFoundError:
            pass


def _process_alive(process_id):
    if not process_id.isdigit():
        return False
    try:
        os.kill(int(process_id), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by another user
    return True


def current_umask():
    """The process's umask: from /proc on Linux, else by setting it and putting it back."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)  # elsewhere: briefly changed, which a concurrent thread could notice
    os.umask(mask)
    return mask
