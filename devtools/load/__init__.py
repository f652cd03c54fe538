"""The load generators of ``make bench`` (``manage.py generate_load``): published lots of
generated organisations (``lots``), open wanted requests (``wanted``), five years of
impact history (``impact``), written in bulk (``bulk``) with the rows the services'
own builders give."""
