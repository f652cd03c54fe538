FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml constraints.txt ./
COPY exchange/__init__.py exchange/__init__.py
COPY api/__init__.py api/__init__.py
COPY devtools/__init__.py devtools/__init__.py
RUN pip install -c constraints.txt . && pip uninstall -y reuse-exchange

COPY . .
RUN pybabel compile --domain django --directory locale \
    && pybabel compile --domain django --directory locale/allauth \
    && DJANGO_SETTINGS_MODULE=exchange.settings python manage.py collectstatic --noinput \
    && useradd --create-home exchange && mkdir -p var media private && chown -R exchange var media private
USER exchange

EXPOSE 8000
CMD ["gunicorn", "exchange.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "3", "--threads", "8", "--access-logfile", "-"]
