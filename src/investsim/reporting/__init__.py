"""Reports of results folders: charts, the HTML report and the Excel workbook. Reads
folders only."""
