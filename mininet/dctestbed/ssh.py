"""Hosts reached with OpenSSH's own client.

SshHost offers what the experiments use of a Mininet host, name, IP(),
cmd() and popen(), so they run unchanged on real machines.  Everything
goes through `ssh` with the inventory's connection settings.  Short
commands and file copies go to one shell per host kept open (Shell), as
Mininet keeps one per namespace: in the virtual-time guest each new SSH
session, multiplexed (ControlMaster) or not, cost about 1.7 s of wall
time.  Programs that run alongside (servers, traffic, the monitor) get a
session each (popen).

Every program a run starts carries DCTESTBED_RUN=<run id>:<host>.<n> in its
environment.  Killing one (RemoteProcess.kill) or everything of a run
(SshHost.kill_run) finds the processes by that variable in
/proc/PID/environ, children included, so nothing a run started outlives
it on any host, even when the run was interrupted or the control
machine's ssh clients died first.
"""

import base64
import itertools
import os
import select
import shlex
import subprocess
import time

CONNECT_TIMEOUT_S = 5
EOF_MARK = "__DCTESTBED_EOF__"
RUN_VAR = "DCTESTBED_RUN"


class HostError(RuntimeError):
    """A host that cannot do what the testbed needs; the message names it."""


def kill_tagged(tag):
    """Shell that kills every process whose environment has RUN_VAR=tag...
    (tag a prefix: a run's id ends in ':' so one run never matches another)."""
    return (f"grep -lsz '^{RUN_VAR}={tag}' /proc/[0-9]*/environ | "
            r"sed 's,^/proc/\([0-9]*\)/environ$,\1,' | xargs -r kill -KILL 2>/dev/null; true")


class RemoteProcess(subprocess.Popen):
    """The local ssh client of a remote program; kill() and terminate()
    end the remote program, not only the connection to it."""

    def __init__(self, host, tag, argv, **kwargs):
        self.host, self.tag = host, tag
        super().__init__(argv, **kwargs)

    def kill(self):
        if self.poll() is None:
            self.host.run(kill_tagged(self.tag + "$"), check=False, timeout=30)
        if self.poll() is None:
            super().kill()

    terminate = kill


