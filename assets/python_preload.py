# liveproxy's warm interpreter for Python apps (--preload). liveproxy starts this file, in the app's interpreter,
# with the app's flags, environment, working directory and output, as `python [flags] THIS_FILE ARGS`, where ARGS
# is what followed the interpreter in the app's command (a script and its arguments, or -m MODULE ...). It starts
# while the current run of the app is still serving: it imports the library modules the app's earlier runs
# imported (never the project's own code), then waits. When the app restarts, liveproxy writes one byte to the go
# descriptor and this process becomes the app, as `python [flags] ARGS` would have started it, minus the
# imports already done. Nothing is forked: the process liveproxy started and guards is the one that runs the app.
#
# Environment (removed before the app runs):
#   LIVEPROXY_PRELOAD_GO_FD   descriptor to wait on (absent: run at once, without preloading)
#   LIVEPROXY_PRELOAD_LEARN   file of module names, one per line: read to preload; the app's run appends the
#                             names it imports that were not preloaded, so the next run preloads them too
#   LIVEPROXY_PRELOAD_EXCLUDE directories (os.pathsep-separated) holding the project's code, never preloaded

import os
import sys


def _liveproxy_preload():
    go_fd = os.environ.pop("LIVEPROXY_PRELOAD_GO_FD", None)
    learn = os.environ.pop("LIVEPROXY_PRELOAD_LEARN", "")
    exclude = [p for p in os.environ.pop("LIVEPROXY_PRELOAD_EXCLUDE", "").split(os.pathsep) if p]
    args = sys.argv[1:]
    module_mode = len(args) >= 2 and args[0] == "-m"
    entry = args[1] if module_mode else None
    # What `python ARGS` puts first on sys.path in place of this file's directory: the script's, or the working
    # directory for -m. Set before preloading, so that every name resolves as it will in the app. (With -P or -I
    # Python puts neither there.)
    if sys.path and sys.path[0] == os.path.dirname(os.path.realpath(__file__)):
        sys.path[0] = os.getcwd() if module_mode else os.path.dirname(os.path.realpath(args[0]))

    info = type(sys)("_liveproxy_preload")
    info.modules = ()
    info.skipped = ()
    info.import_seconds = 0.0
    info.waited = go_fd is not None
    sys.modules["_liveproxy_preload"] = info

    names = _learned(learn)
    mtimes = {}
    if go_fd is not None and sys.version_info >= (3, 10):
        import time
        # A file written while (or just before) it was imported may be newer than what was imported: a time stamp
        # from then cannot be trusted, and such a file counts as changed.
        started = time.time_ns() - 2_000_000_000
        info.modules, info.skipped, info.import_seconds = _preload(names, exclude, entry)
        this_file = os.path.realpath(__file__)
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None)
            # Never this file, under any name: liveproxy wrote it a moment ago, and it is no library of the app.
            if isinstance(path, str) and name != "__main__" and os.path.realpath(path) != this_file:
                try:
                    mtime = os.stat(path).st_mtime_ns
                except OSError:
                    continue
                mtimes[path] = None if mtime >= started else mtime
    if go_fd is not None:
        fd = int(go_fd)
        while True:
            try:
                got = os.read(fd, 1)
                break
            except InterruptedError:
                continue
        os.close(fd)
        if not got:
            os._exit(0)  # liveproxy is gone (its guard stops us anyway)
        # A preloaded module that changed since (a pip install, an edit in site-packages) must not be used: start
        # again, the plain way. The fresh run learns the new module list for the next preload.
        for path, mtime in mtimes.items():
            try:
                same = os.stat(path).st_mtime_ns == mtime
            except OSError:
                same = False
            if not same:
                sys.stderr.write("liveproxy: %s changed since it was preloaded: starting the app without preloading\n"
                                 % path)
                sys.stderr.flush()
                os.environ["LIVEPROXY_PRELOAD_LEARN"] = learn
                os.execv(sys.executable, sys.orig_argv)

    if learn:
        _record_imports(learn, entry, set(names))
    sys.argv = ["-m"] + args[2:] if module_mode else args
    main = type(sys)("__main__")
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    if module_mode:
        import runpy
        # What `python -m` itself calls; it takes __main__'s namespace (the fresh one above, not this file's).
        runpy._run_module_as_main(entry, alter_argv=True)
        return
    import io
    from importlib.machinery import SourceFileLoader
    main.__file__ = args[0]
    main.__cached__ = None
    main.__spec__ = None
    main.__loader__ = SourceFileLoader("__main__", args[0])
    with io.open_code(args[0]) as f:
        source = f.read()
    exec(compile(source, args[0], "exec"), main.__dict__)


def _learned(learn):
    """The module names earlier runs recorded, each once, in the order first seen."""
    try:
        with open(learn, encoding="utf-8") as f:
            return list(dict.fromkeys(line.strip() for line in f if line.strip()))
    except OSError:
        return []


def _preload(names, exclude, entry):
    import importlib
    import importlib.util
    import time

    started = time.perf_counter()
    library = _library_dirs()
    before = set(sys.modules)  # the preloader's own imports are not the app's
    project_tops = set()
    library_tops = set()
    skipped = []
    for name in names:
        if not name or name in sys.modules or "__main__" in name or name == entry:
            continue
        top = name.partition(".")[0]
        if top in project_tops or top == "_liveproxy_preload":
            continue
        if top not in library_tops:
            if _is_project(top, library, exclude):
                project_tops.add(top)
                continue
            library_tops.add(top)
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: B036 - a module that needs the app's set-up (Django models) waits for it
            skipped.append(name)
    # Every module the imports loaded, the ones they pulled in too, in the order they came.
    loaded = tuple(name for name in sys.modules if name not in before)
    return loaded, tuple(skipped), time.perf_counter() - started


def _library_dirs():
    import site
    import sysconfig

    dirs = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.realpath(path))
    try:
        dirs.update(os.path.realpath(p) for p in site.getsitepackages())
    except AttributeError:
        pass
    return tuple(d + os.sep for d in dirs)


def _is_project(top, library, exclude):
    """The top-level package or module lives in the project (under a watched directory, outside site-packages)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(top)
    except BaseException:  # noqa: B036
        return True
    if spec is None:
        return True
    places = list(spec.submodule_search_locations or [])
    if spec.origin and spec.has_location:
        places.append(spec.origin)
    for place in places:
        real = os.path.realpath(place)
        if real.startswith(library) or "site-packages" in real or "dist-packages" in real:
            continue
        if any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in exclude):
            return True
    return False


def _record_imports(learn, entry, known):
    try:
        fd = os.open(learn, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return

    class Recorder:
        """First on sys.meta_path: sees each module the first time it is imported, and lets the others find it."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            # Each name once in the file: the project's own modules (never preloaded) come back at every run.
            if name != entry and "__main__" not in name and name not in known:
                known.add(name)
                try:
                    os.write(fd, (name + "\n").encode("utf-8", "replace"))
                except OSError:
                    pass
            return None

        @staticmethod
        def invalidate_caches():
            pass

    sys.meta_path.insert(0, Recorder)


try:
    _liveproxy_preload()
except (SystemExit, KeyboardInterrupt):
    raise
except BaseException as e:
    # Reported as Python itself reports an uncaught exception (traceback, status 1), without this file's frames
    # in front: the traceback is the app's, and the error page and the terminal show it as without liveproxy.
    # An error of this file's own keeps them all.
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    if tb is not None:
        e.__traceback__ = tb  # the hook prints the exception's own traceback, not the one it is given
    sys.excepthook(type(e), e, e.__traceback__)
    sys.exit(1)
