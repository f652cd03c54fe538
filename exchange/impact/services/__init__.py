"""Writes of the impact app: impact records (``records``), the monthly totals kept with
them (``totals``) and annual report downloads and jobs (``reports``)."""
