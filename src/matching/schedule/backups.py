"""Each elder's backup: the one other volunteer who stands in, eligible under the pairing rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.pairing.flow import FlowNetwork, lexicographic_weight
from matching.rules.pairing import COST_UNITS_PER_KM
from matching.schedule.data import ScheduleData
from matching.schedule.past import Past

#: A backup the elder already had in the published past is worth this many km in the choice:
#: a re-schedule keeps the people elders know.
KNOWN_BACKUP_BONUS_KM = 10


@dataclass(frozen=True)
class Backups:
    """The backup of each elder (-1 for none) and their usual week in each rota block."""

    backup: np.ndarray
    usual_week: np.ndarray


def choose_backups(data: ScheduleData, past: Past) -> Backups:
    """Choose every elder's backup by one min-cost flow.

    A backup is a pair the pairing itself would allow (the problem's eligible pairs: within
    reach, not refused, of the preferred gender, sharing a day) other than the primary, whose
    visit fits the backup's week. The flow covers as much elder priority as it can, then
    prefers kin and familiar volunteers and short walks (the pairing's own objective); each
    volunteer backs up at most as many elders as their ``max_elders`` (at least one).

    The usual week of the backup's visit in each block is then staggered so that no
    volunteer's week fills up: a backup visit adds to the backup's week and frees the
    primary's.
    """
    p = data.problem
    primary = data.primary
    keep = (primary[p.arc_e] >= 0) & (p.arc_v != primary[p.arc_e]) & \
        (p.arc_minutes <= data.weekly[p.arc_v] + 1e-9)
    v, e, cost = p.arc_v[keep], p.arc_e[keep], p.arc_cost[keep].copy()
    backup = np.full(data.num_elders, -1, dtype=np.int64)
    usual = np.zeros(data.num_elders, dtype=np.int64)
    if not len(v):
        return Backups(backup, usual)
    if past.keep_backup:
        known = np.array([past.keep_backup.get(int(x)) == int(y)
                          for y, x in zip(v.tolist(), e.tolist(), strict=True)])
        cost[known] -= KNOWN_BACKUP_BONUS_KM * COST_UNITS_PER_KM
    weight = lexicographic_weight(e, cost, data.num_elders)
    net = FlowNetwork(data.num_volunteers, data.num_elders, v, e, weight * p.priority)
    flow = net.solve(cost, np.maximum(1, p.cap_count).astype(np.int64))
    backup[e[flow.used]] = v[flow.used]

    block = data.rules.rota_block_weeks
    change = np.zeros((data.num_volunteers, block))
    for x in sorted(np.flatnonzero(backup >= 0).tolist(), key=lambda i: p.elder_ids[i]):
        first, second = int(primary[x]), int(backup[x])
        week = int(np.argmin(change[second] - change[first]))
        usual[x] = week
        change[second, week] += data.visit_minutes[x] + 2 * data.trip(second, x)
        change[first, week] -= data.visit_minutes[x] + 2 * data.trip(first, x)
    return Backups(backup, usual)
