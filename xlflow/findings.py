"""The catalog of finding codes: every problem xlflow can report about a returned workbook.

Each kind has a stable code (never renamed once released), a severity, a Chinese title and
message template, and a description for the docs. Rules declared in a form definition (R1,
S4, …) and the rules of its derived cells (R2, R3, R4) are findings too; their text comes from
the definition, so they are not listed here but rendered by ``rule_docs``.

``finding(code, ...)`` is the one way validation builds a catalog finding: positions and values
are passed as keywords, the message is rendered from the template, so no caller hand-writes the
Chinese text. ``python -m xlflow.findings [FORM]`` prints ``docs/rules.md``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Literal

from .form import DEFAULT_FORM, load_form
from .results import Finding, Severity
from .vocab import SEVERITY_ZH, render

Group = Literal["file", "identity", "layout", "value", "year"]


@dataclass(frozen=True)
class FindingKind:
    code: str
    group: Group
    severity: Severity
    title: str
    template: str  # Chinese; {placeholders} come from finding() keywords
    description: str
    unreadable: bool = False  # the file cannot be used at all


_KINDS = [
    # -- the file itself ---------------------------------------------------------------------
    FindingKind("file-not-spreadsheet", "file", "error", "不是电子表格",
                "这个文件不是Excel或WPS表格文件（{what}）。请报送县里下发的填报模板（.xlsx）。",
                "文件内容不是 .xlsx/.xlsm/.xls/.ods 工作簿（例如 PDF、Word 文档、图片、网页或空文件），与文件扩展名无关。",
                unreadable=True),
    FindingKind("file-corrupt", "file", "error", "文件已损坏",
                "文件已损坏，无法打开（{what}）。请在Excel或WPS中打开确认后重新保存，再报送。",
                "压缩包被截断、校验失败或工作簿内容无法解析（常见于下载或复制中断的文件）。",
                unreadable=True),
    FindingKind("file-io-error", "file", "error", "文件无法读取",
                "无法读取这个文件（{what}）。请确认文件存在且没有被其他程序占用。",
                "操作系统层面的读取失败（文件不存在、无权限、被占用）。",
                unreadable=True),
    FindingKind("file-encrypted", "file", "error", "文件设置了打开密码",
                "文件设置了打开密码，无法读取。请在Excel中取消“用密码进行加密”后重新保存再报送（工作表保护密码不受影响）。",
                "工作簿被加密（OLE 加密容器中的 .xlsx，或带密码的 .xls）。",
                unreadable=True),
    FindingKind("file-too-large", "file", "error", "文件过大或异常压缩",
                "文件异常：{what}。这不是正常的填报文件，请重新用下发的模板填写。",
                "文件或其中某个部件超过安全上限，或压缩比异常（“压缩炸弹”）。读取前按压缩包目录中的大小检查，不会解压。",
                unreadable=True),
    FindingKind("file-hostile-xml", "file", "error", "文件含有不安全的内容",
                "文件中的 {part} 含有不安全的XML结构（{what}），已拒绝读取。请重新用下发的模板填写。",
                "XML 部件含有 DTD/实体声明等可被用于攻击的结构；xlflow 用 defusedxml 解析，遇到即拒绝。",
                unreadable=True),
    FindingKind("file-format-converted", "file", "info", "非 .xlsx 格式",
                "文件以 {kind} 格式保存（{application}）。已读取；下次请按模板原格式（.xlsx）保存。",
                "文件是 .xls 或 .ods 等格式：可以读取，但模板的保护和校验可能已丢失。"),
    FindingKind("file-macros", "file", "info", "含有宏",
                "文件含有宏（.xlsm）。宏不会被执行，只读取单元格的值；下次请保存为 .xlsx。",
                "启用宏的工作簿：xlflow 从不执行宏，只读数据。"),
    FindingKind("external-links", "file", "warning", "含有外部链接",
                "文件含有指向其他工作簿的链接（{what}），但填报单元格没有使用它们。建议断开链接（数据→编辑链接→断开链接）后再报送。",
                "工作簿含有外部链接部件（xl/externalLinks/），但没有填报单元格的公式引用其他工作簿。"),
    FindingKind("formulas-not-calculated", "file", "warning", "公式没有计算结果",
                "文件中有{count}个合计公式没有保存计算结果（保存程序：{application}），例如{example}。xlflow已按明细重新计算全部合计；请在Excel或WPS中打开并保存一次，使打印出的合计正确。",
                "合计单元格的公式没有缓存值（某些程序或脚本保存文件时不计算公式）。合计一律按明细重算，所以不影响数据，只提示一次。"),
    FindingKind("file-zip-duplicate", "file", "error", "压缩包中的部件有歧义",
                "文件的压缩包结构异常：{what}。不同的程序可能读到不同的内容，无法确定哪一份是报表。请在Excel或WPS中打开后另存为新的 .xlsx 再报送。",
                "压缩包中有重名的部件（部件名不区分大小写），或目录项与数据中的文件名不同：不同的程序会读到不同的内容。",
                unreadable=True),
    FindingKind("file-zip-path", "file", "error", "压缩包中的部件路径异常",
                "文件的压缩包中有路径异常的部件（{what}），指向压缩包以外或根目录。这不是正常保存的表格文件，请重新用下发的模板填写。",
                "部件名含 ../、以 / 或盘符开头（解压时可能写到别处）；Excel、WPS、LibreOffice 保存的文件不会这样。",
                unreadable=True),
    FindingKind("file-archive", "file", "error", "压缩包，不是报表",
                "这是一个压缩包，里面有{count}个表格文件（{what}）。xlflow 不会自动解压；请解压后把表格文件放入回收文件夹再校验。",
                "ZIP 压缩包中装着 .xlsx 等表格文件（单位把报表打包发来）。压缩包不会被解压，里面的文件不校验、不汇总。",
                unreadable=True),
    FindingKind("file-symlink", "file", "error", "符号链接",
                "这是一个符号链接（指向 {what}），为安全起见没有读取。请把实际的报表文件复制到回收文件夹。",
                "回收文件夹中的符号链接不跟随：它可能指向文件夹以外的任何文件。直接在命令行中给出的链接照常读取。",
                unreadable=True),
    FindingKind("file-reader-crashed", "file", "error", "读取时程序异常退出",
                "读取该文件时程序异常退出（{what}），已跳过；请在 Excel 或 WPS 中打开后重新保存再报送。",
                "读取文件的工作进程崩溃（读取程序中止、段错误、内存超过上限 --max-memory）。只影响这一个文件，其余文件照常校验；结果不写入缓存。",
                unreadable=True),
    FindingKind("file-reader-timeout", "file", "error", "读取超时",
                "读取该文件超时（超过{seconds}秒），已跳过；请在 Excel 或 WPS 中打开后重新保存再报送。",
                "读取一个文件的时间或 CPU 时间超过上限（--timeout，默认60秒）。只影响这一个文件，其余文件照常校验；结果不写入缓存。",
                unreadable=True),
    # -- identity ------------------------------------------------------------------------------
    FindingKind("not-a-template", "identity", "error", "不是下发的填报模板",
                "文件不是“{form_title}”的填报模板（{what}）。请使用县里下发的模板填写。",
                "文件中既没有 xlflow 模板标识，表格标签也与报表定义不符。",
                unreadable=True),
    FindingKind("identity-missing", "identity", "warning", "缺少模板标识",
                "文件中没有模板标识信息（可能是把内容复制到了新建的工作簿）。已按表格位置读取；请使用下发的模板报送。",
                "没有 xlflow_* 自定义属性和 _xlflow 工作表，但版式与定义一致，数据可以读取。"),
    FindingKind("wrong-form", "identity", "error", "报表种类不符",
                "这是“{actual}”报表的文件，不是本次收集的“{expected}”。请报送正确的报表。",
                "文件标识的报表编号与本次校验使用的报表定义不同。",
                unreadable=True),
    FindingKind("old-2019-layout", "identity", "error", "使用了旧版格式",
                "文件使用的是{old_format}（工作表“{sheet}”中有旧版栏目“{marker}”）。请改用按{basis}格式制作的新模板重新填写。",
                "表格中出现了只有被取代的旧版格式才有的栏目（见报表定义的 supersedes 和 supersedes_markers）。",
                unreadable=True),
    FindingKind("template-outdated", "identity", "warning", "模板版本不同",
                "文件使用的模板版本为 {actual}，当前为 {expected}。已按当前定义核对版式。",
                "模板的版本号或版式指纹与当前定义不同；版式核对会指出具体差异。"),
    FindingKind("wrong-year", "identity", "error", "报告年度不符",
                "文件的报告年度是{actual}年，本次收集的是{expected}年。请使用{expected}年度的模板报送。",
                "模板标识中的年度与 --year 不同。"),
    FindingKind("unknown-agency", "identity", "error", "单位不在名单中",
                "单位代码“{actual}”（{name}）不在单位名单中。请核对是否使用了本单位的模板。",
                "模板标识中的单位代码不在 --agencies 名单里。"),
    FindingKind("upload-other-agency", "identity", "error", "报表不是本单位的",
                "这份报表的单位代码是“{actual}”（{name}），但它是通过“{owner}”（{expected}）的报送入口上传的。请下载并填写本单位的模板后重新上传。",
                "工作区（报送网页）：按单位报送时，文件声明的单位与上传的单位不同；它只作为本单位的一次未通过的报送，不影响其他单位。"),
    FindingKind("agency-name-mismatch", "identity", "warning", "单位名称与名单不一致",
                "单位代码“{code}”在名单中的名称是“{expected}”，文件中是“{actual}”。",
                "单位代码在名单中，但名称不同（可能改过名，或用了别的单位的模板）。"),
    FindingKind("identity-conflict", "identity", "warning", "预填信息被改动",
                "“{label}”单元格为“{actual}”，与模板标识“{expected}”不一致。预填信息不能修改；如确有错误请联系县政务公开办。",
                "预填的单位名称、代码或年度单元格与模板标识不同。"),
    # -- layout ---------------------------------------------------------------------------------
    FindingKind("sheet-missing", "layout", "error", "缺少工作表",
                "缺少工作表“{sheet}”（文件中的工作表：{present}）。请不要删除或改名工作表，用下发的模板重新填写。",
                "定义中的工作表在文件中找不到，也无法通过定义名称或表格标签找回。",
                unreadable=True),
    FindingKind("sheet-renamed", "layout", "warning", "工作表被改名",
                "工作表“{expected}”被改名为“{actual}”。已按{how}读取；今后请勿修改工作表名称。",
                "工作表名称与定义不同，但通过定义名称或表格标签能确定是哪一张表。"),
    FindingKind("layout-moved", "layout", "warning", "插入或删除了行列",
                "工作表“{sheet}”插入或删除了行、列（{detail}）：{count}个填报单元格的位置变了，例如“{label}”从{expected}移到了{actual}。已按{how}读取，请核对；今后请勿增删行列。",
                "填报单元格不在定义的位置，但通过定义名称或表格标签找到了它们。"),
    FindingKind("label-mismatch", "layout", "warning", "表格标签被改动",
                "{cell}单元格应为“{expected}”，文件中为“{actual}”。请勿修改表格的栏目文字。",
                "标签单元格的文字与定义不同（数字仍按位置读取）。"),
    FindingKind("layout-unrecognised", "layout", "error", "版式无法识别",
                "工作表“{sheet}”的版式与模板不符（{what}），无法确定各数字的位置。请用下发的模板重新填写。",
                "标签大量不符，且定义名称和表格标签都无法定位填报单元格。",
                unreadable=True),
    FindingKind("cell-out-of-range", "layout", "warning", "报表范围以外有内容",
                "工作表“{sheet}”的 {cell} 单元格有内容，超出了报表范围，已忽略（这张表共有{count}个这样的单元格，都不计入汇总）。请删除报表以外的内容后再报送。",
                "单元格在报表定义的范围再加 1000 行、100 列以外。这些单元格不读取（否则读取程序要为整张表分配巨大的内存），报表本身照常读取。"),
    FindingKind("label-unmerged", "layout", "warning", "表头合并单元格被拆分",
                "{cell}（“{label}”）应为合并单元格 {expected}，文件中已被拆分。数字仍按位置读取；请勿修改表格格式。",
                "报表定义中合并的栏目单元格在文件中不再合并（取消了合并）。"),
    FindingKind("input-merged", "layout", "error", "填报单元格被合并",
                "单元格区域 {actual} 被合并，其中的填报单元格（例如 {cell}）在Excel中看不到。请取消合并，核对各单元格的数字后再报送。",
                "文件中新增的合并区域盖住了填报单元格：被盖住的数字打印和查看时都看不到，因此不予汇总。"),
    FindingKind("hidden-data", "layout", "warning", "隐藏的行列中有内容",
                "工作表“{sheet}”中隐藏的{what}里有内容（例如 {cell}）。{effect}请取消隐藏并核对后再报送。",
                "被隐藏的行或列中有内容：填报单元格的数字照常计入汇总（打印时却看不到），其他内容不计入。"),
    # -- values ----------------------------------------------------------------------------------
    FindingKind("value-normalised", "value", "info", "数值已规范化",
                "“{actual}”按数字{expected}读取。下次请直接填写数字。",
                "以文本形式存储的整数、全角数字、多余空格、千分位逗号（如“1,234”）：接受并规范化。"),
    FindingKind("value-blank", "value", "error", "数字单元格为空",
                "单元格为空。没有发生的事项请填0，不要留空。",
                "数字单元格为空（包括只有空格）。"),
    FindingKind("value-placeholder", "value", "error", "用符号代替了0",
                "单元格填的是“{actual}”。没有发生的事项请填数字0，不要填写“/”“—”“无”等符号。",
                "数字单元格中填写了“/”“—”“无”“-”等占位符号。"),
    FindingKind("value-not-number", "value", "error", "不是数字",
                "单元格填的是“{actual}”，不是数字。请只填写{what}。",
                "数字单元格中是无法识别为数字的文字。"),
    FindingKind("value-with-unit", "value", "error", "数字后带有单位",
                "单元格填的是“{actual}”，数字后面带了“{unit}”。{hint}",
                "数字后面跟着单位或文字（如“12件”“3.5万元”）：不当作数字读取。"),
    FindingKind("value-boolean", "value", "error", "逻辑值不是数字",
                "单元格是逻辑值 {actual}，不是数字。请填写{what}。",
                "单元格中是 TRUE/FALSE（逻辑值），不计为 1 或 0。"),
    FindingKind("value-formula", "value", "error", "填报单元格中是公式",
                "单元格中是公式“{actual}”{detail}。这里应直接填写{what}，不要使用公式。",
                "填报单元格中是公式（如 =1+1、=D6、INDIRECT、循环引用）：公式的结果可能没有重新计算，也会随其他单元格改变，因此不予读取。"),
    FindingKind("value-negative", "value", "error", "负数",
                "单元格填的是{actual}，不能为负数。请填写不小于{expected}的数。",
                "数字小于类型规定的最小值（件数、金额都不能为负）。"),
    FindingKind("value-too-large", "value", "error", "数值过大",
                "单元格填的是{actual}，超过了上限{expected}。请核对。",
                "数字大于类型规定的最大值。"),
    FindingKind("value-not-integer", "value", "error", "件数不是整数",
                "单元格填的是{actual}，件数只能是整数。请填写整数（例如{expected}）。",
                "整数类型（件数）单元格中有小数。"),
    FindingKind("value-too-many-decimals", "value", "warning", "小数位数过多",
                "单元格填的是{actual}，单位为{unit}，至多保留{decimals}位小数。请核对单位，改为例如{expected}。",
                "金额的小数位数超过类型规定（万元至多4位：6位小数通常是把“元”当成了“万元”或直接粘贴了计算结果）。"),
    FindingKind("value-date", "value", "error", "数字单元格中是日期",
                "单元格是日期（{actual}），这里应填写{what}。请把单元格格式改为“常规”后重新填写数字。",
                "数字单元格中是日期或时间（常因单元格格式被改成日期）。"),
    FindingKind("value-formula-error", "value", "error", "公式错误值",
                "单元格显示错误值“{actual}”。请改为直接填写数字。",
                "单元格是公式错误（#REF!、#DIV/0!、#VALUE! 等）。"),
    FindingKind("value-external-link", "value", "error", "引用了其他工作簿",
                "单元格的公式引用了其他工作簿（{actual}）。请改为直接填写数字。",
                "填报单元格中的公式指向外部工作簿；报送的文件必须自带数字。"),
    FindingKind("value-required", "value", "error", "必填项为空",
                "“{label}”为必填项，不能为空。",
                "定义中标记为必填（required）的单元格为空。"),
    FindingKind("value-too-long", "value", "error", "文字过长",
                "文字有{actual}字，超过了{expected}字的上限。请精简。",
                "文字超过类型规定的最大长度。"),
    FindingKind("value-leading-equals", "value", "warning", "文字以等号开头",
                "文字“{actual}”以等号开头：Excel会把开头的“=”当成公式。发布的报告会去掉这个等号；请删除开头的“=”后重新保存。",
                "文字单元格的内容以“=”（或全角“＝”）开头，常见于从别处粘贴的段落。文字照常读取；生成报告时去掉开头的等号。"),
    FindingKind("value-not-in-choices", "value", "error", "不是可选项",
                "单元格填的是“{actual}”。请从下拉列表中选择：{expected}。",
                "选择类型的单元格中不是规定的选项之一。"),
    FindingKind("value-not-date", "value", "error", "不是日期",
                "单元格填的是“{actual}”，不是日期。请填写日期，例如 2025-01-15。",
                "日期类型单元格中的内容无法识别为日期。"),
    # -- year over year (with --previous; thresholds from the form's compare: section) --------
    FindingKind("yoy-jump", "year", "warning", "比上年大幅增加",
                "“{label}”本年为{actual}{unit}，上年为{expected}{unit}，达到上年的{ratio}倍以上。请核对是否填错（例如多填了一位数或填成了累计数）；如属实，请在报告中说明原因。",
                "报表定义 compare 中设了 outlier.ratio 的测算项，本年不小于上年的 ratio 倍（上年为0也算），且两年中较大的数不小于 min。只作提示，不影响合格。"),
    FindingKind("yoy-drop", "year", "warning", "比上年大幅减少",
                "“{label}”本年为{actual}{unit}，上年为{expected}{unit}，不到上年的1/{ratio}。请核对是否漏填；如属实，请在报告中说明原因。",
                "报表定义 compare 中设了 outlier.ratio 的测算项，本年不超过上年的 1/ratio（本年为0也算），且两年中较大的数不小于 min。只作提示，不影响合格。"),
    FindingKind("yoy-share-shift", "year", "warning", "比例与上年相差很大",
                "“{label}”本年为{actual}，上年为{expected}，变化{points}个百分点（提示阈值{threshold}个百分点）。请核对各项办理结果是否归类正确。",
                "报表定义 compare 中设了 outlier.points 的比例测算项，本年与上年相差不少于 points 个百分点，且两年的分母都不小于 min。只作提示，不影响合格。"),
]

CATALOG: dict[str, FindingKind] = {k.code: k for k in _KINDS}

# Messages of derived-cell findings (R2/R3/R4 in the 2021 form: the rule named by each derived
# cell of the definition), chosen by what the file shows about the cell.
DERIVED_TEMPLATES = {
    "typed": "“{label}”应为各项之和{expected}，但单元格中是手工填写的{actual}（公式被改掉了）。请恢复公式，或改为{expected}。",
    "stale": "“{label}”保存的结果是{actual}，按各项重新计算应为{expected}：保存文件的软件（{application}）没有重新计算公式。请在Excel或WPS中打开，重新计算（Ctrl+Alt+F9）后保存。",
    "unknown": "“{label}”的数值是{actual}，按各项重新计算应为{expected}。可能是公式被改成了手填数字，或保存文件的软件没有重新计算。请核对后改为{expected}。",
}
def finding(
    code: str,
    /,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    field: str | None = None,
    expected: Any = None,
    actual: Any = None,
    row_label: str | None = None,
    col_label: str | None = None,
    severity: Severity | None = None,
    **params: Any,
) -> Finding:
    kind = CATALOG[code]
    message = render(kind.template, {"expected": expected, "actual": actual, "sheet": sheet, "cell": cell, **params})
    return Finding(
        rule=code,
        severity=severity or kind.severity,
        message=message,
        sheet=sheet,
        cell=cell,
        field=field,
        expected=expected,
        actual=actual,
        row_label=row_label,
        col_label=col_label,
    )


def rule_names(form=None) -> dict[str, str]:
    """Code -> Chinese name, for every code a clerk may see: the catalog's, the form's rules
    (R1 表三各列勾稽关系 …) and the rules of its derived cells (合计与明细不符)."""
    names = {k.code: k.title for k in _KINDS}
    if form is not None:
        names.update({d.rule: "合计与明细不符" for d in form.derived})
        names.update({spec.id: spec.title for spec in form.spec.rules})
    return names


def rule_label(code: str, names: dict[str, str]) -> str:
    """"数字单元格为空（value-blank）": the name first, the stable code after it."""
    name = names.get(code)
    return f"{name}（{code}）" if name else code


def old_layout(form, sheet: str, marker: str) -> Finding:
    """A workbook in the format the form supersedes, named with the form's own words."""
    return finding("old-2019-layout", sheet=sheet, marker=marker, old_format=form.spec.supersedes or "旧版格式",
                   basis=form.spec.basis or f"现行“{form.spec.title}”")


