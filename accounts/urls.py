from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .pickers import UserPickerView
from .forms import LoginForm

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="creditportal/password_change_done.html"), name="password_done"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/pick/", UserPickerView.as_view(), name="pick"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserEditView.as_view(), name="user_edit"),
    path("users/<int:pk>/deactivate/", views.UserActiveView.as_view(), name="user_deactivate"),
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path("notifications/<int:pk>/", views.NotificationOpenView.as_view(), name="notification_open"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("language/", views.LanguageSwitchView.as_view(), name="set_language"),
    path("users/<int:pk>/activate/", views.UserActiveView.as_view(activate=True), name="user_activate"),
]
