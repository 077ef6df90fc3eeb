#!/usr/bin/python3
"""floor.py DIR COUNT - the durable-write floor of "make bench".

Times COUNT rounds of what one queued message must cost at least on
DIR's file system: create a 2 KB file, write it, fsync it, rename it to
its final name and fsync the directory. Prints "median X ms, p99 Y ms".
"""
import os
import sys
import time


def main():
    d, count = sys.argv[1], int(sys.argv[2])
    data = os.urandom(1536).hex()[:2048].encode()
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    times = []
    for i in range(count):
        t0 = time.monotonic_ns()
        tmp, final = os.path.join(d, "t%d" % i), os.path.join(d, "f%d" % i)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, final)
        os.fsync(dfd)
        times.append(time.monotonic_ns() - t0)
        os.unlink(final)
    times.sort()
    print("median %.3f ms, p99 %.3f ms" % (times[(count - 1) // 2] / 1e6,
                                           times[(count * 99 + 99) // 100 - 1] / 1e6))


main()
