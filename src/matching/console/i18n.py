"""The console's words in Chinese (the default) and English."""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

WORDS: dict[str, tuple[str, str]] = {
    "title": ("“60帮90”互助养老 · 排班台", "“60 helps 90” mutual aid · planning console"),
    "programmes": ("项目", "Programmes"),
    "new_programme": ("新建项目", "New programme"),
    "name": ("名称", "Name"),
    "create": ("创建", "Create"),
    "no_programmes": ("还没有项目。先建一个，再上传名册。",
                      "No programme yet. Create one, then upload the rosters."),
    "step_upload": ("1 上传名册", "1 Upload"),
    "step_map": ("2 地图", "2 Map"),
    "step_plan": ("3 排班", "3 Plan"),
    "step_results": ("4 结果", "4 Results"),
    "step_handouts": ("5 分发", "5 Hand-outs"),
    "upload_help": ("上传志愿者、老人名册（CSV 或 Excel，中文表头可用），亲友关系可选。"
                    "有问题的文件不会保存，已保存的名册也不会丢失。",
                    "Upload the volunteers and elders (CSV or Excel, Chinese headers welcome); "
                    "relations are optional. A file with problems is not saved, and nothing "
                    "saved before is lost."),
    "volunteers": ("志愿者", "Volunteers"),
    "elders": ("老人", "Elders"),
    "relations": ("亲友关系（可选）", "Relations (optional)"),
    "saved_files": ("已保存的名册", "Saved rosters"),
    "none_saved": ("尚未上传", "not uploaded yet"),
    "upload": ("上传并检查", "Upload and check"),
    "upload_ok": ("名册已检查并保存，可以排班。",
                  "The rosters are checked and saved: ready to plan."),
    "upload_refused": ("名册有问题，未保存。请改正下列各处后重新上传：",
                       "The rosters have problems and were not saved. Fix these and upload again:"),
    "warnings": ("请留意", "Look at these"),
    "more_problems": ("……另有 {} 处问题未列出，请先改正以上各处。",
                      "… and {} more problems not listed: fix these first."),
    "file": ("文件", "File"), "row": ("行", "Row"), "column": ("列", "Column"),
    "value": ("值", "Value"), "problem": ("问题", "InputIssue"),
    "plan_help": ("先配对，再排出所选季度的“六个一”。运行在后台进行，页面可继续使用；"
                  "同一项目的第二次运行会排队等候。",
                  "Pair first, then plan the six ones for the chosen weeks. The run goes on in "
                  "the background and the page stays usable; a second run of the same "
                  "programme waits its turn."),
    "start": ("起始周一", "First Monday"), "weeks": ("周数", "Weeks"),
    "time_limit": ("求解时限（秒）", "Solver time limit (s)"),
    "plan": ("开始排班", "Plan"),
    "runs": ("运行记录", "Runs"), "run": ("运行", "Run"),
    "status": ("状态", "Status"), "progress": ("进度", "Progress"),
    "queued": ("排队中", "queued"), "running": ("运行中", "running"),
    "done": ("已完成", "done"), "failed": ("失败", "failed"),
    "elapsed": ("已用时", "Elapsed"), "seconds": ("秒", "s"),
    "coverage_tier": ("按优先级的覆盖", "Coverage by priority tier"),
    "coverage_community": ("按社区的覆盖", "Coverage by community"),
    "tier": ("优先级", "Priority"), "community": ("社区", "Community"),
    "assigned": ("已结对", "Assigned"), "unassigned": ("未结对", "Unassigned"),
    "coverage": ("覆盖率", "Coverage"),
    "unassigned_elders": ("未结对的老人及原因", "Unassigned elders and why"),
    "reason": ("原因", "Reason"), "nobody_unassigned": ("每位老人都有志愿者。",
                                                        "Every elder has a volunteer."),
    "unmet": ("未能安排的服务", "Unmet obligations"),
    "nothing_unmet": ("所有服务都已安排。", "Every obligation is planned."),
    "explain": ("为什么是这位志愿者？", "Why this volunteer?"),
    "elder_id": ("老人编号", "Elder id"), "ask": ("查看", "Explain"),
    "report": ("完整报告", "Full report"),
    "handouts": ("分发材料", "Hand-outs"),
    "rota_pages": ("每位志愿者的排班表（可打印）", "Each volunteer's rota (printable)"),
    "calendar": ("日历", "calendar"),
    "workbook": ("Excel 工作簿（结对、排班、未安排）",
                 "Excel workbook (assignments, schedule, unmet)"),
    "zip": ("全部打包下载", "Everything as a zip"),
    "coordinator_rota": ("协调员总表", "Coordinator's rota"),
    "map_help": ("志愿者（蓝）与老人（绿：已结对，红：未结对），连线为结对。",
                 "Volunteers (blue) and elders (green: paired, red: not paired); lines are "
                 "pairs."),
    "no_plan_yet": ("还没有完成的排班。", "No finished plan yet."),
    "login": ("登录", "Log in"), "logout": ("退出", "Log out"),
    "account": ("账号", "Account"), "password": ("密码", "Password"),
    "login_failed": ("账号或密码不对。", "Wrong account or password."),
    "language": ("English", "中文"),
    "summary": ("概况", "Summary"),
    "pairing_status": ("配对状态", "Pairing status"),
    "error": ("出错", "Error"),
    "volunteer": ("志愿者", "Volunteer"),
    "step_changes": ("6 变动", "6 Changes"),
    "step_timebank": ("7 时间银行", "7 Time bank"),
    "changes_help": ("志愿者离开或新老人加入时，在此登记，再重新排班。"
                     "已发布的排班在所选日期之前保持不变。",
                     "When a volunteer leaves or a new elder joins, note it here and re-plan. "
                     "The published schedule stays as it was before the chosen day."),
    "pending": ("待处理的变动", "Pending changes"),
    "no_pending": ("暂无变动。", "No changes yet."),
    "leaving": ("离开的志愿者", "Volunteer leaving"),
    "mark_leaving": ("登记离开", "Mark as leaving"),
    "joining": ("新加入的老人", "New elder"),
    "add_elder": ("添加老人", "Add elder"),
    "undo": ("撤销", "Undo"),
    "replan_from": ("从此日起重新排班", "Re-plan from"),
    "replan": ("重新排班", "Re-plan"),
    "plan_first": ("请先完成一次排班。", "Plan first."),
    "changes_made": ("本次变动", "What changed"),
    "timebank_help": ("标记本周每项活动：完成、未完成或由他人代替，可打分。"
                      "每日问候电话可一并标记为完成。",
                      "Mark each of the week's activities done, missed or replaced, with a "
                      "rating. The daily calls can be marked done all at once."),
    "week": ("周", "Week"), "date": ("日期", "Date"), "activity": ("活动", "Activity"),
    "done_by": ("代替者编号", "Done by (id)"), "minutes": ("分钟", "Minutes"),
    "rating": ("评分", "Rating"), "comment": ("备注", "Comment"),
    "calls_done": ("本周每日问候电话均已完成", "This week's daily calls were all made"),
    "record": ("记入时间银行", "Record in the time bank"),
    "recorded": ("已记入：完成 {0}，代替 {1}，未完成 {2}。",
                 "Recorded: {0} done, {1} replaced, {2} missed."),
    "balances": ("时间银行余额（小时）", "Time-bank balances (hours)"),
    "no_balances": ("尚无记录。", "Nothing recorded yet."),
    "statement": ("账单", "statement"),
    "explain_chosen": ("所选志愿者", "The volunteer chosen"),
    "explain_alternatives": ("其次的人选，及未选的原因", "Who came next, and why not"),
    "optimal": ("最优（已证明）", "optimal (proven)"),
    "feasible": ("可行（未证明最优）", "feasible (not proven optimal)"),
    "interrupted": ("已中断", "interrupted"),
}


def words(lang: str) -> dict[str, str]:
    """Every word of the console in ``lang`` (``zh`` or ``en``)."""
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0
    return {key: pair[index] for key, pair in WORDS.items()}
