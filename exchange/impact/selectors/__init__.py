"""Reads of the impact app: impact records (``records``), the statistics
(``statistics``, from the group sums of ``sources``), the open data (``open_data``) and
the annual report's figures and jobs (``reports``)."""
