"""Hosts reached with OpenSSH's own client.

SshHost offers what the experiments use of a Mininet host, name, IP(),
cmd() and popen(), so they run unchanged on real machines.  Every
command goes through `ssh` with the inventory's connection settings
(ansible_ssh_common_args may add ControlMaster=auto to share one
connection, as Ansible does; in the virtual-time guest a multiplexed
command took 1.5 s of wall time against 45 ms for a new connection, so
it is not the default).

Every program a run starts carries DCTESTBED_RUN=<run id>:<host>.<n> in its
environment.  Killing one (RemoteProcess.kill) or everything of a run
(SshHost.kill_run) finds the processes by that variable in
/proc/PID/environ, children included, so nothing a run started outlives
it on any host, even when the run was interrupted or the control
machine's ssh clients died first.
"""

import itertools
import shlex
import subprocess
import time

CONNECT_TIMEOUT_S = 5
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

    def __repr__(self):
        return f"{self.name} ({self.label})"

    @property
    def label(self):
        """The inventory's name and address, for messages."""
        return f"{self.inv.name} at {self.inv.address}"

    def IP(self):          # noqa: N802 - Mininet's name
        return self.inv.data_ip

    def ssh_argv(self, command, stdin=True):
        h = self.inv
        argv = ["ssh", "-T", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}",
                "-o", "ServerAliveInterval=5",
                "-o", "ServerAliveCountMax=6", "-p", str(h.port)]
        if not stdin:
            argv.append("-n")
        if h.key:
            argv += ["-i", h.key]
        if h.user:
            argv += ["-l", h.user]
        argv += shlex.split(h.ssh_args)
        if h.become:
            command = "sudo -n sh -c " + shlex.quote(command)
        return [*argv, h.address, command]

    def run(self, command, check=True, timeout=120, input=None):
        """Run a shell command on the host; CompletedProcess (text).
        check: HostError naming the host when it fails."""
        try:
            p = subprocess.run(self.ssh_argv(command, stdin=input is not None),
                               input=input,
                               capture_output=True, text=True, timeout=timeout,
                               start_new_session=True)
        except subprocess.TimeoutExpired:
            raise HostError(f"host {self.label}: no answer within {timeout} s to: {command[:120]}") \
                from None
        if p.returncode == 255 and ("ssh:" in p.stderr or "Permission denied (" in p.stderr):
            raise HostError(f"host {self.label}: unreachable: {p.stderr.strip()[-300:]}")
        if check and p.returncode != 0:
            raise HostError(f"host {self.label}: {command[:120]}: "
                            f"{(p.stderr or p.stdout).strip()[-400:]}")
        return p

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
        self._pipe_in(data, f"mkdir -p {shlex.quote(path.rsplit('/', 1)[0])} && "
                            f"cat > {shlex.quote(path)}", path)

    def _pipe_in(self, data, command, what):
        p = subprocess.run(self.ssh_argv(command), input=data, capture_output=True, timeout=120,
                           start_new_session=True)
        if p.returncode != 0:
            raise HostError(f"host {self.label}: copying to {what}: "
                            f"{p.stderr.decode(errors='replace').strip()[-300:]}")

    def get_text(self, path):
        """A file's text, or None when it does not exist."""
        p = self.run(f"cat {shlex.quote(path)} 2>/dev/null || echo __missing__ >&2", check=False)
        return None if "__missing__" in p.stderr else p.stdout

    def put_tree(self, local_dir, remote_dir, names):
        """Copy names (relative to local_dir) to remote_dir, replacing it."""
        tar = subprocess.run(["tar", "-C", str(local_dir), "-cf", "-", *names],
                             capture_output=True, check=True)
        q = shlex.quote(remote_dir)
        self._pipe_in(tar.stdout, f"rm -rf {q} && mkdir -p {q} && tar -C {q} -xf -", remote_dir)

    def kill_run(self, run_id=""):
        """Kill every process of run_id on the host (every run's: "")."""
        self.run(kill_tagged(f"{run_id}:" if run_id else ""), check=False, timeout=60)

    def clock_offset_s(self):
        """(host clock - ours, uncertainty) in seconds, from one round trip."""
        t0 = time.time()
        out = self.run("date +%s.%N").stdout.strip()
        t1 = time.time()
        return float(out) - (t0 + t1) / 2, (t1 - t0) / 2
