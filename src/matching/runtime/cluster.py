"""Solving the independent parts of a pairing on a Dask cluster.

``--cluster local:N`` starts a ``LocalCluster`` of N single-threaded worker processes for
the command and stops it after; ``--cluster ADDRESS`` (``tcp://host:8786``) uses a running
Dask scheduler that the user's IT already keeps. The parts of a pairing
(:func:`matching.pairing.solver.split`), or for a world of several regions the regions
themselves (:mod:`matching.pairing.regions`: each worker finds its region's pairs and solves
it), go to the workers; each one's budget is the same as on one machine, so the plan is the
same byte for byte. The pairing hands over the function that solves one part or region:
this module knows nothing of pairing.
Only the pairing is spread out: the schedule's windows depend on each other and are solved
in order on this machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from matching.rules.errors import InputError

#: ``local:N`` asks for a local cluster of N workers.
_LOCAL = re.compile(r"local:(\d+)")

#: Parts are sent in batches of about this many pairs, so that thousands of small towns do
#: not become thousands of tasks.
BATCH_PAIRS = 200_000

#: Seconds to wait for a remote scheduler before giving up.
CONNECT_TIMEOUT_S = 10


def check_spec(spec: str, where: str = "--cluster") -> str:
    """``spec`` if it is ``local:N`` (N >= 1) or a scheduler address, else an InputError."""
    local = _LOCAL.fullmatch(spec)
    if local is not None:
        if int(local.group(1)) < 1:
            raise InputError.one(where, "input.no_workers", spec=spec)
        return spec
    if spec.startswith("local"):
        raise InputError.one(where, "input.not_local", spec=spec)
    if not re.fullmatch(r"(tcp|tls|inproc|ucx)://\S+|[\w.\-]+:\d+", spec):
        raise InputError.one(where, "input.not_scheduler", spec=spec)
    return spec


@dataclass
class Cluster:
    """A connected Dask client (and the local cluster it started, if any)."""

    name: str
    client: Any

    def map_parts(self, solve_part: Callable[..., Any], parts: Sequence[Any],
                  options: Sequence[Any]) -> list[Any]:
        """``solve_part(part, options)`` for every part (and its share of the solve's
        options) on the cluster; the results in the parts' order."""
        batches: list[list[int]] = [[]]
        size = 0
        for i, part in enumerate(parts):
            if batches[-1] and size + part.num_pairs > BATCH_PAIRS:
                batches.append([])
                size = 0
            batches[-1].append(i)
            size += part.num_pairs
        # the arrays go to the workers once, as data, not inside the task graph
        futures = [self.client.submit(_solve_batch,
                                      self.client.scatter([parts[i] for i in batch]),
                                      [options[i] for i in batch], solve_part, pure=False)
                   for batch in batches]
        results: list[Any] = []
        for batch_results in self.client.gather(futures):
            results.extend(batch_results)
        return results

    def map_regions(self, pair_region: Callable[..., Any], worlds: Sequence[Any],
                    nearest: Sequence[Any], options: Sequence[Any]) -> list[Any]:
        """``pair_region(world, nearest, options)`` for every region on the
        cluster (:func:`matching.pairing.regions.pair_region` finds a region's pairs and
        solves it); the plans in the regions' order. Only the region's people go to a worker,
        and only its plan comes back."""
        futures = [self.client.submit(pair_region, self.client.scatter(world), near, share,
                                      pure=False)
                   for world, near, share in zip(worlds, nearest, options, strict=True)]
        return list(self.client.gather(futures))


    def map_calls(self, function: Callable[..., Any], calls: Sequence[tuple[Any, ...]]
                  ) -> list[Any]:
        """``function(*args)`` for every ``args`` of ``calls`` on the cluster, one task each
        (the points of a sweep, say); the results in the calls' order."""
        futures = [self.client.submit(function, *args, pure=False) for args in calls]
        return list(self.client.gather(futures))


def _solve_batch(parts: list[Any], options: list[Any], solve_part: Any) -> list[Any]:
    return [solve_part(p, o) for p, o in zip(parts, options, strict=True)]


@contextmanager
def open_cluster(spec: str | None) -> Iterator[Cluster | None]:
    """The cluster ``spec`` names (``None``: no cluster), closed again afterwards.

    Raises
    ------
    InputError
        If ``spec`` is malformed, or Dask is not installed.
    OSError
        If a remote scheduler cannot be reached.
    """
    if spec is None:
        yield None
        return
    check_spec(spec)
    try:  # an optional dependency, and slow to import: only when a cluster is asked for
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError.one("--cluster", "input.needs_dask") from None
    local = _LOCAL.fullmatch(spec)
    if local is not None:
        n = int(local.group(1))
        # single-threaded worker processes; no dashboard: nothing listens beyond loopback
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=None, host="127.0.0.1") as cluster, \
                Client(cluster) as client:
            yield Cluster(f"a local cluster of {n} workers", client)
        return
    try:
        client = Client(spec, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise OSError(f"cannot reach the Dask scheduler at {spec}: {exc}") from None
    try:
        yield Cluster(f"the Dask scheduler at {spec}", client)
    finally:
        client.close()
