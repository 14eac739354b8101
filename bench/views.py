"""The baseline of the API benchmark: a minimal Django JSON view (no database, no DRF)."""
from django.http import JsonResponse


def baseline(request):
    return JsonResponse({"ok": True, "items": []})
