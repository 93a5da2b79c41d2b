"""Run a command and print its rusage as JSON: `python -I -S spawn.py ARGV...`.

Linux starts a child's peak RSS (ru_maxrss) at the RSS of the process that forked it, so
a benchmark process holding torch and big arrays would inflate every child's number. This
small launcher (a few MiB) is the parent instead. The child's standard output goes to
/dev/null; its standard input and error are this process's.
"""

import json
import os
import sys


def main(argv: list[str]) -> int:
    devnull = (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[devnull])
    _, status, usage = os.wait4(pid, 0)
    fields = ("ru_utime", "ru_stime", "ru_maxrss")
    report = {name: getattr(usage, name) for name in fields}
    report["exitcode"] = os.waitstatus_to_exitcode(status)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
