"""Scale-out of the nightly re-rating: the same batch with 1 and 2 Celery worker processes, and with two
worker instances.

Three layouts, each running the same first night (the proposals and batches of the previous layout removed
first, as in ``rerating``): one ``celery worker`` with one prefork process; one with two processes; two
``celery worker`` commands (separate instances with one process each, as on two machines: they share
nothing but PostgreSQL and Redis). The batch is recorded, split into chunks and sent by this process
(``batch_run(…, in_worker=True)``: the same split the ``run_rating_batch`` task does) with ``chunk_size`` chunks,
so the portfolio divides into at least ``MIN_CHUNKS`` tasks even at the small size; the workers rate the
chunks. Each time is from the record to the batch's ``finished`` status.

From the one- and two-process times the serial part ``s`` (the split: reading the portfolio's behaviour and
writing the chunks; the finish) and the parallel part ``p`` follow (Amdahl: ``T(1) = s + p``, ``T(2) = s + p/2``),
and with them the projection for N processes on each of M machines, ``T(N·M) = s + p / (N·M)``; the split is
also timed directly (it runs here), giving a second projection with the measured ``s`` — both valid while
PostgreSQL has cores to serve the N·M sessions (each chunk is a few set-wise statements and the engine in the
worker: the worker's CPU is the larger part, see RESULTS). Target: two processes ≥ 1.6× one; the two instances
within 10% of one worker with two processes (the batch divides across machines as it does across processes).
"""
from __future__ import annotations

import statistics
import time

from bench.core import BASE_DIR

NAME = "scaleout"
LAYOUTS = [("1 worker, 1 process", [1]), ("1 worker, 2 processes", [2]), ("2 worker instances, 1 process each", [1, 1])]
MIN_CHUNKS = 8
TARGET_SPEEDUP = 1.6
PROJECTED_PROCESSES = [1, 2, 4, 8, 16]


def chunk_size(customers: int) -> int:
    from ratings.selectors import BATCH_CHUNK

    return max(1, min(BATCH_CHUNK, -(-customers // MIN_CHUNKS)))


def run_batch(size: int, timeout: float) -> tuple[float, float, dict]:
    """Record a batch, split it and send its chunks from here; seconds until it finished, seconds of the split
    (the serial part, measured), and its counters."""
    from accounts.system import system_user
    from ratings import services
    from ratings.models import BatchStatus, RatingBatch

    t0 = time.perf_counter()
    batch = services.batch_start(actor=system_user(), kind="manual", in_worker=False)
    services.batch_run(batch_id=batch.pk, chunk_size=size, in_worker=True)
    split = time.perf_counter() - t0
    while True:
        row = RatingBatch.objects.filter(pk=batch.pk).values("status", "total", "processed", "proposed",
                                                            "chunk_count", "error_count").get()
        if row["status"] in (BatchStatus.FINISHED, BatchStatus.FAILED):
            return time.perf_counter() - t0, split, row
        if time.perf_counter() - t0 > timeout:
            return time.perf_counter() - t0, split, {**row, "stopped_after_timeout": True}
        time.sleep(0.1)


def amdahl(one: float, two: float) -> tuple[float, float]:
    """(serial, parallel) seconds from the times with one and two processes (neither below zero)."""
    parallel = max(0.0, 2 * (one - two))
    return max(0.0, one - parallel), parallel


def projection(serial: float, parallel: float, customers: int) -> list[dict]:
    """Seconds for N·M processes at this size, and scaled per customer to 1,000,000 customers."""
    rows = []
    for k in PROJECTED_PROCESSES:
        seconds = serial + parallel / k
        rows.append({"processes": k, "seconds": round(seconds, 2),
                     "seconds_1m": round(seconds * 1_000_000 / max(1, customers), 1)})
    return rows


def run(ctx) -> dict:
    from ratings.models import Rating, RatingState

    from bench.benchmarks.rerating import clean_batches, start_worker, stop_worker

    customers = Rating.objects.filter(state=RatingState.APPROVED).count()
    size = chunk_size(customers)
    ctx.log(f"  {customers:,} customers with a current rating, chunks of {size:,}")
    if ctx.smoke:
        clean_batches()
        return {"title": "Re-rating scale-out", "customers": customers, "chunk_size": size,
                "projection": projection(*amdahl(10.0, 6.0), customers), "targets": {}}
    layouts = []
    for label, processes in LAYOUTS:
        clean_batches()
        workers = []
        try:
            for number, concurrency in enumerate(processes):
                log = BASE_DIR / "var" / f"bench-scaleout-worker-{number}.log"
                workers.append(start_worker(concurrency, log, name=f"scaleout{number}"))
            seconds, split, row = run_batch(size, ctx.batch_budget)
        finally:
            for worker in workers:
                stop_worker(worker)
        ctx.log(f"  {label}: {seconds:.2f} s ({seconds / max(1, customers) * 1000:.3f} ms/customer), {row}")
        layouts.append({"layout": label, "processes": sum(processes), "instances": len(processes),
                        "seconds": round(seconds, 3), "split_seconds": round(split, 3), "ms_per_customer": round(seconds / max(1, customers) * 1000, 4),
                        "batch": {k: str(v) for k, v in row.items()}})
    clean_batches()
    one, two, instances = (layout["seconds"] for layout in layouts)
    serial, parallel = amdahl(one, two)
    # the split (in this process) is the serial part as measured; with it the parallel part of one process
    split = statistics.median(layout["split_seconds"] for layout in layouts)
    measured_parallel = max(0.0, one - split)
    speedup, speedup_instances = one / two, one / instances
    ctx.log(f"  speed-up: 2 processes {speedup:.2f}×, 2 instances {speedup_instances:.2f}×; serial {serial:.2f} s, "
            f"parallel {parallel:.2f} s")
    return {
        "title": "Re-rating scale-out",
        "customers": customers,
        "chunk_size": size,
        "layouts": layouts,
        "speedup_two_processes": round(speedup, 2),
        "speedup_two_instances": round(speedup_instances, 2),
        "serial_seconds": round(serial, 2),
        "parallel_seconds": round(parallel, 2),
        "projection": projection(serial, parallel, customers),
        "split_seconds": round(split, 2),
        "projection_from_measured_split": projection(split, measured_parallel, customers),
        "targets": {
            f"2 processes ≥ {TARGET_SPEEDUP}× 1 process": speedup >= TARGET_SPEEDUP,
            "2 instances within 10% of 1 worker with 2 processes": instances <= two * 1.1,
        },
    }
