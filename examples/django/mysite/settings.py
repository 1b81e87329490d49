"""Settings for the liveproxy Django example: the least a page with a template and a stylesheet needs."""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# A development-only example: never deploy with this key or DEBUG on.
SECRET_KEY = "liveproxy-example-not-secret"
DEBUG = True
# With DEBUG on, an empty list allows localhost, 127.0.0.1 and [::1]; liveproxy keeps the browser's Host.
ALLOWED_HOSTS = []

INSTALLED_APPS = ["django.contrib.staticfiles"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "mysite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # No cached loader: under --noreload nothing would clear its cache, and liveproxy
            # reloads the browser on a template edit without restarting Django.
            "loaders": ["django.template.loaders.filesystem.Loader"],
        },
    }
]

# No database: this example only renders a page.
DATABASES = {}

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
