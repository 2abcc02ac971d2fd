from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0013_link_synced_values_tag_steps"),
    ]

    operations = [
        migrations.AddField(
            model_name="backfill",
            name="listing",
            field=models.BooleanField(default=False),
        ),
    ]
