from django.apps import AppConfig


class SandboxPTDistinctionConfig(AppConfig):
    name = "sandbox.ptdistinction"
    label = "sandbox_ptdistinction"
    verbose_name = "Sandbox: PT Distinction's Zapier side"
    default_auto_field = "django.db.models.BigAutoField"
