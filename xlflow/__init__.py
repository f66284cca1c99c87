"""xlflow: the county's yearly collection of 政府信息公开工作年度报告 tables.

Pipeline stages, one module (or package) each: ``form`` (the definition), ``template``
(locked per-agency workbooks), ``read`` (returned workbooks), ``validate`` (findings),
``merge`` (county summary), ``report`` (publishable report), ``cli``.
"""

__version__ = "0.1.0"
