"""Causes: why an elder has no volunteer, why a volunteer was not chosen, why a pair
changed in a re-plan, and why an obligation went unmet.

Each cause is a code with its figures (see :class:`matching.catalogue.Reason`); a part of a
cause is a code too, and ``{parts!p}`` words a list of them. The codes are listed for users
in ``docs/reasons.md``.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- an elder left without a volunteer (unassigned.csv) --------------------------------
    "unassigned.no_coordinates": (
        "没有坐标（纬度/经度），pairs.csv 中也没有可用的实测组合",
        "has no coordinates (lat/lon) and no eligible measured pair in pairs.csv"),
    "unassigned.none_at_all": (
        "{radius_km:g} 公里内没有志愿者",
        "no volunteer within {radius_km:g} km"),
    "unassigned.none_within_reach": (
        "{radius_km:g} 公里内没有志愿者（最近的一位在 {nearest_km:.1f} 公里外）",
        "no volunteer within {radius_km:g} km (the nearest lives {nearest_km:.1f} km away)"),
    "unassigned.none_within_reach_known_far": (
        "{radius_km:g} 公里内没有志愿者（最近的一位在 {nearest_km:.1f} 公里外）；"
        "有 {known} 位亲属或熟人住得更远",
        "no volunteer within {radius_km:g} km (the nearest lives {nearest_km:.1f} km away); "
        "{known} known or related volunteer(s) live further away"),
    "unassigned.walk_too_far": (
        "直线 {radius_km:g} 公里内有 {n} 位志愿者，但步行都超过 {radius_km:g} 公里"
        "（最近的一位步行 {walk_km:.1f} 公里，直线 {straight_km:.1f}）",
        "{n} volunteer(s) live within {radius_km:g} km in a straight line, but all of them "
        "more than {radius_km:g} km away on foot (the nearest: a {walk_km:.1f} km walk, "
        "{straight_km:.1f} km in a straight line)"),
    "unassigned.walk_too_far_unknown": (
        "直线 {radius_km:g} 公里内有 {n} 位志愿者，但步行都超过 {search_km:g} 公里"
        "（或街道不相通）",
        "{n} volunteer(s) live within {radius_km:g} km in a straight line, but all of them "
        "more than {search_km:g} km away on foot (or the streets do not join)"),
    "unassigned.refuses_only": (
        "拒绝唯一可结对的志愿者（{volunteer}）",
        "refuses the only eligible volunteer ({volunteer})"),
    "unassigned.refuses_all": (
        "拒绝了 {radius_km:g} 公里内全部 {count} 位志愿者",
        "refuses all {count} volunteers within {radius_km:g} km"),
    "unassigned.gender_only": (
        "要求{want!w}志愿者；{radius_km:g} 公里内唯一的志愿者不是{want!w}",
        "wants a {want!w} volunteer; the only volunteer within {radius_km:g} km is not "
        "{want!w}"),
    "unassigned.gender_all": (
        "要求{want!w}志愿者；{radius_km:g} 公里内的 {count} 位志愿者都不是{want!w}",
        "wants a {want!w} volunteer; none of the {count} volunteers within {radius_km:g} km "
        "is {want!w}"),
    "unassigned.no_shared_day": (
        "{radius_km:g} 公里内没有志愿者与老人有共同的空闲日（老人可在：{days!l}）",
        "no volunteer within {radius_km:g} km shares an available day (the elder can do "
        "{days!l})"),
    "unassigned.none_eligible": (
        "{radius_km:g} 公里内的 {count} 位志愿者都不能结对：{parts!p}",
        "none of the {count} volunteers within {radius_km:g} km is eligible: {parts!p}"),
    "unassigned.only_full": (
        "唯一可结对的志愿者已满（{parts!p}）",
        "the only eligible volunteer is at capacity ({parts!p})"),
    "unassigned.all_full": (
        "可结对的 {eligible} 位志愿者都已满（{parts!p}）",
        "all {eligible} eligible volunteers are at capacity ({parts!p})"),
    "unassigned.not_in_earlier_plan": (
        "原方案中没有志愿者", "no volunteer in the earlier plan"),
    # parts of the above
    "ineligible.refused": ("{n} 位被老人拒绝", "{n} refused by the elder"),
    "ineligible.gender": ("{n} 位不是老人要求的{want!w}", "{n} not {want!w} as the elder prefers"),
    "ineligible.no_day": ("{n} 位与老人没有共同的空闲日（{days!l}）",
                          "{n} share no available day with the elder ({days!l})"),
    "full.most_elders": ("{n} 位已结对满额", "{n} already have their most elders"),
    "full.most_elders.one": ("已结对满额", "they already have their most elders"),
    "full.no_time": ("{n} 位每周剩余时间不足探访所需的 {need:.0f} 分钟",
                     "{n} lack the {need:.0f} free weekly minutes the visit needs"),
    "full.no_time.one": ("每周剩余时间不足探访所需的 {need:.0f} 分钟",
                         "they lack the {need:.0f} free weekly minutes the visit needs"),
    "full.too_long": ("{n} 位每周总时间少于探访所需",
                      "{n} have fewer weekly minutes in all than the visit needs"),
    "full.too_long.one": ("每周总时间少于探访所需",
                          "they have fewer weekly minutes in all than the visit needs"),
    "full.takes_none": ("{n} 位不接收老人（最多结对人数为 0）",
                        "{n} take no elders (max_elders 0)"),
    "full.takes_none.one": ("不接收老人（最多结对人数为 0）", "they take no elders (max_elders 0)"),
    # --- a pair that changed in a re-plan (changes.csv) ---------------------------------------
    "change.volunteer_left": ("原志愿者 {volunteer} 已退出", "their volunteer {volunteer} left "
                                                        "the programme"),
    "change.volunteer_gone": ("原志愿者 {volunteer} 不在志愿者名册中了",
                              "their volunteer {volunteer} is no longer in the volunteers file"),
    "change.pair_ineligible": ("与 {volunteer} 的结对不再符合规则",
                               "the pair with {volunteer} is no longer eligible"),
    "change.pair_ineligible_because": ("与 {volunteer} 的结对不再符合规则：{why!p}",
                                       "the pair with {volunteer} is no longer eligible: "
                                       "{why!p}"),
    "change.capacity_fell": ("{volunteer} 的可服务量已低于原有负担",
                             "the capacity of {volunteer} fell below their load"),
    "change.elder_left": ("老人已不在老人名册中", "the elder is no longer in the elders file"),
    "change.new_elder": ("新加入方案；与 {volunteer} 结对", "new to the plan; paired with "
                                                       "{volunteer}"),
    "change.moved": ("{cause!p}；现由 {volunteer} 负责", "{cause!p}; now with {volunteer}"),
    "change.moved_known": ("{cause!p}；现由认识老人的 {volunteer} 负责",
                           "{cause!p}; now with {volunteer} (who knows them)"),
    "change.lost": ("{cause!p}；没有人能接手：{why!p}",
                    "{cause!p}; no one can take them: {why!p}"),
    "change.covered": ("{cause!p}；与 {volunteer} 结对", "{cause!p}; paired with {volunteer}"),
    "change.rated_low": ("老人自 {since} 以来 {n} 次打分在 {low} 分及以下",
                         "the elder rated it {low} or lower {n} times since {since}"),
    # --- an obligation unmet (unmet.csv) ------------------------------------------------------
    "unmet.before_from": (
        "应在重新排班日 {from_date} 之前完成，但此前已发布的排班中没有",
        "due before the re-schedule date {from_date}, and not in the published schedule "
        "kept before it"),
    "unmet.no_common_time": (
        "老人方便的时段（{elder_times}）与 {volunteer} 能来的时段（{volunteer_times}）没有重叠",
        "the elder's times ({elder_times}) and those {volunteer} can come ({volunteer_times}) "
        "do not meet"),
    "unmet.no_time": (
        "{volunteer} 在那一周与老人共同的空闲日已没有空余时间（{window}，含步行）：{listed!p}",
        "{volunteer} had no free time left on a shared day of that week ({window}, walking "
        "included): {listed!p}"),
    "unmet.visit_no_shared_day": (
        "那一周剩下的日子里，可以探访的人都与老人没有共同的空闲日（{candidates!l}）",
        "no one who may visit shares an available day with the elder in the days left of "
        "that week ({candidates!l})"),
    "unmet.visit_no_room_both": (
        "结对志愿者和备用志愿者那一周安排其他探访后都没有余力：{listed!p}",
        "the primary and the backup had no room that week after other visits: {listed!p}"),
    "unmet.visit_no_room_primary": (
        "结对志愿者（没有可用的备用志愿者）那一周安排其他探访后没有余力：{listed!p}",
        "the primary (no eligible backup) had no room that week after other visits: "
        "{listed!p}"),
    "unmet.birthday_neither": (
        "结对志愿者和备用志愿者那一周都没有剩余时间：{listed!p}",
        "neither the primary nor the backup had the minutes left that week: {listed!p}"),
    "unmet.birthday_primary": (
        "结对志愿者（没有可用的备用志愿者）那一周没有剩余时间：{listed!p}",
        "the primary (no eligible backup) did not have the minutes left that week: "
        "{listed!p}"),
    "unmet.service_booked_one": (
        "{service_km:g} 公里内唯一具备“{skill!w}”技能的志愿者那个月与老人共同的空闲日都已排满："
        "{listed!p}",
        "the only volunteer with the skill {skill!w} within {service_km:g} km was fully "
        "booked on the days they share with the elder that month: {listed!p}"),
    "unmet.service_booked_all": (
        "{service_km:g} 公里内具备“{skill!w}”技能的 {n} 位志愿者那个月与老人共同的空闲日都已排满："
        "{listed!p}",
        "all {n} volunteers with the skill {skill!w} within {service_km:g} km were fully "
        "booked on the days they share with the elder that month: {listed!p}"),
    "unmet.service_rotation": (
        "本月应做“{due!w}”，但{why!p}；改为“{instead!w}”",
        "{due!w} was due, but {why!p}; {instead!w} instead"),
    # why nobody may give a service: the first rule that turns away everyone left
    "service.nobody_skilled": ("没有志愿者会“{skill!w}”", "no volunteer offers {skill!w}"),
    "service.all_too_far": ("会“{skill!w}”的 {n} 位志愿者都住在 {service_km:g} 公里以外",
                            "all {n} volunteers who offer {skill!w} live more than "
                            "{service_km:g} km away"),
    "service.all_refused": ("{service_km:g} 公里内会“{skill!w}”的 {n} 位志愿者都是老人拒绝的",
                            "the elder refuses all {n} volunteers within {service_km:g} km "
                            "who offer {skill!w}"),
    "service.all_the_other_gender": (
        "{service_km:g} 公里内会“{skill!w}”的 {n} 位志愿者都是{theirs!w}，老人希望{wants!w}",
        "all {n} volunteers within {service_km:g} km who offer {skill!w} are {theirs!w}, and "
        "the elder wants a {wants!w} one"),
    "service.all_other_gender": (
        "{service_km:g} 公里内会“{skill!w}”的 {n} 位志愿者都不是{wants!w}，老人希望{wants!w}",
        "none of the {n} volunteers within {service_km:g} km who offer {skill!w} is "
        "{wants!w}, as the elder wants"),
    "service.no_shared_day": (
        "{service_km:g} 公里内会“{skill!w}”的 {n} 位志愿者与老人没有共同的空闲日",
        "none of the {n} volunteers within {service_km:g} km who offer {skill!w} shares an "
        "available day with the elder"),
    "service.no_day_left": (
        "{service_km:g} 公里内会“{skill!w}”的 {n} 位志愿者在本月余下的日子里与老人没有共同的空闲日",
        "none of the {n} volunteers within {service_km:g} km who offer {skill!w} shares a "
        "day with the elder in what is left of the month"),
    "service.all_too_far.one": ("唯一会“{skill!w}”的志愿者住在 {service_km:g} 公里以外",
                                "the only volunteer who offers {skill!w} lives more than "
                                "{service_km:g} km away"),
    "service.all_refused.one": ("{service_km:g} 公里内唯一会“{skill!w}”的志愿者是老人拒绝的",
                                "the elder refuses the only volunteer within {service_km:g} km "
                                "who offers {skill!w}"),
    "service.all_the_other_gender.one": (
        "{service_km:g} 公里内唯一会“{skill!w}”的志愿者是{theirs!w}，老人希望{wants!w}",
        "the only volunteer within {service_km:g} km who offers {skill!w} is {theirs!w}, and "
        "the elder wants a {wants!w} one"),
    "service.all_other_gender.one": (
        "{service_km:g} 公里内唯一会“{skill!w}”的志愿者不是{wants!w}，老人希望{wants!w}",
        "the only volunteer within {service_km:g} km who offers {skill!w} is not {wants!w}, "
        "as the elder wants"),
    "service.no_shared_day.one": (
        "{service_km:g} 公里内唯一会“{skill!w}”的志愿者与老人没有共同的空闲日",
        "the only volunteer within {service_km:g} km who offers {skill!w} shares no available "
        "day with the elder"),
    "service.no_day_left.one": (
        "{service_km:g} 公里内唯一会“{skill!w}”的志愿者在本月余下的日子里与老人没有共同的空闲日",
        "the only volunteer within {service_km:g} km who offers {skill!w} shares no day with "
        "the elder in what is left of the month"),
    "service.nobody_in_reach": ("{service_km:g} 公里内没有人能做“{skill!w}”",
                                "nobody within {service_km:g} km can give {skill!w}"),
    # why one of the six ones is not due in a horizon
    "six.not_due": ("本期不需要", "not due in this horizon"),
    "six.none_assigned": ("没有已结对的老人", "no elder has a volunteer"),
    "six.no_full_week": ("{first} 至 {last} 没有完整的一周（周一到周日）",
                         "{first} to {last} holds no whole Monday-Sunday week"),
    "six.no_needs": ("没有老人登记服务需求", "no elder has a service need"),
    "six.no_month": ("{first} 至 {last} 没有哪个月有至少 {days} 天在计划期内",
                     "no month has {days} days or more in {first} to {last}"),
    "six.no_quarter": ("{first} 至 {last} 没有哪个季度有至少 {days} 天在计划期内",
                       "no quarter has {days} days or more in {first} to {last}"),
    "six.no_festival": ("{first} 至 {last} 没有节日", "no festival falls in {first} to {last}"),
    "six.no_birthday": ("{first} 至 {last} 没有老人过生日",
                        "no elder has a birthday in {first} to {last}"),
    "unmet.event_no_volunteer": ("社区里没有可以组织活动的志愿者",
                                 "the community has no volunteer to organise it"),
    "unmet.event_none_could": (
        "社区的 {n} 位志愿者在活动的任何一天都无法组织（没空，或那几周已排满）：{listed!p}",
        "none of the community's {n} volunteers could organise it on any of its days "
        "(unavailable, or full those weeks): {listed!p}"),
    "unmet.event_too_few": (
        "需要 {need} 位组织者，只安排到 {got} 位（{day}）：社区其他志愿者那天没空或那一周已满，"
        "例如 {listed!p}",
        "only {got} of the {need} organisers needed ({day}): the community's other "
        "volunteers were unavailable that day or full that week, for example {listed!p}"),
    # parts: a volunteer's week as planned
    "load.week": ("{volunteer}（{kinds!p}；已用 {used:.0f} / {weekly:g} 分钟）",
                  "{volunteer} ({kinds!p}; {used:.0f} of {weekly:g} min)"),
    "load.weeks": ("{volunteer}（{kinds!p}；各周已用 {low:.0f}-{high:.0f} / {weekly:g} 分钟）",
                   "{volunteer} ({kinds!p}; its weeks {low:.0f}-{high:.0f} of {weekly:g} min)"),
    "load.nothing": ("无其他安排", "nothing else"),
    "load.more": ("另有 {n} 位", "and {n} more"),
    "count.visit.one": ("{n} 次探访", "{n} visit"),
    "count.visit.many": ("{n} 次探访", "{n} visits"),
    "count.service.one": ("{n} 次服务", "{n} service"),
    "count.service.many": ("{n} 次服务", "{n} services"),
    "count.birthday.one": ("{n} 次生日问候", "{n} birthday greeting"),
    "count.birthday.many": ("{n} 次生日问候", "{n} birthday greetings"),
    "count.group.one": ("{n} 次集体活动", "{n} group activity"),
    "count.group.many": ("{n} 次集体活动", "{n} group activities"),
    "count.festival.one": ("{n} 次节日活动", "{n} festival activity"),
    "count.festival.many": ("{n} 次节日活动", "{n} festival activities"),
    # --- a volunteer not chosen for an elder (explain, the console's "why") ---------------------
    "candidate.chosen": ("所选", "chosen"),
    "candidate.too_far": ("太远：{km:.1f} 公里，上限 {max_km:g} 公里（亲属 {max_kin_km:g} 公里）",
                          "too far: {km:.1f} km, the limit is {max_km:g} km ({max_kin_km:g} km "
                          "for kin)"),
    "candidate.too_far_walked": (
        "太远：步行 {km:.1f} 公里（直线 {straight_km:.1f}），上限 {max_km:g} 公里"
        "（亲属 {max_kin_km:g} 公里）",
        "too far: a {km:.1f} km walk ({straight_km:.1f} km in a straight line), the limit is "
        "{max_km:g} km ({max_kin_km:g} km for kin)"),
    "candidate.too_far_estimated": (
        "太远：估计步行 {km:.1f} 公里（直线 {straight_km:.1f}），上限 {max_km:g} 公里"
        "（亲属 {max_kin_km:g} 公里）",
        "too far: an estimated {km:.1f} km walk ({straight_km:.1f} km in a straight line), "
        "the limit is {max_km:g} km ({max_kin_km:g} km for kin)"),
    "candidate.refused": ("老人拒绝此人", "refused by the elder"),
    "candidate.gender": ("不是老人要求的{want!w}", "not {want!w}, as the elder prefers"),
    "candidate.no_shared_day": ("没有共同的空闲日（老人：{elder_days!l}；"
                                "志愿者：{volunteer_days!l}）",
                                "no shared day (elder: {elder_days!l}; volunteer: "
                                "{volunteer_days!l})"),
    "candidate.room_not_maximal": ("{who!w}有余力：方案并非最满",
                                   "{who!w}has room: the plan is not maximal"),
    "candidate.room_better": ("{who!w}有余力，且按目标更好 {delta:.1f} 公里：方案并非最优",
                              "{who!w}has room and would be better by {delta:.1f} km: the "
                              "plan is not optimal"),
    "candidate.room_no_better": ("{who!w}有余力，但按目标并不更好",
                                 "{who!w}has room, but is no better by the objective"),
    "candidate.full_count": ("{who!w}已满：已结对 {count} / {cap} 位老人（{theirs!l}）；要接收 "
                             "{elder}，{swap!p}",
                             "{who!w}full: {count} of {cap} elders ({theirs!l}); to take "
                             "{elder}, {swap!p}"),
    "candidate.full_minutes": ("{who!w}已满：每周已用 {used:.0f} / {cap:.0f} 分钟（{theirs!l}），"
                               "{elder} 需要 {need:.0f} 分钟；要接收 {elder}，{swap!p}",
                               "{who!w}full: {used:.0f} of {cap:.0f} weekly minutes "
                               "({theirs!l}), {elder} needs {need:.0f}; to take {elder}, "
                               "{swap!p}"),
    "candidate.who_this": ("此志愿者", "this volunteer is "),
    "candidate.who_none": ("", ""),
    "candidate.unassigned_full": ("老人未结对，此志愿者已满",
                                  "unassigned, and this volunteer is full"),
    "candidate.unassigned_room": ("老人未结对，而此志愿者有余力：方案并非最满",
                                  "unassigned although this volunteer has room: the plan is "
                                  "not maximal"),
    "candidate.with_better": ("老人由 {other} 负责，按目标好 {delta:.1f} 公里",
                              "with {other}, who is {delta:.1f} km better by the objective"),
    "candidate.with_other": ("老人由 {other} 负责；{why!p}", "with {other}; {why!p}"),
    "swap.no_room": ("此人没有哪一位老人可以让出", "no single elder of theirs could make room"),
    "swap.left_out": ("{elder}（优先级 {priority}）将没有志愿者",
                      "{elder} (priority {priority}) would be left without a volunteer"),
    "swap.moves": ("{elder}（优先级 {priority}）将改由 {volunteer} 负责：全体的综合距离多 "
                   "{change:.2f} 公里",
                   "{elder} (priority {priority}) would move to {volunteer}: everyone's "
                   "distance, all told, would be {change:.2f} km more"),
    "swap.moves_less": ("{elder}（优先级 {priority}）将改由 {volunteer} 负责：全体的综合距离少 "
                        "{change:.2f} 公里",
                        "{elder} (priority {priority}) would move to {volunteer}: everyone's "
                        "distance, all told, would be {change:.2f} km less"),
    "swap.moves_same": ("{elder}（优先级 {priority}）将改由 {volunteer} 负责：全体的综合距离不变",
                        "{elder} (priority {priority}) would move to {volunteer}: everyone's "
                        "distance, all told, would stay the same"),
    "explain.elder": ("老人 {elder}（优先级 {priority}）", "Elder {elder} (priority {priority})"),
    "explain.volunteer": ("志愿者 {volunteer}", "Volunteer {volunteer}"),
    "explain.no_volunteer": ("没有志愿者：{why!p}", "no volunteer: {why!p}"),
    "explain.no_volunteer_at_all": ("没有志愿者", "no volunteer"),
    "explain.volunteer_load": ("已结对 {count} / {cap} 位老人，每周已用 {used} / {weekly} 分钟",
                               "{count} of {cap} elders, {used} of {weekly} weekly minutes"),
    "explain.chosen": ("所选：", "chosen:"),
    "explain.next_best": ("其次的人选，及未选的原因：", "next best, and why not:"),
    "suggest.load": ("已结对 {count} / {cap} 位老人，每周已用 {used} / {weekly} 分钟",
                     "{count} of {cap} elders, {used} of {weekly} weekly minutes used"),
    "audit.count": ("{n} 对老人和志愿者双方都更愿意在一起", "{n} pairs would both rather be together"),
    "explain.no_eligible": ("没有可以为这位老人服务的志愿者", "no eligible volunteer for this elder"),
    "audit.room": ("志愿者有余力：方案漏掉了一个改进（并非最优）",
                   "the volunteer has room: an improvement the plan missed (not optimal)"),
}
