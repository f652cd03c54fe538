"""Named, expiring API tokens replace DRF's one token per person: each existing token
becomes a named token ("Token from before named tokens") with the same key (only its
digest is kept), expiring like any other; then DRF's table goes. Read with SQL, so that
rest_framework.authtoken no longer needs to be installed."""

import datetime
import hashlib

from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"


def copy_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                user_id=user_id,
                name="Token from before named tokens",
                key_digest=hashlib.sha256(key.encode()).hexdigest(),
                prefix=key[:8],
                created_at=now,
                expires_at=now + datetime.timedelta(days=90),
            )
            for key, user_id, _created in rows
        ]
    )
    schema_editor.execute(f"DROP TABLE {OLD_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_api_tokens")]

    operations = [migrations.RunPython(copy_tokens, migrations.RunPython.noop)]
