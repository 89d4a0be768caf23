"""Root only, POSIX only: the system user the embedded PostgreSQL runs as when the app runs as root.

PostgreSQL refuses to run as root. When the app itself runs as root (a CI container, a kiosk
account), every server command runs as the unprivileged system user ``stock-tracker-pg``
(created with ``useradd`` if missing), which owns the data dir. Everywhere else — an ordinary
user on Linux or macOS, and always on Windows, which has no root and no ``useradd`` — this is a
no-op: the server runs as the app's own user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from desktop_app.errors import StockTrackerError

SYSTEM_USER = "stock-tracker-pg"


class ServerUserError(StockTrackerError):
    """Running as root, the system user for PostgreSQL is missing and could not be created."""


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


class ServerUser:
    """Privilege drop for the server's subprocesses; every method is a no-op unless root."""

    def __init__(self) -> None:
        self.active = running_as_root()
        self._ids: tuple[int, int] | None = None

    def _uid_gid(self) -> tuple[int, int]:
        if self._ids is None:
            import pwd  # POSIX only: imported on the root path alone

            try:
                entry = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                self._create()
                entry = pwd.getpwnam(SYSTEM_USER)
            self._ids = (entry.pw_uid, entry.pw_gid)
        return self._ids

    @staticmethod
    def _create() -> None:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"  # sbin may be off a root PATH
        try:
            subprocess.run(
                [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                check=True, capture_output=True, text=True, timeout=60,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", None) or exc
            raise ServerUserError(
                f"running as root, the embedded PostgreSQL runs as the system user {SYSTEM_USER}, "
                f"which could not be created ({str(detail).strip()}); create it with "
                f"'useradd --system {SYSTEM_USER}' or run the app as an ordinary user"
            ) from exc

    def subprocess_kwargs(self) -> dict[str, Any]:
        """``subprocess.run`` keyword arguments that run a server command as the system user."""
        if not self.active:
            return {}
        uid, gid = self._uid_gid()
        return {"user": uid, "group": gid, "extra_groups": []}

    def give(self, path: Path) -> None:
        """Let the system user own ``path`` (a data dir, a config file it must read)."""
        if self.active:
            uid, gid = self._uid_gid()
            os.chown(path, uid, gid)

    def make_traversable(self, path: Path) -> None:
        """Let the system user enter every parent of ``path`` (``o+x``: enter, not list).

        A private parent (``/root``, a 0700 ``mktemp -d`` holding a virtualenv or the data dir)
        would otherwise stop ``initdb`` with "permission denied".
        """
        if not self.active:
            return
        for parent in path.absolute().parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
