from django.urls import path

from . import views

app_name = "proposals"
urlpatterns = [
    path("", views.ProposalListView.as_view(), name="list"),
    path("<int:pk>/", views.ChangeDetailView.as_view(), name="detail"),
    path("<int:pk>/approve/", views.ChangeDecideView.as_view(action="approve"), name="approve"),
    path("<int:pk>/reject/", views.ChangeDecideView.as_view(action="reject"), name="reject"),
    path("<int:pk>/withdraw/", views.ChangeDecideView.as_view(action="withdraw"), name="withdraw"),
]
