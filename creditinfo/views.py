"""Pages: import outside information for a customer, open an import's file, the group suggestions."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from creditportal.core.errors import NotAllowed, ServiceError
from creditportal.core.views import PortalPermissionMixin
from customers.views import CustomerFormView

from . import selectors, services
from .forms import GroupSuggestionForm, OutsideImportForm
from .models import OutsideImport


class OutsideImportView(CustomerFormView):
    permission_required = "creditinfo.add_outsideimport"
    form_class = OutsideImportForm
    tab = "outside"
    multipart = True
    title = gettext_lazy("Import outside information")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "customer": self.customer, "user": self.request.user}

    def perform(self, data):
        return services.outside_import(actor=self.request.user, customer=self.customer, uploaded_file=data["file"],
                                       adapter=data["adapter"], document=data.get("document"))

    def get_success_message(self, result):
        return _("Imported %(records)d record(s); %(changes)d change(s) found.") % {
            "records": result.record_count, "changes": result.changes.count()}


class OutsideImportFileView(PortalPermissionMixin, View):
    permission_required = "creditinfo.view_outsideimport"

    def get(self, request, pk):
        imp = get_object_or_404(OutsideImport.objects.visible_to(request.user), pk=pk)
        handle = services.outside_import_open(actor=request.user, outside_import=imp)
        return FileResponse(handle, as_attachment=True, filename=imp.original_name)


class OutsideTemplateView(PortalPermissionMixin, View):
    """The XLSX template of the portal's format (every sheet with its header and an example row)."""

    permission_required = "creditinfo.view_outsideimport"

    def get(self, request):
        from django.http import HttpResponse

        from .adapters import xlsx_template

        response = HttpResponse(xlsx_template(), content_type="application/vnd.openxmlformats-officedocument."
                                                             "spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="outside-information-template.xlsx"'
        return response


class GroupSuggestionListView(PortalPermissionMixin, TemplateView):
    """Customers that share an actual controller or a controlling shareholder; the relationship manager confirms
    a group here (nothing is grouped without it)."""

    permission_required = ["creditinfo.view_outsideimport", "customers.view_customergroup"]
    template_name = "creditinfo/group_suggestions.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": _("Suggested groups"),
                "suggestions": selectors.group_suggestions(self.request.user),
                "can_confirm": self.request.user.has_perms(["customers.change_customer",
                                                            "customers.add_customergroup"])}


class GroupSuggestionConfirmView(PortalPermissionMixin, View):
    permission_required = ["customers.change_customer", "customers.add_customergroup"]

    def post(self, request):
        form = GroupSuggestionForm(request.POST, user=request.user)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("creditinfo:group_suggestions")
        try:
            group = services.group_suggestion_confirm(actor=request.user, customers=form.cleaned_data["customers"],
                                                      group=form.cleaned_data.get("group"),
                                                      name=form.cleaned_data.get("name") or "")
        except NotAllowed as error:
            raise PermissionDenied(error.message) from error
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("creditinfo:group_suggestions")
        messages.success(request, _("The customers now belong to the group %(group)s.") % {"group": group.name})
        return redirect(reverse("customers:group_detail", kwargs={"pk": group.pk}))
