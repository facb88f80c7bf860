"""Reason codes of the quality checks: severities and zh/en texts."""

from __future__ import annotations

# NOTE is shown but never decisive; FLAG goes to a reviewer; REJECT excludes.
NOTE, FLAG, REJECT = 1, 2, 3
VERDICTS = {0: "ok", NOTE: "ok", FLAG: "flagged", REJECT: "rejected"}

# code -> (Chinese, English); plain data for the Babel layer and reports.
REASON_TEXT: dict[str, tuple[str, str]] = {
    "honeypot": ("隐藏字段被填写，疑似自动程序", "Hidden honeypot field was filled in"),
    "bot_user_agent": ("客户端为自动化工具", "Client is an automated tool"),
    "unknown_user_agent": ("无法识别的客户端", "Client could not be identified"),
    "no_form_cookie": ("缺少表单 Cookie", "Form cookie missing"),
    "transaction_reused": ("办件编号已被使用", "Transaction code was already used"),
    "stale_token": ("现场二维码已过期", "On-site QR code had expired"),
    "too_fast": ("作答时间低于最低可能时间", "Answered faster than humanly possible"),
    "speeder": ("作答速度远快于他人", "Answered far faster than others"),
    "fast": ("作答较快", "Answered quickly"),
    "straightline": ("所有评分题选择同一选项", "Same option on every grid item"),
    "duplicate_device": (
        "同一设备重复评价同一窗口",
        "Same device rated this window again",
    ),
    "duplicate_ip_ua": (
        "同一网络地址和浏览器重复评价",
        "Same network address and browser rated again",
    ),
    "duplicate_phone": (
        "同一手机号重复评价同一窗口",
        "Same phone rated this window again",
    ),
    "burst": ("短时间内该窗口评价数量异常", "Unusual burst of ratings for this window"),
    "near_duplicate_text": (
        "意见内容与他人高度雷同",
        "Comment nearly identical to others",
    ),
    "outside_hours": ("提交时间不在办公时间内", "Submitted outside opening hours"),
}

# Default severity per code; duplicates and straightline escalate (see assess).
SEVERITY: dict[str, int] = {
    "honeypot": REJECT,
    "bot_user_agent": REJECT,
    "unknown_user_agent": FLAG,
    "no_form_cookie": FLAG,
    "transaction_reused": REJECT,
    "stale_token": FLAG,
    "too_fast": REJECT,
    "speeder": FLAG,
    "fast": NOTE,
    "straightline": NOTE,
    "duplicate_device": FLAG,
    "duplicate_ip_ua": FLAG,
    "duplicate_phone": FLAG,
    "burst": FLAG,
    "near_duplicate_text": FLAG,
    "outside_hours": FLAG,
}
PENALTY = {NOTE: 0.1, FLAG: 0.5, REJECT: 1.0}
