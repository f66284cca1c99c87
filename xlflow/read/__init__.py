"""Reading returned workbooks: fast, and without trusting them.

``Book`` opens a file once (format sniffing, size limits, safe XML, calamine for values);
``plan_for(form)`` precomputes what a form needs for reading; ``locate`` finds the form's
cells in a workbook whose layout may have been changed. Problems that stop reading are
``ReadProblem``s carrying a finding code.
"""

from .archive import ReadProblem, sniff
from .book import Book
from .layout import Placement, cell, find_marker, locate
from .plan import FormPlan, norm, plan_for

__all__ = ["Book", "FormPlan", "Placement", "ReadProblem", "cell", "find_marker", "locate", "norm", "plan_for", "sniff"]
