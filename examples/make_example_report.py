"""Build the example self-check report ``examples/sfj_self_check_2026.docx``.

The report is fictional: 市司法局 of an unnamed city, 2026 cycle, written by the
project team for demos and tests. Its coverage of the "3+2" indicators is deliberately
uneven (see ``examples/README.md``):

* strong, with quantified results: 立项督查, 其他法定职责, 加强行政执法和监督, 反腐倡廉
* adequate: 健全法律、法规、规章制度, 思想政治建设, 工作业绩
* thin (one vague paragraph, no figures): 领导水平
* missing (not a single paragraph): 严格程序行政
* 争优创新: exactly two award items; 违规失职: none, stated plainly

Run from anywhere::

    .venv/bin/python examples/make_example_report.py [output.docx]

The output is byte-for-byte reproducible: fixed core properties and fixed zip entry
timestamps.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "sfj_self_check_2026.docx"

AUTHOR = "市司法局"
TITLE = "市司法局2026年度目标责任制考核自查报告"
FIXED_TIME = dt.datetime(2026, 11, 20, 9, 0, 0, tzinfo=dt.timezone.utc)
ZIP_TIME = (2026, 11, 20, 9, 0, 0)
SIGNATURE = "市司法局 2026年11月20日"

PREAMBLE = (
    "根据市考核办关于开展2026年度目标责任制考核自查工作的安排，我局对照“3+2”指标体系，"
    "逐项梳理全年工作，查阅台账资料、核对数据来源，形成本自查报告。总体看，全年各项工作任务进展顺利，"
    "绝大多数已按期完成，但也还存在一些短板弱项。现将有关情况报告如下。"
)

TABLE_CAPTION = "表1  2026年重点任务完成情况表"
TABLE_HEADER = ("序号", "任务", "完成情况", "完成率")
TABLE_ROWS = (
    ("1", "市公共法律服务中心新址建设", "主体工程已竣工，完成投资1720万元，正在进行内部装修", "92.5%"),
    ("2", "矛盾纠纷多元化解“一站式”平台建设", "全市13个乡镇（街道）全部接入，平台已上线运行", "100%"),
    ("3", "涉企行政执法检查规范化专项行动", "梳理涉企检查事项86项，压减重复检查41项", "100%"),
    ("4", "社区矫正智慧监管平台升级", "完成定位核查、视频点验模块改造，覆盖在册对象612人", "100%"),
    ("5", "市级政府规章立法项目2件", "《市物业服务管理办法》《市公共场所控烟规定》已公布施行", "100%"),
    ("6", "“九五”普法规划编制", "规划已由市委、市政府印发实施", "100%"),
)

# The body: ("h1" | "h2" | "p" | "table", text). "table" marks where the table goes.
BODY: tuple[tuple[str, str], ...] = (
    ("h1", "一、职能履行情况"),
    ("h2", "（一）立项督查事项落实情况"),
    ("p", "年初，我局将市委市政府下达的立项督查事项和本局年度目标任务逐项分解，编制任务清单，"
          "明确牵头科室、责任人和完成时限，建立督办台账。全年实行“月调度、季盘点、年终销号”管理，"
          "对进度滞后的事项发出督办提示单9份，做到件件有人盯、事事有着落。"),
    ("p", "全年共承担立项督查事项12项，其中市委市政府交办的重点任务8项、本局自定目标任务4项。"
          "截至10月31日，已办结销号11项，办结率91.7%，较上年同期提高4.2个百分点；"
          "其余1项按序时进度推进，预计年底前完成。主要任务完成情况见表1。"),
    ("table", TABLE_CAPTION),
    ("p", "重点项目方面，市公共法律服务中心新址建设列入市级重点项目和立项督查事项，由局主要负责同志牵头督办。"
          "项目总投资1860万元，年内完成投资1720万元，投资完成率92.5%，计划12月底交付使用，"
          "届时法律援助、公证、人民调解等服务可集中进驻办理。"),
    ("p", "承办市人大代表建议和市政协提案36件（主办21件、协办15件），全部在规定时限内办结答复，"
          "代表委员满意率100%。对市政府批示交办事项实行专人跟踪、限时办结，全年办理批示件57件，办结率100%。"),
    ("h2", "（二）其他法定职责履行情况"),
    ("p", "认真履行公共法律服务法定职责。全年受理法律援助案件2146件，同比增长8.3%，"
          "为受援群众挽回经济损失和取得经济利益3260万元；农民工欠薪类案件实行“当天受理、当天指派”。"
          "12348公共法律服务热线接听咨询4.2万人次，来电群众满意率98.7%。"),
    ("p", "持续优化公证服务。全市3家公证机构全年办理公证事项1.86万件，同比增长5.1%；"
          "在市政务服务中心设立公证窗口，推出“一次办好”公证事项73项，"
          "平均办件时限压缩至3个工作日，比上年缩短40%。"),
    ("p", "把人民调解作为服务群众、化解矛盾的第一道防线。全市1126个人民调解组织全年排查调处矛盾纠纷9873件，"
          "调解成功率98.1%，涉及金额2.3亿元；在医疗、交通、物业等领域新建行业性专业性调解委员会4个，"
          "全年未发生因调处不及时引发的“民转刑”案件。"),
    ("p", "社区矫正、安置帮教和普法等业务工作扎实开展。全年新接收社区矫正对象298人，在册612人，"
          "无脱管漏管，重新犯罪率0.08%，低于全省平均水平；刑满释放人员衔接率100%。"
          "落实“谁执法谁普法”责任制，组织各类法治宣传活动420场次，覆盖群众约35万人次。"),
    ("p", "依法履行法律服务行业监管法定职责。全市执业律师1286人，同比增长6.4%；年内完成43家律师事务所、"
          "6家司法鉴定机构年度检查，责令整改9家；引导律师服务群众、服务企业，开展公益法律服务2300余件。"
          "组织国家统一法律职业资格考试，考生1420人，考务工作零差错。"),
    ("h1", "二、依法行政情况"),
    ("h2", "（一）健全法律、法规、规章制度情况"),
    ("p", "扎实推进政府立法。配合市人大常委会完成《市养老服务条例》等2件地方性法规草案的起草和审查修改，"
          "审查市政府规章草案2件，均已按年度立法计划提请审议并公布施行，立法计划完成率100%。"),
    ("p", "严把规范性文件合法性审查和备案审查关。全年对市政府及其部门拟制发的规范性文件开展合法性审查98件，"
          "提出修改意见316条，采纳率96%；对市政府签订的合同、协议开展合法性审查142件。"
          "接收各县区和市直部门报送备案的规范性文件64件，报备率、及时率均为100%，经审查督促纠正问题文件3件。"),
    ("p", "开展规章和规范性文件专项清理。围绕优化营商环境、民法典实施等重点，对现行有效的政府规章和规范性文件"
          "集中清理412件，废止18件、修订27件，清理结果已向社会公布。同步修订本局内部管理制度15项，汇编成册。"),
    ("h2", "（二）加强行政执法和监督情况"),
    ("p", "全面落实行政执法三项制度。指导全市46个行政执法部门完成执法主体、权责清单和执法结果公示，"
          "重大执法决定法制审核覆盖率100%，执法全过程记录设备配备率由上年的82%提高到96%。"
          "全年组织执法人员公共法律知识考试2场，参考1380人，新申领、换发执法证1235件。"),
    ("p", "强化行政执法监督。开展行政执法案卷评查，抽查全市32个部门行政处罚、行政许可案卷320卷，"
          "优秀率41.3%，较上年提高6.5个百分点，评查问题已逐一反馈整改。聚焦涉企执法开展专项监督，"
          "全市涉企行政检查次数同比下降21.4%；受理执法投诉举报27件，全部核查办结。"),
    ("p", "发挥行政复议化解行政争议主渠道作用。全年收到行政复议申请587件，同比增长15.6%，受理531件，"
          "审结502件；以调解、和解方式结案126件，占审结案件的25.1%；对违法或不当的行政行为依法纠错39件，"
          "纠错率7.8%；针对共性问题向有关执法部门制发复议意见书11份。"),
    ("p", "规范行政应诉工作。全市行政机关作为被告的一审行政诉讼案件214件，行政机关负责人出庭应诉率"
          "连续三年保持100%；组织执法部门工作人员旁听庭审6次，参加人员310人次。"),
    ("h1", "三、领导班子建设情况"),
    ("h2", "（一）思想政治建设"),
    ("p", "坚持把政治建设摆在首位。局党组理论学习中心组全年开展集体学习14次、专题研讨6次，"
          "党组成员结合分管工作交流发言38人次；举办专题读书班1期，党组书记讲专题党课2次；"
          "全局干部通过网络学习平台参加学习教育，人均58学时，较上年增加12学时。"),
    ("p", "落实意识形态工作责任制，党组全年专题研判意识形态领域情况2次。严格执行“三会一课”、主题党日等制度，"
          "所属9个党支部全部通过标准化建设验收，党建与业务工作同部署、同检查。召开年度党组民主生活会，"
          "查摆问题11条，已整改10条，整改率90.9%。"),
    ("h2", "（二）领导水平"),
    ("p", "局党组坚持民主集中制，班子成员团结协作，注重调查研究，整体工作水平有所提升。"),
    ("h2", "（三）工作业绩"),
    ("p", "全年各项工作成效较为明显。在2025年度全市目标责任制考核中，我局位列市直部门第4名，较上年前移3位；"
          "在全省司法行政系统年度工作考核中排名第3位。法律援助、公证办件量分别增长8.3%和5.1%，"
          "行政复议审结率达到94.5%。全年主要业务指标总体完成情况好于上年。"),
    ("p", "群众满意度持续提升。在市统计部门组织的公共法律服务群众满意度测评中，我局得分96.8分，同比提高1.5分；"
          "市直部门服务对象评议满意率为97.2%，较上年提高1.1个百分点。"),
    ("h2", "（四）反腐倡廉"),
    ("p", "压紧压实党风廉政建设主体责任。局党组年初制定党风廉政建设主体责任清单，明确党组书记第一责任人责任"
          "和党组成员“一岗双责”事项48项，层层签订责任书63份；全年党组专题研究党风廉政建设工作4次，"
          "党组书记与所属单位主要负责人开展廉政谈话22人次。"),
    ("p", "常态化开展警示教育。组织全体干部观看警示教育片3场，旁听职务犯罪案件庭审1次，"
          "剖析司法行政系统典型案例12起，推动以案促改；在节假日等重要节点发送廉洁提醒短信1100余条。"),
    ("p", "严格落实中央八项规定及其实施细则精神。配合驻局纪检监察组开展公务接待、公车使用等专项检查3次，"
          "发现并整改问题7个；加强对法律援助补贴发放、公证收费等重点环节的监督执纪，"
          "全年“三公”经费支出42.6万元，同比下降12.3%。"),
    ("p", "对照考核扣分情形逐项自查，本年度我局及所属单位未发生违规违纪违法问题，未受到上级机关点名批评"
          "或追究责任，未发生安全事故和群体性事件，无应扣分事项。"),
    ("h1", "四、争优创新情况"),
    ("p", "（一）涉企行政执法“综合查一次”改革获评省级法治政府建设示范项目。我局牵头推动市场监管、生态环境、"
          "应急管理等部门开展联合检查，同一企业年内被检查频次由平均4.6次降至1.9次。"
          "2026年9月，该项目被省委全面依法治省委员会办公室命名为第三批省级法治政府建设示范项目。"),
    ("p", "（二）“调解+公证”联动化解纠纷做法被省司法厅作为创新案例在全省经验推广。"
          "人民调解组织调解成功的案件，当事人可当场申请办理具有强制执行效力的债权文书公证，"
          "全年联动办理412件，履行率99%。2026年6月省司法厅专刊推介该做法，已有5个地市来我市交流。"),
    ("h1", "五、存在的问题和下一步打算"),
    ("h2", "（一）存在的问题"),
    ("p", "一是基层司法所力量依然薄弱。全市13个司法所中有5个仅配备1至2名政法专项编制人员，"
          "同时承担人民调解、社区矫正、法治宣传等多项任务，工作压力较大。"),
    ("p", "二是行政复议办案力量与案件增长不相适应。复议案件量连续3年保持两位数增长，专职办案人员仅9名，"
          "人均年办案量超过60件。三是部分执法部门案卷制作、执法文书说理仍不够规范，评查中发现的共性问题有待持续整改。"),
    ("h2", "（二）下一步打算"),
    ("p", "一是对照市委市政府部署滚动更新任务清单，确保剩余1项立项督查事项年底前办结销号；"
          "二是推进司法所规范化建设，积极争取增配基层工作力量；三是推进行政复议案件繁简分流，"
          "力争审结率保持在95%以上。"),
    ("p", "四是持续抓好行政执法三项制度落实和案卷评查问题整改，提高执法规范化水平；"
          "五是坚定不移推进全面从严治党，以良好作风保障全年各项工作落到实处，为建设更高水平的法治城市贡献力量。"),
)


def _set_font(style_or_run, east_asia: str, size_pt: float, bold: bool = False) -> None:
    """Set the (East Asian and Latin) font of a style or run."""
    font = style_or_run.font
    font.name = "Times New Roman"
    font.size = Pt(size_pt)
    font.bold = bold
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = style_or_run.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), east_asia)


def _style_document(doc) -> None:
    styles = doc.styles
    _set_font(styles["Normal"], "仿宋_GB2312", 16)
    _set_font(styles["Title"], "方正小标宋简体", 22)
    _set_font(styles["Heading 1"], "黑体", 16)
    _set_font(styles["Heading 2"], "楷体_GB2312", 16, bold=True)
    for name in ("Title", "Heading 1", "Heading 2"):
        styles[name].paragraph_format.space_before = Pt(6)
        styles[name].paragraph_format.space_after = Pt(6)
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    normal = styles["Normal"].paragraph_format
    normal.line_spacing = Pt(28)
    normal.space_after = Pt(0)


def _body_paragraph(doc, text: str) -> None:
    para = doc.add_paragraph(text)
    para.paragraph_format.first_line_indent = Pt(32)  # two characters at 16 pt


def _add_table(doc) -> None:
    caption = doc.add_paragraph(TABLE_CAPTION)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = doc.add_table(rows=1, cols=len(TABLE_HEADER))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, TABLE_HEADER, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in TABLE_ROWS:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    for row in table.rows:
        for cell in row.cells:
            for para in cell.paragraphs:
                para.paragraph_format.line_spacing = Pt(20)
                for run in para.runs:
                    run.font.size = Pt(12)


def build() -> Document:
    doc = Document()
    _style_document(doc)
    doc.add_heading(TITLE, level=0)
    _body_paragraph(doc, PREAMBLE)
    for kind, text in BODY:
        if kind == "h1":
            doc.add_heading(text, level=1)
        elif kind == "h2":
            doc.add_heading(text, level=2)
        elif kind == "table":
            _add_table(doc)
        else:
            _body_paragraph(doc, text)
    closing = doc.add_paragraph(SIGNATURE)
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    props = doc.core_properties
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.title = TITLE
    props.subject = "2026年度目标责任制考核自查材料（示例）"
    props.keywords = "自查报告; 目标责任制考核; 示例"
    props.comments = "虚构示例，由考核助手项目组编写。"
    props.category = "市直部门"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    props.revision = 1
    return doc


def _normalised_zip(raw: bytes) -> bytes:
    """Rewrite the package with fixed entry timestamps so re-runs are byte-identical."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write(path: Path = DEFAULT_OUTPUT) -> Path:
    buf = io.BytesIO()
    build().save(buf)
    path = Path(path)
    path.write_bytes(_normalised_zip(buf.getvalue()))
    return path


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    written = write(target)
    print(f"已生成 {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
