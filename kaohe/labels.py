"""Names of the domain's codes, shared by the chat's texts and the exported files: a stored
file type ("docx") or a role ("admin") is shown by its Chinese name, never by its code."""

FILE_TYPE_LABELS = {"docx": "Word 文档", "doc": "旧版 Word/WPS 文档", "pdf": "PDF 文档", "txt": "纯文本",
                    "image": "图片（文字识别）"}
ROLE_LABELS = {"admin": "考核办", "official": "领导/考核组成员", "liaison": "单位联络员",
               "unknown": "未绑定用户"}
