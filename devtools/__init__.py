"""Development tools, not the product: the demo data of ``make run`` (``manage.py
seed_demo``) and the load generators of ``make bench`` (``manage.py generate_load``).

They build their rows with the services' own builders, so no rule of the platform is
written here a second time. Nothing in ``exchange/`` or ``api/`` imports this package.
"""
