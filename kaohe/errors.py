"""The domain error: an action the rules do not allow now, carrying the Chinese reply that
says why and what to do (turned into a chat reply in one place, ``bot.handlers.common``),
and the replies the use cases refuse with."""

from __future__ import annotations


class Refused(Exception):
    """An action the rules do not allow now; ``reason`` is the Chinese reply."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


INACTIVE_UNIT = ("{unit}不在本期考核单位名单中，材料没有接收。如有疑问请联系考核办（{contact}）；"
                 "如已调整到其他单位，请用新单位的邀请码重新绑定。")
LOCKED_UPLOAD = ("本单位的考核结果已由考核办锁定，不能再提交、替换或撤回材料。"
                 "如确需更正，请联系考核办（{contact}）。")
LOCKED_REVIEW = "{unit}的考核结果已锁定。如需修改，请先发送 /review {unit} 解锁 理由。"
LOCKED_SOCIAL = "{unit}的考核结果已锁定，本次导入没有保存任何数据。请先解锁该单位，或从表中删去该单位后重新导入。"
STALE_VERSION = "《{name}》已被替换或撤回，请发送 /files 查看本单位当前的材料后重试。"
NOT_YOUR_FILE = "没有找到这份文件，请发送 /files 查看本单位当前的材料。"
ALREADY_GONE = "《{name}》已经被替换或撤回了，无需再撤回。发送 /files 可查看当前材料。"
WITHDRAW_LATE = ("已过提交截止时间，不能再撤回《{name}》（截止后的材料已进入审核）。"
                 "可以上传新版本（会标记为逾期），或联系考核办（{contact}）。")
STAFF_CANNOT_BIND = ("您是考核办或考核组的成员，不能同时绑定为单位联络员（一人一个身份）。"
                     "如需代单位提交材料，请由该单位联络员上传；发送 /help 查看您可以使用的命令。")
TOO_MANY_CODES = ("邀请码输错次数较多，请 {minutes} 分钟后再试。请核对考核办发给本单位的邀请码"
                  "（字母大小写不限；注意字母 O 与数字 0、字母 I 与数字 1）；如仍有问题请联系考核办（{contact}）。")
# An invite code that exists but no longer binds (storage.people's refusals).
CODE_NOT_USABLE = {
    "revoked": "这个邀请码已被考核办撤销，不能再用于绑定。请向考核办索取本单位新的邀请码（{contact}）。",
    "expired": "这个邀请码已过有效期，不能再用于绑定。请向考核办索取本单位新的邀请码（{contact}）。",
    "used_up": "这个邀请码的可用次数已用完（每个码只能绑定规定的人数）。如确需增加联络员，请联系考核办（{contact}）。",
}
