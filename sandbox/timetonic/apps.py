from django.apps import AppConfig


class TimetonicSandboxConfig(AppConfig):
    name = "sandbox.timetonic"
    label = "sandbox_timetonic"
    verbose_name = "Sandbox: TimeTonic simulator"
    default_auto_field = "django.db.models.BigAutoField"
