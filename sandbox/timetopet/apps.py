from django.apps import AppConfig


class SandboxTimeToPetConfig(AppConfig):
    name = "sandbox.timetopet"
    label = "sandbox_timetopet"
    verbose_name = "Sandbox: Time To Pet (calendar feeds, client CSV)"
    default_auto_field = "django.db.models.BigAutoField"
