from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0010_recordlink_deleted_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="require_mfa",
            field=models.BooleanField(default=False),
        ),
    ]
