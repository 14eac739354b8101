"""Demo outside information for ``manage.py load_demo``: business registrations of three of rm's customers, two
of them with the same actual controller — one in the 华东建材集团 group, one not yet (a group suggestion).
Registrations only (no court records or tax ratings), so the demo ratings keep their grades. Idempotent."""
import datetime as dt
import json

from django.core.files.uploadedfile import SimpleUploadedFile

from . import services
from .models import OutsideImport

REGISTRATIONS = {
    # key: (status, registered capital, paid-in, legal representative, actual controller, shareholders)
    "huadong_parent": ("存续", "580000000", "580000000", "周国强", "王建华", [("王建华", "62"), ("华东国资投资有限公司", "38")]),
    "huadong_logistics": ("存续", "9600000", "9600000", "李明", "王建华",
                          [("华东建材集团有限公司", "80"), ("李明", "20")]),
    "jinghua_tech": ("存续", "3800000", "2000000", "张伟", "王建华", [("王建华", "55"), ("张伟", "45")]),
}


def _write(context, message):
    stdout = context.get("stdout")
    if stdout is not None:
        stdout.write(message)


def load(context):
    customers = context.get("customers") or {}
    users = context["users"]
    today = context.get("today") or dt.date.today()
    if OutsideImport.objects.filter(customer__in=[c for k, c in customers.items() if k in REGISTRATIONS]).exists():
        _write(context, "    creditinfo: already loaded")
        return
    count = 0
    for key, (status, capital, paid, representative, controller, shareholders) in REGISTRATIONS.items():
        customer = customers.get(key)
        if customer is None:
            continue
        content = {"format": "creditportal.outside/1", "source": "国家企业信用信息公示系统", "as_of": today.isoformat(),
                   "registration": {"status": status, "registered_capital": capital, "paid_in_capital": paid,
                                    "legal_representative": representative, "actual_controller": controller,
                                    "shareholders": [{"name": n, "share": s} for n, s in shareholders]}}
        upload = SimpleUploadedFile(f"{key}-registration.json", json.dumps(content, ensure_ascii=False).encode(),
                                    content_type="application/json")
        services.outside_import(actor=users["rm"], customer=customer, uploaded_file=upload)
        count += 1
    _write(context, f"    creditinfo: {count} business registrations")