def is_unreadable(f: Finding) -> bool:
    kind = CATALOG.get(f.rule)
    return bool(kind and kind.unreadable)


# -- documentation ---------------------------------------------------------------------------

_GROUP_TITLES = {
    "file": "文件",
    "identity": "身份（报表、年度、单位）",
    "layout": "版式",
    "value": "单元格的值",
    "year": "与上年对比（需上年数据 --previous）",
}


def rule_docs(form) -> str:
    """docs/rules.md: the form's rules and derived cells, then every catalog code."""
    lines = [
        f"# 校验规则与问题代码：{form.spec.title}（{form.form_id} {form.version}）",
        "",
        "<!-- 本文件由 `python -m xlflow.findings` 生成，请勿手工修改；测试会检查它是否过期。 -->",
        "",
        f"每条问题（finding）都有稳定的代码：报表定义中的规则用规则编号（{'、'.join(r.id for r in form.spec.rules[:2])} 等），"
        "其余用英文短横线代码。级别：错误（error）使文件不合格；提示（warning）和信息（info）不影响合格。",
        "标记“无法读取”的问题使整个文件被判为无法读取（unreadable）。",
        "",
        "## 报表定义中的规则",
        "",
        "| 代码 | 级别 | 名称 | 说明 | 实例数 | 需上年数据 |",
        "|---|---|---|---|---|---|",
    ]
    counts: dict[str, int] = {}
    for inst in form.rules:
        counts[inst.id] = counts.get(inst.id, 0) + 1
    for spec in form.spec.rules:
        desc = " ".join(spec.description.split()) or spec.title
        lines.append(
            f"| {spec.id} | {SEVERITY_ZH[spec.severity]} | {spec.title} | {desc} | {counts.get(spec.id, 0)} | "
            f"{'是（--previous）' if spec.needs_previous else '否'} |"
        )
    lines += [
        "",
        "## 公式单元格（合计）的规则",
        "",
        "合计单元格一律按明细重新计算，不信任文件中缓存的结果。缓存值与重算值不一致"
        "（公式被改成了手填数字，或保存文件的软件没有重新计算）时，以该合计的规则编号报告，级别为错误。",
        "",
        "| 代码 | 单元格数 | 示例 | 计算方法 |",
        "|---|---|---|---|",
    ]
    by_rule: dict[str, list] = {}
    for d in form.derived:
        by_rule.setdefault(d.rule, []).append(d)
    for rule, items in by_rule.items():
        d = items[0]
        f = form.fields[d.field_id]
        lines.append(f"| {rule} | {len(items)} | {f.sheet}!{f.cell}（{' / '.join(f.label_path)}） | `{d.expr.text}` |")
    lines += ["", "合计单元格问题的消息按文件所示的情况选用：", ""]
    lines += [f"- {how}：{text}" for how, text in DERIVED_TEMPLATES.items()]
    if form.measures:
        lines += ["", "## 与上年对比的测算项（compare）", "",
                  "有上年数据（--previous）时，汇总表的“上年对比”工作表和县级报告草稿逐项列出上年、本年和增减；"
                  "设了提示阈值的测算项在单位报表上产生下面“与上年对比”一节的提示。", "",
                  "| 编号 | 测算项 | 计算 | 提示阈值 |", "|---|---|---|---|"]
        for m in form.measures:
            calc = f"`{m.expr.text}`" + (f" ÷ `{m.of.text}`" if m.of is not None else "")
            o = m.spec.outlier
            if o is None:
                limit = "（不提示）"
            elif m.share:
                limit = f"相差≥{o.points:g}个百分点（两年分母均≥{o.min:g}）"
            else:
                limit = f"≥上年的{o.ratio:g}倍或≤1/{o.ratio:g}（较大的一年≥{o.min:g}）"
            lines.append(f"| {m.id} | {m.label} | {calc} | {limit} |")
    for group, title in _GROUP_TITLES.items():
        if group == "value" and form.spec.value_rule:
            title += f"（{form.spec.value_rule} 数值规则）"
        lines += ["", f"## {title}", "", "| 代码 | 级别 | 名称 | 说明 | 消息模板 |", "|---|---|---|---|---|"]
        for k in _KINDS:
            if k.group != group:
                continue
            sev = SEVERITY_ZH[k.severity] + ("，无法读取" if k.unreadable else "")
            lines.append(f"| `{k.code}` | {sev} | {k.title} | {k.description} | {k.template} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - exercised by tests through rule_docs
    sys.stdout.write(rule_docs(load_form(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FORM)))
