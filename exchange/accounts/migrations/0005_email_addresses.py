"""Every existing person gets allauth's record of their e-mail address, unverified:
accounts made before e-mail verification verify their address at their next sign-in
(allauth sends the link). The demo data marks its people verified."""

from django.db import migrations


def create_addresses(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    known = set(EmailAddress.objects.values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user_id=user_id, email=email.lower(), verified=False, primary=True)
            for user_id, email in User.objects.exclude(email="").values_list("id", "email")
            if user_id not in known
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_match_notifications"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(create_addresses, migrations.RunPython.noop)]