class SshHost:
    """An inventory host (inventory.InvHost) under the name the
    experiment gives it (h1, r, ...)."""

    remote = True

    def __init__(self, inv, name, run_id):
        self.inv, self.name = inv, name
        self.run_id = run_id
        self._seq = itertools.count()
        self._shell = None

    def __repr__(self):
        return f"{self.name} ({self.label})"

    @property
    def label(self):
        """The inventory's name and address, for messages."""
        return f"{self.inv.name} at {self.inv.address}"

    def IP(self):          # noqa: N802 - Mininet's name
        return self.inv.data_ip

    def ssh_argv(self, command):
        h = self.inv
        argv = ["ssh", "-T", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}",
                "-o", "ServerAliveInterval=5",
                "-o", "ServerAliveCountMax=6", "-p", str(h.port)]
        if h.key:
            argv += ["-i", h.key]
        if h.user:
            argv += ["-l", h.user]
        argv += shlex.split(h.ssh_args)
        if h.become:
            command = "sudo -n sh -c " + shlex.quote(command)
        return [*argv, h.address, command]

    def run(self, command, check=True, timeout=120):
        """Run a shell command in the host's Shell; CompletedProcess (text).
        check: HostError naming the host when it fails."""
        if self._shell is None:
            self._shell = Shell(self)
        try:
            rc, out, err = self._shell.run(command, timeout)
        except HostError:
            self._shell.close()
            self._shell = None
            raise
        if check and rc != 0:
            raise HostError(f"host {self.label}: {command[:120]}: {(err or out).strip()[-400:]}")
        return subprocess.CompletedProcess(command, rc, out, err)

    def cmd(self, command):
        """Mininet's Node.cmd: the output of a shell command, stdout and stderr."""
        p = self.run(command, check=False)
        return p.stdout + p.stderr

    def popen(self, argv, python=False, env=None, **kwargs):
        """Start argv on the host in its work directory, tagged with the run;
        python: argv runs with the testbed's package on PYTHONPATH.  Mininet's
        defaults: stdout and stderr piped; stdin none unless given."""
        del env                         # the local environment means nothing there
        tag = f"{self.run_id}:{self.inv.name}.{next(self._seq)}"     # unique across hosts too
        assign = [f"{RUN_VAR}={tag}", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        if python:
            assign.append(f"PYTHONPATH={self.inv.workdir}/py")
        command = (f"cd {self.inv.workdir} && exec env {' '.join(assign)} "
                   f"{' '.join(shlex.quote(str(a)) for a in argv)}")
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        return RemoteProcess(self, tag, self.ssh_argv(command), start_new_session=True, **kwargs)

    def put_bytes(self, data, path):
        """Write data (bytes) to path on the host, creating its directory."""
        self._pipe_in(data, f"{{ mkdir -p {shlex.quote(path.rsplit('/', 1)[0])} && "
                            f"cat > {shlex.quote(path)}; }}", path)

    def _pipe_in(self, data, command, what):
        """Run command with data (bytes) on its stdin, through the host's
        shell: the bytes travel base64-encoded in a here-document."""
        text = base64.encodebytes(data).decode()
        p = self.run(f"base64 -d <<'{EOF_MARK}' | {command}\n{text}{EOF_MARK}", check=False,
                     timeout=300)
        if p.returncode != 0:
            raise HostError(f"host {self.label}: copying to {what}: {p.stderr.strip()[-300:]}")

    def get_text(self, path):
        """A file's text, or None when it does not exist."""
        p = self.run(f"cat {shlex.quote(path)} 2>/dev/null || echo __missing__ >&2", check=False)
        return None if "__missing__" in p.stderr else p.stdout

    def put_tree(self, local_dir, remote_dir, names):
        """Copy names (relative to local_dir) to remote_dir, replacing it."""
        tar = subprocess.run(["tar", "-C", str(local_dir), "-cf", "-", *names],
                             capture_output=True, check=True)
        q = shlex.quote(remote_dir)
        self._pipe_in(tar.stdout, f"{{ rm -rf {q} && mkdir -p {q} && tar -C {q} -xf -; }}", remote_dir)

    def kill_run(self, run_id=""):
        """Kill every process of run_id on the host (every run's: "")."""
        self.run(kill_tagged(f"{run_id}:" if run_id else ""), check=False, timeout=60)

    def clock_offset_s(self):
        """(host clock - ours, uncertainty) in seconds, from one round trip."""
        t0 = time.time()
        out = self.run("date +%s.%N").stdout.strip()
        t1 = time.time()
        return float(out) - (t0 + t1) / 2, (t1 - t0) / 2

    def close(self):
        """End the host's shell session."""
        if self._shell is not None:
            self._shell.close()
            self._shell = None


class Shell:
    """One shell on a host, over one SSH session, fed one command at a time
    (as Mininet's Node.cmd feeds one shell per namespace): a command costs
    no new connection.  Each answer is framed by its exit status and the
    byte counts of its stdout and stderr, which the shell keeps in files
    of its own while the command runs."""

    def __init__(self, host, timeout=60):
        self.host = host
        self.proc = subprocess.Popen(host.ssh_argv("exec sh"), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self.buf = b""
        self._send("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH; "
                   "T=$(mktemp -d /tmp/dctestbed-sh.XXXXXX) || exit 1; echo ready\n")
        try:
            ready = self._line(time.monotonic() + timeout)
        except HostError:
            ready = b""
        if ready != b"ready":
            self.proc.kill()
            err = self.proc.communicate()[1].decode(errors="replace").strip()
            raise HostError(f"host {host.label}: unreachable: {err[-300:] or 'no shell'}")

    def _send(self, text):
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except OSError:
            raise HostError(f"host {self.host.label}: the SSH session ended") from None

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
            raise HostError(f"host {self.host.label}: no answer in time")
        chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        if not chunk:
            raise HostError(f"host {self.host.label}: the SSH session ended")
        self.buf += chunk

    def _line(self, deadline):
        while b"\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def run(self, command, timeout):
        """(exit status, stdout, stderr) of a shell command."""
        deadline = time.monotonic() + timeout
        self._send(f"(\n{command}\n) </dev/null >$T/o 2>$T/e; echo $?; wc -c <$T/o; wc -c <$T/e; "
                   "cat $T/o $T/e\n")
        try:
            rc, n_out, n_err = (int(self._line(deadline)) for _ in range(3))
        except ValueError:
            raise HostError(f"host {self.host.label}: garbled answer to: {command[:120]}") from None
        while len(self.buf) < n_out + n_err:
            self._fill(deadline)
        out, err = self.buf[:n_out], self.buf[n_out:n_out + n_err]
        self.buf = self.buf[n_out + n_err:]
        return rc, out.decode(errors="replace"), err.decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            try:
                self._send('rm -rf "$T"; exit\n')
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (HostError, OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        self.proc.wait()

