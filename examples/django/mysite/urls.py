"""URLs of the example: one page. Static files are served by runserver (staticfiles, DEBUG on)."""
from django.urls import path

from . import views

urlpatterns = [path("", views.index, name="index")]
