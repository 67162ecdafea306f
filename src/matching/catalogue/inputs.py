"""What is wrong with a file, a cell, an option or a setting: the words of every input
problem (:class:`matching.rules.errors.InputIssue`) and rule error
(:class:`matching.rules.errors.RuleError`)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "input.more_problems": ("……另有 {n} 处问题", "... and {n} more problems"),
    # files
    "input.file_not_found": ("找不到文件（{path}）", "file not found ({path})"),
    "input.not_a_workbook": ("无法作为电子表格读取：{detail}；请用 Excel 或 WPS 打开，另存为 .xlsx 或 CSV",
                             "cannot be read as a workbook: {detail}; open it in Excel or WPS "
                             "and save it as .xlsx or CSV"),
    "input.needs_calamine": ("{suffix} 格式需要 python-calamine 程序包（pip install "
                             "python-calamine），或把表格另存为 .xlsx 或 CSV",
                             "{suffix} workbooks need the python-calamine package (pip install "
                             "python-calamine), or save the sheet as .xlsx or CSV"),
    "input.bad_csv": ("不是格式正确的 CSV 文件：{detail}", "is not a well-formed CSV file: {detail}"),
    "input.empty_file": ("文件是空的（需要一行表头）", "the file is empty (it needs a header row)"),
    "input.ragged_row": ("有 {cells} 个格子，而表头只有 {header} 个（数字或姓名里有分隔符？请用小数点，"
                         "或给格子加引号）",
                         "has {cells} cells but the header has {header} (a separator inside a "
                         "number or a name? use a dot, or quote the cell)"),
    "input.not_text": ("不是 UTF-8、GBK 或 UTF-16 编码的文本；请在表格软件中另存为“CSV UTF-8”",
                       "is not text in UTF-8, GBK or UTF-16; save it from the spreadsheet as "
                       "\"CSV UTF-8\""),
    "input.columns_clash": ("{a} 列和 {b} 列都表示 {meaning}；请只保留一列",
                            "columns {a} and {b} both mean {meaning}; keep one"),
    "input.too_big": ("展开后有 {expanded:,.0f} MiB，超过了本程序可读的 {most:,.0f} MiB；请拆分，"
                      "或只保存需要的那张表",
                      "expands to {expanded:,.0f} MiB, more than the {most:,.0f} MiB this "
                      "reader takes; split it, or save only the sheet that is needed"),
    "input.too_many_rows": ("超过 {most:,} 行，本程序最多读取这么多；请按社区或乡镇拆分，分别排班",
                            "has more than {most:,} rows, the most this reader takes; split it "
                            "(by community or town) and plan each part"),
    "input.too_many_columns": ("有 {columns:,} 列（最多 {most:,}）；可能某个远处的单元格里有内容，请只保留名册的几列",
                               "has {columns:,} columns (at most {most:,}); a cell far to the "
                               "right may hold something: keep only the roster's columns"),
    "input.too_many_cells": ("有 {rows:,} 行 × {columns:,} 列，超过本程序可读的 {most:,} 个单元格；请删去多余的行和列，或拆分",
                             "has {rows:,} rows × {columns:,} columns, more than the {most:,} "
                             "cells this reader takes; delete the extra rows and columns, or "
                             "split it"),
    "input.not_a_plan_folder": ("不是结果文件夹（没有 assignments.csv）",
                                "is not a plan folder (no assignments.csv)"),
    "input.not_a_plan_folder_compare": ("不是结果文件夹（没有 assignments.csv 和 unassigned.csv）",
                                        "is not a plan folder (no assignments.csv and "
                                        "unassigned.csv)"),
    "input.no_kept_inputs": ("没有保存 inputs/volunteers.csv 和 inputs/elders.csv（旧版本生成的？"
                             "请重新运行命令）",
                             "keeps no inputs/volunteers.csv and inputs/elders.csv (made by an "
                             "older version? run the command again)"),
    "input.second_file": ("是第二个{kind!w}文件（第一个是 {first}）；请只给一个",
                          "is a second {kind!w} file (the first is {first}); give one"),
    "input.unknown_file": ("看不出这是志愿者、老人、关系还是实测组合文件：需要 volunteer_id 或 "
                           "elder_id 列（或“志愿者编号”/“老人编号”）",
                           "cannot tell whether this is a volunteers, elders, relations or pairs "
                           "file: it needs a volunteer_id or elder_id column (or 志愿者编号 / "
                           "老人编号)"),
    "file.volunteers": ("志愿者", "volunteers"), "file.elders": ("老人", "elders"),
    "file.relations": ("关系", "relations"), "file.pairs": ("实测组合", "pairs"),
    # columns and cells
    "input.column_missing": ("缺少“{name!c}”列", "column {name} is missing"),
    "input.streets_missing": ("找不到这个街道文件", "there is no such street extract"),
    "input.streets_too_large": ("街道文件超过 {most} MiB，不予读取",
                                "the street extract is larger than {most} MiB and is not read"),
    "input.streets_unreadable": ("不是能读取的 OpenStreetMap 文件（.osm.pbf）：{error}",
                                 "is not an OpenStreetMap extract that can be read "
                                 "(.osm.pbf): {error}"),
    "input.streets_empty": ("文件里没有可步行的街道", "the extract has no street to walk on"),
    "input.far_from_streets": ("离最近的可步行街道 {km:.2f} 公里（超过 {most:g} 公里）："
                               "请核对坐标，或换一个覆盖此处的街道文件",
                               "is {km:.2f} km from the nearest street to walk on (more "
                               "than {most:g} km): check the coordinates, or use an extract "
                               "that covers the place"),
    "input.column_missing_coordinates": (
        "缺少“{name!c}”列（除非实测组合文件列出了所有组合，否则需要坐标）",
        "column {name} is missing (coordinates are needed unless pairs.csv lists every "
        "pair)"),
    "input.column_missing_other_coordinate": ("缺少“{name!c}”列（另一个坐标已给出）",
                                              "column {name} is missing (the other coordinate "
                                              "is given)"),
    "input.needs_distance_or_minutes": ("需要 distance_km 或 weekly_minutes 列",
                                        "needs a distance_km or a weekly_minutes column"),
    "input.not_a_number": ("不是数字", "is not a number"),
    "input.not_whole_number": ("不是整数", "is not a whole number"),
    "input.out_of_range": ("超出范围（应在 {low:g} 到 {high:g} 之间）",
                           "is out of range (expected {low:g} to {high:g})"),
    "input.at_least": ("超出范围（应至少为 {low:g}）", "is out of range (expected at least {low:g})"),
    "input.more_than": ("超出范围（应大于 {low:g}）", "is out of range (expected more than {low:g})"),
    "input.at_most": ("超出范围（应至多为 {high:g}）", "is out of range (expected at most {high:g})"),
    "input.latitude_swapped": ("超出范围（应在 {low:g} 到 {high:g} 之间）；纬度和经度似乎填反了",
                               "is out of range (expected {low:g} to {high:g}); latitude and "
                               "longitude look swapped"),
    "input.not_days": ("不是星期几的列表（例如 周一 周三、一 三 五、1 3 5 或 Mon Tue Thu）",
                       "is not a list of days (expected e.g. Mon Tue Thu, 周一 周三, 一 三 or "
                       "1 3 5)"),
    "input.not_bool": ("不是“是”或“否”（可填 是/否、true/false、yes/no、1/0）",
                       "is not true or false (expected true/false, yes/no, 1/0 or 是/否)"),
    "input.not_gender": ("不是性别（应为 女/男 或 F/M）", "is not a gender (expected F or M)"),
    "input.not_full_date": ("不是日期（应为 年-月-日，如 2026-03-30）",
                            "is not a date (expected YYYY-MM-DD)"),
    "input.not_real_date": ("不是真实存在的日期", "is not a real date"),
    "input.implausible_year": ("年份不合理", "has an implausible year"),
    "input.not_times": ("不是时段（应为 上午、下午、晚上 或 hh:mm-hh:mm，多个用空格隔开）",
                        "is not times of day (expected 上午, 下午, 晚上, morning, afternoon, "
                        "evening or hh:mm-hh:mm, several separated by spaces)"),
    "input.not_date": ("不是日期（应为 年-月-日 或 月-日）",
                       "is not a date (expected YYYY-MM-DD or MM-DD)"),
    "input.not_relation": ("不是关系（应为 亲属、熟人 或 拒绝；或 kin、familiar、refuses）",
                           "is not a relation (expected kin, familiar or refuses)"),
    "input.not_status": ("不是状态（应为 完成、未完成 或 代替；或 done、missed、replaced）",
                         "is not a status (expected done, missed or replaced)"),
    "input.empty": ("是空的", "is empty"),
    "input.empty_relation": ("是空的（应为 亲属、熟人 或 拒绝）",
                             "is empty (expected kin, familiar or refuses)"),
    "input.empty_volunteer_id": ("是空的（每位志愿者都需要编号）", "is empty (every volunteer needs "
                                                      "an id)"),
    "input.empty_elder_id": ("是空的（每位老人都需要编号）", "is empty (every elder needs an id)"),
    "input.township_conflict": ("与第 {first} 行（{first_file}）不一致：{community}属于{township}",
                                "puts {community} in another township than row {first} of "
                                "{first_file} ({township})"),
    "input.duplicate_id": ("与第 {first} 行的 {name} 重复", "is a duplicate {name} (first on row "
                                                     "{first})"),
    "input.coordinate_half": ("是空的，而另一个坐标已给出", "is empty while the other coordinate is "
                                                  "given"),
    "input.coordinate_empty": ("是空的（除非实测组合文件列出了所有组合，否则需要坐标）",
                               "is empty (coordinates are needed unless pairs.csv lists every "
                               "pair)"),
    "input.no_such_volunteer": ("在志愿者名册中找不到这位志愿者", "names no volunteer in the volunteers "
                                                          "file"),
    "input.no_such_elder": ("在老人名册中找不到这位老人", "names no elder in the elders file"),
    "input.relations_unknown_skipped": (
        "有 {n} 行提到名册里没有的人（例如已离开的志愿者），已跳过，其余关系照常使用",
        "{n} row(s) name someone the rosters do not have (a volunteer who has left, say) and "
        "were skipped; the other relations are used"),
    "input.repeated_pair": ("与第 {first} 行重复了 {volunteer} - {elder} 这一组合",
                            "repeats the pair {volunteer} - {elder} (first on row {first})"),
    "input.distance_uncomputable": ("是空的，且无法计算：有一方没有坐标",
                                    "is empty and cannot be computed: one side has no "
                                    "coordinates"),
    "input.elder_twice": ("重复列出了这位老人", "lists this elder twice"),
    "input.may_not_serve": ("不能为老人 {elder} 服务：{why!p}", "may not serve elder {elder}: {why!p}"),
    "input.priorities_too_large": ("优先级太大，这么多人无法精确比较；请用更小的优先级（只需能排序）",
                                   "the priorities are too large for this many people to be "
                                   "compared exactly; use smaller priorities (they only need "
                                   "to rank the elders)"),
    # ids (the rule of matching.rules.ids)
    "input.id_separator": ("含有路径分隔符（/ 或 \\）；编号代表一个人，不能是文件夹",
                           "holds a path separator (/ or \\); an id names a person, never a "
                           "folder"),
    "input.id_invisible": ("含有看不见的字符或控制字符（{char}）；请重新手动输入编号",
                           "holds an invisible or control character ({char}); type the id again "
                           "by hand"),
    "input.id_leading_dot": ("以点号开头；编号应以字母或数字开头",
                             "starts with a dot; an id starts with a letter or a digit"),
    "input.id_too_long": ("长 {length:,} 个字符（最多 {most}）",
                          "is {length:,} characters long (at most {most})"),
    "input.id_windows_char": ("含有字符 {char}；在 Windows 上它代表磁盘或数据流，请改用字母、数字或 -",
                              "holds {char}, which names a drive or a stream on Windows; use "
                              "letters, digits or -"),
    "input.id_trailing": ("以点号或空格结尾；Windows 会去掉它，与另一个编号混同",
                          "ends in a dot or a space; Windows drops it, making it another id"),
    "input.id_reserved": ("是 Windows 保留的设备名（如 CON、NUL、COM1），不能当文件名",
                          "is a name Windows keeps for a device (CON, NUL, COM1...) and may "
                          "not name a file"),
    "input.id_case_twin": ("与第 {first_row} 行的“{other}”只差大小写；不区分大小写的磁盘上两人的文件会互相覆盖",
                           "differs only in case from {other!r} on row {first_row}; on a disk that "
                           "ignores case their files would overwrite each other"),
    # doctor's warnings
    "input.unreachable": ("没有志愿者能为这位老人服务：{why!p}",
                          "no volunteer can serve this elder: {why!p}"),
    "input.same_person": ("可能与 {other}（第 {row_other} 行）是同一人：姓名和{label!w}相同",
                          "may be the same person as {other} (row {row_other}): same name and "
                          "{label!w}"),
    "doctor.phone": ("电话", "phone"), "doctor.address": ("住址", "address"),
    "input.personal_id": ("看起来像电话号码或身份证号；编号会出现在所有结果中（含化名结果），请使用机构自己的"
                          "编号",
                          "looks like a phone or identity-card number; ids go into every output "
                          "(pseudonymised ones too), so use the office's own numbers"),
    "input.far_from_area": ("在所给区域之外（{lat:g}, {lon:g} 周围 {radius:g} 公里）：距中心 {km:.0f} 公里",
                            "lies outside the area given ({radius:g} km around {lat:g}, {lon:g}): "
                            "{km:.0f} km from its centre"),
    "input.far_from_everyone": ("离所有其他志愿者和老人都有 {km:.0f} 公里",
                                "lies {km:.0f} km from every other volunteer and elder"),
    "input.relation_idle": ("（{volunteer!p} - {elder!p}）{why!p}",
                            "({volunteer!p} - {elder!p}) {why!p}"),
    "person.named": ("{name}（{id}）", "{name} ({id})"),
    "person.id": ("{id}", "{id}"),
    "relation.kin_far": ("不起作用：亲属相距 {km:.1f} 公里，超过亲属上限（{limit:g} 公里）",
                         "cannot matter: kin living {km:.1f} km apart, beyond the kin limit "
                         "({limit:g} km)"),
    "relation.familiar_ineligible": ("不起作用：这一组合本来就不能结对（{why!p}）",
                                     "cannot matter: the pair may not serve anyway ({why!p})"),
    "relation.refusal_far": ("目前不起作用：两人相距 {km:.1f} 公里，超过所有距离上限（{limit:g} 公里）",
                             "cannot matter now: they live {km:.1f} km apart, beyond every "
                             "distance limit ({limit:g} km)"),
    "relation.too_far": ("两人相距 {km:.1f} 公里，超过 {limit:g} 公里",
                         "they live {km:.1f} km apart, beyond {limit:g} km"),
    "relation.also_refuses": ("老人也拒绝这位志愿者", "the elder also refuses this volunteer"),
    "relation.other_gender": ("老人要求另一性别的志愿者", "the elder wants a volunteer of the other "
                                                "gender"),
    "relation.no_shared_day": ("两人没有共同的空闲日", "they share no available day"),
    "input.relation_twice": ("{volunteer!p} - {elder!p} 这一组合被同时标为 {kinds!a}",
                             "the pair {volunteer!p} - {elder!p} is given as {kinds!a}"),
    "input.relation_twice_refusal": ("{volunteer!p} - {elder!p} 这一组合被同时标为 {kinds!a}；"
                                     "以拒绝为准",
                                     "the pair {volunteer!p} - {elder!p} is given as {kinds!a}; "
                                     "the refusal wins"),
    "pair.too_far": ("两人住得比结对允许的更远", "they live further apart than the pairing allows"),
    "pair.refused": ("老人拒绝这位志愿者", "the elder refuses this volunteer"),
    "pair.gender": ("志愿者不是老人要求的性别", "the volunteer is not of the elder's preferred "
                                            "gender"),
    "pair.no_shared_day": ("两人没有共同的空闲日", "they share no available day"),
    "pair.not_allowed": ("规则不允许这一组合", "the rules do not allow the pair"),
    "relation.kin": ("亲属", "kin"), "relation.familiar": ("熟人", "familiar"),
    "relation.refuses": ("拒绝", "refuses"),
    # re-plans and schedules
    "input.weeks_at_least_one": ("至少为 1，而不是 {weeks}", "must be at least 1, not {weeks}"),
    # the time bank
    "input.recorded_already": ("已经记录过（第 {batch} 批）", "was recorded already (batch {batch})"),
    "input.too_young_to_spend": ("{who} 今年 {age:g} 岁：年满 {least:g} 岁才能使用存入的时间",
                                 "{who} is {age:g}: hours may be spent from {least:g}"),
    "input.age_needed_to_spend": ("需要 {who} 的年龄：年满 {least:g} 岁才能使用存入的时间",
                                  "{who}'s age is needed: hours may be spent from {least:g}"),
    "input.transfer_family_only": ("只能转赠给家人：请确认 {to} 是 {who} 的家人",
                                   "hours go to family only: say that {to} is {who}'s family"),
    "input.daily_over_cap": ("会使 {who} 在 {date} 存入 {hours:g} 小时，超过每日上限 {cap:g} 小时",
                             "would bank {hours:g} h for {who} on {date}, above the daily cap "
                             "of {cap:g} h"),
    "input.balance_over_cap": ("会使 {who} 的余额达到 {hours:g} 小时，超过上限 {cap:g} 小时",
                               "would take {who}'s balance to {hours:g} h, above the cap of "
                               "{cap:g} h"),
    "input.more_than_zero_hours": ("必须大于 0（给的是 {hours:g} 小时）",
                                   "must be more than 0 (got {hours:g} h)"),
    # dated changes to a programme's roster
    "input.leaving_or_changes": ("需要 --leaving（谁离开）或 --changes（有日期的变动）",
                                 "needs --leaving (who leaves) or --changes (dated changes)"),
    "roster.kind": ("不是一种变动（可以是 {kinds!l}）", "is not a kind of change (one of {kinds!l})"),
    "roster.person": ("不是志愿者或老人（volunteer、elder）", "is neither volunteer nor elder"),
    "roster.id": ("缺少编号", "has no id"),
    "roster.date": ("不是日期（YYYY-MM-DD）", "is not a date (YYYY-MM-DD)"),
    "roster.away_until": ("离开一段时间需要结束日期（until）", "an absence needs the day it ends (until)"),
    "roster.away_span": ("结束日期须在 {first} 之后 {days} 天以内", "must lie within {days} days from {first}"),
    "roster.reason": ("不是离开的原因（可以是 {reasons!l}）", "is not a reason for leaving (one of {reasons!l})"),
    "roster.row": ("不是一行资料", "is not a row of details"),
    "roster.not_editable": ("“{field}”不能修改（编号不能改；可以改电话、地址、坐标、服务日、人数上限、需要等）",
                            "{field!r} cannot be edited (the id never changes; phone, address, "
                            "coordinates, days, capacity and needs can)"),
    "roster.row_empty": ("加入或修改需要至少一项资料", "a join or an edit needs at least one detail"),
    "roster.already_on_roster": ("{person!w}已在名册上，不能再加入", "this {person!w} is on the roster already"),
    "roster.never_left": ("{person!w}没有离开过，不能“回来”", "this {person!w} never left"),
    "roster.case_twin": ("与名册上的“{other}”只差大小写；请用另一个编号", "differs only in case from {other!r} on the roster; use another id"),
    "roster.unknown": ("名册上从没有这位{person!w}", "no {person!w} with this id was ever on the roster"),
    "input.no_data_folder": ("不是数据文件夹", "is not a data folder"),
    "input.data_not_empty": ("已有内容：请恢复到一个新的（或空的）文件夹", "holds something already: restore into a new (or empty) folder"),
    "input.not_a_backup": ("不是本程序的备份文件：{detail}", "is not a backup made by matching: {detail}"),
    "input.backup_member": ("含有不能恢复的条目“{member}”（只能是文件夹里的普通文件）",
                            "holds an entry that cannot be restored, {member!r} (only plain files inside the folder)"),
    "input.backup_too_big": ("超过 {files:,} 个文件或 {gib} GiB，不予恢复", "holds more than {files:,} files or {gib} GiB; not restored"),
    "input.no_such_batch": ("没有第 {batch} 批记录", "there is no batch {batch}"),
    "input.batch_is_reversal": ("第 {batch} 批本身是对第 {reverses} 批的撤销，不能再撤销",
                                "batch {batch} reverses batch {reverses}; it cannot be reversed"),
    "input.batch_reversed": ("第 {batch} 批已由第 {by} 批撤销", "batch {batch} was reversed by batch {by}"),
    "input.reversal_overdraws": ("撤销第 {batch} 批会使 {who} 的余额变为 {have:g} 小时（低于零）",
                                 "reversing batch {batch} would leave {who} at {have:g} h (below zero)"),
    "input.overdraw": ("{who} 只有 {have:g} 小时；{hours:g} 小时会透支",
                       "{who} has {have:g} h; {hours:g} h would overdraw the balance"),
    "input.over_cap": ("会使 {who} 的余额超过上限 {cap:g} 小时",
                       "would take {who}'s balance above the cap of {cap:g} h"),
    "input.not_month": ("月份写作 YYYY-MM，而不是 {given}", "a month is YYYY-MM, not {given}"),
    "input.not_database_url": ("须是 postgresql:// 开头的数据库地址，而不是 {given}",
                               "must be a postgresql:// address, not {given}"),
    "exchange.visit_not_confirmed": ("{date} 的这次服务还没有老人或家属确认，确认后才能记入时间银行",
                                     "the service of {date} is not confirmed by the elder or "
                                     "family yet: it banks once they confirm it"),
    "exchange.confirmed_already": ("这次服务已经确认过了", "this service is confirmed already"),
    "exchange.not_planned": ("没有这次安排：{date} {activity}", "nothing of the kind is planned: {date} {activity}"),
    "exchange.not_rated": ("评分须是 1 到 5", "a rating is 1 to 5"),
    "exchange.not_enough_hours": ("{who} 可用 {have:g} 小时（已扣除待办申请占用的），不够这次的 {hours:g} 小时",
                                  "{who} has {have:g} h free (less what open requests hold); "
                                  "this needs {hours:g} h"),
    "exchange.no_such_request": ("没有第 {request} 号服务申请", "there is no request {request}"),
    "exchange.not_offered": ("第 {request} 号申请没有派给 {who}",
                             "request {request} was not offered to {who}"),
    "exchange.not_theirs": ("第 {request} 号申请不是 {who} 接的",
                            "request {request} was not taken by {who}"),
    "exchange.done_later": ("第 {request} 号申请：{date} 还没到，做完才能标记",
                            "request {request}: {date} is still to come; mark it once done"),
    "exchange.minutes_outside": ("时长须在 {least:g} 到 {most:g} 分钟之间，而不是 {minutes}",
                                 "the minutes must be {least:g} to {most:g}, not {minutes}"),
    "exchange.needs_confirmation": ("第 {request} 号申请还要老人或家属确认，才能记入时间银行",
                                    "request {request} needs the elder's or family's "
                                    "confirmation before it banks"),
    "exchange.daily_over_cap": ("会使 {who} 在 {date} 存入 {hours:g} 小时，超过每日上限 {cap:g} 小时",
                                "would bank {hours:g} h for {who} on {date}, above the daily "
                                "cap of {cap:g} h"),
    "exchange.state_open": ("第 {request} 号申请还没有人接", "request {request} is not taken yet"),
    "exchange.state_offered": ("第 {request} 号申请还没有人接",
                               "request {request} is not taken yet"),
    "exchange.state_taken": ("第 {request} 号申请已由 {who} 接下",
                             "request {request} is taken by {who} already"),
    "exchange.state_done": ("第 {request} 号申请已经做完", "request {request} is done already"),
    "exchange.state_confirmed": ("第 {request} 号申请已经确认",
                                 "request {request} is confirmed already"),
    "exchange.state_approved": ("第 {request} 号申请已经记入时间银行",
                                "request {request} is banked already"),
    "exchange.state_cancelled": ("第 {request} 号申请已经取消",
                                 "request {request} was cancelled"),
    "exchange.unknown_elder": ("没有这位老人：{elder}", "there is no elder {elder}"),
    "exchange.unknown_service": ("服务须是 {choices} 之一，而不是 {service}",
                                 "the service must be one of {choices}, not {service}"),
    "exchange.window": ("日期须是 date，或 from 与 to（from 不晚于 to，至多 {days} 天）",
                        "give date, or from and to (from not after to, at most {days} days)"),
    "exchange.no_plan": ("这个项目还没有排好的计划，无法找志愿者",
                         "the programme has no plan yet to find volunteers in"),
    "exchange.unknown_member": ("没有这位成员：{who}", "there is no member {who}"),
    "input.transfers_off": ("时间银行的规则不允许转让", "transfers are off in the time bank's rules"),
    "input.another_member": ("必须是另一位会员", "must be another member"),
    "input.donations_off": ("时间银行的规则不允许捐赠", "donations are off in the time bank's rules"),
    "input.not_hours": ("“{given}”不是小时数", "{given!r} is not a number of hours"),
    "input.cannot_open": ("无法打开：{detail}", "cannot be opened: {detail}"),
    "input.no_ledger": ("这里没有账本（{path}）", "no ledger here ({path})"),
    "input.ledger_is_folder": ("是文件夹，不是账本文件", "is a folder, not a ledger file"),
    "input.not_a_ledger": ("不是账本（不是 SQLite 文件）", "is not a ledger (not an SQLite file)"),
    "input.newer_ledger": ("由更新版本的 matching 写成（结构版本 {version}，本版本最多读到 {most}）",
                           "was written by a newer matching (schema {version}, this one reads "
                           "up to {most})"),
    "input.member_twice": ("同时关联了会员 {first}（第 {row_first} 行）和 {member}",
                           "is linked to members {first} (row {row_first}) and {member}"),
    "input.member_links_nobody": ("没有关联任何人：请填写志愿者编号或老人编号",
                                  "links nobody: give a volunteer_id or an elder_id"),
    "input.replaced_needs_who": ("是空的：“他人代替”需要写明是谁", "is empty: a replaced activity needs "
                                                       "who did it"),
    "input.done_by_only_replaced": ("只用于“他人代替”的行（这一行的状态是{status!w}）",
                                    "is only for replaced rows (the status is {status!w})"),
    "input.not_minutes": ("不是分钟数（1 到 {most}）", "is not a number of minutes (1 to {most})"),
    "input.minutes_bounds": ("不在 {least:g} 到 {most:g} 分钟之间（计划 {planned} 分钟）",
                             "is not between {least:g} and {most:g} minutes (planned: {planned})"),
    "input.not_yet": ("是以后的日子（今天是 {today}）：只有做过的活动才能记录",
                      "is later than today ({today}): only what was done can be recorded"),
    "input.not_periods": ("不是外出的时间段（如 2026-04-06/2026-04-26，几段之间用 ; 分隔）",
                          "is not a list of periods away (like 2026-04-06/2026-04-26, several separated by ;)"),
    "input.not_rating": ("不是评分（1 到 5）", "is not a rating (1 to 5)"),
    "input.no_such_activity": ("在 {schedule} 中找不到这一行（日期、活动、志愿者和老人）",
                               "matches no row of {schedule} (date, activity, volunteer and "
                               "elder)"),
    "input.same_activity": ("与第 {first} 行是同一项活动", "is the same activity as row {first}"),
    "input.no_account": ("在时间银行中没有账户（{member}）", "has no account in the ledger ({member})"),
    # options of the command line
    "input.no_workers": ("“{spec}”没有要求任何进程；请用 local:1 或更多", "\"{spec}\" asks for no "
                                                           "workers; use local:1 or more"),
    "input.not_local": ("“{spec}”不是 local:N（N 个进程，如 local:4）",
                        "\"{spec}\" is not local:N (N workers, e.g. local:4)"),
    "input.not_scheduler": ("“{spec}”既不是 local:N，也不是 Dask 调度器地址（如 tcp://10.0.0.5:8786）",
                            "\"{spec}\" is neither local:N nor a Dask scheduler address such as "
                            "tcp://10.0.0.5:8786"),
    "input.needs_dask": ("需要 Dask：pip install 'sixty-helps-ninety[cluster]'（dask 和 distributed）",
                         "needs Dask: pip install 'sixty-helps-ninety[cluster]' (dask and "
                         "distributed)"),
    "extra.missing": ("{what} 需要可选部分“{extra}”（{purpose}），请先安装：{install}",
                      "{what} needs the optional part “{extra}” ({purpose}): {install}"),
    "extra.console": ("网页控制台", "the web console"),
    "extra.figures": ("报告和图表", "the report and its figures"),
    "extra.cluster": ("Dask 集群", "a Dask cluster"),
    "extra.geo": ("GeoPandas 地理表", "GeoPandas tables"),
    "extra.streets": ("读取 OpenStreetMap 街道（步行距离）",
                      "reading OpenStreetMap streets (walking distances)"),
    "input.too_short": ("{limit:g} 秒太短，这个规模排不出任何方案：{took!p}；最快的方案还需要一次最小费用流；"
                        "请给 --time-limit {suggest} 或更多",
                        "{limit:g} s is too short for any plan at this size: {took!p}, and the "
                        "fastest plan needs that and a min-cost flow; give --time-limit "
                        "{suggest} or more"),
    "took.unfinished": ("{what!w}在 {spent:.1f} 秒后仍未完成", "{what!w} had not finished after "
                                                       "{spent:.1f} s"),
    "took.unfinished_sampled": ("{what!w}在 {spent:.1f} 秒后仍未完成（抽样估计这里至少需要 "
                                "{needs:.0f} 秒）",
                                "{what!w} had not finished after {spent:.1f} s (a sample says it "
                                "takes at least {needs:.0f} s here)"),
    "took.alone": ("仅{what!w}就用了 {spent:.1f} 秒", "{what!w} alone took {spent:.1f} s"),
    "took.would": ("{what!w}在这里至少需要 {needs:.0f} 秒", "{what!w} would take at least "
                                                    "{needs:.0f} s here"),
    "work.reading": ("读取文件", "reading the files"),
    "work.candidates": ("查找可结对的组合", "finding the candidate pairs"),
    "work.reading_and_candidates": ("读取文件并查找可结对的组合",
                                    "reading the files and finding the candidate pairs"),
    "input.key_inside": ("{path} 在它所解锁的结果文件夹 {out} 之内；请把密钥放在别处",
                         "{path} is inside the output folder {out}; keep the key apart from the "
                         "outputs it unlocks"),
    "input.not_area": ("“{given}”不是 纬度,经度,公里（如 35.03,111.01,40）",
                       "\"{given}\" is not LAT,LON,KM (e.g. 35.03,111.01,40)"),
    "input.not_key_value": ("“{item}”不是 键=值", "{item!r} is not KEY=VALUE"),
    "input.bad_rule_option": ("{detail}", "{detail}"),
    "input.needed_no_kept": ("是必需的：{plan} 中没有 inputs/{name}.csv",
                             "is needed: {plan} has no inputs/{name}.csv"),
    "input.no_such_elder_in_plan": ("方案中没有这位老人（{elder}）", "names no elder in the plan "
                                                           "({elder})"),
    "input.no_such_volunteer_in_plan": ("方案中没有这位志愿者（{volunteer}）",
                                        "names no volunteer in the plan ({volunteer})"),
    "input.one_elder": ("只能是一位老人，而不是 {rows} 行", "must be one elder, not {rows} rows"),
    "input.elder_in_plan": ("老人 {elder} 已在方案中", "elder {elder} is already in the plan"),
    # scenario files
    "scenario.loop": ("引用了自己（base 文件形成了循环）", "extends itself (a loop of base files)"),
    "scenario.not_toml": ("不是有效的 TOML：{detail}", "is not valid TOML: {detail}"),
    "scenario.must_be_text": ("{key!p} 必须是文字", "{key!p} must be text"),
    "scenario.unknown_section": ("{key!p} 不是方案的设置（应为 {expected} 之一）",
                                 "{key!p} is not a scenario setting (expected one of {expected})"),
    "scenario.must_be_table": ("{key!p} 必须是一个表 [{name}]", "{key!p} must be a table [{name}]"),
    "scenario.unknown_key": ("{key!p} 未知（应为 {expected} 之一）", "{key!p} is unknown (expected "
                                                            "one of {expected})"),
    "scenario.not_a_date": ("{key!p} 必须是日期（如 2026-03-30），而不是 {given}",
                            "{key!p} must be a date such as 2026-03-30, not {given}"),
    "scenario.wrong_type": ("{key!p} 必须是{kinds!a}，而不是 {given}", "{key!p} must be {kinds!o}, "
                                                              "not {given}"),
    "kind.text": ("文字", "text"), "kind.whole": ("整数", "a whole number"),
    "kind.number": ("数字", "a number"), "kind.bool": ("true 或 false", "true or false"),
    "kind.list": ("列表", "a list"), "kind.date": ("日期（年-月-日）", "a date (YYYY-MM-DD)"),
    "kind.table": ("表", "a table"),
    "scenario.missing_path": ("{key!p}：{given} 不存在", "{key!p}: {given} does not exist"),
    "scenario.needs_input": ("[inputs] 需要 {name}", "[inputs] needs {name}"),
    "scenario.key": ("键 {key}", "key {key}"),
    "scenario.key_line": ("键 {key}（第 {line} 行）", "key {key} (line {line})"),
    "scenario.setting": ("{key!p} {what!p}", "{key!p} {what!p}"),
    "scenario.contradicts": ("{key!p} 与 {others!j} 矛盾：{what!p}", "{key!p} contradicts "
                                                              "{others!j}: {what!p}"),
    "scenario.coords_file": ("指定了 {file!r}；只有志愿者和老人文件有坐标",
                             "names {file!r}; coordinates are in the volunteers and elders files "
                             "only"),
    "scenario.coords_system": ("必须是 {systems} 之一，而不是 {system!r}（wgs84：GPS；gcj02：高德、"
                               "腾讯；bd09：百度）",
                               "must be one of {systems}, not {system!r} (wgs84: GPS; gcj02: "
                               "Amap, Tencent; bd09: Baidu)"),
    "scenario.lang": ("必须是 {langs} 之一，而不是 {lang!r}", "must be one of {langs}, not {lang!r}"),
    "scenario.weeks": ("至少为 1，而不是 {weeks}", "must be at least 1, not {weeks}"),
    "scenario.from_outside": ("（{from_date}）在 start 和 weeks 给出的 {start} 到 {end} 之外：那天起没有"
                              "可重新安排的；请在范围内选一天，或移动范围",
                              "({from_date}) lies outside the horizon {start} to {end} set by "
                              "start and weeks: there is nothing to re-schedule from that day; "
                              "choose a day in the horizon, or move the horizon"),
    "scenario.schedule_needs_dates": ("[run] schedule 需要 [schedule] start 和 weeks",
                                      "[run] schedule needs [schedule] start and weeks"),
    "scenario.leaving_unknown": ("[whatif] leaving 中有志愿者名册里没有的人：{who!l}",
                                 "[whatif] leaving names no volunteer: {who!l}"),
    "scenario.whatif_needs_volunteer": ("[whatif] {key} 的每一项都需要 volunteer_id（或 \"*\" 表示所有人）",
                                        "[whatif] {key} entries need a volunteer_id (or \"*\" "
                                        "for everyone)"),
    "scenario.whatif_no_volunteer": ("[whatif] {key}：没有志愿者 {who}", "[whatif] {key}: no "
                                                                  "volunteer {who}"),
    "scenario.festival_entry": ("条目 {entry} 需要 name、month 和 day（整数：农历月和日）",
                                "entry {entry} needs name, month and day (whole numbers: the "
                                "lunar month and day)"),
    # rules (the settings of a scenario)
    "rule.at_least_one": ("必须不小于 1，而不是 {value!r}", "must be at least 1, not {value!r}"),
    "rule.number_at_least_zero": ("必须是不小于 0 的数，而不是 {value!r}",
                                  "must be a number >= 0, not {value!r}"),
    "rule.whole_number": ("必须是整数，而不是 {value!r}", "must be a whole number, not {value!r}"),
    "rule.more_than_zero": ("必须大于 0，而不是 {value!r}", "must be more than 0, not {value!r}"),
    "rule.detour_at_least_one": ("不能小于 1（步行不会比直线更短），而不是 {value!r}",
                                 "must be at least 1 (a walk is never shorter than the "
                                 "straight line), not {value!r}"),
    "rule.more_than_zero_plain": ("必须大于 0", "must be more than 0"),
    "rule.one_of": ("必须是 {choices} 之一，而不是 {value!r}", "must be one of {choices}, not {value!r}"),
    "rule.true_or_false": ("必须是 true 或 false，而不是 {value!r}", "must be true or false, not "
                                                                "{value!r}"),
    "rule.one_to_five": ("必须在 1 到 5 之间，而不是 {value}", "must be 1 to 5, not {value}"),
    "rule.in_range": ("必须在 {low} 到 {high} 之间，而不是 {value}", "must be {low} to {high}, not "
                                                               "{value}"),
    "rule.at_least": ("至少为 {low}，而不是 {value}", "must be at least {low}, not {value}"),
    "rule.kin_shorter": ("（{kin:g} 公里）比 max_km（{km:g} 公里）还短：亲属得比别人住得更近；"
                         "请让 max_kin_km 至少等于 max_km",
                         "({kin:g} km) is shorter than max_km ({km:g} km): kin would have to "
                         "live closer than anyone else; make max_kin_km at least max_km"),
    "rule.day_end_before_start": ("（{end}）不晚于 day_start（{start}）：一天里没有时间安排任何活动；"
                                  "请推迟结束或提前开始",
                                  "({end}) is not after day_start ({start}): there is no time "
                                  "in the day for any activity; end the day later or start it "
                                  "earlier"),
    "rule.longer_than_day": ("（{minutes} 分钟）比从 day_start {start} 到 day_end {end} 的一天"
                             "（{window} 分钟）还长：这种活动永远排不进去；请缩短它或延长一天",
                             "({minutes} min) is longer than the day from day_start {start} to "
                             "day_end {end} ({window} min): no such activity could ever be "
                             "planned; shorten it or lengthen the day"),
    "rule.starts_before_day": ("（{begin}）早于 day_start（{start}）：{what!w}会在一天开始前开始；"
                               "请推迟它或提前一天的开始",
                               "({begin}) is before day_start ({start}): {what!w} would start "
                               "before the day; start it later or the day earlier"),
    "rule.ends_after_day": ("（{begin}）加上 {length} {minutes} 分钟，{what!w}会在 {end} 结束，"
                            "晚于 day_end（{day_end}）；请提前、缩短，或推迟一天的结束",
                            "({begin}) with {length} {minutes} ends {what!w} at {end}, after "
                            "day_end ({day_end}); start it earlier, shorten it, or end the day "
                            "later"),
    "rule.backup_takes_all": ("（{backup}）在每 {block} 周的轮换中没给结对志愿者留下探访；备用志愿者"
                              "最多只能探访 {most} 次，或延长轮换周期",
                              "({backup}) leaves the primary volunteer no visit in a block of "
                              "rota_block_weeks {block}; the backup may make at most {most} of "
                              "them, or lengthen the block"),
    "rule.times": ("必须是时段（上午、下午、晚上，或 hh:mm-hh:mm），而不是 {value!r}",
                   "must be times of day (上午, 下午, 晚上, morning, afternoon, evening or "
                   "hh:mm-hh:mm), not {value!r}"),
    "rule.times_outside_day": ("（{value}）都不在 day_start {start} 到 day_end {end} 之间："
                               "没有时间可以探访；请改时段或一天的起止",
                               "({value}) lies wholly outside day_start {start} to day_end "
                               "{end}: there is no time to visit; change the times or the day"),
    "rule.festival_entry": ("条目 {entry} 需要名称、中文名、农历月 1-12 和农历日 1-30",
                            "entry {entry} needs a name, a Chinese name, a lunar month 1-12 "
                            "and a lunar day 1-30"),
    "event.call": ("问候电话", "the calls"), "event.group": ("集体活动", "a group activity"),
    "event.festival": ("节日活动", "a festival activity"),
    # the console's own
    "upload.missing": ("缺少：请与其他文件一起上传", "is missing: upload it with the others"),
    "upload.holds_other": ("内容是{holds!w}，不是{kind!w}", "holds {holds!w}, not {kind!w}"),
    "upload.wrong_field": ("以 {kind!r} 发送：应为 {kinds!l} 之一",
                           "was sent as {kind!r}: expected one of {kinds!l}"),
    "upload.wrong_type": ("不是 .csv 或 .xlsx 文件", "is not a .csv or .xlsx file"),
    "upload.too_large": ("大于 {mb} MB", "is larger than {mb} MB"),
    "upload.empty": ("是空的", "is empty"),
    "upload.not_what_it_says": ("与文件名不符（{suffix}）", "is not what its name says ({suffix})"),
    "upload.not_uploaded": ("还没有上传", "has not been uploaded"),
    "upload.no_files": ("没有文件", "has no files"),
    "upload.no_such_volunteer": ("名册中没有这位志愿者：{who!l}", "names no volunteer: {who!l}"),
    "upload.elder_taken": ("已被另一位老人使用", "is taken by another elder"),
    "upload.bad_time": ("不是一天中的时间（应为 时:分，如 08:30）",
                        "is not a time of day (expected hh:mm, such as 08:30)"),
    "upload.place_unknown": ("找不到“{address}”的位置：它不在本项目已有的住址或楼栋中；请在地图上点一下老人的家",
                             "cannot tell where {address!r} is: it is not an address or a "
                             "building the programme knows; click the elder's home on the map"),
    "upload.cannot_undo": ("这项变动不能这样撤销：请登记一项新的变动来更正", "this change cannot be undone so: enter a new change that puts it right"),
    "upload.plan_first": ("需要一个完成的排班才能修改：请先排班", "needs a finished plan to change: "
                                                          "plan first"),
    "upload.bad_name": ("{why!p}", "{why!p}"),
    "upload.bad_date": ("不是日期：{given}", "is not a date: {given}"),
    "upload.bad_option": ("不是可选的值", "is not one of the choices"),
    "scenario.contact": ("必须是一行可打印的文字，最多 {most} 个字符",
                         "must be one printable line of at most {most} characters"),
    "doctor.kind": ("{kind!w}名册", "{kind!w}"),
    "doctor.problems": ("{n} 处问题", "{n} problems"),
    "doctor.problems_one": ("{n} 处问题", "{n} problem"),
    "doctor.warnings": ("{n} 处提醒", "{n} warnings"),
    "doctor.warnings_one": ("{n} 处提醒", "{n} warning"),
    "doctor.verdict_clean": ("没有问题：可以排班", "clean: ready to plan"),
    "doctor.verdict_look": ("可以排班；请看一下提醒", "ready to plan; look at the warnings"),
    "doctor.verdict_fix": ("还不能排班：请改正问题后再检查一次",
                           "not ready: fix the problems, then run doctor again"),
    "input.mark_status": ("结果必须是 完成、没去 或 别人代替", "the status must be done, missed or replaced"),
    "input.mark_done_by": ("选“别人代替”时，请选出是哪位志愿者代替的", "for “replaced”, say which volunteer did it instead"),
    "input.mark_minutes": ("分钟数必须在 {least:g} 到 {most:g} 之间", "minutes must be between {least:g} and {most:g}"),
    "input.mark_not_yet": ("这是 {date} 的活动，还没到（今天是 {today}）：做完以后再登记", "this activity is on {date}, which has not come yet (today is {today}): mark it once done"),
    "input.reject_reason": ("请写明退回的原因", "say why the mark is sent back"),
    "input.reject_reason_long": ("原因最多 {most} 个字", "the reason may be at most {most} characters"),
    "input.mark_gone": ("这项活动已经不在现在的排班里（可能已安排给别人）", "this activity is no longer in the plan (it may be someone else's now)"),
    "input.mark_rating": ("评分必须是 1 到 5", "the rating must be 1 to 5"),
    "input.no_such_mark": ("没有编号为 {mark} 的手机记录", "there is no phone mark {mark}"),
    "input.mark_approved": ("手机记录 {mark} 已经记入时间银行（第 {batch} 批），不能重复记入",
                            "phone mark {mark} is in the time bank already (batch {batch}); it is not recorded twice"),
    "input.marks_of_runs": ("一次只能批准同一份排班里的记录（这里有 {runs!l} 几份）",
                            "approve the marks of one schedule at a time (these are of {runs!l})"),
    "input.no_marks": ("没有选择要批准的记录", "no marks were chosen to approve"),
    "input.not_tile_url": ("不是地图瓦片地址模板（应形如 https://服务器/{{z}}/{{x}}/{{y}}.png）：{given}",
                           "is not a map tile URL template (https://host/{{z}}/{{x}}/{{y}}.png): {given}"),
    "input.export_nothing": ("请至少给出 --geojson、--layers 或 --gpkg 之一",
                             "give at least one of --geojson, --layers or --gpkg"),
    "input.not_gpkg": ("必须是 .gpkg 文件，而不是 {given}", "must be a .gpkg file, not {given}"),
    "input.not_xlsx": ("必须是 .xlsx 文件，而不是 {given}", "must be an .xlsx file, not {given}"),
    "input.week_recorded": ("{week} 起的这一周已经记入时间银行（第 {batch} 批），不能重复记入",
                            "the week of {week} is in the time bank already (batch {batch}); "
                            "it cannot be recorded twice"),
    "input.week_not_yet": ("{week} 起的这一周还没有到（今天是 {today}）：做完以后再记录", "the week of {week} has not begun (today is {today}): record it once done"),
    "input.week_unmarked": ("还有 {n} 项活动没有选择结果：请逐项选择，或点“全部标为已完成”",
                            "{n} activities have no mark: choose one for each, or press "
                            "“Mark all done”"),
    "name.pattern": ("项目名称只能用字母、数字、“-”和“_”（最多 64 个，以字母或数字开头）",
                     "a programme's name is letters, digits, '-' and '_' (at most 64, starting "
                     "with a letter or digit)"),
    "name.case": ("与项目 {other} 只有大小写或全半角的区别", "it is the same as the programme "
                                                      "{other!r} apart from case or width"),
    "name.looks_like": ("看起来像项目 {other}；请起一个容易区分的名称",
                        "it looks like the programme {other!r}; choose a name that reads apart"),
}
