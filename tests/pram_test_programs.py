"""Small hand-written PRAM programs shared by the Theorem 1 and 4 tests.

* ``prefix_sums``: Hillis-Steele scan with n processors (read-after-write every round,
  concurrent reads, branches): a read that sees a stale or an early write changes the output.
* ``concurrent_writes``: every processor writes pid + 1 to cell 0, then copies cell 0 into
  cell pid + 1: the output shows which writer won (Priority-CRCW: the highest id).
"""

from __future__ import annotations

from apmdm.machines.pram import ProgramBuilder


def prefix_sums():
    b = ProgramBuilder("prefix-sums-test", processors="n")
    b.pid(0).nin(1).const(2, 1)
    b.label("loop").lt(3, 2, 1).jz(3, "end")
    b.load(4, 0, 0).sub(5, 0, 2).const(6, 0).lt(7, 5, 6).jnz(7, "skip")
    b.load(6, 5, 0).add(4, 4, 6)
    b.label("skip").store(0, 0, 4).add(2, 2, 2).jmp("loop")
    b.label("end").halt()
    return b.build()


def concurrent_writes():
    b = ProgramBuilder("concurrent-writes-test", processors=4, output=(0, 5))
    b.pid(0).addi(1, 0, 1).const(2, 0)
    b.store(2, 0, 1)          # every processor writes pid+1 to cell 0
    b.load(3, 2, 0)           # everyone reads cell 0
    b.store(0, 1, 3)          # and copies it to cell pid+1
    b.halt()
    return b.build()


def read_after_write():
    """One processor: M[0] += 1, then immediately read M[0] back and copy it to M[1]."""
    b = ProgramBuilder("read-after-write-test", processors=1, output=(0, 2))
    b.const(0, 0).load(1, 0, 0).addi(1, 1, 1).store(0, 0, 1)
    b.load(2, 0, 0).store(0, 1, 2).halt()
    return b.build()
