"""The form definition: declared once as data, compiled once, used by every stage.

A ``workbook_templates/<form_id>.yaml`` file is parsed into the pydantic ``FormSpec`` (what a
county may write, ``spec.py``) and compiled into a ``Form`` (what the engine uses,
``model.py``) by ``loader.py``: every field with its sheet, cell, type and label path; every
derived cell with its expression; every rule instance with its compiled check. The template
writer, the reader, the validator, the merger, the report and the docs all read the same
``Form``.
"""

from .loader import DEFAULT_FORM, available_forms, builtin_form_dirs, compile_form, load_form
from .model import (
    DerivedInstance,
    FieldDef,
    Form,
    LabelDef,
    MeasureDef,
    RuleInstance,
    SheetDef,
    TypeDef,
    excel_range_list,
)
from .spec import (
    ChecksPanelSpec,
    CompareMeasureSpec,
    CompareOutlierSpec,
    CompareSpec,
    DerivedSpec,
    FieldSpec,
    FormSpec,
    GridSpec,
    LabelSpec,
    ReportBlockSpec,
    ReportSectionSpec,
    ReportSpec,
    ReportTextSpec,
    RuleSpec,
    ScopesSpec,
    SheetSpec,
    ShowSpec,
    SignoffItemSpec,
    SignoffSpec,
    SummaryBreakdownSpec,
    SummaryChartSpec,
    SummaryPartSpec,
    SummarySpec,
    TypeSpec,
)

__all__ = [
    "DEFAULT_FORM", "available_forms", "builtin_form_dirs", "compile_form", "load_form",
    "DerivedInstance", "FieldDef", "Form", "LabelDef", "MeasureDef", "RuleInstance", "SheetDef", "TypeDef",
    "excel_range_list", "ChecksPanelSpec", "CompareMeasureSpec", "CompareOutlierSpec", "CompareSpec", "DerivedSpec", "FieldSpec", "FormSpec", "GridSpec",
    "LabelSpec", "ReportBlockSpec", "ReportSectionSpec", "ReportSpec", "ReportTextSpec",
    "RuleSpec", "ScopesSpec", "SheetSpec", "ShowSpec", "SignoffItemSpec", "SignoffSpec", "SummaryBreakdownSpec", "SummaryChartSpec", "SummaryPartSpec",
    "SummarySpec", "TypeSpec",
]
