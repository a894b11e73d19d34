"""What rkc hands to people: the run's discrepancy report for the accountants (``run_report``),
their resolutions read back (``resolutions``) and the monthly supplier statements (``statements``).
Formats and column meanings: docs/REPORTS.md."""
