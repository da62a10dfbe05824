"""The seccomp filter every sandboxed process runs under, compiled to a BPF program for ``bwrap --seccomp``.

Default allow, and ``EPERM`` for what generated code never needs and an escape would: ``socket()`` of
every family (and ``connect``/``bind``/``listen``/``accept``, so no socket from anywhere reaches
anything), ``io_uring`` (which can open sockets without ``socket()``), ``ptrace`` and cross-process
memory access, namespaces and mounts, keyrings, BPF, perf, kernel modules, ``userfaultfd``. Calls of
another ABI (x32, i386) are refused by libseccomp's architecture check. ``socketpair(AF_UNIX)`` stays:
an unnamed connected pair reaches nothing but itself, and asyncio needs one.
"""

from __future__ import annotations

import errno
import os
from typing import Any

__all__ = ["DENIED_SYSCALLS", "SeccompUnavailable", "bpf_program", "load_in_process"]

DENIED_SYSCALLS = (
    "socket", "connect", "bind", "listen", "accept", "accept4", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "name_to_handle_at", "open_by_handle_at", "keyctl",
    "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "init_module", "finit_module",
    "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "quotactl",
    "syslog", "iopl", "ioperm", "settimeofday", "clock_settime", "adjtimex", "personality", "clone3",
)
"""Refused with EPERM (``clone3`` with ENOSYS, so libc falls back to ``clone``, whose flags are checked)."""



class SeccompUnavailable(RuntimeError):
    """pyseccomp or the system libseccomp is missing."""


def _filter() -> Any:
    try:
        import pyseccomp as sc
    except (ImportError, OSError) as exc:  # pyseccomp loads libseccomp.so.2 at import
        raise SeccompUnavailable(f"seccomp is unavailable: {exc}") from exc
    flt = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED_SYSCALLS:
        code = errno.ENOSYS if name == "clone3" else errno.EPERM
        try:
            flt.add_rule(sc.ERRNO(code), name)
        except (RuntimeError, OSError, ValueError):
            continue  # not a syscall on this architecture
    # clone() with any CLONE_NEW* flag (mount, cgroup, uts, ipc, user, pid, net namespaces)
    for bit in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000):
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, bit, bit))
    flt.add_rule(sc.ERRNO(errno.EPERM), "socketpair", sc.Arg(0, sc.NE, 1))  # only AF_UNIX pairs
    # TIOCSTI / TIOCLINUX would push input into a terminal the sandbox shares.
    flt.add_rule(sc.ERRNO(errno.EPERM), "ioctl", sc.Arg(1, sc.EQ, 0x5412))
    flt.add_rule(sc.ERRNO(errno.EPERM), "ioctl", sc.Arg(1, sc.EQ, 0x541C))
    return flt


def bpf_program() -> bytes:
    """The filter as a BPF program (what ``bwrap --seccomp FD`` reads)."""
    flt = _filter()
    fd = os.memfd_create("agentflow-seccomp", 0)
    try:
        with os.fdopen(os.dup(fd), "wb") as fh:
            flt.export_bpf(fh)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_in_process() -> None:
    """Load the filter into the calling process (the weaker mode's pre-exec hook; sets no_new_privs)."""
    _filter().load()
