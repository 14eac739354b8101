"""Create the role groups and the named system user (their permissions are granted after migrate)."""
from django.db import migrations

ROLES = ["relationship_manager", "credit_analyst", "approver", "collector", "risk_admin", "auditor", "system"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    system, created = User.objects.get_or_create(
        username="system", defaults={"first_name": "System", "is_active": True, "password": "!system-no-login"}
    )
    system.groups.add(Group.objects.get(name="system"))


class Migration(migrations.Migration):
    initial = True
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
