"""Report building: display tables, figures, HTML and the donor workbook.

This is the only place where numbers are formatted for readers.
"""
