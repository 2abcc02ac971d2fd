from django.apps import AppConfig


class SandboxTimifyConfig(AppConfig):
    name = "sandbox.timify"
    label = "sandbox_timify"
    verbose_name = "Sandbox: TIMIFY"
    default_auto_field = "django.db.models.BigAutoField"
