"""The file helper the SSH transport starts on the remote host: fixed Python source.

SFTP cannot give what the tools rely on: inode and device numbers (clean_disk's "is it
still the file I listed" check, "same filesystem" walks), ``O_NOFOLLOW`` directory walks
for removing and replacing files, and ``/proc/PID/fdinfo`` scans; and it always runs as
the login user, so ``sudo = true`` could not reach root-only logs. So, when the host has
``python3``, one long-lived ``python3 -I -c HELPER`` (under ``sudo -n`` when configured)
serves every file primitive over its stdin/stdout, one JSON line per request and answer,
with the same semantics and error messages as ``sfai_agent.exec.local``. It starts
commands too (argv only, each on its own thread, its process group killed at the timeout
and when the connection goes away): an SSH session per command costs far more. The code is a
constant: requests carry only data (paths, sizes), never code, and are JSON-decoded.

The source below runs on the remote interpreter: it sticks to Python 3.6 and the standard
library, and it is never imported here.
"""

from __future__ import annotations

HELPER = r"""
import base64, errno, json, os, shutil, signal, stat as S, subprocess, sys, threading, time
FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
BLOCK = 65536
class Fail(Exception):
    pass
def kind(m):
    if S.S_ISREG(m): return "file"
    if S.S_ISDIR(m): return "dir"
    if S.S_ISLNK(m): return "symlink"
    return "other"
def oserr(path, e):
    if e.errno == errno.ENOENT: return Fail("not_found", path + ": no such file or directory")
    if e.errno in (errno.EACCES, errno.EPERM): return Fail("permission_denied", path + ": permission denied")
    if e.errno == errno.EISDIR: return Fail("invalid_argument", path + ": is a directory")
    return Fail("unavailable", path + ": " + (e.strerror or str(e)))
def parent(path, action):
    parts = path.split("/")[1:] if path.startswith("/") else []
    if not parts or "\0" in path or any(p in ("", ".", "..") for p in parts):
        raise Fail("invalid_argument", repr(path) + ": " + action + " needs a normalised absolute path")
    fd = os.open("/", FLAGS)
    for i, part in enumerate(parts[:-1]):
        where = "/" + "/".join(parts[:i + 1])
        try:
            nfd = os.open(part, FLAGS, dir_fd=fd)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                raise Fail("invalid_argument", path + ": " + where + " is a symlink or not a directory; not followed")
            raise oserr(where, e)
        os.close(fd)
        fd = nfd
    return fd, parts[-1]
def op_read(a):
    with open(a["path"], "rb") as h:
        return {"b64": base64.b64encode(h.read(a["max"])).decode()}
def op_tail(a):
    with open(a["path"], "rb") as h:
        size = os.fstat(h.fileno()).st_size
        pos, chunks, newlines, cap = size, [], 0, a["max"]
        while pos > 0 and newlines < a["lines"] + 1 and size - pos < cap:
            step = min(BLOCK, pos, cap - (size - pos))
            pos -= step
            h.seek(pos)
            chunk = h.read(step)
            chunks.append(chunk)
            newlines += chunk.count(b"\n")
    data = b"".join(reversed(chunks))
    return {"b64": base64.b64encode(data).decode(), "size": size, "position": pos}
def op_stat(a):
    p = a["path"]
    st = os.stat(p, follow_symlinks=a["follow"])
    target = os.readlink(p) if S.S_ISLNK(st.st_mode) else None
    return {"kind": kind(st.st_mode), "size": st.st_size, "mtime": st.st_mtime,
            "mode": S.S_IMODE(st.st_mode), "uid": st.st_uid, "inode": st.st_ino,
            "device": st.st_dev, "links": st.st_nlink, "target": target}
def op_list(a):
    rows = []
    with os.scandir(a["path"]) as it:
        for e in it:
            if len(rows) >= a["limit"]: break
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            rows.append([e.name, e.path, kind(st.st_mode), st.st_size, st.st_mtime])
    return rows
def op_statvfs(a):
    v = os.statvfs(a["path"])
    return [v.f_blocks, v.f_bfree, v.f_bavail, v.f_frsize, v.f_files, v.f_ffree]
def op_realpath(a):
    return os.path.realpath(a["path"])
def op_remove(a):
    fd, name = parent(a["path"], "remove_file")
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if S.S_ISDIR(st.st_mode):
            raise Fail("invalid_argument", a["path"] + ": is a directory; only files are removed")
        os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)
def op_write(a):
    path, mode = a["path"], a["mode"]
    fd, name = parent(path, "write_file")
    temp = ".%s.sfai-%d-%d" % (name, os.getpid(), int(time.monotonic() * 1e9))
    try:
        try:
            cur = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            cur = None
        if cur is not None and not S.S_ISREG(cur.st_mode):
            raise Fail("invalid_argument", path + ": not a regular file (a symlink?); not replaced")
        new_mode = mode if mode is not None else (cur.st_mode & 0o7777 if cur else 0o644)
        try:
            out = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, new_mode, dir_fd=fd)
        except OSError as e:
            raise oserr(path, e)
        try:
            with os.fdopen(out, "wb") as h:
                h.write(base64.b64decode(a["b64"]))
                h.flush()
                os.fchmod(h.fileno(), new_mode)
                if cur is not None and os.geteuid() == 0:
                    os.fchown(h.fileno(), cur.st_uid, cur.st_gid)
                os.fsync(h.fileno())
            os.rename(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except OSError as e:
            try:
                os.unlink(temp, dir_fd=fd)
            except OSError:
                pass
            raise oserr(path, e)
        try:
            os.fsync(fd)
        except OSError:
            pass
    finally:
        os.close(fd)
def writable(text):
    for line in text.splitlines():
        if line.startswith("flags:"):
            return int(line.split()[1], 8) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
    return True
def op_openw(a):
    wanted, found = set(a["paths"]), set()
    for pid in [n for n in os.listdir("/proc") if n.isdigit()]:
        fd_dir = "/proc/%s/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd_dir + "/" + fd)
            except OSError:
                continue
            if target not in wanted or target in found:
                continue
            try:
                with open("/proc/%s/fdinfo/%s" % (pid, fd)) as h:
                    w = writable(h.read())
            except (OSError, ValueError, IndexError):
                w = True
            if w:
                found.add(target)
    return sorted(found)
def op_procs(a):
    rows = []
    for pid in [n for n in os.listdir("/proc") if n.isdigit()]:
        try:
            with open("/proc/%s/stat" % pid, "rb") as h:
                text = h.read().decode("utf-8", "replace")
        except OSError:
            continue
        head, _, rest = text.rpartition(")")
        fields = rest.split()
        if len(fields) < 22:
            continue
        rows.append([int(pid), head.partition("(")[2], int(fields[11]) + int(fields[12]), int(fields[21])])
    return {"tck": os.sysconf("SC_CLK_TCK"), "page": os.sysconf("SC_PAGE_SIZE"), "rows": rows}
RUNNING = set()
BASE_ENV = {"LC_ALL": "C", "LANG": "C", "SYSTEMD_PAGER": "", "PAGER": "cat"}
def drain(fd, cap, box, i):
    kept, cut = bytearray(), False
    while True:
        try:
            chunk = os.read(fd, BLOCK)
        except OSError:
            break
        if not chunk:
            break
        room = cap - len(kept)
        if room > 0:
            kept += chunk[:room]
        if len(chunk) > room:
            cut = True
    box[i] = (bytes(kept), cut)
def feed(stream, data):
    try:
        stream.write(data)
    except OSError:
        pass
    try:
        stream.close()
    except OSError:
        pass
def op_which(a):
    return shutil.which(a["program"], path=os.environ.get("PATH"))
def op_run(a):
    argv = a["argv"]
    env = dict(os.environ)
    env.update(BASE_ENV)
    env.pop("SYSTEMD_COLORS", None)
    env.update(a["env"])
    program = argv[0]
    resolved = program if "/" in program else shutil.which(program, path=env.get("PATH"))
    if resolved is None or not os.access(resolved, os.X_OK):
        raise Fail("not_found", "'%s' is not installed on this host" % program)
    started = time.monotonic()
    deadline = started + a["timeout"]
    stdin = None if a["stdin"] is None else base64.b64decode(a["stdin"])
    try:
        p = subprocess.Popen([resolved] + argv[1:], env=env, start_new_session=True,
                             stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise Fail("not_found", "'%s' cannot be started: %s" % (program, e.strerror or e))
    RUNNING.add(p.pid)
    box = [(b"", False), (b"", False)]
    threads = [threading.Thread(target=drain, args=(p.stdout.fileno(), a["max"], box, 0)),
               threading.Thread(target=drain, args=(p.stderr.fileno(), a["max"], box, 1))]
    if stdin is not None:
        threads.append(threading.Thread(target=feed, args=(p.stdin, stdin)))
    for t in threads:
        t.daemon = True
        t.start()
    try:
        rc = p.wait(timeout=max(0.0, deadline - time.monotonic()))
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in threads):
            raise subprocess.TimeoutExpired(argv, a["timeout"])
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        raise Fail("timeout", "'%s' did not finish within %gs and was stopped" % (" ".join(argv[:3]), a["timeout"]))
    finally:
        RUNNING.discard(p.pid)
        for stream in (p.stdout, p.stderr):
            stream.close()
    (out, out_cut), (err, err_cut) = box
    return {"rc": rc, "out": base64.b64encode(out).decode(), "err": base64.b64encode(err).decode(),
            "cut": out_cut or err_cut, "duration": time.monotonic() - started}
OPS = {"procs": op_procs, "which": op_which, "run": op_run, "read": op_read, "tail": op_tail, "stat": op_stat, "list": op_list, "statvfs": op_statvfs,
       "realpath": op_realpath, "remove": op_remove, "write": op_write, "openw": op_openw}
LOCK = threading.Lock()
def answer(obj):
    line = json.dumps(obj) + "\n"
    with LOCK:
        sys.stdout.write(line)
        sys.stdout.flush()
def handle(req):
    try:
        answer({"id": req["id"], "r": OPS[req["op"]](req["a"])})
    except Fail as f:
        answer({"id": req["id"], "e": [f.args[0], f.args[1]]})
    except OSError as e:
        f = oserr(req["a"].get("path", "?"), e)
        answer({"id": req["id"], "e": [f.args[0], f.args[1]]})
    except Exception as e:
        answer({"id": req["id"], "e": ["unavailable", "%s: %s" % (type(e).__name__, e)]})
try:
    import pwd
    USER = pwd.getpwuid(os.geteuid()).pw_name
except (ImportError, KeyError):
    USER = str(os.geteuid())
answer({"hello": 1, "uid": os.geteuid(), "user": USER})
for line in sys.stdin:
    req = json.loads(line)
    if req["op"] == "run":  # commands wait on their own thread; files answer in order
        worker = threading.Thread(target=handle, args=(req,))
        worker.daemon = True
        worker.start()
    else:
        handle(req)
for pid in list(RUNNING):  # the connection is gone: nothing it started outlives it
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
"""
