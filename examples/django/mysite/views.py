"""The example's one view."""
import os
import time

from django.shortcuts import render

STARTED = time.strftime("%H:%M:%S")


def index(request):
    return render(request, "index.html", {"pid": os.getpid(), "started": STARTED, "host": request.get_host()})
