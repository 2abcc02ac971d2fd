from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0009_encrypt_alert_targets"),
    ]

    operations = [
        migrations.AddField(
            model_name="recordlink",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
