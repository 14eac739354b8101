"""The named system user that nightly jobs and dunning act as, through the same services and checks."""
from django.conf import settings
from django.contrib.auth import get_user_model


def system_user():
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=settings.SYSTEM_USERNAME, defaults={"first_name": "System", "is_active": True}
    )
    if created:
        from django.contrib.auth.models import Group

        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name="system")[0])
    return user
